"""Tensor factories with PyTorch's signatures (NumPy's spellings kept); floats default to
`get_default_dtype()`, integer ranges and indices are int64; random ones draw from
`ag.manual_seed`'s generator or the `generator=` given.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from autograd.errors import DTypeError, ShapeError
from autograd.random import Generator, get_generator
from autograd.tensor import Tensor, as_array_like, get_default_dtype


def check_device(op: str, device: Any) -> None:
    """Accept None, "cpu" or a device object whose `.type` is "cpu"; raise naming others."""
    if device is None:
        return
    kind = device if isinstance(device, str) else getattr(device, "type", device)
    if kind != "cpu":
        raise RuntimeError(f"{op}: device {device!r} is not available; tracegrad runs on the "
                           "CPU only (device='cpu')")


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def to_dtype(dtype: Any, default: Any = None) -> np.dtype:
    """A NumPy dtype from a NumPy dtype, a name ("float32") or an object NumPy understands."""
    if dtype is None:
        return get_default_dtype() if default is None else np.dtype(default)
    try:
        return np.dtype(getattr(dtype, "numpy_dtype", dtype))
    except TypeError:
        raise DTypeError(f"not a dtype: {dtype!r}") from None


def _make(op: str, arr: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    check_device(op, device)
    return Tensor(arr, requires_grad=requires_grad)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None,
           device: Any = None) -> Tensor:
    """A new leaf Tensor holding a copy of `data` (floats: default dtype; ndarrays keep theirs)."""
    check_device("tensor", device)
    if isinstance(data, Tensor):
        data = data.data
    arr = np.array(as_array_like(data), copy=True)
    return Tensor(arr, requires_grad=requires_grad, dtype=dtype, name=name)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """A Tensor sharing `data`'s memory when it already is an array of that dtype."""
    check_device("as_tensor", device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == to_dtype(dtype)):
        return data
    return Tensor(data, dtype=None if dtype is None else to_dtype(dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor that shares `array`'s memory (writes to either show in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray; got {type(array).__name__}")
    return Tensor(array)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _make("zeros", np.zeros(_shape(size), to_dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Tensor of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return _make("ones", np.ones(_shape(size), to_dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Tensor of the given size with unspecified values (zeros here, for reproducibility)."""
    return _make("empty", np.zeros(_shape(size), to_dtype(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """Tensor of `size` filled with `fill_value` (bool/int values keep their kind, as torch)."""
    default = {bool: np.bool_, int: np.int64}.get(type(fill_value))
    arr = np.full(_shape((size,)), fill_value, to_dtype(dtype, default))
    return _make("full", arr, requires_grad, device)


def _like(t: Any) -> np.ndarray:
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `t`."""
    arr = _like(t)
    return _make("zeros_like", np.zeros(arr.shape, to_dtype(dtype, arr.dtype)), requires_grad,
                 device)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `t`."""
    arr = _like(t)
    return _make("ones_like", np.ones(arr.shape, to_dtype(dtype, arr.dtype)), requires_grad,
                 device)


def empty_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Uninitialised (here: zero) tensor with the shape and dtype of `t`."""
    return zeros_like(t, dtype, requires_grad, device)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """`fill_value` everywhere, with the shape (and dtype, unless given) of `t`."""
    arr = _like(t)
    out = np.full(arr.shape, fill_value, to_dtype(dtype, arr.dtype))
    return _make("full_like", out, requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """Identity matrix (n, m or n)."""
    return _make("eye", np.eye(n, m, dtype=to_dtype(dtype)), requires_grad, device)


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Values start, start+step, ... below `end`; all-int arguments give int64 (as torch)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    ints = builtins.all(_is_int(v) for v in (start, end, step))
    arr = np.arange(start, end, step, dtype=to_dtype(dtype, np.int64 if ints else None))
    return _make("arange", arr, requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative; got {steps}")
    arr = np.linspace(start, end, int(steps)).astype(to_dtype(dtype))
    return _make("linspace", arr, requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """base ** linspace(start, end, steps)."""
    if steps < 0:
        raise ValueError(f"logspace: steps must be non-negative; got {steps}")
    arr = np.logspace(start, end, int(steps), base=base).astype(to_dtype(dtype))
    return _make("logspace", arr, requires_grad, device)


# ----- random -----


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform [0, 1) samples."""
    arr = get_generator(generator).random(_shape(size)).astype(to_dtype(dtype))
    return _make("rand", arr, requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          requires_grad: bool = False, device: Any = None) -> Tensor:
    """Standard normal samples."""
    arr = get_generator(generator).standard_normal(_shape(size)).astype(to_dtype(dtype))
    return _make("randn", arr, requires_grad, device)


def _float_like(t: Any, dtype: Any) -> np.dtype:
    arr = _like(t)
    return to_dtype(dtype, arr.dtype if arr.dtype.kind == "f" else None)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
              generator: Generator | None = None) -> Tensor:
    """Uniform [0, 1) samples with the shape (and float dtype) of `t`."""
    arr = get_generator(generator).random(_like(t).shape).astype(_float_like(t, dtype))
    return _make("rand_like", arr, requires_grad, device)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
               generator: Generator | None = None) -> Tensor:
    """Standard normal samples with the shape (and float dtype) of `t`."""
    arr = get_generator(generator).standard_normal(_like(t).shape).astype(_float_like(t, dtype))
    return _make("randn_like", arr, requires_grad, device)


def _randint(op: str, low: int, high: int, shape: tuple[int, ...], dtype: Any,
             generator: Generator | None, device: Any) -> Tensor:
    if high <= low:
        raise ValueError(f"{op}: high ({high}) must be greater than low ({low})")
    arr = get_generator(generator).integers(low, high, shape).astype(to_dtype(dtype, np.int64))
    return _make(op, arr, False, device)


def randint(*args: Any, size: Any = None, generator: Generator | None = None, dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers in [low, high): `randint(high, size)` or `randint(low, high, size)` (int64)."""
    if size is None:
        *bounds, size = args
    else:
        bounds = list(args)
    if len(bounds) not in (1, 2):
        raise TypeError("randint: expected (high, size) or (low, high, size)")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    return _randint("randint", int(low), int(high), _shape((size,)), dtype, generator, device)


def randint_like(t: Any, low: int = 0, high: int | None = None, dtype: Any = None,
                 device: Any = None, generator: Generator | None = None) -> Tensor:
    """Integers in [low, high) with the shape (and dtype) of `t`; `randint_like(t, high)` too."""
    if high is None:
        low, high = 0, low
    arr = _like(t)
    return _randint("randint_like", int(low), int(high), arr.shape, to_dtype(dtype, arr.dtype),
                    generator, device)


def randperm(n: int, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    arr = get_generator(generator).permutation(int(n)).astype(to_dtype(dtype, np.int64))
    return _make("randperm", arr, False, device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Normal samples; mean/std may be tensors (broadcast) or numbers with `size`."""
    m, s = _like(mean), _like(std)
    if (s < 0).any():
        raise ValueError("normal: std must be non-negative")
    shape = np.broadcast_shapes(m.shape, s.shape) if size is None else _shape((size,))
    floats = [a.dtype for a in (m, s) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
              and a.ndim]
    out = get_generator(generator).normal(m, s, shape)
    return _make("normal", out.astype(to_dtype(dtype, floats[0] if floats else None)), False,
                 device)


def bernoulli(p: Any, *, generator: Generator | None = None) -> Tensor:
    """0/1 samples with probability `p` per entry (same shape and dtype as p)."""
    probs = _like(p)
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    draw = get_generator(generator).random(probs.shape) < probs
    return Tensor(draw.astype(probs.dtype if probs.dtype.kind == "f" else get_default_dtype()))


def multinomial(probs: Any, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Indices drawn by the (unnormalised) weights in each row of `probs` (int64)."""
    w = np.asarray(_like(probs), dtype=np.float64)
    if w.ndim not in (1, 2):
        raise ShapeError(f"multinomial: probs must be 1-D or 2-D; got shape {w.shape}")
    rows = np.atleast_2d(w)
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: weights must be finite, non-negative, with a positive sum")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {int((rows > 0).sum(axis=1).min())} non-zero weights")
    rng = get_generator(generator)
    out = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum())
                    for r in rows]).astype(np.int64)
    return Tensor(out if w.ndim == 2 else out[0])
