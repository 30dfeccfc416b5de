"""`tracegrad bench`: time the standard workloads in tracegrad, eager or through `ag.compile`.

The workloads are defined in `tracegrad/cli/bench_workloads.py` (also run side by side with
PyTorch and DeZero by `benchmarks/peers.py`). Each is written here once, as a function of
tensors (a training step: zero_grad, forward, loss, backward, optimizer update, returning the
loss; or a forward + backward), and timed either called directly (eager) or as
`ag.compile(fn)` replaying its recorded plan (compiled).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd as ag
import nn
import optim
from autograd import Tensor
from nn.data.mnist import default_root
from nn.functional import conv2d, cross_entropy
from nn.models import MLP, LeNet5, ResNet18, TransformerLM
from tracegrad.cli.bench_workloads import (
    CHAIN_OPS,
    CONV,
    EPOCH_STEPS,
    LENET_BATCH,
    LENET_CONV1,
    LM,
    MLP_SIZES,
    REPEATS,
    RESNET,
    RNN,
    WORKLOADS,
    conv_data,
    describe,
    lenet_data,
    lm_data,
    median_time,
    mlp_data,
    resnet_data,
    rnn_data,
)
from tracegrad.cli.errors import CLIError
from tracegrad.cli.options import positive_int

Batches = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Workload:
    """One timed unit: `fn` called once on each argument tuple of `calls` (a step: one)."""

    fn: Callable[..., object]
    calls: list[tuple[Tensor, ...]]


class CompileUnavailable(RuntimeError):
    """`ag.compile` is missing from this autograd, or raised while tracing the workload."""


def unit(work: Workload, compiled: bool = False) -> Callable[[], None]:
    """A zero-argument callable running one unit of `work`: eagerly, or through
    `ag.compile(fn, fullgraph=True)` (traced on its first call, which the timing's warm-up
    calls absorb; fullgraph, so that a step it cannot trace raises instead of running eagerly
    under the compiled column's name)."""
    fn = work.fn
    if compiled:
        compile_fn = getattr(ag, "compile", None)
        if compile_fn is None:
            raise CompileUnavailable("autograd.compile does not exist in this tracegrad")
        fn = compile_fn(work.fn, fullgraph=True)
    calls = work.calls

    def run() -> None:
        for args in calls:
            fn(*args)

    return run


def train_step(model: nn.Module, opt: optim.Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """step(x, t): zero_grad, forward, cross-entropy (logits flattened to (len(t), -1)),
    backward, optimizer update; returns the loss."""
    def step(x: Tensor, t: Tensor) -> Tensor:
        opt.zero_grad()
        loss = cross_entropy(model(x).reshape(t.shape[0], -1), t)
        loss.backward()
        opt.step()
        return loss

    return step


def _step(model: nn.Module, opt: optim.Optimizer, x: np.ndarray, t: np.ndarray) -> Workload:
    return Workload(train_step(model, opt), [(Tensor(x), Tensor(t))])


def tg_scalar_chain() -> Workload:
    """Forward and backward of CHAIN_OPS scalar ops."""
    def chain(x: Tensor) -> Tensor:
        x.grad = None
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = (y * 1.001).tanh()
        y.backward()
        return y

    return Workload(chain, [(Tensor(np.float32(0.5), requires_grad=True),)])


def tg_mlp_step(batch: int) -> Workload:
    """One SGD step of the 784-100x6-10 MLP on a fixed batch of `batch`."""
    model = MLP(MLP_SIZES)
    return _step(model, optim.SGD(model.parameters(), lr=0.01), *mlp_data(batch))


def tg_rnn() -> Workload:
    """Forward + backward of a tanh RNN over a fixed sequence; loss: the outputs' sum."""
    model = nn.RNN(RNN["input"], RNN["hidden"])

    def fwd_bwd(x: Tensor) -> Tensor:
        model.zero_grad()
        loss = model(x)[0].sum()
        loss.backward()
        return loss

    return Workload(fwd_bwd, [(Tensor(rnn_data()),)])


def _lenet5() -> tuple[nn.Module, optim.Optimizer]:
    model = LeNet5(in_channels=1, input_size=28)
    return model, optim.Adam(model.parameters(), lr=1e-3)


def tg_lenet5_step() -> Workload:
    """One Adam step of LeNet-5 on a fixed random batch of 128."""
    return _step(*_lenet5(), *lenet_data())


def tg_conv(spec: dict[str, int]) -> Workload:
    """conv2d forward + backward to input, weight and bias; loss: the output's sum."""
    def fwd_bwd(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        x.grad = w.grad = b.grad = None
        loss = conv2d(x, w, b, padding=spec["pad"]).sum()
        loss.backward()
        return loss

    return Workload(fwd_bwd, [tuple(Tensor(a, requires_grad=True) for a in conv_data(spec))])


def tg_lenet5_epoch(batches: Batches) -> Workload:
    """All of `batches` as Adam train steps of LeNet-5 (one step per batch)."""
    return Workload(train_step(*_lenet5()), [(Tensor(x), Tensor(t)) for x, t in batches])


def tg_resnet18_step() -> Workload:
    """One SGD (momentum 0.9) train step of the CIFAR ResNet-18 on a fixed batch."""
    model = ResNet18(num_classes=RESNET["classes"])
    return _step(model, optim.SGD(model.parameters(), lr=0.01, momentum=0.9), *resnet_data())


def tg_transformer_lm_step() -> Workload:
    """One Adam train step of the small TransformerLM, next-token cross-entropy."""
    model = TransformerLM(**LM)
    idx, nxt = lm_data()
    return _step(model, optim.Adam(model.parameters(), lr=1e-3), idx, nxt.reshape(-1))


MAKERS: dict[str, Callable[[], Workload]] = {
    "scalar_chain": tg_scalar_chain, "mlp_step_b1": lambda: tg_mlp_step(1),
    "mlp_step": lambda: tg_mlp_step(100), "rnn": tg_rnn, "lenet5_step": tg_lenet5_step,
    "conv2d": lambda: tg_conv(CONV), "lenet_conv1": lambda: tg_conv(LENET_CONV1),
    "resnet18_step": tg_resnet18_step, "transformer_lm_step": tg_transformer_lm_step,
}


def mnist_batches(root: Any, steps: int, seed: int = 0) -> Batches:
    """`steps` shuffled MNIST training batches of 128 as (x (128,1,28,28) float32, t)."""
    from nn.data import MNIST

    ds = MNIST(root=root, train=True)
    order = np.random.default_rng(seed).permutation(len(ds))
    out = []
    for i in range(steps):
        idx = order[(i * LENET_BATCH) % len(ds):][:LENET_BATCH]
        out.append(((ds.data[idx].astype(np.float32) / 255.0)[:, None], ds.targets[idx]))
    return out


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `bench` and its options."""
    p = subparsers.add_parser(
        "bench",
        help="time the standard workloads (scalar chain, MLP, RNN, LeNet-5, convs, "
        "ResNet-18, TransformerLM), eager or compiled",
        description="Time tracegrad on the standard workloads: " + ", ".join(WORKLOADS)
        + ". For PyTorch and DeZero side by side, run python -m benchmarks.peers.",
    )
    p.add_argument("--only", choices=WORKLOADS, action="append", default=None,
                   help="run only this workload (repeatable)")
    p.add_argument("--repeat", type=positive_int, default=None,
                   help="timed repeats (default: per workload, about a second of work)")
    p.add_argument("--lenet-steps", type=positive_int, default=50,
                   help="LeNet-5 steps timed, scaled to one epoch (default: %(default)s)")
    p.add_argument("--data-dir", default=None, help="MNIST folder for lenet5_epoch")
    p.add_argument("--compiled", action="store_true",
                   help="time each workload through ag.compile (traced once, then replayed)")
    p.add_argument("--quick", action="store_true", help="3 repeats and 5 LeNet-5 steps")
    return p


def run(args: argparse.Namespace) -> int:
    """Time each selected workload and print ms per unit (s for the epoch)."""
    steps = 5 if args.quick else args.lenet_steps
    names = args.only or list(WORKLOADS)
    ag.manual_seed(0)
    mode = "compiled" if args.compiled else "eager"
    print(f"{'workload':<58}{'tracegrad ' + mode:>20}")
    for name in names:
        repeat = args.repeat or REPEATS[name]
        if args.quick:
            repeat = 1 if name == "lenet5_epoch" else 3
        if name == "lenet5_epoch":
            try:
                batches = mnist_batches(args.data_dir or default_root(), steps)
            except FileNotFoundError as exc:
                if args.only:  # asked for by name: that is an error
                    raise CLIError(f"lenet5_epoch needs MNIST: {str(exc).split(':')[0]}; "
                                   "pass --data-dir DIR") from exc
                print(f"{describe(name, steps):<58}{'skipped':>20}  (needs MNIST: pass "
                      "--data-dir DIR)", flush=True)
                continue
            seconds = _time(name, tg_lenet5_epoch(batches), args.compiled, repeat, 1)
            shown = f"{seconds * EPOCH_STEPS / steps:.2f} s"
        else:
            shown = f"{_time(name, MAKERS[name](), args.compiled, repeat) * 1e3:.3f} ms"
        print(f"{describe(name, steps):<58}{shown:>20}", flush=True)
    return 0


def _time(name: str, work: Workload, compiled: bool, repeat: int, warmup: int = 2) -> float:
    """median_time of one unit of `work`; in compiled mode a failure of `ag.compile` (absent,
    or raising while tracing or replaying) is a one-line error naming the workload."""
    try:
        fn = unit(work, compiled)
    except CompileUnavailable as exc:
        raise CLIError(f"--compiled: {exc}") from exc
    if not compiled:
        return median_time(fn, repeat, warmup)
    try:
        return median_time(fn, repeat, warmup)
    except Exception as exc:
        raise CLIError(f"--compiled: ag.compile raised {type(exc).__name__} on {name}: "
                       f"{exc}") from exc
