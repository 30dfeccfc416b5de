"""A vanilla (Elman) RNN's recurrence over a whole sequence: h_t = act(xp_t + h_{t-1} W^T + b),
forward and backward, each one jitted loop per block of batch rows.

The rows of a batch never mix in the recurrence, so each worker runs every time step for its
own rows: one GEMM (rows, H) x (H, H) and the activation per step, with no Python between
steps and no synchronisation between workers. The backward runs the same loop reversed:
gh = g_t + dh, d_t = gh * act'(h_t), dh = d_t W. The weight gradient over all steps is left to
one large product by the caller. float32 stays float32: the constant 1 comes in the dtype,
and tanh is the vectorizable rational of the fused ``linear`` (max 4.7 ulp; libm's tanhf, a
call per element, made the loop 3x slower than NumPy's).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._runtime import JIT_OPTIONS, blas_single_thread, num_threads, run_parallel, workspace
from .blas import gemm
from .matmul import _tanh_f32

__all__ = ["elman_forward", "elman_backward"]

_OPTIONS = {**JIT_OPTIONS, "error_model": "numpy"}
_MIN_ROWS = 8  # fewest batch rows per worker


@njit(**_OPTIONS)
def _forward_part(t, T, xp, h0, w, b, out, relu, reverse, scale):  # noqa: N803
    """Rows t*N/T .. (t+1)*N/T of every step: out[s] = act(xp[s] + out[prev] @ w.T + b)."""
    steps, N, H = xp.shape
    r0 = t * N // T
    r1 = (t + 1) * N // T
    if r1 <= r0:
        return
    zero = scale[1]
    h0f, wf, of = h0.reshape(h0.size), w.reshape(w.size), out.reshape(out.size)
    for k in range(steps):
        s = steps - 1 - k if reverse else k
        if k == 0:
            gemm(h0f, r0 * H, H, False, wf, 0, H, True, of, s * N * H + r0 * H, H,
                 r1 - r0, H, H, scale)
        else:
            p = s + 1 if reverse else s - 1
            gemm(of, p * N * H + r0 * H, H, False, wf, 0, H, True, of, s * N * H + r0 * H, H,
                 r1 - r0, H, H, scale)
        for i in range(r0, r1):
            for j in range(H):
                v = out[s, i, j]
                if b.size:
                    v = v + b[j]
                v = xp[s, i, j] + v
                if relu:
                    out[s, i, j] = v if (v > zero or v != v) else zero
                elif out.itemsize == 4:
                    out[s, i, j] = _tanh_f32(v)
                else:
                    out[s, i, j] = np.tanh(v)


@njit(**_OPTIONS)
def _backward_part(t, T, g, out, w, d, dh0, relu, reverse, scale, ones):  # noqa: N803
    """Rows of every step, last step first: d[s] = (g[s] + dh) * act'(out[s]), dh = d[s] @ w;
    the dh left after the first step goes to dh0."""
    steps, N, H = out.shape
    r0 = t * N // T
    r1 = (t + 1) * N // T
    if r1 <= r0:
        return
    n = r1 - r0
    one, zero = ones[0], scale[1]
    wf = w.reshape(w.size)
    cur = np.empty(n * H, out.dtype)  # this step's d, C-ordered, for the GEMM
    dh = np.empty(n * H, out.dtype)
    for k in range(steps - 1, -1, -1):
        s = steps - 1 - k if reverse else k
        for i in range(n):
            for j in range(H):
                gh = g[s, r0 + i, j]
                if k < steps - 1:
                    gh = gh + dh[i * H + j]
                a = out[s, r0 + i, j]
                if relu:
                    v = gh * (one if a > zero else zero)
                else:
                    v = gh * (one - a * a)
                cur[i * H + j] = v
                d[s, r0 + i, j] = v
        gemm(cur, 0, H, False, wf, 0, H, False, dh, 0, H, n, H, H, scale)
    for i in range(n):
        for j in range(H):
            dh0[r0 + i, j] = dh[i * H + j]


_SCALE = {np.dtype(np.float32): np.array([1, 0], np.float32),
          np.dtype(np.float64): np.array([1, 0], np.float64)}


def _parts(n: int, steps: int, h: int) -> int:
    """Workers for n rows: one part below ~1 MFLOP of recurrence (waking workers costs more)."""
    if 2 * steps * n * h * h < (1 << 20):
        return 1
    return max(1, min(num_threads(), n // _MIN_ROWS))


def fits(xp: np.ndarray, h0: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> bool:
    """Whether the kernels take these operands: one float dtype, C-contiguous, no empty dim."""
    dtype = xp.dtype
    if dtype not in _SCALE or h0.dtype != dtype or w.dtype != dtype:
        return False
    if b is not None and (b.dtype != dtype or not b.flags.c_contiguous):
        return False
    if not (xp.flags.c_contiguous and h0.flags.c_contiguous and w.flags.c_contiguous):
        return False
    return xp.size > 0 and w.shape[0] == w.shape[1] == xp.shape[2]


def elman_forward(xp: np.ndarray, h0: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                  relu: bool, reverse: bool) -> np.ndarray:
    """Every step's h, (T, N, H), of h_t = act(xp_t + h_{t-1} @ w.T + b) (see ``fits``)."""
    steps, n, h = xp.shape
    out = np.empty(xp.shape, xp.dtype)
    bias = np.zeros(0, xp.dtype) if b is None else b
    T = _parts(n, steps, h)  # noqa: N806
    with blas_single_thread():
        run_parallel(_forward_part, T, xp, h0, w, bias, out, relu, reverse, _SCALE[xp.dtype])
    return out


def elman_backward(g: np.ndarray, out: np.ndarray, w: np.ndarray, d: np.ndarray,
                   relu: bool, reverse: bool) -> np.ndarray:
    """Write each step's pre-activation gradient into d (T, N, H, any strides) given the
    gradient g of every h and the forward's out; return the gradient of h0."""
    steps, n, h = out.shape
    dh0 = np.empty((n, h), out.dtype)
    if not (g.dtype == out.dtype and g.flags.c_contiguous):  # e.g. a sum's broadcast 1
        staged = workspace("rnn:g", g.shape, out.dtype).reshape(g.shape)
        np.copyto(staged, g)
        g = staged
    ones = _SCALE[out.dtype][:1]
    T = _parts(n, steps, h)  # noqa: N806
    with blas_single_thread():
        run_parallel(_backward_part, T, g, out, w, d, dh0, relu, reverse, _SCALE[out.dtype],
                     ones)
    return dh0
