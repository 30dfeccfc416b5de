"""Value transforms: `ToTensor`, `ToFloat`, `ConvertImageDtype`, `Normalize`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import Transform
from .functional import normalize, to_float, to_tensor


class ToFloat(Transform):
    """Convert to float32 (or `dtype`); uint8 images are scaled into [0, 1]."""

    def __init__(self, dtype: Any = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"ToFloat: dtype must be a float dtype, got {self.dtype}")

    def __call__(self, x: Any) -> np.ndarray:
        return to_float(x, self.dtype)


class ConvertImageDtype(ToFloat):
    """torchvision's name for converting an image to a float dtype (uint8 scaled by 1/255)."""


class ToTensor(Transform):
    """Image array -> `autograd.Tensor` in (C, H, W) layout: (H, W) -> (1, H, W), HWC ->
    CHW, uint8 scaled into [0, 1] float32 (see `to_tensor`)."""

    supports_batch = False

    def __call__(self, x: Any) -> Any:
        return to_tensor(x)


class Normalize(Transform):
    """(x - mean) / std per channel (see `normalize`); `inplace` is accepted (the result is
    always a new array, as NumPy inputs may be read-only views)."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float],
                 inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, x: Any) -> Any:
        import autograd as ag  # lazy: the data pipeline depends on the core only here

        out = normalize(x, self.mean, self.std)
        return ag.tensor(out) if isinstance(x, ag.Tensor) else out
