"""The op-agnostic engine: `apply` records a Node per op, `backward` runs the VJPs in reverse.

Every recorded op becomes a `Node` holding its primitive, its input Tensors, its parameters
and the versions of what it saved. `backward` walks the graph iteratively (no recursion, so a
100,000-op chain is fine), sums each gradient back to its input's shape once per edge,
accumulates into leaves and frees saved tensors unless `retain_graph=True`.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import error_record, mode, scope
from autograd.errors import DTypeError, ShapeError, describe
from autograd.ops.shape import sum_to
from autograd.registry import Primitive
from autograd.tensor import Tensor, as_array_like, get_default_dtype

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)

# Callbacks `(node, grad_out, grads_in)` run after each node's VJPs (viz step-through).
backward_observers: list[Callable[[Node, Tensor, list[Tensor | None]], None]] = []


class _OpName(str):
    """An op's name (`"matmul"`) that, called as torch's `grad_fn.name()`, gives `MmBackward0`."""

    __slots__ = ()

    def __call__(self) -> str:
        return torch_backward_name(str(self))


class Node:
    """One recorded op: primitive, inputs, parameters, and what backward needs."""

    __slots__ = (
        "prim",
        "inputs",
        "params",
        "aux",
        "versions",
        "out_version",
        "module",
        "location",
        "stack",
        "freed",
        "meta",
        "edges",
        "snap",
        "__weakref__",
    )

    def __init__(
        self,
        prim: Primitive,
        inputs: tuple[Tensor | None, ...],
        params: dict[str, Any],
        aux: Any,
        out: Tensor,
    ) -> None:
        self.prim = prim
        self.inputs: tuple[Tensor | None, ...] | None = inputs
        self.params = params
        self.aux = aux
        versions = []
        edges: list[Node | Tensor | None] = []
        for t in inputs:
            if t is None:
                versions.append(0)
                edges.append(None)
                continue
            versions.append(t._vbox[0])
            if not t.requires_grad:
                edges.append(None)
            elif t.grad_fn is None:
                edges.append(t)  # a leaf: its gradient is accumulated into it
            else:
                gf = t.grad_fn
                if gf.out_version != t._vbox[0] and t._view is not None:
                    from autograd.inplace import refresh_view

                    gf = refresh_view(t)  # a view whose base changed in place since
                edges.append(gf)
        self.versions = tuple(versions)
        # What each input was made by *now*: an in-place op later repoints the Python object
        # at a new node, but this node keeps the value it read (PyTorch's edges).
        self.edges: tuple[Node | Tensor | None, ...] = tuple(edges)
        self.snap: Tensor | None = None  # this node's output once an in-place op replaced it
        self.out_version = out._vbox[0]
        self.module = scope.current_module_path()
        self.location: str | None = None
        self.stack: list[str] | None = None
        self.freed = False
        self.meta: dict[str, Any] | None = None

    @property
    def name(self) -> _OpName:
        """The primitive's name, e.g. `matmul`; called, torch's `grad_fn.name()`: `MmBackward0`."""
        return _OpName(self.prim.name)

    @property
    def backward_name(self) -> str:
        """tracegrad's name of this node's backward, e.g. `ExpBackward` (used in messages)."""
        return "".join(p.capitalize() for p in self.prim.name.split("_")) + "Backward"

    def torch_name(self) -> str:
        """PyTorch's class name for this node, e.g. `MulBackward0` (`grad_fn.name()` in torch)."""
        return torch_backward_name(self.prim.name)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """`((node_or_AccumulateGrad_or_None, 0), ...)` per input, as torch's grad_fn has."""
        return tuple(
            (AccumulateGrad(e) if isinstance(e, Tensor) else e, 0) for e in self.edges
        )

    def output_of(self, t: Tensor) -> Tensor:
        """This node's output tensor given `t`, the input that an edge to this node came with."""
        return t if t.grad_fn is self or self.snap is None else self.snap

    def release(self) -> None:
        """Drop saved tensors so memory is returned after backward."""
        self.inputs = None
        self.aux = None
        self.freed = True

    def __repr__(self) -> str:
        return f"<{self.torch_name()} ({self.prim.name}){' (freed)' if self.freed else ''}>"


class AccumulateGrad:
    """The node torch shows for a leaf in `next_functions`; `.variable` is the leaf."""

    __slots__ = ("variable",)
    next_functions: tuple[tuple[Any, int], ...] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


# PyTorch's grad_fn class names where they differ from `<CamelCaseName>Backward0`.
TORCH_NAMES: dict[str, str] = {
    "multiply": "MulBackward0",
    "subtract": "SubBackward0",
    "divide": "DivBackward0",
    "power": "PowBackward0",
    "negative": "NegBackward0",
    "matmul": "MmBackward0",
    "getitem": "IndexBackward0",
    "setitem": "CopySlices",
    "copy_into": "CopyBackwards",
    "reshape": "ViewBackward0",
    "transpose": "PermuteBackward0",
    "absolute": "AbsBackward0",
    "clip": "ClampBackward1",
    "astype": "ToCopyBackward0",
    "broadcast_to": "ExpandBackward0",
    "expand_dims": "UnsqueezeBackward0",
    "concatenate": "CatBackward0",
    "divide_rounded": "DivBackward1",
}


def torch_backward_name(op: str) -> str:
    """`multiply` -> `MulBackward0`: the table above, else CamelCase + `Backward0`."""
    name = TORCH_NAMES.get(op)
    if name is None:
        name = "".join(p.capitalize() for p in op.split("_")) + "Backward0"
    return name


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _scalar_dtype(a: Any) -> np.dtype | None:
    """PyTorch's dtype for a Python scalar on its own; None for anything else."""
    if isinstance(a, bool):
        return np.dtype(np.bool_)
    if isinstance(a, int):
        return np.dtype(np.int64)
    if isinstance(a, float):
        return get_default_dtype()
    if isinstance(a, complex):
        return np.dtype(np.complex64 if get_default_dtype() == np.float32 else np.complex128)
    return None


def _result_dtype(args: Sequence[Any]) -> np.dtype | None:
    """torch.result_type: dimensioned tensors > zero-dim tensors > Python scalars, a weaker
    group deciding only when its category (bool < int < float < complex) is higher."""
    dims = zeros = scalars = None
    for a in args:
        data = a.data if isinstance(a, Tensor) else a
        if isinstance(data, np.ndarray):
            if data.ndim:
                dims = data.dtype if dims is None else np.promote_types(dims, data.dtype)
            else:
                zeros = data.dtype if zeros is None else np.promote_types(zeros, data.dtype)
        elif a is not None:
            d = _scalar_dtype(a)
            if d is None:
                return None  # lists and other array-likes: NumPy's rules
            if scalars is None or _CATEGORY[d.kind] > _CATEGORY[scalars.kind]:
                scalars = d
    result = dims
    for weaker in (zeros, scalars):
        if weaker is not None and (
            result is None or _CATEGORY[weaker.kind] > _CATEGORY[result.kind]
        ):
            result = weaker
    return result


def _promote(args: Sequence[Any]) -> tuple[tuple[Tensor | None, ...], list[Any]]:
    """Wrap every argument as a Tensor and apply PyTorch's promotion to scalars and 0-d tensors.

    Python scalars take the result dtype (`int_tensor * 1.5` is float32, `x32 * 2.0` stays
    float32) and so do operands of a lower category than it; a zero-dim float tensor does not
    promote a dimensioned float tensor (`x32 * ag.tensor(2.0, dtype=float64)` is float32).
    """
    arrays: list[Any] = []
    plain = True
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a.data)
        elif a is None:
            arrays.append(None)
        else:
            plain = False
            break
    if plain:  # the common case: only Tensors (and None)
        if len(arrays) == 2 and arrays[1] is not None and arrays[0] is not None:
            x, y = arrays
            if x.dtype != y.dtype and x.dtype.kind == y.dtype.kind == "f" and (
                (x.ndim == 0) != (y.ndim == 0)
            ):  # a 0-d float tensor takes the dimensioned one's dtype
                if x.ndim == 0:
                    arrays[0] = x.astype(y.dtype)
                else:
                    arrays[1] = y.astype(x.dtype)
        return tuple(args), arrays
    result = _result_dtype(args)
    ref_dtype = None
    if result is None:
        for a in args:
            if isinstance(a, Tensor) and a.data.dtype.kind == "f":
                ref_dtype = a.data.dtype  # a floating Tensor operand decides
                break
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and ref_dtype is None:
                ref_dtype = a.dtype
    tensors: list[Tensor | None] = []
    arrays = []
    for a in args:
        if a is not None and not isinstance(a, Tensor):
            if result is not None and not isinstance(a, np.ndarray):
                a = Tensor(np.array(a, dtype=result))
            else:
                a = Tensor(as_array_like(a, ref_dtype))
        tensors.append(a)
        data = None if a is None else a.data
        if (
            result is not None
            and data is not None
            and data.dtype != result
            and _CATEGORY.get(data.dtype.kind, 9) < _CATEGORY[result.kind]
        ):
            data = data.astype(result)  # `int_tensor * 1.5`: the int operand is float32 too
        arrays.append(data)
    return tuple(tensors), arrays


def _raise_forward_error(prim: Primitive, arrays: list[Any], exc: Exception) -> None:
    operands = ", ".join(describe(a) for a in arrays)
    text = str(exc)
    prefix = "" if text.startswith(prim.name) else f"{prim.name}: "
    msg = f"{prefix}{text} (operands: {operands})"
    if isinstance(exc, ValueError):
        raise ShapeError(msg) from exc
    if isinstance(exc, TypeError):
        raise DTypeError(msg) from exc
    if isinstance(exc, IndexError):
        raise IndexError(msg) from exc
    raise exc


def apply(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Tensor:
    """Run `prim` on the arguments' data and, when grad mode asks for it, record a Node."""
    obs = scope.observers()
    if obs:
        start = time.perf_counter()
    tensors, arrays = _promote(args)
    try:
        if prim.check is not None:
            prim.check(*arrays, **params)
        try:
            out = prim.forward(*arrays, **params)
        except (ValueError, TypeError, IndexError) as exc:
            if isinstance(exc, (ShapeError, DTypeError)):
                raise
            _raise_forward_error(prim, arrays, exc)
    except Exception as exc:
        if error_record.active:  # `ag.record_on_error()`: keep the graph up to this op
            error_record.op_failed(prim, tensors, params, exc)
        raise
    aux = None
    if prim.has_aux:
        out, aux = out
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)
    result = Tensor._from_op(out, tensors, prim, params)
    needs = False
    if prim.differentiable and mode.is_grad_enabled():
        for t in tensors:
            if t is not None and t.requires_grad:
                needs = True
                break
    if needs or obs:
        node = Node(prim, tensors, params, aux, result)
        if mode.is_anomaly_enabled():
            node.stack = traceback.format_stack(limit=12)[:-2]
        if needs:
            result.grad_fn = node
            result.requires_grad = True
        if obs:
            node.meta = {"forward_time": time.perf_counter() - start}
            for ob in obs:
                ob(node, result)
    return result


# ----- backward -----


_MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: {what} of {node} ({desc}) is at version {now}; expected version {then}"
)


class _Stale(Tensor):
    """A saved tensor overwritten in place since it was saved: shape and dtype are still
    there, reading its values raises. So only a VJP that really needs the old value fails."""

    __slots__ = ("_msg", "_shp", "_dt")

    @property  # type: ignore[override]
    def data(self) -> np.ndarray:
        raise RuntimeError(self._msg)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shp

    @property
    def ndim(self) -> int:
        return len(self._shp)

    @property
    def dtype(self) -> np.dtype:
        return self._dt

    @property
    def size(self) -> int:
        return int(np.prod(self._shp, dtype=np.int64))


def _stale(t: Tensor, what: str, node: Node, then: int) -> Tensor:
    p = _Stale.__new__(_Stale)
    arr = t.data
    p._shp, p._dt = arr.shape, arr.dtype
    p._msg = _MODIFIED.format(
        what=what, node=node.backward_name, desc=describe(arr), now=t._vbox[0], then=then
    )
    p.grad = None
    p.grad_fn = t.grad_fn
    p.requires_grad = t.requires_grad
    p.name = t.name
    p._vbox = t._vbox
    p._hooks = None
    p._retains_grad = False
    p._view = None
    return p


def _saved(node: Node, out: Tensor) -> tuple[tuple[Tensor | None, ...], Tensor]:
    """The node's inputs and output for its VJPs; those modified in place since are stale."""
    inputs = node.inputs
    assert inputs is not None
    if node.prim.saves:
        for t, v in zip(inputs, node.versions, strict=True):
            if t is not None and t._vbox[0] != v:
                inputs = tuple(
                    t if t is None or t._vbox[0] == v else _stale(t, f"input {i}", node, v)
                    for i, (t, v) in enumerate(zip(inputs, node.versions, strict=True))
                )
                break
        if out._vbox[0] != node.out_version:
            out = _stale(out, "output 0", node, node.out_version)
    return inputs, out


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    for hook in t._hooks or ():
        new = hook(g)
        if new is not None:
            if not isinstance(new, Tensor):
                new = Tensor(np.asarray(new))
            if new.shape != g.shape:
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                    f"{new.shape}; expected {g.shape} (the shape of the tensor it is registered on)"
                )
            g = new
    return g


def _add(a: Tensor | None, b: Tensor, create_graph: bool) -> Tensor:
    if a is None:
        return b
    if create_graph:
        return a + b
    return Tensor(np.add(a.data, b.data))


def _fit(gi: Any, inp: Tensor, create_graph: bool) -> Tensor:
    """Make a VJP result a Tensor of the input's shape and dtype (sum over broadcast dims)."""
    if not isinstance(gi, Tensor):
        gi = Tensor(np.asarray(gi))
    if gi.shape != inp.shape:
        gi = sum_to(gi, shape=inp.shape)
    if gi.data.dtype != inp.data.dtype:
        gi = gi.astype(inp.data.dtype) if create_graph else Tensor(gi.data.astype(inp.data.dtype))
    return gi


def _seed_grads(
    roots: Sequence[Tensor], grads: Sequence[Any | None]
) -> list[Tensor]:
    seeds = []
    for k, (r, g) in enumerate(zip(roots, grads, strict=True)):
        if not isinstance(r, Tensor) or not r.requires_grad:
            raise RuntimeError(
                f"element {k} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if r.data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; got shape "
                    f"{r.shape}. Pass gradient= or reduce first."
                )
            g = Tensor(np.ones_like(r.data))
        elif not isinstance(g, Tensor):
            g = Tensor(np.asarray(g, dtype=r.data.dtype))
        if g.shape != r.shape:
            raise RuntimeError(
                f"Mismatch in shape: gradient has shape {g.shape} and output has shape {r.shape}."
            )
        seeds.append(g)
    return seeds


def backward(
    roots: Sequence[Tensor],
    grads: Sequence[Any | None],
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None] | None:
    """Reverse-mode sweep from `roots`.

    Without `inputs`, gradients accumulate into every leaf that requires grad (and into
    tensors that called `retain_grad()`). With `inputs`, nothing is accumulated: the
    gradients of exactly those tensors are returned (None where unreachable), and only the
    part of the graph that leads to them is evaluated. The walk follows each node's recorded
    `edges`, so a tensor changed in place later does not change what earlier ops read.
    """
    seeds = _seed_grads(roots, grads)
    targets = {id(t): k for k, t in enumerate(inputs)} if inputs is not None else None
    results: list[Tensor | None] = [None] * len(inputs) if inputs is not None else []

    # Post-order walk (iterative) to find every reachable node, its output tensor and
    # whether it leads to something that needs a gradient.
    out_of: dict[Node, Tensor] = {}
    leads: dict[Node, bool] = {}
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = []
    expanded: set[Node] = set()
    for r in roots:
        if r.grad_fn is not None and r.grad_fn not in out_of:
            out_of[r.grad_fn] = r
            stack.append((r.grad_fn, False))
    while stack:
        node, done = stack.pop()
        if not done and node in expanded:
            continue
        if done:
            order.append(node)
            lead = targets is None or id(out_of[node]) in targets
            if not lead:
                for e in node.edges:
                    if e is None:
                        continue
                    if isinstance(e, Node):
                        if leads.get(e, False):
                            lead = True
                            break
                    elif id(e) in targets:  # type: ignore[operator]
                        lead = True
                        break
            leads[node] = lead
            continue
        if node.freed or node.inputs is None:
            raise RuntimeError(_FREED)
        expanded.add(node)
        stack.append((node, True))
        for t, e in zip(node.inputs, node.edges, strict=True):
            if isinstance(e, Node) and e not in expanded:
                if e not in out_of:
                    out_of[e] = e.output_of(t)  # type: ignore[arg-type]
                stack.append((e, False))

    # Dependency counts over the needed subgraph, then Kahn's order from the roots.
    deps: dict[Node, int] = dict.fromkeys(order, 0)
    for node in order:
        if not leads[node]:
            continue
        for e in node.edges:
            if isinstance(e, Node) and leads.get(e, False):
                deps[e] += 1

    node_grads: dict[Node, Tensor] = {}
    leaf_grads: dict[int, list[Any]] = {}

    def send(e: Node | Tensor, g: Tensor) -> None:
        if isinstance(e, Node):
            node_grads[e] = _add(node_grads.get(e), g, create_graph)
        else:
            entry = leaf_grads.get(id(e))
            if entry is None:
                leaf_grads[id(e)] = [e, g]
            else:
                entry[1] = _add(entry[1], g, create_graph)

    for r, g in zip(roots, seeds, strict=True):
        send(r.grad_fn if r.grad_fn is not None else r, g)

    ready = [r.grad_fn for r in roots if r.grad_fn is not None and deps[r.grad_fn] == 0]
    ready = list(dict.fromkeys(ready))
    anomaly = mode.is_anomaly_enabled()
    grad_ctx = mode.enable_grad if create_graph else mode.no_grad
    with grad_ctx():
        while ready:
            node = ready.pop()
            if not leads[node]:
                continue
            g = node_grads.pop(node)
            out = out_of[node]
            if out._hooks:
                g = _run_hooks(out, g)
            if targets is not None and id(out) in targets:
                results[targets[id(out)]] = g
            elif out._retains_grad and targets is None and out.grad_fn is node:
                out.grad = g if create_graph else Tensor(g.data.copy())
            if node.inputs is None:
                raise RuntimeError(_FREED)
            ins, ans = _saved(node, out)
            grads_in: list[Tensor | None] = []
            for i, e in enumerate(node.edges):
                gi = None
                if e is not None and (
                    leads.get(e, False)
                    if isinstance(e, Node)
                    else (targets is None or id(e) in targets)
                ):
                    vjp = node.prim.vjp_for(i)
                    if vjp is not None:
                        kw = node.params if node.aux is None else {**node.params, "aux": node.aux}
                        raw = None
                        try:
                            raw = vjp(g, ans, *ins, **kw)
                            gi = _fit(raw, node.inputs[i], create_graph)
                        except Exception as exc:
                            if error_record.active:
                                error_record.vjp_failed(node, i, g, raw, exc)
                            raise
                        if error_record.active:
                            error_record.vjp_returned(node, i, gi)
                        if anomaly and not np.all(np.isfinite(gi.data)):
                            _raise_anomaly(node, i, gi)
                        send(e, gi)
                grads_in.append(gi)
            for ob in backward_observers:
                ob(node, g, grads_in)
            for e in node.edges:
                if isinstance(e, Node) and e in deps and leads.get(e, False):
                    deps[e] -= 1
                    if deps[e] == 0:
                        ready.append(e)
            if not retain_graph:
                node.release()

        for t, g in leaf_grads.values():
            if targets is not None:
                if id(t) in targets:
                    results[targets[id(t)]] = _run_hooks(t, g) if t._hooks else g
                continue
            if t._hooks:
                g = _run_hooks(t, g)
            _accumulate_leaf(t, g, create_graph)
    return results if inputs is not None else None


def _accumulate_leaf(t: Tensor, g: Tensor, create_graph: bool) -> None:
    if t.grad is None:
        t.grad = g if create_graph else Tensor(np.array(g.data, copy=True))
    elif create_graph or t.grad.grad_fn is not None:
        t.grad = t.grad + g
    else:
        t.grad.data += g.data


def _raise_anomaly(node: Node, i: int, gi: Tensor) -> None:
    kind = "nan" if np.isnan(gi.data).any() else "inf"
    where = "".join(node.stack) if node.stack else "(forward traceback not recorded)\n"
    raise RuntimeError(
        f"Function '{node.backward_name}' returned {kind} values in its {i}th output.\n"
        f"The forward op '{node.prim.name}' that made this node was called at:\n{where}"
    )
