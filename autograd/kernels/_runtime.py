"""Runtime plumbing shared by the kernels: worker threads, BLAS threads, workspaces, checks.

The kernels own their parallelism: each parallel kernel splits its work into ``T`` parts
(``T = numba.get_num_threads()``), and ``run_parallel`` runs part 0 on the calling thread and
the others on persistent Python worker threads. Parts are ``@njit(nogil=True)`` functions, so
they run truly in parallel; any BLAS call made inside (Numba's ``np.dot`` calls SciPy's
OpenBLAS) runs single-threaded on its worker, so the machine never has two thread pools
fighting for its cores.

Why Python threads and not ``@njit(parallel=True)``: a ``prange`` runner is compiled for every
kernel, layout and dtype (a parallel compile costs about a second even for a one-line loop,
and compiles its callees again), which made the first LeNet-5 batch on a cold cache take 83 s
of CPU time (12 s with the worker threads, which need no compile at all). The threads also
wait passively (a blocked ``queue.get``), where OpenMP workers spin after each region and
starve the NumPy code that runs next unless ``OMP_WAIT_POLICY=PASSIVE`` is set before Python
starts; they are safe to call from several Python threads at once, and a child forked from a
process that used them starts its own.
"""

from __future__ import annotations

import ctypes
import glob
import math
import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np

__all__ = [
    "JIT_OPTIONS",
    "num_threads",
    "run_parallel",
    "workspace",
    "blas_single_thread",
    "as_float_arrays",
    "as_pair",
]

# fastmath=False keeps NaN/inf semantics (RELIABILITY 25); cache=True makes a second process warm;
# nogil=True lets the worker threads of run_parallel run parts at the same time.
JIT_OPTIONS: dict[str, Any] = {"cache": True, "fastmath": False, "nogil": True}


def num_threads() -> int:
    """Number of parts a parallel kernel splits its work into (Numba's current thread count)."""
    return max(1, int(numba.get_num_threads()))


# --------------------------------------------------------------------------------------------
# Worker threads
# --------------------------------------------------------------------------------------------


class _Call:
    """One ``run_parallel`` call: its part, arguments, and a latch released by its last part."""

    __slots__ = ("part", "T", "args", "left", "lock", "done", "error")

    def __init__(self, part: Callable[..., Any], T: int, args: tuple) -> None:  # noqa: N803
        self.part, self.T, self.args = part, T, args
        self.left = T - 1  # parts still running on workers
        self.lock = threading.Lock()
        self.done = threading.Lock()
        self.done.acquire()
        self.error: BaseException | None = None

    def run(self, t: int) -> None:
        """Run part ``t`` on this worker; the last one to finish releases the caller."""
        try:
            self.part(t, self.T, *self.args)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            self.error = exc
        with self.lock:
            self.left -= 1
            last = self.left == 0
        if last:
            self.done.release()


_pool_lock = threading.Lock()
_pool_pid: int | None = None  # the process the worker threads below belong to
_pool_jobs: queue.SimpleQueue = queue.SimpleQueue()
_pool_size = 0


def _forget_pool() -> None:
    """In a forked child: the parent's workers did not come along (nor may its lock be free)."""
    global _pool_lock, _pool_pid
    _pool_lock, _pool_pid = threading.Lock(), None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _work(jobs: queue.SimpleQueue) -> None:
    while True:
        call, t = jobs.get()
        call.run(t)


def _workers(n: int) -> queue.SimpleQueue:
    """The job queue of at least ``n`` worker threads of this process (started on demand; a
    forked child, which inherits no threads, starts its own)."""
    global _pool_pid, _pool_jobs, _pool_size
    if _pool_pid == os.getpid() and _pool_size >= n:
        return _pool_jobs
    with _pool_lock:
        if _pool_pid != os.getpid():
            _pool_pid, _pool_jobs, _pool_size = os.getpid(), queue.SimpleQueue(), 0
        while _pool_size < n:
            threading.Thread(target=_work, args=(_pool_jobs,), daemon=True,
                             name=f"tracegrad-kernel-{_pool_size + 1}").start()
            _pool_size += 1
        return _pool_jobs


def run_parallel(part: Callable[..., Any], T: int, *args: Any) -> None:  # noqa: N803
    """Run ``part(t, T, *args)`` for t in 0..T-1 at once: part 0 here, the rest on workers."""
    if T <= 1:
        part(0, 1, *args)
        return
    jobs = _workers(T - 1)
    call = _Call(part, T, args)
    for t in range(1, T):
        jobs.put((call, t))
    try:
        part(0, T, *args)
    finally:
        call.done.acquire()  # the workers write into the caller's arrays: wait for them all
    if call.error is not None:
        raise call.error


# --------------------------------------------------------------------------------------------
# BLAS threads
# --------------------------------------------------------------------------------------------

_blas_lock = threading.Lock()
_blas_depth = 0
_blas_saved = 0
_blas_funcs: tuple[Any, Any] | None | bool = False  # False: not looked up yet; None: not found


def _find_scipy_openblas() -> tuple[Any, Any] | None:
    """Locate (get_num_threads, set_num_threads) of the OpenBLAS that Numba's np.dot calls."""
    try:
        import scipy
    except ImportError:
        return None
    base = os.path.dirname(os.path.dirname(scipy.__file__))
    libs = sorted(glob.glob(os.path.join(base, "scipy.libs", "*openblas*")))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("", "64_"):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype = ctypes.c_int
                    put.argtypes = [ctypes.c_int]
                    put.restype = None
                    return get, put
    return None


class _BlasSingleThread:
    """Context manager: SciPy's OpenBLAS single-threaded while kernels that call it run.

    Nesting- and thread-safe (a depth count under a lock); the previous thread count comes
    back when the outermost one exits. A class, not a generator: it runs on every product.
    """

    def __enter__(self) -> None:
        global _blas_depth, _blas_saved, _blas_funcs
        with _blas_lock:
            if _blas_funcs is False:
                _blas_funcs = _find_scipy_openblas()
            if _blas_funcs and _blas_depth == 0:
                _blas_saved = _blas_funcs[0]()
                if _blas_saved != 1:
                    _blas_funcs[1](1)
            _blas_depth += 1

    def __exit__(self, *exc: object) -> None:
        global _blas_depth
        with _blas_lock:
            _blas_depth -= 1
            if _blas_funcs and _blas_depth == 0 and _blas_saved != 1:
                _blas_funcs[1](_blas_saved)


_BLAS_SINGLE_THREAD = _BlasSingleThread()


def blas_single_thread() -> _BlasSingleThread:
    """Make SciPy's OpenBLAS single-threaded while kernels that call it run (nesting-safe)."""
    return _BLAS_SINGLE_THREAD


# --------------------------------------------------------------------------------------------
# Workspaces
# --------------------------------------------------------------------------------------------

_local = threading.local()


def workspace(name: str, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
    """A reusable scratch array for this thread; contents are undefined. Never return it."""
    # NOTE: page faults cost ~2 us per 4 KiB page on this VM and glibc gives big buffers back
    # to the OS after each free, so im2col buffers are kept and reused across calls.
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    dtype = np.dtype(dtype)
    size = math.prod(shape)  # NOTE: np.prod would cost ~5 us per call here
    key = (name, dtype.str)
    buf = pool.get(key)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        pool[key] = buf
    return buf[:size].reshape(tuple(shape))


def clear_workspaces() -> None:
    """Free this thread's cached workspaces."""
    _local.pool = {}


# --------------------------------------------------------------------------------------------
# Argument checks (run in Python, before any jitted call)
# --------------------------------------------------------------------------------------------

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_arrays(op: str, names: Sequence[str], *arrays: Any,
                    reuse: bool = False) -> list[np.ndarray]:
    """Check dtypes, promote mixed float32/float64 to float64, and make C-contiguous copies.

    ``None`` entries pass through. Only float32 and float64 are accepted; any mix of the two
    is computed in float64 (the NumPy promotion rule), so a kernel is compiled for at most two
    dtypes. ``reuse=True`` (a caller writing into ``out``) copies into per-operand workspaces
    instead of new arrays, so a repeated call allocates nothing.
    """
    first = arrays[0]
    if type(first) is np.ndarray and first.dtype in _FLOATS and all(
        a is None or (type(a) is np.ndarray and a.dtype == first.dtype
                      and a.flags.c_contiguous) for a in arrays
    ):
        return list(arrays)  # the common case: nothing to check further, nothing to copy
    out: list[Any] = []
    dtypes = []
    for name, a in zip(names, arrays, strict=True):
        if a is None:
            out.append(None)
            continue
        if not isinstance(a, np.ndarray):
            a = np.asarray(a)
        if a.dtype not in _FLOATS:
            raise TypeError(f"{op}: {name} must be float32 or float64, got {a.dtype}")
        dtypes.append(a.dtype)
        out.append(a)
    dtype = np.dtype(np.float64) if np.dtype(np.float64) in dtypes else np.dtype(np.float32)
    if not reuse:
        return [None if a is None else np.ascontiguousarray(a, dtype=dtype) for a in out]
    staged = []
    for name, a in zip(names, out, strict=True):
        if a is not None and not (a.dtype == dtype and a.flags.c_contiguous):
            w = workspace(f"{op}:{name}", a.shape, dtype)
            np.copyto(w, a)
            a = w
        staged.append(a)
    return staged


def result_array(op: str, out: np.ndarray | None, shape: tuple, dtype: Any) -> np.ndarray:
    """A new result array, or the caller's ``out`` once checked to be a C-contiguous array of
    ``shape`` and ``dtype`` (ValueError naming the op otherwise)."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"{op}: out must be a C-contiguous {np.dtype(dtype)} array of shape "
                         f"{shape}, got {out.dtype} {out.shape}")
    return out


def as_pair(op: str, name: str, value: int | Sequence[int], minimum: int) -> tuple[int, int]:
    """Normalize an int or a pair of ints and check each is >= ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    else:
        try:
            items = tuple(value)  # type: ignore[arg-type]
        except TypeError:
            msg = f"{op}: {name} must be an int or a pair of ints, got {value!r}"
            raise TypeError(msg) from None
        if len(items) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items
        ):
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
        pair = (int(items[0]), int(items[1]))
    if pair[0] < minimum or pair[1] < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {pair}")
    return pair


def check_ndim(op: str, name: str, a: np.ndarray, ndim: int) -> None:
    """Raise ValueError unless ``a`` has ``ndim`` dimensions."""
    if a.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D, got shape {a.shape}")
