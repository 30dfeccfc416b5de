"""The reverse sweep: `backward` runs each recorded node's VJPs from the roots to the leaves.

The walk is iterative (no recursion, so a 100,000-op chain is fine), sums each gradient back
to its input's shape once per edge, accumulates into leaves, runs tensor hooks and
`backward_observers`, checks that saved tensors were not modified in place since the forward,
and frees saved tensors unless `retain_graph=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import error_record, mode
from autograd.errors import describe
from autograd.node import Node
from autograd.ops.shape import sum_to
from autograd.tensor import Tensor

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)

# Callbacks `(node, grad_out, grads_in)` run after each node's VJPs (viz step-through).
backward_observers: list[Callable[[Node, Tensor, list[Tensor | None]], None]] = []


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


def _add(a: Tensor | None, b: Tensor, create_graph: bool, owned: dict[int, Tensor]) -> Tensor:
    """`a + b` for two gradients of one tensor. Unrecorded, the first sum gets a buffer of its
    own (listed in `owned`) that later gradients are added into in place: one allocation per
    tensor, not one per extra edge (a weight used at 50 RNN steps)."""
    if a is None:
        return b
    if create_graph:
        return a + b
    ad, bd = a.data, b.data
    if owned.get(id(a)) is a and ad.shape == bd.shape and ad.dtype == bd.dtype:
        np.add(ad, bd, out=ad)
        return a
    total = Tensor(np.add(ad, bd))
    owned[id(total)] = total
    return total


def _fit(gi: Any, inp: Tensor, create_graph: bool) -> Tensor:
    """Make a VJP result a Tensor of the input's shape and dtype (sum over broadcast dims)."""
    if not isinstance(gi, Tensor):
        gi = Tensor(np.asarray(gi))
    if gi.data.shape != inp.data.shape:
        shape = inp.data.shape
        if create_graph:
            gi = sum_to(gi, shape=shape)
        else:  # on the arrays: nothing to record
            gi = Tensor(sum_to.forward(gi.data, shape=shape))
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
    owned: dict[int, Tensor] = {}  # gradient sums made by this sweep (see `_add`)

    def send(e: Node | Tensor, g: Tensor) -> None:
        if isinstance(e, Node):
            node_grads[e] = _add(node_grads.get(e), g, create_graph, owned)
        else:
            entry = leaf_grads.get(id(e))
            if entry is None:
                leaf_grads[id(e)] = [e, g]
            else:
                entry[1] = _add(entry[1], g, create_graph, owned)

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
            owned.pop(id(g), None)  # VJPs may pass g on as it is: no more in-place sums into it
            out = out_of[node]
            if out._hooks:
                g = _run_hooks(out, g)
            if targets is not None and id(out) in targets:
                results[targets[id(out)]] = g
            elif out._retains_grad and targets is None and out.grad_fn is node:
                out.grad = g if create_graph else Tensor(g.data.copy())
            node_in = node.inputs
            if node_in is None:
                raise RuntimeError(_FREED)
            prim = node.prim
            ins, ans = _saved(node, out) if prim.saves else (node_in, out)
            kw = node.params if node.aux is None else {**node.params, "aux": node.aux}
            vjps = prim.vjps if prim.vjp_any is None else None
            grads_in: list[Tensor | None] = []
            for i, e in enumerate(node.edges):
                gi = None
                if e is not None and (
                    leads.get(e, False)
                    if isinstance(e, Node)
                    else (targets is None or id(e) in targets)
                ):
                    vjp = vjps[i] if vjps is not None and i < len(vjps) else prim.vjp_for(i)
                    if vjp is not None:
                        raw = None
                        try:
                            raw = vjp(g, ans, *ins, **kw)
                            gi = _fit(raw, node_in[i], create_graph)
                        except Exception as exc:
                            if error_record.active:  # `ag.record_on_error()`
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
            _accumulate_leaf(t, g, create_graph, owned.get(id(g)) is g)
    return results if inputs is not None else None


def _accumulate_leaf(t: Tensor, g: Tensor, create_graph: bool, fresh: bool = False) -> None:
    """Add `g` into `t.grad`; a `fresh` g (a sum this sweep made, referenced nowhere else) is
    kept as the new `.grad` instead of copied."""
    if t.grad is None:
        t.grad = g if create_graph or fresh else Tensor(np.array(g.data, copy=True))
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
