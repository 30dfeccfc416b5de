"""Argument helpers shared by the layer functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.tensor import Tensor


def as_tensor(x: Any) -> Tensor:
    """`x` itself when it is a Tensor, else a new constant Tensor."""
    return x if isinstance(x, Tensor) else Tensor(x)


def ntuple(value: Any, n: int, fn: str, name: str) -> tuple[int, ...]:
    """An int or a sequence of `n` ints as an n-tuple; anything else raises ValueError."""
    out = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(out) != n or not all(isinstance(v, (int, np.integer)) for v in out):
        raise ValueError(f"{fn}: {name} must be an int or {n} ints; got {value!r}")
    return tuple(int(v) for v in out)


def check_ndim(fn: str, x: Tensor, ndims: Sequence[int], layout: str) -> None:
    """ShapeError naming `fn` unless x.ndim is one of `ndims`."""
    if x.ndim not in ndims:
        raise ShapeError(f"{fn}: expected a {layout} input; got shape {tuple(x.shape)}")

