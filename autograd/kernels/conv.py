"""2-D convolution (N, C, H, W) forward and backward: im2col per chunk of samples + BLAS GEMM.

The batch is cut into chunks of ``nb`` samples; each of the ``T`` workers takes every T-th
chunk, unfolds it into a reused per-thread workspace and multiplies it with the weight through
single-threaded BLAS (Numba's ``np.dot``). The workspace stays in cache between the unfold and
the GEMM, and no buffer is allocated per call (page faults are expensive on this machine).

Four layouts (``_mode`` picks one per call; all give the same results):
- ``_IMPLICIT`` (stride 1, >= 4 channels per group): no unfold. Each kernel row is one GEMM
  that reads the padded sample (copied once per kernel column) in place, as a strided block
  (see the NOTE at ``_spread_kw``).
- ``_FLAT`` (stride 1, fewer channels): im2col on the padded grid, rows ``(c, kh, kw)``, each
  row one contiguous slice of the padded sample (see the NOTE at ``_pad_flat``).
- ``_NHWC`` (>= 16 channels per group, other strides, and the input gradient): "im2row" from
  an NHWC copy of each sample, rows ``(sample, oh, ow)``, columns ``(kh, kw, c)``: copies move
  runs of C contiguous values.
- ``_COL`` (fewer channels, other strides): im2col, rows ``(c, kh, kw)``, columns
  ``(sample, oh, ow)``, filled from runs of OW values.

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
from .blas import gemm

__all__ = [
    "conv2d_output_shape",
    "conv2d_forward",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_backward_bias",
]

_COLS_TARGET = 2048  # aim for at least this many GEMM columns per chunk (NHWC path)
_COLS_TARGET_SMALL = 512  # the same for the im2col paths (their GEMMs like L1/L2-sized chunks)
_NHWC_MIN_CHANNELS = 16  # channels per group from which the NHWC unfold path is faster
_NHWC, _COL, _FLAT, _IMPLICIT = 0, 1, 2, 3  # unfold layouts (see the NOTEs below)
_IMPLICIT_MIN_CHANNELS = 4  # channels per group from which implicit GEMM beats the unfold
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
                    # 0-based views: no negative-index wraparound, so the copies vectorize
                    if 0 <= ih < H and 0 <= iw < W:
                        for g in range(G):
                            dst = col[g, r, base : base + Cg]
                            src = xt[ih, iw, g * Cg : (g + 1) * Cg]
                            for c in range(Cg):
                                dst[c] = src[c]
                    else:
                        for g in range(G):
                            dst = col[g, r, base : base + Cg]
                            for c in range(Cg):
                                dst[c] = 0


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
                        src = col[g, r, base : base + Cg]
                        dst = gxt[ih, iw, g * Cg : (g + 1) * Cg]
                        for c in range(Cg):
                            dst[c] += src[c]


@njit(**JIT_OPTIONS)
def _valid_range(s, stride, size, out):
    """Range [lo, hi) of output positions o with 0 <= o*stride + s < size."""
    lo = 0 if s >= 0 else (-s + stride - 1) // stride
    hi = (size - 1 - s) // stride + 1 if size - 1 - s >= 0 else 0
    hi = min(hi, out)
    lo = min(lo, hi)
    return lo, hi


# NOTE: for few channels per group (LeNet: 1 and 6) the unfolded matrix is stored "im2col":
# one row per (c, kh, kw), columns (sample, oh, ow). Every row is filled from runs of OW
# contiguous input values and the GEMM (OC/G x K) @ (K x pixels) writes the output in NCHW
# order, so no strided scatter is needed. Measured single-threaded on LeNet conv2, this path
# is ~3x faster than the im2row layout unfolded column by column.


@njit(**JIT_OPTIONS)
def _im2col(x, n, col, off, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):  # noqa: N803
    """col[g, (c, kh, kw), off + oh*OW + ow] = x[n, g*Cg + c, ih, iw], zero outside."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    G = col.shape[0]
    Cg = C // G
    for g in range(G):
        for c in range(Cg):
            xc = x[n, g * Cg + c]
            for kh in range(KH):
                for kw in range(KW):
                    k = (c * KH + kh) * KW + kw
                    s = kw * dw - pw
                    lo, hi = _valid_range(s, sw, W, OW)
                    for oh in range(OH):
                        ih = oh * sh - ph + kh * dh
                        # views indexed from 0: no negative-index wraparound, so loops vectorize
                        row = col[g, k, off + oh * OW : off + (oh + 1) * OW]
                        if ih < 0 or ih >= H or lo >= hi:
                            for ow in range(OW):
                                row[ow] = 0
                            continue
                        for ow in range(lo):
                            row[ow] = 0
                        xr = xc[ih, lo * sw + s :]
                        dst = row[lo:hi]
                        if sw == 1:
                            for i in range(hi - lo):
                                dst[i] = xr[i]
                        else:
                            for i in range(hi - lo):
                                dst[i] = xr[i * sw]
                        for ow in range(hi, OW):
                            row[ow] = 0


@njit(**JIT_OPTIONS)
def _col2im(col, off, gx, n, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):  # noqa: N803
    """Fold columns off.. of col (G, (c, kh, kw), pixels) into gx[n] (accumulating)."""
    C, H, W = gx.shape[1], gx.shape[2], gx.shape[3]
    G = col.shape[0]
    Cg = C // G
    for g in range(G):
        for c in range(Cg):
            gxc = gx[n, g * Cg + c]
            for kh in range(KH):
                for kw in range(KW):
                    k = (c * KH + kh) * KW + kw
                    s = kw * dw - pw
                    lo, hi = _valid_range(s, sw, W, OW)
                    if lo >= hi:
                        continue
                    for oh in range(OH):
                        ih = oh * sh - ph + kh * dh
                        if ih < 0 or ih >= H:
                            continue
                        src = col[g, k, off + oh * OW + lo : off + oh * OW + hi]
                        gr = gxc[ih, lo * sw + s :]
                        if sw == 1:
                            for i in range(hi - lo):
                                gr[i] += src[i]
                        else:
                            for i in range(hi - lo):
                                gr[i * sw] += src[i]


@njit(**JIT_OPTIONS)
def _gather_rows(gy, n0, cnt, dst):
    """Copy samples n0..n0+cnt of ``gy`` (N, OC, OH, OW) into ``dst`` (OC, cnt*OH*OW)."""
    OC = gy.shape[1]
    L = gy.shape[2] * gy.shape[3]
    for j in range(cnt):
        g = gy[n0 + j].reshape((OC, L))
        for oc in range(OC):
            d = dst[oc, j * L : (j + 1) * L]
            s = g[oc]
            for i in range(L):
                d[i] = s[i]


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
            _to_nhwc(x, n0 + j, xt)
            _im2row(xt, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
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
            gxt[:] = 0
            _row2im(col, j * L, gxt, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
            _from_nhwc(gxt, gx, n0 + j)


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
            _to_nhwc(x, n0 + j, xt)
            _im2row(xt, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
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
# Per-worker parts of the im2col path (few channels per group). wk is the weight as
# (G, OC/G, Cg*KH*KW), i.e. w.reshape with columns ordered (c, kh, kw).
# --------------------------------------------------------------------------------------------


@njit(**JIT_OPTIONS)
def _forward_part_col(t, T, x, wk, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
    """Chunks t, t+T, ... of the forward pass on the im2col layout."""
    N = x.shape[0]
    G, OCg, Kg = wk.shape
    OC = G * OCg
    OH, OW = y.shape[2], y.shape[3]
    L = OH * OW
    has_bias = b.shape[0] > 0
    wst = ws[t]
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * L
        col = wst[: G * Kg * m].reshape((G, Kg, m))
        for j in range(cnt):
            _im2col(x, n0 + j, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
        if cnt == 1:
            out = y[n0].reshape((OC, L))
        else:
            out = wst[G * Kg * m : G * Kg * m + OC * m].reshape((OC, m))
        for g in range(G):
            np.dot(wk[g], col[g], out[g * OCg : (g + 1) * OCg])
        for j in range(cnt):
            yj = y[n0 + j].reshape((OC, L))
            for oc in range(OC):
                bo = b[oc] if has_bias else 0.0
                src = out[oc, j * L : (j + 1) * L]
                dst = yj[oc]
                if cnt == 1:
                    if has_bias:
                        for i in range(L):
                            dst[i] += bo
                else:
                    for i in range(L):
                        dst[i] = src[i] + bo


@njit(**JIT_OPTIONS)
def _backward_input_part_col(t, T, gy, wk, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw,  # noqa: N803
                             nb):
    """Chunks t, t+T, ... of gx = col2im(w^T @ gy) on the im2col layout."""
    N = gx.shape[0]
    G, OCg, Kg = wk.shape
    OC = G * OCg
    OH, OW = gy.shape[2], gy.shape[3]
    L = OH * OW
    wst = ws[t]
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * L
        col = wst[: G * Kg * m].reshape((G, Kg, m))
        if cnt == 1:
            gyc = gy[n0].reshape((OC, L))
        else:
            gyc = wst[G * Kg * m : G * Kg * m + OC * m].reshape((OC, m))
            _gather_rows(gy, n0, cnt, gyc)
        for g in range(G):
            np.dot(wk[g].T, gyc[g * OCg : (g + 1) * OCg], col[g])
        for j in range(cnt):
            gx[n0 + j] = 0
            _col2im(col, j * L, gx, n0 + j, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)


@njit(**JIT_OPTIONS)
def _backward_weight_part_col(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw,  # noqa: N803
                              nb):
    """Chunks t, t+T, ... of gwp[t] = sum over samples of gy @ im2col(x)^T."""
    N = x.shape[0]
    G, OCg, Kg = gwp.shape[1], gwp.shape[2], gwp.shape[3]
    OC = G * OCg
    OH, OW = gy.shape[2], gy.shape[3]
    L = OH * OW
    gw = gwp[t]
    gw[:] = 0
    wst = ws[t]
    tmp = wst[: OC * Kg].reshape((G, OCg, Kg))
    p = OC * Kg
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * L
        col = wst[p : p + G * Kg * m].reshape((G, Kg, m))
        for j in range(cnt):
            _im2col(x, n0 + j, col, j * L, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW)
        if cnt == 1:
            gyc = gy[n0].reshape((OC, L))
        else:
            gyc = wst[p + G * Kg * m : p + G * Kg * m + OC * m].reshape((OC, m))
            _gather_rows(gy, n0, cnt, gyc)
        for g in range(G):
            np.dot(gyc[g * OCg : (g + 1) * OCg], col[g].T, tmp[g])
        for g in range(G):
            for o in range(OCg):
                for k in range(Kg):
                    gw[g, o, k] += tmp[g, o, k]


# --------------------------------------------------------------------------------------------
# Stride-1 im2col on the padded grid ("flat" path, few channels per group, stride 1)
# --------------------------------------------------------------------------------------------
# NOTE: with stride 1, output pixel (oh, ow) of tap (kh, kw) reads padded input position
# (oh + kh*dh, ow + kw*dw). Computing the output on the full padded width Wp (columns
# ow >= OW are junk and dropped) makes every unfolded row one contiguous slice of the flat
# padded sample: xp[c, kh*dh*Wp + kw*dw : ... + OH*Wp]. The unfold becomes a few long copies
# instead of K*OH copies of OW elements (10x faster on LeNet conv2), for Wp/OW extra GEMM
# columns (1.1-1.4x on LeNet). The junk columns of grad_output are zero in the backward
# passes; the wrappers use this path there only when the junk stays zero (finite operands).


@njit(**JIT_OPTIONS)
def _pad_flat(x, n, xp, ph, pw):
    """xp[c*Hp*Wp + (h+ph)*Wp + w+pw] = x[n, c, h, w]; zero elsewhere (xp is flat)."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    Hp, Wp = H + 2 * ph, W + 2 * pw
    xp[:] = 0
    for c in range(C):
        for h in range(H):
            o = c * Hp * Wp + (h + ph) * Wp + pw
            xr = x[n, c, h]
            d = xp[o : o + W]
            for w in range(W):
                d[w] = xr[w]


@njit(**JIT_OPTIONS)
def _unfold_flat(xp, R, col, off, KH, KW, dh, dw, Wp, Lp):  # noqa: N803
    """col[g, (c, kh, kw), off:off+Lp] = xp[(g*Cg + c)*R + kh*dh*Wp + kw*dw :][:Lp].

    A slice may run past its channel into the next one (or the zero tail of xp): those
    elements land in junk columns only."""
    G, Kg = col.shape[0], col.shape[1]
    Cg = Kg // (KH * KW)
    for g in range(G):
        for c in range(Cg):
            base = (g * Cg + c) * R
            for kh in range(KH):
                for kw in range(KW):
                    s = base + kh * dh * Wp + kw * dw
                    dst = col[g, (c * KH + kh) * KW + kw, off : off + Lp]
                    src = xp[s : s + Lp]
                    for i in range(Lp):  # views indexed from 0: no wraparound, vectorizes
                        dst[i] = src[i]


@njit(**JIT_OPTIONS)
def _fold_flat(col, off, gxp, R, KH, KW, dh, dw, Wp, Lp):  # noqa: N803
    """gxp[(g*Cg + c)*R + kh*dh*Wp + kw*dw :][:Lp] += col[g, (c, kh, kw), off:off+Lp]."""
    G, Kg = col.shape[0], col.shape[1]
    Cg = Kg // (KH * KW)
    for g in range(G):
        for c in range(Cg):
            base = (g * Cg + c) * R
            for kh in range(KH):
                for kw in range(KW):
                    s = base + kh * dh * Wp + kw * dw
                    src = col[g, (c * KH + kh) * KW + kw, off : off + Lp]
                    dst = gxp[s : s + Lp]
                    for i in range(Lp):
                        dst[i] += src[i]


@njit(**JIT_OPTIONS)
def _gather_grid(gy, n0, cnt, Wp, dst):  # noqa: N803
    """dst[oc, j*Lp + oh*Wp + ow] = gy[n0+j, oc, oh, ow], junk columns ow >= OW zeroed."""
    OC, OH, OW = gy.shape[1], gy.shape[2], gy.shape[3]
    Lp = OH * Wp
    for oc in range(OC):
        for j in range(cnt):
            g = gy[n0 + j, oc]
            for oh in range(OH):
                o = j * Lp + oh * Wp
                d = dst[oc, o : o + Wp]
                gr = g[oh]
                for ow in range(OW):
                    d[ow] = gr[ow]
                for ow in range(OW, Wp):
                    d[ow] = 0


@njit(**JIT_OPTIONS)
def _flat_sizes(C, H, W, KW, ph, pw, dw, OH):  # noqa: N803
    """(Hp*Wp, Wp, Lp, S): channel stride, padded width, grid pixels, padded-sample size."""
    Hp, Wp = H + 2 * ph, W + 2 * pw
    return Hp * Wp, Wp, OH * Wp, C * Hp * Wp + (KW - 1) * dw


@njit(**JIT_OPTIONS)
def _forward_part_flat(t, T, x, wk, b, y, ws, KH, KW, ph, pw, dh, dw, nb):  # noqa: N803
    """Chunks t, t+T, ... of the stride-1 forward pass on the padded grid."""
    N, C, H, W = x.shape
    G, OCg, Kg = wk.shape
    OC = G * OCg
    OH, OW = y.shape[2], y.shape[3]
    R, Wp, Lp, S = _flat_sizes(C, H, W, KW, ph, pw, dw, OH)
    has_bias = b.shape[0] > 0
    wst = ws[t]
    xp = wst[:S]
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * Lp
        col = wst[S : S + G * Kg * m].reshape((G, Kg, m))
        out = wst[S + G * Kg * m : S + G * Kg * m + OC * m].reshape((OC, m))
        for j in range(cnt):
            _pad_flat(x, n0 + j, xp, ph, pw)
            _unfold_flat(xp, R, col, j * Lp, KH, KW, dh, dw, Wp, Lp)
        for g in range(G):
            np.dot(wk[g], col[g], out[g * OCg : (g + 1) * OCg])
        for j in range(cnt):
            for oc in range(OC):
                bo = b[oc] if has_bias else 0.0
                for oh in range(OH):
                    o = j * Lp + oh * Wp
                    src = out[oc, o : o + OW]
                    dst = y[n0 + j, oc, oh]
                    for ow in range(OW):
                        dst[ow] = src[ow] + bo


@njit(**JIT_OPTIONS)
def _backward_input_part_flat(t, T, gy, wk, gx, ws, KH, KW, ph, pw, dh, dw, nb):  # noqa: N803
    """Chunks t, t+T, ... of the stride-1 gx = fold(w^T @ gy) on the padded grid."""
    N, C, H, W = gx.shape
    G, OCg, Kg = wk.shape
    OC = G * OCg
    OH = gy.shape[2]
    R, Wp, Lp, S = _flat_sizes(C, H, W, KW, ph, pw, dw, OH)
    wst = ws[t]
    gxp = wst[:S]
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * Lp
        col = wst[S : S + G * Kg * m].reshape((G, Kg, m))
        gyc = wst[S + G * Kg * m : S + G * Kg * m + OC * m].reshape((OC, m))
        _gather_grid(gy, n0, cnt, Wp, gyc)
        for g in range(G):
            np.dot(wk[g].T, gyc[g * OCg : (g + 1) * OCg], col[g])
        for j in range(cnt):
            gxp[:] = 0
            _fold_flat(col, j * Lp, gxp, R, KH, KW, dh, dw, Wp, Lp)
            for c in range(C):
                for h in range(H):
                    o = c * R + (h + ph) * Wp + pw
                    dst = gx[n0 + j, c, h]
                    src = gxp[o : o + W]
                    for w in range(W):
                        dst[w] = src[w]


@njit(**JIT_OPTIONS)
def _backward_weight_part_flat(t, T, gy, x, gwp, ws, KH, KW, ph, pw, dh, dw,  # noqa: N803
                               nb):
    """Chunks t, t+T, ... of the stride-1 gwp[t] = sum of gy @ unfold(x)^T on the grid."""
    N, C, H, W = x.shape
    G, OCg, Kg = gwp.shape[1], gwp.shape[2], gwp.shape[3]
    OC = G * OCg
    OH = gy.shape[2]
    R, Wp, Lp, S = _flat_sizes(C, H, W, KW, ph, pw, dw, OH)
    gw = gwp[t]
    gw[:] = 0
    wst = ws[t]
    xp = wst[:S]
    tmp = wst[S : S + OC * Kg].reshape((G, OCg, Kg))
    p = S + OC * Kg
    nchunks = (N + nb - 1) // nb
    for ch in range(t, nchunks, T):
        n0 = ch * nb
        cnt = min(nb, N - n0)
        m = cnt * Lp
        col = wst[p : p + G * Kg * m].reshape((G, Kg, m))
        gyc = wst[p + G * Kg * m : p + G * Kg * m + OC * m].reshape((OC, m))
        for j in range(cnt):
            _pad_flat(x, n0 + j, xp, ph, pw)
            _unfold_flat(xp, R, col, j * Lp, KH, KW, dh, dw, Wp, Lp)
        _gather_grid(gy, n0, cnt, Wp, gyc)
        for g in range(G):
            np.dot(gyc[g * OCg : (g + 1) * OCg], col[g].T, tmp[g])
        for g in range(G):
            for o in range(OCg):
                for k in range(Kg):
                    gw[g, o, k] += tmp[g, o, k]

# NOTE: implicit GEMM (stride 1, from 4 channels per group). On the padded grid, row (c, kh,
# kw) of the unfolded matrix is the padded sample shifted by kh*dh*Wp + kw*dw. Copying the
# padded sample once per kernel column (``_spread_kw``: rows (c, kw), row stride Hp*Wp) makes
# the (Cg*KW x Lp) matrix of one kernel row kh a block of that copy, shifted by kh*dh*Wp: BLAS
# reads it in place (``blas.gemm`` takes offsets and leading dimensions), one GEMM per kernel
# row with K = Cg*KW, instead of unfolding all KH*KW shifts. Weights are packed (G*KH, OCg,
# Cg*KW). Measured with 2 workers, forward (fwd+bwd) vs the unfolded grid: LeNet conv2 1.20
# -> 0.61 ms (3.70 -> 2.23 ms), VGG 64->64 17.8 -> 14.9 ms (49.6 -> 44.5 ms). One GEMM per
# tap (K = Cg, no copy at all) measured the same on VGG, 0.83 ms on LeNet conv2. Junk columns
# behave as in the padded-grid path above.


@njit(**JIT_OPTIONS)
def _gemm_scales(a):
    """(alpha, beta) pairs for ``gemm`` in a's dtype: [1, 0] (overwrite), [1, 1] (accumulate)."""
    sc = np.ones(4, dtype=a.dtype)
    sc[1] = 0
    return sc


@njit(**JIT_OPTIONS)
def _implicit_views(ws, t, S, C, KW, R, OC, Lp):  # noqa: N803
    """Worker t's scratch: padded sample (S), its spread copy (C*KW*R), output grid (OC*Lp)."""
    q = S + C * KW * R
    return ws[t, :S], ws[t, S:q], ws[t, q : q + OC * Lp]


@njit(**JIT_OPTIONS)
def _spread_kw(xp, xq, C, R, KW, dw):  # noqa: N803
    """xq[c*KW + kw, :] = xp[c*R + kw*dw :][:R]: the padded sample once per kernel column."""
    for c in range(C):
        for kw in range(KW):
            src = xp[c * R + kw * dw : c * R + kw * dw + R]
            dst = xq[(c * KW + kw) * R : (c * KW + kw + 1) * R]
            for i in range(R):
                dst[i] = src[i]


@njit(**JIT_OPTIONS)
def _gather_kw(gxq, gxp, C, R, KW, dw):  # noqa: N803
    """gxp[c*R + kw*dw :][:R] += gxq[c*KW + kw, :] (the adjoint of ``_spread_kw``)."""
    gxp[:] = 0
    for c in range(C):
        for kw in range(KW):
            src = gxq[(c * KW + kw) * R : (c * KW + kw + 1) * R]
            dst = gxp[c * R + kw * dw : c * R + kw * dw + R]
            for i in range(R):
                dst[i] += src[i]


@njit(**JIT_OPTIONS)
def _forward_part_implicit(t, T, x, wk, b, y, ws, KH, KW, ph, pw, dh, dw):  # noqa: N803
    """Samples t, t+T, ...: y[n] = sum over kh of wk[g, kh] @ (spread padded x[n] at kh), + b."""
    sc = _gemm_scales(y)
    N, C, H, W = x.shape
    G, OCg, Kq = wk.shape[0] // KH, wk.shape[1], wk.shape[2]
    OC = G * OCg
    OH, OW = y.shape[2], y.shape[3]
    R, Wp, Lp, S = _flat_sizes(C, H, W, KW, ph, pw, dw, OH)
    has_bias = b.shape[0] > 0
    xp, xq, out = _implicit_views(ws, t, S, C, KW, R, OC, Lp)
    wf = wk.reshape(wk.size)
    for n in range(t, N, T):
        _pad_flat(x, n, xp, ph, pw)
        _spread_kw(xp, xq, C, R, KW, dw)
        for g in range(G):
            for kh in range(KH):
                gemm(wf, (g * KH + kh) * OCg * Kq, Kq, False, xq, g * Kq * R + kh * dh * Wp, R,
                     False, out, g * OCg * Lp, Lp, OCg, Lp, Kq, sc[0:2] if kh == 0 else sc[2:4])
        for oc in range(OC):
            bo = b[oc] if has_bias else 0.0
            for oh in range(OH):
                src = out[oc * Lp + oh * Wp : oc * Lp + oh * Wp + OW]
                dst = y[n, oc, oh]
                for ow in range(OW):
                    dst[ow] = src[ow] + bo


@njit(**JIT_OPTIONS)
def _backward_input_part_implicit(t, T, gy, wk, gx, ws, KH, KW, ph, pw, dh, dw):  # noqa: N803
    """Samples t, t+T, ...: spread gx[n] += wk[g, kh]^T @ gy[n] at each kh, then gathered."""
    sc = _gemm_scales(gx)
    N, C, H, W = gx.shape
    G, OCg, Kq = wk.shape[0] // KH, wk.shape[1], wk.shape[2]
    OC = G * OCg
    OH = gy.shape[2]
    R, Wp, Lp, S = _flat_sizes(C, H, W, KW, ph, pw, dw, OH)
    gxp, gxq, gyc = _implicit_views(ws, t, S, C, KW, R, OC, Lp)
    gy2 = gyc.reshape((OC, Lp))
    wf = wk.reshape(wk.size)
    for n in range(t, N, T):
        _gather_grid(gy, n, 1, Wp, gy2)
        gxq[:] = 0
        for g in range(G):
            for kh in range(KH):
                gemm(wf, (g * KH + kh) * OCg * Kq, Kq, True, gyc, g * OCg * Lp, Lp, False,
                     gxq, g * Kq * R + kh * dh * Wp, R, Kq, Lp, OCg, sc[2:4])
        _gather_kw(gxq, gxp, C, R, KW, dw)
        for c in range(C):
            for h in range(H):
                o = c * R + (h + ph) * Wp + pw
                src = gxp[o : o + W]
                dst = gx[n, c, h]
                for w in range(W):
                    dst[w] = src[w]


@njit(**JIT_OPTIONS)
def _backward_weight_part_implicit(t, T, gy, x, gwp, ws, KH, KW, ph, pw, dh,  # noqa: N803
                                   dw):
    """Samples t, t+T, ...: gwp[t, g, kh] += gy[n] @ (spread padded x[n] at kh)^T."""
    sc = _gemm_scales(gwp)
    N, C, H, W = x.shape
    G, OCg, Kq = gwp.shape[1] // KH, gwp.shape[2], gwp.shape[3]
    OC = G * OCg
    OH = gy.shape[2]
    R, Wp, Lp, S = _flat_sizes(C, H, W, KW, ph, pw, dw, OH)
    gw = gwp[t]
    gw[:] = 0
    gwf = gw.reshape(gw.size)
    xp, xq, gyc = _implicit_views(ws, t, S, C, KW, R, OC, Lp)
    gy2 = gyc.reshape((OC, Lp))
    for n in range(t, N, T):
        _pad_flat(x, n, xp, ph, pw)
        _spread_kw(xp, xq, C, R, KW, dw)
        _gather_grid(gy, n, 1, Wp, gy2)
        for g in range(G):
            for kh in range(KH):
                gemm(gyc, g * OCg * Lp, Lp, False, xq, g * Kq * R + kh * dh * Wp, R, True,
                     gwf, (g * KH + kh) * OCg * Kq, Kq, OCg, Kq, Lp, sc[2:4])


# --------------------------------------------------------------------------------------------
# Parallel runners and their serial twins (used in a child forked from a GNU OpenMP parent)
# --------------------------------------------------------------------------------------------


@njit(**JIT_OPTIONS)
def _forward_any(t, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb, mode):  # noqa: N803
    """Part t of T of the forward pass, in the layout ``mode``."""
    if mode == _IMPLICIT:
        _forward_part_implicit(t, T, x, wp, b, y, ws, KH, KW, ph, pw, dh, dw)
    elif mode == _FLAT:
        _forward_part_flat(t, T, x, wp, b, y, ws, KH, KW, ph, pw, dh, dw, nb)
    elif mode == _COL:
        _forward_part_col(t, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)
    else:
        _forward_part(t, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(**JIT_OPTIONS)
def _backward_input_any(t, T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb,  # noqa: N803
                        mode):
    """Part t of T of the input gradient, in the layout ``mode``."""
    if mode == _IMPLICIT:
        _backward_input_part_implicit(t, T, gy, wp, gx, ws, KH, KW, ph, pw, dh, dw)
    elif mode == _FLAT:
        _backward_input_part_flat(t, T, gy, wp, gx, ws, KH, KW, ph, pw, dh, dw, nb)
    elif mode == _COL:
        _backward_input_part_col(t, T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)
    else:
        _backward_input_part(t, T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(**JIT_OPTIONS)
def _backward_weight_any(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb,  # noqa: N803
                         mode):
    """Part t of T of the weight gradient (into gwp[t]), in the layout ``mode``."""
    if mode == _IMPLICIT:
        _backward_weight_part_implicit(t, T, gy, x, gwp, ws, KH, KW, ph, pw, dh, dw)
    elif mode == _FLAT:
        _backward_weight_part_flat(t, T, gy, x, gwp, ws, KH, KW, ph, pw, dh, dw, nb)
    elif mode == _COL:
        _backward_weight_part_col(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)
    else:
        _backward_weight_part(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)


@njit(parallel=True, **JIT_OPTIONS)
def _forward_par(T, *args):  # noqa: N803
    for t in prange(T):
        _forward_any(t, T, *args)


@njit(**JIT_OPTIONS)
def _forward_ser(T, *args):  # noqa: N803
    for t in range(T):
        _forward_any(t, T, *args)


@njit(parallel=True, **JIT_OPTIONS)
def _backward_input_par(T, *args):  # noqa: N803
    for t in prange(T):
        _backward_input_any(t, T, *args)


@njit(**JIT_OPTIONS)
def _backward_input_ser(T, *args):  # noqa: N803
    for t in range(T):
        _backward_input_any(t, T, *args)


@njit(parallel=True, **JIT_OPTIONS)
def _backward_weight_par(T, *args):  # noqa: N803
    for t in prange(T):
        _backward_weight_any(t, T, *args)


@njit(**JIT_OPTIONS)
def _backward_weight_ser(T, *args):  # noqa: N803
    for t in range(T):
        _backward_weight_any(t, T, *args)


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


def _mode(C: int, groups: int, sh: int, sw: int, junk_safe: bool = True,
          op: str = "forward") -> int:
    """Layout for one call of pass ``op`` ("forward", "backward_input", "backward_weight").

    Stride 1 (and ``junk_safe``: the operand multiplied by the zero junk columns is finite)
    uses the padded grid: implicit GEMM from 4 channels per group, the unfolded grid below
    (LeNet conv1: 1 channel, GEMMs of K = 5 would cost more than the unfold). The input
    gradient of layers with >= 16 channels per group uses NHWC im2row instead: its implicit
    GEMMs have K = OC/G and rewrite the spread gradient once per kernel row (VGG 64->64, 2
    workers: NHWC 14.5 ms, implicit 17.6, unfolded grid 14.9). Other strides: NHWC im2row
    from 16 channels per group, im2col below."""
    cg = C // groups
    many = cg >= _NHWC_MIN_CHANNELS
    if sh == 1 and sw == 1 and junk_safe and not (many and op == "backward_input"):
        return _IMPLICIT if cg >= _IMPLICIT_MIN_CHANNELS else _FLAT
    return _NHWC if many else _COL


def _all_finite(a: np.ndarray) -> bool:
    """True if every element is finite: one sum in the array's dtype (no temporary). A sum
    that overflows says False, which only costs the faster path, never correctness."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.sum(a)))


def _geometry(mode: int, x_shape: Sequence[int], OC: int, KH: int, KW: int, OH: int, OW: int,
              padding: tuple[int, int], dw: int) -> tuple[int, int]:
    """(pixels per sample as laid out in the unfolded matrix, per-worker fixed scratch)."""
    C, H, W = x_shape[1], x_shape[2], x_shape[3]
    ph, pw = padding
    if mode in (_FLAT, _IMPLICIT):
        Hp, Wp = H + 2 * ph, W + 2 * pw
        padded = C * Hp * Wp + (KW - 1) * dw
        if mode == _IMPLICIT:  # padded sample, then it spread over the kernel columns
            return OH * Wp, padded + C * KW * Hp * Wp
        return OH * Wp, padded + OC * C * KH * KW
    if mode == _COL:
        return OH * OW, OC * C * KH * KW
    return OH * OW, C * H * W + OC * C * KH * KW


def _chunking(mode: int, N: int, C: int, OC: int, KH: int, KW: int, L: int,
              itemsize: int) -> tuple[int, int]:
    """(T, nb): worker count and samples per chunk; chunks fill a cache-sized workspace."""
    T = max(1, min(num_threads(), N))
    if mode == _IMPLICIT:
        return T, 1  # one sample per step: its GEMMs are large already
    per_sample = (C * KH * KW + OC) * L * itemsize
    target = _COLS_TARGET if mode == _NHWC else _COLS_TARGET_SMALL
    nb = max(1, -(-target // L))
    nb = min(nb, max(1, _WS_LIMIT // max(per_sample, 1)), -(-N // T))
    return T, max(1, nb)


def _workspace(mode: int, T: int, nb: int, C: int, OC: int, KH: int, KW: int, L: int,
               fixed: int, dtype: np.dtype) -> np.ndarray:
    """Per-worker flat scratch: fixed part (sample copy, weight partials), then the unfolded
    chunk (not for implicit GEMM) and the GEMM output (or gathered grad_output) of a chunk."""
    size = fixed + (OC if mode == _IMPLICIT else C * KH * KW + OC) * nb * L
    return workspace("conv2d", (T, size), dtype)


def _packed_shape(w_shape: Sequence[int], groups: int, mode: int) -> tuple[int, ...]:
    OC, Cg, KH, KW = w_shape
    if mode == _IMPLICIT:
        return (groups * KH, OC // groups, Cg * KW)
    return (groups, OC // groups, Cg * KH * KW)


def _pack_weight(w: np.ndarray, groups: int, mode: int) -> np.ndarray:
    """(OC, Cg, KH, KW) -> contiguous: (G*KH, OC/G, Cg*KW) for implicit GEMM (a matrix per
    group and kernel row, columns (c, kw)), else (G, OC/G, K) with columns (c, kh, kw) for
    im2col, (kh, kw, c) for NHWC."""
    OC, Cg, KH, KW = w.shape
    w5 = w.reshape(groups, OC // groups, Cg, KH, KW)
    if mode == _IMPLICIT:
        wp = w5.transpose(0, 3, 1, 2, 4)
    elif mode == _NHWC:
        wp = w5.transpose(0, 1, 3, 4, 2)
    else:
        return w.reshape(_packed_shape(w.shape, groups, mode))
    return np.ascontiguousarray(wp).reshape(_packed_shape(w.shape, groups, mode))


def _unpack_weight(wp: np.ndarray, w_shape: Sequence[int], mode: int) -> np.ndarray:
    """Inverse of ``_pack_weight``."""
    OC, Cg, KH, KW = w_shape
    if mode == _IMPLICIT:
        G = wp.shape[0] // KH
        w = wp.reshape(G, KH, OC // G, Cg, KW).transpose(0, 2, 3, 1, 4)
    elif mode == _NHWC:
        w = wp.reshape(OC, KH, KW, Cg).transpose(0, 3, 1, 2)
    else:
        return np.ascontiguousarray(wp).reshape(w_shape)
    return np.ascontiguousarray(w).reshape(w_shape)


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
    mode = _mode(C, groups, sh, sw)
    L, fixed = _geometry(mode, x.shape, OC, KH, KW, OH, OW, (ph, pw), dw)
    T, nb = _chunking(mode, N, C, OC, KH, KW, L, x.itemsize)
    wp = _pack_weight(w, groups, mode)
    ws = _workspace(mode, T, nb, C, OC, KH, KW, L, fixed, x.dtype)
    with blas_single_thread():
        run_parallel(_forward_par, _forward_ser, T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw,
                     dh, dw, nb, mode)
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
    # junk columns of the padded grid meet the weight: 0 * inf would leak NaN into gx
    mode = _mode(C, groups, sh, sw, junk_safe=_all_finite(w), op="backward_input")
    L, fixed = _geometry(mode, x_shape, OC, KH, KW, OH, OW, (ph, pw), dw)
    T, nb = _chunking(mode, N, C, OC, KH, KW, L, gy.itemsize)
    wp = _pack_weight(w, groups, mode)
    ws = _workspace(mode, T, nb, C, OC, KH, KW, L, fixed, gy.dtype)
    with blas_single_thread():
        run_parallel(_backward_input_par, _backward_input_ser, T, gy, wp, gx, ws, KH, KW,
                     sh, sw, ph, pw, dh, dw, nb, mode)
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
    # junk columns of the padded grid meet the input: 0 * inf would leak NaN into gw
    mode = _mode(C, groups, sh, sw, junk_safe=_all_finite(x), op="backward_weight")
    L, fixed = _geometry(mode, x.shape, OC, KH, KW, OH, OW, (ph, pw), dw)
    T, nb = _chunking(mode, N, C, OC, KH, KW, L, gy.itemsize)
    gwp = workspace("conv2d_gw", (T,) + _packed_shape(w_shape, groups, mode), gy.dtype)
    ws = _workspace(mode, T, nb, C, OC, KH, KW, L, fixed, gy.dtype)
    with blas_single_thread():
        run_parallel(_backward_weight_par, _backward_weight_ser, T, gy, x, gwp, ws, KH, KW,
                     sh, sw, ph, pw, dh, dw, nb, mode)
    return _unpack_weight(gwp.sum(axis=0), w_shape, mode)


def conv2d_backward_bias(gy: np.ndarray) -> np.ndarray:
    """Gradient of conv2d w.r.t. its bias: ``gy.sum((0, 2, 3))``."""
    (gy,) = as_float_arrays("conv2d_backward_bias", ("grad_output",), gy)
    check_ndim("conv2d_backward_bias", "grad_output", gy, 4)
    return gy.sum(axis=(0, 2, 3))
