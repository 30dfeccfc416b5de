"""Exercise verdicts on the graph: the learner's op painted green (pass) or red (fail, todo,
error) with the explanation, the headline as title.

Importing viz registers `draw_exercise` with `autograd.exercises`, so a result's `.draw()` and
its notebook `_repr_html_` paint through here (autograd itself never imports viz).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import graphviz

from autograd.exercises import ExerciseResult, register_renderer
from viz.api import draw, render


def draw_exercise(result: ExerciseResult, **kw: Any) -> graphviz.Digraph:
    """The checked graph with the verdict painted on the learner's node (kw as in `draw`)."""
    if not isinstance(result, ExerciseResult):
        raise TypeError(f"draw_exercise expects an ExerciseResult (from ag.exercise(...).check); "
                        f"got {type(result).__name__}")
    gc = result.graph_check
    if gc is None:
        raise ValueError(f"exercise {result.exercise.name!r}: the result has no graph to draw")
    opts: dict[str, Any] = {
        "mode": "both" if gc.graph.has_backward else "forward",
        "title": "\n".join(textwrap.wrap(result.headline, 90)),
    }
    opts.update(kw)
    return draw(gc, check=gc, show_passed=True, **opts)


def render_exercise(result: ExerciseResult, path: str | os.PathLike[str], **kw: Any) -> Path:
    """Write the painted graph to `path` (.svg/.png/.pdf/.dot, as `viz.render`)."""
    return render(draw_exercise(result, **kw), path)


register_renderer(draw_exercise)
