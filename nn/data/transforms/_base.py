"""`Transform` base, `Compose`, `Lambda` and the seeded base of random transforms."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..dataset import _make_generator, shared_generator


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

    def __init__(self, lambd: Callable[[Any], Any], supports_batch: bool = False) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.fn = lambd
        self.supports_batch = supports_batch

    def __call__(self, x: Any) -> Any:
        return self.fn(x)


class RandomTransform(Transform):
    """A transform drawing from `rng` (a NumPy generator), a new one from `seed`, or else
    tracegrad's shared generator (`ag.manual_seed`; reseeded per DataLoader worker)."""

    def __init__(self, rng: np.random.Generator | None, seed: int | None) -> None:
        self._rng = _make_generator(rng, seed, type(self).__name__, "rng")

    @property
    def rng(self) -> np.random.Generator:
        """The generator drawn from: the one given, seeded, or tracegrad's shared one."""
        return self._rng if self._rng is not None else shared_generator()
