"""PyTorch's movement ops: flip, roll, repeat_interleave, diag family, trace, meshgrid, unfold.

Each is a composition of `getitem` / `index_add_zeros` / `reshape` / `broadcast_to`, so the
gradients (of any order) are theirs: gathers scatter back with accumulation, which is how
overlapping `unfold` windows and repeated entries sum their gradients.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops import reduce
from autograd.ops import shape as sh
from autograd.ops.dims import movedim, norm_dim, shape_of
from autograd.ops.index import index_array


def _dims(op: str, dims: int | Sequence[int], ndim: int) -> list[int]:
    seq = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
    return [norm_dim(op, d, ndim) for d in seq]


def flip(x: Any, dims: int | Sequence[int]) -> Any:
    """Reverse the order of entries along `dims` (torch.flip; np.flip with axes)."""
    nd = len(shape_of(x))
    rev = set(_dims("flip", dims, nd))
    return sh.getitem(x, index=tuple(slice(None, None, -1) if d in rev else slice(None)
                                     for d in range(nd)))


def fliplr(x: Any) -> Any:
    """Flip dim 1 (needs at least 2 dims)."""
    if len(shape_of(x)) < 2:
        raise ShapeError(f"fliplr: needs at least 2 dims; got shape {shape_of(x)}")
    return flip(x, 1)


def flipud(x: Any) -> Any:
    """Flip dim 0 (needs at least 1 dim)."""
    if not shape_of(x):
        raise ShapeError("fliplr: needs at least 1 dim; got a 0-D tensor")
    return flip(x, 0)


def _take(x: Any, d: int, idx: np.ndarray) -> Any:
    return sh.getitem(x, index=(slice(None),) * d + (idx,))


def roll(x: Any, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Any:
    """Shift entries cyclically along `dims` (flattened when dims is None), as torch.roll."""
    if dims is None:
        flat = sh.reshape(x, shape=(-1,))
        return sh.reshape(roll(flat, int(np.sum(shifts)), 0), shape=shape_of(x))
    nd = len(shape_of(x))
    ds = _dims("roll", dims, nd)
    ss = [shifts] * len(ds) if isinstance(shifts, (int, np.integer)) else list(shifts)
    if len(ss) != len(ds):
        raise ShapeError(f"roll: {len(ss)} shifts for {len(ds)} dims")
    out = x
    for s, d in zip(ss, ds, strict=True):
        out = _take(out, d, np.roll(np.arange(shape_of(x)[d]), int(s)))
    return out


def repeat_interleave(x: Any, repeats: Any, dim: int | None = None) -> Any:
    """Repeat each entry along `dim` `repeats` times (an int or one count per entry)."""
    if dim is None:
        x, dim = sh.reshape(x, shape=(-1,)), 0
    d = norm_dim("repeat_interleave", dim, len(shape_of(x)))
    n = shape_of(x)[d] if shape_of(x) else 1
    reps = index_array("repeat_interleave", repeats).reshape(-1)
    if reps.size not in (1, n) or (reps < 0).any():
        raise ShapeError(f"repeat_interleave: repeats must be one non-negative count or {n} of "
                         f"them (size of dim {dim}); got {reps.tolist()}")
    return _take(x, d, np.repeat(np.arange(n), reps))


def _diag_index(n1: int, n2: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    length = builtins.max(0, builtins.min(n1 - builtins.max(-offset, 0),
                                          n2 - builtins.max(offset, 0)))
    k = np.arange(length)
    return k + builtins.max(-offset, 0), k + builtins.max(offset, 0)


def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """The `offset` diagonal of dims (dim1, dim2), appended as the last dim (torch.diagonal)."""
    nd = len(shape_of(x))
    a, b = norm_dim("diagonal", dim1, nd), norm_dim("diagonal", dim2, nd)
    if a == b:
        raise ShapeError(f"diagonal: dim1 and dim2 are the same dim {dim1}")
    moved = movedim(x, (a, b), (-2, -1))
    rows, cols = _diag_index(*shape_of(moved)[-2:], offset)
    return sh.getitem(moved, index=(Ellipsis, rows, cols))


def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Batched square matrices with the last dim of x on their `offset` diagonal."""
    xs = shape_of(x)
    if not xs:
        raise ShapeError("diag_embed: needs at least 1 dim; got a 0-D tensor")
    m = xs[-1] + abs(offset)
    rows, cols = _diag_index(m, m, offset)
    out = sh.index_add_zeros(x, shape=xs[:-1] + (m, m), index=(Ellipsis, rows, cols))
    a, b = norm_dim("diag_embed", dim1, len(xs) + 1), norm_dim("diag_embed", dim2, len(xs) + 1)
    if a == b:
        raise ShapeError(f"diag_embed: dim1 and dim2 are the same dim {dim1}")
    return out if (a, b) == (len(xs) - 1, len(xs)) else movedim(out, (-2, -1), (a, b))


def diag(x: Any, diagonal: int = 0) -> Any:
    """1-D -> square matrix with x on diagonal `diagonal`; 2-D -> that diagonal (torch.diag)."""
    nd = len(shape_of(x))
    if nd == 1:
        return diag_embed(x, diagonal)
    if nd == 2:
        return globals()["diagonal"](x, diagonal)
    raise ShapeError(f"diag: expects a 1-D or 2-D tensor; got shape {shape_of(x)}")


def trace(x: Any) -> Any:
    """Sum of the main diagonal of a matrix."""
    if len(shape_of(x)) != 2:
        raise ShapeError(f"trace: expects a 2-D tensor; got shape {shape_of(x)}")
    return reduce.sum(diagonal(x))


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors; "ij" (torch's default) or "xy" (first two swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy'; got {indexing!r}")
    sizes = []
    for t in tensors:
        if len(shape_of(t)) > 1:
            raise ShapeError(f"meshgrid: expects 0-D or 1-D tensors; got shape {shape_of(t)}")
        sizes.append(int(np.prod(shape_of(t))))
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(range(len(tensors)))
    if swap:
        order[0], order[1] = 1, 0
    full = tuple(sizes[i] for i in order)
    out = []
    for i, t in enumerate(tensors):
        where = order.index(i)
        shp = tuple(s if k == where else 1 for k, s in enumerate(full))
        out.append(sh.broadcast_to(sh.reshape(t, shape=shp), shape=full))
    return tuple(out)


def unfold(x: Any, dimension: int, size: int, step: int) -> Any:
    """Sliding windows of `size` every `step` along `dimension`, as a new last dim."""
    xs = shape_of(x)
    d = norm_dim("unfold", dimension, len(xs))
    n = xs[d] if xs else 1
    if size < 0 or size > n or step <= 0:
        raise ShapeError(f"unfold: size {size} and step {step} do not fit dim {dimension} of "
                         f"size {n} (need 0 <= size <= {n}, step > 0)")
    starts = np.arange(0, n - size + 1, step)
    windows = starts[:, None] + np.arange(size)[None, :]
    if not xs:
        return sh.reshape(x, shape=(1,) if size else (1, 0))
    return movedim(_take(x, d, windows), d + 1, -1)
