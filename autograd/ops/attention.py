"""Scaled dot-product attention (PyTorch's math definition), built from matmul, where,
softmax and a dropout mask from the seeded generator, so it differentiates to any order."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.compiler.host import host_step
from autograd.errors import DTypeError, ShapeError
from autograd.ops import elementwise as ew
from autograd.ops.linalg import matmul
from autograd.ops.shape import broadcast_to
from autograd.ops.softmax import softmax
from autograd.random import get_generator
from autograd.tensor import Tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _swap_last(t: Tensor) -> Tensor:
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


def _repeat_heads(t: Tensor, groups: int) -> Tensor:
    """(..., Hkv, S, E) -> (..., Hkv * groups, S, E), each head repeated `groups` times."""
    lead, (h, s, e) = t.shape[:-3], t.shape[-3:]
    t = t.reshape(lead + (h, 1, s, e))
    return broadcast_to(t, shape=lead + (h, groups, s, e)).reshape(lead + (h * groups, s, e))


def _check(q: Tensor, k: Tensor, v: Tensor, enable_gqa: bool) -> None:
    fn = "scaled_dot_product_attention"
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise ShapeError(f"{fn}: {name} must be at least 2-D (..., L, E); got {t.shape}")
        if t.data.dtype.kind != "f":
            raise DTypeError(f"{fn}: {name} must be floating; got {t.data.dtype}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(
            f"{fn}: query {q.shape}, key {k.shape} and value {v.shape} must share the embedding "
            "size (query and key, last dim) and the source length (key and value, dim -2)"
        )
    if enable_gqa and (q.ndim < 3 or k.shape[-3] == 0 or q.shape[-3] % k.shape[-3]
                       or k.shape[-3] != v.shape[-3]):
        raise ShapeError(f"{fn}: with enable_gqa the query heads (dim -3 of {q.shape}) must "
                         f"be a multiple of the key/value heads ({k.shape}, {v.shape})")


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v for query (..., L, E), key (..., S, E), value (..., S, Ev).

    `attn_mask` is a bool mask (True = attend) or an additive float mask broadcastable to
    (..., L, S); `is_causal` masks the strict upper triangle. Rows where every position is
    masked give zeros (as PyTorch's math kernel). Dropout masks come from ag.get_generator().
    """
    q, k, v = _t(query), _t(key), _t(value)
    _check(q, k, v, enable_gqa)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1]; "
                         f"got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal, "
                         "not both (as PyTorch)")
    if enable_gqa and k.shape[-3] != q.shape[-3]:
        groups = q.shape[-3] // k.shape[-3]
        k, v = _repeat_heads(k, groups), _repeat_heads(v, groups)
    dt = q.data.dtype
    big_l, big_s = q.shape[-2], k.shape[-2]
    factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = matmul(q, _swap_last(k)) * np.asarray(factor, dtype=dt)
    if is_causal:
        scores = ew.where(np.tril(np.ones((big_l, big_s), dtype=bool)), scores, -np.inf)
    if attn_mask is not None:
        mask = _t(attn_mask)
        if mask.data.dtype == bool:
            scores = ew.where(mask.data, scores, -np.inf)
        else:
            scores = scores + mask.astype(dt)
    dead = np.all(scores.data == -np.inf, axis=-1, keepdims=True)
    if dead.any():  # fully masked rows: softmax of finite zeros, then zeroed (no NaN)
        scores = ew.where(dead, 0.0, scores)
    weights = softmax(scores, axis=-1)
    if dead.any():
        weights = ew.where(dead, 0.0, weights)
    if dropout_p > 0.0:
        if dropout_p == 1.0:
            weights = weights * np.zeros((), dtype=dt)
        else:
            weights = weights * _dropout_mask(weights.shape, dropout_p, dt)
    return matmul(weights, v)


@host_step  # drawn afresh on every ag.compile replay
def _dropout_mask(shape: tuple[int, ...], p: float, dt: np.dtype) -> Tensor:
    """Attention dropout's mask: 0 with probability p, else 1/(1-p)."""
    keep = get_generator().random(shape) >= p
    return Tensor((keep / (1.0 - p)).astype(dt))
