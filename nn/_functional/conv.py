"""`conv1d`, `conv_transpose2d`, `conv_transpose1d` and the non-zero padding modes, all on
the conv2d Numba kernels: a transposed convolution is the adjoint of conv2d, so its forward is
conv2d's input-gradient primitive (whose VJPs are conv2d and conv2d's weight gradient)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops import conv as conv_ops
from autograd.ops.shape import getitem
from autograd.tensor import Tensor
from nn._functional.common import as_tensor, check_ndim, ntuple

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_nd(x: Tensor, pads: tuple[int, ...], mode: str, fn: str) -> Tensor:
    """Pad the trailing len(pads)//2 dims by (before, after) pairs, first dim first, with
    `mode` reflect / replicate / circular: one gather by index arrays (differentiable)."""
    k = len(pads) // 2
    index: list[Any] = [slice(None)] * (x.ndim - k)
    for i in range(k):
        n = x.shape[x.ndim - k + i]
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(f"{fn}: reflect padding ({lo}, {hi}) must be smaller than the "
                             f"padded dim of size {n} (input shape {tuple(x.shape)})")
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(f"{fn}: circular padding ({lo}, {hi}) must be at most the dim "
                             f"size {n} (input shape {tuple(x.shape)})")
        src = np.pad(np.arange(n), (lo, hi), mode=_NP_MODES[mode])  # type: ignore[call-overload]
        shape = [1] * k
        shape[i] = src.size
        index.append(src.reshape(shape))
    return getitem(x, index=tuple(index))


def _via_2d(
    fn: str, x: Any, weight: Tensor, layout: str, conv2: Callable[[Tensor, Tensor], Tensor]
) -> Tensor:
    """`conv2` (a 2-D convolution of input and weight) on (N, C, L) input and 3-D `layout`
    weight, both lifted to H = 1; the output's H dropped again."""
    x = as_tensor(x)
    check_ndim(fn, x, (3,), "3-D (N, C, L)")
    if weight.ndim != 3:
        raise ShapeError(f"{fn}: weight must be 3-D {layout}; got {weight.shape}")
    out = conv2(x.reshape((x.shape[0], x.shape[1], 1, x.shape[2])),
                weight.reshape((weight.shape[0], weight.shape[1], 1, weight.shape[2])))
    return out.reshape((out.shape[0], out.shape[1], out.shape[3]))


def conv1d(
    x: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of (N, C, L) with weight (OC, C/groups, K): conv2d with H = 1."""
    from nn.functional import conv2d

    (s,), (d,) = ntuple(stride, 1, "conv1d", "stride"), ntuple(dilation, 1, "conv1d", "dilation")
    p: Any = padding if isinstance(padding, str) else (0, ntuple(padding, 1, "conv1d",
                                                                  "padding")[0])
    return _via_2d("conv1d", x, weight, "(OC, C/groups, K)",
                   lambda x2, w2: conv2d(x2, w2, bias, (1, s), p, (1, d), groups))


def conv_transpose2d(
    x: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 2-D convolution of (N, IC, H, W) with weight (IC, OC/groups, KH, KW)."""
    fn = "conv_transpose2d"
    x = as_tensor(x)
    check_ndim(fn, x, (4,), "4-D (N, C, H, W)")
    if weight.ndim != 4 or weight.shape[0] != x.shape[1] or x.shape[1] % groups:
        raise ShapeError(
            f"{fn}: weight {weight.shape} must be (in_channels={x.shape[1]}, "
            f"out_channels/groups, KH, KW) for input {tuple(x.shape)} and groups={groups}"
        )
    s, p = ntuple(stride, 2, fn, "stride"), ntuple(padding, 2, fn, "padding")
    op, d = ntuple(output_padding, 2, fn, "output_padding"), ntuple(dilation, 2, fn, "dilation")
    if any(o >= st for o, st in zip(op, s, strict=True)):
        raise ValueError(f"{fn}: output_padding {op} must be smaller than stride {s}")
    size = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (weight.shape[2 + i] - 1)
            + op[i] + 1 for i in range(2)]
    if min(size) < 1:
        raise ShapeError(f"{fn}: the output size {tuple(size)} is not positive for input "
                         f"{tuple(x.shape)} (padding {p} too large)")
    oc = weight.shape[1] * groups
    out = conv_ops.conv2d_grad_input(
        x, weight, x_shape=(x.shape[0], oc, size[0], size[1]),
        stride=s, padding=p, dilation=d, groups=groups,
    )
    if bias is not None:
        out = out + bias.reshape((1, oc, 1, 1))
    return out


def conv_transpose1d(
    x: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 1-D convolution of (N, IC, L) with weight (IC, OC/groups, K) (H = 1)."""
    fn = "conv_transpose1d"
    one = [ntuple(v, 1, fn, name)[0] for v, name in ((stride, "stride"), (padding, "padding"),
           (output_padding, "output_padding"), (dilation, "dilation"))]
    return _via_2d(fn, x, weight, "(IC, OC/groups, K)", lambda x2, w2: conv_transpose2d(
        x2, w2, bias, (1, one[0]), (0, one[1]), (0, one[2]), groups, (1, one[3])))
