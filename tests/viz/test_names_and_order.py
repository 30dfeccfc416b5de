"""Inputs are named after the traced function's parameters and drawn left to right in that
order; module clusters say `0: Linear(...)`, not just `0`."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import viz
from nn.models import MLP
from tests.viz.conftest import needs_dot, svg_groups, svg_text


def _centre_x(node) -> float:
    xs = []
    for el in node.iter():
        pts = el.get("points") or el.get("d") or ""
        xs += [float(p.split(",")[0]) for p in re.findall(r"-?[\d.]+,-?[\d.]+", pts)]
        if el.get("cx"):
            xs.append(float(el.get("cx")))
    return (min(xs) + max(xs)) / 2


def test_inputs_take_the_parameter_names_in_order() -> None:
    g = ag.trace(lambda x, w: ag.tanh(x @ w).sum(), np.ones((2, 3)), np.ones((3, 4)))
    assert [t.name for t in g.tensors.values() if t.role == "input"] == ["x", "w"]
    star = ag.trace(lambda *xs: (xs[0] * xs[1]).sum(), np.ones(2), np.ones(2))
    assert [t.name for t in star.tensors.values() if t.role == "input"] == ["arg0", "arg1"]
    src = viz.draw(g, mode="forward").source
    assert "arg0" not in src
    x_id = re.search(r"\t(fn\d+) \[label=<<TABLE[^\n]*<B>x</B>", src).group(1)
    w_id = re.search(r"\t(fn\d+) \[label=<<TABLE[^\n]*<B>w</B>", src).group(1)
    assert f"{{rank=same; {x_id} -> {w_id} [style=invis]}}" in src
    # past a few inputs dot's own placement is kept (a forced row stretches the layout)
    many = ag.trace(lambda a, b, c, d: (a * b * c * d).sum(), *[np.ones(2)] * 4)
    assert "style=invis" not in viz.draw(many, mode="forward").source


@needs_dot
@pytest.mark.parametrize("mode", ["forward", "both"])
def test_inputs_are_drawn_left_to_right_in_argument_order(mode: str) -> None:
    for f, first, second in ((lambda x, w: ag.tanh(x @ w).sum(), "x", "w"),
                             (lambda w, x: ag.tanh(x @ w).sum(), "w", "x")):
        args = (np.ones((2, 3)), np.ones((3, 4))) if first == "x" else (np.ones((3, 4)),
                                                                         np.ones((2, 3)))
        svg = viz.draw(ag.trace(f, *args), mode=mode).pipe(format="svg").decode()
        at = {svg_text(n).split()[0]: _centre_x(n) for n in svg_groups(svg)["node"]
              if svg_text(n)}
        assert at[first] < at[second]


def test_module_clusters_show_the_module() -> None:
    ag.manual_seed(0)
    model = MLP([2, 64, 64, 3])
    g = ag.trace(lambda points: model(points).sum(), np.ones((4, 2), np.float32))
    assert g.modules["0"] == "Linear(in_features=2, out_features=64, bias=True)"
    assert g.modules["1"] == "ReLU()"
    src = viz.draw(g, mode="forward").source
    assert "<B>0: Linear(in_features=2, out_features=64, bias=True)</B>" in src
    assert "<B>4: Linear(in_features=64, out_features=3, bias=True)</B>" in src
    folded = viz.draw(g, mode="forward", depth=1).source
    assert "2: Linear(in_features=64, out_features=64, bias=True)" in folded
    assert g.to_dict()["modules"]["4"].startswith("Linear(")


def test_explorer_clusters_carry_the_module_title(tmp_path) -> None:
    from tests.viz.test_explore import embedded

    ag.manual_seed(0)
    model = MLP([2, 8, 3])
    g = ag.trace(lambda points: model(points).sum(), np.ones((4, 2), np.float32))
    page = viz.explore(g, tmp_path / "g.html").path.read_text()
    titles = {c["path"]: c["title"] for c in embedded(page)["clusters"]}
    assert titles["0"] == "Linear(in_features=2, out_features=8, bias=True)"
    assert 'c.title ? ": " + c.title' in page  # drawn after the path
