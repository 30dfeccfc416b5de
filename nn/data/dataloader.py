"""`DataLoader` (PyTorch `torch.utils.data.DataLoader` arguments and rules), in the main
process or in worker processes.

Batches are made by a fetcher: for a map-style dataset it reads the indices a `BatchSampler`
chose (with no `collate_fn`, a dataset's `get_batch(indices)` is used to index whole arrays at
once); for an `IterableDataset` it takes the next `batch_size` items. With `num_workers > 0`
the fetchers run in worker processes (started with "fork" where available: a forked child
starts its own kernel threads, see autograd/kernels/_runtime.py) and batches come back in
sampler order; default collation sends ndarrays and makes Tensors in the parent.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import numbers
import os
import queue
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from . import _worker
from .collate import collate_arrays, to_tensors
from .dataset import IterableDataset, _make_generator, shared_generator
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]


class _Fetcher:
    """Makes one batch (ndarrays for default collation) from what the index source yields."""

    def __init__(self, dataset: Any, spec: _FetchSpec) -> None:
        self.dataset = dataset
        self.spec = spec
        self.iterator = iter(dataset) if spec.iterable else None

    def fetch(self, indices: Any) -> Any:
        spec = self.spec
        if self.iterator is not None:
            if not spec.auto_collation:
                return self._finish_one(next(self.iterator))
            items = list(itertools.islice(self.iterator, spec.batch_size))
            if not items or (spec.drop_last and len(items) < spec.batch_size):
                raise StopIteration
            return self._collate(items)
        if not spec.auto_collation:
            return self._finish_one(self.dataset[indices])
        get_batch = getattr(self.dataset, "get_batch", None)
        if spec.collate_fn is None and get_batch is not None:
            return tuple(get_batch(np.asarray(indices, dtype=np.int64)))
        return self._collate([self.dataset[i] for i in indices])

    def _collate(self, items: list[Any]) -> Any:
        if self.spec.collate_fn is None:
            return collate_arrays(items)
        return self.spec.collate_fn(items)

    def _finish_one(self, item: Any) -> Any:
        if self.spec.collate_fn is None:
            return np.asarray(item) if isinstance(item, np.generic) else item
        return self.spec.collate_fn(item)


class _FetchSpec:
    """How a fetcher batches (picklable, so spawned workers can rebuild it)."""

    def __init__(self, iterable: bool, auto_collation: bool, batch_size: int | None,
                 drop_last: bool, collate_fn: Callable[[Any], Any] | None) -> None:
        self.iterable = iterable
        self.auto_collation = auto_collation
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn

    def __call__(self, dataset: Any) -> _Fetcher:
        return _Fetcher(dataset, self)


def _base_seed(generator: np.random.Generator | None) -> int:
    """A fresh seed for this pass's workers, drawn without moving the shuffling stream
    (a child of the generator's seed sequence), so any `num_workers` sees the same order."""
    gen = generator if generator is not None else shared_generator()
    try:
        child = gen.spawn(1)[0]
    except (TypeError, ValueError, AttributeError):  # no seed sequence behind it
        child = gen
    return int(child.integers(0, 2**62))


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class DataLoader:
    """Iterate over `dataset` in batches (PyTorch's DataLoader).

    Map-style datasets are read in the order of `sampler` (default: sequential, or random with
    `shuffle=True`), grouped by `batch_sampler` (default: `BatchSampler(sampler, batch_size,
    drop_last)`); `batch_size=None` yields single samples. `collate_fn` (default:
    `default_collate`, which yields tuples of `autograd.Tensor`) builds each batch.
    Randomness comes from `generator=` (a `numpy.random.Generator`), else a new one from
    `seed=`, else tracegrad's shared generator (reset by `ag.manual_seed`). `num_workers > 0`
    loads in that many processes (`multiprocessing_context`, `worker_init_fn`, `timeout`,
    `prefetch_factor`, `persistent_workers`, `in_order` as PyTorch); `pin_memory` is accepted
    and does nothing on the CPU.

    >>> from nn.data import TensorDataset
    >>> dl = DataLoader(TensorDataset(np.arange(10.0)), batch_size=4); len(dl)
    3
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Sampler | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        if not _is_int(num_workers) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if not isinstance(timeout, numbers.Real) or timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not _is_int(prefetch_factor) or prefetch_factor < 0):
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if not hasattr(dataset, "__getitem__") and not isinstance(dataset, IterableDataset) \
                and not hasattr(dataset, "__iter__"):
            raise TypeError(f"DataLoader needs a dataset (map-style or iterable), got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        self.generator = _make_generator(generator, seed, "DataLoader")
        self.multiprocessing_context = self._context(multiprocessing_context)
        self._iterable = isinstance(dataset, IterableDataset) or not hasattr(dataset,
                                                                            "__getitem__")
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if batch_size is not None and (not _is_int(batch_size) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if sampler is None and not self._iterable:
            if shuffle:
                sampler = RandomSampler(dataset, generator=self.generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self._spec = _FetchSpec(self._iterable, batch_sampler is not None or
                                (self._iterable and batch_size is not None),
                                batch_size, self.drop_last, collate_fn)
        self._persistent_iter: _MultiProcessIter | None = None

    def _context(self, ctx: Any) -> Any:
        if ctx is None:
            if self.num_workers == 0:
                return None
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            return mp.get_context(method)
        if self.num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={self.num_workers}")
        if isinstance(ctx, str):
            methods = mp.get_all_start_methods()
            if ctx not in methods:
                raise ValueError(f"multiprocessing_context option should specify a valid start "
                                 f"method in {methods!r}, but got "
                                 f"multiprocessing_context={ctx!r}")
            return mp.get_context(ctx)
        if not hasattr(ctx, "Process"):
            raise TypeError(f"multiprocessing_context option should be a valid context object "
                            f"or a string specifying the start method, but got {ctx!r}")
        return ctx

    def _index_source(self) -> Iterator[Any]:
        if self._iterable:
            return itertools.repeat(None)
        if self.batch_sampler is not None:
            return iter(self.batch_sampler)
        return iter(self.sampler)

    def _finish(self, data: Any) -> Any:
        return to_tensors(data) if self.collate_fn is None else data

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            it = self._persistent_iter
            if it is not None and not it.closed and not it.finished:  # abandoned mid-pass
                it.shutdown()
            if it is None or it.closed:
                self._persistent_iter = _MultiProcessIter(self)
            else:
                self._persistent_iter.reset()
            return self._persistent_iter
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            rounding = math.floor if self.drop_last else math.ceil
            return int(rounding(n / self.batch_size))
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __del__(self) -> None:
        it = getattr(self, "_persistent_iter", None)
        if it is not None:
            it.shutdown()

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers})")


class _SingleProcessIter:
    """Batches made in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._indices = loader._index_source()
        self._fetcher = loader._spec(loader.dataset)

    def __iter__(self) -> _SingleProcessIter:
        return self

    def __next__(self) -> Any:
        indices = next(self._indices)
        return self._loader._finish(self._fetcher.fetch(indices))

    def __len__(self) -> int:
        return len(self._loader)


class _MultiProcessIter:
    """Batches made by `num_workers` processes, yielded in order (or as they come)."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        ctx = loader.multiprocessing_context
        n = loader.num_workers
        self._result_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        self.closed = False
        base_seed = _base_seed(loader.generator)
        for worker_id in range(n):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker.worker_loop,
                args=(loader._spec, loader.dataset, index_queue, self._result_queue, base_seed,
                      loader.worker_init_fn, worker_id, n, os.getpid()),
                daemon=True,
            )
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._start_pass(first=True)

    def _start_pass(self, first: bool) -> None:
        self._indices = self._loader._index_source()
        self._active = [True] * len(self._workers)
        self._next_worker = itertools.cycle(range(len(self._workers)))
        self._send = 0  # next task number to hand out
        self._rcvd = 0  # next task number to yield (in order)
        self._owner: dict[int, int] = {}  # task -> worker, for tasks not yet yielded
        self._done: dict[int, Any] = {}
        self._sampler_done = False
        if not first:
            for q in self._index_queues:
                q.put(_worker.RESUME)
        for _ in range(self._loader.prefetch_factor * len(self._workers)):
            self._put_task()

    @property
    def finished(self) -> bool:
        """True once every task of this pass has been yielded."""
        return not self._owner

    def reset(self) -> None:
        """Start a new pass with the same (persistent) workers."""
        self._start_pass(first=False)

    def _put_task(self) -> None:
        if self._sampler_done or not any(self._active):
            return
        for _ in range(len(self._workers)):
            w = next(self._next_worker)
            if self._active[w]:
                break
        else:
            return
        try:
            indices = next(self._indices)
        except StopIteration:
            self._sampler_done = True
            return
        self._index_queues[w].put((self._send, indices))
        self._owner[self._send] = w
        self._send += 1

    def __iter__(self) -> _MultiProcessIter:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self) -> Any:
        try:
            return self._next()
        except StopIteration:
            if not self._loader.persistent_workers:
                self.shutdown()
            raise
        except BaseException:
            self.shutdown()
            raise

    def _next(self) -> Any:
        if self.closed:
            raise StopIteration
        while True:
            if not self._owner:  # nothing outstanding: the pass is over
                raise StopIteration
            if self._loader.in_order:
                while self._rcvd not in self._owner:
                    self._rcvd += 1
                if self._rcvd in self._done:
                    task = self._rcvd
                    data = self._done.pop(task)
                else:
                    task, data = self._receive()
                    if task != self._rcvd:
                        self._done[task] = data
                        continue
            else:
                task, data = self._receive()
            del self._owner[task]
            self._put_task()
            if isinstance(data, _worker.IterableEnd):
                self._active[data.worker_id] = False
                continue
            if isinstance(data, _worker.ExceptionWrapper):
                data.reraise()
            return self._loader._finish(data)

    def _receive(self) -> tuple[int, Any]:
        timeout = self._loader.timeout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = _worker.STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                dead = [w.pid for w in self._workers if w.exitcode is not None]
                if dead:
                    raise RuntimeError(f"DataLoader worker (pid(s) "
                                       f"{', '.join(map(str, dead))}) exited unexpectedly"
                                       ) from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"DataLoader timed out after {timeout:g} seconds") from None

    def shutdown(self) -> None:
        """Stop and reap every worker, and close the queues (idempotent)."""
        if self.closed:
            return
        self.closed = True
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=5.0)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in [*self._index_queues, self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        self.shutdown()
