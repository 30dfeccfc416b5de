"""Matrix products: ``matmul`` (NumPy semantics, batched with broadcast batch dims) and ``linear``.

The inner products run in BLAS through Numba's ``np.dot``, one single-threaded call per worker
on a block of rows, so the workers of our pool (and no second BLAS pool) share the cores.
``linear`` applies bias and activation to each block right after its GEMM, while the block is
still in cache: one pass over memory instead of three.

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


@njit(**JIT_OPTIONS)
def _epilogue(y, b, has_bias, act):
    """y = act(y + b) in place, row by row."""
    M, N = y.shape
    for r in range(M):
        for j in range(N):
            v = y[r, j]
            if has_bias:
                v += b[j]
            if act == 1:
                v = v if v > 0 else v * 0  # keeps NaN; relu'(0) convention lives in the ops
            elif act == 2:
                v = np.tanh(v)
            elif act == 3:
                # two-branch sigmoid: never overflows (RELIABILITY 15)
                if v >= 0:
                    v = 1 / (1 + np.exp(-v))
                else:
                    e = np.exp(v)
                    v = e / (1 + e)
            y[r, j] = v


@njit(**JIT_OPTIONS)
def _linear_part(t, T, x, w, b, y, act, nblk):
    M = x.shape[0]
    step = (M + nblk - 1) // nblk
    has_bias = b.shape[0] > 0
    for blk in range(t, nblk, T):
        r0 = blk * step
        r1 = min(M, r0 + step)
        if r0 >= r1:
            continue
        yb = y[r0:r1]
        np.dot(x[r0:r1], w.T, yb)
        if has_bias or act != 0:
            _epilogue(yb, b, has_bias, act)


@njit(parallel=True, **JIT_OPTIONS)
def _linear_par(T, x, w, b, y, act, nblk):  # noqa: N803
    for t in prange(T):
        _linear_part(t, T, x, w, b, y, act, nblk)


@njit(**JIT_OPTIONS)
def _linear_ser(T, x, w, b, y, act, nblk):  # noqa: N803
    for t in range(T):
        _linear_part(t, T, x, w, b, y, act, nblk)


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
    if B * M * N * K * 2 <= _SMALL_FLOPS:
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
    bias = np.zeros(0, dtype=x.dtype) if b is None else b
    if y.size:
        if in_f == 0:
            y[...] = 0
            if activation is not None or b is not None:
                _epilogue(y, bias, b is not None, ACTIVATIONS[activation])
            return y.reshape(lead + (out_f,))
        T = num_threads()
        if 2 * M * in_f * out_f <= _SMALL_FLOPS or M < 2 * _MIN_ROWS:
            T, nblk = 1, 1
        else:
            nblk = max(1, min(T, M // _MIN_ROWS))
            T = min(T, nblk)
        with blas_single_thread():
            if T == 1:
                _linear_ser(1, x2, w, bias, y, ACTIVATIONS[activation], 1)
            else:
                run_parallel(_linear_par, _linear_ser, T, x2, w, bias, y,
                             ACTIVATIONS[activation], nblk)
    return y.reshape(lead + (out_f,))
