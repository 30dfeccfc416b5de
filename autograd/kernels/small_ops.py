"""One-pass kernels for the small steps of a training step whose NumPy calls cost more than
their arithmetic: a ReLU's gradient, a sum over the leading axis (a bias gradient) and the
full sum of a small array (a loss).

A NumPy ufunc or reduction call costs 1.5-3 us before it touches data; a jitted call costs
about 0.2 us, which is what a batch-1 step spends on these. Each kernel does the same float
operations in the same order as the NumPy expression it replaces, so the bits are the same:
`relu_grad_call` multiplies by an exact 0 or 1 as `g * (x > 0)` does, `sum_leading_call`
adds the rows one after another as `np.sum(x, axis=0)` does on a C-contiguous array, and
`sum_all_call` repeats NumPy's pairwise order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numba import njit

from ._runtime import JIT_OPTIONS
from .rows import sum_rows

__all__ = ["relu_grad_call", "sum_all_call", "sum_leading_call"]

# Above this many elements NumPy's vectorised pairwise sum beats the jitted one
_SUM_ALL_MAX = 2048

_OPTIONS = {**JIT_OPTIONS, "error_model": "numpy"}


@njit(**_OPTIONS)
def _relu_grad(g, x, out):
    for i in range(out.size):
        out[i] = g[i] * (1.0 if x[i] > 0 else 0.0)


@njit(**_OPTIONS)
def _sum_leading(x, out):
    n, m = x.shape
    for j in range(m):
        out[j] = x[0, j]
    for i in range(1, n):
        for j in range(m):
            out[j] += x[i, j]


def _flat(a: np.ndarray) -> np.ndarray | None:
    return a.reshape(-1) if a.flags.c_contiguous else None


def relu_grad_call(out: np.ndarray, g: np.ndarray, x: np.ndarray) -> Callable[[], None] | None:
    """A call writing out = g * (x > 0), for same-shape C-contiguous float arrays of one
    dtype; None for any other layout, which the caller computes with NumPy."""
    if not (g.shape == x.shape == out.shape and g.dtype == x.dtype == out.dtype):
        return None
    if g.dtype.kind != "f":
        return None
    fg, fx, fo = _flat(g), _flat(x), _flat(out)
    if fg is None or fx is None or fo is None:
        return None
    return functools.partial(_relu_grad, fg, fx, fo)



def sum_leading_call(out: np.ndarray, x: np.ndarray) -> Callable[[], None] | None:
    """A call writing out = x.sum(axis=0), for a C-contiguous float x of two or more columns
    and a contiguous out of its dtype; None otherwise."""
    if x.ndim < 2 or x.shape[0] == 0 or x.dtype.kind != "f" or out.dtype != x.dtype:
        return None
    if x.size == x.shape[0]:  # one column: NumPy sums it pairwise, not row after row
        return None
    if not x.flags.c_contiguous or not out.flags.c_contiguous or out.shape != x.shape[1:]:
        return None
    return functools.partial(_sum_leading, x.reshape(x.shape[0], -1), out.reshape(-1))


def sum_all_call(out: np.ndarray, x: np.ndarray) -> Callable[[], None] | None:
    """A call writing out = x.sum() (in NumPy's pairwise order, same bits) for a C-contiguous
    float x of at most 2048 elements and an out of one element of its dtype; None otherwise."""
    if x.dtype.kind != "f" or out.dtype != x.dtype or out.size != 1 or not x.size:
        return None
    if x.size > _SUM_ALL_MAX or not x.flags.c_contiguous or not out.flags.c_contiguous:
        return None
    return functools.partial(sum_rows, x.reshape(1, -1), out.reshape(1))

