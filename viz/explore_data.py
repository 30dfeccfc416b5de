"""The explorer's data: forward ops and tensors, one backward (VJP) node per op that ran in the
backward pass, module clusters, edges, value/gradient statistics with small histograms.

Pure bookkeeping over an `ag.Graph`; positions come from `viz.explore_layout`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.graph import Graph
from viz.escape import clean

BINS = 16  # histogram bars per tensor
SAMPLE = 1_000_000  # elements above which statistics use an evenly strided sample


def stats(arr: np.ndarray | None) -> dict[str, Any] | None:
    """min/max/mean/std, NaN and Inf counts and a histogram of the finite values of `arr`."""
    if arr is None or arr.size == 0 or arr.dtype.kind not in "fiub":
        return None
    a = np.asarray(arr).ravel()
    sampled = a.size > SAMPLE
    if sampled:
        a = a[:: a.size // SAMPLE + 1]
    a = a.astype(np.float64, copy=False)
    finite = np.isfinite(a)
    out: dict[str, Any] = {"n": int(arr.size), "nan": int(np.isnan(a).sum()),
                           "inf": int(np.isinf(a).sum()), "sampled": sampled}
    if finite.any():
        f = a[finite]
        lo, hi = float(f.min()), float(f.max())
        counts, _ = np.histogram(f, bins=BINS, range=(lo, hi) if hi > lo else (lo - 0.5, lo + 0.5))
        out.update(min=lo, max=hi, mean=float(f.mean()), std=float(f.std()),
                   hist=[int(c) for c in counts])
    return out


def _arrays(g: Graph) -> dict[str, np.ndarray]:
    """Tensor id -> value, from the engine records the trace kept (empty when there are none)."""
    out: dict[str, np.ndarray] = {}
    for oid, (node, t) in g.records.items():
        op = g.ops[oid]
        out[op.output] = t.data
        for tid, inp in zip(op.inputs, node.inputs or (), strict=False):
            if tid is not None and inp is not None:
                out[tid] = inp.data
    return out


def _shape(shape: Any, dtype: str) -> str:
    short = dtype.replace("float", "f").replace("int", "i").replace("bool", "b")
    return f"{short}[{','.join(str(d) for d in shape)}]"


def _clusters(g: Graph) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One cluster per module path prefix, parents before children."""
    paths: set[str] = set()
    for op in g.ops.values():
        if op.module:
            parts = clean(op.module).split(".")
            paths.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    ordered = sorted(paths, key=lambda p: (p.count("."), p))
    index = {p: i for i, p in enumerate(ordered)}
    clusters = [
        {"path": p, "name": p.rpartition(".")[2], "depth": p.count(".") + 1,
         "parent": index.get(p.rpartition(".")[0], -1), "title": clean(g.modules.get(p, ""))}
        for p in ordered
    ]
    return clusters, index


def tensor_clusters(g: Graph) -> dict[str, str | None]:
    """Module path of each tensor: its producer's, or (for leaves) that of all its consumers."""
    where: dict[str, str | None] = {}
    users: dict[str, set[str | None]] = {}
    for op in g.ops.values():
        where[op.output] = clean(op.module) if op.module else None
        for tid in op.inputs:
            if tid is not None:
                users.setdefault(tid, set()).add(clean(op.module) if op.module else None)
    for tid in g.tensors:
        if tid not in where:
            mods = users.get(tid, {None})
            where[tid] = mods.pop() if len(mods) == 1 else None
    return where


def build(g: Graph, grads: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Nodes, edges and clusters of `g` as JSON-ready lists (positions added later)."""
    clusters, cindex = _clusters(g)
    arrays = _arrays(g)
    grads = grads or {}
    where = tensor_clusters(g)
    nodes: list[dict[str, Any]] = []
    idx: dict[str, int] = {}

    def add(key: str, node: dict[str, Any]) -> int:
        idx[key] = len(nodes)
        nodes.append(node)
        return idx[key]

    def cluster_of(path: str | None) -> int:
        return cindex.get(path, -1) if path else -1

    producer = {op.output: oid for oid, op in g.ops.items()}
    def add_tensor(tid: str) -> None:
        tn = g.tensors[tid]
        grad = tn.grad or {}
        add(f"t:{tid}", {
            "k": "tensor", "role": tn.role, "id": tid, "name": clean(tn.name or ""),
            "label": clean(tn.name) if tn.name else _shape(tn.shape, tn.dtype),
            "shape": list(tn.shape), "dtype": tn.dtype, "c": cluster_of(where.get(tid)),
            "stats": stats(arrays.get(tid)) or _graph_stats(tn.stats),
            "gstats": stats(grads.get(tid)),
            "grad": {"norm": grad["norm"], "nan": grad["nonfinite"]} if grad else None,
        })

    for oid, op in g.ops.items():  # recording order is topological: inputs, op, output
        for tid in op.inputs:
            if tid is not None and f"t:{tid}" not in idx:
                add_tensor(tid)
        add(f"op:{oid}", {
            "k": "op", "id": oid, "label": clean(op.op), "op": clean(op.op),
            "c": cluster_of(clean(op.module) if op.module else None),
            "module": clean(op.module or ""), "loc": clean(op.location or ""),
            "params": {clean(k): clean(v) for k, v in op.params.items()},
            "step": op.backward_step,
        })
        if f"t:{op.output}" not in idx:
            add_tensor(op.output)
    for tid in g.tensors:  # tensors no op touched (a traced input left unused)
        if f"t:{tid}" not in idx:
            add_tensor(tid)
    edges: list[list[int]] = []
    for oid, op in g.ops.items():
        o = idx[f"op:{oid}"]
        for tid in op.inputs:
            if tid is not None:
                edges.append([idx[f"t:{tid}"], o, 0])
        edges.append([o, idx[f"t:{op.output}"], 0])
    for oid in g.backward_order:  # one VJP node per op the backward pass ran
        op = g.ops[oid]
        f = idx[f"op:{oid}"]
        b = add(f"b:{oid}", {"k": "bwd", "id": oid, "label": clean(op.op) + " vjp",
                             "op": clean(op.op), "c": nodes[f]["c"], "fw": f,
                             "module": nodes[f]["module"], "loc": nodes[f]["loc"],
                             "step": op.backward_step,
                             "gin": [_gin(gi) for gi in op.grads_in]})
        nodes[f]["bw"] = b
        nodes[f]["saved"] = [idx[f"t:{t}"] for t in op.inputs if t is not None]
        nodes[f]["out"] = idx[f"t:{op.output}"]
        nodes[b]["saved"] = nodes[f]["saved"]
        nodes[b]["out"] = nodes[f]["out"]
    for oid in g.backward_order:  # VJP edges: consumer's vjp -> producer's vjp
        b = idx[f"b:{oid}"]
        for tid, gi in zip(g.ops[oid].inputs, g.ops[oid].grads_in, strict=False):
            p = producer.get(tid) if tid is not None else None
            if gi is not None and p is not None and f"b:{p}" in idx:
                edges.append([b, idx[f"b:{p}"], 1])
    return {"nodes": nodes, "edges": edges, "clusters": clusters,
            "has_backward": g.has_backward}


def _gin(gi: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if gi is None else {"shape": list(gi["shape"]), "norm": gi["norm"],
                                    "nan": gi["nonfinite"]}


def _graph_stats(s: dict[str, Any]) -> dict[str, Any] | None:
    """The summary `ag.Graph` keeps, when the values themselves are gone."""
    if not s:
        return None
    return {k: s[k] for k in ("min", "mean", "max") if k in s} | {"nan": s.get("nonfinite", 0)}


def grad_arrays(g: Graph) -> dict[str, np.ndarray]:
    """Tensor id -> the gradient that reached it, by replaying the recorded backward pass
    (graph retained, no `.grad` touched); empty when no backward pass can be replayed."""
    from autograd import engine

    if not g.has_backward or len(g.outputs) != 1 or not g.records:
        return {}
    by_node = {id(node): oid for oid, (node, _) in g.records.items()}
    out = next((t for oid, (_, t) in g.records.items() if g.ops[oid].output == g.outputs[0]),
               None)
    leaves: dict[int, tuple[str, Any]] = {}
    for oid, (node, _) in g.records.items():
        for tid, t in zip(g.ops[oid].inputs, node.inputs or (), strict=False):
            if tid is not None and t is not None and t.requires_grad and t.grad_fn is None:
                leaves[id(t)] = (tid, t)
    if out is None:
        return {}
    grads: dict[str, np.ndarray] = {}

    def observe(node: Any, gout: Any, _grads_in: list[Any]) -> None:
        oid = by_node.get(id(node))
        if oid is not None:
            grads[g.ops[oid].output] = gout.data

    engine.backward_observers.append(observe)
    try:
        found = engine.backward([out], [None], retain_graph=True,
                                inputs=[t for _, t in leaves.values()])
    except RuntimeError:  # the graph was freed: values only
        return {}
    finally:
        engine.backward_observers.remove(observe)
    for (tid, _), gr in zip(leaves.values(), found or [], strict=False):
        if gr is not None:
            grads[tid] = gr.data
    return grads
