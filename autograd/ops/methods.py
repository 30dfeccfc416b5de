"""Tensor operators and methods, each a thin call to a primitive (as HIPS numpy_boxes.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import engine
from autograd.ops import elementwise as ew
from autograd.ops import linalg, reduce, shape, softmax
from autograd.registry import Primitive
from autograd.tensor import Tensor


def _flip(fn: Primitive) -> Any:
    """The reflected operator (`2 * x` calls `x.__rmul__(2)`): `fn(other, self)`."""

    def method(self: Tensor, other: Any) -> Tensor:
        return engine.apply(fn, (other, self), {})

    return method


def _reshape(self: Tensor, *shape_args: Any) -> Tensor:
    """reshape(2, 3) or reshape((2, 3)), like NumPy and PyTorch."""
    target = shape_args[0] if len(shape_args) == 1 else shape_args
    return shape.reshape(self, shape=shape._shape_tuple(target))


def _transpose(self: Tensor, *axes: Any) -> Tensor:
    """transpose() reverses axes; transpose(1, 0, 2) or transpose((1, 0, 2)) permutes."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return shape.transpose(self, axes=tuple(axes) if axes else None)


def _getitem(self: Tensor, index: Any) -> Tensor:
    return shape.getitem(self, index=shape.normalize_index(index))


def _reduction(fn: Any) -> Any:
    def method(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        return fn(self, axis=axis, keepdims=keepdims)

    method.__name__ = getattr(fn, "name", getattr(fn, "__name__", "reduce"))
    return method


_METHODS: dict[str, Any] = {
    "__add__": ew.add,
    "__radd__": _flip(ew.add),
    "__sub__": ew.subtract,
    "__rsub__": _flip(ew.subtract),
    "__mul__": ew.multiply,
    "__rmul__": _flip(ew.multiply),
    "__truediv__": ew.divide,
    "__rtruediv__": _flip(ew.divide),
    "__pow__": ew.power,
    "__rpow__": _flip(ew.power),
    "__matmul__": linalg.matmul,
    "__rmatmul__": _flip(linalg.matmul),
    "__neg__": ew.negative,
    "__pos__": lambda self: self,
    "__abs__": ew.absolute,
    "__lt__": ew.less,
    "__le__": ew.less_equal,
    "__gt__": ew.greater,
    "__ge__": ew.greater_equal,
    "__eq__": ew.equal,
    "__ne__": ew.not_equal,
    "__invert__": ew.logical_not,
    "__and__": ew.logical_and,
    "__or__": ew.logical_or,
    "__getitem__": _getitem,
    "abs": ew.absolute,
    "sign": ew.sign,
    "exp": ew.exp,
    "log": ew.log,
    "log1p": ew.log1p,
    "sqrt": ew.sqrt,
    "sin": ew.sin,
    "cos": ew.cos,
    "tanh": ew.tanh,
    "sigmoid": ew.sigmoid,
    "relu": ew.relu,
    "softplus": ew.softplus,
    "clip": lambda self, a_min=None, a_max=None: ew.clip(self, a_min=a_min, a_max=a_max),
    "astype": lambda self, dtype: ew.astype(self, dtype=np.dtype(dtype)),
    "sum": _reduction(reduce.sum),
    "max": _reduction(reduce.max),
    "min": _reduction(reduce.min),
    "prod": _reduction(reduce.prod),
    "logsumexp": _reduction(reduce.logsumexp),
    "norm": lambda self, *args, **kwargs: _lnorm.tensor_norm(self, *args, **kwargs),
    "any": _reduction(reduce.any_),
    "all": _reduction(reduce.all_),
    "argmax": lambda self, axis=None, keepdims=False: reduce.argmax(
        self, axis=axis, keepdims=keepdims
    ),
    "argmin": lambda self, axis=None, keepdims=False: reduce.argmin(
        self, axis=axis, keepdims=keepdims
    ),
    "mean": reduce.mean,
    "var": reduce.var,
    "std": reduce.std,
    "softmax": lambda self, axis=-1: softmax.softmax(self, axis=axis),
    "log_softmax": lambda self, axis=-1: softmax.log_softmax(self, axis=axis),
    "reshape": _reshape,
    "view": _reshape,
    "transpose": _transpose,
    "flatten": shape.flatten,
    "squeeze": shape.squeeze,
    "expand_dims": shape.expand_dims,
    "unsqueeze": shape.expand_dims,
    "broadcast_to": lambda self, shape_: shape.broadcast_to(self, shape=tuple(shape_)),
    "matmul": linalg.matmul,
    "dot": linalg.matmul,
    "maximum": ew.maximum,
    "minimum": ew.minimum,
}

from autograd.ops import activation as _act  # noqa: E402 - activations as Tensor methods

_METHODS.update({
    "erf": _act.erf,
    "erfc": _act.erfc,
    "erfinv": _act.erfinv,
    "hardshrink": _act.hardshrink,
    "prelu": _act.prelu,
})

from autograd.ops import linalg_decomp as _dec  # noqa: E402 - linear algebra as Tensor methods
from autograd.ops import linalg_norm as _lnorm  # noqa: E402

_METHODS.update({
    "mm": linalg.mm,
    "mv": linalg.mv,
    "bmm": linalg.bmm,
    "outer": linalg.outer,
    "ger": linalg.outer,
    "addmm": linalg.addmm,
    "det": _dec.det,
    "logdet": _dec.logdet,
    "slogdet": _dec.slogdet,
    "inverse": _dec.inv,
})

def _as_method(fn: Any) -> Any:
    if isinstance(fn, Primitive):  # a Primitive is no descriptor: give it a function to bind
        nin = fn.nin if fn.nin is not None else 0

        def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
            if kwargs or len(args) >= nin:  # keywords or NumPy-style parameters to sort out
                return fn(self, *args, **kwargs)
            return engine.apply(fn, (self, *args), {})  # only arrays: straight to the engine

        method.__name__ = fn.name
        return method
    return fn


for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _as_method(_fn))

from autograd.ops import torch_methods  # noqa: E402, F401 - torch-signature methods override
