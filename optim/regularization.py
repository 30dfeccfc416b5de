"""Penalty terms to add to a loss: L1 (sparsity) and L2 (the same as coupled weight decay)."""

from __future__ import annotations

from collections.abc import Iterable

import autograd as ag
from autograd import Tensor


def _params(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise ValueError("penalty got an empty parameter list")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Tensors, but parameter {i} is a {type(p).__name__}")
    return params


def _check_weight(weight: float) -> float:
    w = float(weight)
    if not w >= 0:
        raise ValueError(f"Invalid penalty weight: {weight}")
    return w


def l1_penalty(parameters: Tensor | Iterable[Tensor], weight: float = 1.0) -> Tensor:
    """`weight * sum(|p|)` over all parameters, as a differentiable scalar to add to the loss.

    Its gradient `weight * sign(p)` drives small weights to exactly zero over training.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> float(l1_penalty([w], weight=0.5))
    1.5
    """
    w = _check_weight(weight)
    params = _params(parameters)
    total = ag.sum(ag.abs(params[0]))
    for p in params[1:]:
        total = total + ag.sum(ag.abs(p))
    return total * w


def l2_penalty(parameters: Tensor | Iterable[Tensor], weight: float = 1.0) -> Tensor:
    """`weight / 2 * sum(p**2)`: its gradient `weight * p` equals SGD's `weight_decay=weight`.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> float(l2_penalty([w], weight=0.5))
    1.25
    """
    w = _check_weight(weight)
    params = _params(parameters)
    total = ag.sum(params[0] * params[0])
    for p in params[1:]:
        total = total + ag.sum(p * p)
    return total * (w / 2)
