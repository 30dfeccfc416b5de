# ruff: noqa: A002 - `input` is PyTorch's keyword name for these arguments
"""The regression losses of `nn.functional` (squared, absolute, Huber) and the likelihoods
of continuous and count targets (KL divergence, Poisson, Gaussian), PyTorch's signatures."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import ShapeError
from autograd.ops import elementwise as ew
from autograd.tensor import Tensor
from nn._functional.common import as_tensor
from nn._functional.loss import REDUCTIONS, const, loss_args, reduce_loss, weighted


def mse_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean squared error (x - target) ** 2 (times `weight` when given), reduced."""
    x, target, reduction = loss_args("mse_loss", (input, target), reduction, size_average,
                                     reduce)
    d = x - target
    return reduce_loss(weighted(d * d, weight), reduction)


def l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean absolute error |x - target| (times `weight` when given), reduced."""
    x, target, reduction = loss_args("l1_loss", (input, target), reduction, size_average,
                                     reduce)
    return reduce_loss(weighted(ag.abs(x - target), weight), reduction)


def smooth_l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0 is the L1 loss)."""
    x, target, reduction = loss_args("smooth_l1_loss", (input, target), reduction,
                                     size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative; got {beta}")
    d = x - target
    ad = ag.abs(d)
    if beta == 0:
        return reduce_loss(ad, reduction)
    quad = d * d * const(0.5 / beta, x)
    return reduce_loss(ew.where(ad.data < beta, quad, ad - const(0.5 * beta, x)), reduction)


def huber_loss(
    input: Any, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (times `weight`), reduced."""
    x, target, reduction = loss_args("huber_loss", (input, target), reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive; got {delta}")
    d = x - target
    ad = ag.abs(d)
    lin = (ad - const(0.5 * delta, x)) * const(delta, x)
    loss = ew.where(ad.data < delta, d * d * const(0.5, x), lin)
    return reduce_loss(weighted(loss, weight), reduction)


# ----------------------------------------------------------------------------- likelihoods


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
    x, target, reduction = loss_args("kl_div", (input, target), reduction, size_average,
                                     reduce, floats=True, allowed=REDUCTIONS + ("batchmean",))
    if log_target:
        loss = ag.exp(target) * (target - x)
    else:
        pos = target.data > 0
        safe = ew.where(pos, target, 1.0)
        loss = target * ag.log(safe) - target * x
    if reduction == "batchmean":
        total = loss.sum()
        return total / const(x.shape[0], x) if x.ndim else total
    return reduce_loss(loss, reduction)


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
    x, target, reduction = loss_args("poisson_nll_loss", (input, target), reduction,
                                     size_average, reduce)
    if log_input:
        loss = ag.exp(x) - target * x
    else:
        loss = x - target * ag.log(x + const(eps, x))
    if full:
        t = target.data
        big = t > 1
        st = np.where(big, t, 1.0)
        stirling = np.where(big, st * np.log(st) - st + 0.5 * np.log(2 * math.pi * st), 0.0)
        loss = loss + Tensor(stirling.astype(x.dtype))
    return reduce_loss(loss, reduction)


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
    x, target, reduction = loss_args("gaussian_nll_loss", (input, target), reduction)
    if isinstance(var, (int, float)):
        v = Tensor(np.full(x.shape, var, dtype=x.dtype))
    else:
        v = as_tensor(var)
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
    loss = (ag.log(v) + d * d / v) * const(0.5, x)
    if full:
        loss = loss + const(0.5 * math.log(2 * math.pi), x)
    return reduce_loss(loss, reduction)
