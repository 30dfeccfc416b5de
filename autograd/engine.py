"""The op-agnostic engine: `apply` runs a primitive and records a Node; `backward` (in
autograd/backprop.py) runs the VJPs in reverse.

Every recorded op becomes a `Node` (autograd/node.py) holding its primitive, its input Tensors,
its parameters and the versions of what it saved. This module owns the forward half: PyTorch's
type promotion of the operands and the recording itself; it re-exports the graph's public names
so `from autograd.engine import apply, backward, Node` keeps working.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import error_record, mode, scope
from autograd.backprop import _accumulate_leaf, backward, backward_observers
from autograd.errors import DTypeError, ShapeError, describe
from autograd.node import TORCH_NAMES, AccumulateGrad, Node, torch_backward_name
from autograd.tensor import Tensor, as_array_like, get_default_dtype

if TYPE_CHECKING:
    from autograd.registry import Primitive

# The thread-local switches, read directly: `apply` runs once per op.
_mode = mode._state
_scope = scope._scope

__all__ = [
    "TORCH_NAMES",
    "AccumulateGrad",
    "Node",
    "_accumulate_leaf",
    "apply",
    "backward",
    "backward_observers",
    "torch_backward_name",
]


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _scalar_dtype(a: Any) -> np.dtype | None:
    """PyTorch's dtype for a Python scalar on its own; None for anything else."""
    if isinstance(a, bool):
        return np.dtype(np.bool_)
    if isinstance(a, int):
        return np.dtype(np.int64)
    if isinstance(a, float):
        return get_default_dtype()
    if isinstance(a, complex):
        return np.dtype(np.complex64 if get_default_dtype() == np.float32 else np.complex128)
    return None


def _result_dtype(args: Sequence[Any]) -> np.dtype | None:
    """torch.result_type: dimensioned tensors > zero-dim tensors > Python scalars, a weaker
    group deciding only when its category (bool < int < float < complex) is higher."""
    dims = zeros = scalars = None
    for a in args:
        data = a.data if isinstance(a, Tensor) else a
        if isinstance(data, np.ndarray):
            if data.ndim:
                dims = data.dtype if dims is None else np.promote_types(dims, data.dtype)
            else:
                zeros = data.dtype if zeros is None else np.promote_types(zeros, data.dtype)
        elif a is not None:
            d = _scalar_dtype(a)
            if d is None:
                return None  # lists and other array-likes: NumPy's rules
            if scalars is None or _CATEGORY[d.kind] > _CATEGORY[scalars.kind]:
                scalars = d
    result = dims
    for weaker in (zeros, scalars):
        if weaker is not None and (
            result is None or _CATEGORY[weaker.kind] > _CATEGORY[result.kind]
        ):
            result = weaker
    return result


def _promote_pair(a: Any, b: Any) -> tuple[tuple[Tensor, Tensor], list[Any]] | None:
    """The binary cases that need no dtype search: two Tensors, or a floating Tensor with a
    Python float or int (which takes the tensor's dtype); None for everything else."""
    if isinstance(a, Tensor):
        x = a.data
        if isinstance(b, Tensor):
            y = b.data
            if x.dtype != y.dtype and x.dtype.kind == y.dtype.kind == "f" and (
                (x.ndim == 0) != (y.ndim == 0)
            ):  # a 0-d float tensor takes the dimensioned one's dtype
                if x.ndim == 0:
                    x = x.astype(y.dtype)
                else:
                    y = y.astype(x.dtype)
            return (a, b), [x, y]
        kind = type(b)
        if (kind is float or kind is int) and x.dtype.kind == "f":
            y = np.array(b, dtype=x.dtype)
            return (a, Tensor._from_op(y, ())), [x, y]
    elif isinstance(b, Tensor):
        kind = type(a)
        y = b.data
        if (kind is float or kind is int) and y.dtype.kind == "f":
            x = np.array(a, dtype=y.dtype)
            return (Tensor._from_op(x, ()), b), [x, y]
    return None


def _promote(args: Sequence[Any]) -> tuple[tuple[Tensor | None, ...], list[Any]]:
    """Wrap every argument as a Tensor and apply PyTorch's promotion to scalars and 0-d tensors.

    Python scalars take the result dtype (`int_tensor * 1.5` is float32, `x32 * 2.0` stays
    float32) and so do operands of a lower category than it; a zero-dim float tensor does not
    promote a dimensioned float tensor (`x32 * ag.tensor(2.0, dtype=float64)` is float32).
    """
    if len(args) == 2:
        fast = _promote_pair(args[0], args[1])
        if fast is not None:
            return fast
    arrays: list[Any] = []
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a.data)
        elif a is None:
            arrays.append(None)
        else:
            break
    else:  # only Tensors (and None)
        return tuple(args), arrays
    result = _result_dtype(args)
    ref_dtype = None
    if result is None:
        for a in args:
            if isinstance(a, Tensor) and a.data.dtype.kind == "f":
                ref_dtype = a.data.dtype  # a floating Tensor operand decides
                break
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and ref_dtype is None:
                ref_dtype = a.dtype
    tensors: list[Tensor | None] = []
    arrays = []
    for a in args:
        if a is not None and not isinstance(a, Tensor):
            if result is not None and not isinstance(a, np.ndarray):
                a = Tensor(np.array(a, dtype=result))
            else:
                a = Tensor(as_array_like(a, ref_dtype))
        tensors.append(a)
        data = None if a is None else a.data
        if (
            result is not None
            and data is not None
            and data.dtype != result
            and _CATEGORY.get(data.dtype.kind, 9) < _CATEGORY[result.kind]
        ):
            data = data.astype(result)  # `int_tensor * 1.5`: the int operand is float32 too
        arrays.append(data)
    return tuple(tensors), arrays


def _raise_forward_error(prim: Primitive, arrays: list[Any], exc: Exception) -> None:
    operands = ", ".join(describe(a) for a in arrays)
    text = str(exc)
    prefix = "" if text.startswith(prim.name) else f"{prim.name}: "
    msg = f"{prefix}{text} (operands: {operands})"
    if isinstance(exc, ValueError):
        raise ShapeError(msg) from exc
    if isinstance(exc, TypeError):
        raise DTypeError(msg) from exc
    if isinstance(exc, IndexError):
        raise IndexError(msg) from exc
    raise exc


def apply(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Tensor:
    """Run `prim` on the arguments' data and, when grad mode asks for it, record a Node."""
    obs = _scope.observers
    if obs:
        start = time.perf_counter()
    tensors, arrays = _promote(args)
    try:
        if prim.check is not None:
            prim.check(*arrays, **params)
        try:
            out = prim.forward(*arrays, **params)
        except (ValueError, TypeError, IndexError) as exc:
            if isinstance(exc, (ShapeError, DTypeError)):
                raise
            _raise_forward_error(prim, arrays, exc)
    except Exception as exc:
        if error_record.active:  # `ag.record_on_error()`: keep the graph up to this op
            error_record.op_failed(prim, tensors, params, exc)
        raise
    aux = None
    if prim.has_aux:
        out, aux = out
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)
    result = Tensor._from_op(out, tensors, prim, params)
    needs = False
    if prim.differentiable and _mode.grad_enabled:
        for t in tensors:
            if t is not None and t.requires_grad:
                needs = True
                break
    if needs or obs:
        node = Node(prim, tensors, params, aux, result)
        if _mode.anomaly:
            node.stack = traceback.format_stack(limit=12)[:-2]
        if needs:
            result.grad_fn = node
            result.requires_grad = True
        if obs:
            node.meta = {"forward_time": time.perf_counter() - start}
            for ob in obs:
                ob(node, result)
    return result
