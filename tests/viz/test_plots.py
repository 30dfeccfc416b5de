"""viz.plots: training pictures with matplotlib (Agg backend)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import viz

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
nn = pytest.importorskip("nn", reason="nn package not importable yet")
plots = viz.plots


def _mlp_graph(init=None) -> ag.Graph:
    ag.manual_seed(0)
    model = nn.models.MLP([2, 16, 16, 3], activation="tanh")
    if init is not None:
        for m in model.modules():
            if isinstance(m, nn.Linear):
                init(m.weight)
                nn.init.zeros_(m.bias)
    x = ag.randn(32, 2)
    t = ag.Tensor(np.arange(32) % 3)
    return ag.trace(lambda: nn.functional.cross_entropy(model(x), t))


def test_training_curves(tmp_path):
    hist = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, 0.5], "acc": [0.3, 0.6, 0.8]}
    fig = plots.training_curves(hist, path=tmp_path / "curves.png")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    assert (tmp_path / "curves.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="no loss or accuracy"):
        plots.training_curves({"lr": [0.1]})


def test_activation_histograms_compare_inits():
    graphs = {
        "constant": _mlp_graph(lambda w: nn.init.constant_(w, 0.5)),
        "Xavier": _mlp_graph(nn.init.xavier_uniform_),
        "He": _mlp_graph(nn.init.kaiming_uniform_),
    }
    acts = plots.activations(graphs["constant"])
    assert len(acts) == 2  # two tanh layers
    fig = plots.activation_histograms(graphs)
    assert len(fig.axes) == 6
    assert fig.axes[0].get_ylabel() == "constant"
    # constant init: every unit of a layer computes the same value -> zero spread per row
    first = next(iter(acts.values()))
    assert np.allclose(first, first[:, :1])


def test_gradient_flow_bars():
    g = _mlp_graph()
    norms = plots.gradient_norms(g)
    assert list(norms) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert all(v > 0 for v in norms.values())
    fig = plots.gradient_flow(g)
    assert len(fig.axes[0].patches) == 6
    with pytest.raises(ValueError, match="backward"):
        plots.gradient_flow(ag.trace(lambda x: x * 2, np.ones(2)))


def test_decision_boundary_for_spiral(tmp_path):
    data = nn.data.Spiral(n_per_class=30, n_classes=3)
    x, t = data.as_arrays()
    w = np.random.default_rng(0).normal(size=(2, 3))
    fig = plots.decision_boundary(lambda a: ag.tensor(a) @ ag.tensor(w), x, t, resolution=50,
                                  path=tmp_path / "boundary.png")
    assert len(fig.axes) == 1 and (tmp_path / "boundary.png").exists()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plots.decision_boundary(lambda a: a, np.ones((4, 3)), np.zeros(4))
