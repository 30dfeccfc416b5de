"""The replayable program built from a trace: value slots, one runner per step, guards.

Slot `S[v]` holds value `v`'s array during a replay: inputs and external arrays are read by
reference, step outputs are written by their step (into a preallocated buffer where the step
has one). A step's runner is a closure made once here, so a replay is a loop of calls with no
Tensor or Node made per op. VJPs run as the primitive's own VJP function on tensors that wrap
the slots (`W[v]`, made once), and each result is fitted to its input exactly as `backward`
does, so a replay computes what the eager step computes, bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode
from autograd.compiler.trace import Step, Tracer, Value, is_arg, is_ref
from autograd.compiler.verify import READ_CALLS, expand, short
from autograd.ops.shape import sum_to
from autograd.tensor import Tensor

# ops whose result can be a view of their first input (getitem: for a basic index)
VIEWS = frozenset({"reshape", "transpose", "broadcast_to", "getitem"})


class GuardFailed(Exception):
    """A replay found a value the trace read into Python changed."""

    def __init__(self, message: str, late: bool) -> None:
        super().__init__(message)
        self.late = late  # True once a host step or gradient accumulation already ran


def _wrap(arr: Any) -> Tensor:
    """A plain tensor over `arr` (None until the slot is first filled)."""
    t = Tensor(np.empty(0))
    t.data = arr
    return t


class Plan:
    """Steps in trace order (already topological) with their slots and runners."""

    def __init__(self, tracer: Tracer, outputs: list[tuple[str, Any]], treedef: Any) -> None:
        self.values: list[Value] = tracer.values
        self.steps: list[Step] = expand(tracer)
        self.outputs = outputs
        self.treedef = treedef
        n = len(self.values)
        self.S: list[Any] = [None] * n
        self.W: list[Tensor | None] = [None] * n
        self.inputs = [v.vid for v in self.values if v.kind == "input"]
        self.exts = [(v.tensor, v.array) for v in self.values if v.kind == "ext"]
        for v in self.values:
            if v.kind in ("ext", "const"):
                self.S[v.vid] = v.array
        returned = {obj for kind, obj in outputs if kind == "read"}
        self.guards = [s for s in self.steps if s.kind == "read" and id(s) not in returned]
        self.buffers: dict[int, np.ndarray] = {}  # preallocated outputs, reused every replay
        self.grad_buffers: dict[int, np.ndarray] = {}  # parameters' .grad arrays, by accum out
        self.groups: list[Any] = []  # what the plan runs, in order: Steps and fused kernels
        self.runners: list[Callable[[list[Any]], None]] = []  # one per group not made once
        self.live: list[int] = []  # the group each runner runs (for its time per call)
        self.made_once: set[int] = set()  # groups whose views were made at build time
        # values whose array is the same object in every replay: parameters, constants,
        # buffers, and views of those
        self.fixed = {v.vid for v in self.values if v.kind in ("ext", "const")}
        from autograd.compiler.fuse import Kernel, fuse

        for item in fuse(self):
            self.groups.append(item)
            if isinstance(item, Kernel):
                run = item.runner(self)
            elif self._view_once(item):
                self.made_once.add(len(self.groups) - 1)
                continue
            else:
                run = self._runner(item)
            self.fixed.update(self.buffers)
            self.runners.append(run)
            self.live.append(len(self.groups) - 1)
        self.times = [0.0] * len(self.groups)
        self.timed = 0
        self.calls = 0

    # ----- building -----

    def buffer(self, vid: int) -> np.ndarray:
        """Value `vid`'s buffer: allocated here once, rewritten in place by every replay."""
        buf = self.buffers.get(vid)
        if buf is None:
            v = self.values[vid]
            # the memory order NumPy gave the traced array, so that later reductions and
            # BLAS calls see the same strides (and sum in the same order) as in eager mode
            like = v.array if isinstance(v.array, np.ndarray) else np.empty(v.shape, v.dtype)
            buf = self.buffers[vid] = self.S[vid] = np.empty_like(like)
        return buf

    def wrapper(self, vid: int) -> Tensor:
        """The tensor VJPs and host steps see for value `vid` (its `.data` set per replay)."""
        w = self.W[vid]
        if w is None:
            w = self.W[vid] = _wrap(self.S[vid])
        return w

    def _view_once(self, s: Step) -> bool:
        """Make `s`'s result now and never again when it is a view (a reshape, transpose or
        broadcast) of arrays that stay the same objects in every replay; True if it was."""
        if s.kind != "op" or s.prim.name not in VIEWS or s.dyn or s.aux is not None:
            return False
        if not s.ins or not self.all_fixed(s.ins):
            return False
        if any(c is not None for c in s.casts):
            return False
        r = s.prim.forward(*[self.S[i] for i in s.ins], **s.params)
        if not isinstance(r, np.ndarray) or _root(r) is not _root(self.S[s.ins[0]]):
            return False
        self.S[s.out] = r
        self.fixed.add(s.out)
        return True

    def all_fixed(self, vids: list[int | None]) -> bool:
        """Whether every value of `vids` (None: no array) is the same array object in every
        replay, so a call bound to those arrays now stays valid."""
        return all(v is None or v in self.fixed for v in vids)

    def bound(self, bind: Any, out: Any, vids: list[int | None], params: dict[str, Any]) -> Any:
        """`bind(out, *arrays, **params)` on the arrays of `vids` when all are fixed: the call
        it returns, as a runner; None when they are not or it has no shortcut."""
        if bind is None or not self.all_fixed(vids):
            return None
        call = bind(out, *[None if v is None else self.S[v] for v in vids], **params)
        return None if call is None else (lambda S: call())

    def _runner(self, s: Step) -> Callable[[list[Any]], None]:
        return getattr(self, f"_run_{s.kind}")(s)

    def _run_op(self, s: Step) -> Callable[[list[Any]], None]:
        forward, params, ins, out, aux = s.prim.forward, s.params, s.ins, s.out, s.aux
        casts = s.casts if any(c is not None for c in s.casts) else None
        dynamic = s.dyn
        into = s.prim.into
        if into is not None and casts is None:
            return self._run_into(s, into)

        def run(S: list[Any]) -> None:
            kw = _params(params, dynamic, S) if dynamic else params
            arrs = [None if i is None else S[i] for i in ins]
            if casts is not None:
                arrs = [a if c is None else a.astype(c) for a, c in zip(arrs, casts, strict=True)]
            r = forward(*arrs, **kw)
            if aux is not None:
                r, S[aux] = r
            S[out] = r if isinstance(r, np.ndarray) else np.asarray(r)

        return run

    def _run_into(self, s: Step, into: Callable[..., None]) -> Callable[[list[Any]], None]:
        """An op written by its primitive's `into` variant into the step's buffer."""
        params, ins, dynamic = s.params, s.ins, s.dyn
        buf: Any = self.buffer(s.out)
        if s.aux is not None:
            buf = (buf, self.buffer(s.aux))
        bound = None if dynamic else self.bound(s.prim.bind, buf, ins, params)
        if bound is not None:
            return bound

        def run(S: list[Any]) -> None:
            kw = _params(params, dynamic, S) if dynamic else params
            into(buf, *[None if i is None else S[i] for i in ins], **kw)

        return run

    def _run_sum(self, s: Step) -> Callable[[list[Any]], None]:
        first, second, *rest = s.ins
        acc = self.buffer(s.out)

        def run(S: list[Any]) -> None:
            np.add(S[first], S[second], out=acc)
            for i in rest:
                np.add(acc, S[i], out=acc)

        return run

    def _run_vjp(self, s: Step) -> Callable[[list[Any]], None]:
        intos = s.prim.vjp_intos
        if s.index < len(intos) and intos[s.index] is not None and s.aux is None:
            return self._run_vjp_into(s, intos[s.index])
        vjp = s.prim.vjp_for(s.index)
        params, aux, out, dynamic = s.params, s.aux, s.out, s.dyn
        shape, dtype = s.fit
        tensors = [self.wrapper(v) for v in (s.grad, s.ans)]
        tensors += [None if i is None else self.wrapper(i) for i in s.ins]
        vids = [s.grad, s.ans, *s.ins]
        pairs = [(t, v) for t, v in zip(tensors, vids, strict=True) if t is not None]

        def run(S: list[Any]) -> None:
            for t, v in pairs:
                t.data = S[v]
            kw = _params(params, dynamic, S) if dynamic else params
            if aux is not None:
                kw = {**kw, "aux": S[aux]}
            gi = vjp(*tensors, **kw)
            if not isinstance(gi, Tensor):
                gi = Tensor(np.asarray(gi))
            if gi.shape != shape:
                gi = sum_to(gi, shape=shape)
            arr = gi.data
            S[out] = arr if arr.dtype == dtype else arr.astype(dtype)

        return run

    def _run_vjp_into(self, s: Step, into: Callable[..., None]) -> Callable[[list[Any]], None]:
        """A VJP written by its registered `into` variant into the step's buffer."""
        params, dynamic, vids = s.params, s.dyn, [s.grad, s.ans, *s.ins]
        buf = self.buffer(s.out)
        binds = s.prim.vjp_binds
        bind = binds[s.index] if s.index < len(binds) else None
        bound = None if dynamic else self.bound(bind, buf, vids, params)
        if bound is not None:
            return bound

        def run(S: list[Any]) -> None:
            kw = _params(params, dynamic, S) if dynamic else params
            into(buf, *[None if v is None else S[v] for v in vids], **kw)

        return run

    def _run_accum(self, s: Step) -> Callable[[list[Any]], None]:
        where, what = s.target
        gvid, out = s.grad, s.out
        fixed = what if where == "ext" else None  # a parameter, else the call's input `what`
        # A parameter's `.grad` set from None gets this step's buffer: the next replay rewrites
        # it in place (as zero_grad(set_to_none=False) would) instead of copying into a new
        # array. A call input's `.grad` stays a copy: the caller keeps its inputs.
        buf = None
        if fixed is not None:
            buf = self.grad_buffers[out] = np.empty_like(self.values[gvid].array)
        held = [Tensor(np.empty(0))]  # the tensor over `buf` given as `.grad` (made once)

        def run(S: list[Any]) -> None:
            t = fixed if fixed is not None else self.call_inputs[what]
            g = S[gvid]
            if t.grad is None:
                if buf is None:
                    t.grad = Tensor(np.array(g, copy=True))
                else:
                    np.copyto(buf, g)
                    grad = held[0]
                    if grad.data is not buf or grad.grad_fn is not None or grad._hooks:
                        grad = held[0] = Tensor(buf)  # first replay, or the user changed it
                    t.grad = grad
            elif t.grad.grad_fn is not None:
                t.grad = t.grad + Tensor(g)
            else:
                t.grad.data += g
            S[out] = t.grad.data

        return run

    def _run_host(self, s: Step) -> Callable[[list[Any]], None]:
        fn, out, outs = s.fn, s.out, s.ins
        refs: list[tuple[Tensor, int]] = []

        def build(obj: Any) -> Any:
            if is_ref(obj):
                w = self.wrapper(obj.vid)
                refs.append((w, obj.vid))
                return w
            if isinstance(obj, (list, tuple)):
                return type(obj)(build(o) for o in obj)
            if isinstance(obj, dict):
                return {k: build(v) for k, v in obj.items()}
            return obj

        args, kwargs = build(s.args), build(s.kwargs)
        arg_pos = _arg_positions(args)

        def run(S: list[Any]) -> None:
            for w, v in refs:
                w.data = S[v]
            a = args
            if arg_pos:
                a = list(args)
                for pos, k in arg_pos:
                    a[pos] = self.call_inputs[k]
            r = fn(*a, **kwargs)
            if out is not None:
                S[out] = _array(r)
            elif outs:
                for v, x in zip(outs, r, strict=True):
                    S[v] = _array(x)

        return run

    def _run_read(self, s: Step) -> Callable[[list[Any]], None]:
        vid, kind, then = s.ins[0], s.params["kind"], s.value
        guard = s in self.guards
        index = self.steps.index(s)
        late = any(p.kind in ("host", "accum") for p in self.steps[:index])

        def run(S: list[Any]) -> None:
            arr = S[vid]
            now = _read(arr, kind)
            self.read_values[id(s)] = now
            if guard and not _same(now, then):
                raise GuardFailed(
                    f"the value read by {READ_CALLS[kind]} changed from {short(then)} to "
                    f"{short(now)}",
                    late,
                )

        return run

    # ----- running -----

    def stale(self) -> str | None:
        """Why the plan no longer fits the state it reads (a parameter's array replaced)."""
        for t, arr in self.exts:
            if t is not None and t.data is not arr:
                return (
                    f"a parameter or buffer of shape {arr.shape} was given a new array since "
                    "the trace"
                )
        return None

    def run(self, inputs: list[Tensor]) -> Any:
        """Replay on `inputs` (the call's tensors, in the trace's order); return fn's result."""
        S = self.S
        self.call_inputs = inputs
        self.read_values: dict[int, Any] = {}
        for vid, t in zip(self.inputs, inputs, strict=True):
            S[vid] = t.data
        with mode.no_grad():
            if 1 <= self.calls <= 3:  # time replays 2-4 (the first one compiles the kernels)
                times = self.times
                for k, r in zip(self.live, self.runners, strict=True):
                    start = time.perf_counter()
                    r(S)
                    times[k] += time.perf_counter() - start
                self.timed += 1
            else:
                for r in self.runners:
                    r(S)
        self.calls += 1
        return self._result()

    def _result(self) -> Any:
        from autograd.tree import unflatten

        leaves = []
        for kind, obj in self.outputs:
            if kind == "tensor":  # a copy: the array may be (a view of) a reused buffer
                leaves.append(Tensor(np.array(self.S[obj], copy=True)))
            elif kind == "read":
                leaves.append(self.read_values[obj])
            else:
                leaves.append(obj)
        return unflatten(self.treedef, leaves)

    def owns(self, vid: int) -> bool:
        """Whether value `vid` lives in a buffer the next replay overwrites in place."""
        return vid in self.buffers or vid in self.grad_buffers

    def __str__(self) -> str:
        from autograd.compiler.show import describe_plan

        return describe_plan(self)

    def __repr__(self) -> str:
        return f"<compiled plan: {len(self.runners)} kernels over {len(self.steps)} steps>"


def _params(params: dict[str, Any], dynamic: list, S: list[Any]) -> dict[str, Any]:
    """`params` with each array taken from the trace replaced by its value's current array."""
    new = dict(params)
    for key, pos, vid in dynamic:
        if pos is None:
            new[key] = S[vid]
        else:
            new[key] = (*new[key][:pos], S[vid], *new[key][pos + 1 :])
    return new


def _root(arr: np.ndarray) -> Any:
    """The array that owns `arr`'s memory (`arr` itself unless it is a view)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr if arr.base is None else arr.base


def _array(r: Any) -> np.ndarray:
    return r.data if isinstance(r, Tensor) else r


def _arg_positions(args: Any) -> list[tuple[int, int]]:
    return [(i, a.k) for i, a in enumerate(args) if is_arg(a)] if isinstance(args, tuple) else []


def _read(arr: np.ndarray, kind: str) -> Any:
    if kind == "item":
        return arr.item()
    if kind == "bool":
        return bool(arr)
    if kind == "tolist":
        return arr.tolist()
    return np.array(arr, copy=True)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    return a == b or (a != a and b != b)


