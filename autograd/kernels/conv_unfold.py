"""Per-sample layout helpers of the conv2d kernels: unfold (im2row, im2col, padded grid) and fold.

Each helper moves one sample (or a chunk of samples) between the NCHW tensors and the
unfolded matrices the GEMMs of ``conv_parts`` read. All are ``@njit`` code on ndarrays,
called from the per-worker parts only.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._runtime import JIT_OPTIONS

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
