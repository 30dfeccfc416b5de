"""`viz.explain_grad(loss, param)`: where the gradient from the loss to a parameter vanishes.

One backward pass with observers (graph retained, no `.grad` touched) gives the gradient norm
at every op's output and the norm its VJP sends to each input; the gain of an edge is their
ratio. The strongest paths from param to the loss are listed with their gains; when the
gradient reaching param is under `COLLAPSE` of its peak, the op kind that shrinks it most on
the strongest path is named, with why (a ReLU mask x% dead, a saturated sigmoid/tanh, an
integer cast). Given the loss as a function, the forward pass is recorded too, so a param
that is not connected is traced to the op that cut it (detach, no_grad, a non-differentiable
op) or to a branch that never reaches the loss.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import engine, mode, scope
from autograd.engine import Node
from autograd.grad_flow import forward_order, node_keys, norm
from autograd.tensor import Tensor
from viz.explain_report import EdgeGain, GradPath, GradReport

COLLAPSE = 1e-2  # param gradient / peak gradient below which the signal has collapsed
MAX_PATHS = 10  # paths shown by default
SATURATED = 4.0  # |x| above which a sigmoid/tanh input counts as saturated
_SLOPE_MAX = {"sigmoid": 0.25, "tanh": 1.0}


class Flow:
    """One observed backward pass from a scalar loss: per node, the norm at its output and the
    norm sent to each input, plus each node's stable key."""

    def __init__(self, loss: Tensor) -> None:
        if not isinstance(loss, Tensor):
            raise TypeError(f"explain_grad: loss must be a Tensor or a function returning one; "
                            f"got {type(loss).__name__}")
        if loss.data.size != 1:
            raise ValueError(f"explain_grad: loss must be a scalar; got shape {loss.shape}")
        self.loss = loss
        self.order = forward_order(loss)
        if any(n.freed or n.inputs is None for n, _ in self.order):
            raise RuntimeError("explain_grad: the graph behind loss was freed by backward(); "
                               "call backward(retain_graph=True), or pass the loss as a function "
                               "(explain_grad(lambda: loss_fn(), param))")
        self.keys = node_keys(self.order)
        self.gout: dict[Node, float] = {}
        self.gin: dict[Node, list[float | None]] = {}
        self.leaf_grad: dict[int, float] = {}
        self._edges: dict[tuple[Node, int], EdgeGain] = {}
        leaves = list({id(e): e for n, _ in self.order for e in n.edges
                       if isinstance(e, Tensor)}.values())
        if not self.order:
            return

        def observe(node: Node, g: Tensor, grads_in: list[Tensor | None]) -> None:
            self.gout[node] = norm(g.data)
            self.gin[node] = [None if gi is None else norm(gi.data) for gi in grads_in]

        engine.backward_observers.append(observe)
        try:
            found = engine.backward([loss], [None], retain_graph=True, inputs=leaves or None)
        finally:
            engine.backward_observers.remove(observe)
        for t, gr in zip(leaves, found or [], strict=False):
            if gr is not None:
                self.leaf_grad[id(t)] = norm(gr.data)

    def edge(self, node: Node, i: int) -> EdgeGain:
        """The gain record of `node`'s VJP to input `i`, with what the op did to the signal
        (made once: every parameter explained from this pass shares it)."""
        rec = self._edges.get((node, i))
        if rec is None:
            gout = self.gout.get(node, 0.0)
            gin = (self.gin.get(node) or [None] * (i + 1))[i] or 0.0
            rec = EdgeGain(key=self.keys[node], op=node.prim.name, module=node.module,
                           location=node.location, input=i, grad_out=gout, grad_in=gin,
                           gain=gin / gout if gout > 0 else None, note=diagnose(node, i))
            self._edges[(node, i)] = rec
        return rec


def diagnose(node: Node, i: int) -> str:
    """What an op does to the gradient on input `i`, for the ops that are known to kill it."""
    op = node.prim.name
    x = node.inputs[i] if node.inputs is not None else None
    if x is None or x.data.size == 0:
        return ""
    if x.dtype.kind in "iub":
        return (f"input {i} is an integer tensor ({x.dtype}, from an integer cast): the "
                "gradient sent to it is rounded to whole numbers")
    a = np.asarray(x.data, dtype=np.float64)
    if op in ("relu", "relu6", "leaky_relu"):
        dead = float(np.mean(a <= 0))
        text = f"ReLU mask {dead:.0%} dead (inputs <= 0)"
        if op == "leaky_relu":
            text = f"leaky ReLU: {dead:.0%} of inputs on the small slope"
        if a.ndim == 2 and a.shape[0] > 1:
            units = int(np.sum(np.all(a <= 0, axis=0)))
            text += f"; {units} of {a.shape[1]} units dead for the whole batch"
        return text
    if op in _SLOPE_MAX:
        s = 1.0 / (1.0 + np.exp(-a)) if op == "sigmoid" else np.tanh(a)
        slope = s * (1 - s) if op == "sigmoid" else 1 - s * s
        sat = float(np.mean(np.abs(a) > SATURATED))
        return (f"{op}: {sat:.0%} of inputs saturated (|x| > {SATURATED:g}), mean slope "
                f"{float(np.mean(slope)):.3g} (at most {_SLOPE_MAX[op]:g})")
    if op == "astype" and np.dtype(node.params.get("dtype", a.dtype)).kind in "iub":
        return (f"integer cast to {np.dtype(node.params['dtype'])}: the forward value is "
                "rounded, the gradient reaching it was already rounded to whole numbers")
    return ""


def _targets(flow: Flow, param: Tensor) -> tuple[dict[Node, bool], Node | None]:
    """Which nodes lead to param (its own node, for a non-leaf param, ends the walk)."""
    target = param.grad_fn
    leads: dict[Node, bool] = {}
    for node, _ in flow.order:  # inputs first
        leads[node] = node is target or any(_hits(e, param, target, leads) for e in node.edges)
    return leads, target


def _hits(e: Any, param: Tensor, target: Node | None, leads: dict[Node, bool]) -> bool:
    if target is None and e is param:
        return True
    return isinstance(e, Node) and leads.get(e, False)


def _best_paths(flow: Flow, param: Tensor, leads: dict[Node, bool], target: Node | None,
                k: int) -> tuple[list[list[tuple[Node, int]]], list[float], int]:
    """The k paths of largest gain product (k-best over the DAG, loss first), their gains, and
    the number of paths in all."""
    root = flow.loss.grad_fn
    best: dict[Any, list[tuple[float, int, Any]]] = {root: [(0.0, 0, None)]}
    count: dict[Any, int] = {root: 1}
    end = "param"
    tick = 0
    for node, _ in reversed(flow.order):  # consumers before producers
        if not leads.get(node) or node not in best:
            continue
        if node is target:
            continue
        best[node].sort(reverse=True)  # complete: every consumer came before
        for i, e in enumerate(node.edges):
            if not _hits(e, param, target, leads):
                continue
            gain = flow.edge(node, i).gain
            step = math.log(gain) if gain else (-math.inf if gain == 0 else 0.0)
            dst = end if e is param or e is target else e
            count[dst] = count.get(dst, 0) + count[node]
            heap = best.setdefault(dst, [])
            for r, (lg, _, _) in enumerate(best[node]):
                tick += 1
                item = (lg + step, tick, (node, r, i))
                if len(heap) < k:
                    heapq.heappush(heap, item)
                elif item[0] > heap[0][0]:
                    heapq.heapreplace(heap, item)
    if end not in best:
        return [], [], 0
    best[end].sort(reverse=True)
    paths, gains = [], []
    for lg, _, back in best[end]:
        path: list[tuple[Node, int]] = []
        while back is not None:
            node, r, i = back
            path.append((node, i))
            back = best[node][r][2]
        paths.append(path[::-1])
        gains.append(math.exp(lg) if lg > -math.inf else 0.0)
    return paths, gains, count[end]


def _culprit(edges: list[EdgeGain]) -> tuple[EdgeGain | None, str]:
    """On the strongest path below its peak: the op kind whose gains multiply to the least,
    its worst edge, and the reason in words."""
    peak_at = max(range(1, len(edges)), key=lambda j: edges[j].grad_out, default=0)
    below = edges[peak_at:]
    zero = next((e for e in below if e.grad_out > 0 and e.grad_in == 0), None)
    if zero is not None:
        return zero, (f"{zero.op} sends no gradient at all to input {zero.input}"
                      + (f": {zero.note}" if zero.note else ""))
    product: dict[str, float] = {}
    count: dict[str, int] = {}
    for e in below:
        if e.gain is not None:
            product[e.op] = product.get(e.op, 1.0) * e.gain
            count[e.op] = count.get(e.op, 0) + 1
    if not product:
        return None, ""
    op = min(product, key=lambda o: product[o])
    worst = min((e for e in below if e.op == op and e.gain is not None),
                key=lambda e: e.gain)  # type: ignore[arg-type, return-value]
    n = count[op]
    what = (f"the {n} {op} ops on the path multiply the gradient by {product[op]:.2g} in all"
            if n > 1 else f"{op} multiplies the gradient by {product[op]:.2g}")
    if n > 1:
        what += f"; worst {worst.key} (gain {worst.gain:.2g})"
    return worst, what + (f": {worst.note}" if worst.note else "")


def _cut_reason(flow: Flow, param: Tensor) -> str:
    """Why no recorded path joins param to the loss, from the loss's graph alone."""
    if not param.requires_grad:
        return "param does not require grad (requires_grad=False)"
    if flow.loss.grad_fn is None:
        return ("the loss has no graph: it was computed under no_grad or only from tensors "
                "cut from the graph")
    for node, _ in flow.order:
        for i, t in enumerate(node.inputs or ()):
            if t is not None and t is not param and t._vbox is param._vbox and t.grad_fn is None:
                return (f"input {i} of {flow.keys[node]} is param.detach(): the path is cut by "
                        "detach")
    return ("no recorded path from param to the loss: a tensor derived from param lost its "
            "grad_fn (detach, no_grad or a non-differentiable op) or its branch never reaches "
            "the loss; pass the loss as a function, explain_grad(lambda: loss_fn(), param), "
            "to find the op")


def _record(fn: Callable[[], Any]) -> tuple[Any, list[tuple[Node, Tensor]]]:
    """Run `fn`, keeping every op it records, grad mode on or off (the tracer's observer)."""
    ran: list[tuple[Node, Tensor]] = []

    def observe(node: Node, out: Tensor) -> None:
        node.location = scope.user_location()
        ran.append((node, out))

    scope.observers().append(observe)
    try:
        with mode.enable_grad():
            result = fn()
    finally:
        scope.observers().remove(observe)
    return result, ran


def _cuts(ran: list[tuple[Node, Tensor]], param: Tensor, loss: Tensor) -> list[str]:
    """Follow param forward through the recorded ops and name each place its descendants
    leave the graph: no grad_fn (no_grad or a non-differentiable op), a detach() of one fed to
    a later op, or a branch whose last output the loss never uses."""
    derived: dict[int, Tensor] = {id(param): param}
    boxes = {id(param._vbox)}
    out_ids: set[int] = set()
    used: set[int] = set()
    cut_boxes: set[int] = set()  # version counters of derived tensors that were detached
    cuts: list[str] = []
    in_loss = {id(n) for n, _ in forward_order(loss)}

    def where(node: Node) -> str:
        return f"{node.prim.name}" + (f" in {node.module}" if node.module else "") + (
            f" at {node.location}" if node.location else "")

    for node, out in ran:
        ins = [t for t in (node.inputs or ()) if t is not None]
        for t in ins:
            used.add(id(t))
            if (id(t) not in derived and id(t) not in out_ids and t.grad_fn is None
                    and id(t._vbox) in boxes):
                cut_boxes.add(id(t._vbox))
                cuts.append(f"{where(node)} reads a detach() of a tensor derived from param: "
                            "the path is cut by detach")
        out_ids.add(id(out))
        if not any(id(t) in derived for t in ins):
            continue
        if out.grad_fn is None:
            why = ("is not differentiable" if not node.prim.differentiable
                   else "ran under no_grad")
            cuts.append(f"{where(node)} {why}: its output, derived from param, has no grad_fn")
            continue
        derived[id(out)] = out
        boxes.add(id(out._vbox))
    for tid, t in derived.items():
        if (t is param or tid in used or t is loss or t.grad_fn is None
                or id(t._vbox) in cut_boxes):
            continue
        if id(t.grad_fn) not in in_loss:
            cuts.append(f"the branch ending at {where(t.grad_fn)} never reaches the loss")
    return cuts


def explain_grad(
    loss: Tensor | Callable[[], Tensor],
    param: Tensor,
    *,
    max_paths: int = MAX_PATHS,
    name: str | None = None,
) -> GradReport:
    """Explain how the gradient of scalar `loss` reaches `param`: every path (the `max_paths`
    strongest when there are more), the gain of each edge, and where and why it collapses.

    `loss` is a Tensor whose graph is still there (before `backward()`, or after one with
    `retain_graph=True`), or a function of no arguments returning it: then the forward pass
    is recorded too, and a cut (detach, no_grad, non-differentiable op, a branch that never
    reaches the loss) is located. No `.grad` is touched.
    """
    if not isinstance(param, Tensor):
        raise TypeError(f"explain_grad: param must be a Tensor; got {type(param).__name__}")
    if not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"explain_grad: max_paths must be a positive int; got {max_paths!r}")
    cuts: list[str] = []
    if callable(loss) and not isinstance(loss, Tensor):
        result, ran = _record(loss)
        if not isinstance(result, Tensor):
            raise TypeError("explain_grad: the loss function must return a Tensor; got "
                            f"{type(result).__name__}")
        cuts = _cuts(ran, param, result)
        loss = result
    return explain(Flow(loss), param, max_paths=max_paths, name=name, cuts=cuts)


def explain(flow: Flow, param: Tensor, *, max_paths: int = MAX_PATHS, name: str | None = None,
            cuts: list[str] | None = None) -> GradReport:
    """`explain_grad` on an already observed backward pass (the explorer explains every
    parameter of one pass)."""
    label = name or param.name or f"param{tuple(param.shape)}"
    loss_value = float(np.asarray(flow.loss.data, dtype=np.float64).ravel()[0])
    report = GradReport(param=label, loss=loss_value, connected=False, cuts=list(cuts or []))
    leads, target = _targets(flow, param)
    root = flow.loss.grad_fn
    if root is None or not leads.get(root, False):
        report.reason = ("the path is cut: " + "; ".join(report.cuts) if report.cuts
                         else _cut_reason(flow, param))
        return report
    report.connected = True
    paths, gains, report.n_paths = _best_paths(flow, param, leads, target, max_paths)
    report.paths = [GradPath([flow.edge(n, i) for n, i in p], g)
                    for p, g in zip(paths, gains, strict=True)]
    report.edges = [flow.edge(n, i) for n, _ in flow.order if leads.get(n) and n is not target
                    for i, e in enumerate(n.edges) if _hits(e, param, target, leads)]
    report.param_grad = (flow.gout.get(target, 0.0) if target is not None
                         else flow.leaf_grad.get(id(param), 0.0))
    # the peak: the largest total gradient at an op's output on the strongest path (partial
    # gradients of branches can cancel; side branches such as a variance are other units),
    # the loss's own seed (norm 1) left out: it is the unit, not a signal
    top = max(report.paths[0].edges[1:], key=lambda e: e.grad_out, default=None)
    report.peak, report.peak_key = report.param_grad, report.param
    if top is not None and top.grad_out > (report.param_grad or 0.0):
        report.peak, report.peak_key = top.grad_out, top.key
    if report.peak and report.param_grad is not None:
        report.collapsed = report.param_grad < COLLAPSE * report.peak
    culprit, why = _culprit(report.paths[0].edges if report.paths else [])
    if report.collapsed:
        report.culprit, report.reason = culprit, why
    elif culprit is not None:
        report.reason = (f"no collapse: the gradient reaching param is "
                         f"{report.param_grad / report.peak:.2g} of its peak; weakest: {why}")
    return report
