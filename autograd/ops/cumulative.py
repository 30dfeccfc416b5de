"""Scans along one axis: cumsum, cumprod, cummax/cummin, logcumsumexp, and diff.

`axis=None` flattens first, as NumPy; PyTorch's calls always name a dim (`x.cumsum(0)`).
A 0-d tensor scans over dim 0 or -1 to itself, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.aliases import torch_names
from autograd.errors import ShapeError
from autograd.ops import return_types
from autograd.ops.elementwise import exp, identity, log, where
from autograd.ops.reduce import _as_tensor, normalize_axis
from autograd.ops.reduce import sum as _sum
from autograd.ops.select import select_along
from autograd.ops.shape import concatenate, reshape
from autograd.registry import primitive
from autograd.tensor import Tensor


def _scan_axis(x: np.ndarray, axis: int | None, op: str) -> int | None:
    """The axis a scan runs along: None to flatten; -1 for a 0-d tensor (nothing to scan)."""
    if axis is None:
        return None
    axes = normalize_axis(axis, x.ndim, op)
    return axes[0] if axes else -1


def _scan(fn: Any, x: np.ndarray, axis: int | None, op: str) -> np.ndarray:
    a = _scan_axis(x, axis, op)
    if a == -1:
        return x.copy()
    return fn(x.reshape(-1) if a is None else x, axis=0 if a is None else a)


def _flip(g: Any, axis: int) -> Any:
    """`g` reversed along `axis` (a getitem view, differentiable)."""
    return g[(slice(None),) * axis + (slice(None, None, -1),)]


def _along(vjp: Any) -> Any:
    """Run a VJP written for one non-negative axis on the scan's axis (flattened for None)."""

    def wrapped(g: Any, ans: Any, x: Any, axis: int | None = None) -> Any:
        a = _scan_axis(x.data, axis, "scan")
        if a == -1:
            return vjp(g, ans, x, None)
        if a is None:
            flat = reshape(x, shape=(-1,))
            return reshape(vjp(g, ans, flat, 0), shape=x.shape)
        return vjp(g, ans, x, a)

    return wrapped


def _reverse_cumsum(g: Any, axis: int) -> Any:
    return _flip(cumsum(_flip(g, axis), axis=axis), axis)


@primitive("cumsum", saves=())
def cumsum(x: np.ndarray, *, axis: int | None = None) -> np.ndarray:
    """Running sum along `axis` (torch.cumsum(x, dim))."""
    return _scan(np.cumsum, x, axis, "cumsum")


cumsum.defvjp(_along(lambda g, ans, x, a: g if a is None else _reverse_cumsum(g, a)))


@primitive("cumprod")
def cumprod(x: np.ndarray, *, axis: int | None = None) -> np.ndarray:
    """Running product along `axis`; its gradient is exact where the input has zeros."""
    return _scan(np.cumprod, x, axis, "cumprod")


def _cumprod_vjp(g: Any, ans: Any, x: Any, a: int | None) -> Any:
    if a is None:
        return g
    if np.all(x.data != 0):
        return _reverse_cumsum(g * ans, a) / x
    # NOTE: with zeros, d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i: scan a copy
    # of the input per position i with x_i replaced by 1 (O(n^2) along the axis, zeros only).
    n = x.shape[a]
    xt = x.transpose([*[d for d in range(x.ndim) if d != a], a])  # scan axis last
    lead = xt.shape[:-1]
    grid = reshape(xt, shape=(*lead, 1, n))
    eye = np.eye(n, dtype=bool)
    others = cumprod(where(eye, 1.0, grid), axis=-1)  # (..., i, j)
    upper = np.triu(np.ones((n, n), dtype=bool))  # j >= i
    gt = g.transpose([*[d for d in range(x.ndim) if d != a], a])
    gi = _sum(where(upper, others * reshape(gt, shape=(*lead, 1, n)), 0.0), axis=-1)
    back = list(range(x.ndim - 1))
    back.insert(a, x.ndim - 1)
    return gi.transpose(back)


cumprod.defvjp(_along(_cumprod_vjp))


@primitive("logcumsumexp", saves=("inputs", "output"))
def logcumsumexp(x: np.ndarray, *, axis: int | None = None) -> np.ndarray:
    """log(cumsum(exp(x))) as a running logaddexp: stable for any spread of values."""
    with np.errstate(invalid="ignore"):
        return _scan(np.logaddexp.accumulate, x, axis, "logcumsumexp")


def _logcumsumexp_vjp(g: Any, ans: Any, x: Any, a: int | None) -> Any:
    # NOTE: grad_i = sum_{j >= i} g_j exp(x_i - out_j), summed in log space for the positive
    # and negative parts of g separately (as torch), so no exp overflows.
    if a is None:
        return g
    tiny = float(np.finfo(x.data.dtype).min)
    pos, neg = g.data > 0, g.data < 0
    log_pos = where(pos, log(where(pos, g, 1.0)), tiny)
    log_neg = where(neg, log(where(neg, -g, 1.0)), tiny)
    rev = lambda t: _flip(logcumsumexp(_flip(t - ans, a), axis=a), a)  # noqa: E731
    return exp(rev(log_pos) + x) - exp(rev(log_neg) + x)


logcumsumexp.defvjp(_along(_logcumsumexp_vjp))


def _running_index(x: np.ndarray, axis: int, better: Any) -> np.ndarray:
    """Index of the running extreme along `axis` (the latest one at ties, as torch)."""
    best = better.accumulate(x, axis=axis)
    pos = np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1))
    return np.maximum.accumulate(np.where(x == best, pos, 0), axis=axis)


def _cum_extreme(name: str, better: Any) -> Any:
    kind = getattr(return_types, name)

    @torch_names
    def fn(input: Any, dim: int) -> Any:  # noqa: A002 - torch's name
        x = _as_tensor(input)
        axes = normalize_axis(dim, x.ndim, name)
        if not axes:  # 0-d
            return kind(identity(x), Tensor(np.zeros((), dtype=np.int64)))
        idx = _running_index(x.data, axes[0], better)
        return kind(select_along(x, index=idx, axis=axes[0]), Tensor(idx))

    fn.__name__ = name
    fn.__doc__ = (f"Running {name[3:]} along `dim` and its indices (torch.{name}); the gradient "
                  f"goes to the element each value came from.")
    return fn


cummax = _cum_extreme("cummax", np.maximum)
cummin = _cum_extreme("cummin", np.minimum)


@torch_names
def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None,  # noqa: A002
         append: Any = None) -> Any:
    """n-th forward difference along `dim`, with optional prepend/append (torch.diff)."""
    x = _as_tensor(input)
    if x.ndim == 0:
        raise ShapeError("diff: expects a tensor of at least one dimension (got 0-d)")
    (a,) = normalize_axis(dim, x.ndim, "diff")
    parts = [p if isinstance(p, Tensor) else Tensor(np.asarray(p, dtype=x.data.dtype))
             for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = concatenate(parts, axis=a)
    lo = (slice(None),) * a
    for _ in range(n):
        x = x[(*lo, slice(1, None))] - x[(*lo, slice(None, -1))]
    return x

