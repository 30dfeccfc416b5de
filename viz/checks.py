"""Per-node gradient check results -> lines on the op nodes that fail, and the lines on the
op that raised in a graph kept by `ag.record_on_error()`.

The results come from `ag.gradcheck_graph(f, inputs)` (a `GraphCheck`: `.graph` and
`.nodes`, op id -> `NodeCheck`); viz only reads them (duck-typed, so any object with the same
fields works).
"""

from __future__ import annotations

import os
import textwrap
from typing import Any

from autograd.graph import Graph
from viz.labels import fmt

NEEDS_RESULTS = (
    "check=True needs the per-node check results: draw the result of "
    "ag.gradcheck_graph(f, inputs) (viz.draw(ag.gradcheck_graph(f, inputs), check=True)) "
    "or pass it as check="
)


def check_results(target: Any, check: Any) -> Any | None:
    """The GraphCheck to paint: `check` itself, the target when it is one, or None."""
    if check is None or check is False:
        return target if check is None and _is_graph_check(target) else None
    if check is True:
        if _is_graph_check(target):
            return target
        raise ValueError(NEEDS_RESULTS)
    if _is_graph_check(check):
        return check
    raise TypeError(f"check must be a bool or an ag.gradcheck_graph result; got {check!r}")


def _is_graph_check(obj: Any) -> bool:
    return isinstance(getattr(obj, "graph", None), Graph) and isinstance(
        getattr(obj, "nodes", None), dict
    )


def _input_line(report: Any) -> str:
    where = f" at {list(report.index)}" if report.index is not None else ""
    label = str(report.label).rpartition(" ")[2] if report.label else "?"
    if report.analytic is None or report.numerical is None:
        return f"input {label}: {report.message or report.status}"
    return (
        f"input {label}{where}: analytic {fmt(report.analytic)} vs numeric "
        f"{fmt(report.numerical)} (abs err {fmt(report.abs_err)})"
    )


def check_marks(g: Graph, results: Any | None) -> dict[str, list[str]]:
    """Op id -> lines to print on each op whose local VJP disagrees with finite differences."""
    if results is None:
        return {}
    if results.graph is not g:
        raise ValueError("the check results belong to a different graph than the one drawn")
    marks: dict[str, list[str]] = {}
    for oid, node in results.nodes.items():
        if node.status != "fail":
            continue
        lines = [_input_line(r) for r in node.inputs if not r.passed]
        lines.extend(node.problems)
        marks[oid] = lines or [node.message]
    return marks


def check_passes(g: Graph, results: Any | None) -> dict[str, list[str]]:
    """Op id -> lines for each op whose local VJP matched (painted green when asked)."""
    if results is None:
        return {}
    if results.graph is not g:
        raise ValueError("the check results belong to a different graph than the one drawn")
    return {oid: list(node.problems) for oid, node in results.nodes.items()
            if node.status == "ok"}


_RAISED = {
    "forward": "✗ raised here (forward)",
    "backward": "✗ its backward raised",
    "nonfinite": "✗ its backward sent NaN/inf",
}


def short_location(loc: str | None) -> str | None:
    """`/long/path/model.py:12` -> `model.py:12`."""
    if not loc:
        return None
    path, _, line = loc.rpartition(":")
    return f"{os.path.basename(path)}:{line}"


def error_title(g: Graph) -> str | None:
    """One line for the picture's title: `ShapeError: ... (at model.py:12)`."""
    err = g.error
    if not err or "type" not in err:
        return None
    text = " ".join(err.get("message", "").split())
    text = text if len(text) <= 140 else text[:137] + "..."
    where = short_location(err.get("location") or err.get("raised_at"))
    return f"{err['type']}: {text}" + (f" (at {where})" if where else "")


def error_marks(g: Graph) -> dict[str, list[str]]:
    """Op id -> lines to print on the op that raised (or sent NaN/inf), if the graph has one."""
    err = g.error
    if not err or err.get("op") not in g.ops:
        return {}
    lines = [_RAISED.get(err["phase"], "✗ failed here")]
    if err.get("inputs"):
        lines.append("inputs: " + ", ".join(err["inputs"]))
    if err.get("detail"):
        lines.append(err["detail"])
    if "type" in err:
        message = f"{err['type']}: {err.get('message', '')}"
        lines.extend(p for ln in message.splitlines() for p in textwrap.wrap(ln, 90) or [""])
    for label, key in (("at", "location"), ("raised in", "raised_at")):
        where = short_location(err.get(key))
        if where and (key == "location" or err.get(key) != err.get("location")):
            lines.append(f"{label} {where}")
    if err.get("note"):
        lines.append(err["note"])
    return {err["op"]: lines}
