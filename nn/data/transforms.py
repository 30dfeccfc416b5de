"""Image transforms on NumPy arrays: one image (C, H, W) or a batch (N, C, H, W).

A 2-D array (H, W) is treated as one single-channel image. Random transforms take `seed=`
or `rng=` (a `np.random.Generator`; with neither, tracegrad's shared generator, which
`ag.manual_seed` resets) and draw fresh parameters per image, also inside a batch.
The affine family (translation, rotation, scale, shear) maps every output pixel back into
the input and samples it bilinearly, vectorized over the batch; points that fall outside
the input read `fill`. Every class has a functional form below it.

Conventions: positive rotation is counter-clockwise on screen (as `np.rot90` and
torchvision), a translation `(dx, dy)` moves content right and down, scale > 1 enlarges.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .dataset import _make_generator, shared_generator

__all__ = [
    "Transform",
    "Compose",
    "Normalize",
    "Pad",
    "RandomCrop",
    "RandomTranslation",
    "RandomRotation",
    "RandomScale",
    "RandomShear",
    "RandomAffine",
    "RandomHorizontalFlip",
    "ToFloat",
    "ToTensor",
    "Lambda",
    "normalize",
    "pad",
    "crop",
    "random_crop",
    "hflip",
    "affine",
    "translate",
    "rotate",
    "scale",
    "shear",
    "to_float",
    "to_tensor",
]


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


def pad(x: np.ndarray, padding: int | Sequence[int], fill: float = 0) -> np.ndarray:
    """Pad the spatial axes with `fill`: p, (px, py) or (left, top, right, bottom)."""
    arr, nd = _as_batch(x, "pad")
    left, top, right, bottom = _pad_widths(padding)
    out = np.pad(arr, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
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
    padding: int | Sequence[int] = 0,
    fill: float = 0,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Pad by `padding`, then cut a (h, w) = `size` window at a random place per image."""
    arr, nd = _as_batch(x, "random_crop")
    gen = _rng(rng, seed, "random_crop")
    th, tw = _pair(size, "random_crop", "size")
    if padding:
        arr = pad(arr, padding, fill)
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


def _affine_matrices(
    n: int,
    angle: Any = 0.0,
    translate: Any = (0.0, 0.0),
    scale: Any = 1.0,
    shear: Any = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-image forward linear part (N, 2, 2) and translation (N, 2), in (x, y-down) coords.

    M = R(angle) @ Sh(shear) @ S(scale); a point p (relative to the centre) goes to M p + t.
    """
    a = np.deg2rad(np.broadcast_to(np.asarray(angle, dtype=np.float64), (n,)))
    sh = np.deg2rad(np.broadcast_to(np.asarray(shear, dtype=np.float64), (n,)))
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,))
    t = np.broadcast_to(np.asarray(translate, dtype=np.float64), (n, 2))
    if np.any(s <= 0):
        raise ValueError(f"affine: scale must be positive, got {np.unique(s).tolist()}")
    if np.any(np.abs(np.cos(sh)) < 1e-6):
        raise ValueError("affine: shear angle must lie strictly between -90 and 90 degrees")
    cos, sin = np.cos(a), np.sin(a)
    # y points down, so a counter-clockwise turn on screen is [[c, s], [-s, c]]
    rot = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    shm = np.zeros((n, 2, 2))
    shm[:, 0, 0] = 1.0
    shm[:, 0, 1] = np.tan(sh)
    shm[:, 1, 1] = 1.0
    m = rot @ shm * s[:, None, None]
    return m, np.array(t)


def _sample_affine(arr: np.ndarray, m: np.ndarray, t: np.ndarray, fill: float) -> np.ndarray:
    """Bilinear inverse-mapped resampling of a batch (N, C, H, W) under p -> M p + t."""
    n, c, h, w = arr.shape
    dt = _float_dtype(arr)
    inv = np.linalg.inv(m)  # (N, 2, 2)
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    ys, xs = np.meshgrid(
        np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij"
    )
    u = xs[None] - cx - t[:, 0, None, None]  # (N, H, W) output coords minus centre and shift
    v = ys[None] - cy - t[:, 1, None, None]
    sx = inv[:, 0, 0, None, None] * u + inv[:, 0, 1, None, None] * v + cx
    sy = inv[:, 1, 0, None, None] * u + inv[:, 1, 1, None, None] * v + cy
    # NOTE: snap near-integer source coordinates so exact 90-degree turns and integer shifts
    # reproduce pixels exactly instead of blending with a 1e-16 weight of the neighbour.
    for coord in (sx, sy):
        r = np.round(coord)
        near = np.abs(coord - r) < 1e-6
        coord[near] = r[near]
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    wx = (sx - x0).astype(dt)
    wy = (sy - y0).astype(dt)
    src = arr.astype(dt, copy=False)
    nidx = np.arange(n)[:, None, None]
    out = np.zeros((n, h, w, c), dtype=dt)
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


def affine(
    x: np.ndarray,
    angle: float | np.ndarray = 0.0,
    translate: Sequence[float] | np.ndarray = (0.0, 0.0),
    scale: float | np.ndarray = 1.0,
    shear: float | np.ndarray = 0.0,
    fill: float = 0.0,
) -> np.ndarray:
    """Rotate by `angle` degrees, shear along x by `shear` degrees, scale, shift by (dx, dy).

    All about the image centre, bilinear; each parameter is one value or one per image.
    Float inputs keep their dtype; integer ones come back as float32.
    """
    arr, nd = _as_batch(x, "affine")
    m, t = _affine_matrices(arr.shape[0], angle, translate, scale, shear)
    return _restore(_sample_affine(arr, m, t, fill), nd)


def translate(x: np.ndarray, shift: Sequence[float] | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Shift content by (dx, dy) pixels (right, down); uncovered pixels read `fill`."""
    return affine(x, translate=shift, fill=fill)


def rotate(x: np.ndarray, degrees: float | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Rotate counter-clockwise by `degrees` about the centre."""
    return affine(x, angle=degrees, fill=fill)


def scale(x: np.ndarray, factor: float | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Zoom about the centre by `factor` (> 1 enlarges)."""
    return affine(x, scale=factor, fill=fill)


def shear(x: np.ndarray, degrees: float | np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Shear along x: a pixel at height y (from the centre) moves by tan(degrees) * y."""
    return affine(x, shear=degrees, fill=fill)


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

    uint8 is scaled into [0, 1] float32; arrays already (C, H, W) or 4-D keep their layout.
    """
    import autograd as ag

    data = getattr(x, "data", x)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim == 2:
        arr = arr[None]
    elif arr.ndim == 3 and arr.shape[-1] in (1, 2, 3, 4) and arr.shape[0] not in (1, 3, 4):
        arr = arr.transpose(2, 0, 1)
    return ag.tensor(np.ascontiguousarray(to_float(arr)))


# ----------------------------------------------------------------------------- classes


class Transform(abc.ABC):
    """Base of all transforms: a callable on one image or a batch.

    `supports_batch` tells `MNIST.get_batch` it may pass a whole (N, C, H, W) batch.
    """

    supports_batch = True

    @abc.abstractmethod
    def __call__(self, x: Any) -> Any:
        """Transform one image (C, H, W) / (H, W) or a batch (N, C, H, W)."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "_rng")
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply `transforms` in order."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)
        self.supports_batch = all(getattr(t, "supports_batch", False) for t in self.transforms)

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda(Transform):
    """Wrap a function `fn(x) -> x` as a transform."""

    def __init__(self, fn: Callable[[Any], Any], supports_batch: bool = False) -> None:
        self.fn = fn
        self.supports_batch = supports_batch

    def __call__(self, x: Any) -> Any:
        return self.fn(x)


class Normalize(Transform):
    """(x - mean) / std per channel (see `normalize`)."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean, self.std = mean, std

    def __call__(self, x: Any) -> np.ndarray:
        return normalize(x, self.mean, self.std)


class Pad(Transform):
    """Pad the spatial axes by p, (px, py) or (left, top, right, bottom) with `fill`."""

    def __init__(self, padding: int | Sequence[int], fill: float = 0) -> None:
        _pad_widths(padding)
        self.padding, self.fill = padding, fill

    def __call__(self, x: Any) -> np.ndarray:
        return pad(x, self.padding, self.fill)


class _RandomTransform(Transform):
    def __init__(self, rng: np.random.Generator | None, seed: int | None) -> None:
        self._rng = _make_generator(rng, seed, type(self).__name__, "rng")

    @property
    def rng(self) -> np.random.Generator:
        """The generator drawn from: the one given, seeded, or tracegrad's shared one."""
        return self._rng if self._rng is not None else shared_generator()


class RandomCrop(_RandomTransform):
    """Pad by `padding`, then crop a random `size` window (per image)."""

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] = 0,
        fill: float = 0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(rng, seed)
        _pair(size, "RandomCrop", "size")
        self.size, self.padding, self.fill = size, padding, fill

    def __call__(self, x: Any) -> np.ndarray:
        return random_crop(x, self.size, self.padding, self.fill, rng=self.rng)


class RandomHorizontalFlip(_RandomTransform):
    """Mirror each image left-right with probability `p`."""

    def __init__(
        self, p: float = 0.5, rng: np.random.Generator | None = None, seed: int | None = None
    ) -> None:
        super().__init__(rng, seed)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must lie in [0, 1], got {p}")
        self.p = p

    def __call__(self, x: Any) -> np.ndarray:
        arr, nd = _as_batch(x, "RandomHorizontalFlip")
        flip = self.rng.random(arr.shape[0]) < self.p
        out = np.where(flip[:, None, None, None], arr[..., ::-1], arr)
        return _restore(out, nd)


class RandomAffine(_RandomTransform):
    """Random rotation, translation, scale and x-shear per image, in one resampling.

    `degrees`/`shear`: v -> uniform(-v, v) or a (lo, hi) pair; `translate`: max |shift| in
    pixels, one value or (max_dx, max_dy) (ints draw integer shifts, floats continuous ones);
    `scale_range`: (lo, hi) for a uniform zoom factor.
    """

    def __init__(
        self,
        degrees: float | Sequence[float] = 0.0,
        translate: float | Sequence[float] | None = None,
        scale_range: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        fill: float = 0.0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(rng, seed)
        who = type(self).__name__
        self.degrees = _range(degrees, who, "degrees")
        self.shear = None if shear is None else _range(shear, who, "shear")
        if shear is not None and max(abs(v) for v in self.shear) >= 90:
            raise ValueError(f"{who}: shear must lie strictly between -90 and 90 degrees")
        if translate is None:
            self.translate = None
        else:
            tx, ty = (translate, translate) if isinstance(translate, numbers.Real) else translate
            if tx < 0 or ty < 0:
                raise ValueError(f"{who}: max shift must be non-negative, got {translate!r}")
            self.translate = (tx, ty)
        if scale_range is None:
            self.scale_range = None
        else:
            lo, hi = (float(v) for v in scale_range)
            if not 0 < lo <= hi:
                raise ValueError(f"{who}: scale range must satisfy 0 < lo <= hi, got {(lo, hi)}")
            self.scale_range = (lo, hi)
        self.fill = fill

    def _draw(self, n: int) -> dict[str, np.ndarray]:
        g = self.rng
        angle = g.uniform(*self.degrees, size=n)
        if self.translate is None:
            shift = np.zeros((n, 2))
        else:
            cols = []
            for m in self.translate:
                if isinstance(m, numbers.Integral):
                    cols.append(g.integers(-int(m), int(m) + 1, size=n).astype(np.float64))
                else:
                    cols.append(g.uniform(-float(m), float(m), size=n))
            shift = np.stack(cols, axis=1)
        factor = np.ones(n) if self.scale_range is None else g.uniform(*self.scale_range, size=n)
        sh = np.zeros(n) if self.shear is None else g.uniform(*self.shear, size=n)
        return {"angle": angle, "translate": shift, "scale": factor, "shear": sh}

    def __call__(self, x: Any) -> np.ndarray:
        arr, nd = _as_batch(x, type(self).__name__)
        params = self._draw(arr.shape[0])
        m, t = _affine_matrices(arr.shape[0], **params)
        return _restore(_sample_affine(arr, m, t, self.fill), nd)


class RandomTranslation(RandomAffine):
    """Shift each image by up to `max_shift` pixels in x and y (int: integer shifts)."""

    def __init__(
        self,
        max_shift: float | Sequence[float],
        fill: float = 0.0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(translate=max_shift, fill=fill, rng=rng, seed=seed)


class RandomRotation(RandomAffine):
    """Rotate each image by uniform(-degrees, degrees), or within a (lo, hi) pair."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        fill: float = 0.0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(degrees=degrees, fill=fill, rng=rng, seed=seed)


class RandomScale(RandomAffine):
    """Zoom each image by a factor drawn uniformly from `scale_range` = (lo, hi)."""

    def __init__(
        self,
        scale_range: Sequence[float] = (0.9, 1.1),
        fill: float = 0.0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(scale_range=scale_range, fill=fill, rng=rng, seed=seed)


class RandomShear(RandomAffine):
    """Shear each image along x by uniform(-degrees, degrees), or within a (lo, hi) pair."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        fill: float = 0.0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(shear=degrees, fill=fill, rng=rng, seed=seed)


class ToFloat(Transform):
    """Convert to float32 (or `dtype`); uint8 images are scaled into [0, 1]."""

    def __init__(self, dtype: Any = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"ToFloat: dtype must be a float dtype, got {self.dtype}")

    def __call__(self, x: Any) -> np.ndarray:
        return to_float(x, self.dtype)


class ToTensor(Transform):
    """Image array -> float32 `autograd.Tensor` in (C, H, W) layout (see `to_tensor`)."""

    supports_batch = False

    def __call__(self, x: Any) -> Any:
        return to_tensor(x)
