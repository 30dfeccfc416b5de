"""nn.data: Dataset, TensorDataset, Subset, DataLoader, random_split, Spiral."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Spiral,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
    train_val_split,
)
from nn.data.spiral import make_spiral


class Squares(Dataset):
    """A per-item dataset with no get_batch: exercises the collate path."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i % 3


def arrays(batch):
    return [b.data for b in batch]


# ----------------------------------------------------------------------------- datasets


def test_dataset_is_abstract():
    with pytest.raises(TypeError):
        Dataset()  # type: ignore[abstract]


def test_tensor_dataset_indexing_and_errors():
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[-1]
    np.testing.assert_array_equal(xi, [8.0, 9.0])
    assert yi == 4
    with pytest.raises(IndexError, match="out of range for length 5"):
        ds[5]
    with pytest.raises(ValueError, match=r"differ in length.*\(5, 2\), \(4,\)"):
        TensorDataset(x, np.arange(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_tensor_dataset_accepts_tensors():
    ds = TensorDataset(ag.tensor(np.ones((3, 2), dtype=np.float32)), np.arange(3))
    assert isinstance(ds.arrays[0], np.ndarray) and ds.arrays[0].shape == (3, 2)


def test_subset_and_concat():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [9, -1, 0])
    assert [int(sub[i][0]) for i in range(len(sub))] == [9, 9, 0]
    with pytest.raises(IndexError):
        Subset(ds, [10])
    cat = ds + TensorDataset(np.arange(100, 103))
    assert isinstance(cat, ConcatDataset) and len(cat) == 13
    assert int(cat[10][0]) == 100 and int(cat[9][0]) == 9 and int(cat[-1][0]) == 102


# ----------------------------------------------------------------------------- loader


def test_loader_batches_in_order_as_tensors():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    dl = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(dl)
    assert len(dl) == len(batches) == 3
    for b in batches:
        assert isinstance(b, tuple) and all(isinstance(t, ag.Tensor) for t in b)
    xb, yb = batches[0]
    assert xb.data.dtype == np.float32 and yb.data.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]


def test_loader_drop_last_and_len():
    ds = TensorDataset(np.arange(10))
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert [b[0].shape[0] for b in DataLoader(ds, batch_size=3, drop_last=True)] == [3, 3, 3]
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=20, drop_last=True)) == 0
    assert list(DataLoader(ds, batch_size=20, drop_last=True)) == []


def test_shuffle_is_seeded_covers_everything_and_changes_per_epoch():
    ds = TensorDataset(np.arange(50))

    def epochs(dl, k=2):
        return [np.concatenate([b[0].data for b in dl]) for _ in range(k)]

    a = epochs(DataLoader(ds, batch_size=7, shuffle=True, seed=3))
    b = epochs(DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(3)))
    for ea, eb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ea, eb)
        np.testing.assert_array_equal(np.sort(ea), np.arange(50))
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], np.arange(50))


def test_unseeded_shuffle_follows_the_shared_generator():
    ds = TensorDataset(np.arange(30))
    ag.manual_seed(11)
    first = np.concatenate([b[0].data for b in DataLoader(ds, batch_size=8, shuffle=True)])
    ag.manual_seed(11)
    second = np.concatenate([b[0].data for b in DataLoader(ds, batch_size=8, shuffle=True)])
    np.testing.assert_array_equal(first, second)


def test_fast_path_matches_per_item_path():
    x = np.random.default_rng(0).standard_normal((23, 3)).astype(np.float32)
    y = np.arange(23) % 4
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=5, shuffle=True, seed=1))
    slow = list(DataLoader(ds, batch_size=5, shuffle=True, seed=1, collate_fn=default_collate))
    for f, s in zip(fast, slow, strict=True):
        for ft, st in zip(f, s, strict=True):
            np.testing.assert_array_equal(ft.data, st)


def test_fast_path_does_not_loop_over_items(monkeypatch):
    ds = TensorDataset(np.arange(1000), np.arange(1000))

    def forbidden(self, i):
        raise AssertionError("per-item __getitem__ called on the fast path")

    monkeypatch.setattr(TensorDataset, "__getitem__", forbidden)
    train, _ = random_split(ds, [0.5, 0.5], seed=0)
    assert sum(b[0].shape[0] for b in DataLoader(ds, batch_size=100, shuffle=True, seed=0)) == 1000
    got = np.concatenate([b[0].data for b in DataLoader(train, batch_size=64)])
    np.testing.assert_array_equal(got, train.indices)


def test_generic_dataset_goes_through_collate():
    dl = DataLoader(Squares(7), batch_size=3)
    xb, yb = next(iter(dl))
    assert xb.shape == (3, 2) and yb.shape == (3,)
    np.testing.assert_array_equal(yb.data, [0, 1, 2])
    np.testing.assert_array_equal(xb.data[:, 1], [0, 1, 4])


def test_custom_collate_result_is_yielded_as_is():
    dl = DataLoader(Squares(4), batch_size=2, collate_fn=lambda items: len(items))
    assert list(dl) == [2, 2]


def test_collate_reports_ragged_fields():
    with pytest.raises(ValueError, match="cannot stack field 0"):
        default_collate([(np.zeros(2), 1), (np.zeros(3), 2)])


@pytest.mark.parametrize("bs", [0, -1, 1.5, True])
def test_loader_rejects_bad_batch_size(bs):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(TensorDataset(np.arange(3)), batch_size=bs)


def test_loader_rejects_seed_and_generator_together():
    with pytest.raises(ValueError, match="either generator or seed"):
        DataLoader(TensorDataset(np.arange(3)), seed=1, generator=np.random.default_rng(1))


# ----------------------------------------------------------------------------- splits


def test_random_split_fractions_like_pytorch():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [0.33, 0.33, 0.34], seed=0)
    assert [len(p) for p in parts] == [4, 3, 3]  # remainder handed out round-robin
    allidx = np.concatenate([p.indices for p in parts])
    np.testing.assert_array_equal(np.sort(allidx), np.arange(10))


def test_random_split_ints_seeded_and_errors():
    ds = TensorDataset(np.arange(10))
    a = random_split(ds, [7, 3], seed=5)
    b = random_split(ds, [7, 3], generator=np.random.default_rng(5))
    np.testing.assert_array_equal(a[0].indices, b[0].indices)
    with pytest.raises(ValueError, match="sum of lengths 9 does not equal the dataset length 10"):
        random_split(ds, [6, 3])
    with pytest.raises(ValueError, match="fractions"):
        random_split(ds, [0.5, 0.6])


def test_train_val_split():
    ds = TensorDataset(np.arange(100))
    tr, va = train_val_split(ds, val_fraction=0.25, seed=0)
    assert (len(tr), len(va)) == (75, 25)
    assert not set(tr.indices) & set(va.indices)
    tr2, _ = train_val_split(ds, val_fraction=0.25, seed=0)
    np.testing.assert_array_equal(tr.indices, tr2.indices)
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(ds, val_fraction=1.5)


# ----------------------------------------------------------------------------- spiral


def test_spiral_shapes_dtypes_and_determinism():
    ds = Spiral(n_per_class=50, n_classes=4, noise=0.1, seed=2)
    x, t = ds.as_arrays()
    assert x.shape == (200, 2) and x.dtype == np.float32
    assert t.dtype == np.int64 and np.bincount(t).tolist() == [50] * 4
    assert np.all(np.linalg.norm(x, axis=1) <= 1.0 + 1e-6)
    x2, _ = make_spiral(50, 4, 0.1, seed=2)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, make_spiral(50, 4, 0.1, seed=3)[0])
    xb, tb = next(iter(DataLoader(ds, batch_size=16, shuffle=True, seed=0)))
    assert xb.shape == (16, 2) and tb.data.dtype == np.int64


def test_spiral_is_the_cs231n_construction():
    x, t = make_spiral(100, 3, noise=0.0)
    # noise-free: radius r_i = i / 99 and angle 4 j + 4 i / 99 for sample i of class j
    r = np.linspace(0, 1, 100)
    ang = np.linspace(4, 8, 100)
    np.testing.assert_allclose(x[100:200, 0], r * np.sin(ang), atol=1e-6)
    np.testing.assert_allclose(x[100:200, 1], r * np.cos(ang), atol=1e-6)
    assert (t[100:200] == 1).all()
    with pytest.raises(ValueError, match="positive"):
        Spiral(n_per_class=0)
