"""Matrix products: ``matmul`` (NumPy semantics, batched with broadcast batch dims) and ``linear``.

One thread pool owns the cores: every product large enough to be threaded runs single-threaded
BLAS calls (``blas.gemm`` / Numba's ``np.dot``, SciPy's OpenBLAS) on our worker threads, each on
its own block of the output. NumPy's threaded BLAS is never woken: its workers spin for ~100 ms
after each call and, on 2 cores, halve the speed of our parallel kernels meanwhile (see
``_product``). ``linear`` fuses bias and activation into the product: each worker applies them
to its block right after computing it, while it is in cache (NumPy needs two more passes);
float32 tanh uses a vectorizable rational approximation (max 4.7 ulp, see ``_tanh_f32``).

Promotion: float32 and float64 operands may be mixed; the result is float64.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from numba import njit

from ._runtime import (
    JIT_OPTIONS,
    as_float_arrays,
    blas_single_thread,
    num_threads,
    result_array,
    run_parallel,
)
from .blas import gemm

__all__ = ["matmul", "linear", "linear_call", "product_call", "ACTIVATIONS"]

ACTIVATIONS = {None: 0, "relu": 1, "tanh": 2, "sigmoid": 3}
_SMALL_FLOPS = 2 * 64**3  # below this, one plain BLAS call beats starting the worker pool
_PAR_FLOPS = 1 << 24  # a single product smaller than this runs on the calling thread (waking
# the passive workers costs up to 60-80 us on this VM, the time of ~10 MFLOP)
_BLAS_SERIAL_MNK = 4 * 65536  # OpenBLAS runs products up to this M*N*K on the calling thread
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


def _epilogue(y: np.ndarray, b: np.ndarray, act: int) -> None:
    """y = act(y + b) in place for a C-contiguous 2-D y (see ``_epilogue_rows``)."""
    # NOTE: Python, not jitted: a jitted caller passing the constant 0 would compile a second
    # ``_epilogue_rows`` specialised on Literal[int](0); called from here (0 is an int64) it
    # is the one the workers compiled.
    _epilogue_rows(y.reshape(y.size), 0, y.shape[1], y.shape[0], y.shape[1], b, act)


@njit(**_EPILOGUE_OPTIONS)
def _epilogue_rows(yf, y0, ldy, M, N, b, act):  # noqa: N803
    """act(y + b) in place on the (M, N) block of flat yf at y0 with row stride ldy.

    One pass, row by row, one branch-free inner loop per case.
    """
    for r in range(M):
        # a contiguous 1-D slice: unit stride and no wraparound checks, the loops vectorize
        # (rows of a strided 2-D view did not: 0.78 instead of 0.60 ms at 128x512)
        row = yf[y0 + r * ldy : y0 + r * ldy + N]
        if act == 0:
            for j in range(N):
                row[j] += b[j]
        elif act == 1:
            for j in range(N):
                v = row[j] + b[j]
                row[j] = v if v > 0 else v * 0  # keeps NaN; relu'(0) convention lives in ops
        elif act == 2:
            if yf.itemsize == 4:  # float32
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


@njit(**JIT_OPTIONS)
def _block_part(t, T, a, ta, b, tb, c, bias, act, scale, by_cols):  # noqa: N803
    """Part t of T of c = op(a) @ op(b), then act(c + bias) on it if act >= 0.

    op(a) = a.T if ta (a is (K, M)) else a (M, K); op(b) = b.T if tb (b is (N, K), PyTorch's
    weight layout) else b (K, N): a transposed operand is read in place by BLAS, not copied.
    A part is a range of rows of c, or of columns if by_cols; single-threaded BLAS computes it
    in place, and the epilogue follows while it is still in cache.
    """
    M, N = c.shape
    K = a.shape[0] if ta else a.shape[1]
    af, bf, cf = a.reshape(a.size), b.reshape(b.size), c.reshape(c.size)
    lda = M if ta else K
    ldb = K if tb else N
    if by_cols:
        n0 = t * N // T
        n1 = (t + 1) * N // T
        if n1 > n0:
            gemm(af, 0, lda, ta, bf, n0 * K if tb else n0, ldb, tb, cf, n0, N, M, n1 - n0, K,
                 scale)
            if act >= 0:
                _epilogue_rows(cf, n0, N, M, n1 - n0, bias[n0:n1], act)
    else:
        m0 = t * M // T
        m1 = (t + 1) * M // T
        if m1 > m0:
            gemm(af, m0 if ta else m0 * K, lda, ta, bf, 0, ldb, tb, cf, m0 * N, N, m1 - m0, N, K,
                 scale)
            if act >= 0:
                _epilogue_rows(cf, m0 * N, N, m1 - m0, N, bias, act)


_SCALE = {np.dtype(np.float32): np.array([1, 0], np.float32),  # (alpha, beta): read-only
          np.dtype(np.float64): np.array([1, 0], np.float64)}
_NO_BIAS = {d: np.zeros(0, d) for d in _SCALE}


def _product(a: np.ndarray, b: np.ndarray, tb: bool, c: np.ndarray, bias: np.ndarray,
             act: int) -> None:
    """c = a @ op(b), then act(c + bias) if act >= 0; C-contiguous 2-D operands, K > 0."""
    _product_call(a, False, b, tb, c, bias, act)()


def _product_call(a: np.ndarray, ta: bool, b: np.ndarray, tb: bool, c: np.ndarray,
                  bias: np.ndarray, act: int) -> Callable[[], None]:
    """A call computing c = op(a) @ op(b), then act(c + bias) if act >= 0, with its dispatch
    decided now: C-contiguous 2-D operands (op(x) = x.T where tx), c C-contiguous, K > 0.

    Never wakes NumPy's threaded BLAS: its workers spin for ~100 ms after each call and, on
    2 cores, halve the speed of every parallel kernel of ours that runs meanwhile (measured:
    VGG conv forward 16 -> 32 ms; a LeNet-5 training step 16.4 -> 20.8 ms). Products that
    OpenBLAS itself runs single-threaded (M*N*K <= 4 * 65536) go to NumPy on this thread;
    larger ones run single-threaded BLAS on this thread (below _PAR_FLOPS) or on our workers.
    """
    M, N = c.shape
    K = a.shape[0] if ta else a.shape[1]
    if M * N * K <= _BLAS_SERIAL_MNK:
        # NOTE: np.dot, not np.matmul: the same BLAS call for 2-D operands and the same bits,
        # but np.matmul takes a slow non-BLAS loop for K == 1 (an outer product, a batch-1
        # weight gradient: 100x1 @ 1x784 took 80 us, np.dot 7.6 us) and has more overhead
        pa, pb = a.T if ta else a, b.T if tb else b
        if act < 0:
            return functools.partial(np.dot, pa, pb, c)

        def small() -> None:
            np.dot(pa, pb, c)
            _epilogue(c, bias, act)

        return small
    # Each worker packs its part of one operand and all of the other: split the dimension
    # of the larger one (measured at 128x784 @ 784x512: columns 0.60 ms, rows 0.78 ms).
    by_cols = M < N
    T = 1
    if 2 * M * N * K >= _PAR_FLOPS:
        T = max(1, min(num_threads(), (N if by_cols else M) // _MIN_ROWS))
    args = (a, ta, b, tb, c, bias, act, _SCALE[c.dtype], by_cols and T > 1)

    def blocks() -> None:
        with blas_single_thread():
            run_parallel(_block_part, T, *args)

    return blocks


def product_call(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> Callable[[], None] | None:
    """``out = a @ b`` for 2-D float operands of out's dtype as a call with every check and
    dispatch done now (ag.compile binds it once to buffers it reuses); None where the
    operands need converting (other dtypes, a layout BLAS cannot read in place, K == 0)."""
    if a.ndim != 2 or b.ndim != 2 or out.ndim != 2 or not out.flags.c_contiguous:
        return None
    if not (a.dtype == b.dtype == out.dtype) or out.dtype not in _SCALE:
        return None
    if a.shape[1] != b.shape[0] or out.shape != (a.shape[0], b.shape[1]) or a.shape[1] == 0:
        return None
    if out.size == 0:
        return None
    ta, tb = _transposed(a), _transposed(b)
    if ta is None or tb is None:
        return None
    return _product_call(a.T if ta else a, ta, b.T if tb else b, tb, out, _NO_BIAS[out.dtype],
                         -1)


def linear_call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                out: np.ndarray) -> Callable[[], None] | None:
    """``out = x @ w.T + b`` (no activation) as a call with every check and dispatch done now,
    for C-contiguous float operands of out's dtype; None for anything ``linear`` converts."""
    dtype = out.dtype
    if dtype not in _SCALE or x.dtype != dtype or w.dtype != dtype or w.ndim != 2:
        return None
    if x.ndim < 1 or x.shape[-1] != w.shape[1] or w.shape[1] == 0 or out.size == 0:
        return None
    if out.shape != x.shape[:-1] + (w.shape[0],):
        return None
    if not (x.flags.c_contiguous and w.flags.c_contiguous and out.flags.c_contiguous):
        return None
    if b is not None and (b.dtype != dtype or b.shape != (w.shape[0],)
                          or not b.flags.c_contiguous):
        return None
    act, bias = (-1, _NO_BIAS[dtype]) if b is None else (0, b)
    return _product_call(x.reshape(-1, w.shape[1]), False, w, True,
                         out.reshape(-1, w.shape[0]), bias, act)


def _transposed(x: np.ndarray) -> bool | None:
    """False for a C-contiguous x, True for the transpose of one, None for other layouts."""
    if x.flags.c_contiguous:
        return False
    return True if x.T.flags.c_contiguous else None


def _not_aligned(op: str, sa: tuple, sb: tuple) -> ValueError:
    ka, kb = sa[-1], sb[-2] if len(sb) > 1 else sb[0]
    dim_b = len(sb) - 2 if len(sb) > 1 else 0
    return ValueError(f"{op}: shapes {sa} and {sb} are not aligned: {ka} (dim {len(sa) - 1}) "
                      f"!= {kb} (dim {dim_b})")


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` with NumPy semantics (1-D operands, broadcast batch dims), float32/float64;
    written into ``out`` (C-contiguous, the result's shape and dtype) when given."""
    op = "matmul"
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == b.ndim == 2 and (
        a.dtype == b.dtype and a.dtype in _SCALE and a.shape[1] == b.shape[0] and a.size
        and b.size
    ):  # the common case, fast: transposed operands are read in place
        c = result_array(op, out, (a.shape[0], b.shape[1]), a.dtype)
        call = product_call(a, b, c)
        if call is not None:
            call()
            return c
        out = c
    a, b = as_float_arrays(op, ("a", "b"), a, b, reuse=out is not None)
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.size and b.size:
        shape = (a.shape[0], b.shape[1])
        c = result_array(op, out, shape, a.dtype)  # the common case, fast
        _product(a, b, False, c, _NO_BIAS[c.dtype], -1)
        return c
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
    c = result_array(op, out, final_shape, a.dtype).reshape((B, M, N))
    if c.size == 0:
        return c.reshape(final_shape)
    if K == 0:
        c[...] = 0
        return c.reshape(final_shape)
    a3 = a2.reshape(ba, M, K)
    b3 = b2.reshape(bb, K, N)
    if B == 1:
        _product(a3[0], b3[0], False, c[0], _NO_BIAS[c.dtype], -1)
        return c.reshape(final_shape)
    if B * M * N * K * 2 <= _SMALL_FLOPS:  # a tiny batch: one NumPy call (single-threaded)
        np.matmul(a3 if ba == B else a3[_index(a2.shape[:-2], batch)],
                  b3 if bb == B else b3[_index(b2.shape[:-2], batch)], out=c)
        return c.reshape(final_shape)
    ia = _index(a2.shape[:-2], batch)
    ib = _index(b2.shape[:-2], batch)
    T = num_threads()
    nblk = 1 if B >= T else max(1, min(-(-T // B), M // _MIN_ROWS))
    T = max(1, min(T, B * nblk))
    with blas_single_thread():
        run_parallel(_mm_part, T, a3, b3, c, ia, ib, nblk)
    return c.reshape(final_shape)


def _index(src_batch: tuple, batch: tuple) -> np.ndarray:
    """For each output batch element, the index of its source matrix (handles broadcasting)."""
    n = math.prod(src_batch)
    if not batch:
        return np.zeros(1, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64).reshape(src_batch)
    return np.ascontiguousarray(np.broadcast_to(idx, batch)).reshape(-1)


def linear(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, activation: str | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``act(x @ w.T + b)`` with w in PyTorch layout (out, in); bias and activation fused;
    written into ``out`` (C-contiguous, the result's shape and dtype) when given."""
    op = "linear"
    if activation not in ACTIVATIONS:
        raise ValueError(f"{op}: activation must be one of {list(ACTIVATIONS)}, got "
                         f"{activation!r}")
    x, w, b = as_float_arrays(op, ("input", "weight", "bias"), x, w, b, reuse=out is not None)
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
    y = result_array(op, out, lead + (out_f,), x.dtype).reshape((M, out_f))
    act = ACTIVATIONS[activation]
    if y.size == 0:
        return y.reshape(lead + (out_f,))
    # Each worker runs the GEMM of its block of y (rows or columns, see ``_product``), then
    # bias + activation on it in one pass while it is in cache (NumPy needs two more passes:
    # y += b, then the activation).
    # NOTE: y.T = w @ x.T (7-15% faster in BLAS at 128 rows) lost it again in the transposing
    # copy.
    if b is None and act == 0:
        act, bias = -1, _NO_BIAS[y.dtype]  # -1: no epilogue
    else:
        bias = np.zeros(out_f, dtype=x.dtype) if b is None else b
    if in_f == 0:
        y[...] = 0
        if act >= 0:
            _epilogue(y, bias, act)
    else:
        _product(x2, w, True, y, bias, act)
    return y.reshape(lead + (out_f,))
