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

from autograd import mode, scope
from autograd.errors import DTypeError, ShapeError, describe
from autograd.ops.shape import sum_to
from autograd.registry import Primitive
from autograd.tensor import Tensor, as_array_like

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)

# Callbacks `(node, grad_out, grads_in)` run after each node's VJPs (viz step-through).
backward_observers: list[Callable[[Node, Tensor, list[Tensor | None]], None]] = []


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
        self.versions = tuple(t._vbox[0] if t is not None else 0 for t in inputs)
        self.out_version = out._vbox[0]
        self.module = scope.current_module_path()
        self.location: str | None = None
        self.stack: list[str] | None = None
        self.freed = False
        self.meta: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The primitive's name, e.g. `matmul`."""
        return self.prim.name

    @property
    def backward_name(self) -> str:
        """PyTorch-style name of this node's backward, e.g. `ExpBackward`."""
        return "".join(p.capitalize() for p in self.prim.name.split("_")) + "Backward"

    def release(self) -> None:
        """Drop saved tensors so memory is returned after backward."""
        self.inputs = None
        self.aux = None
        self.freed = True

    def __repr__(self) -> str:
        return f"<Node {self.prim.name}{' (freed)' if self.freed else ''}>"


def _promote(args: Sequence[Any]) -> tuple[tuple[Tensor | None, ...], list[Any]]:
    """Wrap every argument as a Tensor; Python scalars take the dtype of the tensor operands."""
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
        return tuple(args), arrays
    ref_dtype = None
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
            a = Tensor(as_array_like(a, ref_dtype))
        tensors.append(a)
        arrays.append(None if a is None else a.data)
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
    if prim.check is not None:
        prim.check(*arrays, **params)
    try:
        out = prim.forward(*arrays, **params)
    except (ValueError, TypeError, IndexError) as exc:
        if isinstance(exc, (ShapeError, DTypeError)):
            raise
        _raise_forward_error(prim, arrays, exc)
    aux = None
    if prim.has_aux:
        out, aux = out
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)
    result = Tensor._from_op(out, tensors)
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


def _check_versions(node: Node, out: Tensor | None) -> None:
    saves = node.prim.saves
    if "inputs" in saves:
        for i, (t, v) in enumerate(zip(node.inputs, node.versions, strict=True)):
            if t is not None and t._vbox[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: input {i} of {node.backward_name} "
                    f"({describe(t)}) is at version {t._vbox[0]}; expected version {v}"
                )
    if "output" in saves and out is not None and out._vbox[0] != node.out_version:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: output 0 of {node.backward_name} ({describe(out)}) is at "
            f"version {out._vbox[0]}; expected version {node.out_version}"
        )


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
    part of the graph that leads to them is evaluated.
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
                for t in node.inputs:
                    if t is None or not t.requires_grad:
                        continue
                    if t.grad_fn is not None and leads.get(t.grad_fn, False) or (
                        t.grad_fn is None and id(t) in targets
                    ):
                        lead = True
                        break
            leads[node] = lead
            continue
        if node.freed or node.inputs is None:
            raise RuntimeError(_FREED)
        expanded.add(node)
        stack.append((node, True))
        for t in node.inputs:
            if t is not None and t.grad_fn is not None and t.grad_fn not in expanded:
                out_of.setdefault(t.grad_fn, t)
                stack.append((t.grad_fn, False))

    # Dependency counts over the needed subgraph, then Kahn's order from the roots.
    deps: dict[Node, int] = dict.fromkeys(order, 0)
    for node in order:
        if not leads[node]:
            continue
        for t in node.inputs:
            if t is not None and t.grad_fn is not None and leads.get(t.grad_fn, False):
                deps[t.grad_fn] += 1

    node_grads: dict[Node, Tensor] = {}
    leaf_grads: dict[int, list[Any]] = {}

    def send(t: Tensor, g: Tensor) -> None:
        if t.grad_fn is not None:
            node_grads[t.grad_fn] = _add(node_grads.get(t.grad_fn), g, create_graph)
        else:
            entry = leaf_grads.get(id(t))
            if entry is None:
                leaf_grads[id(t)] = [t, g]
            else:
                entry[1] = _add(entry[1], g, create_graph)

    for r, g in zip(roots, seeds, strict=True):
        send(r, g)

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
            elif out._retains_grad and targets is None:
                out.grad = g if create_graph else Tensor(g.data.copy())
            if node.inputs is None:
                raise RuntimeError(_FREED)
            _check_versions(node, out)
            grads_in: list[Tensor | None] = []
            for i, t in enumerate(node.inputs):
                gi = None
                if t is not None and t.requires_grad and (
                    (t.grad_fn is not None and leads.get(t.grad_fn, False))
                    or (t.grad_fn is None and (targets is None or id(t) in targets))
                ):
                    vjp = node.prim.vjp_for(i)
                    if vjp is not None:
                        kw = node.params if node.aux is None else {**node.params, "aux": node.aux}
                        gi = _fit(vjp(g, out, *node.inputs, **kw), t, create_graph)
                        if anomaly and not np.all(np.isfinite(gi.data)):
                            _raise_anomaly(node, i, gi)
                        send(t, gi)
                grads_in.append(gi)
            for ob in backward_observers:
                ob(node, g, grads_in)
            for t in node.inputs:
                if t is not None and t.grad_fn is not None and t.grad_fn in deps:
                    parent = t.grad_fn
                    if leads.get(parent, False):
                        deps[parent] -= 1
                        if deps[parent] == 0:
                            ready.append(parent)
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
