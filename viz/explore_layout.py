"""Positions for the explorer, computed when the page is written: Graphviz `dot -Tjson` on the
forward graph (clusters per module), or, without `dot` or for graphs too big for it, a layered
layout by topological depth computed here. Backward nodes sit on the right, rows aligned."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

DOT_LIMIT = 3000  # forward nodes above which dot is not tried (its layout takes minutes)
DOT_TIMEOUT = 30.0  # seconds
ROW = 56.0  # vertical distance between layers of the Python layout
GAP = 18.0  # horizontal gap between nodes of one layer
SIDE_GAP = 120.0  # between the forward and the backward side


def size(node: dict[str, Any]) -> tuple[float, float]:
    """Width and height (px) of a node's box, from its label."""
    height = 26.0 if node["k"] == "op" else 22.0
    return max(48.0, 7.0 * min(len(node["label"]), 40) + 16.0), height


def _dot_source(nodes: list[dict[str, Any]], fwd: list[int], edges: list[list[int]],
                clusters: list[dict[str, Any]]) -> str:
    """DOT with fixed-size empty nodes: no user text reaches Graphviz."""
    members: dict[int, list[int]] = {}
    for i in fwd:
        members.setdefault(nodes[i]["c"], []).append(i)
    children: dict[int, list[int]] = {}
    for ci, c in enumerate(clusters):
        children.setdefault(c["parent"], []).append(ci)
    lines = ["digraph G {", "node [shape=box fixedsize=true label=\"\"];", "nodesep=0.25;",
             "ranksep=0.35;"]

    def emit(ci: int) -> None:
        for i in members.get(ci, []):
            w, h = size(nodes[i])
            lines.append(f"n{i} [width={w / 72:.3f} height={h / 72:.3f}];")
        for cc in children.get(ci, []):
            lines.append(f"subgraph cluster_{cc} {{")
            emit(cc)
            lines.append("}")

    emit(-1)
    lines += [f"n{s} -> n{d};" for s, d, kind in edges if kind == 0]
    lines.append("}")
    return "\n".join(lines)


def _dot_positions(source: str) -> dict[int, tuple[float, float]] | None:
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "-Tjson"], input=source.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT, check=True)
        data = json.loads(proc.stdout)
    except (subprocess.SubprocessError, OSError, ValueError):
        return None
    height = float(data["bb"].split(",")[3])
    pos: dict[int, tuple[float, float]] = {}
    for obj in data.get("objects", []):
        name = obj.get("name", "")
        if name.startswith("n") and "pos" in obj and name[1:].isdigit():
            x, y = (float(v) for v in obj["pos"].split(","))
            pos[int(name[1:])] = (x, height - y)
    return pos


def _layered(nodes: list[dict[str, Any]], fwd: list[int],
             edges: list[list[int]]) -> dict[int, tuple[float, float]]:
    """Layer = longest path from an input (leaves one above their first consumer); within a
    layer nodes are ordered by cluster then recording order, so modules stay together."""
    preds: dict[int, list[int]] = {}
    succs: dict[int, list[int]] = {}
    for s, d, kind in edges:
        if kind == 0:
            preds.setdefault(d, []).append(s)
            succs.setdefault(s, []).append(d)
    layer: dict[int, int] = {}
    for i in fwd:  # fwd is topological: each op after its inputs, each output after its op
        layer[i] = 1 + max((layer[p] for p in preds.get(i, []) if p in layer), default=-1)
    for i in fwd:
        if i not in preds and succs.get(i):
            layer[i] = max(0, min(layer[s] for s in succs[i]) - 1)
    rows: dict[int, list[int]] = {}
    for i in fwd:
        rows.setdefault(layer[i], []).append(i)
    pos: dict[int, tuple[float, float]] = {}
    for r, row in rows.items():
        row.sort(key=lambda i: (nodes[i]["c"], i))
        x = 0.0
        for i in row:
            w, _ = size(nodes[i])
            pos[i] = (x + w / 2, r * ROW + 20)
            x += w + GAP
    return pos


def place(data: dict[str, Any], use_dot: bool | None = None) -> str:
    """Set x, y, w, h on every node and the per-side boxes of every cluster; return the name
    of the layout used (shown in the page)."""
    nodes, edges, clusters = data["nodes"], data["edges"], data["clusters"]
    fwd = [i for i, n in enumerate(nodes) if n["k"] != "bwd"]
    pos = None
    how = "layered (Python, by topological depth)"
    if use_dot is not False and len(fwd) <= DOT_LIMIT:
        pos = _dot_positions(_dot_source(nodes, fwd, edges, clusters))
        if pos is not None and len(pos) == len(fwd):
            how = "Graphviz dot"
        else:
            pos = None
            how += ": Graphviz `dot` not found or it failed"
    elif len(fwd) > DOT_LIMIT:
        how += f": more than {DOT_LIMIT} nodes for Graphviz dot"
    if pos is None:
        pos = _layered(nodes, fwd, edges)
    width = max((pos[i][0] + size(nodes[i])[0] / 2 for i in fwd), default=0.0)
    for i in fwd:
        nodes[i]["x"], nodes[i]["y"] = pos[i]
    for n in nodes:
        if n["k"] == "bwd":
            f = nodes[n["fw"]]
            n["x"], n["y"] = 2 * width + SIDE_GAP - f["x"], f["y"]
        n["w"], n["h"] = size(n)
    _boxes(nodes, clusters)
    return how


def _boxes(nodes: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> None:
    """Bounding box of each cluster's members (sub-clusters included), per side: 'f' and 'b'."""
    for c in clusters:
        c["box"] = {}
    for n in nodes:
        side = "b" if n["k"] == "bwd" else "f"
        ci = n["c"]
        x0, y0, x1, y1 = n["x"] - n["w"] / 2, n["y"] - n["h"] / 2, n["x"] + n["w"] / 2, \
            n["y"] + n["h"] / 2
        while ci >= 0:
            box = clusters[ci]["box"].get(side)
            clusters[ci]["box"][side] = [x0, y0, x1, y1] if box is None else [
                min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            ci = clusters[ci]["parent"]
