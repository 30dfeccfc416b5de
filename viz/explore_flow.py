"""The explorer's gradient panels: `explain_grad` for each parameter of the page's graph, and
the per-step gradient norms that `optim.fit(record_grad_flow=n)` logged, matched to the page's
nodes by their stable keys (`module/op#k`) for the step slider."""

from __future__ import annotations

from typing import Any

from autograd.grad_flow import GradFlowLog, forward_order, leaf_keys, node_keys
from autograd.graph import Graph
from autograd.tensor import Tensor
from viz.escape import clean
from viz.explain import Flow, explain

EXPLAIN_LIMIT = 3000  # ops above which the page carries no explain_grad panels
EXPLAIN_PARAMS = 64  # parameters explained at most
PATH_EDGES = 60  # edges of the strongest path kept per parameter


def _output(g: Graph) -> Tensor | None:
    """The recorded output tensor, when the graph has one scalar output and its records."""
    if len(g.outputs) != 1:
        return None
    return next((t for oid, (_, t) in g.records.items() if g.ops[oid].output == g.outputs[0]),
                None)


def _index(nodes: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Page node index of each op id (forward and backward) and tensor id."""
    fw, bw, tn = {}, {}, {}
    for i, n in enumerate(nodes):
        {"op": fw, "bwd": bw, "tensor": tn}[n["k"]][n["id"]] = i
    return fw, bw, tn


def _keys(g: Graph, out: Tensor) -> tuple[dict[str, str], dict[str, str]]:
    """Op id -> key and tensor id -> key (the leaves: parameters and inputs)."""
    order = forward_order(out)
    keys = node_keys(order)
    oid_of = {id(node): oid for oid, (node, _) in g.records.items()}
    op_keys = {oid_of[id(n)]: k for n, k in keys.items() if id(n) in oid_of}
    tid_of: dict[int, str] = {}
    for oid, (node, _) in g.records.items():
        for tid, t in zip(g.ops[oid].inputs, node.inputs or (), strict=False):
            if tid is not None and t is not None:
                tid_of[id(t)] = tid
    leaf = {tid_of[i]: k for i, (k, _) in leaf_keys(order, keys).items() if i in tid_of}
    return op_keys, leaf


def grad_flow_data(g: Graph, nodes: list[dict[str, Any]], log: Any) -> dict[str, Any] | None:
    """Slider data: the recorded steps and, per page node, its gradient norm at each step
    (a backward node and its op's output take the norm at that op's output; a parameter,
    its `.grad` norm). None when nothing of the log matches this graph."""
    log = getattr(log, "grad_flow", log)
    if not isinstance(log, GradFlowLog):
        raise TypeError("viz.explore: grad_flow must be the History that optim.fit("
                        "record_grad_flow=n) returned, or its .grad_flow; got "
                        f"{type(log).__name__}")
    out = _output(g)
    if out is None or not log.steps:
        return None
    op_keys, leaf = _keys(g, out)
    _, bw, tn = _index(nodes)
    where: dict[int, str] = {}
    for oid, key in op_keys.items():
        if oid in bw:
            where[bw[oid]] = key
        where[tn[g.ops[oid].output]] = key
    for tid, key in leaf.items():
        where[tn[tid]] = key
    matched = {i: k for i, k in where.items() if any(k in n for n in log.norms)}
    if not matched:
        return None
    idx = sorted(matched)
    return {"every": log.every, "steps": list(log.steps), "nodes": idx,
            "keys": [clean(matched[i]) for i in idx],
            "norms": [[n.get(matched[i]) for i in idx] for n in log.norms]}


def explain_data(g: Graph, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """Per parameter tensor (page node index, as a string): its `explain_grad` verdict,
    headline, culprit and strongest path (each edge with the page index of its VJP node)."""
    out = _output(g)
    if out is None or out.data.size != 1 or out.grad_fn is None:
        return {}
    if len(g.ops) > EXPLAIN_LIMIT:
        return {"skipped": f"not computed for graphs over {EXPLAIN_LIMIT} ops: call "
                           "viz.explain_grad(loss, param) for one parameter"}
    try:
        flow = Flow(out)
    except RuntimeError:  # the graph was freed: nothing to replay
        return {}
    op_keys, leaf = _keys(g, out)
    _, bw, tn = _index(nodes)
    bw_of_key = {k: bw[oid] for oid, k in op_keys.items() if oid in bw}
    tensors: dict[str, Tensor] = {}
    for oid, (node, _) in g.records.items():
        for tid, t in zip(g.ops[oid].inputs, node.inputs or (), strict=False):
            if (tid is not None and t is not None and t.requires_grad and t.grad_fn is None
                    and g.tensors[tid].role in ("param", "input", "leaf")):
                tensors.setdefault(tid, t)
    result: dict[str, Any] = {}
    for tid, t in list(tensors.items())[:EXPLAIN_PARAMS]:
        r = explain(flow, t, name=leaf.get(tid) or g.tensors[tid].name or tid, max_paths=1)
        path = r.paths[0].edges[:PATH_EDGES] if r.paths else []
        result[str(tn[tid])] = {
            "verdict": r.verdict, "lines": [clean(s) for s in r.summary()],
            "n_paths": r.n_paths,
            "culprit": bw_of_key.get(r.culprit.key) if r.culprit else None,
            "path": [{"key": clean(e.key), "i": bw_of_key.get(e.key), "gain": e.gain,
                      "note": clean(e.note)} for e in path],
        }
    return result
