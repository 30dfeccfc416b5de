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


@njit(**_JIT)
def _block(a, lo, n):  # noqa: ANN001, ANN202
    """a[lo:lo+n], n <= 128, summed as NumPy's pairwise sum does a block (8 partial sums)."""
    if n < 8:
        res = a.dtype.type(0)
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(**_JIT)
def _stack(a):  # noqa: ANN001, ANN202
    """Scratch for `_sum` of rows like `a`'s last axis (empty when no row needs splitting)."""
    depth = 64 if a.shape[-1] > 128 else 0
    return np.empty((depth, 2), np.int64), np.empty(depth, a.dtype)


@njit(**_JIT)
def _sum(a, stack):  # noqa: ANN001, ANN202
    """np.sum of a 1-D array, in NumPy's order: halves (rounded down to a multiple of 8)
    summed recursively down to blocks of <= 128, added to the reduction's initial 0. The
    recursion runs on `stack` (a recursive kernel would crash when loaded from Numba's cache):
    each level keeps its right half's (start, length) and, once done, its left half's sum."""
    spans, lefts = stack
    lo, n, sp = 0, a.shape[0], 0
    pending = 0  # levels below sp whose left half is summed (in lefts) and right half not
    while True:
        while n > 128:
            half = n // 2
            half -= half % 8
            spans[sp, 0], spans[sp, 1] = lo + half, n - half
            sp += 1
            n = half
        val = _block(a, lo, n)
        while sp > 0 and pending >> (sp - 1) & 1:
            sp -= 1
            pending &= ~(1 << sp)
            val = lefts[sp] + val
        if sp == 0:
            return a.dtype.type(0) + val
        lefts[sp - 1] = val
        pending |= 1 << (sp - 1)
        lo, n = spans[sp - 1, 0], spans[sp - 1, 1]


@njit(**_JIT)
def _max(a):  # noqa: ANN001, ANN202
    """np.max of a non-empty 1-D array (NaN wins, as in NumPy)."""
    m = a[0]
    for j in range(1, a.shape[0]):
        v = a[j]
        if v > m or v != v:
            m = v
            if v != v:
                break
    return m


@njit(**_JIT)
def log_softmax_rows(x, out):  # noqa: ANN001, ANN201
    """out[i] = z - log(sum(exp(z))) with z = x[i] - max(x[i]), for each row i."""
    stack = _stack(x)
    for i in range(x.shape[0]):
        row, o = x[i], out[i]
        m = _max(row)
        for j in range(row.shape[0]):
            o[j] = np.exp(row[j] - m)
        ls = np.log(_sum(o, stack))
        for j in range(row.shape[0]):
            o[j] = (row[j] - m) - ls


@njit(**_JIT)
def softmax_rows(x, out):  # noqa: ANN001, ANN201
    """out[i] = e / sum(e) with e = exp(x[i] - max(x[i])), for each row i."""
    stack = _stack(x)
    for i in range(x.shape[0]):
        row, o = x[i], out[i]
        m = _max(row)
        for j in range(row.shape[0]):
            o[j] = np.exp(row[j] - m)
        s = _sum(o, stack)
        for j in range(row.shape[0]):
            o[j] = o[j] / s


@njit(**_JIT)
def log_softmax_vjp_rows(g, ans, out):  # noqa: ANN001, ANN201
    """out[i] = g[i] - exp(ans[i]) * sum(g[i]): log_softmax's VJP from its output."""
    stack = _stack(g)
    for i in range(g.shape[0]):
        gi, ai, o = g[i], ans[i], out[i]
        s = _sum(gi, stack)
        for j in range(gi.shape[0]):
            o[j] = gi[j] - np.exp(ai[j]) * s


@njit(**_JIT)
def softmax_vjp_rows(g, ans, out):  # noqa: ANN001, ANN201
    """out[i] = ans[i] * (g[i] - sum(g[i] * ans[i])): softmax's VJP from its output."""
    stack = _stack(g)
    for i in range(g.shape[0]):
        gi, ai, o = g[i], ans[i], out[i]
        for j in range(gi.shape[0]):
            o[j] = gi[j] * ai[j]
        s = _sum(o, stack)
        for j in range(gi.shape[0]):
            o[j] = ai[j] * (gi[j] - s)


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
    total[0] = _sum(wt, _stack(wt))
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
