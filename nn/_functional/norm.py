"""`layer_norm`, `group_norm` and `instance_norm`: normalization over per-sample axes,
composed from recorded ops (mean of the centered square, so no catastrophic cancellation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import ShapeError
from autograd.tensor import Tensor
from nn._functional.common import as_tensor


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered / ag.sqrt(var + np.asarray(eps, dtype=x.dtype))


def layer_norm(
    x: Any,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing `normalized_shape` dims, then scale and shift elementwise."""
    x = as_tensor(x)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ShapeError(
            f"layer_norm: normalized_shape {list(shape)} must match the trailing dims of the "
            f"input; got input shape {tuple(x.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"layer_norm: {name} has shape {t.shape}; expected {shape}")
    out = _normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(
    x: Any,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize (N, C, ...) over each group of C/num_groups channels and the spatial dims."""
    x = as_tensor(x)
    if x.ndim < 2 or num_groups < 1 or x.shape[1] % num_groups:
        raise ShapeError(
            f"group_norm: expected (N, C, ...) with C divisible by num_groups={num_groups}; "
            f"got input shape {tuple(x.shape)}"
        )
    n, c = x.shape[:2]
    grouped = x.reshape((n, num_groups, -1))
    out = _normalize(grouped, (2,), eps).reshape(x.shape)
    return _affine("group_norm", out, weight, bias)


def _affine(fn: str, out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    c = out.shape[1]
    bshape = (1, c) + (1,) * (out.ndim - 2)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"{fn}: {name} has shape {t.shape}; expected ({c},)")
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def instance_norm(
    x: Any,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize (N, C, ...) per sample and channel over the spatial dims.

    With `use_input_stats` the running stats (when given) are updated in place with the
    batch average of the per-instance mean and unbiased variance, as PyTorch does; without
    it the running stats normalize.
    """
    x = as_tensor(x)
    if x.ndim < 3:
        raise ShapeError(
            f"instance_norm: expected (N, C, L) or (N, C, H, W); got shape {tuple(x.shape)}"
        )
    c = x.shape[1]
    axes = tuple(range(2, x.ndim))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    if use_input_stats:
        out = _normalize(x, axes, eps)
        if running_mean is not None and running_var is not None:
            m = int(np.prod(x.shape[2:]))
            data = x.data
            mean = data.mean(axis=axes)
            var = data.var(axis=axes) * (m / max(m - 1, 1))
            k = np.asarray(momentum, dtype=running_mean.dtype)
            with ag.no_grad():
                running_mean.copy_((1 - k) * running_mean.data + k * mean.mean(axis=0))
                running_var.copy_((1 - k) * running_var.data + k * var.mean(axis=0))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        mean = running_mean.data.reshape(bshape).astype(x.dtype, copy=False)
        var = running_var.data.reshape(bshape).astype(x.dtype, copy=False)
        out = (x - Tensor(mean)) / Tensor(np.sqrt(var + eps))
    return _affine("instance_norm", out, weight, bias)
