"""The README's tour is real code: run it and check what it promises."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _tour_source() -> str:
    text = README.read_text()
    section = text[text.index("## A 20-line tour"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz `dot` binary")
def test_readme_tour_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(_tour_source(), "README.md", "exec"), scope)
    np.testing.assert_allclose(scope["H"], [[6.0, 0.0], [0.0, 12.0]])
    assert scope["x"].grad.shape == (1, 2) and scope["w"].grad.dtype == np.float64
    assert set(scope["grads"]) == {"W1", "b1", "W2"}
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert len(_tour_source().splitlines()) <= 24


def _section_source(title: str) -> str:
    text = README.read_text()
    section = text[text.index(title):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_pytorch_block_runs_unchanged():
    scope: dict = {}
    exec(compile(_section_source("## PyTorch code, with its imports renamed"), "README.md",
                 "exec"), scope)
    assert 0 <= scope["correct"] <= 16 and scope["pred"].shape == (16, 1)
    assert scope["model"].conv.weight.grad is not None
    assert scope["h"].grad_fn is not None and scope["h"].shape == (16, 10)
    assert scope["opt"].param_groups[0]["lr"] == 0.7  # StepLR stepped once
