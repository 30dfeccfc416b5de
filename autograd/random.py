"""The one random generator every tracegrad package draws from; `manual_seed` resets it.

`Generator` is torch's explicit-generator object: random factories take `generator=` and
draw from its stream instead of the shared one.
"""

from __future__ import annotations

import random as _pyrandom

import numpy as np

_generator = np.random.default_rng()


class Generator:
    """An independent random stream (torch.Generator): `g = ag.Generator().manual_seed(0)`."""

    def __init__(self, device: object = "cpu") -> None:
        from autograd.creation import check_device

        check_device("Generator", device)
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reset this stream to `seed`; returns the generator (as torch)."""
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed this stream was last started from."""
        return self._seed


def manual_seed(seed: int) -> np.random.Generator:
    """Seed tracegrad's generator (and Python's and NumPy's legacy ones) for reproducible runs."""
    global _generator
    _generator = np.random.default_rng(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)
    return _generator


def get_generator(generator: Generator | None = None) -> np.random.Generator:
    """The shared generator (init, dropout, shuffling, factories), or `generator`'s stream."""
    return _generator if generator is None else generator.rng
