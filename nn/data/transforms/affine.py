"""Random affine transforms: torchvision's `RandomAffine` and `RandomRotation`, and
tracegrad's pixel-unit `RandomTranslation`, `RandomScale`, `RandomShear` (bilinear)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import RandomTransform
from .functional import (
    _affine_matrices,
    _as_batch,
    _index_center,
    _interpolation,
    _range,
    _restore,
    _sample_affine,
    rotate,
)


def _positive_range(value: Sequence[float], who: str, name: str) -> tuple[float, float]:
    lo, hi = (float(v) for v in value)
    if not 0 < lo <= hi:
        raise ValueError(f"{who}: {name} range must satisfy 0 < lo <= hi, got {(lo, hi)}")
    return lo, hi


def _shear_ranges(shear: Any, who: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """torchvision's shear: s -> x in (-s, s); (a, b) -> x in (a, b); (a, b, c, d) -> x in
    (a, b) and y in (c, d)."""
    if isinstance(shear, numbers.Real):
        x, y = _range(shear, who, "shear"), (0.0, 0.0)
    elif len(shear) == 2:
        x, y = _range(shear, who, "shear"), (0.0, 0.0)
    elif len(shear) == 4:
        x, y = _range(shear[:2], who, "shear"), _range(shear[2:], who, "shear")
    else:
        raise ValueError(f"{who}: shear should be a number or a sequence of 2 or 4 numbers")
    if max(abs(v) for v in (*x, *y)) >= 90:
        raise ValueError(f"{who}: shear must lie strictly between -90 and 90 degrees")
    return x, y


class _AffineBase(RandomTransform):
    """Draws per-image (angle, (dx, dy) pixels, scale, (sx, sy)) and resamples once."""

    interpolation = "bilinear"
    center: Sequence[float] | None = None
    fill: float = 0.0

    def _draw(self, n: int, h: int, w: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def __call__(self, x: Any) -> np.ndarray:
        arr, nd = _as_batch(x, type(self).__name__)
        n, _, h, w = arr.shape
        m, t = _affine_matrices(n, **self._draw(n, h, w))
        out = _sample_affine(arr, m, t, self.fill, self.interpolation,
                             _index_center(self.center))
        return _restore(out, nd)


class RandomAffine(_AffineBase):
    """torchvision's RandomAffine: angle uniform in `degrees` (d -> (-d, d)), shifts up to
    `translate` = (fx, fy) of the width/height (whole pixels), zoom uniform in `scale`,
    shear as torchvision (number, 2 or 4 values), about `center`; "nearest" by default."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: Any = "nearest",
        fill: float = 0,
        center: Sequence[float] | None = None,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(rng, seed)
        who = type(self).__name__
        self.degrees = _range(degrees, who, "degrees")
        if translate is not None:
            tx, ty = (float(v) for v in translate)
            if not (0.0 <= tx <= 1.0 and 0.0 <= ty <= 1.0):
                raise ValueError(f"{who}: translation values should be between 0 and 1")
            translate = (tx, ty)
        self.translate = translate
        self.scale = None if scale is None else _positive_range(scale, who, "scale")
        self.shear = None if shear is None else _shear_ranges(shear, who)
        self.interpolation = _interpolation(interpolation, who)
        self.fill, self.center = fill, center

    def _draw(self, n: int, h: int, w: int) -> dict[str, np.ndarray]:
        g = self.rng
        angle = g.uniform(*self.degrees, size=n)
        if self.translate is None:
            shift = np.zeros((n, 2))
        else:
            shift = np.stack([np.round(g.uniform(-f * size, f * size, size=n))
                              for f, size in zip(self.translate, (w, h), strict=True)], 1)
        factor = np.ones(n) if self.scale is None else g.uniform(*self.scale, size=n)
        if self.shear is None:
            sh = np.zeros((n, 2))
        else:
            sh = np.stack([g.uniform(*r, size=n) for r in self.shear], 1)
        return {"angle": angle, "translate": shift, "scale": factor, "shear": sh}


class RandomRotation(_AffineBase):
    """Rotate each image counter-clockwise by uniform(degrees) (d -> (-d, d)) about `center`;
    `expand=True` (one image at a time) enlarges the output to hold it all."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: Any = "nearest",
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: float = 0,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(rng, seed)
        self.degrees = _range(degrees, type(self).__name__, "degrees")
        self.interpolation = _interpolation(interpolation, type(self).__name__)
        self.expand, self.center, self.fill = expand, center, fill

    def _draw(self, n: int, h: int, w: int) -> dict[str, np.ndarray]:
        return {"angle": -self.rng.uniform(*self.degrees, size=n)}

    def __call__(self, x: Any) -> np.ndarray:
        if not self.expand:
            return super().__call__(x)
        arr, _ = _as_batch(x, "RandomRotation")
        if arr.shape[0] != 1:
            raise ValueError("RandomRotation: expand=True works on one image at a time")
        angle = float(self.rng.uniform(*self.degrees))
        return rotate(x, angle, self.fill, self.interpolation, expand=True, center=self.center)


class RandomTranslation(_AffineBase):
    """Shift each image by up to `max_shift` pixels in x and y (ints: whole-pixel shifts),
    bilinear."""

    def __init__(self, max_shift: float | Sequence[float], fill: float = 0.0, *,
                 rng: np.random.Generator | None = None, seed: int | None = None) -> None:
        super().__init__(rng, seed)
        mx, my = (max_shift, max_shift) if isinstance(max_shift, numbers.Real) else max_shift
        if mx < 0 or my < 0:
            raise ValueError(f"RandomTranslation: max shift must be non-negative, got "
                             f"{max_shift!r}")
        self.max_shift, self.fill = (mx, my), fill

    def _draw(self, n: int, h: int, w: int) -> dict[str, np.ndarray]:
        g = self.rng
        cols = []
        for m in self.max_shift:
            if isinstance(m, numbers.Integral):
                cols.append(g.integers(-int(m), int(m) + 1, size=n).astype(np.float64))
            else:
                cols.append(g.uniform(-float(m), float(m), size=n))
        return {"translate": np.stack(cols, axis=1)}


class RandomScale(_AffineBase):
    """Zoom each image by a factor drawn uniformly from `scale_range` = (lo, hi), bilinear."""

    def __init__(self, scale_range: Sequence[float] = (0.9, 1.1), fill: float = 0.0, *,
                 rng: np.random.Generator | None = None, seed: int | None = None) -> None:
        super().__init__(rng, seed)
        self.scale_range = _positive_range(scale_range, "RandomScale", "scale")
        self.fill = fill

    def _draw(self, n: int, h: int, w: int) -> dict[str, np.ndarray]:
        return {"scale": self.rng.uniform(*self.scale_range, size=n)}


class RandomShear(_AffineBase):
    """Shear each image along x (rightwards below the centre) by uniform(-degrees, degrees),
    or within a (lo, hi) pair, bilinear."""

    def __init__(self, degrees: float | Sequence[float], fill: float = 0.0, *,
                 rng: np.random.Generator | None = None, seed: int | None = None) -> None:
        super().__init__(rng, seed)
        self.degrees = _range(degrees, "RandomShear", "degrees")
        if max(abs(v) for v in self.degrees) >= 90:
            raise ValueError("RandomShear: shear must lie strictly between -90 and 90 degrees")
        self.fill = fill

    def _draw(self, n: int, h: int, w: int) -> dict[str, np.ndarray]:
        return {"shear": -self.rng.uniform(*self.degrees, size=n)}
