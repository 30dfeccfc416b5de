"""`viz.last_error_graph()`: the graph kept by `ag.record_on_error()` drawn with the failing op
outlined, its input shapes, the exception and the user's file:line (DOT source, real `dot`)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
import viz
from tests.viz.conftest import needs_dot, svg_groups, svg_text
from tests.viz.test_explore import embedded
from viz import style


def _fail_in_sequential() -> ag.ShapeError:
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(4, 3))
    with pytest.raises(ag.ShapeError) as info, ag.record_on_error():
        model(ag.tensor(np.ones((5, 2), np.float32)))
    return info.value


def _node_attrs(source: str, needle: str) -> str:
    """The DOT statement of the node whose label contains `needle`."""
    (stmt,) = [s for s in source.split("\n\t") if needle in s and "->" not in s]
    return stmt


def test_forward_failure_is_outlined_with_shapes_message_and_line() -> None:
    exc = _fail_in_sequential()
    dot = viz.last_error_graph()
    src = dot.source
    stmt = _node_attrs(src, "raised here (forward)")
    assert f'color="{style.ALERT}"' in stmt and 'penwidth=4' in stmt
    assert "inputs: float32 (5, 8), float32 (3, 4), float32 (3,)" in stmt
    assert "does not match weight of shape (3, 4)" in stmt
    assert f"at {__name__.rpartition('.')[2]}.py:" in stmt
    assert "ShapeError: linear: input of shape (5, 8)" in src  # the title
    assert str(exc).split(" (")[0] in src
    assert "not computed" in src  # the output it never made
    assert "<B>2: Linear(in_features=4, out_features=3, bias=True)</B>" in src  # its module
    assert "will not train" not in src  # no output yet is not an untrainable layer
    # forward only by default for a forward failure; explorable as well
    assert "backward pass" not in src
    assert viz.as_graph(ag.last_error_graph()) is ag.last_error_graph()


def _backward_raises() -> None:
    class Broken(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            raise ArithmeticError("no gradient today")

    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ArithmeticError), ag.record_on_error():
        Broken.apply(x.exp()).sum().backward()


def test_backward_failure_is_drawn_in_both_views() -> None:
    _backward_raises()
    src = viz.last_error_graph().source
    assert src.count("its backward raised") == 2  # forward node and backward node
    assert "ArithmeticError: no gradient today" in src
    assert "not reached: backward stopped at the error" in src  # ExpBackward never ran
    assert "SumBackward #1" in src


@needs_dot
def test_error_graph_renders(tmp_path) -> None:
    _fail_in_sequential()
    svg = viz.last_error_graph().pipe(format="svg").decode()
    texts = [svg_text(n) for n in svg_groups(svg)["node"]]
    assert any("raised here (forward)" in t for t in texts)
    page = viz.explore(ag.last_error_graph(), tmp_path / "error.html")
    text = page.path.read_text()
    data = embedded(text)
    (failing,) = [n for n in data["nodes"] if n.get("err")]
    assert failing["op"] == "linear" and failing["err"][0] == "✗ raised here (forward)"
    assert data["title"].startswith("ShapeError: linear")
    assert ".n.err rect" in text  # outlined in the page as well


def test_without_a_recorded_error_it_says_how_to_get_one(monkeypatch) -> None:
    from autograd import error_record

    monkeypatch.setattr(error_record, "_last", [])
    with pytest.raises(LookupError, match="record_on_error"):
        viz.last_error_graph()


def test_the_example_hits_both_failures(tmp_path, monkeypatch) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    monkeypatch.syspath_prepend(str(examples))
    spec = importlib.util.spec_from_file_location("error_graph_example",
                                                  examples / "error_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.main(["--quick", "--out", str(tmp_path)])
    fwd, bwd = found["forward"], found["backward"]
    assert fwd["op_name"] == "linear" and fwd["module"] == "fc1"
    assert fwd["inputs"][:2] == ["float32 (8, 256)", "float32 (120, 400)"]
    assert bwd["op_name"] == "Doubler" and "shape (8, 120)" in bwd["detail"]
    assert {p.stem for p in tmp_path.iterdir()} == {"error_graph_forward", "error_graph_backward"}


@needs_dot
def test_the_readme_section_runs(tmp_path, monkeypatch) -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text[text.index("## When it breaks"):]
    first, second = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    with pytest.raises(ag.ShapeError, match="does not match weight of shape"):
        exec(compile(first, "README.md", "exec"), scope)
    exec(compile(second, "README.md", "exec"), scope)
    assert (tmp_path / "error.png").read_bytes()[:4] == b"\x89PNG"
    assert ag.last_error_graph().error["location"].startswith("README.md:")
