"""The peers benchmark's workloads in DeZero 0.0.13 (`pip install dezero`), where it has the
layers: no ResNet-18 (DeZero's ResNets are the ImageNet ones) and no TransformerLM (no
LayerNorm, embedding or attention), shown as "-". Imported only in DeZero's worker processes.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.cli.bench_workloads import (
    CHAIN_OPS,
    CONV,
    LENET_CONV1,
    MLP_SIZES,
    RNN,
    conv_data,
    lenet_data,
    mlp_data,
    rnn_data,
)

Unit = Callable[[], object]
MISSING = {"resnet18_step": "DeZero has no CIFAR ResNet-18 here",
           "transformer_lm_step": "DeZero has no LayerNorm, embedding or attention"}


def load_dezero() -> Any:
    """Import DeZero. 0.0.13 uses `np.int` as a default argument at import time (removed in
    NumPy 1.24); the alias is provided during the import only."""
    added = not hasattr(np, "int")
    if added:
        np.int = int  # type: ignore[attr-defined]
    try:
        return importlib.import_module("dezero")
    finally:
        if added:
            with contextlib.suppress(AttributeError):
                del np.int  # type: ignore[attr-defined]


def dezero_makers(dz: Any, batches: Any = None) -> dict[str, Callable[[], Unit]]:
    """The workloads DeZero can express; `batches` (x, t arrays with a leading step axis)
    feeds lenet5_epoch."""
    F, L = dz.functions, dz.layers

    def steps(model: Any, opt: Any, data: list[tuple[np.ndarray, np.ndarray]]) -> Unit:
        def run() -> None:
            for x, t in data:
                model.cleargrads()
                loss = F.softmax_cross_entropy(model(x), t)
                loss.backward()
                opt.update()

        return run

    def scalar_chain() -> Unit:
        x = dz.Variable(np.array(0.5, dtype=np.float32))

        def run() -> None:
            x.cleargrad()
            y = x
            for _ in range(CHAIN_OPS // 2):
                y = F.tanh(y * 1.001)
            y.backward()

        return run

    def mlp_step(batch: int) -> Unit:
        model = dz.models.MLP(tuple(MLP_SIZES[1:]), activation=F.relu)
        return steps(model, dz.optimizers.SGD(lr=0.01).setup(model), [mlp_data(batch)])

    def rnn() -> Unit:
        # h2h's input size is left to DeZero's lazy init: RNN(h, in_size) gives it in_size
        cell = L.RNN(RNN["hidden"])
        xs = rnn_data()

        def run() -> None:
            cell.reset_state()
            cell.cleargrads()
            loss = sum(F.sum(cell(x)) for x in xs)
            loss.backward()

        return run

    class LeNet5(dz.Model):
        def __init__(self) -> None:
            super().__init__()
            self.c1 = L.Conv2d(6, 5, pad=2, in_channels=1)
            self.c2 = L.Conv2d(16, 5, in_channels=6)
            self.f1 = L.Linear(120, in_size=400)
            self.f2, self.f3 = L.Linear(84, in_size=120), L.Linear(10, in_size=84)

        def forward(self, x: Any) -> Any:
            x = F.pooling(F.relu(self.c1(x)), 2, 2)
            x = F.pooling(F.relu(self.c2(x)), 2, 2)
            x = F.reshape(x, (x.shape[0], -1))
            return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))

    def lenet(data: list[tuple[np.ndarray, np.ndarray]]) -> Unit:
        model = LeNet5()
        return steps(model, dz.optimizers.Adam(alpha=1e-3).setup(model), data)

    def conv(spec: dict[str, int]) -> Unit:
        x, w, b = (dz.Variable(a) for a in conv_data(spec))

        def run() -> None:
            for v in (x, w, b):
                v.cleargrad()
            F.sum(F.conv2d(x, w, b, stride=1, pad=spec["pad"])).backward()

        return run

    def epoch() -> Unit:
        return lenet(list(zip(*batches, strict=True)))

    return {
        "scalar_chain": scalar_chain, "mlp_step_b1": lambda: mlp_step(1),
        "mlp_step": lambda: mlp_step(100), "rnn": rnn,
        "lenet5_step": lambda: lenet([lenet_data()]),
        "conv2d": lambda: conv(CONV), "lenet_conv1": lambda: conv(LENET_CONV1),
        "lenet5_epoch": epoch,
    }
