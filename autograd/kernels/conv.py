"""2-D convolution (N, C, H, W) forward and backward: im2col per chunk of samples + BLAS GEMM.

The batch is cut into chunks of ``nb`` samples; each of the ``T`` workers takes every T-th
chunk, unfolds it into a reused per-thread workspace (``im2col``, rows ``(c, kh, kw)``,
columns ``(sample, oh, ow)``) and multiplies it with the weight through single-threaded BLAS
(Numba's ``np.dot``). The workspace stays in cache between the unfold and the GEMM, and no
buffer is allocated per call (page faults are expensive on this machine).

Promotion: float32 and float64 operands may be mixed; the result is float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit, prange

from ._runtime import (
    JIT_OPTIONS,
    as_float_arrays,
    as_pair,
    blas_single_thread,
    check_ndim,
    num_threads,
    run_parallel,
    workspace,
)

__all__ = [
    "conv2d_output_shape",
    "conv2d_forward",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_backward_bias",
]

_COLS_TARGET = 2048  # aim for at least this many GEMM columns per chunk
_NHWC_MIN_CHANNELS = 16  # channels per group from which the NHWC unfold path is faster
_WS_LIMIT = 4 << 20  # bytes of im2col workspace per worker, at most (unless one sample needs more)

Pair = int | Sequence[int]


# --------------------------------------------------------------------------------------------
# Layout helpers for one sample
# --------------------------------------------------------------------------------------------
# NOTE: the unfolded matrix is stored "im2row": one row per output pixel, with the columns of
# group g ordered (kh, kw, c). Measured on this machine, BLAS runs a (pixels x K) @ (K x OC)
# product 1.4-1.6x faster than the (OC x K) @ (K x pixels) one, and copying from an NHWC
# copy of the sample moves runs of C contiguous values instead of single elements.


@njit(**JIT_OPTIONS)
def _to_nhwc(x, n, xt):
    """xt[h, w, c] = x[n, c, h, w]."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    for h in range(H):
        for c in range(C):
            for w in range(W):
                xt[h, w, c] = x[n, c, h, w]


@njit(**JIT_OPTIONS)
def _from_nhwc(xt, gx, n):
    """gx[n, c, h, w] = xt[h, w, c]."""
    C, H, W = gx.shape[1], gx.shape[2], gx.shape[3]
    for c in range(C):
        for h in range(H):
            for w in range(W):
                gx[n, c, h, w] = xt[h, w, c]


@njit(**JIT_OPTIONS)
def _im2row(xt, col, off, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):  # noqa: N803
    """Unfold an NHWC sample into rows off.. of col (G, pixels, KH*KW*Cg); zero padding."""
    H, W, C = xt.shape
    G = col.shape[0]
    Cg = C // G
    for oh in range(OH):
        for ow in range(OW):
            r = off + oh * OW + ow
            for kh in range(KH):
                ih = oh * sh - ph + kh * dh
                for kw in range(KW):
                    iw = ow * sw - pw + kw * dw
                    base = (kh * KW + kw) * Cg
                    if 0 <= ih < H and 0 <= iw < W:
                        for g in range(G):
                            for c in range(Cg):
                                col[g, r, base + c] = xt[ih, iw, g * Cg + c]
                    else:
                        for g in range(G):
                            for c in range(Cg):
                                col[g, r, base + c] = 0


@njit(**JIT_OPTIONS)
def _row2im(col, off, gxt, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):  # noqa: N803
    """Fold rows off.. of col (G, pixels, KH*KW*Cg) back into an NHWC sample (accumulating)."""
    H, W, C = gxt.shape
    G = col.shape[0]
    Cg = C // G
    for oh in range(OH):
        for ow in range(OW):
            r = off + oh * OW + ow
            for kh in range(KH):
                ih = oh * sh - ph + kh * dh
                if ih < 0 or ih >= H:
                    continue
                for kw in range(KW):
                    iw = ow * sw - pw + kw * dw
                    if iw < 0 or iw >= W:
                        continue
                    base = (kh * KW + kw) * Cg
                    for g in range(G):
                        for c in range(Cg):
                            gxt[ih, iw, g * Cg + c] += col[g, r, base + c]


@njit(**JIT_OPTIONS)
def _valid_range(s, stride, size, out):
    """Range [lo, hi) of output positions o with 0 <= o*stride + s < size."""
    lo = 0 if s >= 0 else (-s + stride - 1) // stride
    hi = (size - 1 - s) // stride + 1 if size - 1 - s >= 0 else 0
    hi = min(hi, out)
    lo = min(lo, hi)
    return lo, hi


@njit(**JIT_OPTIONS)
def _im2row_nchw(x, n, col, off, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):  # noqa: N803
    """Like _im2row, but column by column straight from NCHW (faster for few channels)."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    G = col.shape[0]
    Cg = C // G
    for g in range(G):
        colg = col[g]
        for c in range(Cg):
            xc = x[n, g * Cg + c]
            for kh in range(KH):
                for kw in range(KW):
                    k = (kh * KW + kw) * Cg + c
                    s = kw * dw - pw
                    lo, hi = _valid_range(s, sw, W, OW)
                    for oh in range(OH):
                        ih = oh * sh - ph + kh * dh
                        r0 = off + oh * OW
                        if ih < 0 or ih >= H:
                            for ow in range(OW):
                                colg[r0 + ow, k] = 0
                            continue
                        for ow in range(lo):
                            colg[r0 + ow, k] = 0
                        for ow in range(lo, hi):
                            colg[r0 + ow, k] = xc[ih, ow * sw + s]
                        for ow in range(hi, OW):
                            colg[r0 + ow, k] = 0


@njit(**JIT_OPTIONS)
def _row2im_nchw(col, off, gx, n, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):  # noqa: N803
    """Like _row2im, but accumulating straight into NCHW gx[n] (faster for few channels)."""
    C, H, W = gx.shape[1], gx.shape[2], gx.shape[3]
    G = col.shape[0]
    Cg = C // G
    for g in range(G):
        colg = col[g]
        for c in range(Cg):
            gxc = gx[n, g * Cg + c]
            for kh in range(KH):
                for kw in range(KW):
                    k = (kh * KW + kw) * Cg + c
                    s = kw * dw - pw
                    lo, hi = _valid_range(s, sw, W, OW)
                    for oh in range(OH):
                        ih = oh * sh - ph + kh * dh
                        if ih < 0 or ih >= H:
                            continue
                        r0 = off + oh * OW
                        for ow in range(lo, hi):
                            gxc[ih, ow * sw + s] += colg[r0 + ow, k]


@njit(**JIT_OPTIONS)
def _gather_rows(gy, n0, cnt, dst):
    """Copy samples n0..n0+cnt of ``gy`` (N, OC, OH, OW) into ``dst`` (OC, cnt*OH*OW)."""
    OC = gy.shape[1]
    L = gy.shape[2] * gy.shape[3]
    for j in range(cnt):
        g = gy[n0 + j].reshape((OC, L))
        for oc in range(OC):
            for i in range(L):
                dst[oc, j * L + i] = g[oc, i]


# --------------------------------------------------------------------------------------------
# Per-worker parts. wp is the weight as (G, OC/G, KH*KW*Cg) with columns ordered (kh, kw, c).
# --------------------------------------------------------------------------------------------


@njit(**JIT_OPTIONS)
def _forward_part(t, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    """Chunks t, t+T, ... of the forward pass: y = w * x + b."""
    N, C, H, W = x.shape
    G, OCg, Kg = wp.shape
    OH, OW = y.shape[2], y.shape[3]
    L = OH * OW
    has_bias = b.shape[0] > 0
    wst = ws[t]
    xt = wst[: H * W * C].reshape((H, W, C))
    p = H * W * C
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * L
        col = wst[p : p + G * m * Kg].reshape((G, m, Kg))
        out = wst[p + G * m * Kg : p + G * m * (Kg + OCg)].reshape((G, m, OCg))
        for j in range(cnt):
            if C // G >= _NHWC_MIN_CHANNELS:
                _to_nhwc(x, n0 + j, xt)
                _im2row(xt, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
            else:
                _im2row_nchw(x, n0 + j, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
        for g in range(G):
            np.dot(col[g], wp[g].T, out[g])
        for j in range(cnt):
            yj = y[n0 + j].reshape((G * OCg, L))
            for g in range(G):
                og = out[g]
                for o in range(OCg):
                    oc = g * OCg + o
                    bo = b[oc] if has_bias else 0.0
                    for i in range(L):
                        yj[oc, i] = og[j * L + i, o] + bo


@njit(**JIT_OPTIONS)
def _backward_input_part(t, T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    """Chunks t, t+T, ... of gx = row2im(gy^T @ w)."""
    N, C, H, W = gx.shape
    G, OCg, Kg = wp.shape
    OC = G * OCg
    OH, OW = gy.shape[2], gy.shape[3]
    L = OH * OW
    wst = ws[t]
    gxt = wst[: H * W * C].reshape((H, W, C))
    p = H * W * C
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * L
        col = wst[p : p + G * m * Kg].reshape((G, m, Kg))
        if cnt == 1:
            gyc = gy[n0].reshape((OC, L))
        else:
            gyc = wst[p + G * m * Kg : p + G * m * Kg + OC * m].reshape((OC, m))
            _gather_rows(gy, n0, cnt, gyc)
        for g in range(G):
            np.dot(gyc[g * OCg : (g + 1) * OCg].T, wp[g], col[g])
        for j in range(cnt):
            if C // G >= _NHWC_MIN_CHANNELS:
                gxt[:] = 0
                _row2im(col, j * L, gxt, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
                _from_nhwc(gxt, gx, n0 + j)
            else:
                gx[n0 + j] = 0
                _row2im_nchw(col, j * L, gx, n0 + j, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)


@njit(**JIT_OPTIONS)
def _backward_weight_part(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    """Chunks t, t+T, ... of gwp[t] = sum over samples of gy @ im2row(x)."""
    N, C, H, W = x.shape
    G, OCg, Kg = gwp.shape[1], gwp.shape[2], gwp.shape[3]
    OC = G * OCg
    OH, OW = gy.shape[2], gy.shape[3]
    L = OH * OW
    gw = gwp[t]
    gw[:] = 0
    wst = ws[t]
    xt = wst[: H * W * C].reshape((H, W, C))
    p = H * W * C
    tmp = wst[p : p + OC * Kg].reshape((G, OCg, Kg))
    p += OC * Kg
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * L
        col = wst[p : p + G * m * Kg].reshape((G, m, Kg))
        for j in range(cnt):
            if C // G >= _NHWC_MIN_CHANNELS:
                _to_nhwc(x, n0 + j, xt)
                _im2row(xt, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
            else:
                _im2row_nchw(x, n0 + j, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
        if cnt == 1:
            gyc = gy[n0].reshape((OC, L))
        else:
            gyc = wst[p + G * m * Kg : p + G * m * Kg + OC * m].reshape((OC, m))
            _gather_rows(gy, n0, cnt, gyc)
        for g in range(G):
            np.dot(gyc[g * OCg : (g + 1) * OCg], col[g], tmp[g])
        for g in range(G):
            for o in range(OCg):
                for k in range(Kg):
                    gw[g, o, k] += tmp[g, o, k]


# --------------------------------------------------------------------------------------------
# Parallel runners and their serial twins (used in a child forked from a GNU OpenMP parent)
# --------------------------------------------------------------------------------------------


@njit(parallel=True, **JIT_OPTIONS)
def _forward_par(T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    for t in prange(T):
        _forward_part(t, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(**JIT_OPTIONS)
def _forward_ser(T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    for t in range(T):
        _forward_part(t, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(parallel=True, **JIT_OPTIONS)
def _backward_input_par(T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    for t in prange(T):
        _backward_input_part(t, T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(**JIT_OPTIONS)
def _backward_input_ser(T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    for t in range(T):
        _backward_input_part(t, T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(parallel=True, **JIT_OPTIONS)
def _backward_weight_par(T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    for t in prange(T):
        _backward_weight_part(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(**JIT_OPTIONS)
def _backward_weight_ser(T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    for t in range(T):
        _backward_weight_part(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


# --------------------------------------------------------------------------------------------
# Python wrappers: checks, promotion, contiguity, workspace sizing
# --------------------------------------------------------------------------------------------


def conv2d_output_shape(
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
    op: str = "conv2d",
) -> tuple[int, int, int, int]:
    """Output shape (N, OC, OH, OW) of a conv2d; raises ValueError on inconsistent shapes."""
    sh, sw = as_pair(op, "stride", stride, 1)
    ph, pw = as_pair(op, "padding", padding, 0)
    dh, dw = as_pair(op, "dilation", dilation, 1)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if len(x_shape) != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: weight must be 4-D (OC, C/groups, KH, KW), got shape "
                         f"{tuple(w_shape)}")
    N, C, H, W = (int(v) for v in x_shape)
    OC, Cg, KH, KW = (int(v) for v in w_shape)
    if C % groups or OC % groups:
        raise ValueError(f"{op}: groups={groups} must divide input channels {C} and output "
                         f"channels {OC}")
    if Cg * groups != C:
        raise ValueError(f"{op}: input has {C} channels, weight expects {Cg * groups} "
                         f"(input {tuple(x_shape)}, weight {tuple(w_shape)}, groups={groups})")
    if KH < 1 or KW < 1:
        raise ValueError(f"{op}: kernel size must be positive, got weight {tuple(w_shape)}")
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    if OH < 1 or OW < 1:
        raise ValueError(
            f"{op}: kernel {(KH, KW)} with dilation {(dh, dw)} is larger than the padded input "
            f"{(H + 2 * ph, W + 2 * pw)} (input {tuple(x_shape)}, padding {(ph, pw)})"
        )
    return N, OC, OH, OW


def _chunking(N: int, C: int, OC: int, KH: int, KW: int, L: int, itemsize: int) -> tuple[int, int]:
    """(T, nb): worker count and samples per chunk; chunks fill a cache-sized workspace."""
    T = max(1, min(num_threads(), N))
    per_sample = (C * KH * KW + OC) * L * itemsize
    nb = max(1, -(-_COLS_TARGET // L))
    nb = min(nb, max(1, _WS_LIMIT // max(per_sample, 1)), -(-N // T))
    return T, max(1, nb)


def _workspace(T: int, nb: int, x_shape: Sequence[int], OC: int, KH: int, KW: int, L: int,
               dtype: np.dtype) -> np.ndarray:
    """Per-worker flat scratch: NHWC sample, unfolded chunk, GEMM output, weight partials."""
    C, H, W = x_shape[1], x_shape[2], x_shape[3]
    K = C * KH * KW
    size = C * H * W + (K + OC) * nb * L + OC * K
    return workspace("conv2d", (T, size), dtype)


def _pack_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """(OC, Cg, KH, KW) -> contiguous (G, OC/G, KH*KW*Cg), columns ordered (kh, kw, c)."""
    OC, Cg, KH, KW = w.shape
    wp = w.reshape(groups, OC // groups, Cg, KH, KW).transpose(0, 1, 3, 4, 2)
    return np.ascontiguousarray(wp).reshape(groups, OC // groups, KH * KW * Cg)


def _unpack_weight(wp: np.ndarray, w_shape: Sequence[int]) -> np.ndarray:
    """Inverse of ``_pack_weight``."""
    OC, Cg, KH, KW = w_shape
    w = wp.reshape(OC, KH, KW, Cg).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(w)


def _as_int_params(op, stride, padding, dilation):  # type: ignore[no-untyped-def]
    return (as_pair(op, "stride", stride, 1), as_pair(op, "padding", padding, 0),
            as_pair(op, "dilation", dilation, 1))


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with w (OC, C/groups, KH, KW), plus bias b (OC,)."""
    op = "conv2d"
    x, w, b = as_float_arrays(op, ("input", "weight", "bias"), x, w, b)
    check_ndim(op, "input", x, 4)
    check_ndim(op, "weight", w, 4)
    N, OC, OH, OW = conv2d_output_shape(x.shape, w.shape, stride, padding, dilation, groups)
    if b is None:
        b = np.zeros(0, dtype=x.dtype)
    elif b.shape != (OC,):
        raise ValueError(f"{op}: bias must have shape ({OC},) for weight {w.shape}, got {b.shape}")
    (sh, sw), (ph, pw), (dh, dw) = _as_int_params(op, stride, padding, dilation)
    C = x.shape[1]
    KH, KW = w.shape[2], w.shape[3]
    y = np.empty((N, OC, OH, OW), dtype=x.dtype)
    if y.size == 0:
        return y
    if x.shape[1] == 0:  # no input channels: the output is just the bias
        y[...] = b.reshape(1, -1, 1, 1) if b.size else 0
        return y
    L = OH * OW
    T, nb = _chunking(N, C, OC, KH, KW, L, x.itemsize)
    wp = _pack_weight(w, groups)
    ws = _workspace(T, nb, x.shape, OC, KH, KW, L, x.dtype)
    with blas_single_thread():
        run_parallel(_forward_par, _forward_ser, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw,
                     dh, dw, nb)
    return y


def _check_grad_output(op: str, gy: np.ndarray, expected: tuple[int, ...]) -> None:
    if gy.shape != expected:
        raise ValueError(f"{op}: grad_output has shape {gy.shape}, expected {expected}")


def conv2d_backward_input(
    gy: np.ndarray,
    w: np.ndarray,
    x_shape: Sequence[int],
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Gradient of conv2d w.r.t. its input, of shape ``x_shape``."""
    op = "conv2d_backward_input"
    gy, w = as_float_arrays(op, ("grad_output", "weight"), gy, w)
    check_ndim(op, "weight", w, 4)
    x_shape = tuple(int(v) for v in x_shape)
    expected = conv2d_output_shape(x_shape, w.shape, stride, padding, dilation, groups, op)
    _check_grad_output(op, gy, expected)
    (sh, sw), (ph, pw), (dh, dw) = _as_int_params(op, stride, padding, dilation)
    N, C = x_shape[0], x_shape[1]
    OC, _, KH, KW = w.shape
    OH, OW = expected[2], expected[3]
    gx = np.empty(x_shape, dtype=gy.dtype)
    if gx.size == 0:
        return gx
    if OC == 0:
        gx[...] = 0
        return gx
    L = OH * OW
    T, nb = _chunking(N, C, OC, KH, KW, L, gy.itemsize)
    wp = _pack_weight(w, groups)
    ws = _workspace(T, nb, x_shape, OC, KH, KW, L, gy.dtype)
    with blas_single_thread():
        run_parallel(_backward_input_par, _backward_input_ser, T, gy, wp, gx, ws, KH, KW,
                     sh, sw, ph, pw, dh, dw, nb)
    return gx


def conv2d_backward_weight(
    gy: np.ndarray,
    x: np.ndarray,
    w_shape: Sequence[int],
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Gradient of conv2d w.r.t. its weight, of shape ``w_shape``."""
    op = "conv2d_backward_weight"
    gy, x = as_float_arrays(op, ("grad_output", "input"), gy, x)
    check_ndim(op, "input", x, 4)
    w_shape = tuple(int(v) for v in w_shape)
    expected = conv2d_output_shape(x.shape, w_shape, stride, padding, dilation, groups, op)
    _check_grad_output(op, gy, expected)
    (sh, sw), (ph, pw), (dh, dw) = _as_int_params(op, stride, padding, dilation)
    N, C = x.shape[0], x.shape[1]
    OC, Cg, KH, KW = w_shape
    OH, OW = expected[2], expected[3]
    Kg = Cg * KH * KW
    if N == 0 or OC == 0 or Kg == 0:
        return np.zeros(w_shape, dtype=gy.dtype)
    L = OH * OW
    T, nb = _chunking(N, C, OC, KH, KW, L, gy.itemsize)
    gwp = workspace("conv2d_gw", (T, groups, OC // groups, Kg), gy.dtype)
    ws = _workspace(T, nb, x.shape, OC, KH, KW, L, gy.dtype)
    with blas_single_thread():
        run_parallel(_backward_weight_par, _backward_weight_ser, T, gy, x, gwp, ws, KH, KW,
                     sh, sw, ph, pw, dh, dw, nb)
    return _unpack_weight(gwp.sum(axis=0), w_shape)


def conv2d_backward_bias(gy: np.ndarray) -> np.ndarray:
    """Gradient of conv2d w.r.t. its bias: ``gy.sum((0, 2, 3))``."""
    (gy,) = as_float_arrays("conv2d_backward_bias", ("grad_output",), gy)
    check_ndim("conv2d_backward_bias", "grad_output", gy, 4)
    return gy.sum(axis=(0, 2, 3))
