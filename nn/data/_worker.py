"""What runs inside a DataLoader worker process, and what it sends back.

Each worker seeds tracegrad's generator (and Python's and NumPy's legacy ones) with
`base_seed + worker_id`, runs `worker_init_fn`, then answers `(task, indices)` messages from
its index queue with `(task, batch)` on the shared result queue until it reads None. A failure
travels back as an `ExceptionWrapper` carrying the original traceback text; an exhausted
`IterableDataset` answers `IterableEnd`.
"""

from __future__ import annotations

import os
import queue
import sys
import traceback
from dataclasses import dataclass
from typing import Any

STATUS_CHECK_INTERVAL = 1.0  # seconds between checks that the parent is still alive


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker (PyTorch's fields)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its id, the number of workers, its seed and its copy of the
    dataset (an `IterableDataset` uses this to shard itself); None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker: its type and the traceback text, for re-raising."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.where = where
        self.text = "".join(traceback.format_exception(exc))

    def reraise(self) -> None:
        """Raise the same exception type in the parent, with the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:  # KeyError would show the message through repr()
            raise KeyError(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # the type needs other arguments: keep the text all the same
            raise RuntimeError(msg) from None
        raise exc


@dataclass(frozen=True)
class IterableEnd:
    """A worker's `IterableDataset` copy is exhausted."""

    worker_id: int


RESUME = "resume"  # message: start a new pass (persistent workers)


def worker_loop(
    fetcher_factory: Any,
    dataset: Any,
    index_queue: Any,
    result_queue: Any,
    base_seed: int,
    worker_init_fn: Any,
    worker_id: int,
    num_workers: int,
    parent_pid: int,
) -> None:
    """Body of one worker process (see the module docstring)."""
    global _worker_info
    seed = base_seed + worker_id
    try:
        import autograd.random as agr

        agr.manual_seed(seed)
    except ImportError:  # pragma: no cover - the core is always importable here
        pass
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    init_error = None
    fetcher = None
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
        fetcher = fetcher_factory(dataset)
    except Exception:
        init_error = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
    exhausted = False
    while True:
        try:
            message = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
        except queue.Empty:
            if os.getppid() != parent_pid:  # the parent died: nobody will read our results
                return
            continue
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message == RESUME:
            if fetcher is not None:
                fetcher = fetcher_factory(dataset)
            exhausted = False
            continue
        task, indices = message
        if init_error is not None:
            data: Any = init_error
            init_error = None
        elif exhausted:
            data = IterableEnd(worker_id)
        else:
            try:
                data = fetcher.fetch(indices)
            except StopIteration:
                exhausted = True
                data = IterableEnd(worker_id)
            except Exception:
                data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        result_queue.put((task, data))
        del data
