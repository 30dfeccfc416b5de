"""Pooling beyond plain max/avg 2-D: integer inputs, 1-D pools, `max_unpool2d` and the
adaptive pools (PyTorch's windows start=floor(i*H/out), end=ceil((i+1)*H/out))."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import ShapeError
from autograd.ops import conv as conv_ops
from autograd.ops.shape import concatenate, getitem
from autograd.tensor import Tensor
from nn._functional.common import as_tensor, check_ndim, ntuple


def int_max_pool2d(x: Tensor, **p: Any) -> tuple[Tensor, Tensor]:
    """Max pooling of an integer tensor (no gradient): pooled exactly in float64 for values
    up to 2**53 in magnitude, then cast back."""
    data = x.data
    if data.size and np.abs(data).max() > 2**53:
        raise ValueError("max_pool2d: integer inputs beyond 2**53 in magnitude are not supported")
    y, am = conv_ops.max_pool2d.forward(data.astype(np.float64), **p)
    return Tensor(y.astype(data.dtype)), Tensor(am)


def _as_2d(x: Tensor, fn: str) -> Tensor:
    check_ndim(fn, x, (2, 3), "(N, C, L) or (C, L)")
    return x.reshape(x.shape[:-1] + (1, x.shape[-1]))


def max_pool1d(
    x: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over windows of the last dim of (N, C, L) / (C, L) (max_pool2d with H = 1)."""
    from nn.functional import max_pool2d

    fn = "max_pool1d"
    x = as_tensor(x)
    k = ntuple(kernel_size, 1, fn, "kernel_size")[0]
    s = k if stride is None else ntuple(stride, 1, fn, "stride")[0]
    p, d = ntuple(padding, 1, fn, "padding")[0], ntuple(dilation, 1, fn, "dilation")[0]
    x4 = _lift(_as_2d(x, fn))
    y, idx = max_pool2d(x4, (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices=True)
    y, idx = _drop(y, x.ndim), _drop(idx, x.ndim)
    return (y, idx) if return_indices else y


def _lift(x3: Tensor) -> Tensor:
    return x3 if x3.ndim == 4 else x3.reshape((1,) + x3.shape)


def _drop(y: Tensor, ndim: int) -> Tensor:
    shape = y.shape[:2] + (y.shape[3],)
    return y.reshape(shape if ndim == 3 else shape[1:])


def avg_pool1d(
    x: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of the last dim of (N, C, L) / (C, L) (avg_pool2d with H = 1)."""
    from nn.functional import avg_pool2d

    fn = "avg_pool1d"
    x = as_tensor(x)
    k = ntuple(kernel_size, 1, fn, "kernel_size")[0]
    s = k if stride is None else ntuple(stride, 1, fn, "stride")[0]
    p = ntuple(padding, 1, fn, "padding")[0]
    y = avg_pool2d(_lift(_as_2d(x, fn)), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return _drop(y, x.ndim)


def max_unpool2d(
    x: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Inverse of max_pool2d: each value goes to its flat index in a zero (H, W) plane."""
    fn = "max_unpool2d"
    x = as_tensor(x)
    check_ndim(fn, x, (3, 4), "(N, C, H, W) or (C, H, W)")
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.shape != x.shape:
        raise ShapeError(f"{fn}: indices {idx.shape} must have the input's shape {x.shape}")
    k = ntuple(kernel_size, 2, fn, "kernel_size")
    s = k if stride is None else ntuple(stride, 2, fn, "stride")
    p = ntuple(padding, 2, fn, "padding")
    if output_size is None:
        size = tuple((x.shape[-2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(2))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
    x4 = x if x.ndim == 4 else x.reshape((1,) + x.shape)
    if idx.size and (idx.min() < 0 or idx.max() >= size[0] * size[1]):
        raise IndexError(f"{fn}: found an index outside the output plane {size} "
                         f"(indices in 0..{int(idx.max())})")
    flat = idx.reshape(x4.shape[0] * x4.shape[1], -1).astype(np.int64)
    first = np.zeros(flat.shape, dtype=bool)  # an index repeated by overlapping windows is
    for r, row in enumerate(flat):  # written once (PyTorch assigns, it does not add)
        first[r, np.unique(row, return_index=True)[1]] = True
    if not first.all():
        x4 = x4 * Tensor(first.reshape(x4.shape).astype(x4.dtype))
    out = conv_ops.max_pool2d_scatter(x4, argmax=flat.reshape(x4.shape),
                                      x_shape=x4.shape[:2] + size)
    return out if x.ndim == 4 else out.reshape(out.shape[1:])


# ----- adaptive pools -----


def _out_sizes(output_size: Any, spatial: tuple[int, ...], fn: str) -> tuple[int, ...]:
    k = len(spatial)
    sizes = (output_size,) * k if isinstance(output_size, (int, type(None))) else tuple(
        output_size)
    if len(sizes) != k:
        raise ValueError(f"{fn}: output_size must be an int or {k} entries; got {output_size!r}")
    return tuple(n if o is None else int(o) for o, n in zip(sizes, spatial, strict=True))


def _windows(n: int, out: int) -> list[tuple[int, int]]:
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


def _adaptive_reduce(x: Tensor, sizes: tuple[int, ...], reduce: str) -> Tensor:
    """Separable windows: reduce one spatial axis at a time (exact for mean and max)."""
    k = len(sizes)
    for i, out in enumerate(sizes):
        axis = x.ndim - k + i
        n = x.shape[axis]
        if out == n:
            continue
        pre = (slice(None),) * axis
        parts = []
        for lo, hi in _windows(n, out):
            piece = getitem(x, index=pre + (slice(lo, hi),))
            parts.append(piece.mean(axis=axis, keepdims=True) if reduce == "mean"
                         else ag.max(piece, axis=axis, keepdims=True))
        x = parts[0] if len(parts) == 1 else concatenate(parts, axis=axis)
    return x


def _adaptive(x: Any, output_size: Any, k: int, fn: str) -> tuple[Tensor, tuple[int, ...]]:
    x = as_tensor(x)
    check_ndim(fn, x, (k + 1, k + 2), f"{k + 2}-D (N, C, ...) or {k + 1}-D (C, ...)")
    sizes = _out_sizes(output_size, tuple(x.shape[-k:]), fn)
    if min(sizes) < 1 or any(x.shape[-k + i] < 1 for i in range(k)):
        raise ShapeError(f"{fn}: output_size {sizes} and input {tuple(x.shape)} must be "
                         f"positive")
    return x, sizes


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, H, W) / (C, H, W)."""
    x, sizes = _adaptive(x, output_size, 2, "adaptive_avg_pool2d")
    if sizes == (1, 1):
        return x.mean(axis=(-2, -1), keepdims=True)
    return _adaptive_reduce(x, sizes, "mean")


def adaptive_avg_pool1d(x: Any, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive windows of the last dim of (N, C, L) / (C, L)."""
    x, sizes = _adaptive(x, output_size, 1, "adaptive_avg_pool1d")
    return _adaptive_reduce(x, sizes, "mean")


def _adaptive_argmax(data: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """Flat index into each (H, W) plane of the first maximum of every adaptive window."""
    h, w = data.shape[-2:]
    planes = data.reshape(-1, h, w)
    out = np.empty((planes.shape[0],) + sizes, dtype=np.int64)
    for i, (h0, h1) in enumerate(_windows(h, sizes[0])):
        for j, (w0, w1) in enumerate(_windows(w, sizes[1])):
            win = planes[:, h0:h1, w0:w1].reshape(planes.shape[0], -1)
            nan = np.isnan(win)
            arg = np.where(nan.any(axis=1), nan.argmax(axis=1), win.argmax(axis=1))
            out[:, i, j] = (h0 + arg // (w1 - w0)) * w + w0 + arg % (w1 - w0)
    return out.reshape(data.shape[:-2] + sizes)


def adaptive_max_pool2d(x: Any, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows; the gradient goes to the first maximum (as the
    indices say, flat in each H*W plane)."""
    x, sizes = _adaptive(x, output_size, 2, "adaptive_max_pool2d")
    x4 = x if x.ndim == 4 else x.reshape((1,) + x.shape)
    idx = _adaptive_argmax(x4.data, sizes)
    if x4.data.dtype.kind == "f":
        y = conv_ops.max_pool2d_gather(x4, argmax=idx)
    else:
        y = Tensor(np.take_along_axis(x4.data.reshape(x4.shape[:2] + (-1,)),
                                      idx.reshape(idx.shape[:2] + (-1,)), 2).reshape(idx.shape))
    if x.ndim == 3:
        y, idx = y.reshape(y.shape[1:]), idx.reshape(idx.shape[1:])
    return (y, Tensor(idx)) if return_indices else y


def adaptive_max_pool1d(x: Any, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows of the last dim of (N, C, L) / (C, L)."""
    x = as_tensor(x)
    check_ndim("adaptive_max_pool1d", x, (2, 3), "(N, C, L) or (C, L)")
    (o,) = _out_sizes(output_size, (x.shape[-1],), "adaptive_max_pool1d")
    y, idx = adaptive_max_pool2d(x.reshape(x.shape[:-1] + (1, x.shape[-1])), (1, o), True)
    y = y.reshape(y.shape[:-2] + (o,))
    idx = Tensor(idx.data.reshape(idx.shape[:-2] + (o,)))
    return (y, idx) if return_indices else y
