"""`tracegrad bench`: time the standard workloads in tracegrad.

The workloads (also run side by side with PyTorch and DeZero by `benchmarks/peers.py`):
- `mlp_step`: one SGD train step of an MLP 784-100x6-10 (ReLU), batch 100;
- `scalar_chain`: forward + backward of a 1,000-op chain on a scalar, `(y * 1.001).tanh()`
  500 times (pure per-op framework overhead);
- `conv2d`: conv2d forward + backward, batch 32, 32->64 channels, 28x28, 3x3, padding 1;
- `lenet5_epoch`: LeNet-5 (ReLU, max pool, 28x28 input) with Adam, batch 128 on MNIST;
  timed over `--lenet-steps` steps and scaled to the 469 steps of one epoch;
- `resnet18_step`: one SGD (momentum 0.9) step of `ResNet18()` (CIFAR variant, 10 classes) on
  a fixed random batch of 32 images 3x32x32, cross-entropy;
- `transformer_lm_step`: one Adam step of `TransformerLM(65, 64, 4, 2, 128, max_len=128,
  dropout=0.0)` on 16 fixed random token sequences of 64, next-token cross-entropy.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
import optim
from autograd import Tensor
from nn.data.mnist import default_root
from nn.functional import conv2d, cross_entropy
from nn.models import MLP, LeNet5, ResNet18, TransformerLM
from tracegrad.cli.errors import CLIError
from tracegrad.cli.options import positive_int

MLP_SIZES = [784] + [100] * 6 + [10]
MLP_BATCH = 100
CHAIN_OPS = 1000
CONV = {"batch": 32, "cin": 32, "cout": 64, "side": 28, "k": 3, "pad": 1}
LENET_BATCH = 128
EPOCH_STEPS = -(-60000 // LENET_BATCH)  # 469
RESNET = {"batch": 32, "classes": 10, "side": 32}
LM = {"vocab_size": 65, "d_model": 64, "nhead": 4, "num_layers": 2, "dim_feedforward": 128,
      "max_len": 128, "dropout": 0.0}
LM_BATCH, LM_SEQ = 16, 64
WORKLOADS = ("mlp_step", "scalar_chain", "conv2d", "lenet5_epoch", "resnet18_step",
             "transformer_lm_step")


def mlp_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch for the MLP step: x (100, 784) float32, t (100,) int64."""
    rng = np.random.default_rng(seed)
    return rng.random((MLP_BATCH, 784), dtype=np.float32), rng.integers(0, 10, MLP_BATCH)


def conv_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input, weight and bias of the conv2d workload (float32, He-scaled weight)."""
    c, rng = CONV, np.random.default_rng(seed)
    x = rng.standard_normal((c["batch"], c["cin"], c["side"], c["side"]), dtype=np.float32)
    w = rng.standard_normal((c["cout"], c["cin"], c["k"], c["k"]), dtype=np.float32)
    w *= np.float32(np.sqrt(2.0 / (c["cin"] * c["k"] ** 2)))
    return x, w, np.zeros(c["cout"], np.float32)


def resnet_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch for the ResNet-18 step: x (32, 3, 32, 32) float32, t (32,) int64."""
    r, rng = RESNET, np.random.default_rng(seed)
    x = rng.standard_normal((r["batch"], 3, r["side"], r["side"]), dtype=np.float32)
    return x, rng.integers(0, r["classes"], r["batch"])


def lm_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed random tokens for the language-model step: inputs (16, 64) and their next tokens."""
    tokens = np.random.default_rng(seed).integers(0, LM["vocab_size"], (LM_BATCH, LM_SEQ + 1))
    return tokens[:, :-1].copy(), tokens[:, 1:].copy()


def mnist_batches(root: Any, steps: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """`steps` shuffled MNIST training batches of 128 as (x (128,1,28,28) float32, t)."""
    from nn.data import MNIST

    ds = MNIST(root=root, train=True)
    order = np.random.default_rng(seed).permutation(len(ds))
    out = []
    for i in range(steps):
        idx = order[(i * LENET_BATCH) % len(ds):][:LENET_BATCH]
        out.append(((ds.data[idx].astype(np.float32) / 255.0)[:, None], ds.targets[idx]))
    return out


# ----- tracegrad implementations: each returns a zero-argument callable doing one unit -----

def tg_mlp_step() -> Callable[[], object]:
    """One SGD step of the 784-100x6-10 MLP on a fixed batch."""
    model = MLP(MLP_SIZES)
    opt = optim.SGD(model.parameters(), lr=0.01)
    x, t = (Tensor(a) for a in mlp_data())

    def step() -> float:
        loss = cross_entropy(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def tg_scalar_chain() -> Callable[[], object]:
    """Forward and backward of CHAIN_OPS scalar ops."""
    def run() -> float:
        x = Tensor(np.float32(0.5), requires_grad=True)
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = (y * 1.001).tanh()
        y.backward()
        return float(x.grad.item())

    return run


def tg_conv2d() -> Callable[[], object]:
    """conv2d forward + backward to input, weight and bias."""
    xa, wa, ba = conv_data()
    x, w, b = (Tensor(a, requires_grad=True) for a in (xa, wa, ba))

    def run() -> None:
        x.grad = w.grad = b.grad = None
        conv2d(x, w, b, padding=CONV["pad"]).sum().backward()

    return run


def tg_lenet5(batches: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[], object]:
    """All of `batches` as Adam train steps of LeNet-5."""
    model = LeNet5(in_channels=1, input_size=28)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    tensors = [(Tensor(x), Tensor(t)) for x, t in batches]

    def run() -> None:
        for x, t in tensors:
            loss = cross_entropy(model(x), t)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def tg_resnet18_step() -> Callable[[], object]:
    """One SGD (momentum 0.9) train step of the CIFAR ResNet-18 on a fixed batch."""
    model = ResNet18(num_classes=RESNET["classes"])
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, t = (Tensor(a) for a in resnet_data())

    def step() -> float:
        loss = cross_entropy(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def tg_transformer_lm_step() -> Callable[[], object]:
    """One Adam train step of the small TransformerLM, next-token cross-entropy."""
    model = TransformerLM(**LM)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    idx, nxt = lm_data()
    target = Tensor(nxt.reshape(-1))

    def step() -> float:
        loss = cross_entropy(model(idx).reshape(-1, LM["vocab_size"]), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


STEP_MAKERS: dict[str, Callable[[], Callable[[], object]]] = {
    "mlp_step": tg_mlp_step, "scalar_chain": tg_scalar_chain, "conv2d": tg_conv2d,
    "resnet18_step": tg_resnet18_step, "transformer_lm_step": tg_transformer_lm_step,
}


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 2) -> float:
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
        "mlp_step": "MLP 784-100x6-10 SGD step, batch 100",
        "scalar_chain": f"{CHAIN_OPS}-op scalar chain fwd+bwd",
        "conv2d": "conv2d 32x32x28x28 -> 64, 3x3 fwd+bwd",
        "lenet5_epoch": f"LeNet-5 MNIST epoch (Adam, b128; {lenet_steps} steps x "
        f"{EPOCH_STEPS / lenet_steps:.2f})",
        "resnet18_step": "ResNet-18 (CIFAR) SGD-momentum step, 32x3x32x32",
        "transformer_lm_step": "TransformerLM d64 2 layers Adam step, 16x64 tokens",
    }[name]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `bench` and its options."""
    p = subparsers.add_parser(
        "bench",
        help="time the standard workloads (MLP step, scalar chain, conv2d, LeNet-5 epoch, "
        "ResNet-18 step, TransformerLM step)",
        description="Time tracegrad on the standard workloads: " + ", ".join(WORKLOADS)
        + ". For PyTorch and DeZero side by side, run python -m benchmarks.peers.",
    )
    p.add_argument("--only", choices=WORKLOADS, action="append", default=None,
                   help="run only this workload (repeatable)")
    p.add_argument("--repeat", type=positive_int, default=20,
                   help="timed repeats (default: %(default)s)")
    p.add_argument("--lenet-steps", type=positive_int, default=50,
                   help="LeNet-5 steps timed, scaled to one epoch (default: %(default)s)")
    p.add_argument("--data-dir", default=None, help="MNIST folder for lenet5_epoch")
    p.add_argument("--quick", action="store_true", help="3 repeats and 5 LeNet-5 steps")
    return p


def run(args: argparse.Namespace) -> int:
    """Time each selected workload and print ms per unit."""
    repeat, steps = (3, 5) if args.quick else (args.repeat, args.lenet_steps)
    names = args.only or list(WORKLOADS)
    ag.manual_seed(0)
    print(f"{'workload':<58}{'tracegrad':>12}")
    for name in names:
        if name == "lenet5_epoch":
            try:
                batches = mnist_batches(args.data_dir or default_root(), steps)
            except FileNotFoundError as exc:
                if args.only:  # asked for by name: that is an error
                    raise CLIError(f"lenet5_epoch needs MNIST: {str(exc).split(':')[0]}; "
                                   "pass --data-dir DIR") from exc
                print(f"{describe(name, steps):<58}{'skipped':>12}  (needs MNIST: pass "
                      "--data-dir DIR)", flush=True)
                continue
            seconds = median_time(tg_lenet5(batches), max(1, repeat // 10), 1)
            shown = f"{seconds * EPOCH_STEPS / steps:.2f} s"
        else:
            maker = STEP_MAKERS[name]
            shown = f"{median_time(maker(), repeat) * 1e3:.3f} ms"
        print(f"{describe(name, steps):<58}{shown:>12}", flush=True)
    return 0
