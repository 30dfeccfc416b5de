"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode (PyTorch's signatures).

Indices come from a stable sort, so ties keep their original order (a valid answer for
PyTorch's unstable sort, and exactly `stable=True`). Values are picked by those indices,
so the gradient goes to exactly the selected elements, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.aliases import torch_names
from autograd.ops import return_types
from autograd.ops.elementwise import identity
from autograd.ops.reduce import _as_tensor, _extreme_vjp, normalize_axis, values_indices
from autograd.ops.select import select_along
from autograd.registry import primitive
from autograd.tensor import Tensor


def _sorted_index(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along `axis`; descending keeps equal elements in their original order."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = np.flip(x, axis=axis)
    return n - 1 - np.flip(np.argsort(rev, axis=axis, kind="stable"), axis=axis)


def _dim(x: Tensor, dim: int, op: str) -> int | None:
    """The non-negative dim, or None for a 0-d tensor (dim 0 or -1)."""
    axes = normalize_axis(dim, x.ndim, op)
    return axes[0] if axes else None


def _zero_index() -> Tensor:
    return Tensor(np.zeros((), dtype=np.int64))


@torch_names
def sort(input: Any, dim: int = -1, descending: bool = False, *,  # noqa: A002
         stable: bool = False) -> Any:
    """(values, indices) sorted along `dim` (torch.sort); NaN sorts as the largest value."""
    x = _as_tensor(input)
    a = _dim(x, dim, "sort")
    if a is None:
        return return_types.sort(identity(x), _zero_index())
    idx = _sorted_index(x.data, a, descending)
    return return_types.sort(select_along(x, index=idx, axis=a), Tensor(idx))


@torch_names
def argsort(input: Any, dim: int = -1, descending: bool = False, *,  # noqa: A002
            stable: bool = False) -> Tensor:
    """Indices that sort `dim` (torch.argsort; NumPy's argsort(axis=-1) for ascending)."""
    x = _as_tensor(input)
    a = _dim(x, dim, "argsort")
    return _zero_index() if a is None else Tensor(_sorted_index(x.data, a, descending))


def msort(input: Any) -> Any:  # noqa: A002
    """Values sorted along dim 0 (torch.msort)."""
    return sort(input, 0).values


@torch_names
def topk(input: Any, k: int, dim: int = -1, largest: bool = True,  # noqa: A002
         sorted: bool = True) -> Any:  # noqa: A002
    """The k largest (or smallest) along `dim` with their indices (torch.topk)."""
    x = _as_tensor(input)
    a = _dim(x, dim, "topk")
    n = 1 if a is None else x.shape[a]
    if not 0 <= k <= n:
        raise IndexError(f"topk: k ({k}) is out of range for dimension of size {n} "
                         f"(shape {x.shape}, dim {dim})")
    if a is None:
        return return_types.topk(identity(x), _zero_index())
    idx = np.take(_sorted_index(x.data, a, largest), np.arange(k), axis=a)
    return return_types.topk(select_along(x, index=idx, axis=a), Tensor(idx))


def _pick(kind: Any, x: Tensor, a: int | None, pos: np.ndarray, order: np.ndarray,
          keepdim: bool) -> Any:
    """(values, indices) of `x` at positions `pos` of the sorted `order` along `a`."""
    if a is None:
        return kind(identity(x), _zero_index())
    idx = np.take_along_axis(order, pos, axis=a)
    values = values_indices(x, idx, a, keepdim)
    return kind(values, Tensor(idx if keepdim else np.squeeze(idx, axis=a)))


def _nonempty(x: Tensor, a: int | None, op: str) -> None:
    if a is not None and x.shape[a] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size "
                         f"(shape {x.shape}).")


@torch_names
def kthvalue(input: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """The k-th smallest value (1-based) along `dim` and its index (torch.kthvalue)."""
    x = _as_tensor(input)
    a = _dim(x, dim, "kthvalue")
    n = 1 if a is None else x.shape[a]
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue: k ({k}) is out of range for dimension of size {n} "
                         f"(shape {x.shape}, dim {dim})")
    if a is None:
        return return_types.kthvalue(identity(x), _zero_index())
    order = _sorted_index(x.data, a, False)
    pos = np.full(x.shape[:a] + (1,) + x.shape[a + 1:], k - 1)
    return _pick(return_types.kthvalue, x, a, pos, order, keepdim)


def _median_all_forward(x: np.ndarray) -> np.ndarray:
    """The lower median of all elements."""
    if x.size == 0:
        raise IndexError("median() of an empty tensor has no value")
    return np.partition(x.reshape(-1), (x.size - 1) // 2)[(x.size - 1) // 2]


_median_all = primitive("median_all")(_median_all_forward)
_median_all.defvjp(_extreme_vjp)  # ties share the gradient evenly, as torch.median()


@torch_names
def median(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The lower median (torch.median): of all elements, or (values, indices) along `dim`."""
    x = _as_tensor(input)
    if dim is None:
        return _median_all(x)
    a = _dim(x, dim, "median")
    _nonempty(x, a, "median")
    if a is None:
        return return_types.median(identity(x), _zero_index())
    order = _sorted_index(x.data, a, False)
    pos = np.full(x.shape[:a] + (1,) + x.shape[a + 1:], (x.shape[a] - 1) // 2)
    return _pick(return_types.median, x, a, pos, order, keepdim)


@torch_names
def mode(input: Any, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """The most frequent value along `dim` (smallest at ties) and its last index (torch.mode)."""
    x = _as_tensor(input)
    a = _dim(x, dim, "mode")
    _nonempty(x, a, "mode")
    if a is None:
        return return_types.mode(identity(x), _zero_index())
    order = _sorted_index(x.data, a, False)
    s = np.take_along_axis(x.data, order, axis=a)
    n = x.shape[a]
    shape = (1,) * a + (n,) + (1,) * (x.ndim - a - 1)
    p = np.arange(n).reshape(shape)
    first = np.take(s, [0], axis=a)
    start = np.concatenate([np.ones_like(first, dtype=bool),
                            np.diff(s, axis=a) != 0], axis=a)
    run_start = np.maximum.accumulate(np.where(start, p, 0), axis=a)
    count = p - run_start + 1  # position within its run of equal values
    pos = np.expand_dims(np.argmax(count, axis=a), a)  # first longest run ends here
    return _pick(return_types.mode, x, a, pos, order, keepdim)
