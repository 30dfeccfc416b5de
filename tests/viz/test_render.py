"""viz.render: format by suffix, .dot without Graphviz, missing-`dot` hint, timeout."""

from __future__ import annotations

import importlib
import subprocess

import pytest

import autograd as ag
import viz
from tests.viz.conftest import needs_dot, small_graph

R = importlib.import_module("viz.render")  # the module; `viz.render` is the function


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                               (".pdf", b"%PDF")])
@needs_dot
def test_render_by_suffix(tmp_path, suffix, magic):
    out = viz.render(small_graph(), tmp_path / f"g{suffix}", mode="forward")
    assert out.read_bytes().startswith(magic)
    assert not list(tmp_path.glob("*.tmp"))


def test_dot_suffix_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(R.shutil, "which", lambda name: None)
    out = viz.render(small_graph(), tmp_path / "g.dot")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("digraph tracegrad {") and "∂L/∂x" in text
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz") as exc:
        viz.render(small_graph(), tmp_path / "g.svg")
    assert "conda install graphviz" in str(exc.value) and ".dot" in str(exc.value)
    assert not (tmp_path / "g.svg").exists()


def test_render_a_tensor_and_a_digraph(tmp_path):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    viz.render(y, tmp_path / "t.dot")
    assert x.grad is None  # drawing records the backward pass without touching .grad
    dot = viz.draw(y, mode="forward")
    assert viz.render(dot, tmp_path / "d.gv").read_text() == dot.source


def test_format_errors(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        viz.render(small_graph(), tmp_path / "g.jpeg")
    with pytest.raises(ValueError, match="unsupported format"):
        viz.render(small_graph(), tmp_path / "g", format="bmp")
    assert R.format_for("x.any", format="SVG") == "svg"


def test_timeout_message(tmp_path, monkeypatch):
    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(cmd="dot", timeout=kwargs["timeout"])

    monkeypatch.setattr(R.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(R.subprocess, "run", slow)
    with pytest.raises(TimeoutError, match="longer than 0.5 s.*depth=1"):
        viz.render(small_graph(), tmp_path / "g.svg", timeout=0.5)
    assert not list(tmp_path.iterdir())


@needs_dot
def test_dot_error_is_reported(tmp_path):
    import graphviz

    bad = graphviz.Digraph()
    bad.body.append("this is not dot {{{")
    with pytest.raises(RuntimeError, match="dot failed"):
        viz.render(bad, tmp_path / "bad.svg")
