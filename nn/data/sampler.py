"""Samplers: which dataset indices a `DataLoader` visits, in what order, in what batches
(PyTorch `torch.utils.data` names and arguments; randomness from a NumPy generator)."""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from .dataset import shared_generator

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


def _positive_int(name: str, value: Any) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


def _boolean(name: str, value: Any, exc: type[Exception] = TypeError) -> bool:
    if not isinstance(value, bool):
        raise exc(f"{name} should be a boolean value, but got {name}={value!r}")
    return value


def _check_generator(generator: Any, who: str) -> np.random.Generator | None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{who}: generator must be a numpy.random.Generator, got {type(generator).__name__}"
        )
    return generator


class Sampler:
    """Base class: an iterable over dataset indices (or over lists of them, for batches)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        super().__init__(data_source)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each pass (or `num_samples` draws with `replacement`); more
    samples than the dataset holds chain several permutations. Draws from `generator`, else
    tracegrad's shared generator (`ag.manual_seed`)."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(data_source)
        self.replacement = _boolean("replacement", replacement)
        self._num_samples = None if num_samples is None else _positive_int(
            "num_samples", num_samples)
        self.generator = _check_generator(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields (default: the dataset's length)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        gen = self.generator if self.generator is not None else shared_generator()
        if self.replacement:
            yield from gen.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from gen.permutation(n).tolist()
        if self.num_samples % n:
            yield from gen.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices`, in a random order each pass."""

    def __init__(self, indices: Sequence[int], generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__(None)
        self.indices = indices
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else shared_generator()
        for i in gen.permutation(len(self.indices)).tolist():
            yield int(self.indices[i])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights`."""

    def __init__(
        self,
        weights: Sequence[float] | np.ndarray,
        num_samples: int,
        replacement: bool = True,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(None)
        self.num_samples = _positive_int("num_samples", num_samples)
        self.replacement = _boolean("replacement", replacement)
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{w.shape}")
        if w.size == 0 or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and "
                             "not all zero")
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {self.num_samples} samples without "
                f"replacement from {np.count_nonzero(w)} non-zero weights"
            )
        self.weights = w
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else shared_generator()
        p = self.weights / self.weights.sum()
        draws = gen.choice(p.size, size=self.num_samples, replace=self.replacement, p=p)
        yield from draws.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of `sampler` into lists of `batch_size` (the last one shorter unless
    `drop_last`)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        super().__init__(None)
        self.sampler = sampler
        self.batch_size = _positive_int("batch_size", batch_size)
        self.drop_last = _boolean("drop_last", drop_last, ValueError)

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
