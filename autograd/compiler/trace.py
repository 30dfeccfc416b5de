"""Record one eager run of a function as a flat list of steps over numbered values.

The tracer listens where the engine already reports: every `apply` (observers), the start and
end of each node's VJPs during `backward` (a gradient hook on each op output, and
`engine.backward_observers`), each leaf's final gradient (a hook on the leaf), host steps
(`host.host_step`) and value reads (`tensor.read_observers`). A value is a number standing for
one array: an input of the call, an external array read by reference (a parameter, a buffer, a
constant), or the output of a step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import engine, mode, registry, scope
from autograd import tensor as tensor_mod
from autograd.compiler import host as host_mod
from autograd.registry import Primitive
from autograd.tensor import Tensor


class Untraceable(RuntimeError):
    """The function did something a replay could not repeat faithfully."""

    result: Any = None  # what the eager call returned (it is never run a second time)


def _listener(method: Callable[..., Any]) -> Callable[..., Any]:
    """A tracer callback: once the trace failed it does nothing, and a failure inside it is
    noted instead of raised, so the eager call always runs to its end exactly once."""

    def listen(self: Tracer, *args: Any) -> Any:
        if self.failure is not None:
            return None
        try:
            return method(self, *args)
        except Untraceable as exc:
            self.failure = str(exc)
            return None

    listen.__name__ = method.__name__
    listen.__doc__ = method.__doc__
    return listen


class Value:
    """One array of the trace: where it comes from, its shape and dtype."""

    __slots__ = ("vid", "kind", "array", "tensor", "shape", "dtype", "version")

    def __init__(self, vid: int, kind: str, array: Any, tensor: Tensor | None = None) -> None:
        self.vid = vid
        self.kind = kind  # "input", "ext" (read by reference), "const" (a copy), "step", "aux"
        self.array = array
        self.tensor = tensor
        self.shape = getattr(array, "shape", None)
        self.dtype = getattr(array, "dtype", None)
        self.version = tensor._vbox[0] if tensor is not None else 0


class Step:
    """One recorded step; `kind` says which fields are used."""

    __slots__ = (
        "kind", "prim", "params", "ins", "casts", "out", "aux", "index", "grad", "ans",
        "fit", "fn", "args", "kwargs", "value", "target", "module", "dyn", "block", "vjp_of",
    )

    def __init__(self, kind: str, **fields: Any) -> None:
        self.kind = kind  # "op", "sum", "vjp", "accum", "host", "read"
        self.ins: list[int | None] = []
        self.out: int | None = None
        self.aux: int | None = None
        self.prim: Primitive | None = None
        self.params: dict[str, Any] = {}
        self.module: str | None = None
        self.dyn: list[tuple[str, int | None, int]] = []  # array parameters taken from values
        self.block: int | None = None  # the VJP block an op recorded inside a VJP belongs to
        self.vjp_of: str | None = None  # for such an op: the primitive whose VJP ran it
        for k, v in fields.items():
            setattr(self, k, v)


def _casts(tensors: tuple[Tensor | None, ...]) -> list[Any]:
    """The dtype `apply` casts each input to before the forward (a 0-d float beside a
    dimensioned float of another dtype takes that dtype), None where it passes it as is."""
    casts: list[Any] = [None] * len(tensors)
    if len(tensors) == 2 and tensors[0] is not None and tensors[1] is not None:
        x, y = tensors[0].data, tensors[1].data
        if x.dtype != y.dtype and x.dtype.kind == y.dtype.kind == "f" and (
            (x.ndim == 0) != (y.ndim == 0)
        ):
            if x.ndim == 0:
                casts[0] = y.dtype
            else:
                casts[1] = x.dtype
    return casts


class Tracer:
    """Runs `fn` eagerly once and records its steps (`values`, `steps`, `outputs`)."""

    def __init__(self) -> None:
        self.values: list[Value] = []
        self.steps: list[Step] = []
        self.by_id: dict[int, int] = {}  # id(ndarray) -> value
        self.keep: list[Any] = []  # every array seen, alive so that ids are not reused
        self.inputs: list[Tensor] = []
        self.node_step: dict[Any, Step] = {}
        self.contrib: dict[Any, list[int]] = {}
        self.pending_leaves: list[tuple[Tensor, int]] = []
        self.hooked: set[int] = set()
        self.removers: list[Callable[[], None]] = []
        self.in_vjp: Any = None
        self.vjp_grad: Any = None
        self.suspended = 0
        self.reads: list[Step] = []
        self.exts: list[Value] = []
        self.ext_versions: dict[int, int] = {}
        self.failure: str | None = None
        self.vjp_ops: list[Step] = []
        self.vjp_gvid: int | None = None
        # block -> the node's VJPs as opaque calls writing the same values as its inline ops
        self.blocks: list[list[Step]] = []
        self.opaque: set[int] = set()  # blocks whose inline ops read a changing constant

    # ----- values -----

    def _new(self, kind: str, array: Any, tensor: Tensor | None = None) -> int:
        v = Value(len(self.values), kind, array, tensor)
        self.values.append(v)
        if isinstance(array, np.ndarray):
            self.by_id[id(array)] = v.vid
            self.keep.append(array)
        return v.vid

    def _vid(self, t: Tensor) -> int:
        """The value a tensor's data is; an unseen array is external (read by reference)."""
        arr = t.data
        vid = self.by_id.get(id(arr))
        if vid is None:
            vid = self._new("ext", arr, t)
            self.exts.append(self.values[vid])
            self.ext_versions[vid] = t._vbox[0]
            return vid
        v = self.values[vid]
        if v.kind == "step" and v.tensor is not None and v.tensor._vbox is t._vbox and (
            t._vbox[0] != v.version
        ):
            raise Untraceable(
                f"a tensor of shape {v.shape} made by the traced function was modified in "
                "place; ag.compile replays only out-of-place ops on intermediates"
            )
        return vid

    def _check_exts(self) -> None:
        """An external tensor changed outside a host step (an in-place op on a parameter
        under no_grad, say) would not be changed by the replay: refuse it."""
        for v in self.exts:
            t = v.tensor
            if t is not None and t._vbox[0] != self.ext_versions[v.vid]:
                raise Untraceable(
                    f"the traced function modified a tensor of shape {v.shape} it did not make "
                    "(an in-place op outside an optimizer step); ag.compile cannot replay that"
                )

    def _flush(self) -> None:
        """Leaf gradients accumulated since the last event: their arrays are now known."""
        for t, vid in self.pending_leaves:
            v = self.values[vid]
            v.array = t.grad.data  # type: ignore[union-attr]
            v.shape, v.dtype = v.array.shape, v.array.dtype
            self.by_id[id(v.array)] = vid
            self.keep.append(v.array)
        self.pending_leaves.clear()


    # ----- listeners -----

    @_listener
    def on_op(self, node: Any, result: Tensor) -> None:
        """An `apply`: a forward op, unless it runs inside a node's VJP or a host step."""
        if self.suspended:
            return
        inside = self.in_vjp is not None
        if not inside:
            self._flush()
        tensors = node.inputs
        ins = [None if t is None else self._vid(t) for t in tensors]
        out = self._new("step", result.data, result)
        step = Step(
            "op", prim=node.prim, params=node.params, ins=ins, casts=_casts(tensors), out=out,
            module=node.module, dyn=self._array_params(node.params),
        )
        if node.prim.has_aux:
            step.aux = self._new("aux", node.aux)
        if inside:  # an op of a VJP: inlined if the VJP turns out to be made of ops only
            step.vjp_of, step.module = self.in_vjp.prim.name, self.in_vjp.module
            self.vjp_ops.append(step)
            return
        self.steps.append(step)
        self.node_step[node] = step
        if result.requires_grad and result.grad_fn is node:
            self.removers.append(result.register_hook(self._vjp_hook(node, result)))
        for t in tensors:
            if (
                t is not None and t.requires_grad and t.grad_fn is None
                and id(t) not in self.hooked
            ):
                self.hooked.add(id(t))
                self.keep.append(t)
                self.removers.append(t.register_hook(self._leaf_hook(t)))

    def _array_params(self, params: dict[str, Any]) -> list[tuple[str, int | None, int]]:
        """Parameters that are (or hold, in a tuple) arrays of the trace, such as an index
        taken from an input: `(key, position in the tuple or None, value)`; the replay passes
        that value's current array."""
        found: list[tuple[str, int | None, int]] = []
        for key, p in params.items():
            items = enumerate(p) if isinstance(p, tuple) else [(None, p)]
            for pos, a in items:
                if isinstance(a, np.ndarray):
                    vid = self.by_id.get(id(a))
                    if vid is not None and self.values[vid].kind in ("input", "step", "aux"):
                        found.append((key, pos, vid))
        return found

    def _vjp_hook(self, node: Any, out: Tensor) -> Callable[[Tensor], None]:
        @_listener
        def entering(self: Tracer, g: Tensor) -> None:
            if self.suspended:
                return
            if out._hooks != [hook]:
                raise Untraceable("a tensor hook changes a gradient inside the traced function")
            if mode.is_grad_enabled():
                raise Untraceable("backward(create_graph=True) is not replayable by ag.compile")
            self._flush()
            if node.prim.vjp_intos and self in registry.tensor_vjps:
                # VJPs with a write-into variant run as calls of it (on arrays), not inline
                registry.tensor_vjps.remove(self)
            self.in_vjp, self.vjp_grad = node, g
            self.vjp_gvid = self._sum(self.contrib.pop(node, None), g)
            self.vjp_ops = []

        def hook(g: Tensor) -> None:
            entering(self, g)

        return hook

    @_listener
    def on_vjp(self, node: Any, g: Tensor, grads_in: list[Tensor | None]) -> None:
        """A node's VJPs ran: record them as one step per input that got a gradient."""
        if self.suspended:
            return
        if self.in_vjp is not node or self.vjp_grad is not g:
            raise Untraceable(
                f"the gradient reaching {node.backward_name} was changed by a tensor hook or "
                "came from a graph built outside the traced function"
            )
        self.in_vjp = self.vjp_grad = None
        if self not in registry.tensor_vjps:
            registry.tensor_vjps.append(self)
        fwd = self.node_step.get(node)
        if fwd is None:
            raise Untraceable(
                f"backward reached {node.backward_name}, made outside the traced function"
            )
        gvid, inner = self.vjp_gvid, self.vjp_ops
        self.vjp_ops = []
        made = {s.out for s in inner}
        outs = [None if gi is None else self.by_id.get(id(gi.data)) for gi in grads_in]
        inline = all(  # each gradient made by the VJPs' ops, or a value made before (g)
            gi is None or o in made or (
                o is not None and self.values[o].kind in ("step", "input", "aux")
            )
            for o, gi in zip(outs, grads_in, strict=True)
        ) and any(gi is not None for gi in grads_in)
        calls = []
        for i, gi in enumerate(grads_in):
            if gi is None:
                continue
            inp = node.inputs[i] if node.inputs is not None else None
            out = outs[i] if inline else self._new("step", gi.data, None)
            calls.append(Step(
                "vjp", prim=node.prim, params=node.params, index=i, grad=gvid, ans=fwd.out,
                ins=fwd.ins, aux=fwd.aux, out=out,
                fit=(gi.shape, gi.dtype) if inp is None else (inp.shape, inp.dtype),
                module=fwd.module, dyn=fwd.dyn,
            ))
            self.contrib.setdefault(node.edges[i], []).append(out)
        if inline:  # the VJPs' own ops; `calls` stays the fallback (see `changing_constant`)
            for op in inner:
                op.block = len(self.blocks)
            self.blocks.append(calls)
            self.steps += inner
        else:
            self.steps += calls

    def _sum(self, parts: list[int] | None, g: Tensor) -> int:
        """The value of a gradient the engine summed from `parts` (None: a backward root)."""
        if parts is None:  # the seed: `gradient=` or ones; a tensor made by a step stays one
            vid = self.by_id.get(id(g.data))
            if vid is None:
                vid = self._new("const", np.array(g.data, copy=True))
                self.by_id[id(g.data)] = vid  # the VJPs' ops read the engine's own array
                self.keep.append(g.data)
            return vid
        if len(parts) == 1:
            return parts[0]
        out = self._new("step", g.data, None)
        self.steps.append(Step("sum", ins=list(parts), out=out))
        return out

    def _leaf_hook(self, t: Tensor) -> Callable[[Tensor], None]:
        @_listener
        def reaching(self: Tracer, g: Tensor) -> None:
            if self.suspended:
                return
            self._flush()
            parts = self.contrib.pop(t, None)
            if parts is None or t._hooks != [reached]:
                raise Untraceable("a tensor hook changes a leaf gradient in the traced function")
            gvid = self._sum(parts, g)
            target = next((k for k, x in enumerate(self.inputs) if x is t), None)
            out = self._new("step", None, None)
            self.steps.append(Step(
                "accum", grad=gvid, out=out, target=("input", target) if target is not None
                else ("ext", t),
            ))
            self.pending_leaves.append((t, out))

        def reached(g: Tensor) -> None:
            reaching(self, g)

        return reached

    def host(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        """A host step: run it eagerly, recording its tensor arguments and its result."""
        self._flush()
        self._check_exts()  # (checked here and at the end, not per op: O(ops * state) else)
        step = Step(
            "host", fn=fn, args=self._template(args), kwargs=self._template(kwargs),
        )
        self.steps.append(step)
        self.suspended += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            self.suspended -= 1
        for v in self.exts:  # what the host step changed in place it changes on replay too
            if v.tensor is not None:
                self.ext_versions[v.vid] = v.tensor._vbox[0]
        if isinstance(result, (Tensor, np.ndarray)):
            step.out = self._result(result)
        elif isinstance(result, tuple) and result and all(
            isinstance(r, (Tensor, np.ndarray)) for r in result
        ):
            step.ins = [self._result(r) for r in result]
        else:
            step.value = result
        return result

    def _result(self, r: Tensor | np.ndarray) -> int:
        return self._new("step", r.data, r) if isinstance(r, Tensor) else self._new("step", r)

    def _template(self, obj: Any) -> Any:
        """Arguments of a host step: tensors made by steps (or inputs) become value refs."""
        if isinstance(obj, Tensor):
            k = next((k for k, x in enumerate(self.inputs) if x is obj), None)
            if k is not None:
                return _Arg(k)
            vid = self.by_id.get(id(obj.data))
            if vid is not None and self.values[vid].kind == "step":
                return _Ref(vid)
            return obj
        if isinstance(obj, (list, tuple)):
            return type(obj)(self._template(o) for o in obj)
        if isinstance(obj, dict):
            return {k: self._template(v) for k, v in obj.items()}
        return obj

    @_listener
    def on_read(self, t: Tensor, kind: str, value: Any) -> None:
        """A value read into Python: the replay re-reads it and checks it is unchanged."""
        if self.suspended or self.in_vjp is not None:
            return
        self._flush()
        step = Step("read", ins=[self._vid(t)], value=_copy(value), params={"kind": kind})
        step.fn = value  # the very object handed to the caller (to spot it in the result)
        self.steps.append(step)
        self.reads.append(step)

    # ----- running -----

    def run(self, fn: Callable[..., Any], args: tuple, kwargs: dict,
            inputs: list[Tensor]) -> Any:
        """Call `fn` eagerly with every listener attached; return its result."""
        self.inputs = inputs
        for t in inputs:
            self._new("input", t.data, t)
        obs = scope.observers()
        obs.append(self.on_op)
        engine.backward_observers.append(self.on_vjp)
        tensor_mod.read_observers.append(self.on_read)
        host_mod.active.append(self)
        registry.tensor_vjps.append(self)
        try:
            with mode.enable_grad():
                result = fn(*args, **kwargs)
            if self.failure is None:
                try:
                    self._flush()
                    self._check_exts()
                except Untraceable as exc:
                    self.failure = str(exc)
        finally:
            obs.remove(self.on_op)
            engine.backward_observers.remove(self.on_vjp)
            tensor_mod.read_observers.remove(self.on_read)
            host_mod.active.remove(self)
            if self in registry.tensor_vjps:
                registry.tensor_vjps.remove(self)
            for remove in self.removers:
                remove()
        if self.failure is None and self.in_vjp is not None:
            self.failure = "backward stopped inside a VJP"
        if self.failure is not None:
            exc = Untraceable(self.failure)
            exc.result = result
            raise exc
        return result

    def output(self, t: Tensor) -> int:
        """The value a returned tensor is."""
        return self._vid(t)


class _Arg:
    """Host-step argument: the call's k-th tensor input."""

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k


class _Ref:
    """Host-step argument: a tensor over a value of the plan."""

    __slots__ = ("vid",)

    def __init__(self, vid: int) -> None:
        self.vid = vid


def _copy(value: Any) -> Any:
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def is_arg(obj: Any) -> bool:
    """Whether a host template entry stands for a call input."""
    return isinstance(obj, _Arg)


def is_ref(obj: Any) -> bool:
    """Whether a host template entry stands for a value of the plan."""
    return isinstance(obj, _Ref)

