"""`interpolate` (nearest, nearest-exact, linear, bilinear with PyTorch's coordinate mapping)
and `pixel_shuffle` / `pixel_unshuffle`, composed from gathers and reshapes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops.shape import getitem
from autograd.tensor import Tensor
from nn._functional.common import as_tensor

MODES = ("nearest", "nearest-exact", "linear", "bilinear")
_MODE_DIMS = {"linear": 1, "bilinear": 2}


def _sizes(x: Tensor, k: int, size: Any, scale_factor: Any) -> tuple[list[int], list[float]]:
    """Output sizes and the input/output scales PyTorch maps coordinates with."""
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        out = [int(size)] * k if isinstance(size, (int, np.integer)) else [int(v) for v in size]
        if len(out) != k:
            raise ValueError(f"interpolate: size must have {k} entries for input {x.shape}")
        return out, [n / o for n, o in zip(spatial, out, strict=True)]
    sf = [float(scale_factor)] * k if not isinstance(scale_factor, Sequence) else [
        float(v) for v in scale_factor]
    if len(sf) != k:
        raise ValueError(f"interpolate: scale_factor must have {k} entries for input {x.shape}")
    return [math.floor(n * f) for n, f in zip(spatial, sf, strict=True)], [1.0 / f for f in sf]


def _take(x: Tensor, axis: int, idx: np.ndarray) -> Tensor:
    return getitem(x, index=(slice(None),) * axis + (idx,))


def _resample_axis(x: Tensor, axis: int, n_out: int, scale: float, mode: str,
                   align_corners: bool) -> Tensor:
    n = x.shape[axis]
    dst = np.arange(n_out, dtype=np.float64)
    if mode == "nearest":
        return _take(x, axis, np.minimum(np.floor(dst * scale).astype(np.int64), n - 1))
    if mode == "nearest-exact":
        return _take(x, axis, np.minimum(np.floor((dst + 0.5) * scale).astype(np.int64), n - 1))
    if align_corners:
        src = dst * ((n - 1) / (n_out - 1)) if n_out > 1 else np.zeros_like(dst)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = (src - i0).reshape((-1,) + (1,) * (x.ndim - axis - 1)).astype(x.dtype)
    return _take(x, axis, i0) * Tensor(1 - lam) + _take(x, axis, i1) * Tensor(lam)


def interpolate(
    x: Any,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, ...) spatially: nearest / nearest-exact for any rank, linear on 3-D and
    bilinear on 4-D inputs, with PyTorch's source coordinates (scale = 1/scale_factor when it
    is given, else in/out; `recompute_scale_factor=True` uses in/out)."""
    x = as_tensor(x)
    if mode not in MODES:
        raise ValueError(f"interpolate: mode must be one of {MODES}; got {mode!r}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    k = x.ndim - 2
    if k < 1 or (mode in _MODE_DIMS and k != _MODE_DIMS[mode]):
        want = f"{_MODE_DIMS[mode] + 2}-D" if mode in _MODE_DIMS else "at least 3-D"
        raise ShapeError(f"interpolate: mode {mode!r} expects a {want} input (N, C, ...); "
                         f"got shape {tuple(x.shape)}")
    if align_corners is not None and mode.startswith("nearest"):
        raise ValueError("interpolate: align_corners only applies to linear and bilinear modes")
    out, scales = _sizes(x, k, size, scale_factor)
    if min(out) < 1:
        raise ShapeError(f"interpolate: output size {out} must be positive (input {x.shape})")
    if recompute_scale_factor:
        scales = [n / o for n, o in zip(x.shape[2:], out, strict=True)]
    for i in range(k):
        x = _resample_axis(x, 2 + i, out[i], scales[i], mode, bool(align_corners))
    return x


def pixel_shuffle(x: Any, upscale_factor: int) -> Tensor:
    """(..., C*r*r, H, W) -> (..., C, H*r, W*r)."""
    x = as_tensor(x)
    r = int(upscale_factor)
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ShapeError(f"pixel_shuffle: expected (..., C*{r * r}, H, W) with channels "
                         f"divisible by upscale_factor**2={r * r}; got shape {tuple(x.shape)}")
    *lead, c, h, w = x.shape
    b = len(lead)
    y = x.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    perm = tuple(range(b)) + tuple(b + i for i in (0, 3, 1, 4, 2))
    return y.transpose(perm).reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(x: Any, downscale_factor: int) -> Tensor:
    """(..., C, H*r, W*r) -> (..., C*r*r, H, W), the inverse of pixel_shuffle."""
    x = as_tensor(x)
    r = int(downscale_factor)
    if x.ndim < 3 or x.shape[-2] % r or x.shape[-1] % r:
        raise ShapeError(f"pixel_unshuffle: expected (..., C, H, W) with H and W divisible by "
                         f"downscale_factor={r}; got shape {tuple(x.shape)}")
    *lead, c, h, w = x.shape
    b = len(lead)
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    perm = tuple(range(b)) + tuple(b + i for i in (0, 2, 4, 1, 3))
    return y.transpose(perm).reshape(tuple(lead) + (c * r * r, h // r, w // r))
