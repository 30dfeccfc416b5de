"""The exercise verdict painted on the graph: green on the learner's op when it passes, red
with the explanation when it fails; a notebook result shows it inline."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import viz
from tests.viz.conftest import needs_dot
from viz import style


def _node_lines(dot_source: str, op: str) -> list[str]:
    return [line for line in dot_source.splitlines() if f">{op}<" in line]


def test_pass_is_painted_green_on_the_learners_op():
    ex = ag.exercise("sigmoid")
    dot = viz.draw_exercise(ex.check(ex.reference)).source
    (fwd,) = _node_lines(dot, "your_sigmoid")
    assert style.PASSED_CHECK_STYLE["fillcolor"] in fwd and "✓ local vjp" in fwd
    assert style.FAILED_CHECK_STYLE["fillcolor"] not in dot
    assert "sigmoid: PASS" in dot  # the headline is the title


def test_fail_is_painted_red_with_the_explanation():
    ex = ag.exercise("matmul")
    dot = viz.draw_exercise(ex.check(lambda g, c: (g @ c[1].T, g.T @ c[0]))).source
    (fwd,) = _node_lines(dot, "your_matmul")
    assert style.FAILED_CHECK_STYLE["fillcolor"] in fwd
    assert "db: transposed" in fwd
    assert style.PASSED_CHECK_STYLE["fillcolor"] not in dot


def test_not_written_yet_still_draws_the_forward(tmp_path):
    ex = ag.exercise("relu")
    result = ex.check(ex.start(tmp_path))
    dot = viz.draw_exercise(result).source
    assert "NOT WRITTEN YET" in dot and style.FAILED_CHECK_STYLE["fillcolor"] in dot


def test_show_passed_is_off_by_default():
    check = ag.gradcheck_graph(lambda x: ag.tanh(x).sum(), (np.linspace(-1, 1, 4),))
    assert style.PASSED_CHECK_STYLE["fillcolor"] not in viz.draw(check).source
    assert style.PASSED_CHECK_STYLE["fillcolor"] in viz.draw(check, show_passed=True).source


def test_draw_exercise_rejects_other_objects():
    with pytest.raises(TypeError, match="ExerciseResult"):
        viz.draw_exercise(ag.trace(lambda x: x.sum(), np.ones(2)))


@needs_dot
def test_png_and_notebook_html(tmp_path):
    ex = ag.exercise("tanh")
    result = ex.check(lambda g, c: -g * (1 - c[0] ** 2))
    path = viz.render_exercise(result, tmp_path / "verdict.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = result._repr_html_()
    assert "<svg" in html and "tanh: FAIL" in html and "sign flipped" in html


@needs_dot
def test_result_displays_in_a_real_jupyter_kernel(monkeypatch):
    """`_repr_html_` in Jupyter itself: the explanation and the painted SVG, inline."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import autograd as ag, viz\n"
                                  "ex = ag.exercise('relu')"),
        nbformat.v4.new_code_cell("ex.check(lambda g, cache: g * (cache[0] > 0))"),
    ])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (out,) = nb.cells[1].outputs
    html = out["data"]["text/html"]
    assert "relu: PASS" in html and "<svg" in html
    assert style.PASSED_CHECK_STYLE["fillcolor"] in html
