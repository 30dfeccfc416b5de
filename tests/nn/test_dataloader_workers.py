"""DataLoader with worker processes: the same ordered batches as `num_workers=0`, per-worker
seeding, IterableDataset sharding (as torch), worker errors with their traceback, timeouts,
persistent workers, and no child process (zombies included) left behind."""

from __future__ import annotations

import gc
import os
import time

import numpy as np
import pytest

import autograd as ag
from nn.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)


def child_pids() -> set[int]:
    """Every process whose parent is this one, zombies included (read from /proc)."""
    me = os.getpid()
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me:
            out.add(int(entry))
    return out


@pytest.fixture
def no_leftover_children():
    before = child_pids()
    yield
    gc.collect()
    assert child_pids() - before == set()


class Squares(Dataset):
    """Per-item dataset without get_batch: (x, i) with x = [i, i**2]."""

    def __init__(self, n: int = 37) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return np.array([i, i * i], dtype=np.float32), i


class Noisy(Squares):
    """A random transform drawn from tracegrad's shared generator in each call."""

    def __getitem__(self, i: int):
        from autograd.random import get_generator

        return np.float64(i) + get_generator().random(), i


class WhoAmI(Squares):
    def __getitem__(self, i: int):
        info = get_worker_info()
        return i, -1 if info is None else info.id, os.getpid()


class Failing(Squares):
    def __getitem__(self, i: int):
        if i == 5:
            raise ValueError(f"boom at index {i}")
        return super().__getitem__(i)


class Slow(Squares):
    def __getitem__(self, i: int):
        time.sleep(5)
        return super().__getitem__(i)


class Dying(Squares):
    def __getitem__(self, i: int):
        os._exit(3)


class Range(IterableDataset):
    """range(start, end), split into contiguous shards across workers (torch's docs recipe)."""

    worker_info = staticmethod(get_worker_info)

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end

    def __iter__(self):
        info = self.worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per = int(np.ceil((self.end - self.start) / info.num_workers))
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))

    def __len__(self) -> int:
        return self.end - self.start


def as_lists(loader):
    return [[t.data.tolist() if isinstance(t, ag.Tensor) else t for t in b] for b in loader]


@pytest.mark.parametrize("num_workers", [1, 2, 3])
@pytest.mark.parametrize("dataset", [Squares(), TensorDataset(np.arange(74.0).reshape(37, 2),
                                                              np.arange(37))],
                         ids=["per-item", "get_batch"])
def test_same_ordered_batches_as_in_process(dataset, num_workers, no_leftover_children):
    ref = as_lists(DataLoader(dataset, batch_size=4, shuffle=True, seed=7))
    got = as_lists(DataLoader(dataset, batch_size=4, shuffle=True, seed=7,
                              num_workers=num_workers))
    assert got == ref
    gen = np.random.default_rng(1)
    two = DataLoader(dataset, batch_size=5, shuffle=True, generator=gen, num_workers=2,
                     drop_last=True)
    assert len(as_lists(two)) == len(two) == 7


def test_custom_collate_and_unbatched_samples(no_leftover_children):
    dl = DataLoader(Squares(10), batch_size=3, num_workers=2, collate_fn=len)
    assert list(dl) == [3, 3, 3, 1]
    single = list(DataLoader(Squares(4), batch_size=None, num_workers=2))
    assert [int(i) for _, i in single] == [0, 1, 2, 3]
    assert isinstance(single[0][0], ag.Tensor) and single[0][0].shape == (2,)
    unordered = DataLoader(Squares(20), batch_size=2, num_workers=3, in_order=False)
    assert sorted(int(i) for _, y in unordered for i in y.data) == list(range(20))


def test_random_transforms_in_workers_are_reproducible(no_leftover_children):
    def run():
        return as_lists(DataLoader(Noisy(24), batch_size=4, num_workers=2, seed=3))

    a, b = run(), run()
    assert a == b
    fractions = [round(x - i, 12) for batch in a for x, i in zip(*batch, strict=True)]
    assert len(set(fractions)) == len(fractions)  # workers draw different streams
    other = as_lists(DataLoader(Noisy(24), batch_size=4, num_workers=2, seed=4))
    assert other != a


def test_worker_info_seed_and_init_fn(no_leftover_children):
    seen = []

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        assert info.seed - worker_id >= 0

    dl = DataLoader(WhoAmI(8), batch_size=2, num_workers=2, worker_init_fn=init)
    for idx, wid, pid in dl:
        seen.append((idx.data.tolist(), set(wid.data.tolist()), set(pid.data.tolist())))
    assert [s[0] for s in seen] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert [s[1] for s in seen] == [{0}, {1}, {0}, {1}]  # round robin, as torch
    assert os.getpid() not in set().union(*(s[2] for s in seen))
    assert get_worker_info() is None


@pytest.mark.parametrize("num_workers", [0, 1, 2, 3])
def test_iterable_dataset_sharding(num_workers, no_leftover_children):
    dl = DataLoader(Range(0, 17), batch_size=3, num_workers=num_workers)
    batches = [b.data.tolist() for b in dl]
    flat = sorted(x for b in batches for x in b)
    assert flat == list(range(17))
    assert len(dl) == 6


@pytest.mark.torch
@pytest.mark.parametrize(("num_workers", "batch_size", "drop_last"),
                         [(0, 3, False), (2, 3, False), (3, 2, True), (2, None, False)])
def test_iterable_dataset_batches_as_torch(num_workers, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    kwargs = dict(batch_size=batch_size, drop_last=drop_last, num_workers=num_workers)
    ours = [np.asarray(getattr(b, "data", b)).tolist()
            for b in DataLoader(Range(3, 20), **kwargs)]
    torch_range = type("TorchRange", (torch.utils.data.IterableDataset,), {
        "worker_info": staticmethod(torch.utils.data.get_worker_info),
        "__init__": Range.__init__, "__iter__": Range.__iter__, "__len__": Range.__len__})
    theirs = [np.asarray(b).tolist()
              for b in torch.utils.data.DataLoader(torch_range(3, 20), **kwargs)]
    assert ours == theirs


def test_worker_exception_surfaces_with_traceback(no_leftover_children):
    dl = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(dl)
    text = str(info.value)
    assert "in DataLoader worker process 0" in text  # index 5 is in batch 2 -> worker 0
    assert "Traceback (most recent call last)" in text and "boom at index 5" in text
    assert "__getitem__" in text


def test_worker_init_fn_exception_surfaces(no_leftover_children):
    def init(worker_id):
        raise KeyError(f"no config for worker {worker_id}")

    with pytest.raises(KeyError, match="no config for worker"):
        list(DataLoader(Squares(), batch_size=2, num_workers=2, worker_init_fn=init))


def test_timeout_is_honoured(no_leftover_children):
    dl = DataLoader(Slow(4), batch_size=2, num_workers=1, timeout=0.3)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(dl))


def test_dead_worker_is_reported(no_leftover_children):
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Dying(4), batch_size=2, num_workers=1))


def test_no_children_after_exhaustion_deletion_or_break(no_leftover_children):
    before = child_pids()
    dl = DataLoader(Squares(), batch_size=2, num_workers=2)
    it = iter(dl)
    next(it)
    assert len(child_pids() - before) == 2
    del it
    gc.collect()
    assert child_pids() - before == set()
    for k, _ in enumerate(dl):
        if k == 3:
            break
    gc.collect()
    assert child_pids() - before == set()
    list(dl)
    assert child_pids() - before == set()


def test_persistent_workers_survive_epochs(no_leftover_children):
    dl = DataLoader(WhoAmI(6), batch_size=2, num_workers=2, persistent_workers=True)
    pids = []
    for _ in range(3):
        epoch = list(dl)
        assert [b[0].data.tolist() for b in epoch] == [[0, 1], [2, 3], [4, 5]]
        pids.append(set().union(*(set(b[2].data.tolist()) for b in epoch)))
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    ranged = DataLoader(Range(0, 7), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert sorted(x for b in ranged for x in b.data.tolist()) == list(range(7))
    del dl, ranged


def test_spawn_context_gives_the_same_batches():  # spawn leaves multiprocessing's tracker
    ds = TensorDataset(np.arange(20.0).reshape(10, 2), np.arange(10))
    ref = as_lists(DataLoader(ds, batch_size=3, shuffle=True, seed=5))
    got = as_lists(DataLoader(ds, batch_size=3, shuffle=True, seed=5, num_workers=1,
                              multiprocessing_context="spawn"))
    assert got == ref


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used"),
    (dict(num_workers=1, multiprocessing_context="threads"), "valid start method"),
])
def test_argument_validation_as_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Squares(), **kwargs)


@pytest.mark.parametrize("option", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_dataset_rejects_index_options(option):
    value = {"shuffle": True, "sampler": [0], "batch_sampler": [[0]]}[option]
    with pytest.raises(ValueError, match=f"expected unspecified {option} option"):
        DataLoader(Range(0, 3), **{option: value})
