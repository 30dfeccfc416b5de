"""Fusion: each run of consecutive elementwise steps becomes one generated Numba kernel.

Only ops whose result is exactly rounded (add, subtract, multiply, divide, negative, abs,
sqrt, relu, maximum, minimum) and the engine's sums of gradients are fused, so a fused kernel
gives the bits NumPy gives. Intermediates used only inside the run stay in registers; values
read later get a buffer allocated once and rewritten by every replay. The kernel's source is
written to a cache folder under its hash and compiled with `cache=True`, so a second process
loads it from disk.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograd.compiler.trace import Step, is_ref

# prim name -> expression over its operands (`{0}`, `{1}`) and `{z}`, the dtype's zero.
EXPRESSIONS: dict[str, str] = {
    "add": "{0} + {1}",
    "subtract": "{0} - {1}",
    "multiply": "{0} * {1}",
    "divide": "{0} / {1}",
    "negative": "-{0}",
    "abs": "abs({0})",
    "sqrt": "np.sqrt({0})",
    "relu": "({0} if ({0} > {z} or {0} != {0}) else {z})",
    "maximum": "({0} if ({0} >= {1} or {0} != {0}) else {1})",
    "minimum": "({0} if ({0} <= {1} or {0} != {0}) else {1})",
}

_KERNELS: dict[str, Callable[..., None]] = {}


def cache_dir() -> Path:
    """Where generated kernels live: `$TRACEGRAD_CACHE_DIR` or `~/.cache/tracegrad`, /fused."""
    root = os.environ.get("TRACEGRAD_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "tracegrad"
    )
    return Path(root) / "fused"


class Kernel:
    """One fused kernel: the steps it absorbed, its inputs and the buffers it writes."""

    def __init__(self, steps: list[Step], ins: list[int], outs: list[int], source: str) -> None:
        self.steps = steps
        self.ins = ins
        self.outs = outs
        self.source = source
        self.out = outs[0] if outs else None

    def label(self, plan: Any) -> str:
        """`fused[multiply, add, relu]` for the listing."""
        from autograd.compiler.show import step_label

        return "fused[" + ", ".join(step_label(plan, s) for s in self.steps) + "]"

    def runner(self, plan: Any) -> Callable[[list[Any]], None]:
        """A closure running the kernel on the slots (outputs into their buffers)."""
        kernel = load(self.source)
        ins = self.ins
        bufs = [plan.buffer(v) for v in self.outs]
        if plan.all_fixed(ins):  # the same arrays every replay: bind them now
            call = functools.partial(kernel, *[plan.S[i] for i in ins], *bufs)
            return lambda S: call()

        def run(S: list[Any]) -> None:
            kernel(*[S[i] for i in ins], *bufs)

        return run


def _fusable(plan: Any, s: Step) -> bool:
    if s.kind == "sum":
        shapes = {plan.values[i].shape for i in s.ins} | {plan.values[s.out].shape}
        dts = {plan.values[i].dtype for i in s.ins}
        return len(shapes) == 1 and len(dts) == 1 and next(iter(dts)).kind == "f"
    if s.kind != "op" or s.prim.name not in EXPRESSIONS or s.params or s.dyn or s.aux:
        return False
    out = plan.values[s.out]
    if out.dtype is None or out.dtype.kind != "f" or any(c is not None for c in s.casts):
        return False
    if any(i is None for i in s.ins):
        return False
    for i in s.ins:
        v = plan.values[i]
        if v.dtype != out.dtype or v.shape is None or len(v.shape) > len(out.shape):
            return False
    return True


def _consumers(plan: Any) -> dict[int, set[int]]:
    """Which step (by index) reads each value; -1 for the function's results."""
    used: dict[int, set[int]] = {}

    def add(v: int | None, k: int) -> None:
        if v is not None:
            used.setdefault(v, set()).add(k)

    def refs(obj: Any, k: int) -> None:
        if is_ref(obj):
            add(obj.vid, k)
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                refs(o, k)
        elif isinstance(obj, dict):
            for o in obj.values():
                refs(o, k)

    for k, s in enumerate(plan.steps):
        if s.kind == "host":
            refs(s.args, k)
            refs(s.kwargs, k)
            continue
        for v in s.ins:
            add(v, k)
        for _, _, v in s.dyn:
            add(v, k)
        if s.kind == "vjp":
            add(s.grad, k)
            add(s.ans, k)
            add(s.aux, k)
        if s.kind == "accum":
            add(s.grad, k)
    for kind, obj in plan.outputs:
        if kind == "tensor":
            add(obj, -1)
    return used


def fuse(plan: Any) -> list[Step | Kernel]:
    """The plan's steps with each run of two or more fusable steps of one shape and dtype
    (or one sum of three or more gradients) replaced by a Kernel."""
    used = _consumers(plan)
    items: list[Step | Kernel] = []
    run: list[int] = []

    def close() -> None:
        first = plan.steps[run[0]] if run else None
        single = len(run) == 1 and first.kind == "sum" and len(first.ins) > 2
        if len(run) < 2 and not single:  # one op gains nothing; a sum of 3+ saves temporaries
            items.extend(plan.steps[k] for k in run)
        else:
            items.append(_kernel(plan, [plan.steps[k] for k in run], set(run), used))
        run.clear()

    for k, s in enumerate(plan.steps):
        if _fusable(plan, s):
            shape = (plan.values[s.out].shape, plan.values[s.out].dtype)
            if run and (plan.values[plan.steps[run[0]].out].shape,
                        plan.values[plan.steps[run[0]].out].dtype) != shape:
                close()
            run.append(k)
            continue
        close()
        items.append(s)
    close()
    return items


def _kernel(plan: Any, steps: list[Step], members: set[int], used: dict[int, set[int]]) -> Kernel:
    made = {s.out for s in steps}
    shape = plan.values[steps[0].out].shape
    dtype = plan.values[steps[0].out].dtype
    nd = len(shape)
    ins: list[int] = []
    for s in steps:
        for v in s.ins:
            if v not in made and v not in ins:
                ins.append(v)
    outs = [s.out for s in steps if used.get(s.out, set()) - members or s is steps[-1]]
    idx = [f"i{d}" for d in range(nd)]
    names = {v: f"x{j}" for j, v in enumerate(ins)}
    body: list[str] = []
    for j, v in enumerate(ins):
        body.append(f"x{j} = a{j}[{_index(plan.values[v].shape, nd, idx)}]")
    zero = f"np.{dtype.name}(0)"
    for n, s in enumerate(steps):
        t = f"t{n}"
        if s.kind == "sum":
            args = [names[v] for v in s.ins]
            expr = args[0]
            for a in args[1:]:
                expr = f"({expr} + {a})"
        else:
            expr = EXPRESSIONS[s.prim.name].format(*(names[v] for v in s.ins), z=zero)
        body.append(f"{t} = {expr}")
        names[s.out] = t
    for j, v in enumerate(outs):
        body.append(f"o{j}[{', '.join(idx) if nd else '()'}] = {names[v]}")
    params = ", ".join([f"a{j}" for j in range(len(ins))] + [f"o{j}" for j in range(len(outs))])
    lines = ["import numpy as np", "from numba import njit", "",
             "@njit(cache=True, error_model='numpy', nogil=True)", f"def kernel({params}):"]
    pad = "    "
    for d in range(nd):
        lines.append(pad * (d + 1) + f"for i{d} in range(o0.shape[{d}]):")
    lines += [pad * (nd + 1) + b for b in body]
    return Kernel(steps, ins, outs, "\n".join(lines) + "\n")


def _index(shape: tuple[int, ...], nd: int, idx: list[str]) -> str:
    """Index of an operand of `shape` broadcast against `nd` loop indices (right-aligned)."""
    if not shape:
        return "()"
    lead = nd - len(shape)
    return ", ".join("0" if n == 1 else idx[lead + d] for d, n in enumerate(shape)) + (
        "," if len(shape) == 1 else ""
    )


def load(source: str) -> Callable[..., None]:
    """The compiled kernel for `source`: written once under its hash, imported, cached."""
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    kernel = _KERNELS.get(key)
    if kernel is None:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"fused_{key}.py"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(f"tracegrad_fused_{key}", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[spec.name] = module  # type: ignore[union-attr] - Numba's cache looks it up
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        kernel = _KERNELS[key] = module.kernel
    return kernel
