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
from autograd.errors import DTypeError, ShapeError
from autograd.ops import conv as conv_ops
from autograd.ops import elementwise as ew
from autograd.ops.shape import getitem, pad
from autograd.random import get_generator
from autograd.registry import primitive
from autograd.tensor import Tensor

IntPair = int | Sequence[int]

_REDUCTIONS = ("mean", "sum", "none")


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_float(fn: str, **tensors: Any) -> None:
    for name, t in tensors.items():
        if t is not None and t.data.dtype.kind != "f":
            raise DTypeError(f"{fn}: {name} must be a floating tensor; got {t.data.dtype}")


def _reduce(loss: Tensor, reduction: str, fn: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}; got {reduction!r}")


def _check_reduction(reduction: str, fn: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}; got {reduction!r}")


def _same_shape(fn: str, x: Tensor, target: Tensor) -> None:
    if x.shape != target.shape:
        raise ShapeError(
            f"{fn}: target shape {target.shape} must match input shape {x.shape} "
            "(reshape one of them; silent broadcasting is a classic bug)"
        )


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


def max_pool2d(
    x: Any, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0
) -> Tensor:
    """Max over kernel_size windows of (N, C, H, W); stride defaults to kernel_size."""
    k = _pair(kernel_size, "max_pool2d", "kernel_size")
    s = k if stride is None else _pair(stride, "max_pool2d", "stride")
    p = _pair(padding, "max_pool2d", "padding")
    return conv_ops.max_pool2d(_t(x), kernel_size=k, stride=s, padding=p)


def avg_pool2d(
    x: Any, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0
) -> Tensor:
    """Mean over kernel_size windows of (N, C, H, W) (zero padding counted, as PyTorch)."""
    k = _pair(kernel_size, "avg_pool2d", "kernel_size")
    s = k if stride is None else _pair(stride, "avg_pool2d", "stride")
    p = _pair(padding, "avg_pool2d", "padding")
    return conv_ops.avg_pool2d(_t(x), kernel_size=k, stride=s, padding=p)


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
    keep = get_generator().random(x.shape) >= p
    scale = np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return x * Tensor(keep.astype(x.dtype) * scale)


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
            with ag.no_grad():
                m = np.asarray(momentum, dtype=running_mean.dtype)
                bm = mean.data.reshape(c).astype(running_mean.dtype)
                bv = var.data.reshape(c).astype(running_var.dtype) * (n / max(n - 1, 1))
                running_mean.copy_((1 - m) * running_mean.data + m * bm)
                running_var.copy_((1 - m) * running_var.data + m * bv)
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


# ----------------------------------------------------------------------------- losses


def mse_loss(x: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (x - target) ** 2, reduced."""
    x, target = _t(x), _t(target)
    _check_reduction(reduction, "mse_loss")
    _same_shape("mse_loss", x, target)
    d = x - target
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(x: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |x - target|, reduced."""
    x, target = _t(x), _t(target)
    _check_reduction(reduction, "l1_loss")
    _same_shape("l1_loss", x, target)
    return _reduce(ag.abs(x - target), reduction, "l1_loss")


@primitive("log_clamped", saves=("inputs", "output"))
def _log_clamped(x: np.ndarray) -> np.ndarray:
    """log(x) clamped below at -100 (PyTorch's BCE), so log(0) costs 100, not inf."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), np.asarray(-100.0, dtype=x.dtype))


# NOTE: zero gradient where the clamp is active (x <= e^-100), never 0/0.
_log_clamped.defvjp(
    lambda g, ans, x: ew.where(ans.data > -100.0, g / ew.where(x.data > 0, x, 1.0), 0.0)
)


def binary_cross_entropy(
    x: Any, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs clamp at -100."""
    x, target = _t(x), _t(target)
    _check_reduction(reduction, "binary_cross_entropy")
    _check_float("binary_cross_entropy", x=x, target=target)
    _same_shape("binary_cross_entropy", x, target)
    if np.any((x.data < 0) | (x.data > 1)):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 "
            "(pass logits to binary_cross_entropy_with_logits instead)"
        )
    one = np.asarray(1.0, dtype=x.dtype)
    loss = -(target * _log_clamped(x) + (one - target) * _log_clamped(one - x))
    if weight is not None:
        loss = loss * _t(weight)
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    x: Any,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid + BCE in one stable expression: (1 - t) x + (1 + (pw - 1) t) softplus(-x)."""
    x, target = _t(x), _t(target)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    _check_float("binary_cross_entropy_with_logits", x=x, target=target)
    _same_shape("binary_cross_entropy_with_logits", x, target)
    one = np.asarray(1.0, dtype=x.dtype)
    if pos_weight is None:
        loss = ag.softplus(x) - target * x
    else:
        coef = one + (_t(pos_weight) - one) * target
        loss = (one - target) * x + coef * ag.softplus(-x)
    if weight is not None:
        loss = loss * _t(weight)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) unchanged."""
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.transpose(perm).reshape((-1, x.shape[1]))


def nll_loss(
    x: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of integer targets under log-probabilities (N, C, ...)."""
    return _nll(_t(x), _t(target), weight, ignore_index, reduction, 0.0, "nll_loss")


def cross_entropy(
    x: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from logits (N, C) or (N, C, d...), PyTorch's semantics.

    `target` holds class indices (N,) / (N, d...) (entries equal to `ignore_index` are
    skipped) or class probabilities of the input's shape. `weight` (C,) rescales classes;
    `label_smoothing` mixes the target with the uniform distribution.
    """
    x, target = _t(x), _t(target)
    _check_float("cross_entropy", x=x)
    if x.ndim < 1 or x.ndim == 0:
        raise ShapeError(f"cross_entropy: input must be (N, C) or (N, C, d...); got {x.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1]; got {label_smoothing}"
        )
    if x.ndim == 1:  # unbatched (C,) with a scalar target
        x = x.reshape((1, -1))
        target = target.reshape((1,) + target.shape)
    logp = ag.log_softmax(x, axis=1)
    if target.data.dtype.kind == "f":
        return _soft_ce(logp, target, weight, reduction, label_smoothing)
    return _nll(logp, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy")


def _soft_ce(
    logp: Tensor, target: Tensor, weight: Any, reduction: str, smoothing: float
) -> Tensor:
    _check_reduction(reduction, "cross_entropy")
    if target.shape != logp.shape:
        raise ShapeError(
            f"cross_entropy: class-probability target must have the input's shape "
            f"{logp.shape}; got {target.shape}"
        )
    c = logp.shape[1]
    dt = logp.dtype
    if smoothing:
        target = target * np.asarray(1 - smoothing, dt) + np.asarray(smoothing / c, dt)
    prod = logp * target
    if weight is not None:
        prod = prod * _t(weight).reshape((1, c) + (1,) * (logp.ndim - 2))
    loss = -prod.sum(axis=1)
    return _reduce(loss, reduction, "cross_entropy")


def _nll(
    logp: Tensor,
    target: Tensor,
    weight: Any,
    ignore_index: int,
    reduction: str,
    smoothing: float,
    fn: str,
) -> Tensor:
    _check_reduction(reduction, fn)
    if target.data.dtype.kind not in "iu":
        raise DTypeError(
            f"{fn}: target must hold integer class indices (or, for cross_entropy, class "
            f"probabilities as floats); got {target.data.dtype}"
        )
    if logp.ndim < 2:
        raise ShapeError(f"{fn}: input must be (N, C) or (N, C, d...); got {logp.shape}")
    expected = (logp.shape[0],) + logp.shape[2:]
    if target.shape != expected:
        raise ShapeError(
            f"{fn}: target shape {target.shape} does not match input shape {logp.shape} "
            f"(expected target shape {expected})"
        )
    c = logp.shape[1]
    t = target.data.reshape(-1).astype(np.int64)
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= c))
    if np.any(bad):
        raise IndexError(
            f"{fn}: target {int(t[bad][0])} is out of bounds for {c} classes "
            f"(valid: 0..{c - 1}, or ignore_index={ignore_index})"
        )
    dt = logp.dtype
    rows = _classes_last(logp)
    safe = np.where(keep, t, 0)
    picked = getitem(rows, index=(np.arange(t.size), safe))
    if weight is not None:
        w = _t(weight)
        if w.shape != (c,):
            raise ShapeError(f"{fn}: weight must have shape ({c},); got {w.shape}")
        wt = w.data.astype(dt)[safe] * keep
    else:
        wt = keep.astype(dt)
    wt_t = Tensor(wt.astype(dt))
    loss = -(picked * wt_t)
    if smoothing:
        if weight is not None:
            smooth = -(rows * _t(weight).astype(dt)).sum(axis=1)
        else:
            smooth = -rows.sum(axis=1)
        smooth = smooth * Tensor(keep.astype(dt))
        loss = loss * np.asarray(1 - smoothing, dt) + smooth * np.asarray(smoothing / c, dt)
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    # NOTE: mean divides by the total weight of the non-ignored targets (PyTorch); with
    # every target ignored that is 0/0 = nan, as in PyTorch.
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / np.asarray(wt.sum(), dtype=dt)

from autograd.ops.index import one_hot  # noqa: E402, F401 - torch.nn.functional.one_hot
from autograd.ops.pad import functional_pad as pad  # noqa: E402, F401, F811 - torch F.pad (pad_width= keeps NumPy)
