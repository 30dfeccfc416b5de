"""Values picked along one axis by an index array, and the scatter that routes their gradient.

`max(dim)`, `sort`, `topk`, `kthvalue`, `median`, `mode` and `cummax` all return values
chosen by indices; their gradient goes to exactly the chosen elements (as PyTorch). `pick`
takes one entry per row of a matrix (NLL's target log-probabilities) with Numba kernels for
it and its gradient `unpick`, both with write-into variants, so a compiled replay allocates
nothing for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.errors import DTypeError, ShapeError
from autograd.kernels import rows
from autograd.ops.index import check_range
from autograd.registry import call, primitive, unrecorded


def _full_index(index: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """Open-grid index tuple that picks `index` along `axis` and every position elsewhere."""
    grids = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grids[axis] = index
    return tuple(grids)


@primitive("select_along", saves=())
def select_along(x: np.ndarray, *, index: np.ndarray, axis: int) -> np.ndarray:
    """x[..., index, ...] along `axis` (NumPy's take_along_axis); `index` has x's rank."""
    return np.take_along_axis(x, index, axis=axis)


select_along.defvjp(
    lambda g, ans, x, index, axis: scatter_along(g, shape=x.shape, index=index, axis=axis)
)


@primitive("scatter_along", saves=())
def scatter_along(g: np.ndarray, *, shape: tuple[int, ...], index: np.ndarray,
                  axis: int) -> np.ndarray:
    """Zeros of `shape` with `g` added at `index` along `axis` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, _full_index(index, axis), g)
    return out


def _scatter_vjp(g: Any, ans: Any, x: Any, shape: Any, index: np.ndarray, axis: int) -> Any:
    return select_along(g, index=index, axis=axis)


scatter_along.defvjp(_scatter_vjp)


# ----- one entry per row (the negative log-likelihood's picked log-probabilities) -----

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _rows_index(op: str, n: int, c: int, index: Any) -> np.ndarray:
    """`index` checked to be n integers (ShapeError / DTypeError naming `op`), as int64."""
    if not isinstance(index, np.ndarray) or index.shape != (n,):
        got = getattr(index, "shape", type(index).__name__)
        raise ShapeError(f"{op}: index must be {n} integers (one per row of {c}); got {got}")
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{op}: index must hold integers; got {index.dtype}")
    return index if index.dtype == np.int64 else index.astype(np.int64)


def _raise_bad(op: str, bad: int, index: np.ndarray, c: int) -> None:
    if bad >= 0:
        raise IndexError(f"{op}: index {int(index[bad])} of row {bad} is out of range for "
                         f"{c} columns")


def _pick_into(out: np.ndarray, x: np.ndarray, *, index: np.ndarray) -> None:
    """`pick` written into `out` (n,)."""
    if x.ndim != 2:
        raise ShapeError(f"pick: x must be 2-D (rows, columns); got shape {x.shape}")
    idx = _rows_index("pick", x.shape[0], x.shape[1], index)
    if x.dtype in _FLOATS and x.flags.c_contiguous and out.dtype == x.dtype:
        _raise_bad("pick", rows.pick_rows(x, idx, out), idx, x.shape[1])
        return
    check_range("pick", idx, 1, x.shape[1], negative=True)
    out[...] = x[np.arange(x.shape[0]), idx]


@primitive("pick", saves=())
def pick(x: np.ndarray, *, index: np.ndarray) -> np.ndarray:
    """x[i, index[i]] for each row i of a 2-D x: one entry per row (a target's log-prob)."""
    out = np.empty(x.shape[:1], x.dtype)
    _pick_into(out, x, index=index)
    return out


def _unpick_into(out: np.ndarray, g: np.ndarray, *, index: np.ndarray) -> None:
    """`unpick` written into `out` (n, columns)."""
    n, c = out.shape
    if g.shape != (n,):
        raise ShapeError(f"unpick: g must have shape ({n},); got {g.shape}")
    idx = _rows_index("unpick", n, c, index)
    if g.dtype in _FLOATS and g.flags.c_contiguous and out.dtype == g.dtype:
        _raise_bad("unpick", rows.unpick_rows(g, idx, out), idx, c)
        return
    check_range("unpick", idx, 1, c, negative=True)
    out[...] = 0
    out[np.arange(n), idx] = g


@primitive("unpick", saves=())
def unpick(g: np.ndarray, *, index: np.ndarray, columns: int) -> np.ndarray:
    """Zeros (n, columns) with g[i] at [i, index[i]]: the gradient of `pick`."""
    if g.ndim != 1:
        raise ShapeError(f"unpick: g must be 1-D (one value per row); got shape {g.shape}")
    out = np.empty((g.shape[0], columns), g.dtype)
    _unpick_into(out, g, index=index)
    return out


pick.definto(_pick_into)
pick.defvjp(unrecorded(
    lambda g, ans, x, index: call(unpick, g, index=index, columns=x.shape[1])
))
pick.defvjp_into(lambda out, g, ans, x, *, index: _unpick_into(out, g, index=index))
unpick.definto(lambda out, g, *, index, columns: _unpick_into(out, g, index=index))
unpick.defvjp(unrecorded(lambda g, ans, gin, index, columns: call(pick, g, index=index)))
