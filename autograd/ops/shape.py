"""Shape and indexing primitives: reshape, transpose, broadcasting, indexing, joining."""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import ShapeError, format_shapes
from autograd.registry import primitive, unrecorded


def _shape_tuple(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _reshape_check(x: np.ndarray, *, shape: tuple[int, ...]) -> None:
    shape = _shape_tuple(shape)
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or builtins.any(s < -1 for s in shape):
        ok = False
    elif -1 in shape:
        ok = known != 0 and x.size % known == 0
    else:
        ok = known == x.size
    if not ok:
        raise ShapeError(
            f"reshape: cannot reshape tensor of shape {x.shape} ({x.size} elements) "
            f"into shape {shape}"
        )


@primitive("reshape", check=_reshape_check, saves=())
def reshape(x: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    return np.reshape(x, _shape_tuple(shape))


reshape.defvjp(unrecorded(lambda g, ans, x, shape: g.reshape(x.shape)))


def _transpose_check(x: np.ndarray, *, axes: tuple[int, ...] | None = None) -> None:
    if axes is not None and sorted(a % builtins.max(x.ndim, 1) for a in axes) != list(
        range(x.ndim)
    ):
        raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                         f"{x.ndim} dimensions of a tensor of shape {x.shape}")


@primitive("transpose", check=_transpose_check, saves=())
def transpose(x: np.ndarray, *, axes: tuple[int, ...] | None = None) -> np.ndarray:
    return np.transpose(x, axes)


def _transpose_vjp(g: Any, ans: Any, x: Any, axes: tuple[int, ...] | None = None) -> Any:
    if axes is None:
        return transpose(g)
    return transpose(g, axes=tuple(np.argsort([a % x.ndim for a in axes])))


transpose.defvjp(_transpose_vjp)


def _broadcast_check(x: np.ndarray, *, shape: tuple[int, ...]) -> None:
    target = _shape_tuple(shape)
    if x.shape == target:
        return
    try:
        ok = np.broadcast_shapes(x.shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"broadcast_to: cannot broadcast {x.shape} to {_shape_tuple(shape)}")


@primitive("broadcast_to", check=_broadcast_check, saves=())
def broadcast_to(x: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(x, _shape_tuple(shape))


broadcast_to.defvjp(lambda g, ans, x, shape: sum_to(g, shape=x.shape))


def sum_to_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[tuple[int, ...], bool]:
    """Axes to sum so an array of `shape` becomes `target` (NumPy broadcasting in reverse)."""
    lead = len(shape) - len(target)
    if lead < 0:
        raise ShapeError(f"sum_to: cannot reduce shape {shape} to the larger shape {target}")
    axes = list(range(lead))
    for i, t in enumerate(target):
        s = shape[lead + i]
        if t == 1 and s != 1:
            axes.append(lead + i)
        elif t != s:
            raise ShapeError(f"sum_to: shape {shape} does not broadcast from {target}")
    return tuple(axes), lead > 0


@primitive("sum_to", saves=())
def sum_to(x: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `x` down to `shape`: the reverse of broadcasting (used once per edge by backward)."""
    axes, _ = sum_to_axes(x.shape, tuple(shape))
    out = np.sum(x, axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


sum_to.defvjp(lambda g, ans, x, shape: broadcast_to(g, shape=x.shape))


def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Any:
    """Insert size-1 axes (NumPy's expand_dims, multiple axes allowed)."""
    shape = np.expand_dims(np.empty(_data(x).shape, dtype=bool), axis).shape
    return reshape(x, shape=shape)


def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """Remove size-1 axes; naming an axis whose size is not 1 is a ShapeError."""
    shape = _data(x).shape
    try:
        new = np.squeeze(np.empty(shape, dtype=bool), axis).shape
    except ValueError as exc:
        raise ShapeError(f"squeeze: {exc} (shape {shape}, axis {axis})") from None
    return reshape(x, shape=new)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge dimensions start_dim..end_dim into one (default: all, giving 1-D)."""
    shape = _data(x).shape
    if not shape:
        return reshape(x, shape=(1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    merged = int(np.prod(shape[s : e + 1]))
    return reshape(x, shape=shape[:s] + (merged,) + shape[e + 1 :])


def _data(x: Any) -> np.ndarray:
    return x.data if hasattr(x, "data") and isinstance(x.data, np.ndarray) else np.asarray(x)


# ----- indexing -----


def normalize_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays; keep slices, ints, None, Ellipsis."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if hasattr(index, "grad_fn") and hasattr(index, "data"):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (slice, int, np.integer)) or i is None or i is Ellipsis for i in items
    )


def _getitem_check(x: np.ndarray, *, index: Any) -> None:
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, np.ndarray) and i.dtype.kind == "f":
            raise IndexError(
                f"getitem: only integer or boolean arrays are valid indices; got {i.dtype}"
            )


@primitive("getitem", check=_getitem_check, saves=())
def getitem(x: np.ndarray, *, index: Any) -> np.ndarray:
    return x[index]


getitem.defvjp(lambda g, ans, x, index: index_add_zeros(g, shape=x.shape, index=index))


@primitive("index_add_zeros", saves=())
def index_add_zeros(g: np.ndarray, *, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """zeros(shape) with `g` added at `index`; repeated indices accumulate (np.add.at)."""
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


index_add_zeros.defvjp(lambda g, ans, x, shape, index: getitem(g, index=index))


# ----- joining and padding -----


def _concat_check(*xs: np.ndarray, axis: int = 0) -> None:
    if not xs:
        raise ShapeError("concatenate: need at least one tensor")
    nd = xs[0].ndim
    if nd == 0:
        raise ShapeError("concatenate: zero-dimensional tensors cannot be concatenated")
    ax = axis % nd
    for x in xs:
        if x.ndim != nd or x.shape[:ax] + x.shape[ax + 1 :] != xs[0].shape[:ax] + xs[0].shape[
            ax + 1 :
        ]:
            raise ShapeError(
                f"concatenate: shapes {format_shapes([a.shape for a in xs])} differ outside "
                f"axis {axis}"
            )


@primitive("concatenate", check=_concat_check, saves=())
def _concatenate(*xs: np.ndarray, axis: int = 0) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _concat_vjp(i: int, g: Any, ans: Any, *xs: Any, axis: int = 0) -> Any:
    ax = axis % g.ndim
    start = builtins.sum(x.shape[ax] for x in xs[:i])
    index = (slice(None),) * ax + (slice(start, start + xs[i].shape[ax]),)
    return getitem(g, index=index)


_concatenate.defvjp_argnum(_concat_vjp)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Any:
    """Join tensors along an existing axis (np.concatenate)."""
    return _concatenate(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Any:
    """Join tensors along a new axis (np.stack)."""
    shapes = {_data(t).shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape; got {sorted(shapes)}")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Any]:
    """Split into pieces along `axis` (np.split semantics); each piece is differentiable."""
    n = _data(x).shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ShapeError(
                f"split: axis {axis} of size {n} does not divide into {indices_or_sections} "
                "equal sections"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step)) if step else [0] * (indices_or_sections + 1)
    else:
        bounds = [0, *indices_or_sections, n]
    ax = axis % _data(x).ndim
    return [
        getitem(x, index=(slice(None),) * ax + (slice(a, b),))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


@primitive("pad", saves=())
def pad(x: np.ndarray, *, pad_width: Any, value: float = 0.0) -> np.ndarray:
    """Constant padding (np.pad with mode="constant")."""
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _pad_vjp(g: Any, ans: Any, x: Any, pad_width: Any, value: float = 0.0) -> Any:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    index = tuple(slice(int(a), int(a) + n) for (a, _), n in zip(widths, x.shape, strict=True))
    return getitem(g, index=index)


pad.defvjp(_pad_vjp)
