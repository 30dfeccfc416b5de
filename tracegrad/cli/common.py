"""Pieces the `tracegrad` subcommands share: model and optimizer factories, data loading,
and one training epoch with a progress bar."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
import optim
from autograd.kernels import compile_count
from nn.data import MNIST, Spiral
from nn.data.mnist import default_root
from nn.functional import cross_entropy
from nn.models import MLP, VGG, AlexNet, LeNet5
from nn.module import Module
from optim.training import advance_progress
from tracegrad.cli.errors import CLIError, UsageError

MODELS = ("mlp", "lenet5", "alexnet", "vgg")
DATASETS = ("mnist", "spiral")
# name -> (optimizer class, fixed keyword arguments, default learning rate)
OPTIMIZERS: dict[str, tuple[type, dict[str, Any], float]] = {
    "sgd": (optim.SGD, {}, 0.1),
    "momentum": (optim.SGD, {"momentum": 0.9}, 0.01),
    "adagrad": (optim.Adagrad, {}, 0.01),
    "rmsprop": (optim.RMSprop, {}, 1e-3),
    "adam": (optim.Adam, {}, 1e-3),
    "adamw": (optim.AdamW, {}, 1e-3),
}


class TrainingDiverged(CLIError):
    """The loss became NaN or infinite."""


IMAGE_SIDE = {"lenet5": 28, "alexnet": 32, "vgg": 32}  # MNIST is padded 28 -> 32 where needed


def build_model(name: str, dataset: str, width: float = 1.0) -> Module:
    """A fresh `name` model shaped for `dataset` (2-D points for spiral, 1x28x28 for MNIST)."""
    if name not in MODELS:
        raise CLIError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    if dataset == "spiral":
        if name != "mlp":
            raise UsageError(f"{name} needs image input; use --dataset mnist")
        return MLP([2, 64, 64, 3])
    if name == "mlp":
        return MLP([784, 256, 128, 10])
    if name == "lenet5":
        return LeNet5(in_channels=1, input_size=28)
    if name == "alexnet":
        return AlexNet(in_channels=1, input_size=32, width=width)
    return VGG("vgg11", in_channels=1, input_size=32, width=width)


def shape_input(model_name: str, x: np.ndarray) -> np.ndarray:
    """MNIST images (N, 1, 28, 28) in the layout `model_name` takes (flat, or padded to 32)."""
    if x.ndim == 2:  # spiral points
        return x
    if model_name == "mlp":
        return x.reshape(len(x), -1)
    pad = (IMAGE_SIDE[model_name] - x.shape[-1]) // 2
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return np.ascontiguousarray(x)


def load_arrays(
    dataset: str, data_dir: str | None = None, download: bool = False, limit: int | None = None,
    seed: int = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """`((x_train, t_train), (x_test, t_test))` as arrays; MNIST images are (N, 1, 28, 28).

    Spiral has no test set of its own: a second draw of its noise (another seed) serves.
    """
    if dataset == "spiral":
        train, test = Spiral(seed=seed).as_arrays(), Spiral(seed=seed + 1).as_arrays()
    elif dataset == "mnist":
        try:
            train_ds = MNIST(root=data_dir, train=True, download=download)
            test_ds = MNIST(root=data_dir, train=False, download=download)
        except FileNotFoundError as exc:
            root = Path(data_dir).expanduser() if data_dir else default_root()
            raise CLIError(
                f"MNIST files not found in {root}; pass --data-dir DIR (or set TRACEGRAD_DATA) "
                "or add --download"
            ) from exc
        train, test = _mnist_arrays(train_ds), _mnist_arrays(test_ds)
    else:
        raise CLIError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if limit is not None:
        if limit < 1:
            raise CLIError(f"--limit must be positive, got {limit}")
        train = (train[0][:limit], train[1][:limit])
    return train, test


def _mnist_arrays(ds: MNIST) -> tuple[np.ndarray, np.ndarray]:
    x = (ds.data.astype(np.float32) / 255.0)[:, None, :, :]
    return x, ds.targets


def make_optimizer(
    name: str, params: Any, lr: float | None = None, weight_decay: float = 0.0
) -> optim.Optimizer:
    """Optimizer `name` (sgd, momentum, adagrad, rmsprop, adam, adamw) with its default lr."""
    if name not in OPTIMIZERS:
        raise CLIError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    cls, kwargs, default_lr = OPTIMIZERS[name]
    return cls(params, lr=default_lr if lr is None else lr, weight_decay=weight_decay, **kwargs)


def train_epoch(
    model: Module, opt: optim.Optimizer, x: np.ndarray, t: np.ndarray, batch_size: int,
    rng: np.random.Generator, bar: Any = None,
) -> tuple[float, float]:
    """One shuffled pass of mini-batch training on cross-entropy; returns (mean loss, accuracy).

    `bar` (a tqdm bar) is advanced once per batch when given.
    """
    model.train()
    loss_sum, correct = 0.0, 0
    for xb, tb in optim.iterate_batches(x, t, batch_size, shuffle=True, seed=rng):
        compiles = compile_count()
        out = model(xb)
        loss = cross_entropy(out, tb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = float(loss.item())
        if not math.isfinite(value):
            raise TrainingDiverged(f"training diverged (loss {value}); lower --lr")
        loss_sum += value * len(tb.data)
        correct += int((out.data.argmax(axis=1) == tb.data).sum())
        if bar is not None:
            advance_progress(bar, compiles)
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
    return loss_sum / len(x), correct / len(x)


def accuracy(model: Module, x: np.ndarray, t: np.ndarray, batch_size: int = 500) -> float:
    """Fraction of `x` that `model` classifies as `t` (eval mode, no graph)."""
    return float(np.mean(optim.predict(model, x, batch_size).argmax(axis=1) == t))


def seed_everything(seed: int) -> np.random.Generator:
    """Seed tracegrad's shared generator and return a fresh one for shuffling."""
    ag.manual_seed(seed)
    return np.random.default_rng(seed)
