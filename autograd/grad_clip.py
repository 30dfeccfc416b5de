"""Gradient clipping in place: by global norm (`clip_grad_norm_`) and by value."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from autograd import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    out = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Tensors, but parameter {i} is a {type(p).__name__}")
        if p.grad is not None:
            out.append(p)
    return out


def _scale_grad(p: Tensor, new: np.ndarray) -> None:
    g = p.grad
    if g.grad_fn is None and g.data.flags.writeable:
        np.copyto(g.data, new, casting="same_kind")
    else:
        p.grad = Tensor(new.astype(g.data.dtype, copy=False))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so their joint `norm_type`-norm is at most `max_norm`.

    Returns the total norm before clipping (a 0-d Tensor), as PyTorch does. The scale is
    `max_norm / (total_norm + 1e-6)`, capped at 1.

    >>> import autograd as ag
    >>> w = ag.tensor([3.0, 4.0], requires_grad=True); w.grad = ag.tensor([3.0, 4.0])
    >>> float(clip_grad_norm_([w], max_norm=1.0)), w.grad.data.round(3)
    (5.0, array([0.6, 0.8], dtype=float32))
    """
    params = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if math.isnan(max_norm) or max_norm < 0:
        raise ValueError(f"Invalid max_norm: {max_norm}")
    if math.isnan(norm_type) or norm_type <= 0:
        raise ValueError(f"Invalid norm_type: {norm_type} (expected a positive number or inf)")
    if not params:
        return Tensor(np.float32(0.0))
    grads = [p.grad.data for p in params]
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = np.array(
            [np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads], dtype=np.float64
        )
        total = float(np.sum(norms) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    if coef < 1.0 or not math.isfinite(total):
        for p in params:
            _scale_grad(p, p.grad.data * np.asarray(coef, dtype=p.grad.data.dtype))
    return Tensor(np.asarray(total, dtype=params[0].grad.data.dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place.

    >>> import autograd as ag
    >>> w = ag.tensor([0.0, 0.0], requires_grad=True); w.grad = ag.tensor([-3.0, 0.5])
    >>> clip_grad_value_(w, 1.0); w.grad.data.tolist()
    [-1.0, 0.5]
    """
    clip_value = float(clip_value)
    if math.isnan(clip_value) or clip_value < 0:
        raise ValueError(f"Invalid clip_value: {clip_value}")
    for p in _grads(parameters):
        _scale_grad(p, np.clip(p.grad.data, -clip_value, clip_value))
