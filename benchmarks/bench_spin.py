"""How long another library's spinning threads slow our parallel kernels down.

Times our VGG-style conv forward alone, and right after one NumPy ``a @ b`` (threaded
OpenBLAS) with a gap of 0-200 ms in between. Run: ``python -m benchmarks.bench_spin``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from autograd import kernels
from benchmarks.common import environment_banner

GAPS_MS = [0, 10, 50, 100, 200]


def main() -> None:
    """Print the conv time after a NumPy matmul, per gap, next to the same gap without it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()
    print(environment_banner())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    a = rng.standard_normal((256, 256)).astype(np.float32)

    def conv() -> None:
        kernels.conv2d_forward(x, w, None, 1, 1)

    def timed(before: bool, gap: float) -> float:
        samples = []
        for _ in range(args.repeat):
            if before:
                a @ a  # noqa: B018 - wakes NumPy's BLAS threads
            time.sleep(gap)
            t0 = time.perf_counter()
            conv()
            samples.append(time.perf_counter() - t0)
        return statistics.median(samples) * 1e3

    for _ in range(3):
        conv()
    print("\nour conv2d forward, VGG 64->64 3x3 32x32 b32 (ms, median)")
    print(f"{'gap after the call':>20}{'after numpy a @ a':>20}{'without it':>14}")
    for gap in GAPS_MS:
        after = timed(True, gap / 1e3)
        alone = timed(False, gap / 1e3)
        print(f"{gap:>17} ms{after:>20.2f}{alone:>14.2f}")


if __name__ == "__main__":
    main()
