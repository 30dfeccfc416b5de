"""Datasets and splits (PyTorch conventions, NumPy underneath).

A map-style dataset maps an index to a sample (a tuple of arrays/scalars); an
`IterableDataset` yields samples. Datasets that can fetch many samples at once define
`get_batch(indices) -> tuple[np.ndarray, ...]`; the `DataLoader` then indexes whole arrays
instead of looping over samples in Python (`TensorDataset`, `Subset` of one, `Spiral`, `MNIST`).
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "train_val_split",
    "shared_generator",
]


def _as_array(x: Any) -> np.ndarray:
    """An ndarray view of `x`: a Tensor's `.data`, or `np.asarray(x)`."""
    if isinstance(x, np.ndarray):
        return x
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):
        return data
    return np.asarray(x)


def shared_generator() -> np.random.Generator:
    """tracegrad's shared generator (`autograd.random`, reset by `ag.manual_seed`)."""
    try:
        from autograd.random import get_generator
    except ImportError:  # core not importable: fall back to NumPy's seedable global state
        return np.random.default_rng(int(np.random.randint(0, 2**63 - 1, dtype=np.int64)))
    return get_generator()


def _make_generator(
    generator: np.random.Generator | None, seed: int | None, who: str, arg: str = "generator"
) -> np.random.Generator | None:
    """The generator given, or a new one from `seed`; None (use the shared one) if neither."""
    if generator is not None and seed is not None:
        raise ValueError(f"{who}: pass either {arg} or seed, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"{who}: {arg} must be a numpy.random.Generator, got {type(generator).__name__}"
            )
        return generator
    if seed is None:
        return None
    return np.random.default_rng(seed)


def _check_index(index: Any, n: int, who: str) -> int:
    """A non-negative int index into a sequence of length n, or IndexError naming both."""
    if not isinstance(index, numbers.Integral) or isinstance(index, bool):
        raise TypeError(f"{who} indices must be integers, got {type(index).__name__}")
    i = int(index)
    if i < -n or i >= n:
        raise IndexError(f"{who} index {i} is out of range for length {n}")
    return i + n if i < 0 else i


class Dataset(abc.ABC):
    """Abstract map-style dataset: subclasses define `__getitem__(i)` and `__len__()`."""

    @abc.abstractmethod
    def __getitem__(self, index: int) -> Any:
        """The sample at `index` (usually a tuple such as `(x, y)`)."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """The number of samples."""

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset:
    """Abstract dataset of samples produced by `__iter__` (a stream, with no indices).

    In `DataLoader` worker processes each worker iterates its own copy: shard the stream with
    `nn.data.get_worker_info()` (its `id` and `num_workers`), as in PyTorch.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: `ds[i] == (a[i], b[i], ...)`.

    >>> ds = TensorDataset(np.zeros((4, 2)), np.arange(4)); len(ds), int(ds[1][1])
    (4, 1)
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        converted = tuple(_as_array(a) for a in arrays)
        for k, a in enumerate(converted):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {k} is a scalar; each needs a first axis")
        n = converted[0].shape[0]
        if any(a.shape[0] != n for a in converted):
            shapes = ", ".join(str(a.shape) for a in converted)
            raise ValueError(f"TensorDataset: arrays differ in length along axis 0: {shapes}")
        self.arrays: tuple[np.ndarray, ...] = converted

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        i = _check_index(index, len(self), type(self).__name__)
        return tuple(a[i] for a in self.arrays)

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """The samples at `indices`, stacked, by indexing each array once."""
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices)
        if idx.size == 0:
            idx = idx.astype(np.int64)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(
                f"Subset indices must be a 1-D sequence of ints, got dtype {idx.dtype} "
                f"and shape {idx.shape}"
            )
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of length {n}")
        self.dataset = dataset
        self.indices: np.ndarray = np.where(idx < 0, idx + n, idx).astype(np.int64)

    def __getitem__(self, index: int) -> Any:
        i = _check_index(index, len(self), "Subset")
        return self.dataset[int(self.indices[i])]

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes: expose get_batch when the parent has one.
        if name == "get_batch" and hasattr(self.__dict__.get("dataset"), "get_batch"):
            parent = self.__dict__["dataset"]
            indices = self.__dict__["indices"]
            return lambda idx: parent.get_batch(indices[np.asarray(idx)])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ConcatDataset(Dataset):
    """The samples of several datasets, one after another."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets])

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index: int) -> Any:
        i = _check_index(index, len(self), "ConcatDataset")
        k = int(np.searchsorted(self.cumulative_sizes, i, side="right"))
        start = 0 if k == 0 else int(self.cumulative_sizes[k - 1])
        return self.datasets[k][i - start]


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Integer lengths from ints summing to n, or fractions summing to 1 (PyTorch rules)."""
    if len(lengths) == 0:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths):
        ints = [int(x) for x in lengths]
        if any(x < 0 for x in ints):
            raise ValueError(f"random_split: lengths must be non-negative, got {ints}")
        if sum(ints) != n:
            raise ValueError(
                f"random_split: sum of lengths {sum(ints)} does not equal the dataset length {n}"
            )
        return ints
    fracs = [float(x) for x in lengths]
    if any(not 0.0 <= f <= 1.0 for f in fracs) or not math.isclose(sum(fracs), 1.0, abs_tol=1e-6):
        raise ValueError(
            f"random_split: fractions must each lie in [0, 1] and sum to 1, got {fracs} "
            f"(or pass integer lengths summing to {n})"
        )
    ints = [int(math.floor(n * f)) for f in fracs]
    for k in range(n - sum(ints)):  # hand out the remainder round-robin, as PyTorch does
        ints[k % len(ints)] += 1
    return ints


def random_split(
    dataset: Dataset,
    lengths: Sequence[float],
    generator: np.random.Generator | None = None,
    seed: int | None = None,
) -> list[Subset]:
    """Split `dataset` into non-overlapping random `Subset`s of the given lengths.

    `lengths` are ints summing to `len(dataset)` or fractions summing to 1. Randomness comes
    from `generator`, else `seed`, else tracegrad's shared generator.

    >>> a, b = random_split(TensorDataset(np.arange(10)), [0.7, 0.3], seed=0); len(a), len(b)
    (7, 3)
    """
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    gen = _make_generator(generator, seed, "random_split") or shared_generator()
    perm = gen.permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, perm[bounds[k] : bounds[k + 1]]) for k in range(len(sizes))]


def train_val_split(
    dataset: Dataset, val_fraction: float = 0.2, seed: int | None = 0
) -> tuple[Subset, Subset]:
    """Randomly split off `val_fraction` of `dataset` for validation: `(train, val)`."""
    if not 0.0 <= float(val_fraction) <= 1.0:
        raise ValueError(f"train_val_split: val_fraction must lie in [0, 1], got {val_fraction}")
    n = len(dataset)
    n_val = int(round(n * float(val_fraction)))
    train, val = random_split(dataset, [n - n_val, n_val], seed=seed)
    return train, val
