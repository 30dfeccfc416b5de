"""2-D convolution (N, C, H, W) forward and backward: im2col per chunk of samples + BLAS GEMM.

The batch is cut into chunks of ``nb`` samples; each of the ``T`` workers takes every T-th
chunk, unfolds it into a reused per-thread workspace and multiplies it with the weight through
single-threaded BLAS (Numba's ``np.dot``). The workspace stays in cache between the unfold and
the GEMM, and no buffer is allocated per call (page faults are expensive on this machine).

Four layouts (``_mode`` picks one per call; all give the same results):
- ``_IMPLICIT`` (stride 1, >= 4 channels per group): no unfold. Each kernel row is one GEMM
  that reads the padded sample (copied once per kernel column) in place, as a strided block
  (see the NOTE at ``conv_unfold._spread_kw``).
- ``_FLAT`` (stride 1, fewer channels): im2col on the padded grid, rows ``(c, kh, kw)``, each
  row one contiguous slice of the padded sample (see the NOTE at ``conv_unfold._pad_flat``).
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

from ._runtime import (
    as_float_arrays,
    as_pair,
    blas_single_thread,
    check_ndim,
    num_threads,
    result_array,
    run_parallel,
    workspace,
)
from .conv_parts import (
    _COL,
    _FLAT,
    _IMPLICIT,
    _NHWC,
    BACKWARD_INPUT,
    BACKWARD_WEIGHT,
    FORWARD,
)

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
_IMPLICIT_MIN_CHANNELS = 4  # channels per group from which implicit GEMM beats the unfold
_WS_LIMIT = 4 << 20  # bytes of im2col workspace per worker, at most (unless one sample needs more)

Pair = int | Sequence[int]


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


_NO_BIAS = {np.dtype(d): np.zeros(0, d) for d in (np.float32, np.float64)}


def _pack_weight(w: np.ndarray, groups: int, mode: int, reuse: bool = False) -> np.ndarray:
    """(OC, Cg, KH, KW) -> contiguous: (G*KH, OC/G, Cg*KW) for implicit GEMM (a matrix per
    group and kernel row, columns (c, kw)), else (G, OC/G, K) with columns (c, kh, kw) for
    im2col, (kh, kw, c) for NHWC; ``reuse`` packs into a workspace instead of a new array."""
    OC, Cg, KH, KW = w.shape
    w5 = w.reshape(groups, OC // groups, Cg, KH, KW)
    if mode == _IMPLICIT:
        wp = w5.transpose(0, 3, 1, 2, 4)
    elif mode == _NHWC:
        wp = w5.transpose(0, 1, 3, 4, 2)
    else:
        return w.reshape(_packed_shape(w.shape, groups, mode))
    if not reuse:
        return np.ascontiguousarray(wp).reshape(_packed_shape(w.shape, groups, mode))
    packed = workspace("conv2d_wp", wp.shape, wp.dtype)
    np.copyto(packed, wp)
    return packed.reshape(_packed_shape(w.shape, groups, mode))


def _unpacked(wp: np.ndarray, w_shape: Sequence[int], mode: int) -> np.ndarray:
    """The packed weight seen in (OC, Cg, KH, KW) order, as a view (groups may stay split)."""
    OC, Cg, KH, KW = w_shape
    if mode == _IMPLICIT:
        G = wp.shape[0] // KH
        return wp.reshape(G, KH, OC // G, Cg, KW).transpose(0, 2, 3, 1, 4)
    if mode == _NHWC:
        return wp.reshape(OC, KH, KW, Cg).transpose(0, 3, 1, 2)
    return wp


def _unpack_weight(wp: np.ndarray, w_shape: Sequence[int], mode: int) -> np.ndarray:
    """Inverse of ``_pack_weight``."""
    return np.ascontiguousarray(_unpacked(wp, w_shape, mode)).reshape(w_shape)


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
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with w (OC, C/groups, KH, KW), plus bias b (OC,);
    written into ``out`` (C-contiguous, the result's shape and dtype) when given."""
    op = "conv2d"
    reuse = out is not None
    x, w, b = as_float_arrays(op, ("input", "weight", "bias"), x, w, b, reuse=reuse)
    check_ndim(op, "input", x, 4)
    check_ndim(op, "weight", w, 4)
    N, OC, OH, OW = conv2d_output_shape(x.shape, w.shape, stride, padding, dilation, groups)
    if b is None:
        b = _NO_BIAS[x.dtype]
    elif b.shape != (OC,):
        raise ValueError(f"{op}: bias must have shape ({OC},) for weight {w.shape}, got {b.shape}")
    (sh, sw), (ph, pw), (dh, dw) = _as_int_params(op, stride, padding, dilation)
    C = x.shape[1]
    KH, KW = w.shape[2], w.shape[3]
    y = result_array(op, out, (N, OC, OH, OW), x.dtype)
    if y.size == 0:
        return y
    if x.shape[1] == 0:  # no input channels: the output is just the bias
        y[...] = b.reshape(1, -1, 1, 1) if b.size else 0
        return y
    mode = _mode(C, groups, sh, sw)
    L, fixed = _geometry(mode, x.shape, OC, KH, KW, OH, OW, (ph, pw), dw)
    T, nb = _chunking(mode, N, C, OC, KH, KW, L, x.itemsize)
    wp = _pack_weight(w, groups, mode, reuse)
    ws = _workspace(mode, T, nb, C, OC, KH, KW, L, fixed, x.dtype)
    with blas_single_thread():
        run_parallel(FORWARD[mode], T, x, wp, b, y, ws, KH, KW, sh, sw, ph, pw, dh, dw, nb)
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
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Gradient of conv2d w.r.t. its input, of shape ``x_shape`` (into ``out`` if given)."""
    op = "conv2d_backward_input"
    reuse = out is not None
    gy, w = as_float_arrays(op, ("grad_output", "weight"), gy, w, reuse=reuse)
    check_ndim(op, "weight", w, 4)
    x_shape = tuple(int(v) for v in x_shape)
    expected = conv2d_output_shape(x_shape, w.shape, stride, padding, dilation, groups, op)
    _check_grad_output(op, gy, expected)
    (sh, sw), (ph, pw), (dh, dw) = _as_int_params(op, stride, padding, dilation)
    N, C = x_shape[0], x_shape[1]
    OC, _, KH, KW = w.shape
    OH, OW = expected[2], expected[3]
    gx = result_array(op, out, x_shape, gy.dtype)
    if gx.size == 0:
        return gx
    if OC == 0:
        gx[...] = 0
        return gx
    # junk columns of the padded grid meet the weight: 0 * inf would leak NaN into gx
    mode = _mode(C, groups, sh, sw, junk_safe=_all_finite(w), op="backward_input")
    L, fixed = _geometry(mode, x_shape, OC, KH, KW, OH, OW, (ph, pw), dw)
    T, nb = _chunking(mode, N, C, OC, KH, KW, L, gy.itemsize)
    wp = _pack_weight(w, groups, mode, reuse)
    ws = _workspace(mode, T, nb, C, OC, KH, KW, L, fixed, gy.dtype)
    with blas_single_thread():
        run_parallel(BACKWARD_INPUT[mode], T, gy, wp, gx, ws, KH, KW, sh, sw, ph, pw, dh, dw,
                     nb)
    return gx


def conv2d_backward_weight(
    gy: np.ndarray,
    x: np.ndarray,
    w_shape: Sequence[int],
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Gradient of conv2d w.r.t. its weight, of shape ``w_shape`` (into ``out`` if given)."""
    op = "conv2d_backward_weight"
    gy, x = as_float_arrays(op, ("grad_output", "input"), gy, x, reuse=out is not None)
    check_ndim(op, "input", x, 4)
    w_shape = tuple(int(v) for v in w_shape)
    expected = conv2d_output_shape(x.shape, w_shape, stride, padding, dilation, groups, op)
    _check_grad_output(op, gy, expected)
    (sh, sw), (ph, pw), (dh, dw) = _as_int_params(op, stride, padding, dilation)
    N, C = x.shape[0], x.shape[1]
    OC, Cg, KH, KW = w_shape
    OH, OW = expected[2], expected[3]
    Kg = Cg * KH * KW
    if out is not None:
        out = result_array(op, out, w_shape, gy.dtype)
    if N == 0 or OC == 0 or Kg == 0:
        if out is None:
            return np.zeros(w_shape, dtype=gy.dtype)
        out[...] = 0
        return out
    # junk columns of the padded grid meet the input: 0 * inf would leak NaN into gw
    mode = _mode(C, groups, sh, sw, junk_safe=_all_finite(x), op="backward_weight")
    L, fixed = _geometry(mode, x.shape, OC, KH, KW, OH, OW, (ph, pw), dw)
    T, nb = _chunking(mode, N, C, OC, KH, KW, L, gy.itemsize)
    gwp = workspace("conv2d_gw", (T,) + _packed_shape(w_shape, groups, mode), gy.dtype)
    ws = _workspace(mode, T, nb, C, OC, KH, KW, L, fixed, gy.dtype)
    with blas_single_thread():
        run_parallel(BACKWARD_WEIGHT[mode], T, gy, x, gwp, ws, KH, KW, sh, sw, ph, pw, dh,
                     dw, nb)
    if out is None:
        return _unpack_weight(gwp.sum(axis=0), w_shape, mode)
    summed = workspace("conv2d_gw_sum", gwp.shape[1:], gy.dtype)
    np.sum(gwp, axis=0, out=summed)
    view = _unpacked(summed, w_shape, mode)
    np.copyto(out.reshape(view.shape), view)
    return out


def conv2d_backward_bias(gy: np.ndarray) -> np.ndarray:
    """Gradient of conv2d w.r.t. its bias: ``gy.sum((0, 2, 3))``."""
    (gy,) = as_float_arrays("conv2d_backward_bias", ("grad_output",), gy)
    check_ndim("conv2d_backward_bias", "grad_output", gy, 4)
    return gy.sum(axis=(0, 2, 3))
