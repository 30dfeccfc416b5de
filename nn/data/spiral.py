"""The CS231n two-dimensional spiral classification set, generated in memory."""

from __future__ import annotations

import numpy as np

from .dataset import TensorDataset, shared_generator

__all__ = ["Spiral", "make_spiral"]


def make_spiral(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points on `n_classes` interleaved spiral arms: `(x float32 (N, 2), t int64 (N,))`.

    Arm j has radii evenly spaced in [0, 1] and angles in [4j, 4(j+1)] plus Gaussian noise
    of std `noise` (CS231n's construction). Samples are ordered class by class;
    `seed=None` draws the noise from tracegrad's shared generator.
    """
    if int(n_per_class) <= 0 or int(n_classes) <= 0:
        raise ValueError(
            f"Spiral: n_per_class and n_classes must be positive, got {n_per_class}, {n_classes}"
        )
    if noise < 0:
        raise ValueError(f"Spiral: noise must be non-negative, got {noise}")
    n, k = int(n_per_class), int(n_classes)
    rng = shared_generator() if seed is None else np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n), k)
    base = np.linspace(0.0, 4.0, n)
    theta = (base[None, :] + 4.0 * np.arange(k)[:, None]).ravel()
    theta = theta + rng.standard_normal(n * k) * noise
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1).astype(np.float32)
    t = np.repeat(np.arange(k, dtype=np.int64), n)
    return x, t


class Spiral(TensorDataset):
    """Spiral classification data as a dataset of `(x (2,), t)` samples; no files involved.

    >>> ds = Spiral(n_per_class=50, n_classes=3); ds.x.shape, ds.t.shape
    ((150, 2), (150,))
    """

    def __init__(
        self, n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
    ) -> None:
        x, t = make_spiral(n_per_class, n_classes, noise, seed)
        super().__init__(x, t)
        self.x, self.t = x, t
        self.n_classes = int(n_classes)

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole set at once: `(x float32 (N, 2), t int64 (N,))`."""
        return self.x, self.t

    def __repr__(self) -> str:
        return f"Spiral(n={len(self)}, n_classes={self.n_classes})"
