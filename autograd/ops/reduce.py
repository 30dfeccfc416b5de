"""Reductions with NumPy's `axis=None, keepdims=False` (and PyTorch's `dim`/`keepdim`).

A 0-d tensor reduces over `dim=0` or `dim=-1` to itself, as in PyTorch; an out-of-range
dim raises `DimensionError` (an IndexError, as torch, and a ShapeError).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import kernels
from autograd.aliases import torch_names
from autograd.errors import ShapeError
from autograd.ops import return_types
from autograd.ops.elementwise import _const, exp, maximum, minimum, where
from autograd.ops.select import select_along
from autograd.ops.shape import broadcast_to, reshape
from autograd.registry import call, nondifferentiable, primitive, unrecorded
from autograd.tensor import Tensor, get_default_dtype

Axis = int | tuple[int, ...] | None


class DimensionError(ShapeError, IndexError):
    """A dim outside a tensor's rank: an IndexError (what torch raises) and a ShapeError."""


def normalize_axis(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """Axis argument as a sorted tuple of non-negative ints (empty for a 0-d tensor)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    top = builtins.max(ndim, 1)
    out = []
    for a in axes:
        if not -top <= a < top:
            raise DimensionError(
                f"{op}: Dimension out of range (expected to be in range of [{-top}, {top - 1}], "
                f"but got {a}) (axis {a} is out of bounds for a tensor of dimension {ndim})"
            )
        if ndim:
            out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def keepdims_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """Shape of a reduction over `axis` with keepdims=True."""
    axes = normalize_axis(axis, len(shape), "reduce")
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand(g: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Broadcast a reduced gradient back over the reduced axes of `x` (Tensors or ndarrays)."""
    if not keepdims:
        g = g.reshape(keepdims_shape(x.shape, axis))
    return call(broadcast_to, g, shape=x.shape)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[a] for a in axes])) if axes else 1


def _keep(op: str, keepdim: bool | None, keepdims: bool | None) -> bool:
    """One of PyTorch's `keepdim` and NumPy's `keepdims` (giving both raises)."""
    if keepdim is not None and keepdims is not None:
        raise TypeError(f"{op}() got both 'keepdims' and its alias 'keepdim'; pass one")
    return bool(keepdim if keepdims is None else keepdims)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


@primitive("sum", saves=())
def sum(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    return np.sum(x, axis=normalize_axis(axis, x.ndim, "sum"), keepdims=keepdims)


def _sum_bind(out: np.ndarray, x: np.ndarray, *, axis: Axis = None,
              keepdims: bool = False) -> Callable[[], None] | None:
    """`sum` bound to its buffers: the jitted bias-gradient or small full sum, same bits."""
    axes = normalize_axis(axis, x.ndim, "sum")
    if len(axes) == x.ndim:
        return kernels.sum_all_call(out, x)
    return kernels.sum_leading_call(out, x) if axes == (0,) and not keepdims else None


def _sum_into(out: np.ndarray, x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> None:
    """The same reduction written into `out`, in the same order (same bits): one jitted pass
    where `_sum_bind` has one, else NumPy (which accumulates in `out` in its own order)."""
    call = _sum_bind(out, x, axis=axis, keepdims=keepdims)
    if call is not None:
        call()
    else:
        np.sum(x, axis=normalize_axis(axis, x.ndim, "sum"), keepdims=keepdims, out=out)


sum.definto(_sum_into)
sum.defbind(_sum_bind)


sum.defvjp(unrecorded(lambda g, ans, x, axis=None, keepdims=False: _expand(g, x, axis, keepdims)))


@primitive("nansum", saves=("inputs",))
def nansum(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    """Sum treating NaN as 0 (torch.nansum); NaNs get zero gradient."""
    return np.nansum(x, axis=normalize_axis(axis, x.ndim, "nansum"), keepdims=keepdims)


nansum.defvjp(
    lambda g, ans, x, axis=None, keepdims=False: _expand(g, x, axis, keepdims)
    * _const(~np.isnan(x.data), g)
)


@torch_names
def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Arithmetic mean; integer input gives the default float; empty input gives NaN."""
    x = _as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "mean")
    s = sum(x, axis=axis, keepdims=keepdims)
    dtype = s.data.dtype if s.data.dtype.kind == "f" else get_default_dtype()
    if s.data.dtype != dtype:
        s = Tensor(s.data.astype(dtype))
    with np.errstate(invalid="warn", divide="warn"):  # empty input warns, as np.mean
        return s / np.asarray(_count(x.shape, axes), dtype=dtype)


@torch_names
def nanmean(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Mean of the non-NaN elements (torch.nanmean); all-NaN slices give NaN."""
    x = _as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "nanmean")
    n = np.sum(~np.isnan(x.data), axis=axes, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return nansum(x, axis=axis, keepdims=keepdims) / np.asarray(n, dtype=x.data.dtype)


# ----- variance and standard deviation -----


@primitive("safe_sqrt", saves=("output",))
def safe_sqrt(x: np.ndarray) -> np.ndarray:
    """sqrt whose gradient is 0 where the output is 0 (std of a constant, as torch)."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


def _safe_sqrt_vjp(g: Any, ans: Any, x: Any) -> Any:
    zero = ans.data == 0
    return where(zero, 0.0, g / (where(zero, 1.0, ans) * 2.0))


safe_sqrt.defvjp(_safe_sqrt_vjp)


def _correction(op: str, axis: Any, ddof: Any, dim: Any, keepdim: Any, keepdims: Any,
                correction: Any, unbiased: Any) -> tuple[Axis, int, bool]:
    """Resolve var/std arguments to (axis, correction, keepdims).

    NumPy's default (ddof=0) holds unless the call is spelled only PyTorch's way (`dim=`,
    `keepdim=`, `correction=`, `unbiased=`, or a bool `unbiased` in second place): then
    PyTorch's default correction=1 applies. See docs/pytorch.md.
    """
    if isinstance(axis, bool):  # torch's var(unbiased) overload: x.var(False)
        axis, unbiased = None, axis
    if isinstance(ddof, bool):  # torch's positional var(dim, unbiased, keepdim)
        ddof, unbiased = None, ddof
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}() got both 'axis' and its alias 'dim'; pass one")
        axis = dim
    given = [k for k, v in (("ddof", ddof), ("correction", correction),
                            ("unbiased", unbiased)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}() got {' and '.join(given)}; pass one")
    torch_style = dim is not None or keepdim is not None or bool(given and given[0] != "ddof")
    if ddof is not None:
        c = int(ddof)
    elif correction is not None:
        c = int(correction)
    elif unbiased is not None:
        c = int(bool(unbiased))
    else:
        c = 1 if torch_style else 0
    return axis, c, _keep(op, keepdim, keepdims)


def _var(x: Tensor, axis: Axis, c: int, keepdims: bool) -> Any:
    axes = normalize_axis(axis, x.ndim, "var")
    d = x - mean(x, axis=axis, keepdims=True)
    s = sum(d * d, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / np.asarray(builtins.max(_count(x.shape, axes) - c, 0), dtype=s.data.dtype)


def var(x: Any, axis: Axis = None, ddof: int | None = None, keepdims: bool | None = None, *,
        dim: Axis = None, keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Any:
    """Variance: NumPy's ddof=0 by default, PyTorch's correction=1 when spelled PyTorch's way."""
    x = _as_tensor(x)
    axis, c, keep = _correction("var", axis, ddof, dim, keepdim, keepdims, correction, unbiased)
    return _var(x, axis, c, keep)


def std(x: Any, axis: Axis = None, ddof: int | None = None, keepdims: bool | None = None, *,
        dim: Axis = None, keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Any:
    """Standard deviation (defaults as `var`); gradient 0 where the std is 0, as PyTorch."""
    x = _as_tensor(x)
    axis, c, keep = _correction("std", axis, ddof, dim, keepdim, keepdims, correction, unbiased)
    return safe_sqrt(_var(x, axis, c, keep))


def var_mean(x: Any, dim: Axis = None, *, correction: int | None = None,
             unbiased: bool | None = None, keepdim: bool = False) -> tuple[Any, Any]:
    """(var, mean) as torch.var_mean: PyTorch's name, so correction=1 by default."""
    x = _as_tensor(x)
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    return _var(x, dim, correction, keepdim), mean(x, axis=dim, keepdims=keepdim)


def std_mean(x: Any, dim: Axis = None, *, correction: int | None = None,
             unbiased: bool | None = None, keepdim: bool = False) -> tuple[Any, Any]:
    """(std, mean) as torch.std_mean: PyTorch's name, so correction=1 by default."""
    v, m = var_mean(x, dim, correction=correction, unbiased=unbiased, keepdim=keepdim)
    return safe_sqrt(v), m


# ----- extremes -----


def _nonempty(x: np.ndarray, axes: tuple[int, ...], op: str, full: bool) -> None:
    if full and x.size == 0:
        raise DimensionError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0 "
            f"(shape {x.shape}). Specify the reduction dim with the 'dim' argument."
        )
    for a in axes:
        if x.shape[a] == 0:
            raise DimensionError(
                f"{op}(): Expected reduction dim {a} to have non-zero size (shape {x.shape})."
            )


def _extreme(fn: Any, op: str):  # type: ignore[no-untyped-def]
    def forward(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        axes = normalize_axis(axis, x.ndim, op)
        _nonempty(x, axes, op, axis is None)
        return fn(x, axis=axes, keepdims=keepdims)

    forward.__name__ = op
    forward.__doc__ = f"{op} over `axis` (torch.a{op}: ties share the gradient evenly)."
    return forward


def _values(t: Any) -> np.ndarray:
    """The ndarray of a VJP argument, a Tensor or (unrecorded) already an array."""
    return t if isinstance(t, np.ndarray) else t.data


@unrecorded
def _extreme_vjp(g: Any, ans: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    # NOTE: ties share the gradient evenly (as torch.amax): d max / d x_i = 1/k for k maxima.
    full = _values(ans) if keepdims else _values(ans).reshape(keepdims_shape(x.shape, axis))
    mask = _values(x) == full
    count = np.sum(mask, axis=normalize_axis(axis, x.ndim, "max"), keepdims=True)
    return _expand(g, x, axis, keepdims) * _const(mask / count, g)


_max = primitive("max")(_extreme(np.max, "max")).defvjp(_extreme_vjp)
_min = primitive("min")(_extreme(np.min, "min")).defvjp(_extreme_vjp)


def _arg_extreme(fn: Any, op: str):  # type: ignore[no-untyped-def]
    def forward(x: np.ndarray, *, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
        if axis is None:
            _nonempty(x, (), op, True)
            out = fn(x.reshape(-1))
            return np.reshape(out, (1,) * x.ndim) if keepdims else np.asarray(out)
        axes = normalize_axis(axis, x.ndim, op)
        if not axes:  # a 0-d tensor over dim 0 or -1: index 0
            return np.zeros((), dtype=np.int64)
        _nonempty(x, axes, op, False)
        return fn(x, axis=axes[0], keepdims=keepdims).astype(np.int64, copy=False)

    forward.__name__ = op
    forward.__doc__ = f"Index of the {op[3:]} along `axis` (flat index when axis is None)."
    return forward


argmax = nondifferentiable("argmax", _arg_extreme(np.argmax, "argmax"))
argmin = nondifferentiable("argmin", _arg_extreme(np.argmin, "argmin"))


def values_indices(x: Tensor, index: np.ndarray, axis: int, keepdims: bool) -> Any:
    """Values of `x` at `index` (keepdims shape along `axis`); grad goes to those elements."""
    if x.ndim == 0:
        return reshape(select_along(reshape(x, shape=(1,)), index=index.reshape(1), axis=0),
                       shape=())
    v = select_along(x, index=index, axis=axis)
    return v if keepdims else reshape(v, shape=v.shape[:axis] + v.shape[axis + 1:])


def _by_dim(op: str, arg: Any, kind: Any, x: Tensor, dim: int, keepdim: bool) -> Any:
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): dim must be an int (got {dim!r}); use a{op} for several dims")
    idx = arg(x, axis=dim, keepdims=True)
    axis = normalize_axis(dim, x.ndim, op)
    values = values_indices(x, idx.data, axis[0] if axis else 0, keepdim)
    if not keepdim and x.ndim:
        idx = reshape(idx, shape=values.shape)
    return kind(values, idx)


def _extreme_api(op: str, prim: Any, arg: Any, pair: Any, kind: Any):  # type: ignore[no-untyped-def]
    def fn(input: Any, dim: Any = None, keepdim: bool | None = None, *,  # noqa: A002
           axis: Axis = None, keepdims: bool | None = None) -> Any:
        x = _as_tensor(input)
        keep = _keep(op, keepdim, keepdims)
        if axis is not None:
            if dim is not None:
                raise TypeError(f"{op}() got both 'axis' and its alias 'dim'; pass one")
            return prim(x, axis=axis, keepdims=keep)
        if dim is None:
            return prim(x, keepdims=keep)
        if isinstance(dim, (Tensor, np.ndarray, float)):
            return pair(x, dim)
        return _by_dim(op, arg, kind, x, dim, keep)

    fn.__name__ = op
    fn.__doc__ = (
        f"{op}(x): the {op}imum; {op}(x, dim): named tuple (values, indices), gradient to the "
        f"chosen index; {op}(x, axis=...): values only (NumPy); {op}(x, other): elementwise."
    )
    return fn


max = _extreme_api("max", _max, argmax, maximum, return_types.max)  # noqa: A001
min = _extreme_api("min", _min, argmin, minimum, return_types.min)  # noqa: A001


@torch_names
def amax(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Maximum over `axis` (several allowed); ties share the gradient (torch.amax)."""
    return _max(x, axis=axis, keepdims=keepdims)


@torch_names
def amin(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Minimum over `axis` (several allowed); ties share the gradient (torch.amin)."""
    return _min(x, axis=axis, keepdims=keepdims)


def aminmax(input: Any, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """(min, max) over `dim` (all elements when None), as torch.aminmax."""
    return return_types.aminmax(_min(input, axis=dim, keepdims=keepdim),
                                _max(input, axis=dim, keepdims=keepdim))


# ----- products and log-sum-exp -----


@primitive("prod")
def prod(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    return np.prod(x, axis=normalize_axis(axis, x.ndim, "prod"), keepdims=keepdims)


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
    n = _count(x.shape, axes)
    flat = xt.reshape(tuple(xt.shape[: len(keep)]) + (1, n))
    eye = np.eye(n, dtype=bool)
    others = prod(where(eye, 1.0, flat), axis=-1)  # (..., n): product without element i
    others = others.reshape(xt.shape).transpose(inv)
    return ge * others


prod.defvjp(_prod_vjp)


@primitive("logsumexp", saves=("inputs", "output"))
def logsumexp(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(x))) with the max shifted out, so 1000 or -1000 stay finite."""
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    if x.size == 0:
        return np.full(np.sum(x, axis=axes, keepdims=keepdims).shape, -np.inf, dtype=x.dtype)
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore", under="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axes)


logsumexp.defvjp(
    lambda g, ans, x, axis=None, keepdims=False: _expand(g, x, axis, keepdims)
    * exp(x - _expand(ans, x, axis, keepdims))
)


@primitive("norm", saves=("inputs", "output"))
def norm(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    """Euclidean (L2) norm over `axis`; its gradient at 0 is 0, not NaN."""
    return np.sqrt(np.sum(x * x, axis=normalize_axis(axis, x.ndim, "norm"), keepdims=keepdims))


def _norm_vjp(g: Any, ans: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    full = _expand(ans, x, axis, keepdims)
    safe = where(full.data > 0, full, 1.0)
    return where(full.data > 0, _expand(g, x, axis, keepdims) * x / safe, 0.0)


norm.defvjp(_norm_vjp)

# ----- boolean and counting reductions (no gradient) -----


def _bool_reduce(fn: Any, op: str):  # type: ignore[no-untyped-def]
    def forward(x: np.ndarray, *, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
        return fn(x, axis=normalize_axis(axis, x.ndim, op), keepdims=keepdims)

    forward.__name__ = op
    forward.__doc__ = f"{op} over `axis` (a bool tensor)."
    return forward


any_ = nondifferentiable("any", _bool_reduce(np.any, "any"))
all_ = nondifferentiable("all", _bool_reduce(np.all, "all"))


def _count_nonzero(x: np.ndarray, *, axis: Axis = None) -> np.ndarray:
    """Number of non-zero elements over `axis` (int64, as torch.count_nonzero)."""
    axes = normalize_axis(axis, x.ndim, "count_nonzero")
    return np.asarray(np.count_nonzero(x, axis=axes), dtype=np.int64)


count_nonzero = nondifferentiable("count_nonzero", _count_nonzero)
