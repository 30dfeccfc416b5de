"""Tensor factories with NumPy names; floats default to `get_default_dtype()`."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.random import get_generator
from autograd.tensor import Tensor, as_array_like, get_default_dtype


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
) -> Tensor:
    """A new leaf Tensor holding a copy of `data` (floats: default dtype; ndarrays keep theirs)."""
    if isinstance(data, Tensor):
        data = data.data
    arr = np.array(as_array_like(data), copy=True)
    return Tensor(arr, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return Tensor(np.ones(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Tensor of `shape` filled with `fill_value`."""
    shp = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.full(shp, fill_value, _dtype(dtype)), requires_grad=requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `t`."""
    arr = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.zeros_like(arr, dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `t`."""
    arr = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.ones_like(arr, dtype=dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Identity matrix (n, m or n)."""
    return Tensor(np.eye(n, m, dtype=_dtype(dtype)), requires_grad=requires_grad)


def arange(
    start: float, stop: float | None = None, step: float = 1, dtype: Any = None
) -> Tensor:
    """Evenly spaced values (np.arange); floats use the default dtype, ints stay int64."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
        dtype = np.int64
    return Tensor(np.arange(start, stop, step, dtype=_dtype(dtype)))


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from tracegrad's seeded generator."""
    arr = get_generator().random(_shape(shape)).astype(_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from tracegrad's seeded generator."""
    arr = get_generator().standard_normal(_shape(shape)).astype(_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)
