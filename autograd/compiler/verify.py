"""The second trace checks the first: same steps, and no constant that changed between them.

Arrays that no step made (parameters, buffers, constants) are read by reference at replay. One
that is new and different on the second call was computed outside tracegrad's ops, so a
replay would reuse a stale array: inside a VJP that only means the node's VJPs run as calls
instead of inline ops; anywhere else the function runs eagerly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.compiler.trace import Step, Tracer


def same_path(a: Tracer, b: Tracer) -> bool:
    """Whether two traces of one function ran the same steps (same ops, VJPs, host steps)."""
    if len(a.steps) != len(b.steps):
        return False
    for s, t in zip(a.steps, b.steps, strict=True):
        if s.kind != t.kind or s.prim is not t.prim or (s.kind == "host" and s.fn is not t.fn):
            return False
    return True


def path_change(a: Tracer, b: Tracer) -> str:
    """Why the second trace ran other steps than the first, in words."""
    for s, t in zip(a.reads, b.reads, strict=False):
        if not _same_value(s.value, t.value):
            return (
                f"the value read by {READ_CALLS[s.params['kind']]} changed from "
                f"{short(s.value)} to {short(t.value)}"
            )
    return "the traced function ran other ops on its second call with the same inputs"


READ_CALLS = {"item": ".item()", "bool": "bool()", "tolist": ".tolist()", "numpy": ".numpy()"}


def short(v: Any) -> str:
    """A value for a message, cut to 60 characters."""
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b, equal_nan=True))
    return a == b or (a != a and b != b)


def changing_constant(a: Tracer, b: Tracer) -> str | None:
    """Two traces of the same path: name an array read by reference that changed between them.

    Arrays that no step made (parameters, buffers, constants) are read by reference; one that
    is a fresh array with other values on the second call was computed outside tracegrad's ops
    (NumPy on `.data`, `np.random`) and a replay would reuse the stale one.
    """
    for s, t in zip(a.steps, b.steps, strict=True):
        if s.block is not None and _changes(a, b, s, t):
            b.opaque.add(s.block)  # run that node's VJPs as calls instead of inlining them
            continue
        reason = _changes(a, b, s, t)
        if reason is not None:
            return reason
    return None


def _changes(a: Tracer, b: Tracer, s: Step, t: Step) -> str | None:
    """Why step `s` of trace a and its twin `t` of trace b read different constants."""
    pairs = list(zip(_reads(s), _reads(t), strict=False))
    for k, (x, y) in enumerate(pairs):
        vx, vy = a.values[x], b.values[y]
        if vx.kind != vy.kind or vx.kind not in ("ext", "const"):
            continue
        if vx.array is vy.array:
            continue
        if not (
            isinstance(vx.array, np.ndarray) and isinstance(vy.array, np.ndarray)
            and vx.array.shape == vy.array.shape and vx.array.dtype == vy.array.dtype
            and np.array_equal(vx.array, vy.array, equal_nan=True)
        ):
            what = s.prim.name if s.prim is not None else s.kind
            return (
                f"input {k} of {what} is an array computed outside tracegrad's ops "
                "(NumPy on .data or np.random?) that changed between calls; a replay "
                "would reuse the old one"
            )
    dynamic = {d[0] for d in s.dyn}
    for key in s.params:
        p, q = s.params[key], t.params.get(key)
        if key not in dynamic and not _same_param(p, q):
            return (
                f"the array parameter {key!r} of {s.prim.name} changed between calls and "
                "was not made by a traced op; a replay would reuse the old one"
            )
    return None


def _same_param(p: Any, q: Any) -> bool:
    """Parameters equal between two traces (arrays by value, tuples item by item)."""
    if isinstance(p, np.ndarray) or isinstance(q, np.ndarray):
        return (
            isinstance(p, np.ndarray) and isinstance(q, np.ndarray) and p.shape == q.shape
            and p.dtype == q.dtype and bool(np.array_equal(p, q, equal_nan=True))
        )
    if isinstance(p, tuple) and isinstance(q, tuple):
        return len(p) == len(q) and all(_same_param(x, y) for x, y in zip(p, q, strict=True))
    return True  # other parameters (numbers, slices, shapes) are Python values of the code


def expand(tracer: Tracer) -> list[Step]:
    """The steps a plan runs: each VJP block inline, or as its calls where it was opaque."""
    out: list[Step] = []
    placed: set[int] = set()
    for s in tracer.steps:
        if s.block is not None and s.block in tracer.opaque:
            if s.block not in placed:
                placed.add(s.block)
                out += tracer.blocks[s.block]
            continue
        out.append(s)
    return out


def _reads(s: Step) -> list[int]:
    if s.kind == "host":
        return []
    vids = [v for v in s.ins if v is not None] if s.kind != "read" else list(s.ins)
    if s.kind == "vjp":
        vids = [s.grad, s.ans, *vids]
    return vids
