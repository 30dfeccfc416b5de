"""Row kernels of a classifier's head: (log-)softmax over the last axis and its VJPs, the
negative log-likelihood's target preparation, and the gather of one entry per row.

Each works on C-contiguous float32/float64 2-D views (rows = the product of the leading
dims) and writes into a given ``out``, so a replay reuses its buffers; callers check layouts
and dtypes first. Sums over a row repeat NumPy's pairwise summation (``np.sum``'s order), and
the (log-)softmax formulas are NumPy's: ``z = x - max``, ``z - log(sum(exp(z)))``,
``exp(z) / sum(exp(z))``. A row holding NaN, +inf, or only -inf gives NaN, as NumPy does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._runtime import JIT_OPTIONS

_JIT = {**JIT_OPTIONS, "error_model": "numpy"}
_INLINE = {**_JIT, "inline": "always"}  # helpers: no call (and no array refcounts) per row


@njit(**_INLINE)
def _block(a, r, lo, n):  # noqa: ANN001, ANN202
    """a[r, lo:lo+n], n <= 128, summed as NumPy's pairwise sum does a block (8 partial sums)."""
    if n < 8:
        res = a.dtype.type(0)
        for j in range(lo, lo + n):
            res += a[r, j]
        return res
    r0, r1, r2, r3 = a[r, lo], a[r, lo + 1], a[r, lo + 2], a[r, lo + 3]
    r4, r5, r6, r7 = a[r, lo + 4], a[r, lo + 5], a[r, lo + 6], a[r, lo + 7]
    i = 8
    while i < n - n % 8:
        j = lo + i
        r0 += a[r, j]
        r1 += a[r, j + 1]
        r2 += a[r, j + 2]
        r3 += a[r, j + 3]
        r4 += a[r, j + 4]
        r5 += a[r, j + 5]
        r6 += a[r, j + 6]
        r7 += a[r, j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[r, lo + i]
        i += 1
    return res


@njit(**_JIT)
def _stack(a):  # noqa: ANN001, ANN202
    """Scratch for `_sum` of a's rows (empty when no row is long enough to be split)."""
    depth = 64 if a.shape[1] > 128 else 0
    return np.empty((depth, 2), np.int64), np.empty(depth, a.dtype)


@njit(**_INLINE)
def _sum(a, r, stack):  # noqa: ANN001, ANN202
    """np.sum of row r of a 2-D array, in NumPy's order: halves (rounded down to a multiple of
    8) summed recursively down to blocks of <= 128, added to the reduction's initial 0. The
    recursion runs on `stack` (a recursive kernel would crash when loaded from Numba's cache):
    each level keeps its right half's (start, length) and, once done, its left half's sum."""
    spans, lefts = stack
    lo, n, sp = 0, a.shape[1], 0
    pending = 0  # bit k: level k's left half is summed (in lefts[k]), its right half is next
    while True:
        while n > 128:
            half = n // 2
            half -= half % 8
            spans[sp, 0], spans[sp, 1] = lo + half, n - half
            sp += 1
            n = half
        val = _block(a, r, lo, n)
        while sp > 0 and pending >> (sp - 1) & 1:
            sp -= 1
            pending &= ~(1 << sp)
            val = lefts[sp] + val
        if sp == 0:
            return a.dtype.type(0) + val
        lefts[sp - 1] = val
        pending |= 1 << (sp - 1)
        lo, n = spans[sp - 1, 0], spans[sp - 1, 1]


@njit(**_INLINE)
def _max(a, r):  # noqa: ANN001, ANN202
    """np.max of row r of a 2-D array with columns (NaN wins, as in NumPy)."""
    m = a[r, 0]
    for j in range(1, a.shape[1]):
        v = a[r, j]
        if v > m or v != v:
            m = v
            if v != v:
                break
    return m


@njit(**_JIT)
def log_softmax_rows(x, out):  # noqa: ANN001, ANN201
    """out[i] = z - log(sum(exp(z))) with z = x[i] - max(x[i]), for each row i."""
    stack = _stack(x)
    c = x.shape[1]
    for i in range(x.shape[0]):
        m = _max(x, i)
        for j in range(c):
            out[i, j] = np.exp(x[i, j] - m)
        ls = np.log(_sum(out, i, stack))
        for j in range(c):
            out[i, j] = (x[i, j] - m) - ls


@njit(**_JIT)
def softmax_rows(x, out):  # noqa: ANN001, ANN201
    """out[i] = e / sum(e) with e = exp(x[i] - max(x[i])), for each row i."""
    stack = _stack(x)
    c = x.shape[1]
    for i in range(x.shape[0]):
        m = _max(x, i)
        for j in range(c):
            out[i, j] = np.exp(x[i, j] - m)
        s = _sum(out, i, stack)
        for j in range(c):
            out[i, j] = out[i, j] / s


@njit(**_JIT)
def log_softmax_vjp_rows(g, ans, out):  # noqa: ANN001, ANN201
    """out[i] = g[i] - exp(ans[i]) * sum(g[i]): log_softmax's VJP from its output."""
    stack = _stack(g)
    c = g.shape[1]
    for i in range(g.shape[0]):
        s = _sum(g, i, stack)
        for j in range(c):
            out[i, j] = g[i, j] - np.exp(ans[i, j]) * s


@njit(**_JIT)
def softmax_vjp_rows(g, ans, out):  # noqa: ANN001, ANN201
    """out[i] = ans[i] * (g[i] - sum(g[i] * ans[i])): softmax's VJP from its output."""
    stack = _stack(g)
    c = g.shape[1]
    for i in range(g.shape[0]):
        for j in range(c):
            out[i, j] = g[i, j] * ans[i, j]
        s = _sum(out, i, stack)
        for j in range(c):
            out[i, j] = ans[i, j] * (g[i, j] - s)


@njit(**_JIT)
def nll_targets(t, w, c, ignore, safe, wt, keep, total):  # noqa: ANN001, ANN201, PLR0913
    """For class indices `t` (int64): `safe` (0 where ignored), per-sample weights `wt`
    (`w[safe] * keep`, or `keep` when `w` is None), the 0/1 `keep` mask and `total[0]`, the
    sum of `wt`. Returns the position of the first target out of 0..c-1 (not `ignore`), or -1."""
    one, zero = wt.dtype.type(1), wt.dtype.type(0)
    for i in range(t.shape[0]):
        ti = t[i]
        if ti == ignore:
            safe[i], keep[i] = 0, zero
        elif ti < 0 or ti >= c:
            return i
        else:
            safe[i], keep[i] = ti, one
        if w is None:
            wt[i] = keep[i]
        else:
            wt[i] = w[safe[i]] * keep[i]
    row = wt.reshape((1, wt.shape[0]))
    total[0] = _sum(row, 0, _stack(row))
    return -1


@njit(**_JIT)
def pick_rows(x, index, out):  # noqa: ANN001, ANN201
    """out[i] = x[i, index[i]] (a negative index counts from the end); returns the first row
    whose index is out of range, or -1 (nothing is read out of bounds)."""
    c = x.shape[1]
    for i in range(x.shape[0]):
        j = index[i]
        if j < 0:
            j += c
        if j < 0 or j >= c:
            return i
        out[i] = x[i, j]
    return -1


@njit(**_JIT)
def unpick_rows(g, index, out):  # noqa: ANN001, ANN201
    """out = zeros with out[i, index[i]] = g[i], the VJP of `pick_rows`; returns the first row
    whose index is out of range, or -1."""
    c = out.shape[1]
    for i in range(out.shape[0]):
        j = index[i]
        if j < 0:
            j += c
        if j < 0 or j >= c:
            return i
        o = out[i]
        for k in range(c):
            o[k] = 0
        o[j] = g[i]
    return -1


@njit(**_JIT)
def sum_rows(x, out):  # noqa: ANN001, ANN201
    """out[i] = np.sum(x[i]) for each row i, in NumPy's pairwise order (same bits)."""
    stack = _stack(x)
    for i in range(x.shape[0]):
        out[i] = _sum(x, i, stack)
