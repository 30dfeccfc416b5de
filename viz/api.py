"""`draw` and `render`: from a Tensor or an `ag.Graph` to a Graphviz drawing or a file."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import graphviz

from autograd import error_record
from autograd.graph import Graph
from autograd.tensor import Tensor
from viz import render as _render
from viz.checks import check_marks, check_passes, check_results, error_marks, error_title
from viz.dot import EDGE_LABEL_LIMIT, Marks, Options, build
from viz.layout import Plan, plan
from viz.plan import draw_plan, is_plan
from viz.style import HEAT_RANGE

MAX_NODES = 20_000  # drawn nodes (both views together) above which draw collapses or refuses


class GraphTooLarge(ValueError):
    """More nodes than `max_nodes` even after collapsing; the message says what to do."""


def as_graph(target: Any, backward: bool = True) -> Graph:
    """A `Graph` for `target`: a Graph as is, the graph behind a Tensor, or `target.graph`
    (an `ag.gradcheck_graph` result).

    For a scalar Tensor that requires grad, the backward pass is recorded too (without
    touching any `.grad`), unless `backward=False`.
    """
    if isinstance(target, Graph):
        return target
    if isinstance(target, Tensor):
        return Graph.from_tensor(target, backward=backward)
    if hasattr(target, "graph") and isinstance(target.graph, Graph):
        return target.graph
    raise TypeError(
        f"viz.draw expects a Tensor or an ag.Graph (from ag.trace); got {type(target).__name__}"
    )


def _fit(g: Graph, depth: int | None, collapse_repeats: bool, max_nodes: int,
         sides: int) -> Plan:
    p = plan(g, depth, collapse_repeats)
    if p.size * sides <= max_nodes:
        return p
    tried = [f"depth={depth}, collapse_repeats={collapse_repeats}: {p.size * sides} nodes"]
    if depth is None and not collapse_repeats:
        for d, rep in ((None, True), (1, True)):
            p = plan(g, d, rep)
            tried.append(f"depth={d}, collapse_repeats={rep}: {p.size * sides} nodes")
            if p.size * sides <= max_nodes:
                warnings.warn(
                    f"graph too large to draw in full (limit max_nodes={max_nodes}); "
                    f"drawn with depth={d}, collapse_repeats={rep}",
                    stacklevel=3,
                )
                return p
    raise GraphTooLarge(
        f"graph has too many nodes to draw (limit max_nodes={max_nodes}; tried "
        + "; ".join(tried)
        + "). Pass depth=1 (one box per module), collapse_repeats=True, mode='forward', "
        "or a larger max_nodes= if you really want it (Graphviz layout gets slow)."
    )


def draw(
    target: Graph | Tensor,
    mode: str = "both",
    *,
    values: bool = True,
    heat: bool | None = None,
    heat_range: tuple[float, float] = HEAT_RANGE,
    depth: int | None = None,
    collapse_repeats: bool = False,
    check: Any = None,
    show_passed: bool = False,
    source: bool = False,
    timing: bool = False,
    edge_labels: bool | None = None,
    max_nodes: int = MAX_NODES,
    title: str | None = None,
    step: int | None = None,
    rankdir: str = "TB",
) -> graphviz.Digraph:
    """Draw the graph of `target` (a Tensor, an `ag.Graph` or a compiled `step.plan`) as a
    `graphviz.Digraph`.

    mode: "forward" (data and op nodes), "backward" (the gradient reaching each node,
    edges labelled with their VJP) or "both" side by side, rows aligned.
    values: show min/mean/max (or the value of tiny tensors). heat: colour by log gradient
    norm (default: on when gradients were recorded). depth: fold modules at that path depth
    into one box each. collapse_repeats: fold repeated blocks (RNN steps). check: paint the
    ops whose local VJP disagrees with finite differences red, from the result of
    `ag.gradcheck_graph(f, inputs)` given as `target` (check=True or None) or as `check=`;
    show_passed: paint the ops whose check passed green too (exercise verdicts).
    source: show each op's `file:line`. timing: forward/backward time and saved memory.
    step: show the backward pass as it stood after that step (see `backward_steps`).
    rankdir: "TB" (top to bottom) or "LR" (left to right, for long chains).
    """
    if mode not in ("forward", "backward", "both"):
        raise ValueError(f"mode must be 'forward', 'backward' or 'both'; got {mode!r}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR'; got {rankdir!r}")
    if is_plan(target):  # `ag.compile`'s plan: its own picture, fused kernels as clusters
        return draw_plan(target, title=title, rankdir=rankdir)
    g = as_graph(target)
    results = check_results(target, check)
    sides = 2 if mode == "both" else 1
    p = _fit(g, depth, collapse_repeats, max_nodes, sides)
    marks = Marks(
        checks=check_marks(g, results),
        passed=check_passes(g, results) if show_passed else {},
        nonfinite=g.first_nonfinite(),
        # a graph kept at an error has no output yet, so no path to one is no warning
        untrained=set() if g.error else set(g.parameters_without_gradient_path()),
        errors=error_marks(g),
    )
    opts = Options(
        values=values,
        heat=g.has_backward if heat is None else heat,
        heat_range=heat_range,
        source=source,
        timing=timing,
        edge_labels=(p.size * sides <= EDGE_LABEL_LIMIT) if edge_labels is None else edge_labels,
        step=step,
        title=title if title is not None else error_title(g),
        rankdir=rankdir,
    )
    return build(p, mode, opts, marks)


def last_error_graph(mode: str | None = None, **kw: Any) -> graphviz.Digraph:
    """Draw the graph kept by the latest failure inside `ag.record_on_error()`: the failing
    op outlined in red with its input shapes, the exception and the user's `file:line`.

    mode defaults to "forward" for an op that raised in the forward pass and "both" for a
    failure in backward; other keywords are those of `draw` (`source=True` by default).
    For the interactive page: `viz.explore(ag.last_error_graph(), "error.html")`.
    """
    g = error_record.last_error_graph()
    if g is None:
        raise LookupError("no error graph recorded yet: run the code that fails inside "
                          "`with ag.record_on_error():` (tracegrad graph/gradcheck do it for you)")
    if mode is None:
        mode = "forward" if g.error and g.error.get("phase") in ("forward", "error") else "both"
    kw.setdefault("source", True)
    return draw(g, mode, **kw)


def render(
    target: Graph | Tensor | graphviz.Digraph,
    path: str | os.PathLike[str],
    format: str | None = None,  # noqa: A002 - API.md name
    *,
    timeout: float = _render.TIMEOUT,
    **kw: Any,
) -> Path:
    """Draw `target` (keyword arguments as in `draw`) and write it to `path`.

    The format comes from the suffix (.svg/.png/.pdf/.dot) unless `format=` is given.
    .dot needs no Graphviz; the others need the `dot` program and stop after `timeout` s.
    """
    fmt = _render.format_for(path, format)
    dot = target if isinstance(target, graphviz.Digraph) else draw(target, **kw)
    return _render.write(dot.source, path, fmt, timeout=timeout)
