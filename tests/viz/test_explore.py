"""viz.explore: one self-contained HTML page (no URLs, all data inline, hostile names escaped),
both layouts, forward/backward links in the embedded data, and `tracegrad graph -o g.html`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import viz
from tests.viz.conftest import needs_dot, small_graph
from tracegrad.cli import main
from viz.explore_data import stats


def embedded(html: str) -> dict:
    """The JSON data block of a written page."""
    m = re.search(r'<script id="tg-data" type="application/json">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_page_is_self_contained(tmp_path: Path) -> None:
    page = viz.explore(small_graph(), tmp_path / "g.html")
    html = page.path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "@import" not in html and "<script src" not in html
    assert "fetch(" not in html and "XMLHttpRequest" not in html
    data = embedded(html)
    ops = [n for n in data["nodes"] if n["k"] == "op"]
    assert sorted(n["op"] for n in ops) == sorted(o.op for o in small_graph().ops.values())
    assert all({"x", "y", "w", "h"} <= n.keys() for n in data["nodes"])
    assert "tgExplore" in html and ".n.sel rect" in html  # script and style are inline


def test_repr_html_embeds_the_page_in_an_iframe(tmp_path: Path) -> None:
    page = viz.explore(small_graph(), tmp_path / "g.html")
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and "<script" not in frame
    assert "&lt;script" in frame


def test_forward_and_backward_nodes_are_linked(tmp_path: Path) -> None:
    g = small_graph()
    data = embedded(viz.explore(g, tmp_path / "g.html").path.read_text())
    nodes = data["nodes"]
    bwd = [i for i, n in enumerate(nodes) if n["k"] == "bwd"]
    assert len(bwd) == len(g.backward_order) == len(g.ops)
    for b in bwd:
        f = nodes[b]["fw"]
        assert nodes[f]["k"] == "op" and nodes[f]["bw"] == b
        op = g.ops[nodes[f]["id"]]
        assert [nodes[s]["id"] for s in nodes[f]["saved"]] == [t for t in op.inputs if t]
        assert nodes[nodes[f]["out"]]["id"] == op.output
    tanh = next(n for n in nodes if n["k"] == "op" and n["op"] == "tanh")
    vjp_edges = [(s, d) for s, d, k in data["edges"] if k == 1 and s == tanh["bw"]]
    assert [nodes[d]["op"] for _, d in vjp_edges] == ["add"]  # gradient flows to add's vjp
    out = nodes[tanh["out"]]
    assert out["grad"]["norm"] > 0
    assert sum(out["gstats"]["hist"]) == 8  # the gradient's histogram: all 2x4 values
    assert out["gstats"]["mean"] == pytest.approx(2 * np.tanh(0.15))  # d(sum h^2)/dh = 2h
    weight = next(n for n in nodes if n.get("name") == "w")  # a leaf's gradient, too
    assert weight["gstats"] is not None and weight["gstats"]["n"] == 12


def test_statistics_and_histogram() -> None:
    s = stats(np.array([1.0, 2.0, 3.0, np.nan, np.inf]))
    assert (s["min"], s["max"], s["mean"], s["nan"], s["inf"]) == (1.0, 3.0, 2.0, 1, 1)
    assert s["std"] == pytest.approx(np.std([1.0, 2.0, 3.0]))
    assert sum(s["hist"]) == 3 and len(s["hist"]) == 16
    assert stats(np.zeros(0)) is None
    assert sum(stats(np.ones(7))["hist"]) == 7  # constant values: one bar, no error


def hostile_graph() -> ag.Graph:
    evil = '</script><script>alert(1)</script>\ud800"&'

    def f(x):
        with ag.module_scope(evil):
            return ag.tanh(x).sum()

    x = ag.Tensor(np.ones(3), requires_grad=True, name=evil)
    return ag.trace(f, x)


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    page = viz.explore(hostile_graph(), tmp_path / "g.html", title="<b>t</b>\udfff")
    html = page.path.read_text(encoding="utf-8")  # lone surrogates would fail to encode
    assert "alert(1)</script>" not in html and "<b>t</b>" not in html
    assert html.count("<script") == 2  # the data block and the explorer, nothing injected
    data = embedded(html)
    names = {n.get("name") for n in data["nodes"]}
    assert '</script><script>alert(1)</script>\ufffd"&' in names
    assert data["clusters"][0]["path"].startswith("</script>")


@needs_dot
def test_dot_layout_used_when_available(tmp_path: Path) -> None:
    assert viz.explore(small_graph(), tmp_path / "g.html").layout == "Graphviz dot"


def test_layered_layout_without_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on PATH
    page = viz.explore(small_graph(), tmp_path / "g.html")
    assert page.layout.startswith("layered") and "not found" in page.layout
    data = embedded(page.path.read_text())
    assert "layered" in data["layout"]
    ys = {n["id"]: n["y"] for n in data["nodes"] if n["k"] != "bwd"}
    g = small_graph()
    for op in g.ops.values():  # every op sits below its inputs and above its output
        assert all(ys[t] < ys[op.id] for t in op.inputs if t) and ys[op.id] < ys[op.output]


def test_depth_folds_and_is_validated(tmp_path: Path) -> None:
    data = embedded(viz.explore(small_graph(), tmp_path / "g.html", depth=1).path.read_text())
    assert data["depth"] == 1 and data["clusters"][0]["box"].keys() == {"f", "b"}
    with pytest.raises(ValueError, match="depth"):
        viz.explore(small_graph(), tmp_path / "g.html", depth=0)


def test_cli_writes_html_and_accepts_depth(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.html"
    assert main(["graph", "mlp", "-o", str(out), "--depth", "1"]) == 0
    data = embedded(out.read_text())
    assert data["depth"] == 1 and any(n["k"] == "bwd" for n in data["nodes"])
    assert "explorer:" in capsys.readouterr().out
    dot = tmp_path / "g.dot"
    assert main(["graph", "mlp", "-o", str(dot), "--depth", "1"]) == 0
    folded = dot.read_text()
    assert main(["graph", "mlp", "-o", str(dot)]) == 0
    assert len(folded) < len(dot.read_text())  # depth=1 drew one box per module
