"""Per-worker parts of the conv2d kernels, one per pass and layout, in a table per pass.

A part ``(t, T, ...)`` computes chunks t, t+T, ... of one pass (forward, input gradient,
weight gradient) in one layout (see ``conv``'s docstring); the unfolding it does per chunk
lives in ``conv_unfold``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._runtime import JIT_OPTIONS
from .blas import gemm
from .conv_unfold import (
    _col2im,
    _flat_sizes,
    _fold_flat,
    _from_nhwc,
    _gather_grid,
    _gather_kw,
    _gather_rows,
    _gemm_scales,
    _im2col,
    _im2row,
    _implicit_views,
    _pad_flat,
    _row2im,
    _spread_kw,
    _to_nhwc,
    _unfold_flat,
)

_NHWC, _COL, _FLAT, _IMPLICIT = 0, 1, 2, 3  # unfold layouts (see conv's docstring)


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
# Stride-1 parts on the padded grid (see the NOTE at conv_unfold._pad_flat)
# --------------------------------------------------------------------------------------------


@njit(**JIT_OPTIONS)
def _forward_part_flat(t, T, x, wk, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb):  # noqa: N803
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
def _backward_input_part_flat(t, T, gy, wk, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw,  # noqa: N803
                              nb):
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
def _backward_weight_part_flat(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh, dw,  # noqa: N803
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



# --------------------------------------------------------------------------------------------
# Implicit GEMM parts (see the NOTE at conv_unfold._spread_kw)
# --------------------------------------------------------------------------------------------


@njit(**JIT_OPTIONS)
def _forward_part_implicit(t, T, x, wk, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw,  # noqa: N803
                           nb):
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
def _backward_input_part_implicit(t, T, gy, wk, gx, ws, KH, KW, sh, sw, ph, pw, dh,  # noqa: N803
                                  dw, nb):
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
def _backward_weight_part_implicit(t, T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw,  # noqa: N803
                                   dh, dw, nb):
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
# The part of each pass per layout. All parts of a pass take the same arguments (stride-1
# layouts ignore the strides, implicit GEMM the chunk size), so a call compiles only the part
# of the layout it uses, never a dispatcher over all four.
# --------------------------------------------------------------------------------------------

FORWARD = {_NHWC: _forward_part, _COL: _forward_part_col, _FLAT: _forward_part_flat,
           _IMPLICIT: _forward_part_implicit}
BACKWARD_INPUT = {_NHWC: _backward_input_part, _COL: _backward_input_part_col,
                  _FLAT: _backward_input_part_flat, _IMPLICIT: _backward_input_part_implicit}
BACKWARD_WEIGHT = {_NHWC: _backward_weight_part, _COL: _backward_weight_part_col,
                   _FLAT: _backward_weight_part_flat, _IMPLICIT: _backward_weight_part_implicit}
