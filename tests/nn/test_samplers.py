"""Samplers, BatchSampler and default_collate (PyTorch's rules, torch as optional oracle for
everything deterministic), and loaders built from samplers."""

from __future__ import annotations

from collections import Counter, namedtuple

import numpy as np
import pytest

import autograd as ag
from nn.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
)

DATA = list(range(10))


def test_sequential_and_random_samplers():
    assert list(SequentialSampler(DATA)) == DATA and len(SequentialSampler(DATA)) == 10
    perm = list(RandomSampler(DATA, generator=np.random.default_rng(0)))
    assert sorted(perm) == DATA and perm != DATA
    again = list(RandomSampler(DATA, generator=np.random.default_rng(0)))
    assert perm == again
    more = list(RandomSampler(DATA, num_samples=25, generator=np.random.default_rng(1)))
    assert len(more) == 25 and Counter(more[:20]) == Counter(DATA * 2)
    rep = RandomSampler(DATA, replacement=True, num_samples=200,
                        generator=np.random.default_rng(2))
    drawn = list(rep)
    assert len(rep) == len(drawn) == 200 and set(drawn) == set(DATA)
    ag.manual_seed(5)
    a = list(RandomSampler(DATA))
    ag.manual_seed(5)
    assert list(RandomSampler(DATA)) == a


def test_subset_and_weighted_samplers():
    idx = [3, 7, 9, 11]
    s = SubsetRandomSampler(idx, generator=np.random.default_rng(0))
    assert sorted(s) == idx and len(s) == 4
    w = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000,
                              generator=np.random.default_rng(0))
    counts = Counter(w)
    assert counts[0] == 0 and 0.7 < counts[2] / 4000 < 0.8
    once = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False,
                                      generator=np.random.default_rng(1)))
    assert sorted(once) == [0, 1, 2, 3]


@pytest.mark.torch
@pytest.mark.parametrize(("batch_size", "drop_last"), [(1, False), (3, False), (3, True),
                                                       (10, True), (12, False)])
def test_batch_sampler_as_torch(batch_size, drop_last):
    torch = pytest.importorskip("torch")
    ours = BatchSampler(SequentialSampler(DATA), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(DATA),
                                           batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize(("make", "exc", "message"), [
    (lambda: BatchSampler(DATA, 0, False), ValueError, "batch_size should be a positive"),
    (lambda: BatchSampler(DATA, 2, 1), ValueError, "drop_last should be a boolean"),
    (lambda: RandomSampler(DATA, replacement=1), TypeError, "replacement should be a boolean"),
    (lambda: RandomSampler(DATA, num_samples=0), ValueError, "num_samples should be a positive"),
    (lambda: WeightedRandomSampler([[1.0]], 2), ValueError, "weights should be a 1d sequence"),
    (lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError, "non-negative"),
    (lambda: WeightedRandomSampler([1.0, 1.0], 3, replacement=False), ValueError,
     "without replacement"),
    (lambda: RandomSampler(DATA, generator=3), TypeError, "numpy.random.Generator"),
])
def test_sampler_validation(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_loader_from_samplers():
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    dl = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([1, 4, 6, 8],
                                                                  np.random.default_rng(0)))
    got = sorted(int(v) for _, y in dl for v in y.data)
    assert got == [1, 4, 6, 8] and len(dl) == 2
    dl = DataLoader(ds, batch_sampler=[[0, 9], [5]])
    assert [y.data.tolist() for _, y in dl] == [[0, 9], [5]]

    class Evens(Sampler):
        def __iter__(self):
            return iter(range(0, 10, 2))

        def __len__(self):
            return 5

    assert [y.data.tolist() for _, y in DataLoader(ds, sampler=Evens(), batch_size=2)] == [
        [0, 2], [4, 6], [8]]
    singles = list(DataLoader(Subset(ds, [2, 3]), batch_size=None))
    assert [float(x) for x, _ in singles] == [2.0, 3.0]


Point = namedtuple("Point", ["x", "y"])


def collate_cases():
    rng = np.random.default_rng(0)
    return {
        "tuple-of-arrays": [(rng.normal(size=3), 1), (rng.normal(size=3), 2)],
        "floats": [1.5, 2.5, -1.0],
        "dicts": [{"a": np.ones(2, np.float32), "b": (3, 4.0)},
                  {"a": np.zeros(2, np.float32), "b": (5, 6.0)}],
        "named": [Point(np.ones(2), 1), Point(np.zeros(2), 0)],
        "lists": [[np.int64(1), np.arange(3)], [np.int64(2), np.arange(3)]],
        "strings": [("cat", 1), ("dog", 2)],
        "bools": [True, False],
    }


def flatten(tree):
    """(structure signature, leaves as (dtype, values)) to compare two collated batches."""
    if isinstance(tree, dict):
        return {k: flatten(v) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return (type(tree).__name__, [flatten(v) for v in tree])
    if isinstance(tree, (list, tuple)):
        return [flatten(v) for v in tree]
    if isinstance(tree, str):
        return tree
    arr = tree.data if isinstance(tree, ag.Tensor) else tree.numpy()
    return (str(arr.dtype), arr.tolist())


@pytest.mark.torch
@pytest.mark.parametrize("case", list(collate_cases()))
def test_default_collate_as_torch(case):
    torch = pytest.importorskip("torch")
    batch = collate_cases()[case]
    assert flatten(default_collate(batch)) == flatten(torch.utils.data.default_collate(batch))


def test_default_collate_types_without_torch():
    out = default_collate(collate_cases()["dicts"])
    assert isinstance(out, dict) and isinstance(out["b"], tuple)
    assert out["a"].dtype == np.float32 and out["b"][0].dtype == np.int64
    assert out["b"][1].dtype == np.float64
    named = default_collate(collate_cases()["named"])
    assert isinstance(named, Point) and named.x.shape == (2, 2)
    assert default_collate(collate_cases()["strings"])[0] == ["cat", "dog"]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object()])
    converted = default_convert({"x": np.arange(3), "n": 4})
    assert isinstance(converted["x"], ag.Tensor) and converted["n"] == 4
