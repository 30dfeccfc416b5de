"""Functional image transforms on NumPy arrays: one image (C, H, W) / (H, W) or a batch
(N, C, H, W) (torchvision.transforms.functional names where they exist).

Geometry is in pixel indices, with the image centre at ((W - 1) / 2, (H - 1) / 2); a
torchvision `center=(cx, cy)` (continuous coordinates, pixel i spanning [i, i + 1]) is
index (cx - 0.5, cy - 0.5). Positive rotation is counter-clockwise on screen (as `np.rot90`
and torchvision), a translation `(dx, dy)` moves content right and down, scale > 1 enlarges.
The affine family maps every output pixel back into the input and samples it ("nearest" or
"bilinear"), vectorized over the batch; points outside the input read `fill`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dataset import _make_generator, shared_generator

__all__ = [
    "InterpolationMode",
    "normalize",
    "pad",
    "crop",
    "center_crop",
    "resize",
    "resized_crop",
    "random_crop",
    "hflip",
    "vflip",
    "affine",
    "translate",
    "rotate",
    "scale",
    "shear",
    "to_float",
    "to_tensor",
]


class InterpolationMode:
    """torchvision's interpolation names (plain strings here)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _interpolation(mode: Any, who: str) -> str:
    name = str(getattr(mode, "value", mode)).lower()
    if name not in ("nearest", "bilinear"):
        raise ValueError(f"{who}: interpolation must be 'nearest' or 'bilinear', got {mode!r}")
    return name


# ----------------------------------------------------------------------------- helpers


def _as_batch(x: Any, who: str) -> tuple[np.ndarray, int]:
    """(N, C, H, W) view of x and its original ndim (2, 3 or 4)."""
    data = getattr(x, "data", x)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim == 2:
        return arr[None, None], 2
    if arr.ndim == 3:
        return arr[None], 3
    if arr.ndim == 4:
        return arr, 4
    raise ValueError(
        f"{who}: expected an image (C, H, W) or (H, W) or a batch (N, C, H, W), "
        f"got shape {arr.shape}"
    )


def _restore(out: np.ndarray, ndim: int) -> np.ndarray:
    if ndim == 2:
        return out[0, 0]
    if ndim == 3:
        return out[0]
    return out


def _float_dtype(arr: np.ndarray) -> np.dtype:
    return arr.dtype if arr.dtype in (np.float32, np.float64) else np.dtype(np.float32)


def _rng(rng: np.random.Generator | None, seed: int | None, who: str) -> np.random.Generator:
    """`rng`, a new generator from `seed`, or else tracegrad's shared one (`ag.manual_seed`)."""
    gen = _make_generator(rng, seed, who, "rng")
    return gen if gen is not None else shared_generator()


def _range(value: float | Sequence[float], who: str, name: str) -> tuple[float, float]:
    """A symmetric (-v, v) range from a number, or a (lo, hi) pair as given."""
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ValueError(
                f"{who}: {name} must be non-negative when a single number, got {value}"
            )
        return -float(value), float(value)
    lo, hi = (float(v) for v in value)
    if lo > hi:
        raise ValueError(f"{who}: {name} range ({lo}, {hi}) has lo > hi")
    return lo, hi


def _pair(value: int | Sequence[int], who: str, name: str) -> tuple[int, int]:
    if isinstance(value, numbers.Integral):
        return int(value), int(value)
    vals = tuple(int(v) for v in value)
    if len(vals) != 2:
        raise ValueError(f"{who}: {name} must be an int or a pair, got {value!r}")
    return vals[0], vals[1]


# ----------------------------------------------------------------------------- functional


def normalize(
    x: np.ndarray, mean: float | Sequence[float], std: float | Sequence[float]
) -> np.ndarray:
    """(x - mean) / std per channel; `mean`/`std` are scalars or one value per channel."""
    arr, nd = _as_batch(x, "normalize")
    c = arr.shape[1]
    m = np.asarray(mean, dtype=np.float64).reshape(-1)
    s = np.asarray(std, dtype=np.float64).reshape(-1)
    for name, v in (("mean", m), ("std", s)):
        if v.size not in (1, c):
            raise ValueError(f"normalize: {name} has {v.size} values for {c} channels")
    if np.any(s == 0):
        raise ValueError(f"normalize: std must be non-zero, got {s.tolist()}")
    dt = _float_dtype(arr)
    out = (arr - m.astype(dt).reshape(1, -1, 1, 1)) / s.astype(dt).reshape(1, -1, 1, 1)
    return _restore(out.astype(dt, copy=False), nd)


def _pad_widths(p: int | Sequence[int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from p, (px, py) or (left, top, right, bottom)."""
    if isinstance(p, numbers.Integral):
        vals: tuple[int, ...] = (int(p),) * 4
    else:
        vals = tuple(int(v) for v in p)
        if len(vals) == 2:
            vals = (vals[0], vals[1], vals[0], vals[1])
    if len(vals) != 4 or any(v < 0 for v in vals):
        raise ValueError(
            f"pad: padding must be a non-negative int, (px, py) or (left, top, right, bottom), "
            f"got {p!r}"
        )
    return vals[0], vals[1], vals[2], vals[3]


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def pad(
    x: np.ndarray, padding: int | Sequence[int], fill: float = 0, padding_mode: str = "constant"
) -> np.ndarray:
    """Pad the spatial axes: p, (px, py) or (left, top, right, bottom); `padding_mode` is
    "constant" (with `fill`), "edge", "reflect" (no edge repeat) or "symmetric" (torchvision)."""
    arr, nd = _as_batch(x, "pad")
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"pad: padding_mode must be one of {sorted(_PAD_MODES)}, "
                         f"got {padding_mode!r}")
    left, top, right, bottom = _pad_widths(padding)
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    if padding_mode == "constant":
        out = np.pad(arr, widths, constant_values=fill)
    else:
        out = np.pad(arr, widths, mode=_PAD_MODES[padding_mode])
    return _restore(out, nd)


def crop(x: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The window [top:top+height, left:left+width] of the spatial axes."""
    arr, nd = _as_batch(x, "crop")
    h, w = arr.shape[-2:]
    if top < 0 or left < 0 or height <= 0 or width <= 0 or top + height > h or left + width > w:
        raise ValueError(
            f"crop: window top={top}, left={left}, {height}x{width} does not fit a {h}x{w} image"
        )
    return _restore(arr[..., top : top + height, left : left + width], nd)


def random_crop(
    x: np.ndarray,
    size: int | Sequence[int],
    padding: int | Sequence[int] | None = None,
    pad_if_needed: bool = False,
    fill: float = 0,
    padding_mode: str = "constant",
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Pad by `padding` (and, with `pad_if_needed`, up to `size` on both sides), then cut a
    (h, w) = `size` window at a random place per image (torchvision's RandomCrop)."""
    arr, nd = _as_batch(x, "random_crop")
    gen = _rng(rng, seed, "random_crop")
    th, tw = _pair(size, "random_crop", "size")
    if padding:
        arr = pad(arr, padding, fill, padding_mode)
    if pad_if_needed and arr.shape[-1] < tw:
        arr = pad(arr, (tw - arr.shape[-1], 0), fill, padding_mode)
    if pad_if_needed and arr.shape[-2] < th:
        arr = pad(arr, (0, th - arr.shape[-2]), fill, padding_mode)
    n, c, h, w = arr.shape
    if th > h or tw > w or th <= 0 or tw <= 0:
        raise ValueError(f"random_crop: size ({th}, {tw}) does not fit the padded {h}x{w} image")
    tops = gen.integers(0, h - th + 1, size=n)
    lefts = gen.integers(0, w - tw + 1, size=n)
    rows = tops[:, None] + np.arange(th)  # (N, th)
    cols = lefts[:, None] + np.arange(tw)  # (N, tw)
    out = arr[np.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # N,th,tw,C
    return _restore(np.ascontiguousarray(out.transpose(0, 3, 1, 2)), nd)


def hflip(x: np.ndarray) -> np.ndarray:
    """Mirror left-right (the last axis)."""
    arr, nd = _as_batch(x, "hflip")
    return _restore(np.ascontiguousarray(arr[..., ::-1]), nd)


def vflip(x: np.ndarray) -> np.ndarray:
    """Mirror top-bottom (the second-last axis)."""
    arr, nd = _as_batch(x, "vflip")
    return _restore(np.ascontiguousarray(arr[..., ::-1, :]), nd)


def center_crop(x: np.ndarray, output_size: int | Sequence[int]) -> np.ndarray:
    """The central (h, w) window; an image smaller than that is first zero-padded around
    (torchvision's rounding of the offsets)."""
    arr, nd = _as_batch(x, "center_crop")
    th, tw = _pair(output_size, "center_crop", "size")
    h, w = arr.shape[-2:]
    if th > h or tw > w:
        left, top = max(tw - w, 0) // 2, max(th - h, 0) // 2
        right, bottom = max(tw - w, 0) - left, max(th - h, 0) - top
        arr = np.pad(arr, ((0, 0), (0, 0), (top, bottom), (left, right)))
        h, w = arr.shape[-2:]
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return _restore(arr[..., top : top + th, left : left + tw], nd)


def _resize_size(h: int, w: int, size: int | Sequence[int], max_size: int | None) -> tuple:
    if isinstance(size, numbers.Integral) or (not isinstance(size, int) and len(size) == 1):
        s = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"resize: max_size = {max_size} must be strictly greater than "
                                 f"the requested size for the smaller edge size = {s}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("resize: max_size is only supported for an int size")
    return _pair(size, "resize", "size")


def _source_index(out: int, inp: int, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i0, i1, weight of i1) per output index along one axis, as torch.nn.functional
    .interpolate with align_corners=False."""
    scale = inp / out
    dst = np.arange(out, dtype=np.float64)
    if mode == "nearest":
        i0 = np.minimum(np.floor(dst * scale).astype(np.int64), inp - 1)
        return i0, i0, np.zeros(out)
    src = np.maximum(scale * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), inp - 1)
    i1 = np.minimum(i0 + 1, inp - 1)
    return i0, i1, src - i0


def resize(
    x: np.ndarray, size: int | Sequence[int], interpolation: Any = "bilinear",
    max_size: int | None = None,
) -> np.ndarray:
    """Resize to `size` = (h, w), or the smaller edge to an int `size` keeping the aspect
    ratio; "bilinear" or "nearest" as torchvision on tensors with antialias=False. Integer
    images are rounded back to their dtype."""
    mode = _interpolation(interpolation, "resize")
    arr, nd = _as_batch(x, "resize")
    h, w = arr.shape[-2:]
    oh, ow = _resize_size(h, w, size, max_size)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"resize: output size ({oh}, {ow}) must be positive")
    y0, y1, wy = _source_index(oh, h, mode)
    x0, x1, wx = _source_index(ow, w, mode)
    dt = _float_dtype(arr)
    src = arr.astype(dt, copy=False)
    if mode == "nearest":
        out = src[..., y0[:, None], x0[None, :]]
        return _restore(out.astype(arr.dtype, copy=False), nd)
    wy = wy.astype(dt)[:, None]
    wx = wx.astype(dt)[None, :]
    top = src[..., y0[:, None], x0] * (1 - wx) + src[..., y0[:, None], x1] * wx
    bottom = src[..., y1[:, None], x0] * (1 - wx) + src[..., y1[:, None], x1] * wx
    out = top * (1 - wy) + bottom * wy
    if arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        out = np.clip(np.round(out), info.min, info.max).astype(arr.dtype)
    return _restore(out, nd)


def resized_crop(
    x: np.ndarray, top: int, left: int, height: int, width: int,
    size: int | Sequence[int], interpolation: Any = "bilinear",
) -> np.ndarray:
    """Crop the window, then resize it to `size`."""
    return resize(crop(x, top, left, height, width), size, interpolation)


def _affine_matrices(
    n: int,
    angle: Any = 0.0,
    translate: Any = (0.0, 0.0),
    scale: Any = 1.0,
    shear: Any = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-image forward linear part (N, 2, 2) and translation (N, 2), in (x, y-down) coords,
    with torchvision's conventions: `angle` clockwise on screen, `shear` = sx or (sx, sy)
    degrees, M = scale * RSS(angle, sx, sy); a point p (relative to the centre) goes to
    M p + t."""
    a = np.deg2rad(np.broadcast_to(np.asarray(angle, dtype=np.float64), (n,)))
    sh = np.asarray(shear, dtype=np.float64)
    if isinstance(shear, (list, tuple)) and sh.shape == (2,):  # torchvision's (sx, sy)
        sh = sh[None]
    elif sh.ndim < 2:  # sx, one or per image
        sh = np.stack([np.broadcast_to(sh, (n,)), np.zeros(n)], -1)
    sh = np.deg2rad(np.broadcast_to(sh, (n, 2)))
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,))
    t = np.broadcast_to(np.asarray(translate, dtype=np.float64), (n, 2))
    if np.any(s <= 0):
        raise ValueError(f"affine: scale must be positive, got {np.unique(s).tolist()}")
    if np.any(np.abs(np.cos(sh)) < 1e-6):
        raise ValueError("affine: shear angle must lie strictly between -90 and 90 degrees")
    sx, sy = sh[:, 0], sh[:, 1]
    m = np.empty((n, 2, 2))
    m[:, 0, 0] = np.cos(a - sy) / np.cos(sy)
    m[:, 0, 1] = -np.cos(a - sy) * np.tan(sx) / np.cos(sy) - np.sin(a)
    m[:, 1, 0] = np.sin(a - sy) / np.cos(sy)
    m[:, 1, 1] = -np.sin(a - sy) * np.tan(sx) / np.cos(sy) + np.cos(a)
    return m * s[:, None, None], np.array(t)


def _expanded_size(m: np.ndarray, h: int, w: int) -> tuple[int, int]:
    """(H, W) that holds the whole transformed image (torchvision's `expand=True` rule)."""
    corners = np.array([[-0.5 * w, -0.5 * h], [-0.5 * w, 0.5 * h], [0.5 * w, 0.5 * h],
                        [0.5 * w, -0.5 * h]])
    pts = corners.astype(np.float32) @ m[0].T.astype(np.float32)  # float32, as torchvision
    half = np.array([0.5 * w, 0.5 * h], np.float32)
    tol = 1e-4
    hi = np.ceil(np.trunc((pts.max(0) + half) / tol) * tol)
    lo = np.floor(np.trunc((pts.min(0) + half) / tol) * tol)
    size = hi - lo
    return int(size[1]), int(size[0])


def _sample_affine(
    arr: np.ndarray, m: np.ndarray, t: np.ndarray, fill: float,
    interpolation: str = "bilinear", center: Sequence[float] | None = None,
    out_size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Inverse-mapped resampling of a batch (N, C, H, W) under p -> M (p - c) + c + t, where
    c is `center` in pixel indices (default the image centre); output (N, C, *out_size)."""
    n, c, h, w = arr.shape
    oh, ow = (h, w) if out_size is None else out_size
    dt = _float_dtype(arr)
    inv = np.linalg.inv(m)  # (N, 2, 2)
    cx, cy = ((w - 1) / 2.0, (h - 1) / 2.0) if center is None else center
    ocx, ocy = cx + (ow - w) / 2.0, cy + (oh - h) / 2.0
    ys, xs = np.meshgrid(
        np.arange(oh, dtype=np.float64), np.arange(ow, dtype=np.float64), indexing="ij"
    )
    u = xs[None] - ocx - t[:, 0, None, None]  # (N, H, W) output coords minus centre and shift
    v = ys[None] - ocy - t[:, 1, None, None]
    sx = inv[:, 0, 0, None, None] * u + inv[:, 0, 1, None, None] * v + cx
    sy = inv[:, 1, 0, None, None] * u + inv[:, 1, 1, None, None] * v + cy
    # NOTE: snap near-integer source coordinates so exact 90-degree turns and integer shifts
    # reproduce pixels exactly instead of blending with a 1e-16 weight of the neighbour.
    for coord in (sx, sy):
        r = np.round(coord)
        near = np.abs(coord - r) < 1e-6
        coord[near] = r[near]
    src = arr.astype(dt, copy=False)
    nidx = np.arange(n)[:, None, None]
    if interpolation == "nearest":  # round half to even, as grid_sample
        xi, yi = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
        valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = src[nidx, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out = np.where(valid[..., None], vals, dt.type(fill))
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    wx = (sx - x0).astype(dt)
    wy = (sy - y0).astype(dt)
    out = np.zeros((n, oh, ow, c), dtype=dt)
    for dy, dx, weight in (
        (0, 0, (1 - wy) * (1 - wx)),
        (0, 1, (1 - wy) * wx),
        (1, 0, wy * (1 - wx)),
        (1, 1, wy * wx),
    ):
        yi, xi = y0 + dy, x0 + dx
        valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = src[nidx, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, H, W, C)
        vals = np.where(valid[..., None], vals, dt.type(fill))
        out += weight[..., None] * vals
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _index_center(center: Sequence[float] | None) -> tuple[float, float] | None:
    """A torchvision centre (continuous coordinates) as pixel indices."""
    if center is None:
        return None
    cx, cy = (float(v) for v in center)
    return cx - 0.5, cy - 0.5


def affine(
    x: np.ndarray,
    angle: float | np.ndarray = 0.0,
    translate: Sequence[float] | np.ndarray = (0.0, 0.0),
    scale: float | np.ndarray = 1.0,
    shear: float | np.ndarray = 0.0,
    fill: float = 0.0,
    interpolation: Any = "bilinear",
    center: Sequence[float] | None = None,
) -> np.ndarray:
    """torchvision's affine: rotate by `angle` degrees clockwise, shear by `shear` degrees
    (sx, or (sx, sy)), scale, then shift by (dx, dy) pixels, about `center` (default the
    image centre). (`rotate` and `shear` below turn counter-clockwise / shear rightwards.)

    Each parameter is one value or one per image. Float inputs keep their dtype; integer
    ones come back as float32.
    """
    arr, nd = _as_batch(x, "affine")
    mode = _interpolation(interpolation, "affine")
    m, t = _affine_matrices(arr.shape[0], angle, translate, scale, shear)
    return _restore(_sample_affine(arr, m, t, fill, mode, _index_center(center)), nd)


def translate(x: np.ndarray, shift: Sequence[float] | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Shift content by (dx, dy) pixels (right, down); uncovered pixels read `fill`."""
    return affine(x, translate=shift, fill=fill)


def rotate(
    x: np.ndarray, degrees: float | np.ndarray, fill: float = 0.0,
    interpolation: Any = "bilinear", expand: bool = False,
    center: Sequence[float] | None = None,
) -> np.ndarray:
    """Rotate counter-clockwise by `degrees` about `center` (default the image centre);
    `expand=True` enlarges the output to hold the whole rotated image (one angle only)."""
    if not expand:
        return affine(x, angle=-np.asarray(degrees, dtype=np.float64), fill=fill,
                      interpolation=interpolation, center=center)
    arr, nd = _as_batch(x, "rotate")
    if np.ndim(degrees) != 0:
        raise ValueError("rotate: expand=True needs one angle for the whole batch")
    mode = _interpolation(interpolation, "rotate")
    m, t = _affine_matrices(arr.shape[0], angle=-float(degrees))
    size = _expanded_size(m, *arr.shape[-2:])
    return _restore(_sample_affine(arr, m, t, fill, mode, _index_center(center), size), nd)


def scale(x: np.ndarray, factor: float | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Zoom about the centre by `factor` (> 1 enlarges)."""
    return affine(x, scale=factor, fill=fill)


def shear(x: np.ndarray, degrees: float | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Shear along x: a pixel at height y (from the centre) moves by tan(degrees) * y."""
    return affine(x, shear=-np.asarray(degrees, dtype=np.float64), fill=fill)


def to_float(x: Any, dtype: Any = np.float32) -> np.ndarray:
    """Convert to a float array; integer images (uint8 0..255) are scaled into [0, 1]."""
    data = getattr(x, "data", x)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.dtype == np.uint8:
        return arr.astype(dtype) / np.asarray(255.0, dtype=dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"to_float: cannot convert an array of dtype {arr.dtype} to float")
    return arr.astype(dtype)


def to_tensor(x: Any) -> Any:
    """An `autograd.Tensor` image: (H, W) -> (1, H, W), (H, W, C) with C in 1..4 -> (C, H, W).

    uint8 is scaled into [0, 1] float32, other dtypes are kept (torchvision's rule); arrays
    already (C, H, W) (first axis 1, 3 or 4, or last axis not a channel count) or 4-D keep
    their layout.
    """
    import autograd as ag

    data = getattr(x, "data", x)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim == 2:
        arr = arr[None]
    elif arr.ndim == 3 and arr.shape[-1] in (1, 2, 3, 4) and arr.shape[0] not in (1, 3, 4):
        arr = arr.transpose(2, 0, 1)
    if arr.dtype == np.uint8:
        arr = to_float(arr)
    return ag.tensor(np.ascontiguousarray(arr))


