# ruff: noqa: A002 - `input` is PyTorch's keyword name for these arguments
"""The margin and ranking losses of `nn.functional` (margin ranking, hinge embedding, soft
margin, cosine embedding, triplet) and the similarities they are built on (cosine
similarity, pairwise distance); PyTorch's signatures."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import ShapeError
from autograd.ops import elementwise as ew
from autograd.tensor import Tensor
from nn._functional.common import as_tensor
from nn._functional.loss import clamp_min0, const, loss_args, reduce_loss


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
    x1, x2, y, reduction = loss_args("margin_ranking_loss", (input1, input2, target),
                                     reduction, size_average, reduce, same_shape=False)
    if not x1.shape == x2.shape == y.shape:
        raise ShapeError(
            f"margin_ranking_loss: input1 {x1.shape}, input2 {x2.shape} and target {y.shape} "
            "must have the same shape"
        )
    return reduce_loss(clamp_min0(-y * (x1 - x2) + const(margin, x1)), reduction)


def hinge_embedding_loss(
    input: Any,
    target: Any,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x usually a distance)."""
    x, y, reduction = loss_args("hinge_embedding_loss", (input, target), reduction,
                                size_average, reduce)
    margin_part = ew.where(y.data != 1, clamp_min0(const(margin, x) - x), 0.0)
    self_part = ew.where(y.data != -1, x, 0.0)
    return reduce_loss(margin_part + self_part, reduction)


def soft_margin_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss log(1 + exp(-y x)) for targets y in {1, -1} (stable)."""
    x, y, reduction = loss_args("soft_margin_loss", (input, target), reduction, size_average,
                                reduce)
    return reduce_loss(ag.softplus(-y * x), reduction)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along `dim` (broadcast): each side divided by
    its norm clamped below at `eps`, as PyTorch."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
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
    e = const(eps, x1)
    n1 = ag.maximum(ag.norm(x1, axis=dim, keepdims=True), e)
    n2 = ag.maximum(ag.norm(x2, axis=dim, keepdims=True), e)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def pairwise_distance(
    x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """p-norm of x1 - x2 + eps along the last dim (PyTorch's formula, eps inside)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    d = x1 - x2 + const(eps, x1 if x1.data.dtype.kind == "f" else x2)
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
    return (a ** const(p, d)).sum(axis=-1, keepdims=keepdim) ** const(1.0 / p, d)


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
    x1, x2, y, reduction = loss_args("cosine_embedding_loss", (input1, input2, target),
                                     reduction, size_average, reduce, same_shape=False)
    if x1.shape != x2.shape or x1.ndim not in (1, 2) or y.shape != x1.shape[:-1]:
        raise ShapeError(
            f"cosine_embedding_loss: expected input1 and input2 of shape (N, D) or (D,) and "
            f"target (N,) or (); got {x1.shape}, {x2.shape} and {y.shape}"
        )
    tiny = const(1e-12, x1)
    prod = (x1 * x2).sum(axis=-1)
    m1 = (x1 * x1).sum(axis=-1) + tiny
    m2 = (x2 * x2).sum(axis=-1) + tiny
    cos = prod / ag.sqrt(m1 * m2)
    pos = ew.where(y.data == 1, const(1.0, x1) - cos, 0.0)
    neg = ew.where(y.data == -1, clamp_min0(cos - const(margin, x1)), 0.0)
    return reduce_loss(pos + neg, reduction)


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
    a, pos, neg, reduction = loss_args("triplet_margin_loss", (anchor, positive, negative),
                                       reduction, size_average, reduce, same_shape=False)
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
    loss = clamp_min0(const(margin, a) + d_pos - d_neg)
    if a.ndim == 1:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)
