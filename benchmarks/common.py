"""Shared benchmark helpers: timing in settled blocks per library, medians, ratio tables."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

import numpy as np

__all__ = ["Row", "environment_banner", "load_torch", "measure", "print_table", "system_lines",
           "time_blocks"]

THREADS = 2
SETTLE = 0.3  # seconds of untimed calls before each block of timed ones (see time_blocks)

# Nothing is set in the environment: each library runs with its own defaults. OpenMP threads
# of PyTorch and Numba spin-wait after each parallel region by default, which on a 2-vCPU VM
# lets one library's threads starve the other's; for such runs start the benchmark with
# OMP_WAIT_POLICY=PASSIVE yourself (the banner prints the value in effect).


def load_torch(threads: int = THREADS):  # type: ignore[no-untyped-def]
    """Import PyTorch (CPU) with ``threads`` intra-op threads, or return None if missing."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


THREAD_VARS = ("OMP_", "GOMP_", "KMP_", "MKL_", "OPENBLAS_", "NUMBA_", "TRACEGRAD_")
PACKAGES = ("numpy", "numba", "scipy", "torch", "dezero")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def system_lines() -> list[str]:
    """The run's date, CPU, load average (1/5/15 min), Python and package versions, and any
    threading variables set in the environment; read only: nothing is imported or set."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} -")
    env = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith(THREAD_VARS)]
    now = datetime.datetime.now(datetime.timezone.utc)
    return [
        f"date: {now:%Y-%m-%d %H:%M:%S} UTC",
        f"machine: {cpu_model()}, {platform.machine()}, {os.cpu_count()} logical CPUs",
        f"load average (1/5/15 min): {' '.join(f'{v:.2f}' for v in os.getloadavg())}",
        f"python {platform.python_version()} ({sys.executable}); " + ", ".join(versions),
        "threading variables set: " + (" ".join(env) if env else "none"),
    ]


def environment_banner(threads: int = THREADS) -> str:
    """Text block describing the run: system lines, OPENBLAS_CORETYPE, thread counts."""
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    lines = system_lines() + [
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '<unset>')}",
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '<unset>')}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '<unset>')}  "
        f"numba threads={numba.get_num_threads()} (layer {numba.config.THREADING_LAYER})  "
        f"numpy {np.__version__}  numba {numba.__version__}",
    ]
    try:
        from threadpoolctl import threadpool_info  # optional

        for info in threadpool_info():
            lines.append(f"  {info.get('internal_api')}: {info.get('num_threads')} threads "
                         f"({os.path.basename(info.get('filepath', ''))})")
    except ImportError:
        pass
    torch = load_torch(threads)
    if torch is not None:
        lines.append(f"torch {torch.__version__}: {torch.get_num_threads()} threads")
    else:
        lines.append("torch: not installed (pip install torch==2.13.0 for the comparison)")
    return "\n".join(lines)


def time_blocks(
    fns: dict[str, Callable[[], object]], repeat: int = 15, rounds: int = 3,
    settle: float = SETTLE, min_time: float = 0.0,
) -> dict[str, float]:
    """Median seconds per call of each function, timed in blocks, one library at a time.

    Each round runs every function in turn (the order rotates between rounds): first untimed
    calls for ``settle`` seconds, then ``repeat / rounds`` timed samples back to back. The
    untimed calls outlast the previous library's worker threads, which keep spinning for up to
    ~100 ms after their last call (OpenBLAS's do): timed right after NumPy's threaded BLAS, our
    VGG conv forward took 32 ms instead of 16 (its second worker shared a core with a spinning
    OpenBLAS thread). JIT compilation and workspace allocation fall in the untimed calls.
    ``min_time`` makes each sample loop a function until that many seconds passed.
    """
    samples: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns.items())
    per_round = max(1, -(-repeat // rounds))
    for r in range(rounds):
        for name, fn in order[r % len(order):] + order[:r % len(order)]:
            t_end = time.perf_counter() + settle
            fn()
            while time.perf_counter() < t_end:
                fn()
            for _ in range(per_round):
                n = 0
                t0 = time.perf_counter()
                while True:
                    fn()
                    n += 1
                    elapsed = time.perf_counter() - t0
                    if elapsed >= min_time:
                        break
                samples[name].append(elapsed / n)
    return {name: statistics.median(v) for name, v in samples.items()}


@dataclass
class Row:
    """One benchmark line: a case, and median seconds per implementation."""

    case: str
    flops: float
    times: dict[str, float]


def measure(case: str, flops: float, fns: dict[str, Callable[[], object]], repeat: int = 15,
            min_time: float = 0.0) -> Row:
    """Time ``fns`` (see ``time_blocks``) and wrap the medians in a Row."""
    return Row(case, flops, time_blocks(fns, repeat=repeat, min_time=min_time))


def print_table(title: str, rows: Sequence[Row], baseline: str = "ours") -> None:
    """Print ms and GFLOP/s per implementation, and each one's speed relative to ``baseline``."""
    names: list[str] = []
    for row in rows:
        for name in row.times:
            if name not in names:
                names.append(name)
    others = [n for n in names if n != baseline]
    header = f"{'case':<34}" + "".join(f"{n + ' ms':>12}{'GF/s':>8}" for n in names)
    header += "".join(f"{baseline + '/' + n:>14}" for n in others)
    print(f"\n{title}")
    print(header)
    print("-" * len(header))
    for row in rows:
        line = f"{row.case:<34}"
        for n in names:
            t = row.times.get(n)
            if t is None:
                line += f"{'-':>12}{'-':>8}"
            else:
                gf = row.flops / t / 1e9 if row.flops else float("nan")
                line += f"{t * 1e3:>12.3f}{gf:>8.1f}"
        for n in others:
            if n in row.times and baseline in row.times:
                # speed ratio: >1 means ours is faster
                line += f"{row.times[n] / row.times[baseline]:>13.2f}x"
            else:
                line += f"{'-':>14}"
        print(line)
    print(f"({baseline}/X = X's time / {baseline}'s time: above 1.00x means {baseline} is faster)")
