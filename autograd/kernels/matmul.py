"""Matrix products: ``matmul`` (NumPy semantics, batched with broadcast batch dims) and ``linear``.

A single product (and any tiny one) is one call to NumPy's threaded BLAS: there is nothing to
fuse around it, and splitting rows over our workers measured slower (see the NOTE in
``matmul``). A batch of several matrices runs one single-threaded BLAS call (Numba's
``np.dot``) per worker and matrix, so the workers of our pool (and no second BLAS pool) share
the cores. ``linear`` runs its GEMM in NumPy's BLAS, then bias and activation in one pass over
the output (NumPy's separate passes take two); float32 tanh uses a vectorizable rational
approximation (max 4.7 ulp, see ``_tanh_f32``).

Promotion: float32 and float64 operands may be mixed; the result is float64.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._runtime import JIT_OPTIONS, as_float_arrays, blas_single_thread, num_threads, run_parallel

__all__ = ["matmul", "linear", "ACTIVATIONS"]

ACTIVATIONS = {None: 0, "relu": 1, "tanh": 2, "sigmoid": 3}
_SMALL_FLOPS = 2 * 64**3  # below this, one plain BLAS call beats starting the worker pool
_MIN_ROWS = 16  # fewest rows per worker block


@njit(**JIT_OPTIONS)
def _mm_part(t, T, a, b, c, ia, ib, nblk):
    """Work items t, t+T, ...: item = (batch i, row block r) of c[i] = a[ia[i]] @ b[ib[i]]."""
    B = c.shape[0]
    M = c.shape[1]
    step = (M + nblk - 1) // nblk
    for item in range(t, B * nblk, T):
        i = item // nblk
        r0 = (item % nblk) * step
        r1 = min(M, r0 + step)
        if r0 >= r1:
            continue
        np.dot(a[ia[i]][r0:r1], b[ib[i]], c[i][r0:r1])


@njit(parallel=True, **JIT_OPTIONS)
def _mm_par(T, a, b, c, ia, ib, nblk):  # noqa: N803
    for t in prange(T):
        _mm_part(t, T, a, b, c, ia, ib, nblk)


@njit(**JIT_OPTIONS)
def _mm_ser(T, a, b, c, ia, ib, nblk):  # noqa: N803
    for t in range(T):
        _mm_part(t, T, a, b, c, ia, ib, nblk)


# Rational approximation of tanh on [-c, c] (Eigen's ``generic_fast_tanh_float``, also used
# by TensorFlow), in float32 arithmetic with FMAs: measured max error 4.7 ulp over a 4M-point
# float32 grid on [-12, 12] (NumPy's float32 tanh: 1.4 ulp; the same rational in float64
# arithmetic: 3.5 ulp but 2.3x slower). Only arithmetic and selects, so the epilogue loop
# vectorizes; libm's tanh (a call per element, ~20 ns) made the fused linear slower than
# NumPy's separate passes. Used for float32 only; float64 keeps np.tanh.
_TANH_CLAMP = np.float32(7.90531110763549805)
_TANH_TINY = np.float32(4e-4)  # below this, tanh(x) == x to float32 precision
_ONE = np.float32(1)
_A1, _A3, _A5, _A7, _A9, _A11, _A13 = (np.float32(v) for v in (
    4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
    -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16))
_B0, _B2, _B4, _B6 = (np.float32(v) for v in (
    4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06))


# error_model="numpy": IEEE division (no ZeroDivisionError branch), so the loops vectorize.
# fastmath={"contract"}: multiply-adds may fuse into FMAs (no other fast-math flag, so NaN and
# inf keep their IEEE meaning, RELIABILITY 25).
_EPILOGUE_OPTIONS = {**JIT_OPTIONS, "error_model": "numpy", "fastmath": {"contract"}}


@njit(inline="always", **_EPILOGUE_OPTIONS)
def _tanh_f32(x):
    """tanh of a float32 value; NaN stays NaN, +-inf gives +-1."""
    # NOTE: conditional expressions, not if-statements: LLVM turns these into vector selects;
    # the if-statement form of the same logic measured 0.49 instead of 0.34 ns per element.
    c = _TANH_CLAMP if x > _TANH_CLAMP else x  # NaN fails both tests and stays NaN
    c = -_TANH_CLAMP if c < -_TANH_CLAMP else c
    x2 = c * c
    p = ((((((_A13 * x2 + _A11) * x2 + _A9) * x2 + _A7) * x2 + _A5) * x2 + _A3) * x2 + _A1)
    q = (((_B6 * x2 + _B4) * x2 + _B2) * x2 + _B0)
    r = c * p / q
    # saturated: exactly +-1 (FMA rounding could leave 1 - 4 ulp); tiny: exactly x (keeps
    # subnormals accurate)
    r = math.copysign(_ONE, x) if abs(x) >= _TANH_CLAMP else r
    return x if abs(x) < _TANH_TINY else r


@njit(**_EPILOGUE_OPTIONS)
def _epilogue(y, b, act):
    """y = act(y + b) in place, row by row: one pass, one branch-free inner loop per case."""
    M, N = y.shape
    for r in range(M):
        row = y[r]  # 0-based views: no wraparound checks, the loops vectorize
        if act == 0:
            for j in range(N):
                row[j] += b[j]
        elif act == 1:
            for j in range(N):
                v = row[j] + b[j]
                row[j] = v if v > 0 else v * 0  # keeps NaN; relu'(0) convention lives in ops
        elif act == 2:
            if y.itemsize == 4:  # float32
                for j in range(N):
                    row[j] = _tanh_f32(row[j] + b[j])
            else:
                for j in range(N):
                    row[j] = np.tanh(row[j] + b[j])
        elif act == 3:
            for j in range(N):
                v = row[j] + b[j]
                # two-branch sigmoid: never overflows (RELIABILITY 15)
                if v >= 0:
                    v = 1 / (1 + np.exp(-v))
                else:
                    e = np.exp(v)
                    v = e / (1 + e)
                row[j] = v


def _not_aligned(op: str, sa: tuple, sb: tuple) -> ValueError:
    ka, kb = sa[-1], sb[-2] if len(sb) > 1 else sb[0]
    dim_b = len(sb) - 2 if len(sb) > 1 else 0
    return ValueError(f"{op}: shapes {sa} and {sb} are not aligned: {ka} (dim {len(sa) - 1}) "
                      f"!= {kb} (dim {dim_b})")


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` with NumPy semantics (1-D operands, broadcast batch dims), float32/float64."""
    op = "matmul"
    a, b = as_float_arrays(op, ("a", "b"), a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"{op}: operands must be at least 1-D, got shapes {a.shape} and "
                         f"{b.shape}")
    sa, sb = a.shape, b.shape
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise _not_aligned(op, sa, sb)
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(f"{op}: batch dimensions of {sa} and {sb} do not broadcast") from None
    M, K, N = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    out_shape = batch + (M, N)
    final_shape = out_shape
    if b.ndim == 1:
        final_shape = final_shape[:-1]
    if a.ndim == 1:
        final_shape = final_shape[:-2] + final_shape[-1:] if b.ndim > 1 else final_shape[:-1]
    # Fold a's batch dims into its rows when b is a single matrix: one large GEMM.
    if b2.ndim == 2 and a2.ndim > 2:
        a2 = a2.reshape(-1, K)
        M = a2.shape[0]
        batch = ()
    B = math.prod(batch)
    ba = math.prod(a2.shape[:-2])
    bb = math.prod(b2.shape[:-2])
    c = np.empty((B, M, N), dtype=a.dtype)
    if c.size == 0:
        return c.reshape(final_shape)
    if K == 0:
        c[...] = 0
        return c.reshape(final_shape)
    a3 = a2.reshape(ba, M, K)
    b3 = b2.reshape(bb, K, N)
    if B == 1 or B * M * N * K * 2 <= _SMALL_FLOPS:
        # One matrix (or a tiny batch): NumPy's threaded BLAS call, nothing to fuse around it.
        # NOTE: splitting the rows over our workers, one single-threaded BLAS call each,
        # measured 0.57x NumPy at n = 256..512 and 0.90-0.95x at 1024..2048 (2 threads).
        if B == 1:  # plain 2-D product: NumPy's 2-D path
            np.matmul(a3[0], b3[0], out=c[0])
            return c.reshape(final_shape)
        np.matmul(a3 if ba == B else a3[_index(a2.shape[:-2], batch)],
                  b3 if bb == B else b3[_index(b2.shape[:-2], batch)], out=c)
        return c.reshape(final_shape)
    ia = _index(a2.shape[:-2], batch)
    ib = _index(b2.shape[:-2], batch)
    T = num_threads()
    nblk = 1 if B >= T else max(1, min(-(-T // B), M // _MIN_ROWS))
    T = max(1, min(T, B * nblk))
    with blas_single_thread():
        run_parallel(_mm_par, _mm_ser, T, a3, b3, c, ia, ib, nblk)
    return c.reshape(final_shape)


def _index(src_batch: tuple, batch: tuple) -> np.ndarray:
    """For each output batch element, the index of its source matrix (handles broadcasting)."""
    n = math.prod(src_batch)
    if not batch:
        return np.zeros(1, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64).reshape(src_batch)
    return np.ascontiguousarray(np.broadcast_to(idx, batch)).reshape(-1)


def linear(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, activation: str | None = None
) -> np.ndarray:
    """``act(x @ w.T + b)`` with w in PyTorch layout (out, in); bias and activation fused."""
    op = "linear"
    if activation not in ACTIVATIONS:
        raise ValueError(f"{op}: activation must be one of {list(ACTIVATIONS)}, got "
                         f"{activation!r}")
    x, w, b = as_float_arrays(op, ("input", "weight", "bias"), x, w, b)
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (out, in), got shape {w.shape}")
    if x.ndim < 1:
        raise ValueError(f"{op}: input must be at least 1-D, got shape {x.shape}")
    out_f, in_f = w.shape
    if x.shape[-1] != in_f:
        raise ValueError(f"{op}: input has {x.shape[-1]} features (shape {x.shape}), weight "
                         f"{w.shape} expects {in_f}")
    if b is not None and b.shape != (out_f,):
        raise ValueError(f"{op}: bias must have shape ({out_f},), got {b.shape}")
    lead = x.shape[:-1]
    x2 = x.reshape(-1, in_f)
    M = x2.shape[0]
    y = np.empty((M, out_f), dtype=x.dtype)
    act = ACTIVATIONS[activation]
    if y.size == 0:
        return y.reshape(lead + (out_f,))
    # GEMM in NumPy's threaded BLAS, then bias + activation in one pass over y (NumPy needs
    # two: y += b, then the activation).
    # NOTE: the pass runs on the calling thread. OpenBLAS's workers spin for a while after
    # each GEMM, and a parallel pass right after it measured no faster than this one (the
    # spinning thread holds the second core). Per-worker GEMMs (single-threaded BLAS, split
    # over rows or columns, epilogue while in cache) measured 0.55-0.9x NumPy's separate
    # passes; y.T = w @ x.T (7-15% faster in BLAS at 128 rows) lost it again in the
    # transposing copy.
    if in_f == 0:
        y[...] = 0
    else:
        np.matmul(x2, w.T, out=y)
    if b is None and act == 0:
        return y.reshape(lead + (out_f,))
    _epilogue(y, np.zeros(out_f, dtype=x.dtype) if b is None else b, act)
    return y.reshape(lead + (out_f,))
