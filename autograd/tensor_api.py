"""PyTorch's Tensor methods beside NumPy's: dtype/device casts, `size()`, `new_*`, arithmetic
methods with torch's keywords (`alpha=`, `rounding_mode=`), `clone`, comparisons by name."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops import elementwise as ew
from autograd.registry import primitive
from autograd.tensor import Tensor


@primitive("divide_rounded", saves=())
def divide_rounded(x: np.ndarray, y: np.ndarray, *, rounding_mode: str) -> np.ndarray:
    """x / y rounded toward zero ("trunc") or down ("floor"); its gradient is zero (torch)."""
    q = np.true_divide(x, y)
    rounded = np.trunc(q) if rounding_mode == "trunc" else np.floor(q)
    if q.dtype.kind == "f" and np.result_type(x, y).kind in "iub":
        return rounded.astype(np.result_type(x, y))
    return rounded.astype(q.dtype, copy=False)


def _zero_vjp(g: Any, ans: Any, x: Any, y: Any, rounding_mode: str) -> Any:
    return g * 0.0


divide_rounded.defvjp(_zero_vjp, _zero_vjp)


def div(self: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """`self / other`; `rounding_mode` "trunc" or "floor" rounds the quotient as torch.div."""
    if rounding_mode is None:
        return ew.divide(self, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    return divide_rounded(self, other, rounding_mode=rounding_mode)


@primitive("clone", saves=())
def clone(x: np.ndarray) -> np.ndarray:
    """A copy of `x` (a new buffer); the gradient passes through unchanged."""
    return np.array(x, copy=True)


clone.defvjp(lambda g, ans, x: g)


class Size(int):
    """`x.size`: NumPy's element count (an int) that can also be called as torch's `size()`.

    `x.size == 6`, `x.size() == (2, 3)`, `x.size(1) == 3`, `x.size(-1) == 3`.
    """

    _shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Size:
        obj = super().__new__(cls, int(np.prod(shape, dtype=np.int64)))
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self._shape
        n = len(self._shape)
        if not -n <= dim < max(n, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
                f"{dim})"
            )
        return self._shape[dim] if n else 1


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """`to(dtype)`, `to("cpu")`, `to(device)`, `to(other)`, `to(dtype=..., device=...)`."""
    from autograd import dtypes

    target = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument {next(iter(kwargs))!r}")
    for a in args:
        if isinstance(a, Tensor):
            target = a.dtype
        elif isinstance(a, (str, dtypes.device)):
            dev = a
        else:
            target = a
    if dev is not None:
        dtypes.device(dev)
    if target is None:
        return self
    return _cast(self, dtypes.as_dtype(target))


def _cast(self: Tensor, dt: np.dtype) -> Tensor:
    if dt == self.dtype:
        return self
    if dt.kind != "f":  # casts to int/bool carry no gradient
        return Tensor(self.data.astype(dt))
    return ew.astype(self, dtype=dt)


def _new(fill: Any) -> Any:
    def method(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
        from autograd import dtypes

        if device is not None:
            dtypes.device(device)
        shape_ = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        dt = self.dtype if dtype is None else dtypes.as_dtype(dtype)
        return Tensor(fill(tuple(int(s) for s in shape_), dt), requires_grad=requires_grad)

    return method


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    return _new(lambda s, dt: np.full(s, fill_value, dt))(
        self, tuple(size), dtype=dtype, requires_grad=requires_grad, device=device
    )


def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, requires_grad: bool = False,
                device: Any = None) -> Tensor:
    from autograd import dtypes

    if device is not None:
        dtypes.device(device)
    arr = np.array(data.data if isinstance(data, Tensor) else data,
                   dtype=self.dtype if dtype is None else dtypes.as_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def _add(self: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    return ew.add(self, other if alpha == 1 else other * alpha)


def _sub(self: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    return ew.subtract(self, other if alpha == 1 else other * alpha)


def _contiguous(self: Tensor) -> Tensor:
    return self if self.data.flags.c_contiguous else clone(self)


TENSOR_METHODS: dict[str, Any] = {
    "to": _to,
    "double": lambda self: _cast(self, np.dtype(np.float64)),
    "float": lambda self: _cast(self, np.dtype(np.float32)),
    "half": lambda self: _to(self, np.float16),
    "long": lambda self: _cast(self, np.dtype(np.int64)),
    "int": lambda self: _cast(self, np.dtype(np.int32)),
    "bool": lambda self: _cast(self, np.dtype(np.bool_)),
    "cpu": lambda self: self,
    "type_as": lambda self, other: _cast(self, other.dtype),
    "eq": lambda self, other: ew.equal(self, other),
    "ne": lambda self, other: ew.not_equal(self, other),
    "lt": lambda self, other: ew.less(self, other),
    "le": lambda self, other: ew.less_equal(self, other),
    "gt": lambda self, other: ew.greater(self, other),
    "ge": lambda self, other: ew.greater_equal(self, other),
    "pow": lambda self, exponent: ew.power(self, exponent),
    "add": _add,
    "sub": _sub,
    "mul": lambda self, other: ew.multiply(self, other),
    "div": div,
    "clone": lambda self: clone(self),
    "contiguous": _contiguous,
    "new_zeros": _new(np.zeros),
    "new_ones": _new(np.ones),
    "new_empty": _new(np.empty),
    "new_full": _new_full,
    "new_tensor": _new_tensor,
    "numel": lambda self: int(self.data.size),
    "dim": lambda self: self.data.ndim,
    "element_size": lambda self: self.data.itemsize,
    "is_floating_point": lambda self: self.data.dtype.kind == "f",
    "size": property(lambda self: Size(self.data.shape)),
    "device": property(lambda self: _cpu()),
    "is_cuda": property(lambda self: False),
}


def _cpu() -> Any:
    from autograd import dtypes

    return dtypes.CPU


for _name, _fn in TENSOR_METHODS.items():
    setattr(Tensor, _name, _fn)
