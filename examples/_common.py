"""Helpers the example scripts share: the command line (`--quick`, `--out`, `--seed`,
`--data-dir`), MNIST subsets as arrays, a classifier training loop and saving figures."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import optim
from nn.module import Module
from tracegrad.cli.common import (
    TrainingDiverged,
    accuracy,
    load_arrays,
    seed_everything,
    shape_input,
    train_epoch,
)

__all__ = ["accuracy", "fit_classifier", "he_init", "mnist", "parse", "savefig", "seed_everything"]

OUT = Path(__file__).resolve().parent / "out"


def parse(doc: str | None, argv: Sequence[str] | None, **extra: Any) -> argparse.Namespace:
    """The examples' shared options; `extra` maps more option names to defaults."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a small, fast version (smoke tests)")
    p.add_argument("--out", type=Path, default=OUT, help="where plots go (default: examples/out)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None,
                   help="MNIST folder (default: $TRACEGRAD_DATA or ~/.cache/tracegrad/mnist)")
    for name, default in extra.items():
        flag = f"--{name.replace('_', '-')}"
        if isinstance(default, bool):
            p.add_argument(flag, action="store_true", default=default)
        else:
            p.add_argument(flag, type=type(default), default=default)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def mnist(
    data_dir: str | None, n_train: int | None = None, n_test: int | None = None, flat: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The first `n_train` training and `n_test` test images, flat (N, 784) or (N, 1, 28, 28)."""
    (x, t), (xt, tt) = load_arrays("mnist", data_dir, limit=n_train)
    if n_test is not None:
        xt, tt = xt[:n_test], tt[:n_test]
    if flat:
        x, xt = shape_input("mlp", x), shape_input("mlp", xt)
    return (x, t), (xt, tt)


def fit_classifier(
    model: Module, opt: optim.Optimizer, train: tuple[np.ndarray, np.ndarray], epochs: int,
    batch_size: int = 100, seed: int = 0, test: tuple[np.ndarray, np.ndarray] | None = None,
    every: int = 0,
) -> dict[str, Any]:
    """Mini-batch cross-entropy training; records train loss per epoch, and train/test
    accuracy every `every` epochs and after the last (or after a divergence, which ends
    training and sets `hist["diverged"]`)."""
    rng = np.random.default_rng(seed)
    hist: dict[str, Any] = {"loss": [], "epoch": [], "train_acc": [], "test_acc": [],
                            "diverged": False}
    for epoch in range(1, epochs + 1):
        try:
            loss, _ = train_epoch(model, opt, *train, batch_size, rng)
        except TrainingDiverged:
            hist["diverged"], loss, epochs = True, float("nan"), epoch
        hist["loss"].append(loss)
        if epoch == epochs or (every and epoch % every == 0):
            hist["epoch"].append(epoch)
            hist["train_acc"].append(accuracy(model, *train))
            if test is not None:
                hist["test_acc"].append(accuracy(model, *test))
        if hist["diverged"]:
            break
    return hist


def he_init(model: Module) -> Module:
    """He-normal weights and zero biases for every Linear (the classic setup for ReLU nets)."""
    from nn import Linear, init

    for m in model.modules():
        if isinstance(m, Linear):
            init.kaiming_normal_(m.weight, nonlinearity="relu")
            init.zeros_(m.bias)
    return model


def savefig(fig: Any, out: Path, name: str) -> Path:
    """Save a matplotlib figure as `out/name` (PNG), close it and print the path."""
    import matplotlib.pyplot as plt

    path = Path(out) / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")
    return path


def pyplot() -> Any:
    """matplotlib.pyplot with the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
