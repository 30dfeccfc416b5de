"""Engine overhead: per-op cost of recording and backward, and linear scaling of deep chains.

    python -m benchmarks.bench_engine [--repeat N]

Prints the time of a y = y * c chain of 1e3, 1e4 and 1e5 ops (forward, backward) and the
ratio 1e5 / 1e4, which should be about 10 (RELIABILITY case 5: the topological sort and the
backward sweep are linear, no recursion).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import autograd as ag


def chain(n: int) -> tuple[float, float]:
    """Seconds for forward and backward of an n-op scalar multiply chain."""
    x = ag.tensor(1.0, dtype=np.float64, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.000001
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> None:
    """Run the chain benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'ops':>8} {'forward s':>10} {'backward s':>11} {'us/op fwd':>10} {'us/op bwd':>10}")
    medians = {}
    for n in (1_000, 10_000, 100_000):
        runs = [chain(n) for _ in range(args.repeat)]
        fwd = statistics.median(r[0] for r in runs)
        bwd = statistics.median(r[1] for r in runs)
        medians[n] = fwd + bwd
        print(f"{n:>8} {fwd:>10.4f} {bwd:>11.4f} {fwd / n * 1e6:>10.2f} {bwd / n * 1e6:>10.2f}")
    print(f"time(1e5) / time(1e4) = {medians[100_000] / medians[10_000]:.2f} (linear: about 10)")


if __name__ == "__main__":
    main()
