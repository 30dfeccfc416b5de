"""`tracegrad exercise`: start writes a starter, check exits 0/1 with the explanation."""

from __future__ import annotations

import shutil

import pytest

from tracegrad.cli import main
from viz import style

CORRECT = """    a, b = cache
    return g @ b.T, a.T @ g
"""
TRANSPOSED = """    a, b = cache
    return g @ b.T, g.T @ a
"""


def _fill(path, body: str) -> None:
    """Replace the starter's backward (or the previous attempt) with `body`."""
    text = path.read_text()
    start = text.index("def backward(g, cache):")
    path.write_text(text[:start] + "def backward(g, cache):\n" + body)


def test_start_check_correct_and_wrong(tmp_path, capsys):
    assert main(["exercise", "start", "matmul", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "exercise_matmul.py"
    assert "def backward(g, cache):" in path.read_text()
    assert main(["exercise", "check", str(path), "--no-graph"]) == 1
    assert "matmul: NOT WRITTEN YET" in capsys.readouterr().out

    _fill(path, CORRECT)
    graph = tmp_path / "verdict.dot"
    assert main(["exercise", "check", str(path), "--graph", str(graph)]) == 0
    out = capsys.readouterr().out
    assert "matmul: PASS" in out and "da: ok" in out and "db: ok" in out
    assert style.PASSED_CHECK_STYLE["fillcolor"] in graph.read_text()

    _fill(path, TRANSPOSED)
    assert main(["exercise", "check", str(path), "--graph", str(graph)]) == 1
    out = capsys.readouterr().out
    assert "matmul: FAIL: transposed" in out and "eps sweep: bug" in out
    assert style.FAILED_CHECK_STYLE["fillcolor"] in graph.read_text()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
def test_default_graph_is_an_svg_beside_the_file(tmp_path, capsys):
    main(["exercise", "start", "relu", "--dir", str(tmp_path)])
    _fill(tmp_path / "exercise_relu.py", "    (x,) = cache\n    return g * (x > 0)\n")
    assert main(["exercise", "check", str(tmp_path / "exercise_relu.py")]) == 0
    svg = tmp_path / "exercise_relu_verdict.svg"
    assert svg.is_file() and style.PASSED_CHECK_STYLE["fillcolor"] in svg.read_text()


def test_own_function(tmp_path, capsys):
    lib = tmp_path / "mylib.py"
    lib.write_text("import autograd as ag\n\ndef f(x, w):\n    return ag.tanh(x @ w)\n")
    assert main(["exercise", "start", f"{lib}:f", "--shape", "3,4", "--shape", "4,2",
                 "--dir", str(tmp_path)]) == 0
    path = tmp_path / "exercise_mylib_f.py"
    assert "#     def f(x, w):" in path.read_text()
    _fill(path, "    x, w = cache\n    dz = g * (1 - np.tanh(x @ w) ** 2)\n"
                "    return dz @ w.T, x.T @ dz\n")
    assert main(["exercise", "check", str(path), "--no-graph"]) == 0
    assert "f: PASS" in capsys.readouterr().out


def test_list_hint_solution(tmp_path, capsys):
    assert main(["exercise", "list"]) == 0
    out = capsys.readouterr().out
    assert "conv2d" in out and "rnn_step" in out and "softmax_cross_entropy" in out
    assert main(["exercise", "hint", "batch_norm", "--level", "2"]) == 0
    assert capsys.readouterr().out.count("hint ") == 2
    assert main(["exercise", "solution", "batch_norm"]) == 2
    assert "--reveal" in capsys.readouterr().err
    assert main(["exercise", "solution", "batch_norm", "--reveal"]) == 0
    assert "def backward(" in capsys.readouterr().out


def test_usage_errors(tmp_path, capsys):
    assert main(["exercise"]) == 2
    assert main(["exercise", "start", "sigmod"]) == 2
    assert "did you mean 'sigmoid'" in capsys.readouterr().err
    assert main(["exercise", "check", str(tmp_path / "missing.py")]) == 2
    main(["exercise", "start", "tanh", "--dir", str(tmp_path)])
    assert main(["exercise", "start", "tanh", "--dir", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
