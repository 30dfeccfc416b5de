"""viz.draw(step.plan): a compiled plan drawn with each fused kernel as a cluster."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import autograd as ag
import viz
from autograd.compiler import Compiled


def _step() -> Compiled:
    w = ag.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)

    def f(x: ag.Tensor) -> ag.Tensor:
        h = ag.relu(x @ w * 2.0 + 1.0)
        loss = (h * h - h).sum()
        loss.backward()
        return loss

    step = ag.compile(f)
    for k in range(3):
        w.grad = None
        step(ag.ones(2, 4) * k)
    return step


def test_plan_draws_fused_kernels_as_clusters() -> None:
    step = _step()
    dot = viz.draw(step.plan)
    src = dot.source
    kernels = [k for k, g in enumerate(step.plan.groups) if hasattr(g, "source")]
    assert kernels
    for k in kernels:
        assert f"cluster_k{k}" in src and f"kernel {k}: fused" in src
    assert "[VJP of matmul]" in src and "accumulate .grad" in src
    assert src.count("->") >= len(step.plan.steps)  # every step reads something


def test_plan_renders_with_graphviz(tmp_path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` not installed")
    out = viz.render(_step().plan, tmp_path / "plan.svg")
    text = open(out).read()
    assert "<svg" in text and "fused" in text
