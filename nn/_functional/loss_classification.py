# ruff: noqa: A002 - `input` is PyTorch's keyword name for these arguments
"""The classification losses of `nn.functional`: binary cross-entropy (on probabilities and
on logits), negative log-likelihood and softmax cross-entropy, multi-label and multi-class
margins; PyTorch's signatures, stable forms (softplus, log-softmax, clamped logs)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd.compiler.host import host_step
from autograd.errors import ShapeError
from autograd.kernels import rows as row_kernels
from autograd.ops import elementwise as ew
from autograd.ops.select import pick
from autograd.ops.shape import getitem
from autograd.registry import primitive
from autograd.tensor import Tensor
from nn._functional.common import as_tensor
from nn._functional.loss import check_float, const, loss_args, reduce_loss, weighted


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
    x, target, reduction = loss_args("binary_cross_entropy", (input, target), reduction,
                                     size_average, reduce, floats=True)
    if not np.all((x.data >= 0) & (x.data <= 1)):
        kind = "NaN" if np.isnan(x.data).any() else "out-of-range"
        raise ValueError(
            f"binary_cross_entropy: all elements of input should be between 0 and 1; got "
            f"{kind} values (pass logits to binary_cross_entropy_with_logits instead)"
        )
    one = const(1.0, x)
    loss = -(target * _log_clamped(x) + (one - target) * _log_clamped(one - x))
    return reduce_loss(weighted(loss, weight), reduction)


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
    x, target, reduction = loss_args("binary_cross_entropy_with_logits", (input, target),
                                     reduction, size_average, reduce, floats=True)
    one = const(1.0, x)
    if pos_weight is None:
        loss = ag.softplus(x) - target * x
    else:
        coef = one + (as_tensor(pos_weight) - one) * target
        loss = (one - target) * x + coef * ag.softplus(-x)
    return reduce_loss(weighted(loss, weight), reduction)


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
    x, target, reduction = loss_args("nll_loss", (input, target), reduction, size_average,
                                     reduce, same_shape=False)
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
    x, target, reduction = loss_args("cross_entropy", (input, target), reduction,
                                     size_average, reduce, same_shape=False)
    check_float("cross_entropy", input=x)
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
        prod = prod * as_tensor(weight).reshape((1, c) + (1,) * (logp.ndim - 2))
    return reduce_loss(-prod.sum(axis=1), reduction)


def _nll(
    logp: Tensor,
    target: Tensor,
    weight: Any,
    ignore_index: int,
    reduction: str,
    smoothing: float,
    fn: str,
) -> Tensor:
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
    if weight is not None and as_tensor(weight).shape != (c,):
        raise ShapeError(f"{fn}: weight must have shape ({c},); got {as_tensor(weight).shape}")
    rows = _classes_last(logp)
    safe, wt, keep, total = _nll_targets(target, weight, c, ignore_index, dt, fn, _Arrays())
    picked = pick(rows, index=safe)
    loss = -(picked * Tensor(wt))
    if smoothing:
        if weight is not None:
            smooth = -(rows * as_tensor(weight).astype(dt)).sum(axis=1)
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


class _Arrays:
    """What one `_nll` call's host step writes: fresh arrays on its first run (the eager call,
    whose graph keeps them), then one set reused by every later run (ag.compile's replays of
    that step). Each call makes its own, so two losses in one step never share arrays."""

    __slots__ = ("runs", "arrays")

    def __init__(self) -> None:
        self.runs = 0
        self.arrays: tuple[np.ndarray, ...] | None = None

    def get(self, n: int, dt: np.dtype) -> tuple[np.ndarray, ...]:
        """(safe, wt, keep, total as (1,), total as ()) for n targets of dtype dt."""
        arrays = self.arrays
        if arrays is None or arrays[0].shape[0] != n or arrays[1].dtype != dt:
            total = np.empty(1, dt)
            arrays = (np.empty(n, np.int64), np.empty(n, dt), np.empty(n, dt), total,
                      total.reshape(()))
            if self.runs:  # (the first run's arrays stay with the eager graph)
                self.arrays = arrays
        self.runs += 1
        return arrays


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@host_step  # ag.compile reruns it on each call's targets
def _nll_targets(
    target: Tensor, weight: Any, c: int, ignore_index: int, dt: np.dtype, fn: str,
    arrays: _Arrays,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Class indices (0 where ignored), per-sample weights, the kept mask and their total,
    from one kernel call (float64 for a dtype the kernel lacks, then cast)."""
    t = target.data.reshape(-1)
    if t.dtype != np.int64 or not t.flags.c_contiguous:
        t = np.ascontiguousarray(t, dtype=np.int64)
    work = dt if dt in _KERNEL_DTYPES else np.dtype(np.float64)
    w = None
    if weight is not None:
        w = np.ascontiguousarray(as_tensor(weight).data.astype(dt, copy=False), dtype=work)
    safe, wt, keep, total1, total = arrays.get(t.shape[0], work)
    bad = row_kernels.nll_targets(t, w, c, ignore_index, safe, wt, keep, total1)
    if bad >= 0:
        raise IndexError(
            f"{fn}: target {int(t[bad])} is out of bounds for {c} classes "
            f"(valid: 0..{c - 1}, or ignore_index={ignore_index})"
        )
    if work != dt:
        return safe, wt.astype(dt), keep.astype(dt), total.astype(dt)
    return safe, wt, keep, total


def multilabel_soft_margin_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss averaged over the C classes of (N, C) logits."""
    x, target, reduction = loss_args("multilabel_soft_margin_loss", (input, target),
                                     reduction, size_average, reduce)
    one = const(1.0, x)
    loss = weighted(target * ag.softplus(-x) + (one - target) * ag.softplus(x), weight)
    c = x.shape[-1] if x.ndim else 1
    loss = loss.sum(axis=-1) / const(c, x) if x.ndim else loss
    return reduce_loss(loss, reduction)


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
    x, target, reduction = loss_args("multi_margin_loss", (input, target), reduction,
                                     size_average, reduce, same_shape=False)
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
    hinge = ag.relu(x - picked + const(margin, x))
    if p == 2:
        hinge = hinge * hinge
    others = np.ones((n, c), dtype=x.dtype)
    others[np.arange(n), t] = 0
    if weight is not None:
        others = others * as_tensor(weight).data.astype(x.dtype)[t][:, None]
    loss = (hinge * Tensor(others)).sum(axis=1) / const(c, x)
    if unbatched:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)
