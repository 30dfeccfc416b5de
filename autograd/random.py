"""The one random generator every tracegrad package draws from; `manual_seed` resets it."""

from __future__ import annotations

import random as _pyrandom

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed tracegrad's generator (and Python's and NumPy's legacy ones) for reproducible runs."""
    global _generator
    _generator = np.random.default_rng(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)
    return _generator


def get_generator() -> np.random.Generator:
    """The shared generator: init, dropout, shuffling and `rand`/`randn` use it."""
    return _generator
