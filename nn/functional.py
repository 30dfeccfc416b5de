"""Stateless layers and losses (PyTorch's `torch.nn.functional`), composed from autograd ops.

Every function takes and returns Tensors, is differentiable to any order (the pieces are
primitives whose VJPs are themselves recorded), and checks its arguments at the call,
naming the function, the shapes and the dtypes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd.compiler.host import host_step
from autograd.errors import ShapeError
from autograd.ops import conv as conv_ops
from autograd.ops.shape import getitem, pad
from autograd.random import get_generator
from autograd.tensor import Tensor
from nn._functional import pool as _pool
from nn._functional.loss import check_float as _check_float

IntPair = int | Sequence[int]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ----------------------------------------------------------------------------- linear / conv


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weight.T + bias with weight (out_features, in_features)."""
    return ag.linear(x, weight, bias)


def _pair(value: IntPair, fn: str, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{fn}: {name} must be an int or a pair of ints; got {value!r}")
    return int(pair[0]), int(pair[1])


def _same_padding(
    x: Tensor, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[Tensor, tuple[int, int]]:
    """Padding for `padding="same"`: symmetric where possible, extra zero on the right/bottom."""
    if stride != (1, 1):
        raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    left = [t // 2 for t in total]
    extra = [t - 2 * lo for t, lo in zip(total, left, strict=True)]
    if any(extra):
        x = pad(x, pad_width=((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    return x, (left[0], left[1])


def conv2d(
    x: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) with weight (OC, C/groups, KH, KW) (Numba kernels).

    `padding` is an int, a pair, or "valid" / "same" (stride 1).
    """
    x = _t(x)
    if x.ndim != 4:
        raise ShapeError(
            f"conv2d: expected a 4-D input (N, C, H, W); got shape {x.shape} "
            "(add a batch dimension with x[None])"
        )
    s, d = _pair(stride, "conv2d", "stride"), _pair(dilation, "conv2d", "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            p = (0, 0)
        elif padding == "same":
            x, p = _same_padding(x, tuple(weight.shape[2:]), s, d)
        else:
            raise ValueError(f"conv2d: padding must be 'valid', 'same' or ints; got {padding!r}")
    else:
        p = _pair(padding, "conv2d", "padding")
    return conv_ops.conv2d(x, weight, bias, stride=s, padding=p, dilation=d, groups=groups)


def _pool_input(x: Any, fn: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) as given, or unbatched (C, H, W) lifted to a batch of one."""
    x = _t(x)
    if x.ndim not in (3, 4):
        raise ShapeError(f"{fn}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input; got "
                         f"shape {x.shape}")
    return (x, True) if x.ndim == 4 else (x.reshape((1,) + x.shape), False)


def _unbatch(y: Tensor, batched: bool) -> Tensor:
    return y if batched else y.reshape(y.shape[1:])


def max_pool2d(
    x: Any,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over kernel_size windows of (N, C, H, W) / (C, H, W); stride defaults to
    kernel_size. `return_indices` also gives the flat index of each max in its H*W plane.
    Integer inputs pool too (no gradient), as in PyTorch."""
    fn = "max_pool2d"
    x, batched = _pool_input(x, fn)
    k = _pair(kernel_size, fn, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, fn, "stride")
    p = dict(kernel_size=k, stride=s, padding=_pair(padding, fn, "padding"),
             dilation=_pair(dilation, fn, "dilation"), ceil_mode=bool(ceil_mode))
    if x.data.dtype.kind in "iu":
        y, idx = _pool.int_max_pool2d(x, **p)
    else:
        y, idx = conv_ops.max_pool2d(x, **p), None
        if return_indices:  # the argmax the node keeps for backward (recomputed if unrecorded)
            node = y.grad_fn
            idx = Tensor(node.aux if node is not None else
                         conv_ops.max_pool2d.forward(x.data, **p)[1])
    y = _unbatch(y, batched)
    return (y, _unbatch(idx, batched)) if return_indices else y


def avg_pool2d(
    x: Any,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over kernel_size windows of (N, C, H, W) / (C, H, W) (zero padding counted
    unless count_include_pad=False; `divisor_override` replaces the divisor)."""
    fn = "avg_pool2d"
    x, batched = _pool_input(x, fn)
    _check_float(fn, x=x)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{fn}: divisor_override must be positive; got {divisor_override}")
    k = _pair(kernel_size, fn, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, fn, "stride")
    y = conv_ops.avg_pool2d(
        x, kernel_size=k, stride=s, padding=_pair(padding, fn, "padding"),
        count_include_pad=bool(count_include_pad), ceil_mode=bool(ceil_mode),
        divisor_override=int(divisor_override or 0),
    )
    return _unbatch(y, batched)


# ----------------------------------------------------------------------------- activations


def relu(x: Any) -> Tensor:
    """max(x, 0)."""
    return ag.relu(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0 else negative_slope * x."""
    return ag.leaky_relu(x, negative_slope=float(negative_slope))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0 else alpha * (exp(x) - 1)."""
    return ag.elu(x, alpha=float(alpha))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), overflow-free."""
    return ag.sigmoid(x)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(x)


def softmax(x: Any, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (stable)."""
    return ag.softmax(x, axis=dim)


def log_softmax(x: Any, dim: int = -1) -> Tensor:
    """x - logsumexp(x) along `dim` (stable)."""
    return ag.log_softmax(x, axis=dim)


# ----------------------------------------------------------------------------- regularization


def dropout(x: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    Identity when not training or p == 0. Masks come from `ag.get_generator()`.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    x = _t(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros((), dtype=x.dtype)
    return x * _dropout_mask(x.shape, p, x.dtype)


@host_step  # drawn afresh on every ag.compile replay
def _dropout_mask(shape: tuple[int, ...], p: float, dtype: np.dtype) -> Tensor:
    """Inverted dropout's mask: 0 with probability p, else 1/(1-p), from the shared generator."""
    keep = get_generator().random(shape) >= p
    return Tensor(keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype=dtype))


def batch_norm(
    x: Any,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize (N, C, ...) per channel C with batch statistics (training) or running ones.

    In training the running stats (when given) are updated in place:
    `running = (1 - momentum) * running + momentum * batch`, with the unbiased batch variance.
    """
    x = _t(x)
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expected x of at least 2 dims (N, C); got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ShapeError(
                f"batch_norm: {name} has shape {t.shape}; expected ({c},) for x {x.shape}"
            )
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    if training or running_mean is None or running_var is None:
        n = x.data.size // c
        if training and n <= 1:
            raise ValueError(
                "batch_norm: expected more than 1 value per channel when training, got x "
                f"size {x.shape}"
            )
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        if training and running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, mean, var, momentum, n)
    else:
        mean = Tensor(running_mean.data.reshape(bshape).astype(x.dtype, copy=False))
        centered = x - mean
        var = Tensor(running_var.data.reshape(bshape).astype(x.dtype, copy=False))
    out = centered / ag.sqrt(var + np.asarray(eps, dtype=x.dtype))
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


@host_step  # NumPy on the buffers: ag.compile replays the whole update
def _update_running(
    running_mean: Tensor, running_var: Tensor, mean: Tensor, var: Tensor, momentum: float, n: int
) -> None:
    """`running = (1 - momentum) * running + momentum * batch` (unbiased batch variance)."""
    c = running_mean.shape[0]
    with ag.no_grad():
        m = np.asarray(momentum, dtype=running_mean.dtype)
        bm = mean.data.reshape(c).astype(running_mean.dtype)
        bv = var.data.reshape(c).astype(running_var.dtype) * (n / max(n - 1, 1))
        running_mean.copy_((1 - m) * running_mean.data + m * bm)
        running_var.copy_((1 - m) * running_var.data + m * bv)


def local_response_norm(
    x: Any, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """AlexNet's normalization across channels of (N, C, ...), PyTorch's formula:
    `b_c = a_c / (k + alpha / size * sum_{c' near c} a_{c'}^2) ** beta`, the window of `size`
    channels centered on c and zero-padded at the ends.
    """
    x = _t(x)
    if x.ndim < 3:
        raise ShapeError(
            f"local_response_norm: expected x of at least 3 dims (N, C, ...); got "
            f"{x.shape}"
        )
    if size < 1:
        raise ValueError(f"local_response_norm: size must be >= 1; got {size}")
    c = x.shape[1]
    sq = x * x
    widths = [(0, 0)] * x.ndim
    widths[1] = (size // 2, (size - 1) // 2)
    padded = pad(sq, pad_width=tuple(widths))
    rest = (slice(None),) * (x.ndim - 2)
    window = getitem(padded, index=(slice(None), slice(0, c)) + rest)
    for i in range(1, size):
        window = window + getitem(padded, index=(slice(None), slice(i, i + c)) + rest)
    dt = x.dtype
    div = (window * np.asarray(alpha / size, dtype=dt) + np.asarray(k, dtype=dt)) ** np.asarray(
        beta, dtype=dt
    )
    return x / div


# ----------------------------------------------------------------------------- re-exports
# Losses (nn/_functional/loss_*.py), activations with PyTorch's signatures (inplace= accepted;
# they replace the plain ones above, hence the imports at the end), attention and the newer
# layers (nn/_functional/) live in their own modules.
from autograd.ops.attention import scaled_dot_product_attention  # noqa: E402, F401
from autograd.ops.index import one_hot  # noqa: E402, F401 - torch.nn.functional.one_hot
from autograd.ops.linalg_norm import normalize  # noqa: E402, F401
from autograd.ops.pad import functional_pad as pad  # noqa: E402, F401, F811 - torch's F.pad
from nn._functional.common import ntuple as _ntuple  # noqa: E402, F401
from nn._functional.conv import conv1d, conv_transpose1d, conv_transpose2d  # noqa: E402, F401
from nn._functional.dropout import alpha_dropout, dropout1d, dropout2d  # noqa: E402, F401
from nn._functional.loss_classification import (  # noqa: E402, F401
    _log_clamped,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
)
from nn._functional.loss_margin import (  # noqa: E402, F401
    cosine_embedding_loss,
    cosine_similarity,
    hinge_embedding_loss,
    margin_ranking_loss,
    pairwise_distance,
    soft_margin_loss,
    triplet_margin_loss,
)
from nn._functional.loss_regression import (  # noqa: E402, F401
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)
from nn._functional.norm import group_norm, instance_norm, layer_norm  # noqa: E402, F401
from nn._functional.pool import (  # noqa: E402, F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    max_pool1d,
    max_unpool2d,
)
from nn._functional.resample import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: E402, F401
from nn._functional.sparse import embedding  # noqa: E402, F401
from nn.functional_activation import (  # noqa: E402, F401
    celu,
    elu,  # noqa: F811 - adds inplace=
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,  # noqa: F811 - adds inplace=
    logsigmoid,
    mish,
    prelu,
    relu,  # noqa: F811 - adds inplace=
    relu6,
    rrelu,
    selu,
    silu,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
