# ruff: noqa: A002 - `input` is PyTorch's keyword name for these arguments
"""The losses of `nn.functional` (re-exported there), with PyTorch's signatures and argument
order, including the legacy `size_average=` / `reduce=` flags that map onto `reduction=`.

Every loss is composed of differentiable ops in a stable form (logits-based BCE via
softplus, log-softmax cross-entropy, clamped logs), so second order works.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd.compiler.host import host_step
from autograd.errors import ShapeError
from autograd.ops import elementwise as ew
from autograd.ops.shape import getitem
from autograd.registry import primitive
from autograd.tensor import Tensor
from nn.functional import _check_float, _check_reduction, _reduce, _same_shape, _t


def _legacy(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated flags: both unset keeps `reduction`.

    A string in a flag's position is a `reduction` passed positionally (a silent "mean" in
    PyTorch): raise instead.
    """
    for flag in (size_average, reduce):
        if isinstance(flag, str):
            raise TypeError(
                f"reduction {flag!r} was passed positionally into the legacy size_average/"
                f"reduce slot (PyTorch's order); pass reduction={flag!r} by keyword"
            )
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _c(value: float, like: Tensor) -> np.ndarray:
    """A Python number as a 0-d array of `like`'s dtype (keeps float32 float32)."""
    return np.asarray(value, dtype=like.dtype)


def _clamp_min0(z: Tensor) -> Tensor:
    """max(z, 0) with PyTorch's `clamp_min` gradient: 1 at z == 0 (relu's is 0 there)."""
    return ew.where(z.data >= 0, z, 0.0)


def _weighted(loss: Tensor, weight: Any) -> Tensor:
    return loss if weight is None else loss * _t(weight)


# ----------------------------------------------------------------------------- regression


def mse_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean squared error (x - target) ** 2 (times `weight` when given), reduced."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    _same_shape("mse_loss", x, target)
    d = x - target
    return _reduce(_weighted(d * d, weight), reduction, "mse_loss")


def l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean absolute error |x - target| (times `weight` when given), reduced."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    _same_shape("l1_loss", x, target)
    return _reduce(_weighted(ag.abs(x - target), weight), reduction, "l1_loss")


def _piecewise_huber(fn: str, x: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """(d, |d|) for the quadratic-then-linear losses."""
    _same_shape(fn, x, target)
    d = x - target
    return d, ag.abs(d)


def smooth_l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0 is the L1 loss)."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative; got {beta}")
    d, ad = _piecewise_huber("smooth_l1_loss", x, target)
    if beta == 0:
        return _reduce(ad, reduction, "smooth_l1_loss")
    quad = d * d * _c(0.5 / beta, x)
    loss = ew.where(ad.data < beta, quad, ad - _c(0.5 * beta, x))
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(
    input: Any, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (times `weight`), reduced."""
    x, target = _t(input), _t(target)
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive; got {delta}")
    d, ad = _piecewise_huber("huber_loss", x, target)
    lin = (ad - _c(0.5 * delta, x)) * _c(delta, x)
    loss = ew.where(ad.data < delta, d * d * _c(0.5, x), lin)
    return _reduce(_weighted(loss, weight), reduction, "huber_loss")


# ----------------------------------------------------------------------------- probabilistic


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
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs clamp at -100.

    A NaN or out-of-range probability raises (as PyTorch does), never a NaN loss.
    """
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    _check_float("binary_cross_entropy", input=x, target=target)
    _same_shape("binary_cross_entropy", x, target)
    if not np.all((x.data >= 0) & (x.data <= 1)):
        kind = "NaN" if np.isnan(x.data).any() else "out-of-range"
        raise ValueError(
            f"binary_cross_entropy: all elements of input should be between 0 and 1; got "
            f"{kind} values (pass logits to binary_cross_entropy_with_logits instead)"
        )
    one = _c(1.0, x)
    loss = -(target * _log_clamped(x) + (one - target) * _log_clamped(one - x))
    return _reduce(_weighted(loss, weight), reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid + BCE in one stable expression: (1 - t) x + (1 + (pw - 1) t) softplus(-x)."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    _check_float("binary_cross_entropy_with_logits", input=x, target=target)
    _same_shape("binary_cross_entropy_with_logits", x, target)
    one = _c(1.0, x)
    if pos_weight is None:
        loss = ag.softplus(x) - target * x
    else:
        coef = one + (_t(pos_weight) - one) * target
        loss = (one - target) * x + coef * ag.softplus(-x)
    return _reduce(_weighted(loss, weight), reduction, "binary_cross_entropy_with_logits")


def kl_div(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Pointwise KL divergence t (log t - x) of log-probabilities `input` from `target`
    (0 where t = 0); `log_target=True` takes log-probabilities as target. "batchmean"
    divides the sum by the batch size (the true KL divergence); "mean" by the element count."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    if reduction != "batchmean":
        _check_reduction(reduction, "kl_div")
    _check_float("kl_div", input=x, target=target)
    _same_shape("kl_div", x, target)
    if log_target:
        loss = ag.exp(target) * (target - x)
    else:
        pos = target.data > 0
        safe = ew.where(pos, target, 1.0)
        loss = target * ag.log(safe) - target * x
    if reduction == "batchmean":
        total = loss.sum()
        return total / _c(x.shape[0], x) if x.ndim else total
    return _reduce(loss, reduction, "kl_div")


def poisson_nll_loss(
    input: Any,
    target: Any,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood: exp(x) - t x for log-rates (`log_input`), else
    x - t log(x + eps); `full` adds Stirling's t log t - t + 0.5 log(2 pi t) where t > 1."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "poisson_nll_loss")
    _same_shape("poisson_nll_loss", x, target)
    if log_input:
        loss = ag.exp(x) - target * x
    else:
        loss = x - target * ag.log(x + _c(eps, x))
    if full:
        t = target.data
        big = t > 1
        st = np.where(big, t, 1.0)
        stirling = np.where(big, st * np.log(st) - st + 0.5 * np.log(2 * math.pi * st), 0.0)
        loss = loss + Tensor(stirling.astype(x.dtype))
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(
    input: Any,
    target: Any,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log var + (x - t)^2 / var) (+ 0.5 log 2 pi when
    `full`), var clamped below at `eps` (the clamp passes the gradient through, as PyTorch).

    `var` has the input's shape, or lacks its last dim / has 1 there (one variance per
    sample), or is a number.
    """
    x, target = _t(input), _t(target)
    _check_reduction(reduction, "gaussian_nll_loss")
    _same_shape("gaussian_nll_loss", x, target)
    v = Tensor(np.full(x.shape, var, dtype=x.dtype)) if isinstance(var, (int, float)) else _t(var)
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            v = v.reshape(v.shape + (1,))
        elif not (x.shape[:-1] == v.shape[:-1] and v.shape[-1:] == (1,)):
            raise ShapeError(
                f"gaussian_nll_loss: var of shape {v.shape} does not fit input {x.shape} "
                "(same shape, or one variance per sample)"
            )
    if np.any(v.data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    v = v + Tensor((np.maximum(v.data, eps) - v.data).astype(v.dtype))
    d = x - target
    loss = (ag.log(v) + d * d / v) * _c(0.5, x)
    if full:
        loss = loss + _c(0.5 * math.log(2 * math.pi), x)
    return _reduce(loss, reduction, "gaussian_nll_loss")


# ----------------------------------------------------------------------------- classification


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) unchanged."""
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.transpose(perm).reshape((-1, x.shape[1]))


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of integer targets under log-probabilities (N, C, d...)."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    if x.ndim == 1:  # unbatched (C,) with a scalar target
        x, target = x.reshape((1, -1)), target.reshape((1,) + target.shape)
        return _nll(x, target, weight, ignore_index, reduction, 0.0, "nll_loss").reshape(())
    return _nll(x, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from logits (N, C) or (N, C, d...), PyTorch's semantics.

    `target` holds class indices (N,) / (N, d...) (entries equal to `ignore_index` are
    skipped) or class probabilities of the input's shape. `weight` (C,) rescales classes;
    `label_smoothing` mixes the target with the uniform distribution.
    """
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_float("cross_entropy", input=x)
    if x.ndim == 0:
        raise ShapeError(
            f"cross_entropy: input must be (C,), (N, C) or (N, C, d...); got {x.shape}"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1]; got {label_smoothing}"
        )
    unbatched = x.ndim == 1
    if unbatched:  # (C,) with a scalar target or a (C,) probability target
        x = x.reshape((1, -1))
        target = target.reshape((1,) + target.shape)
    logp = ag.log_softmax(x, axis=1)
    if target.data.dtype.kind == "f":
        loss = _soft_ce(logp, target, weight, reduction, label_smoothing)
    else:
        loss = _nll(logp, target, weight, ignore_index, reduction, label_smoothing,
                    "cross_entropy")
    return loss.reshape(()) if unbatched and reduction == "none" else loss


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
        raise ag.DTypeError(
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
    dt = logp.dtype
    if weight is not None and _t(weight).shape != (c,):
        raise ShapeError(f"{fn}: weight must have shape ({c},); got {_t(weight).shape}")
    rows = _classes_last(logp)
    safe, wt, keep, total = _nll_targets(target, weight, c, ignore_index, dt, fn)
    picked = getitem(rows, index=(np.arange(safe.size), safe))
    loss = -(picked * Tensor(wt))
    if smoothing:
        if weight is not None:
            smooth = -(rows * _t(weight).astype(dt)).sum(axis=1)
        else:
            smooth = -rows.sum(axis=1)
        smooth = smooth * Tensor(keep)
        loss = loss * np.asarray(1 - smoothing, dt) + smooth * np.asarray(smoothing / c, dt)
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    # NOTE: mean divides by the total weight of the non-ignored targets (PyTorch); with
    # every target ignored that is 0/0 = nan, as in PyTorch.
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / Tensor(total)


@host_step  # NumPy on the targets: ag.compile reruns it on each call's targets
def _nll_targets(
    target: Tensor, weight: Any, c: int, ignore_index: int, dt: np.dtype, fn: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Class indices (0 where ignored), per-sample weights, the kept mask and their total."""
    t = target.data.reshape(-1).astype(np.int64)
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= c))
    if np.any(bad):
        raise IndexError(
            f"{fn}: target {int(t[bad][0])} is out of bounds for {c} classes "
            f"(valid: 0..{c - 1}, or ignore_index={ignore_index})"
        )
    safe = np.where(keep, t, 0)
    if weight is not None:
        wt = (_t(weight).data.astype(dt)[safe] * keep).astype(dt)
    else:
        wt = keep.astype(dt)
    return safe, wt, keep.astype(dt), np.asarray(wt.sum(), dtype=dt)


def multilabel_soft_margin_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss averaged over the C classes of (N, C) logits."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "multilabel_soft_margin_loss")
    _same_shape("multilabel_soft_margin_loss", x, target)
    one = _c(1.0, x)
    loss = target * ag.softplus(-x) + (one - target) * ag.softplus(x)
    loss = _weighted(loss, weight)
    c = x.shape[-1] if x.ndim else 1
    loss = loss.sum(axis=-1) / _c(c, x) if x.ndim else loss
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def multi_margin_loss(
    input: Any,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: sum over i != y of max(0, margin - x_y + x_i)^p / C (p = 1 or 2),
    times weight[y] when given."""
    x, target = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported; got {p}")
    unbatched = x.ndim == 1
    if unbatched:
        x, target = x.reshape((1, -1)), target.reshape((1,))
    if x.ndim != 2 or target.shape != (x.shape[0],):
        raise ShapeError(
            f"multi_margin_loss: expected input (N, C) and target (N,); got {x.shape} and "
            f"{target.shape}"
        )
    n, c = x.shape
    t = target.data.astype(np.int64)
    if np.any((t < 0) | (t >= c)):
        raise IndexError(f"multi_margin_loss: target out of bounds for {c} classes")
    picked = getitem(x, index=(np.arange(n), t)).reshape((n, 1))
    hinge = ag.relu(x - picked + _c(margin, x))
    if p == 2:
        hinge = hinge * hinge
    others = np.ones((n, c), dtype=x.dtype)
    others[np.arange(n), t] = 0
    if weight is not None:
        others = others * _t(weight).data.astype(x.dtype)[t][:, None]
    loss = (hinge * Tensor(others)).sum(axis=1) / _c(c, x)
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multi_margin_loss")


# ----------------------------------------------------------------------------- embeddings, margins


def margin_ranking_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin) for targets y in {1, -1}."""
    x1, x2, y = _t(input1), _t(input2), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "margin_ranking_loss")
    if not x1.shape == x2.shape == y.shape:
        raise ShapeError(
            f"margin_ranking_loss: input1 {x1.shape}, input2 {x2.shape} and target {y.shape} "
            "must have the same shape"
        )
    loss = _clamp_min0(-y * (x1 - x2) + _c(margin, x1))
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(
    input: Any,
    target: Any,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x usually a distance)."""
    x, y = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "hinge_embedding_loss")
    _same_shape("hinge_embedding_loss", x, y)
    margin_part = ew.where(y.data != 1, _clamp_min0(_c(margin, x) - x), 0.0)
    self_part = ew.where(y.data != -1, x, 0.0)
    return _reduce(margin_part + self_part, reduction, "hinge_embedding_loss")


def soft_margin_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss log(1 + exp(-y x)) for targets y in {1, -1} (stable)."""
    x, y = _t(input), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "soft_margin_loss")
    _same_shape("soft_margin_loss", x, y)
    return _reduce(ag.softplus(-y * x), reduction, "soft_margin_loss")


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along `dim` (broadcast): each side divided by
    its norm clamped below at `eps`, as PyTorch."""
    x1, x2 = _t(x1), _t(x2)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ShapeError(
            f"cosine_similarity: shapes {x1.shape} and {x2.shape} do not broadcast"
        ) from None
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(
            f"cosine_similarity: dim {dim} is out of range for tensors of rank {len(shape)}"
        )
    x1, x2 = ag.broadcast_to(x1, shape), ag.broadcast_to(x2, shape)
    e = _c(eps, x1)
    n1 = ag.maximum(ag.norm(x1, axis=dim, keepdims=True), e)
    n2 = ag.maximum(ag.norm(x2, axis=dim, keepdims=True), e)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def pairwise_distance(
    x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """p-norm of x1 - x2 + eps along the last dim (PyTorch's formula, eps inside)."""
    x1, x2 = _t(x1), _t(x2)
    d = x1 - x2 + _c(eps, x1 if x1.data.dtype.kind == "f" else x2)
    if d.ndim == 0:
        d = d.reshape((1,))
    if p == 2:
        return ag.norm(d, axis=-1, keepdims=keepdim)
    a = ag.abs(d)
    if math.isinf(p):
        return ag.max(a, axis=-1, keepdims=keepdim)
    if p <= 0:
        raise ValueError(f"pairwise_distance: p must be positive; got {p}")
    if p == 1:
        return a.sum(axis=-1, keepdims=keepdim)
    return (a ** _c(p, d)).sum(axis=-1, keepdims=keepdim) ** _c(1.0 / p, d)


def cosine_embedding_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (cos along
    the last dim, PyTorch's 1e-12 guard on the squared norms)."""
    x1, x2, y = _t(input1), _t(input2), _t(target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "cosine_embedding_loss")
    if x1.shape != x2.shape or x1.ndim not in (1, 2) or y.shape != x1.shape[:-1]:
        raise ShapeError(
            f"cosine_embedding_loss: expected input1 and input2 of shape (N, D) or (D,) and "
            f"target (N,) or (); got {x1.shape}, {x2.shape} and {y.shape}"
        )
    tiny = _c(1e-12, x1)
    prod = (x1 * x2).sum(axis=-1)
    m1 = (x1 * x1).sum(axis=-1) + tiny
    m2 = (x2 * x2).sum(axis=-1) + tiny
    cos = prod / ag.sqrt(m1 * m2)
    pos = ew.where(y.data == 1, _c(1.0, x1) - cos, 0.0)
    neg = ew.where(y.data == -1, _clamp_min0(cos - _c(margin, x1)), 0.0)
    return _reduce(pos + neg, reduction, "cosine_embedding_loss")


def triplet_margin_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, pos) - d(a, neg)) with `pairwise_distance`; `swap` uses the
    smaller of d(a, neg) and d(pos, neg)."""
    a, pos, neg = _t(anchor), _t(positive), _t(negative)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "triplet_margin_loss")
    if not a.shape == pos.shape == neg.shape or a.ndim not in (1, 2):
        raise ShapeError(
            f"triplet_margin_loss: anchor {a.shape}, positive {pos.shape} and negative "
            f"{neg.shape} must share one shape (N, D) or (D,)"
        )
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0; got {margin}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = ag.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    loss = _clamp_min0(_c(margin, a) + d_pos - d_neg)
    if a.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "triplet_margin_loss")
