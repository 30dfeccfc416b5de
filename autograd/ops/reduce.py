"""Reductions with NumPy's `axis=None, keepdims=False` and their VJPs."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops.elementwise import _const, exp, sqrt, where
from autograd.ops.shape import broadcast_to, reshape
from autograd.registry import nondifferentiable, primitive

Axis = int | tuple[int, ...] | None


def normalize_axis(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """Axis argument as a sorted tuple of non-negative ints; ShapeError when out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ShapeError(f"{op}: axis {a} is out of bounds for a tensor of dimension {ndim}")
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def keepdims_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """Shape of a reduction over `axis` with keepdims=True."""
    axes = normalize_axis(axis, len(shape), "reduce")
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand(g: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Broadcast a reduced gradient back over the reduced axes of `x`."""
    if not keepdims:
        g = reshape(g, shape=keepdims_shape(x.shape, axis))
    return broadcast_to(g, shape=x.shape)


def _reduce_check(op: str):  # type: ignore[no-untyped-def]
    def check(x: np.ndarray, axis: Axis = None, keepdims: bool = False, **_: Any) -> None:
        normalize_axis(axis, x.ndim, op)

    return check


@primitive("sum", check=_reduce_check("sum"), saves=())
def sum(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    return np.sum(x, axis=axis, keepdims=keepdims)


sum.defvjp(lambda g, ans, x, axis=None, keepdims=False: _expand(g, x, axis, keepdims))


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Arithmetic mean; empty input gives NaN (and NumPy's warning), as np.mean."""
    from autograd.tensor import Tensor

    x = x if isinstance(x, Tensor) else Tensor(x)
    axes = normalize_axis(axis, x.ndim, "mean")
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    s = sum(x, axis=axis, keepdims=keepdims)
    dtype = s.data.dtype if s.data.dtype.kind == "f" else np.float64
    with np.errstate(invalid="warn", divide="warn"):
        return s / np.asarray(n, dtype=dtype)


def var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Variance with NumPy's `ddof` (0: population, 1: sample)."""
    from autograd.tensor import Tensor

    x = x if isinstance(x, Tensor) else Tensor(x)
    axes = normalize_axis(axis, x.ndim, "var")
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    d = x - mean(x, axis=axis, keepdims=True)
    s = sum(d * d, axis=axis, keepdims=keepdims)
    return s / np.asarray(builtins.max(n - ddof, 0), dtype=s.data.dtype)


def std(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Standard deviation; its gradient is NaN where the std is 0 (as in PyTorch)."""
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


def _extreme_vjp(g: Any, ans: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    # NOTE: ties share the gradient evenly (as torch.amax): d max / d x_i = 1/k for k maxima.
    full = ans.data if keepdims else ans.data.reshape(keepdims_shape(x.shape, axis))
    mask = x.data == full
    count = np.sum(mask, axis=normalize_axis(axis, x.ndim, "max"), keepdims=True)
    return _expand(g, x, axis, keepdims) * _const(mask / count, g)


@primitive("max", check=_reduce_check("max"))
def max(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    if x.size == 0:
        raise ValueError("max of an empty tensor has no identity")
    return np.max(x, axis=axis, keepdims=keepdims)


max.defvjp(_extreme_vjp)


@primitive("min", check=_reduce_check("min"))
def min(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    if x.size == 0:
        raise ValueError("min of an empty tensor has no identity")
    return np.min(x, axis=axis, keepdims=keepdims)


min.defvjp(_extreme_vjp)


@primitive("prod", check=_reduce_check("prod"))
def prod(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g: Any, ans: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    ge = _expand(g, x, axis, keepdims)
    if np.all(x.data != 0):
        return ge * _expand(ans, x, axis, keepdims) / x
    # With zeros, d prod / d x_i is the product of the other elements: move the reduced
    # axes last, and take the product over a copy where element i is replaced by 1.
    axes = normalize_axis(axis, x.ndim, "prod")
    keep = [a for a in range(x.ndim) if a not in axes]
    perm = keep + list(axes)
    inv = list(np.argsort(perm))
    xt = x.transpose(perm)
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    flat = xt.reshape(tuple(xt.shape[: len(keep)]) + (1, n))
    eye = np.eye(n, dtype=bool)
    others = prod(where(eye, 1.0, flat), axis=-1)  # (..., n): product without element i
    others = others.reshape(xt.shape).transpose(inv)
    return ge * others


prod.defvjp(_prod_vjp)


@primitive("logsumexp", check=_reduce_check("logsumexp"), saves=("inputs", "output"))
def logsumexp(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(x))) with the max shifted out, so 1000 or -1000 stay finite."""
    if x.size == 0:
        return np.full(np.sum(x, axis=axis, keepdims=keepdims).shape, -np.inf, dtype=x.dtype)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore", under="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=normalize_axis(axis, x.ndim, "logsumexp"))


logsumexp.defvjp(
    lambda g, ans, x, axis=None, keepdims=False: _expand(g, x, axis, keepdims)
    * exp(x - _expand(ans, x, axis, keepdims))
)


@primitive("norm", check=_reduce_check("norm"), saves=("inputs", "output"))
def norm(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    """Euclidean (L2) norm over `axis`; its gradient at 0 is 0, not NaN."""
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _norm_vjp(g: Any, ans: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    full = _expand(ans, x, axis, keepdims)
    safe = where(full.data > 0, full, 1.0)
    return where(full.data > 0, _expand(g, x, axis, keepdims) * x / safe, 0.0)


norm.defvjp(_norm_vjp)


def _arg_reduce(fn: Any):  # type: ignore[no-untyped-def]
    def forward(x: np.ndarray, *, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
        return fn(x, axis=axis, keepdims=keepdims)

    return forward


argmax = nondifferentiable("argmax", _arg_reduce(np.argmax))
argmin = nondifferentiable("argmin", _arg_reduce(np.argmin))
any_ = nondifferentiable("any", _arg_reduce(np.any))
all_ = nondifferentiable("all", _arg_reduce(np.all))
