"""Runtime plumbing shared by the kernels: threads, fork safety, BLAS threads, workspaces, checks.

The kernels own their parallelism: each parallel kernel splits its work into ``T`` parts
(``T = numba.get_num_threads()``) and runs them in a ``prange`` loop. Any BLAS call made inside
(Numba's ``np.dot`` calls SciPy's OpenBLAS) runs single-threaded on the calling worker, so the
machine never has two thread pools fighting for its cores.

Threading layer (RELIABILITY 26):
- ``omp`` and ``tbb`` are thread-safe: several Python threads may call kernels at once.
- ``workqueue`` is not: calls are serialized by a lock.
- GNU OpenMP cannot be used in a child forked after the pool started (libgomp would abort the
  child), so such a child runs the serial twin of every kernel instead.

Wait policy: OpenMP worker threads spin-wait after each parallel region by default; on a
2-core machine the spinning Numba workers starve NumPy's BLAS threads that run next (a LeNet-5
step measured 41 ms instead of 12 ms). The OpenMP runtimes read the policy only from the
environment when they start, and there is no API to set it later, so tracegrad cannot choose it
without mutating ``os.environ`` for the whole host process, which it does not do. To get
passive waiting, set it yourself before Python starts (``OMP_WAIT_POLICY=PASSIVE python
train.py``) or in ``os.environ`` before the first parallel kernel runs.
"""

from __future__ import annotations

import ctypes
import glob
import os
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

# fastmath=False keeps NaN/inf semantics (RELIABILITY 25); cache=True makes a second process warm.
JIT_OPTIONS: dict[str, Any] = {"cache": True, "fastmath": False, "nogil": True}

_layer_lock = threading.Lock()  # serializes parallel calls only under the 'workqueue' layer
_pool_started_pid: int | None = None  # pid of the process whose parallel pool we started
_layer: str | None = None


def num_threads() -> int:
    """Number of parts a parallel kernel splits its work into (Numba's current thread count)."""
    return max(1, int(numba.get_num_threads()))


def _in_unsafe_fork_child() -> bool:
    """True in a child forked after a GNU OpenMP pool started in its parent."""
    if _pool_started_pid is None or _pool_started_pid == os.getpid():
        return False
    if _layer != "omp":
        return False
    try:
        from numba.np.ufunc import omppool

        return getattr(omppool, "openmp_vendor", "GNU") == "GNU"
    except ImportError:  # pragma: no cover - omp layer without its module cannot happen
        return True


def run_parallel(par: Callable[..., Any], ser: Callable[..., Any], *args: Any) -> Any:
    """Call the parallel kernel ``par`` (or its serial twin ``ser`` where threads are unsafe)."""
    global _pool_started_pid, _layer
    if _in_unsafe_fork_child():
        return ser(*args)
    if _layer is None or _layer == "workqueue":
        # Unknown layer (first call) or a layer that is not thread-safe: run under the lock.
        with _layer_lock:
            result = par(*args)
            if _layer is None:
                _layer = numba.threading_layer()
                _pool_started_pid = os.getpid()
            return result
    return par(*args)


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
    size = int(np.prod(shape, dtype=np.int64))
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


def as_float_arrays(op: str, names: Sequence[str], *arrays: Any) -> list[np.ndarray]:
    """Check dtypes, promote mixed float32/float64 to float64, and make C-contiguous copies.

    ``None`` entries pass through. Only float32 and float64 are accepted; any mix of the two
    is computed in float64 (the NumPy promotion rule), so a kernel is compiled for at most two
    dtypes.
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
    return [None if a is None else np.ascontiguousarray(a, dtype=dtype) for a in out]


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
