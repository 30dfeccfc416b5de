"""The benchmark workloads' definitions: shapes, fixed data, labels, default repeats, timing.

NumPy only, so that `benchmarks/peers.py` can build the same data in PyTorch's and DeZero's
processes without importing tracegrad there (its Numba and OpenBLAS would share them).
Every workload is one timed unit, the same in each framework:
- `scalar_chain`: forward + backward of a 1,000-op chain on a scalar, `tanh(y * 1.001)` 500
  times (pure per-op framework overhead);
- `mlp_step_b1`, `mlp_step`: one SGD step of an MLP 784-100x6-10 (ReLU), batch 1 and 100;
- `rnn`: forward + backward of a vanilla (tanh) RNN 64 -> 128 over 50 steps, batch 32, the
  loss the sum of the outputs;
- `lenet5_step`: one Adam step of LeNet-5 (ReLU, max pool, 28x28 input, conv1 padded by 2)
  on a fixed random batch of 128;
- `conv2d`: a VGG conv forward + backward: 64 -> 64 channels, 3x3, padding 1, 32x64x32x32;
- `lenet_conv1`: LeNet-5's conv1 forward + backward: 1 -> 6 channels, 5x5, padding 2,
  128x1x28x28;
- `lenet5_epoch`: LeNet-5 with Adam, batch 128 on MNIST, timed over `--lenet-steps` steps and
  scaled to the 469 steps of one epoch (60,000 images);
- `resnet18_step`: one SGD (momentum 0.9) step of the CIFAR ResNet-18 (10 classes) on a fixed
  random batch of 32 images 3x32x32;
- `transformer_lm_step`: one Adam step of `TransformerLM(65, 64, 4, 2, 128, max_len=128,
  dropout=0.0)` on 16 fixed random token sequences of 64, next-token cross-entropy.
Every training step runs zero_grad, forward, loss, backward and the optimizer update.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

MLP_SIZES = [784] + [100] * 6 + [10]
MLP_BATCH = 100
CHAIN_OPS = 1000
RNN = {"input": 64, "hidden": 128, "steps": 50, "batch": 32}
LENET_BATCH = 128
CONV = {"batch": 32, "cin": 64, "cout": 64, "side": 32, "k": 3, "pad": 1}
LENET_CONV1 = {"batch": LENET_BATCH, "cin": 1, "cout": 6, "side": 28, "k": 5, "pad": 2}
EPOCH_STEPS = -(-60000 // LENET_BATCH)  # 469
RESNET = {"batch": 32, "classes": 10, "side": 32}
LM = {"vocab_size": 65, "d_model": 64, "nhead": 4, "num_layers": 2, "dim_feedforward": 128,
      "max_len": 128, "dropout": 0.0}
LM_BATCH, LM_SEQ = 16, 64
WORKLOADS = ("scalar_chain", "mlp_step_b1", "mlp_step", "rnn", "lenet5_step", "conv2d",
             "lenet_conv1", "lenet5_epoch", "resnet18_step", "transformer_lm_step")
# timed calls per process (for lenet5_epoch: passes over --lenet-steps batches), chosen so a
# process times about a second of work on a 2-core machine; `--repeat` overrides them all
REPEATS = {"scalar_chain": 40, "mlp_step_b1": 200, "mlp_step": 100, "rnn": 20,
           "lenet5_step": 40, "conv2d": 10, "lenet_conv1": 40, "lenet5_epoch": 3,
           "resnet18_step": 3, "transformer_lm_step": 10}
WARMUP = 2  # untimed calls first: JIT and cache loads, workspaces, a compiled step's trace


def mlp_data(batch: int = MLP_BATCH, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch for the MLP step: x (batch, 784) float32, t (batch,) int64."""
    rng = np.random.default_rng(seed)
    return rng.random((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)


def rnn_data(seed: int = 0) -> np.ndarray:
    """The RNN's input sequence, (steps, batch, input) float32 (sequence first)."""
    r = RNN
    shape = (r["steps"], r["batch"], r["input"])
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def conv_data(spec: dict[str, int], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input, weight and bias of a conv workload (`CONV` or `LENET_CONV1`; He-scaled weight)."""
    c, rng = spec, np.random.default_rng(seed)
    x = rng.standard_normal((c["batch"], c["cin"], c["side"], c["side"]), dtype=np.float32)
    w = rng.standard_normal((c["cout"], c["cin"], c["k"], c["k"]), dtype=np.float32)
    w *= np.float32(np.sqrt(2.0 / (c["cin"] * c["k"] ** 2)))
    return x, w, np.zeros(c["cout"], np.float32)


def lenet_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random LeNet-5 batch: x (128, 1, 28, 28) float32 in [0, 1), t (128,) int64."""
    rng = np.random.default_rng(seed)
    x = rng.random((LENET_BATCH, 1, 28, 28), dtype=np.float32)
    return x, rng.integers(0, 10, LENET_BATCH)


def resnet_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch for the ResNet-18 step: x (32, 3, 32, 32) float32, t (32,) int64."""
    r, rng = RESNET, np.random.default_rng(seed)
    x = rng.standard_normal((r["batch"], 3, r["side"], r["side"]), dtype=np.float32)
    return x, rng.integers(0, r["classes"], r["batch"])


def lm_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed random tokens for the language-model step: inputs (16, 64) and their next tokens."""
    tokens = np.random.default_rng(seed).integers(0, LM["vocab_size"], (LM_BATCH, LM_SEQ + 1))
    return tokens[:, :-1].copy(), tokens[:, 1:].copy()


def median_time(fn: Callable[[], object], repeat: int, warmup: int = WARMUP) -> float:
    """Median seconds per call of `fn` after `warmup` untimed calls (JIT, allocations)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def describe(name: str, lenet_steps: int) -> str:
    """What one timed unit of `name` is, for the table."""
    return {
        "scalar_chain": "1,000-op scalar chain, fwd+bwd",
        "mlp_step_b1": "MLP 784-100x6-10 SGD step, batch 1",
        "mlp_step": "MLP 784-100x6-10 SGD step, batch 100",
        "rnn": "vanilla RNN 64->128, 50 steps, batch 32, fwd+bwd",
        "lenet5_step": "LeNet-5 Adam step, batch 128",
        "conv2d": "VGG conv 64->64 3x3 pad 1, 32x64x32x32, fwd+bwd",
        "lenet_conv1": "LeNet conv1 1->6 5x5 pad 2, batch 128, fwd+bwd",
        "lenet5_epoch": f"LeNet-5 MNIST epoch, Adam, batch 128 ({lenet_steps} steps x "
        f"{EPOCH_STEPS / lenet_steps:.2f})",
        "resnet18_step": "ResNet-18 (CIFAR) SGD-momentum step, batch 32",
        "transformer_lm_step": "TransformerLM (d64, 2 layers) Adam step, 16x64 tokens",
    }[name]
