"""Recurrent layers, ours vs PyTorch: forward + backward of RNN / LSTM / GRU over a sequence.

    python -m benchmarks.bench_rnn [--repeat N] [--procs P] [--steps L] [--batch N]

Workload (issue 15): input 64 -> hidden 128, 50 steps, batch 32, float32, the loss the sum of
the outputs. Each library runs in its own processes (`--procs` each, alternating), with its
own thread defaults; each process prints its median, and the table shows the median of them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable

import numpy as np

from benchmarks.common import environment_banner, load_torch, time_blocks

KINDS = ("RNN", "LSTM", "GRU")
IN, HIDDEN = 64, 128


def _data(steps: int, batch: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((steps, batch, IN)).astype(np.float32)


def ours(kind: str, steps: int, batch: int) -> Callable[[], object]:
    """One forward + backward of tracegrad's layer."""
    import autograd as ag
    import nn

    mod = getattr(nn, kind)(IN, HIDDEN)
    x = ag.Tensor(_data(steps, batch))

    def run() -> None:
        for p in mod.parameters():
            p.grad = None
        mod(x)[0].sum().backward()

    return run


def theirs(kind: str, steps: int, batch: int) -> Callable[[], object]:
    """One forward + backward of PyTorch's layer."""
    torch = load_torch()
    mod = getattr(torch.nn, kind)(IN, HIDDEN)
    x = torch.from_numpy(_data(steps, batch))

    def run() -> None:
        mod.zero_grad(set_to_none=True)
        mod(x)[0].sum().backward()

    return run


def _child(lib: str, steps: int, batch: int, repeat: int) -> None:
    make = ours if lib == "ours" else theirs
    fns = {kind: make(kind, steps, batch) for kind in KINDS}
    print(json.dumps(time_blocks(fns, repeat=repeat)))


def main(argv: list[str] | None = None) -> None:
    """Run each library in its own processes and print the medians."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--procs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--child", choices=("ours", "torch"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.steps, args.batch, args.repeat)
        return
    print(environment_banner())
    libs = ["ours"] + (["torch"] if load_torch() is not None else [])
    runs: dict[str, list[dict[str, float]]] = {lib: [] for lib in libs}
    for _ in range(args.procs):
        for lib in libs:
            cmd = [sys.executable, "-m", "benchmarks.bench_rnn", "--child", lib,
                   "--repeat", str(args.repeat), "--steps", str(args.steps),
                   "--batch", str(args.batch)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                                 env=dict(os.environ)).stdout
            runs[lib].append(json.loads(out.strip().splitlines()[-1]))
    print(f"\n{IN} -> {HIDDEN}, {args.steps} steps, batch {args.batch}, float32, forward + "
          f"backward; median of {args.procs} processes per library")
    print(f"{'layer':<8}" + "".join(f"{lib + ' ms':>12}" for lib in libs)
          + ("   ours/torch" if len(libs) > 1 else ""))
    for kind in KINDS:
        med = {lib: statistics.median(r[kind] for r in runs[lib]) for lib in libs}
        line = f"{kind:<8}" + "".join(f"{med[lib] * 1e3:>12.2f}" for lib in libs)
        if len(libs) > 1:
            line += f"{med['ours'] / med['torch']:>13.2f}x"
        print(line)


if __name__ == "__main__":
    main()
