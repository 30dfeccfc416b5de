"""Tensor methods and operators for the math, reduction, cumulative and sorting ops.

Imported after `methods.py`, so these entries are the ones a Tensor has (PyTorch's
signatures: `x.sum(1, True)`, `x.max(dim=0)`, `x.sort(descending=True)`, `t & 0x1337`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops import cumulative as cu
from autograd.ops import elementwise as ew
from autograd.ops import mathfuncs as mf
from autograd.ops import reduce as rd
from autograd.ops import softmax as sm
from autograd.ops import sorting as so
from autograd.ops.methods import _as_method
from autograd.tensor import Tensor


def _same_kind_scalar(self: Tensor, other: Any) -> Any:
    """A Python int (or bool) beside an integer (or bool) tensor takes the tensor's dtype."""
    kind = self.data.dtype.kind
    if (kind in "iu" and type(other) is int) or (kind == "b" and type(other) is bool):
        return np.asarray(other, dtype=self.data.dtype)
    return other


def _bitwise(prim: Any, reflected: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        other = _same_kind_scalar(self, other)
        return prim(other, self) if reflected else prim(self, other)

    method.__name__ = prim.name
    return method


def _flip(prim: Any) -> Any:
    return lambda self, other: prim(other, self)


MATH_METHODS: dict[str, Any] = {
    # elementwise math
    "rsqrt": mf.rsqrt, "log2": mf.log2, "log10": mf.log10, "expm1": mf.expm1,
    "exp2": mf.exp2, "tan": mf.tan, "asin": mf.asin, "acos": mf.acos, "atan": mf.atan,
    "arcsin": mf.asin, "arccos": mf.acos, "arctan": mf.atan, "atan2": mf.atan2,
    "arctan2": mf.atan2, "sinh": mf.sinh, "cosh": mf.cosh, "asinh": mf.asinh,
    "acosh": mf.acosh, "atanh": mf.atanh, "arcsinh": mf.asinh, "arccosh": mf.acosh,
    "arctanh": mf.atanh, "reciprocal": mf.reciprocal, "square": mf.square, "sign": ew.sign,
    "frac": mf.frac, "floor": mf.floor, "ceil": mf.ceil, "round": mf.round, "trunc": mf.trunc,
    "fix": mf.trunc, "fmod": mf.fmod, "remainder": mf.remainder,
    "floor_divide": mf.floor_divide, "lerp": mf.lerp, "logaddexp": mf.logaddexp,
    "hypot": mf.hypot, "copysign": mf.copysign, "isnan": ew.isnan, "isinf": mf.isinf,
    "isposinf": mf.isposinf, "isneginf": mf.isneginf, "isfinite": ew.isfinite,
    "isclose": mf.isclose, "allclose": mf.allclose, "nan_to_num": mf.nan_to_num,
    "__mod__": mf.remainder, "__rmod__": _flip(mf.remainder),
    "__floordiv__": mf.floor_divide, "__rfloordiv__": _flip(mf.floor_divide),
    # bitwise on integers, logical on bools
    "__and__": _bitwise(mf.bitwise_and), "__rand__": _bitwise(mf.bitwise_and, True),
    "__or__": _bitwise(mf.bitwise_or), "__ror__": _bitwise(mf.bitwise_or, True),
    "__xor__": _bitwise(mf.bitwise_xor), "__rxor__": _bitwise(mf.bitwise_xor, True),
    "__lshift__": _bitwise(mf.bitwise_left_shift),
    "__rlshift__": _bitwise(mf.bitwise_left_shift, True),
    "__rshift__": _bitwise(mf.bitwise_right_shift),
    "__rrshift__": _bitwise(mf.bitwise_right_shift, True),
    "__invert__": mf.bitwise_not,
    "bitwise_and": _bitwise(mf.bitwise_and), "bitwise_or": _bitwise(mf.bitwise_or),
    "bitwise_xor": _bitwise(mf.bitwise_xor), "bitwise_not": mf.bitwise_not,
    "bitwise_left_shift": _bitwise(mf.bitwise_left_shift),
    "bitwise_right_shift": _bitwise(mf.bitwise_right_shift),
    "logical_and": ew.logical_and, "logical_or": ew.logical_or,
    "logical_xor": mf.logical_xor, "logical_not": ew.logical_not,
    # reductions
    "sum": rd.sum, "nansum": rd.nansum, "mean": rd.mean, "nanmean": rd.nanmean,
    "prod": rd.prod, "max": rd.max, "min": rd.min, "amax": rd.amax, "amin": rd.amin,
    "aminmax": rd.aminmax, "argmax": rd.argmax, "argmin": rd.argmin, "var": rd.var,
    "std": rd.std, "logsumexp": rd.logsumexp, "any": rd.any_, "all": rd.all_,
    "count_nonzero": rd.count_nonzero,
    "softmax": sm.softmax, "log_softmax": sm.log_softmax,
    # cumulative
    "cumsum": cu.cumsum, "cumprod": cu.cumprod, "cummax": cu.cummax, "cummin": cu.cummin,
    "logcumsumexp": cu.logcumsumexp, "diff": cu.diff,
    # sorting and selection
    "sort": so.sort, "argsort": so.argsort, "topk": so.topk, "kthvalue": so.kthvalue,
    "median": so.median, "mode": so.mode, "msort": so.msort,
}

for _name, _fn in MATH_METHODS.items():
    setattr(Tensor, _name, _as_method(_fn))
