"""`tracegrad warmup`: compile every Numba kernel once, so that later runs start warm.

Numba caches compiled kernels on disk (next to the package, or in $NUMBA_CACHE_DIR); on a
cold cache the first batch of a run waits for the compiler. This runs each kernel once per
dtype on small inputs and prints what it compiled and how long it took; on a warm cache it
only loads the cached code and says so.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

DTYPES = {"float32": ("float32",), "float64": ("float64",), "both": ("float32", "float64")}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `warmup` and its options."""
    p = subparsers.add_parser(
        "warmup",
        help="compile every kernel once (a cold cache makes the first run wait)",
        description="Compile every Numba kernel (conv2d in each layout, pooling, matmul, "
        "linear) for float32 and float64 and cache them on disk, so later runs start warm. "
        "Fast when the cache is already warm.",
    )
    p.add_argument("--dtype", choices=list(DTYPES), default="both",
                   help="which dtypes to compile for (default: %(default)s)")
    return p


def run(args: argparse.Namespace) -> int:
    """Run every kernel once per dtype, printing one line per group and the total."""
    from autograd.kernels import warmup

    start, compiled = time.perf_counter(), 0
    for what, seconds, count in warmup(DTYPES[args.dtype]):
        compiled += count
        state = f"compiled {count} kernel functions" if count else "cached"
        print(f"  {what:<52} {seconds:6.2f} s  {state}", flush=True)
    total = time.perf_counter() - start
    if compiled:
        print(f"compiled {compiled} kernel functions in {total:.1f} s; later runs start warm")
    else:
        print(f"every kernel was already compiled (loaded from the cache in {total:.1f} s)")
    return 0
