"""Convolution and pooling primitives on the Numba kernels, with VJPs of every order.

Each backward kernel is itself a primitive whose VJPs are the other kernels (they are each
other's adjoints), so `gradgradcheck` and `create_graph=True` work through conv nets:

    <conv2d(x, w), g> = <x, conv2d_grad_input(g, w)> = <w, conv2d_grad_weight(g, x)>
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import kernels
from autograd.registry import primitive, unrecorded

Pair = tuple[int, int]


# ----- conv2d -----


@primitive("conv2d", saves=("inputs",))
def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    *,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlation of (N, C, H, W) with (OC, C/groups, KH, KW), plus bias (OC,)."""
    return kernels.conv2d_forward(x, w, b, stride, padding, dilation, groups)


# The `into` variants pass the op's keywords straight on: the kernels take the same names and
# defaults (pooling's `kernel_size` is their first parameter after the arrays).
conv2d.definto(lambda out, x, w, b, **p: kernels.conv2d_forward(x, w, b, **p, out=out))
conv2d.defvjp(
    lambda g, ans, x, w, b, **p: conv2d_grad_input(g, w, x_shape=x.shape, **p),
    lambda g, ans, x, w, b, **p: conv2d_grad_weight(g, x, w_shape=w.shape, **p),
    unrecorded(lambda g, ans, x, w, b, **p: g.sum(axis=(0, 2, 3))),
)


@primitive("conv2d_grad_input", saves=("inputs",))
def conv2d_grad_input(
    g: np.ndarray, w: np.ndarray, *, x_shape: tuple[int, ...], **p: Any
) -> np.ndarray:
    """d<conv2d(x, w), g>/dx: the transposed convolution of g with w."""
    return kernels.conv2d_backward_input(
        g, w, x_shape, p["stride"], p["padding"], p["dilation"], p["groups"]
    )


conv2d_grad_input.definto(
    lambda out, g, w, **p: kernels.conv2d_backward_input(g, w, **p, out=out)
)
conv2d_grad_input.defvjp(
    lambda u, ans, g, w, x_shape, **p: conv2d(u, w, None, **p),
    lambda u, ans, g, w, x_shape, **p: conv2d_grad_weight(g, u, w_shape=w.shape, **p),
)


@primitive("conv2d_grad_weight", saves=("inputs",))
def conv2d_grad_weight(
    g: np.ndarray, x: np.ndarray, *, w_shape: tuple[int, ...], **p: Any
) -> np.ndarray:
    """d<conv2d(x, w), g>/dw: the correlation of the input with the output gradient."""
    return kernels.conv2d_backward_weight(
        g, x, w_shape, p["stride"], p["padding"], p["dilation"], p["groups"]
    )


conv2d_grad_weight.definto(
    lambda out, g, x, **p: kernels.conv2d_backward_weight(g, x, **p, out=out)
)
conv2d_grad_weight.defvjp(
    lambda v, ans, g, x, w_shape, **p: conv2d(x, v, None, **p),
    lambda v, ans, g, x, w_shape, **p: conv2d_grad_input(g, v, x_shape=x.shape, **p),
)


# ----- max pooling -----


@primitive("max_pool2d", saves=(), has_aux=True)
def max_pool2d(
    x: np.ndarray,
    *,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    ceil_mode: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Max over windows; the argmax (first maximum in window order) is kept for backward."""
    return kernels.max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)


max_pool2d.definto(  # out: the pair (output, argmax)
    lambda out, x, kernel_size, **p: kernels.max_pool2d_forward(x, kernel_size, **p, out=out)
)
max_pool2d.defvjp(
    lambda g, ans, x, aux, **p: max_pool2d_scatter(g, argmax=aux, x_shape=x.shape)
)


@primitive("max_pool2d_scatter", saves=())
def max_pool2d_scatter(
    g: np.ndarray, *, argmax: np.ndarray, x_shape: tuple[int, ...]
) -> np.ndarray:
    """Route each window's gradient to the input element that won the max (also max_unpool2d)."""
    return kernels.max_pool2d_backward(g, argmax, x_shape)


max_pool2d_scatter.definto(
    lambda out, g, argmax, x_shape: kernels.max_pool2d_backward(g, argmax, x_shape, out=out)
)
max_pool2d_scatter.defvjp(
    lambda u, ans, g, argmax, x_shape: max_pool2d_gather(u, argmax=argmax)
)


@primitive("max_pool2d_gather", saves=())
def max_pool2d_gather(u: np.ndarray, *, argmax: np.ndarray) -> np.ndarray:
    """Pick, for every window, the input element that won its max (adjoint of the scatter)."""
    n, c = u.shape[:2]
    flat = u.reshape(n, c, -1)
    return np.take_along_axis(flat, argmax.reshape(n, c, -1), axis=2).reshape(argmax.shape)


max_pool2d_gather.defvjp(
    lambda g, ans, u, argmax: max_pool2d_scatter(g, argmax=argmax, x_shape=u.shape)
)


# ----- average pooling -----


@primitive("avg_pool2d", saves=())
def avg_pool2d(
    x: np.ndarray,
    *,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = (0, 0),
    count_include_pad: bool = True,
    ceil_mode: bool = False,
    divisor_override: int = 0,
) -> np.ndarray:
    """Mean over windows (zero padding counted in the divisor unless count_include_pad=False)."""
    return kernels.avg_pool2d_forward(
        x, kernel_size, stride, padding, count_include_pad, ceil_mode, divisor_override
    )


avg_pool2d.definto(
    lambda out, x, kernel_size, **p: kernels.avg_pool2d_forward(x, kernel_size, **p, out=out)
)
avg_pool2d.defvjp(
    lambda g, ans, x, **p: avg_pool2d_grad(g, x_shape=x.shape, **p)
)


@primitive("avg_pool2d_grad", saves=())
def avg_pool2d_grad(
    g: np.ndarray,
    *,
    x_shape: tuple[int, ...],
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = (0, 0),
    count_include_pad: bool = True,
    ceil_mode: bool = False,
    divisor_override: int = 0,
) -> np.ndarray:
    """Spread each window's gradient evenly over the window (adjoint of avg_pool2d)."""
    return kernels.avg_pool2d_backward(
        g, x_shape, kernel_size, stride, padding, count_include_pad, ceil_mode, divisor_override
    )


avg_pool2d_grad.definto(
    lambda out, g, x_shape, kernel_size, **p: kernels.avg_pool2d_backward(
        g, x_shape, kernel_size, **p, out=out
    )
)
avg_pool2d_grad.defvjp(
    lambda u, ans, g, x_shape, **p: avg_pool2d(u, **p)
)
