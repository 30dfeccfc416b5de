"""PyTorch's index ops: gather, scatter family, index_select/add/fill, masks, one_hot, nonzero.

Built on `getitem` / `index_add_zeros` / `where`, whose VJPs are primitives, so every
gradient here has a second order. Only `scatter` (overwrite) is its own primitive: its
gradient routes `g` to the written positions of `src` and the untouched ones of `x`.
Index arrays are int64 (as torch); an out-of-range index raises IndexError naming the op,
the dim, the index value and the size.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from autograd.errors import DTypeError, ShapeError
from autograd.ops import elementwise as ew
from autograd.ops import shape as sh
from autograd.ops.dims import norm_dim, shape_of
from autograd.registry import primitive
from autograd.tensor import Tensor


def index_array(op: str, index: Any) -> np.ndarray:
    """`index` (Tensor, array, list, int) as an int64 array, or DTypeError naming the op."""
    arr = np.asarray(index.data if isinstance(index, Tensor) else index)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{op}: index must be an integer tensor (int64); got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def check_range(op: str, index: np.ndarray, dim: int, size: int, negative: bool = False) -> None:
    """IndexError naming op, dim, the first bad index value and the size."""
    lo = -size if negative else 0
    bad = (index < lo) | (index >= size)
    if bad.any():
        raise IndexError(f"{op}: index {int(index[bad][0])} is out of range for dim {dim} "
                         f"of size {size}")


def _mask_array(op: str, mask: Any) -> np.ndarray:
    arr = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if arr.dtype != bool:
        raise DTypeError(f"{op}: mask must be a bool tensor; got {arr.dtype}")
    return arr


def _scatter_index(op: str, xshape: tuple[int, ...], dim: int, index: Any,
                   src_shape: tuple[int, ...] | None = None) -> tuple[int, np.ndarray, tuple]:
    """(dim, int64 index, the advanced-index tuple addressing x) for gather/scatter."""
    idx = index_array(op, index)
    d = norm_dim(op, dim, len(xshape))
    if idx.ndim != len(xshape):
        raise ShapeError(f"{op}: index has {idx.ndim} dims but the tensor of shape {xshape} "
                         f"has {len(xshape)}")
    for k, (i, s) in enumerate(zip(idx.shape, xshape, strict=True)):
        if k != d and i > s:
            raise ShapeError(f"{op}: index shape {idx.shape} exceeds the tensor shape {xshape} "
                             f"at dim {k}")
        if src_shape is not None and i > src_shape[k]:
            raise ShapeError(f"{op}: index shape {idx.shape} exceeds the src shape {src_shape} "
                             f"at dim {k}")
    check_range(op, idx, d, xshape[d])
    grids = np.indices(idx.shape, sparse=True) if idx.ndim else ()
    full = tuple(idx if k == d else g for k, g in enumerate(grids))
    return d, idx, full


def _hit(shape: tuple[int, ...], full: tuple) -> np.ndarray:
    hit = np.zeros(shape, dtype=bool)
    hit[full] = True
    return hit


def _sub(idx: np.ndarray) -> tuple:
    return tuple(slice(0, s) for s in idx.shape)


def gather(x: Any, dim: int, index: Any) -> Any:
    """out[i][j] = x[index[i][j]][j] for dim 0, and so on (torch.gather)."""
    _, _, full = _scatter_index("gather", shape_of(x), dim, index)
    return sh.getitem(x, index=full)


def take_along_dim(x: Any, indices: Any, dim: int | None = None) -> Any:
    """Pick entries along `dim` by `indices`, broadcasting the other dims (torch/np)."""
    idx = index_array("take_along_dim", indices)
    if dim is None:
        flat = sh.reshape(x, shape=(-1,))
        check_range("take_along_dim", idx, 0, shape_of(flat)[0])
        return sh.getitem(flat, index=idx.reshape(-1))
    xs = shape_of(x)
    d = norm_dim("take_along_dim", dim, len(xs))
    if idx.ndim != len(xs):
        raise ShapeError(f"take_along_dim: indices of shape {idx.shape} and input of shape {xs} "
                         "must have the same number of dims")
    rest = [(a, b) for k, (a, b) in enumerate(zip(xs, idx.shape, strict=True)) if k != d]
    try:
        common = [int(np.broadcast_shapes((a,), (b,))[0]) for a, b in rest]
    except ValueError:
        raise ShapeError(f"take_along_dim: input {xs} and indices {idx.shape} do not broadcast "
                         f"outside dim {dim}") from None
    xb = sh.broadcast_to(x, shape=tuple(common[:d] + [xs[d]] + common[d:]))
    ib = np.broadcast_to(idx, tuple(common[:d] + [idx.shape[d]] + common[d:]))
    return gather(xb, d, ib)


@primitive("scatter", saves=())
def _scatter(x: np.ndarray, src: np.ndarray, *, full: tuple, sub: tuple) -> np.ndarray:
    """x with src[sub] written at the positions `full` (last write wins on duplicates)."""
    out = np.array(x, dtype=np.result_type(x, src), copy=True)
    out[full] = src[sub]
    return out


_scatter.defvjp(
    lambda g, ans, x, src, full, sub: ew.where(_hit(x.shape, full), 0.0, g),
    lambda g, ans, x, src, full, sub: sh.index_add_zeros(
        sh.getitem(g, index=full), shape=src.shape, index=sub),
)


def _src(x: Any, src: Any) -> Any:
    return src if isinstance(src, Tensor) else Tensor(np.asarray(src, dtype=sh._data(x).dtype))


def scatter(x: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Any:
    """Write `src` (or `value`) into a copy of x at `index` along `dim` (torch.scatter)."""
    if reduce is not None:
        names = {"add": "sum", "multiply": "prod"}
        if reduce not in names:
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply'; got {reduce!r}")
        if src is None:
            src = np.full(index_array("scatter", index).shape, value, sh._data(x).dtype)
        return scatter_reduce(x, dim, index, src, names[reduce])
    if (src is None) == (value is None):
        if src is not None and np.ndim(sh._data(src)) == 0 and not isinstance(src, Tensor):
            src, value = None, src
        else:
            raise TypeError("scatter: pass exactly one of src or value")
    if src is None:
        _, _, full = _scatter_index("scatter", shape_of(x), dim, index)
        return ew.where(_hit(shape_of(x), full), value, x)
    src = _src(x, src)
    _, idx, full = _scatter_index("scatter", shape_of(x), dim, index, shape_of(src))
    return _scatter(x, src, full=full, sub=_sub(idx))


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Any:
    """x plus src accumulated at `index` along `dim` (torch.scatter_add)."""
    src = _src(x, src)
    _, idx, full = _scatter_index("scatter_add", shape_of(x), dim, index, shape_of(src))
    placed = sh.index_add_zeros(sh.getitem(src, index=_sub(idx)), shape=shape_of(x), index=full)
    return ew.add(x, placed)


def _counts(shape: tuple[int, ...], full: tuple, weights: np.ndarray) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, full, weights)
    return out


def scatter_reduce(x: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Any:
    """Reduce src into x at `index` with sum / mean / amax / amin (torch.scatter_reduce).

    amax/amin share the gradient evenly among the entries equal to the result (as torch);
    "prod" is not supported (its gradient needs torch's zero handling).
    """
    if reduce not in ("sum", "mean", "amax", "amin", "prod"):
        raise ValueError(f"scatter_reduce: reduce must be sum, prod, mean, amax or amin; "
                         f"got {reduce!r}")
    if reduce == "prod":
        raise NotImplementedError("scatter_reduce: reduce='prod' is not supported; use sum, "
                                  "mean, amax or amin")
    src = _src(x, src)
    xs = shape_of(x)
    _, idx, full = _scatter_index("scatter_reduce", xs, dim, index, shape_of(src))
    part = sh.getitem(src, index=_sub(idx))
    hit = _hit(xs, full)
    keep = np.logical_or(~hit, include_self)
    base = ew.where(keep, x, 0.0)
    if reduce in ("sum", "mean"):
        total = ew.add(base, sh.index_add_zeros(part, shape=xs, index=full))
        if reduce == "sum":
            return total
        count = _counts(xs, full, np.ones(idx.shape)) + keep
        return ew.divide(total, count.astype(sh._data(x).dtype))
    xd, pd = sh._data(x), sh._data(part)
    best = np.where(keep, xd, -np.inf if reduce == "amax" else np.inf)
    (np.maximum if reduce == "amax" else np.minimum).at(best, full, pd)
    self_tie = keep & (xd == best)
    src_tie = pd == best[full]
    count = self_tie + _counts(xs, full, src_tie.astype(float))
    w_self = (self_tie / count).astype(xd.dtype)
    w_src = (src_tie / count[full]).astype(xd.dtype)
    placed = sh.index_add_zeros(ew.multiply(part, w_src), shape=xs, index=full)
    return ew.add(ew.multiply(x, w_self), placed)


def _dim_index(op: str, x: Any, dim: int, index: Any) -> tuple[int, tuple]:
    xs = shape_of(x)
    d = norm_dim(op, dim, len(xs))
    idx = index_array(op, index)
    if idx.ndim > 1:
        raise ShapeError(f"{op}: index must be 0-D or 1-D; got shape {idx.shape}")
    check_range(op, idx, d, xs[d] if xs else 1)
    return d, (slice(None),) * d + (idx.reshape(-1),)


def index_select(x: Any, dim: int, index: Any) -> Any:
    """The entries of dim `dim` listed in the 1-D `index` (torch.index_select)."""
    _, at = _dim_index("index_select", x, dim, index)
    return sh.getitem(x, index=at)


def index_add(x: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
    """x with alpha * source added at the rows `index` of dim `dim` (repeats accumulate)."""
    d, at = _dim_index("index_add", x, dim, index)
    source = _src(x, source)
    want = shape_of(x)[:d] + (len(at[-1]),) + shape_of(x)[d + 1 :]
    if shape_of(source) != want:
        raise ShapeError(f"index_add: source shape {shape_of(source)} must be {want} for input "
                         f"{shape_of(x)}, dim {dim} and {len(at[-1])} indices")
    if alpha != 1:
        source = ew.multiply(source, alpha)
    return ew.add(x, sh.index_add_zeros(source, shape=shape_of(x), index=at))


def index_fill(x: Any, dim: int, index: Any, value: Any) -> Any:
    """x with the rows `index` of dim `dim` set to `value` (a number or 0-D tensor)."""
    _, at = _dim_index("index_fill", x, dim, index)
    hit = np.zeros(shape_of(x), dtype=bool)
    hit[at] = True
    return ew.where(hit, value, x)


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """x with `value` where `mask` is True; the kept entries (and a tensor value) get gradient."""
    m = _mask_array("masked_fill", mask)
    xs = shape_of(x)
    try:
        ok = np.broadcast_shapes(m.shape, xs) == xs
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"masked_fill: mask of shape {m.shape} does not broadcast to the "
                         f"input shape {xs}")
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"masked_fill: value must be a number or a 0-D tensor; got shape "
                         f"{value.shape}")
    return ew.where(m, value, x)


def masked_select(x: Any, mask: Any) -> Any:
    """The 1-D tensor of entries of x where `mask` (broadcast together) is True."""
    m = _mask_array("masked_select", mask)
    try:
        common = np.broadcast_shapes(m.shape, shape_of(x))
    except ValueError:
        raise ShapeError(f"masked_select: mask {m.shape} and input {shape_of(x)} do not "
                         "broadcast") from None
    xb = sh.broadcast_to(x, shape=common) if shape_of(x) != common else x
    return sh.getitem(xb, index=np.broadcast_to(m, common))


def _tri_mask(op: str, x: Any, diagonal: int, lower: bool) -> np.ndarray:
    xs = shape_of(x)
    if len(xs) < 2:
        raise ShapeError(f"{op}: needs a tensor with at least 2 dims; got shape {xs}")
    n, m = xs[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool)
    return keep if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)


def tril(x: Any, diagonal: int = 0) -> Any:
    """Lower triangle of the last two dims (entries above `diagonal` set to 0)."""
    return ew.where(_tri_mask("tril", x, diagonal, True), x, 0.0)


def triu(x: Any, diagonal: int = 0) -> Any:
    """Upper triangle of the last two dims (entries below `diagonal` set to 0)."""
    return ew.where(_tri_mask("triu", x, diagonal, False), x, 0.0)


def nonzero(x: Any, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero entries: (n, ndim) int64, or a tuple of 1-D tensors."""
    arr = sh._data(x)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(arr)))
    return Tensor(np.argwhere(arr).astype(np.int64))


def argwhere(x: Any) -> Any:
    """Indices of the non-zero entries as an (n, ndim) int64 tensor."""
    return nonzero(x)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """`where(c, x, y)` picks x where c else y (numbers allowed); `where(c)` is nonzero tuple."""
    if x is None and y is None:
        return nonzero(condition, as_tuple=True)
    if x is None or y is None:
        raise TypeError("where: pass both x and y, or neither")
    return ew.where(condition, x, y)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of `num_classes` (inferred when -1)."""
    idx = index_array("one_hot", tensor)
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        bad = idx[(idx < 0) | (idx >= num_classes)][0]
        raise IndexError(f"one_hot: class value {int(bad)} is out of range for "
                         f"num_classes {num_classes}")
    out = np.zeros(idx.shape + (builtins.max(num_classes, 0),), dtype=np.int64)
    if idx.size:
        np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor(out)
