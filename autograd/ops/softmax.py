"""Softmax and log-softmax along an axis, computed with the max shifted out (stable)."""

from __future__ import annotations

import numpy as np

from autograd.errors import ShapeError
from autograd.ops.elementwise import exp
from autograd.ops.reduce import sum as _sum
from autograd.registry import primitive


def _axis_check(x: np.ndarray, *, axis: int = -1) -> None:
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"softmax: axis {axis} is out of bounds for a tensor of shape {x.shape}")


@primitive("softmax", check=_axis_check, saves=("output",))
def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along `axis`; finite for logits like [1e4, 0, -1e4]."""
    z = x - np.max(x, axis=axis, keepdims=True)
    with np.errstate(under="ignore"):  # exp underflowing to 0 is the right answer
        e = np.exp(z)
        return e / np.sum(e, axis=axis, keepdims=True)


softmax.defvjp(
    lambda g, ans, x, axis=-1: ans * (g - _sum(g * ans, axis=axis, keepdims=True))
)


@primitive("log_softmax", check=_axis_check, saves=("output",))
def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along `axis`; finite even where softmax underflows to 0."""
    z = x - np.max(x, axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


log_softmax.defvjp(
    lambda g, ans, x, axis=-1: g - exp(ans) * _sum(g, axis=axis, keepdims=True)
)


