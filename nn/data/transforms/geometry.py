"""Cropping, padding, resizing and flipping transforms (torchvision names and arguments)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import RandomTransform, Transform
from .functional import (
    _as_batch,
    _interpolation,
    _pad_widths,
    _pair,
    _restore,
    center_crop,
    pad,
    random_crop,
    resize,
    resized_crop,
)


def _check_p(p: float, who: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: p must lie in [0, 1], got {p}")
    return p


class Pad(Transform):
    """Pad the spatial axes by p, (px, py) or (left, top, right, bottom); `padding_mode`
    "constant" (with `fill`), "edge", "reflect" or "symmetric"."""

    def __init__(self, padding: int | Sequence[int], fill: float = 0,
                 padding_mode: str = "constant") -> None:
        _pad_widths(padding)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, x: Any) -> np.ndarray:
        return pad(x, self.padding, self.fill, self.padding_mode)


class Resize(Transform):
    """Resize to `size` = (h, w), or the smaller edge to an int `size` (see `resize`)."""

    def __init__(self, size: int | Sequence[int], interpolation: Any = "bilinear",
                 max_size: int | None = None, antialias: bool | None = None) -> None:
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interpolation(interpolation, "Resize")

    def __call__(self, x: Any) -> np.ndarray:
        return resize(x, self.size, self.interpolation, self.max_size)


class CenterCrop(Transform):
    """The central `size` window (zero-padded first when the image is smaller)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        _pair(size, "CenterCrop", "size")
        self.size = size

    def __call__(self, x: Any) -> np.ndarray:
        return center_crop(x, self.size)


class RandomCrop(RandomTransform):
    """Pad by `padding` (and up to `size` with `pad_if_needed`), then crop a random `size`
    window per image (torchvision's argument order; `rng`/`seed` choose the generator)."""

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(rng, seed)
        _pair(size, "RandomCrop", "size")
        self.size, self.padding, self.pad_if_needed = size, padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, x: Any) -> np.ndarray:
        return random_crop(x, self.size, self.padding, self.pad_if_needed, self.fill,
                           self.padding_mode, rng=self.rng)


class _RandomFlip(RandomTransform):
    axis = -1

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None,
                 seed: int | None = None) -> None:
        super().__init__(rng, seed)
        self.p = _check_p(p, type(self).__name__)

    def __call__(self, x: Any) -> np.ndarray:
        arr, nd = _as_batch(x, type(self).__name__)
        flip = self.rng.random(arr.shape[0]) < self.p
        out = np.where(flip[:, None, None, None], np.flip(arr, self.axis), arr)
        return _restore(out, nd)


class RandomHorizontalFlip(_RandomFlip):
    """Mirror each image left-right with probability `p`."""


class RandomVerticalFlip(_RandomFlip):
    """Mirror each image top-bottom with probability `p`."""

    axis = -2


class RandomResizedCrop(RandomTransform):
    """Crop a random window of `scale` times the area and aspect ratio in `ratio` (log-
    uniform), then resize it to `size` (torchvision's 10 tries, then a centre crop)."""

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(rng, seed)
        self.size = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("RandomResizedCrop: scale and ratio should be of kind (min, max)")
        self.scale, self.ratio, self.antialias = tuple(scale), tuple(ratio), antialias
        self.interpolation = _interpolation(interpolation, "RandomResizedCrop")

    def get_params(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, left, h, w) of one random window."""
        g = self.rng
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * g.uniform(*self.scale)
            aspect = math.exp(g.uniform(*log_ratio))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return int(g.integers(0, height - h + 1)), int(g.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, x: Any) -> np.ndarray:
        arr, nd = _as_batch(x, "RandomResizedCrop")
        outs = []
        for img in arr:
            top, left, h, w = self.get_params(*img.shape[-2:])
            outs.append(resized_crop(img, top, left, h, w, self.size, self.interpolation))
        return _restore(np.stack(outs), nd)
