"""Pictures of the computation graph: forward, backward (gradient flow) or both side by side.

>>> import autograd as ag, numpy as np, viz
>>> g = ag.trace(lambda x, w: ag.tanh(x @ w).sum(), np.ones((2, 3)), np.ones((3, 4)))
>>> dot = viz.draw(g, mode="both")            # a graphviz.Digraph
>>> path = viz.render(g, "/tmp/graph.dot")    # .svg/.png/.pdf need the `dot` program

`viz.draw_exercise(ag.exercise("sigmoid").check(path))` paints an exercise's verdict.
`viz.explore(g, "graph.html")` writes one self-contained interactive page (pan, zoom, fold
modules, forward and backward linked). `viz.explain_grad(loss, param)` says where the
gradient from the loss to a parameter vanishes, and why. `backward_steps` writes a
step-through of the backward pass; `viz.plots` has the training pictures (matplotlib).
"""

from viz.api import MAX_NODES, GraphTooLarge, as_graph, draw, last_error_graph, render
from viz.exercise import draw_exercise, render_exercise
from viz.explain import explain_grad
from viz.explain_report import GradReport
from viz.explore import Explorer, explore
from viz.render import GraphvizNotFound
from viz.steps import backward_steps
from viz.style import HEAT_RANGE

__all__ = [
    "HEAT_RANGE",
    "Explorer",
    "GradReport",
    "MAX_NODES",
    "GraphTooLarge",
    "GraphvizNotFound",
    "as_graph",
    "backward_steps",
    "draw",
    "draw_exercise",
    "explain_grad",
    "explore",
    "last_error_graph",
    "render",
    "render_exercise",
]


def __getattr__(name: str):  # noqa: ANN202 - lazy submodule
    if name == "plots":
        import importlib

        return importlib.import_module("viz.plots")
    raise AttributeError(f"module 'viz' has no attribute {name!r}")
