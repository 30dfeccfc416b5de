"""Softmax and log-softmax along an axis, computed with the max shifted out (stable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels import rows as _rows
from autograd.kernels import workspace
from autograd.ops.elementwise import exp
from autograd.ops.reduce import normalize_axis
from autograd.ops.reduce import sum as _sum
from autograd.registry import call, primitive, unrecorded


def _axis(x: np.ndarray, axis: int, op: str) -> int | tuple[()]:
    """`axis` checked against x's rank; `()` for a 0-d tensor (dim 0 or -1, as torch)."""
    axes = normalize_axis(axis, x.ndim, op)
    return axes[0] if axes else ()


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# NOTE: the row kernels call the scalar libm exp (about 2 ns an element, NumPy's vectorized
# exp about 0.3), so past some 2048 elements NumPy's few passes win, for the VJPs first.
_KERNEL_MAX = 2048


def _last_rows(*arrays: Any, axis: int) -> tuple[np.ndarray, ...] | None:
    """The arrays as (rows, C) views when `axis` is their last axis and they are C-contiguous
    float32/float64 ndarrays of one shape and dtype, of 1 to _KERNEL_MAX elements (the row
    kernels' case); None otherwise."""
    first = arrays[0]
    if type(first) is not np.ndarray or first.ndim == 0 or not 0 < first.size <= _KERNEL_MAX or (
        first.dtype not in _FLOATS or axis not in (-1, first.ndim - 1)
    ):
        return None
    shape, dtype = first.shape, first.dtype
    for a in arrays:  # (a loop, not all(...): this runs on every call)
        if type(a) is not np.ndarray or a.shape != shape or a.dtype != dtype or (
            not a.flags.c_contiguous
        ):
            return None
    if len(shape) == 2:
        return arrays
    rows = (-1, shape[-1])
    return tuple([a.reshape(rows) for a in arrays])


def _by_rows(kernel: Any, x: np.ndarray, axis: int) -> np.ndarray | None:
    """`kernel(rows, out)` on a new array when x is the kernel's case, else None."""
    r = _last_rows(x, axis=axis)
    if r is None:
        return None
    out = np.empty(x.shape, x.dtype)
    kernel(r[0], out.reshape(r[0].shape))
    return out


def _workspaces(op: str, out: np.ndarray, g: Any, ans: Any, axis: int) -> tuple | None:
    """(axis, per-row sums, full-size spread) workspaces for a VJP's NumPy passes into `out`,
    when g, ans and out are C-contiguous floating arrays of one shape and dtype (then the
    passes give the formula's bits); None otherwise."""
    if not all(type(a) is np.ndarray and a.shape == out.shape and a.dtype == out.dtype and
               a.flags.c_contiguous for a in (g, ans)) or out.dtype.kind != "f" or (
        not out.flags.c_contiguous or out.ndim == 0
    ):
        return None
    a = _axis(out, axis, op)
    kept = tuple(1 if i == a else n for i, n in enumerate(out.shape))
    # (each per-row value is spread over a full-size array before use: see _log_softmax_into)
    return (a, workspace(f"{op}:vjp_sum", kept, out.dtype),
            workspace(f"{op}:vjp_spread", out.shape, out.dtype))


def _vjps(op: str, kernel: Any, formula: Any, passes: Any) -> tuple[Any, Any]:
    """The VJP (the row kernel on arrays, `formula(g, ans, axis)` on Tensors, large arrays and
    other layouts, so a recorded backward stays differentiable) and its write-into variant
    (the kernel, else `passes(out, g, ans, axis, sums, spread)`: the formula's NumPy passes
    through reused workspaces, else the formula copied into `out`)."""

    def vjp(g: Any, ans: Any, x: Any, axis: int = -1) -> Any:
        r = _last_rows(g, ans, axis=axis)
        if r is None:
            return formula(g, ans, axis)
        out = np.empty(ans.shape, ans.dtype)
        kernel(*r, out.reshape(r[0].shape))
        return out

    def into(out: np.ndarray, g: np.ndarray, ans: np.ndarray, x: np.ndarray, *,
             axis: int = -1) -> None:
        r = _last_rows(g, ans, out, axis=axis)
        if r is not None:
            kernel(*r)
            return
        ws = _workspaces(op, out, g, ans, axis)
        if ws is None:
            out[...] = vjp(g, ans, x, axis=axis)
        else:
            passes(out, g, ans, *ws)

    return unrecorded(vjp), into


def _softmax_passes(out: np.ndarray, g: np.ndarray, ans: np.ndarray, a: int,
                    sums: np.ndarray, spread: np.ndarray) -> None:
    """ans * (g - sum(g * ans)) pass by pass into `out`."""
    np.multiply(g, ans, out=out)
    np.sum(out, axis=a, keepdims=True, out=sums)
    np.copyto(spread, sums)
    np.subtract(g, spread, out=out)
    np.multiply(ans, out, out=out)


def _log_softmax_passes(out: np.ndarray, g: np.ndarray, ans: np.ndarray, a: int,
                        sums: np.ndarray, spread: np.ndarray) -> None:
    """g - exp(ans) * sum(g) pass by pass into `out`."""
    np.sum(g, axis=a, keepdims=True, out=sums)
    np.copyto(spread, sums)
    np.exp(ans, out=out)
    np.multiply(out, spread, out=out)
    np.subtract(g, out, out=out)


def _into(prim: Any, kernel: Any) -> Any:
    """The forward into `out`: the row kernel in its case, else a copy of the forward."""

    def into(out: np.ndarray, x: np.ndarray, *, axis: int = -1) -> None:
        r = _last_rows(x, out, axis=axis)
        if r is None:
            out[...] = prim.forward(x, axis=axis)
        else:
            kernel(*r)

    return into


@primitive("softmax", saves=("output",))
def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along `axis`; finite for logits like [1e4, 0, -1e4]."""
    a = _axis(x, axis, "softmax")
    out = _by_rows(_rows.softmax_rows, x, axis)
    if out is not None:
        return out
    z = x - np.max(x, axis=a, keepdims=True)
    with np.errstate(under="ignore"):  # exp underflowing to 0 is the right answer
        e = np.exp(z)
        return e / np.sum(e, axis=a, keepdims=True)


softmax.definto(_into(softmax, _rows.softmax_rows))
_softmax_vjps = _vjps(
    "softmax", _rows.softmax_vjp_rows,
    lambda g, ans, axis: ans * (g - call(_sum, g * ans, axis=axis, keepdims=True)),
    _softmax_passes,
)
softmax.defvjp(_softmax_vjps[0])
softmax.defvjp_into(_softmax_vjps[1])


@primitive("log_softmax", saves=("output",))
def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along `axis`; finite even where softmax underflows to 0."""
    a = _axis(x, axis, "log_softmax")
    out = _by_rows(_rows.log_softmax_rows, x, axis)
    if out is not None:
        return out
    z = x - np.max(x, axis=a, keepdims=True)
    with np.errstate(under="ignore"):
        return z - np.log(np.sum(np.exp(z), axis=a, keepdims=True))


def _log_softmax_into(out: np.ndarray, x: np.ndarray, *, axis: int = -1) -> None:
    """`log_softmax` into `out`: the row kernel on the last axis, else the forward's NumPy
    passes through reused workspaces (floating C-order x)."""
    r = _last_rows(x, out, axis=axis)
    if r is not None:
        _rows.log_softmax_rows(*r)
        return
    if x.dtype.kind != "f" or not x.flags.c_contiguous:  # NumPy's temporaries' layout
        out[...] = log_softmax.forward(x, axis=axis)
        return
    a = _axis(x, axis, "log_softmax")
    kept = tuple(1 if i == a else n for i, n in enumerate(x.shape))
    m = workspace("log_softmax:max", kept, x.dtype)
    e = workspace("log_softmax:exp", x.shape, x.dtype)
    # NOTE: each per-row value is spread over `e` before it is subtracted: a ufunc that
    # broadcasts an (N, 1) operand allocates iterator buffers about the size of x.
    np.max(x, axis=a, keepdims=True, out=m)
    np.copyto(e, m)
    np.subtract(x, e, out=out)
    with np.errstate(under="ignore"):
        np.exp(out, out=e)
        np.sum(e, axis=a, keepdims=True, out=m)
        np.log(m, out=m)
    np.copyto(e, m)
    np.subtract(out, e, out=out)


log_softmax.definto(_log_softmax_into)
_log_softmax_vjps = _vjps(
    "log_softmax", _rows.log_softmax_vjp_rows,
    lambda g, ans, axis: g - call(exp, ans) * call(_sum, g, axis=axis, keepdims=True),
    _log_softmax_passes,
)
log_softmax.defvjp(_log_softmax_vjps[0])
log_softmax.defvjp_into(_log_softmax_vjps[1])
