"""Max and average 2-D pooling (N, C, H, W), forward and backward, parallel over planes.

Max pool: padding acts as -inf; ties go to the first maximum in row-major window order; a NaN
in a window wins (the output is NaN and its gradient goes to the first NaN). The saved
``argmax`` holds flat indices ``ih * W + iw`` into each (H, W) input plane, as int64.
Average pool: with ``count_include_pad=True`` the divisor is the window clipped to the padded
plane (KH*KW unless a ``ceil_mode`` window overhangs it), else the number of in-bounds
elements; ``divisor_override > 0`` replaces both. ``ceil_mode`` rounds the output size up
(PyTorch's rule: the last window must start inside the input or the left padding).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from ._runtime import (
    JIT_OPTIONS,
    as_float_arrays,
    as_pair,
    check_ndim,
    num_threads,
    result_array,
    run_parallel,
)

__all__ = [
    "pool2d_output_shape",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
]

Pair = int | Sequence[int]


@njit(**JIT_OPTIONS)
def _max_fwd_part(t, T, x, y, am, KH, KW, sh, sw, ph, pw, dh, dw):  # noqa: N803
    P, H, W = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        xp = x[p]
        for oh in range(OH):
            h0 = oh * sh - ph
            for ow in range(OW):
                w0 = ow * sw - pw
                best = -np.inf
                idx = -1
                for kh in range(KH):
                    ih = h0 + kh * dh
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(KW):
                        iw = w0 + kw * dw
                        if iw < 0 or iw >= W:
                            continue
                        v = xp[ih, iw]
                        if idx < 0 or v > best or (np.isnan(v) and not np.isnan(best)):
                            best = v
                            idx = ih * W + iw
                y[p, oh, ow] = best
                am[p, oh, ow] = idx


@njit(**JIT_OPTIONS)
def _max_bwd_part(t, T, gy, am, gx):
    P = gy.shape[0]
    OH, OW = gy.shape[1], gy.shape[2]
    W = gx.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        gp = gx[p].reshape(gx.shape[1] * W)
        gp[:] = 0
        for oh in range(OH):
            ar = am[p, oh]
            gr = gy[p, oh]
            for ow in range(OW):
                gp[ar[ow]] += gr[ow]


@njit(**JIT_OPTIONS)
def _avg_divisor(h0, w0, hlo, hhi, wlo, whi, H, W, KH, KW, ph, pw, include_pad, divisor):  # noqa: N803
    """PyTorch's divisor: the override, else the window clipped to the padded plane (a ceil_mode
    window may overhang it), else the in-bounds count."""
    if divisor > 0:
        return divisor
    if include_pad:
        return (min(h0 + KH, H + ph) - h0) * (min(w0 + KW, W + pw) - w0)
    return (hhi - hlo) * (whi - wlo)


@njit(**JIT_OPTIONS)
def _avg_fwd_part(t, T, x, y, KH, KW, sh, sw, ph, pw, include_pad, divisor):  # noqa: N803
    P, H, W = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        xp = x[p]
        for oh in range(OH):
            h0 = oh * sh - ph
            hlo = max(h0, 0)
            hhi = min(h0 + KH, H)
            for ow in range(OW):
                w0 = ow * sw - pw
                wlo = max(w0, 0)
                whi = min(w0 + KW, W)
                acc = 0.0
                for ih in range(hlo, hhi):
                    for iw in range(wlo, whi):
                        acc += xp[ih, iw]
                n = _avg_divisor(h0, w0, hlo, hhi, wlo, whi, H, W, KH, KW, ph, pw,
                                 include_pad, divisor)
                y[p, oh, ow] = acc / n


@njit(**JIT_OPTIONS)
def _avg_bwd_part(t, T, gy, gx, KH, KW, sh, sw, ph, pw, include_pad, divisor):  # noqa: N803
    P, H, W = gx.shape
    OH, OW = gy.shape[1], gy.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        gx[p] = 0
        for oh in range(OH):
            h0 = oh * sh - ph
            hlo = max(h0, 0)
            hhi = min(h0 + KH, H)
            for ow in range(OW):
                w0 = ow * sw - pw
                wlo = max(w0, 0)
                whi = min(w0 + KW, W)
                n = _avg_divisor(h0, w0, hlo, hhi, wlo, whi, H, W, KH, KW, ph, pw,
                                 include_pad, divisor)
                g = gy[p, oh, ow] / n
                for ih in range(hlo, hhi):
                    for iw in range(wlo, whi):
                        gx[p, ih, iw] += g


# --------------------------------------------------------------------------------------------
# 2x2 stride 2 without padding (LeNet, VGG): every window lies inside the plane, so the loops
# drop the bounds checks and work on row views indexed from 0 (no wraparound checks).
# Same semantics as the general kernels: first maximum in row-major order, the first NaN wins.
# --------------------------------------------------------------------------------------------


@njit(**JIT_OPTIONS)
def _max_fwd2_part(t, T, x, y, am):
    P, W = x.shape[0], x.shape[2]
    OH, OW = y.shape[1], y.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        for oh in range(OH):
            r0 = x[p, 2 * oh]
            r1 = x[p, 2 * oh + 1]
            yr = y[p, oh]
            ar = am[p, oh]
            base = 2 * oh * W
            for ow in range(OW):
                best = r0[2 * ow]
                k = 0
                v = r0[2 * ow + 1]
                c = (v > best) | ((v != v) & (best == best))  # branch-free: vectorizes
                best = v if c else best
                k = 1 if c else k
                v = r1[2 * ow]
                c = (v > best) | ((v != v) & (best == best))  # branch-free: vectorizes
                best = v if c else best
                k = W if c else k
                v = r1[2 * ow + 1]
                c = (v > best) | ((v != v) & (best == best))  # branch-free: vectorizes
                best = v if c else best
                k = W + 1 if c else k
                yr[ow] = best
                ar[ow] = base + 2 * ow + k


@njit(**JIT_OPTIONS)
def _avg_fwd2_part(t, T, x, y):
    P = x.shape[0]
    OH, OW = y.shape[1], y.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        for oh in range(OH):
            r0 = x[p, 2 * oh]
            r1 = x[p, 2 * oh + 1]
            yr = y[p, oh]
            for ow in range(OW):
                yr[ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) * 0.25


@njit(**JIT_OPTIONS)
def _avg_bwd2_part(t, T, gy, gx):
    """Windows tile the plane: each input element gets exactly one window's share (the odd
    last row/column, if any, gets none)."""
    P, H, W = gx.shape
    OH, OW = gy.shape[1], gy.shape[2]
    for p in range(t * P // T, (t + 1) * P // T):
        for oh in range(OH):
            g = gy[p, oh]
            r0 = gx[p, 2 * oh]
            r1 = gx[p, 2 * oh + 1]
            for ow in range(OW):
                v = g[ow] * 0.25
                r0[2 * ow] = v
                r0[2 * ow + 1] = v
                r1[2 * ow] = v
                r1[2 * ow + 1] = v
            if W > 2 * OW:
                r0[W - 1] = 0
                r1[W - 1] = 0
        if H > 2 * OH:
            gx[p, H - 1] = 0


# --------------------------------------------------------------------------------------------
# Python wrappers
# --------------------------------------------------------------------------------------------


def pool2d_output_shape(
    x_shape: Sequence[int], kernel: Pair, stride: Pair | None = None, padding: Pair = 0,
    op: str = "pool2d", dilation: Pair = 1, ceil_mode: bool = False,
) -> tuple[int, int, int, int]:
    """Output shape (N, C, OH, OW) of a 2-D pooling; stride defaults to the kernel size."""
    kh, kw, sh, sw, ph, pw, dh, dw = _params(op, kernel, stride, padding, dilation)
    if len(x_shape) != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {tuple(x_shape)}")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"{op}: padding {(ph, pw)} must be at most half the kernel size "
                         f"{(kh, kw)}")
    N, C, H, W = (int(v) for v in x_shape)
    OH = _out_len(H, kh, sh, ph, dh, ceil_mode)
    OW = _out_len(W, kw, sw, pw, dw, ceil_mode)
    if OH < 1 or OW < 1:
        raise ValueError(f"{op}: kernel {(kh, kw)} (dilation {(dh, dw)}) is larger than the "
                         f"padded input {(H + 2 * ph, W + 2 * pw)} (input {tuple(x_shape)})")
    return N, C, OH, OW


def _out_len(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _params(op: str, kernel: Pair, stride: Pair | None, padding: Pair, dilation: Pair = 1):  # type: ignore[no-untyped-def]
    kh, kw = as_pair(op, "kernel_size", kernel, 1)
    sh, sw = as_pair(op, "stride", kernel if stride is None else stride, 1)
    ph, pw = as_pair(op, "padding", padding, 0)
    dh, dw = as_pair(op, "dilation", dilation, 1)
    return kh, kw, sh, sw, ph, pw, dh, dw


def _is_2x2(x_shape: Sequence[int], y_shape: Sequence[int], *params: int) -> bool:
    """2x2 windows, stride 2, no padding or dilation, floor-sized output: the specialized
    kernels apply."""
    return params == (2, 2, 2, 2, 0, 0, 1, 1) and tuple(y_shape[2:]) == (
        x_shape[2] // 2, x_shape[3] // 2)


_PAR_ELEMENTS = 1 << 15  # inputs smaller than this are pooled on the calling thread alone


def _threads(planes: int, elements: int) -> int:
    """Workers for ``planes`` planes of ``elements`` input elements in all."""
    if elements < _PAR_ELEMENTS:
        return 1  # waking a worker (~20 us) would cost more than it saves
    return max(1, min(num_threads(), planes))


def max_pool2d_forward(
    x: np.ndarray, kernel: Pair, stride: Pair | None = None, padding: Pair = 0,
    dilation: Pair = 1, ceil_mode: bool = False,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling; returns (y, argmax) with argmax the int64 flat index in each input plane
    (written into the pair ``out`` when given)."""
    op = "max_pool2d"
    (x,) = as_float_arrays(op, ("input",), x, reuse=out is not None)
    check_ndim(op, "input", x, 4)
    N, C, OH, OW = pool2d_output_shape(x.shape, kernel, stride, padding, op, dilation, ceil_mode)
    params = _params(op, kernel, stride, padding, dilation)
    y_out, am_out = (None, None) if out is None else out
    y = result_array(op, y_out, (N, C, OH, OW), x.dtype)
    am = result_array(op, am_out, (N, C, OH, OW), np.dtype(np.int64))
    if y.size:
        P = N * C
        H, W = x.shape[2], x.shape[3]
        if _is_2x2(x.shape, y.shape, *params):
            run_parallel(_max_fwd2_part, _threads(P, x.size), x.reshape(P, H, W),
                         y.reshape(P, OH, OW), am.reshape(P, OH, OW))
        else:
            run_parallel(_max_fwd_part, _threads(P, x.size), x.reshape(P, H, W),
                         y.reshape(P, OH, OW), am.reshape(P, OH, OW), *params)
    return y, am


def max_pool2d_backward(gy: np.ndarray, argmax: np.ndarray, x_shape: Sequence[int],
                        out: np.ndarray | None = None) -> np.ndarray:
    """Gradient of max pooling: route each gy element to its saved argmax position (into
    ``out`` when given)."""
    op = "max_pool2d_backward"
    (gy,) = as_float_arrays(op, ("grad_output",), gy, reuse=out is not None)
    x_shape = tuple(int(v) for v in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"{op}: input shape must be 4-D, got {x_shape}")
    argmax = np.asarray(argmax)
    if argmax.dtype.kind not in "iu":
        raise TypeError(f"{op}: argmax must be an integer array, got {argmax.dtype}")
    if gy.ndim != 4 or argmax.shape != gy.shape or gy.shape[:2] != x_shape[:2]:
        raise ValueError(f"{op}: grad_output {gy.shape} and argmax {argmax.shape} must match "
                         f"and agree with input {x_shape} in (N, C)")
    N, C, H, W = x_shape
    argmax = np.ascontiguousarray(argmax, dtype=np.int64)
    if argmax.size and (argmax.min() < 0 or argmax.max() >= H * W):
        raise ValueError(f"{op}: argmax holds indices outside the {H}x{W} input plane")
    gx = result_array(op, out, x_shape, gy.dtype)
    if gx.size:
        P = N * C
        OH, OW = gy.shape[2], gy.shape[3]
        run_parallel(_max_bwd_part, _threads(P, gx.size), gy.reshape(P, OH, OW),
                     argmax.reshape(P, OH, OW), gx.reshape(P, H, W))
    return gx


def avg_pool2d_forward(
    x: np.ndarray, kernel: Pair, stride: Pair | None = None, padding: Pair = 0,
    count_include_pad: bool = True, ceil_mode: bool = False, divisor_override: int = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Average pooling (see the module docstring for the divisor), into ``out`` if given."""
    op = "avg_pool2d"
    (x,) = as_float_arrays(op, ("input",), x, reuse=out is not None)
    check_ndim(op, "input", x, 4)
    N, C, OH, OW = pool2d_output_shape(x.shape, kernel, stride, padding, op, 1, ceil_mode)
    params = _params(op, kernel, stride, padding)
    y = result_array(op, out, (N, C, OH, OW), x.dtype)
    if y.size:
        P = N * C
        H, W = x.shape[2], x.shape[3]
        if _is_2x2(x.shape, y.shape, *params) and not divisor_override:
            run_parallel(_avg_fwd2_part, _threads(P, x.size), x.reshape(P, H, W),
                         y.reshape(P, OH, OW))
        else:
            run_parallel(_avg_fwd_part, _threads(P, x.size), x.reshape(P, H, W),
                         y.reshape(P, OH, OW), *params[:6], bool(count_include_pad),
                         int(divisor_override))
    return y


def avg_pool2d_backward(
    gy: np.ndarray, x_shape: Sequence[int], kernel: Pair, stride: Pair | None = None,
    padding: Pair = 0, count_include_pad: bool = True, ceil_mode: bool = False,
    divisor_override: int = 0, out: np.ndarray | None = None,
) -> np.ndarray:
    """Gradient of average pooling w.r.t. its input (into ``out`` when given)."""
    op = "avg_pool2d_backward"
    (gy,) = as_float_arrays(op, ("grad_output",), gy, reuse=out is not None)
    x_shape = tuple(int(v) for v in x_shape)
    expected = pool2d_output_shape(x_shape, kernel, stride, padding, op, 1, ceil_mode)
    if gy.shape != expected:
        raise ValueError(f"{op}: grad_output has shape {gy.shape}, expected {expected}")
    params = _params(op, kernel, stride, padding)
    gx = result_array(op, out, x_shape, gy.dtype)
    if gx.size:
        N, C, H, W = x_shape
        P = N * C
        OH, OW = gy.shape[2], gy.shape[3]
        if _is_2x2(x_shape, gy.shape, *params) and not divisor_override:
            run_parallel(_avg_bwd2_part, _threads(P, gx.size), gy.reshape(P, OH, OW),
                         gx.reshape(P, H, W))
        else:
            run_parallel(_avg_bwd_part, _threads(P, gx.size), gy.reshape(P, OH, OW),
                         gx.reshape(P, H, W), *params[:6], bool(count_include_pad),
                         int(divisor_override))
    return gx
