"""tracegrad side by side with PyTorch (CPU) and DeZero on the same workloads.

Workloads (defined, for tracegrad, in `tracegrad/cli/bench.py`, which `tracegrad bench` runs):
MLP 784-100x6-10 SGD train step (batch 100); a 1,000-op scalar chain forward + backward;
conv2d forward + backward (32x32x28x28 -> 64, 3x3, padding 1); LeNet-5 (ReLU, max pool)
Adam steps on MNIST batches of 128, scaled to one epoch (469 steps); a CIFAR ResNet-18
SGD-momentum step (batch 32); a small TransformerLM Adam step (16 sequences of 64 tokens).
PyTorch and DeZero run only when installed; each is skipped with a note otherwise (DeZero has
no ResNet-18 / TransformerLM here: those rows show "-" for it). Each measurement runs in its
own process (see `measure`): sharing one process, the frameworks' thread pools fight for the
cores. `--rounds` fresh processes per framework, the order alternating; the median is shown.

Run: ``python -m benchmarks.peers [--only NAME ...] [--repeat N] [--rounds N]
[--lenet-steps N] [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
from benchmarks.common import environment_banner, load_torch
from nn.data.mnist import default_root
from tracegrad.cli.bench import (
    CHAIN_OPS,
    CONV,
    EPOCH_STEPS,
    LM,
    MLP_SIZES,
    RESNET,
    conv_data,
    describe,
    lm_data,
    median_time,
    mlp_data,
    mnist_batches,
    resnet_data,
    tg_conv2d,
    tg_lenet5,
    tg_mlp_step,
    tg_resnet18_step,
    tg_scalar_chain,
    tg_transformer_lm_step,
)

Maker = Callable[..., Callable[[], object]]


# ----- PyTorch -----

def torch_resnet18(torch: Any) -> Any:
    """The CIFAR ResNet-18 of `nn/models/resnet.py` in PyTorch: 3x3 stem, no max pool, four
    stages of two BasicBlocks (1x1 conv + BN downsample on a shape change), avg pool, fc."""
    tnn, F = torch.nn, torch.nn.functional

    class BasicBlock(tnn.Module):
        def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.conv2 = tnn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or cin != planes:
                self.downsample = tnn.Sequential(
                    tnn.Conv2d(cin, planes, 1, stride=stride, bias=False),
                    tnn.BatchNorm2d(planes))

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet18(tnn.Module):
        def __init__(self, num_classes: int) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            planes = 64
            for i, width in enumerate((64, 128, 256, 512)):
                blocks = [BasicBlock(planes, width, 1 if i == 0 else 2), BasicBlock(width, width)]
                setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
                planes = width
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def forward(self, x: Any) -> Any:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
            return self.fc(self.avgpool(out).flatten(1))

    return ResNet18(RESNET["classes"])


def torch_transformer_lm(torch: Any) -> Any:
    """`nn.models.TransformerLM` in PyTorch: token + learned position embeddings, pre-norm
    `TransformerEncoder` (batch_first) under the causal mask, final LayerNorm, Linear head."""
    tnn = torch.nn
    d = LM["d_model"]

    class TransformerLM(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok_emb = tnn.Embedding(LM["vocab_size"], d)
            self.pos_emb = tnn.Embedding(LM["max_len"], d)
            self.drop = tnn.Dropout(LM["dropout"])
            layer = tnn.TransformerEncoderLayer(d, LM["nhead"], LM["dim_feedforward"],
                                                LM["dropout"], batch_first=True,
                                                norm_first=True)
            self.encoder = tnn.TransformerEncoder(layer, LM["num_layers"],
                                                  enable_nested_tensor=False)
            self.norm = tnn.LayerNorm(d)
            self.head = tnn.Linear(d, LM["vocab_size"])

        def forward(self, idx: Any) -> Any:
            t = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(t))
            mask = tnn.Transformer.generate_square_subsequent_mask(t)
            return self.head(self.norm(self.encoder(self.drop(x), mask=mask, is_causal=True)))

    return TransformerLM()


def torch_makers(torch: Any) -> dict[str, Maker]:
    """The workloads in PyTorch."""
    tnn, F = torch.nn, torch.nn.functional

    def mlp_step() -> Callable[[], object]:
        layers: list[Any] = []
        for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
            layers += [tnn.Linear(a, b), tnn.ReLU()]
        model = tnn.Sequential(*layers[:-1])
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x, t = (torch.from_numpy(a) for a in mlp_data())

        def step() -> None:
            loss = F.cross_entropy(model(x), t)
            opt.zero_grad()
            loss.backward()
            opt.step()

        return step

    def scalar_chain() -> Callable[[], object]:
        def run() -> None:
            x = torch.tensor(0.5, requires_grad=True)
            y = x
            for _ in range(CHAIN_OPS // 2):
                y = torch.tanh(y * 1.001)
            y.backward()

        return run

    def conv2d() -> Callable[[], object]:
        x, w, b = (torch.from_numpy(a).requires_grad_() for a in conv_data())

        def run() -> None:
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b, padding=CONV["pad"]).sum().backward()

        return run

    def lenet5(batches: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[], object]:
        model = tnn.Sequential(
            tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(),
            tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(256, 120), tnn.ReLU(),
            tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10),
        )
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        data = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in batches]

        def run() -> None:
            for x, t in data:
                loss = F.cross_entropy(model(x), t)
                opt.zero_grad()
                loss.backward()
                opt.step()

        return run

    def train_step(model: Any, opt: Any, x: Any, t: Any) -> Callable[[], object]:
        def step() -> None:
            loss = F.cross_entropy(model(x).reshape(t.shape[0], -1), t)
            opt.zero_grad()
            loss.backward()
            opt.step()

        return step

    def resnet18_step() -> Callable[[], object]:
        model = torch_resnet18(torch)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, t = (torch.from_numpy(a) for a in resnet_data())
        return train_step(model, opt, x, t)

    def transformer_lm_step() -> Callable[[], object]:
        model = torch_transformer_lm(torch)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        idx, nxt = (torch.from_numpy(a) for a in lm_data())
        return train_step(model, opt, idx, nxt.reshape(-1))

    return {"mlp_step": mlp_step, "scalar_chain": scalar_chain, "conv2d": conv2d,
            "lenet5_epoch": lenet5, "resnet18_step": resnet18_step,
            "transformer_lm_step": transformer_lm_step}


# ----- DeZero -----

def load_dezero() -> Any:
    """Import DeZero, or None. DeZero 0.0.13 uses `np.int` as a default argument at import
    time (removed in NumPy 1.24); the alias is provided during the import only."""
    added = not hasattr(np, "int")
    if added:
        np.int = int  # type: ignore[attr-defined]
    try:
        return importlib.import_module("dezero")
    except Exception:  # not installed, or broken on this NumPy: skipped with a note
        return None
    finally:
        if added:
            with contextlib.suppress(AttributeError):
                del np.int  # type: ignore[attr-defined]


def dezero_makers(dz: Any) -> dict[str, Maker]:
    """The first four workloads in DeZero (no ResNet-18 or TransformerLM)."""
    F, L = dz.functions, dz.layers

    def mlp_step() -> Callable[[], object]:
        model = dz.models.MLP(tuple(MLP_SIZES[1:]), activation=F.relu)
        opt = dz.optimizers.SGD(lr=0.01).setup(model)
        x, t = mlp_data()

        def step() -> None:
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            opt.update()

        return step

    def scalar_chain() -> Callable[[], object]:
        def run() -> None:
            x = dz.Variable(np.array(0.5, dtype=np.float32))
            y = x
            for _ in range(CHAIN_OPS // 2):
                y = F.tanh(y * 1.001)
            y.backward()

        return run

    def conv2d() -> Callable[[], object]:
        x, w, b = (dz.Variable(a) for a in conv_data())

        def run() -> None:
            for v in (x, w, b):
                v.cleargrad()
            F.sum(F.conv2d(x, w, b, stride=1, pad=CONV["pad"])).backward()

        return run

    class LeNet5(dz.Model):
        def __init__(self) -> None:
            super().__init__()
            self.c1, self.c2 = L.Conv2d(6, 5, in_channels=1), L.Conv2d(16, 5, in_channels=6)
            self.f1 = L.Linear(120, in_size=256)
            self.f2, self.f3 = L.Linear(84, in_size=120), L.Linear(10, in_size=84)

        def forward(self, x: Any) -> Any:
            x = F.pooling(F.relu(self.c1(x)), 2, 2)
            x = F.pooling(F.relu(self.c2(x)), 2, 2)
            x = F.reshape(x, (x.shape[0], -1))
            return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))

    def lenet5(batches: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[], object]:
        model = LeNet5()
        opt = dz.optimizers.Adam(alpha=1e-3).setup(model)

        def run() -> None:
            for x, t in batches:
                loss = F.softmax_cross_entropy(model(x), t)
                model.cleargrads()
                loss.backward()
                opt.update()

        return run

    return {"mlp_step": mlp_step, "scalar_chain": scalar_chain, "conv2d": conv2d,
            "lenet5_epoch": lenet5}


DEZERO_SKIPS = ("resnet18_step", "transformer_lm_step")  # not written for DeZero here
TRACEGRAD: dict[str, Maker] = {"mlp_step": tg_mlp_step, "scalar_chain": tg_scalar_chain,
                               "conv2d": tg_conv2d, "lenet5_epoch": tg_lenet5,
                               "resnet18_step": tg_resnet18_step,
                               "transformer_lm_step": tg_transformer_lm_step}


def _makers(framework: str) -> dict[str, Maker] | None:
    if framework == "tracegrad":
        return TRACEGRAD
    if framework == "torch":
        torch = load_torch()
        return None if torch is None else torch_makers(torch)
    dz = load_dezero()
    return None if dz is None else dezero_makers(dz)


def worker(framework: str, work: str, repeat: int, steps: int, data_dir: str | None) -> float:
    """Seconds per unit of `work` in `framework` (an epoch for lenet5_epoch), in this process."""
    makers = _makers(framework)
    if makers is None:
        raise SystemExit(f"{framework} is not installed")
    if work not in makers:
        raise SystemExit(f"{framework}: no {work} workload")
    ag.manual_seed(0)
    if work == "lenet5_epoch":
        fn = makers[work](mnist_batches(data_dir or default_root(), steps))
        return median_time(fn, max(1, repeat // 5), warmup=1) * EPOCH_STEPS / steps
    return median_time(makers[work](), repeat)


def measure(framework: str, work: str, args: argparse.Namespace) -> float | None:
    """Run one (framework, workload) in a fresh process: thread pools never share cores.

    NOTE: in one process, PyTorch's OpenMP threads spin-wait after each call and starve
    OpenBLAS/Numba's threads on a 2-core machine (a 1 ms MLP step measured 30-280 ms).
    """
    cmd = [sys.executable, "-m", "benchmarks.peers", "--worker", framework, work,
           "--repeat", str(args.repeat), "--lenet-steps", str(args.lenet_steps)]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"  {framework} {work} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return float(proc.stdout.strip().splitlines()[-1])


def rounds(names: list[str], work: str, args: argparse.Namespace) -> dict[str, float | None]:
    """Median over `args.rounds` fresh-process measurements per framework; the order of the
    frameworks alternates between rounds. None where a framework lacks or failed `work`."""
    runs: dict[str, list[float]] = {n: [] for n in names}
    for r in range(max(1, args.rounds)):
        for n in names if r % 2 == 0 else names[::-1]:
            if n == "dezero" and work in DEZERO_SKIPS:
                continue
            t = measure(n, work, args)
            if t is not None:
                runs[n].append(t)
    return {n: statistics.median(v) if v else None for n, v in runs.items()}


def main(argv: list[str] | None = None) -> None:
    """Time every workload in every installed framework (one process per measurement); print
    ms (s for an epoch) and the ratio of each framework's time to PyTorch's."""
    p = argparse.ArgumentParser(description="tracegrad vs PyTorch vs DeZero")
    p.add_argument("--only", choices=list(TRACEGRAD), action="append", default=None,
                   help="run only this workload (repeatable)")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3,
                   help="fresh processes per framework and workload, order alternating")
    p.add_argument("--lenet-steps", type=int, default=50)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(worker(*args.worker, args.repeat, args.lenet_steps, args.data_dir))
        return
    print(environment_banner())
    names = ["tracegrad"]
    if load_torch() is not None:
        names.append("torch")
    dz = load_dezero()
    if dz is not None:
        names.append("dezero")
        print(f"dezero {getattr(dz, '__version__', '?')}")
    else:
        print("dezero: not installed or not importable (pip install dezero) - skipped")
    works = list(args.only or TRACEGRAD)
    mnist = Path(args.data_dir or default_root()) / "train-images-idx3-ubyte.gz"
    if "lenet5_epoch" in works and not mnist.exists():
        works.remove("lenet5_epoch")
        print("MNIST not found (--data-dir): lenet5_epoch skipped")
    header = f"{'workload':<58}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{n + '/torch':>16}" for n in names if n != "torch" and "torch" in names)
    print("\n" + header + "\n" + "-" * len(header))
    for work in works:
        times = rounds(names, work, args)
        unit, scale = ("s", 1.0) if work == "lenet5_epoch" else ("ms", 1e3)
        cells = {n: "-" if t is None else f"{t * scale:.3f} {unit}" for n, t in times.items()}
        line = f"{describe(work, args.lenet_steps):<58}" + "".join(f"{cells[n]:>12}"
                                                                  for n in names)
        base = times.get("torch")
        for n in names:
            if n != "torch" and base:
                line += f"{times[n] / base:>15.2f}x" if times[n] else f"{'-':>16}"
        print(line + f"   load {os.getloadavg()[0]:.2f}", flush=True)
    print("(X/torch = X's time / PyTorch's time: above 1.0x means slower than PyTorch)")


if __name__ == "__main__":
    main()
