"""viz.backward_steps: one SVG per backward step plus a slider page."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import autograd as ag
import viz
from tests.viz.conftest import needs_dot, small_graph, svg_groups, svg_text
from viz.steps import describe_step


@needs_dot
def test_one_svg_per_step_and_a_slider_page(tmp_path):
    g = small_graph()
    page = viz.backward_steps(g, tmp_path)
    svgs = sorted(tmp_path.glob("step_*.svg"))
    assert len(svgs) == len(g.backward_order) + 1 == 6
    html = page.read_text(encoding="utf-8")
    assert 'type="range"' in html and 'max="5"' in html
    frames = json.loads(re.search(r"const frames = (\[.*?\]);", html).group(1))
    assert [f["file"] for f in frames] == [p.name for p in svgs]
    assert frames[2]["text"].startswith("Step 2/5: MultiplyBackward")


@needs_dot
def test_gradients_accumulate_node_by_node(tmp_path):
    g = small_graph()
    viz.backward_steps(g, tmp_path)

    def node_text(step: int, starts: str) -> str:
        svg = (tmp_path / f"step_{step:04d}.svg").read_text(encoding="utf-8")
        return next(svg_text(n) for n in svg_groups(svg)["node"]
                    if svg_text(n).startswith(starts))

    assert "waiting" in node_text(0, "∂L/∂x")
    assert "‖g‖ = 1" in node_text(0, "∂L/∂output")
    # h*h sends two contributions to tanh's output in one step; the page says both arrived
    assert "all 2 contributions summed" in node_text(2, "∂L/∂tanh")
    assert "waiting" in node_text(4, "∂L/∂x")
    assert "‖g‖ =" in node_text(5, "∂L/∂x")
    current = (tmp_path / "step_0003.svg").read_text(encoding="utf-8")
    assert "#ffeb3b" in current  # TanhBackward highlighted


def test_partial_accumulation_across_steps():
    def f(x):
        a = ag.exp(x)
        return (a.sum() + ag.sin(a).sum())  # `a` gets gradients from two different ops

    g = ag.trace(f, np.array([0.1, 0.2]))
    src = [viz.draw(g, "backward", step=k).source for k in range(len(g.backward_order))]
    assert any("1 of 2 contributions summed so far" in s for s in src)
    assert "all 2 contributions summed" in src[-1]


def test_describe_and_errors(tmp_path):
    g = small_graph()
    assert "seeded" in describe_step(g, -1)
    assert "g @ bᵀ" in describe_step(g, 4)
    fwd_only = ag.trace(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match="no backward pass"):
        viz.backward_steps(fwd_only, tmp_path)
    with pytest.raises(ValueError, match="max_steps=3"):
        viz.backward_steps(g, tmp_path, max_steps=3)


def test_page_escapes_script_breakers(tmp_path, monkeypatch):
    x = ag.Tensor(np.ones(2), requires_grad=True, name="</script><b>")
    monkeypatch.setattr("viz.steps.write", lambda *a, **k: None)  # no layout needed here
    page = viz.backward_steps(ag.trace(lambda t: (t * t).sum(), x), tmp_path)
    assert "</script><b>" not in page.read_text(encoding="utf-8")
