"""PyTorch's shape functions (permute, expand, repeat, narrow, chunk, split, unbind, ...).

Every one is a composition of the shape primitives in `autograd/ops/shape.py` (reshape,
transpose, broadcast_to, getitem, concatenate), so gradients of any order come from theirs.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.aliases import torch_names
from autograd.errors import ShapeError
from autograd.ops import shape as sh


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of a Tensor, array or nested list."""
    return tuple(sh._data(x).shape)


def norm_dim(op: str, dim: Any, ndim: int) -> int:
    """`dim` in [0, ndim) or an IndexError naming the op, the dim and the rank."""
    n = builtins.max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension {dim} is out of range for a tensor of rank {ndim} "
            f"(expected in [{-n}, {n - 1}])"
        )
    return int(dim) % n


def sizes_arg(sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """`f(2, 3)` or `f((2, 3))` / `f([2, 3])` / `f(torch.Size)` as one tuple of ints."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def _dims_arg(op: str, dims: tuple[Any, ...], ndim: int) -> tuple[int, ...]:
    return tuple(norm_dim(op, d, ndim) for d in sizes_arg(dims))


def permute(x: Any, *dims: Any) -> Any:
    """Reorder dimensions: `permute(x, 2, 0, 1)` or `permute(x, (2, 0, 1))` (torch.permute)."""
    nd = len(shape_of(x))
    axes = _dims_arg("permute", dims, nd)
    if sorted(axes) != list(range(nd)):
        raise ShapeError(f"permute: dims {sizes_arg(dims)} are not a permutation of the {nd} "
                         f"dimensions of a tensor of shape {shape_of(x)}")
    return sh.transpose(x, axes=axes)


def swapaxes(x: Any, axis0: int, axis1: int) -> Any:
    """Swap two dimensions (torch.swapaxes / swapdims / transpose(x, d0, d1))."""
    nd = len(shape_of(x))
    a, b = norm_dim("swapaxes", axis0, nd), norm_dim("swapaxes", axis1, nd)
    axes = list(range(nd))
    axes[a], axes[b] = axes[b], axes[a]
    return sh.transpose(x, axes=tuple(axes))


def transpose(x: Any, *dims: Any, axes: Any = None) -> Any:
    """Two ints swap those dims (PyTorch); otherwise NumPy: none reverses, a tuple permutes."""
    if len(dims) == 2 and all(isinstance(d, (int, np.integer)) for d in dims):
        return swapaxes(x, *dims)
    if len(dims) == 1:
        axes = dims[0]
    elif dims:
        axes = dims
    return sh.transpose(x, axes=None if axes is None else tuple(axes))


def t(x: Any) -> Any:
    """Transpose a matrix; 0-D and 1-D inputs are returned as they are (torch.t)."""
    nd = len(shape_of(x))
    if nd > 2:
        raise ShapeError(f"t: expects a tensor with <= 2 dimensions; got shape {shape_of(x)}")
    return sh.transpose(x, axes=None) if nd == 2 else sh.reshape(x, shape=shape_of(x))


def matrix_transpose(x: Any) -> Any:
    """Swap the last two dims (torch's `x.mT`)."""
    if len(shape_of(x)) < 2:
        raise ShapeError(f"mT: needs at least 2 dimensions; got shape {shape_of(x)}")
    return swapaxes(x, -2, -1)


def movedim(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    """Move dims from `source` to `destination` positions (torch.movedim / np.moveaxis)."""
    nd = len(shape_of(x))
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise ShapeError(f"movedim: {len(src)} source dims but {len(dst)} destinations")
    src = [norm_dim("movedim", d, nd) for d in src]
    dst = [norm_dim("movedim", d, nd) for d in dst]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return sh.transpose(x, axes=tuple(order))


def view(x: Any, *shape: Any) -> Any:
    """Reshape, `-1` inferring one size: `view(x, 2, -1)` or `view(x, (2, -1))`."""
    return sh.reshape(x, shape=sizes_arg(shape))


def view_as(x: Any, other: Any) -> Any:
    """Reshape `x` to the shape of `other`."""
    return sh.reshape(x, shape=shape_of(other))


def expand(x: Any, *sizes: Any) -> Any:
    """Broadcast to `sizes`; `-1` keeps that dim's size (torch's Tensor.expand)."""
    target = sizes_arg(sizes)
    cur = shape_of(x)
    lead = len(target) - len(cur)
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes {target} must be >= the tensor's "
                         f"{len(cur)} dimensions (shape {cur})")
    out = []
    for i, s in enumerate(target):
        if s == -1:
            if i < lead:
                raise ShapeError(f"expand: -1 is not allowed for the new leading dim {i}")
            s = cur[i - lead]
        out.append(s)
    return sh.broadcast_to(x, shape=tuple(out))


def expand_as(x: Any, other: Any) -> Any:
    """Broadcast `x` to the shape of `other`."""
    return sh.broadcast_to(x, shape=shape_of(other))


def tile(x: Any, dims: Sequence[int]) -> Any:
    """Repeat the whole tensor `dims[i]` times along each dim (np.tile / torch.tile)."""
    reps = sizes_arg((dims,))
    cur = shape_of(x)
    nd = builtins.max(len(cur), len(reps))
    cur = (1,) * (nd - len(cur)) + cur
    reps = (1,) * (nd - len(reps)) + reps
    if builtins.any(r < 0 for r in reps):
        raise ShapeError(f"tile: repeats must be non-negative; got {reps}")
    inter = tuple(v for c in cur for v in (1, c))
    big = tuple(v for r, c in zip(reps, cur, strict=True) for v in (r, c))
    y = sh.broadcast_to(sh.reshape(x, shape=inter), shape=big)
    return sh.reshape(y, shape=tuple(r * c for r, c in zip(reps, cur, strict=True)))


def repeat(x: Any, *sizes: Any) -> Any:
    """torch's Tensor.repeat: tile by `sizes`, which may not be shorter than the rank."""
    reps = sizes_arg(sizes)
    if len(reps) < len(shape_of(x)):
        raise ShapeError(f"repeat: {len(reps)} repeats {reps} are fewer than the tensor's "
                         f"{len(shape_of(x))} dimensions (shape {shape_of(x)})")
    return tile(x, reps)


def unsqueeze(x: Any, dim: int) -> Any:
    """Insert a size-1 dim at `dim` (which may be -1 .. rank, as torch)."""
    cur = shape_of(x)
    d = norm_dim("unsqueeze", dim, len(cur) + 1)
    return sh.reshape(x, shape=cur[:d] + (1,) + cur[d:])


def squeeze_dims(x: Any, dim: int | Sequence[int] | None = None) -> Any:
    """torch.squeeze: drop size-1 dims (all, one, or a tuple); naming a non-1 dim is a no-op."""
    cur = shape_of(x)
    if dim is None:
        drop = {i for i, s in enumerate(cur) if s == 1}
    else:
        dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
        drop = {d for d in (norm_dim("squeeze", d, len(cur)) for d in dims) if cur and cur[d] == 1}
    return sh.reshape(x, shape=tuple(s for i, s in enumerate(cur) if i not in drop))


def squeeze(x: Any, axis: int | Sequence[int] | None = None, *, dim: Any = None) -> Any:
    """`squeeze(x, axis)` is NumPy's (a non-1 axis is a ShapeError); `dim=` is torch's (no-op)."""
    if dim is not None:
        return squeeze_dims(x, dim)
    return sh.squeeze(x, axis)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge dims start_dim..end_dim into one (torch.flatten; 0-D gives shape (1,))."""
    cur = shape_of(x)
    if not cur:
        return sh.reshape(x, shape=(1,))
    s, e = norm_dim("flatten", start_dim, len(cur)), norm_dim("flatten", end_dim, len(cur))
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return sh.reshape(x, shape=cur[:s] + (math.prod(cur[s : e + 1]),) + cur[e + 1 :])


def unflatten(x: Any, dim: int, sizes: Sequence[int]) -> Any:
    """Split dim `dim` into `sizes` (one may be -1) (torch.unflatten)."""
    cur = shape_of(x)
    d = norm_dim("unflatten", dim, len(cur))
    sizes = tuple(int(s) for s in sizes)
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) == 1 and known and cur[d] % known == 0:
        sizes = tuple(cur[d] // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != cur[d] or builtins.any(s < 0 for s in sizes):
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply to the size {cur[d]} of "
                         f"dim {dim} (shape {cur})")
    return sh.reshape(x, shape=cur[:d] + sizes + cur[d + 1 :])


def _slice(x: Any, d: int, a: int, b: int) -> Any:
    return sh.getitem(x, index=(slice(None),) * d + (slice(a, b),))


def narrow(x: Any, dim: int, start: int, length: int) -> Any:
    """`length` entries of dim `dim` from `start` (torch.narrow; start may be negative)."""
    cur = shape_of(x)
    d = norm_dim("narrow", dim, len(cur))
    n = cur[d]
    s = int(start) + n if start < 0 else int(start)
    if not 0 <= s <= n or length < 0 or s + length > n:
        raise IndexError(f"narrow: start {start} and length {length} are out of range for dim "
                         f"{dim} of size {n}")
    return _slice(x, d, s, s + int(length))


def _pieces(x: Any, d: int, sizes: Sequence[int]) -> tuple[Any, ...]:
    bounds = np.cumsum([0, *sizes])
    return tuple(_slice(x, d, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True))


def split_torch(x: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """torch.split: an int is the size of each piece (the last may be smaller); a list, sizes."""
    cur = shape_of(x)
    d = norm_dim("split", dim, len(cur))
    n = cur[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and n:
            raise ShapeError(f"split: split_size must be positive; got {size}")
        sizes = [builtins.min(size, n - a) for a in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or builtins.any(s < 0 for s in sizes):
            raise ShapeError(f"split: sections {sizes} do not sum to the size {n} of dim {dim}")
    return _pieces(x, d, sizes)


def split(x: Any, indices_or_sections: Any = None, axis: int = 0, *, dim: Any = None,
          split_size_or_sections: Any = None) -> Any:
    """NumPy's split for `split(x, n, axis)`; `dim=` or `split_size_or_sections=` is torch's."""
    if dim is not None or split_size_or_sections is not None:
        if split_size_or_sections is None:
            split_size_or_sections = indices_or_sections
        return split_torch(x, split_size_or_sections, 0 if dim is None else dim)
    return sh.split(x, indices_or_sections, axis)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    """torch.chunk: at most `chunks` pieces of size ceil(n / chunks)."""
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be positive; got {chunks}")
    n = shape_of(x)[norm_dim("chunk", dim, len(shape_of(x)))]
    return split_torch(x, builtins.max(-(-n // chunks), 1), dim)


def unbind(x: Any, dim: int = 0) -> tuple:
    """The slices along `dim`, each without that dim (torch.unbind)."""
    cur = shape_of(x)
    d = norm_dim("unbind", dim, len(cur))
    return tuple(sh.getitem(x, index=(slice(None),) * d + (i,)) for i in range(cur[d]))


@torch_names
def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    """torch.cat / torch.concat: np.concatenate with `dim=`."""
    tensors = list(tensors)
    if tensors and len(shape_of(tensors[0])):
        norm_dim("cat", dim, len(shape_of(tensors[0])))
    return sh.concatenate(tensors, axis=dim)


@torch_names
def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Join along a new dim `dim` (torch.stack / np.stack)."""
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("stack: need at least one tensor")
    norm_dim("stack", dim, len(shape_of(tensors[0])) + 1)
    return sh.stack(tensors, axis=dim)


def atleast_1d(x: Any) -> Any:
    """0-D becomes shape (1,); others are returned unchanged."""
    return sh.reshape(x, shape=(1,)) if not shape_of(x) else x


def atleast_2d(x: Any) -> Any:
    """0-D and 1-D gain leading size-1 dims up to 2-D (np.atleast_2d)."""
    cur = shape_of(x)
    return sh.reshape(x, shape=(1,) * (2 - len(cur)) + cur) if len(cur) < 2 else x


def atleast_3d(x: Any) -> Any:
    """Up to 3-D as np.atleast_3d: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    cur = shape_of(x)
    new = {0: (1, 1, 1), 1: (1, *cur, 1), 2: (*cur, 1)}.get(len(cur))
    return x if new is None else sh.reshape(x, shape=new)


def hstack(tensors: Sequence[Any]) -> Any:
    """Join along dim 1 (dim 0 for 1-D inputs), as np.hstack / torch.hstack."""
    ts = [atleast_1d(t) for t in tensors]
    return sh.concatenate(ts, axis=0 if len(shape_of(ts[0])) == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Any:
    """Join along dim 0 after making every input at least 2-D."""
    return sh.concatenate([atleast_2d(t) for t in tensors], axis=0)


def dstack(tensors: Sequence[Any]) -> Any:
    """Join along dim 2 after making every input at least 3-D."""
    return sh.concatenate([atleast_3d(t) for t in tensors], axis=2)


def broadcast_tensors(*tensors: Any) -> tuple:
    """Broadcast every input to their common shape (torch.broadcast_tensors)."""
    shapes = [shape_of(t) for t in tensors]
    try:
        common = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"broadcast_tensors: shapes {shapes} do not broadcast") from None
    return tuple(sh.broadcast_to(t, shape=common) for t in tensors)

