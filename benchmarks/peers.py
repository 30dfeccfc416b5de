"""tracegrad side by side with PyTorch (CPU) and DeZero on the same four workloads.

Workloads (defined, for tracegrad, in `tracegrad/cli/bench.py`, which `tracegrad bench` runs):
MLP 784-100x6-10 SGD train step (batch 100); a 1,000-op scalar chain forward + backward;
conv2d forward + backward (32x32x28x28 -> 64, 3x3, padding 1); LeNet-5 (ReLU, max pool)
Adam steps on MNIST batches of 128, scaled to one epoch (469 steps). PyTorch and DeZero run
only when installed; each is skipped with a note otherwise. Each measurement runs in its own
process (see `measure`): sharing one process, the frameworks' thread pools fight for the cores.

Run: ``python -m benchmarks.peers [--repeat N] [--lenet-steps N] [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
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
    MLP_SIZES,
    conv_data,
    describe,
    median_time,
    mlp_data,
    mnist_batches,
    tg_conv2d,
    tg_lenet5,
    tg_mlp_step,
    tg_scalar_chain,
)

Maker = Callable[..., Callable[[], object]]


# ----- PyTorch -----

def torch_makers(torch: Any) -> dict[str, Maker]:
    """The four workloads in PyTorch."""
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

    return {"mlp_step": mlp_step, "scalar_chain": scalar_chain, "conv2d": conv2d,
            "lenet5_epoch": lenet5}


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
    """The four workloads in DeZero."""
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


TRACEGRAD: dict[str, Maker] = {"mlp_step": tg_mlp_step, "scalar_chain": tg_scalar_chain,
                               "conv2d": tg_conv2d, "lenet5_epoch": tg_lenet5}


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


def main(argv: list[str] | None = None) -> None:
    """Time every workload in every installed framework (one process per measurement); print
    ms (s for an epoch) and the ratio of each framework's time to PyTorch's."""
    p = argparse.ArgumentParser(description="tracegrad vs PyTorch vs DeZero")
    p.add_argument("--repeat", type=int, default=20)
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
    works = list(TRACEGRAD)
    if not (Path(args.data_dir or default_root()) / "train-images-idx3-ubyte.gz").exists():
        works.remove("lenet5_epoch")
        print("MNIST not found (--data-dir): lenet5_epoch skipped")
    header = f"{'workload':<58}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{n + '/torch':>16}" for n in names if n != "torch" and "torch" in names)
    print("\n" + header + "\n" + "-" * len(header))
    for work in works:
        times = {n: measure(n, work, args) for n in names}
        unit, scale = ("s", 1.0) if work == "lenet5_epoch" else ("ms", 1e3)
        cells = {n: "-" if t is None else f"{t * scale:.3f} {unit}" for n, t in times.items()}
        line = f"{describe(work, args.lenet_steps):<58}" + "".join(f"{cells[n]:>12}"
                                                                  for n in names)
        base = times.get("torch")
        for n in names:
            if n != "torch" and base:
                line += f"{times[n] / base:>15.2f}x" if times[n] else f"{'-':>16}"
        print(line, flush=True)
    print("(X/torch = X's time / PyTorch's time: above 1.0x means slower than PyTorch)")


if __name__ == "__main__":
    main()
