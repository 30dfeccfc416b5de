"""The training pictures' legends and ticks: the decision boundary names each class and its
tick labels do not collide; overfitting.py's legend sits outside every panel (it covered the
train curve). Rendered for real with matplotlib's Agg backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from nn.data import Spiral  # noqa: E402
from viz import plots  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _rendered(fig, path: Path) -> object:
    fig.savefig(path, dpi=80)
    return fig.canvas.get_renderer()


def _linear_scores(a: np.ndarray) -> np.ndarray:
    return np.stack([a[:, 0], a[:, 1], -a[:, 0] - a[:, 1]], axis=1)


def test_decision_boundary_has_a_class_legend_and_readable_ticks(tmp_path: Path) -> None:
    x, t = Spiral(seed=0).as_arrays()
    fig = plots.decision_boundary(_linear_scores, x, t, resolution=40,
                                  path=tmp_path / "db.png")
    ax = fig.axes[0]
    renderer = _rendered(fig, tmp_path / "db.png")
    legend = ax.get_legend()
    assert legend is not None
    assert [tx.get_text() for tx in legend.get_texts()] == ["0", "1", "2"]
    assert not _overlap(legend.get_window_extent(renderer), ax.get_window_extent(renderer))
    for axis in (ax.xaxis, ax.yaxis):
        labels = [lb for lb in axis.get_ticklabels() if lb.get_text() and lb.get_visible()]
        assert 3 <= len(labels) <= 7 and all(lb.get_fontsize() >= 8 for lb in labels)
        boxes = [lb.get_window_extent(renderer) for lb in labels]
        assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    named = plots.decision_boundary(_linear_scores, x, t, resolution=20,
                                    class_names=["arm A", "arm B", "arm C"])
    assert [tx.get_text() for tx in named.axes[0].get_legend().get_texts()][0] == "arm A"
    with pytest.raises(ValueError, match="2 names for 3 classes"):
        plots.decision_boundary(_linear_scores, x, t, resolution=20, class_names=["a", "b"])


def test_overfitting_legend_covers_no_panel(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location("overfitting_example",
                                                  EXAMPLES / "overfitting.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    epochs = list(range(0, 201, 20))
    hist = {"epoch": epochs, "train_acc": np.linspace(0.1, 1.0, len(epochs)),
            "test_acc": np.linspace(0.1, 0.74, len(epochs))}
    fig = module.plot_curves({"plain": hist, "weight decay": hist, "dropout": hist})
    fig.tight_layout()  # as the example's savefig does
    renderer = _rendered(fig, tmp_path / "overfitting.png")
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1
    assert [tx.get_text() for tx in legends[0].get_texts()] == ["train", "test"]
    box = legends[0].get_window_extent(renderer)
    assert not any(_overlap(box, ax.get_window_extent(renderer)) for ax in fig.axes)
    assert box.x1 <= fig.bbox.x1  # and it is inside the picture
    assert all(ax.get_title() for ax in fig.axes) and fig.axes[0].get_ylabel() == "accuracy"
