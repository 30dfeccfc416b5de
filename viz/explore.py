"""`viz.explore`: one self-contained interactive HTML page of the forward and backward graph.

The layout is computed here, when the file is written, and embedded with all data, scripts
and styles: the page opens offline from disk or in Jupyter and needs no `dot`, no server
and no network.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from viz.api import as_graph
from viz.checks import error_marks, error_title
from viz.escape import attr, html_text, script_json
from viz.explore_data import build, grad_arrays
from viz.explore_flow import explain_data, grad_flow_data
from viz.explore_layout import place

FOLD_ABOVE = 300  # nodes above which the page starts folded to depth=1


def _asset(name: str) -> str:
    return resources.files("viz").joinpath("explore_assets", name).read_text(encoding="utf-8")


class Explorer:
    """A written explorer page: `.path`, and `_repr_html_` to show it inside Jupyter."""

    def __init__(self, path: Path, layout: str, n_nodes: int) -> None:
        self.path = path
        self.layout = layout
        self.n_nodes = n_nodes

    def _repr_html_(self) -> str:
        """The page in a sandboxed iframe (its scripts run apart from the notebook's)."""
        page = self.path.read_text(encoding="utf-8")
        return (f'<iframe srcdoc="{attr(page)}" sandbox="allow-scripts" '
                'style="width:100%;height:640px;border:1px solid #ccc"></iframe>')

    def __repr__(self) -> str:
        return f"<viz.Explorer {self.path} ({self.n_nodes} nodes, layout: {self.layout})>"


def page(data: dict[str, Any], title: str) -> str:
    """The HTML text: styles, data and script inline."""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html_text(title)}</title>\n<style>{_asset('explore.css')}</style></head>\n"
        f"<body>{_asset('explore.html')}\n"
        f"<script id=\"tg-data\" type=\"application/json\">{script_json(data)}</script>\n"
        f"<script>{_asset('explore.js')}\n{_asset('explore_flow.js')}</script>\n</body></html>\n"
    )


def explore(
    target: Any,
    path: str | os.PathLike[str] = "graph.html",
    *,
    depth: int | None = None,
    title: str | None = None,
    use_dot: bool | None = None,
    grad_flow: Any = None,
) -> Explorer:
    """Write an interactive page of `target`'s graph (a Tensor, an `ag.Graph` from `ag.trace`
    or a gradcheck result) to `path` and return it (displays itself in Jupyter).

    depth: modules deeper than this start folded (default: 1 above a few hundred nodes, else
    all unfolded). use_dot: False forces the built-in layered layout (default: Graphviz when
    installed and the graph is small enough for it). grad_flow: the History of
    `optim.fit(..., record_grad_flow=n)` (or its `.grad_flow`): a step slider colours each
    node by the gradient norm it had at that training step. Selecting a parameter shows its
    `viz.explain_grad` (paths, gains, where the gradient collapses).
    """
    if depth is not None and depth < 1:
        raise ValueError(f"viz.explore: depth must be >= 1 or None; got {depth}")
    g = as_graph(target)
    data = build(g, grad_arrays(g))
    data["explain"] = explain_data(g, data["nodes"])
    data["flow"] = None if grad_flow is None else grad_flow_data(g, data["nodes"], grad_flow)
    marks = error_marks(g)  # a graph kept by ag.record_on_error(): outline the failing op
    for node in data["nodes"]:
        if node["k"] in ("op", "bwd") and node["id"] in marks:
            node["err"] = marks[node["id"]]
    data["layout"] = place(data, use_dot)
    if depth is None and len(data["nodes"]) > FOLD_ABOVE:
        depth = 1
    data["depth"] = depth
    data["title"] = title or error_title(g) or "tracegrad graph"
    out = Path(path)
    out.write_text(page(data, data["title"]), encoding="utf-8")
    return Explorer(out, data["layout"], len(data["nodes"]))
