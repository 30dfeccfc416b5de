"""Functions as models: `grad`, `value_and_grad`, `jacobian`, `hessian` over nests of arrays.

Each call turns the differentiated arguments into fresh Tensors, runs `f`, and asks the
engine for the gradients of exactly those Tensors. Inside another differential operator
(or when an argument is already being differentiated) the backward pass is recorded, so
`grad(grad(f))` and `hessian` work. A leaf comes back as the type it went in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

import numpy as np

from autograd import engine, mode, tree
from autograd.ops.elementwise import identity
from autograd.ops.shape import stack
from autograd.tensor import Tensor, get_default_dtype


class _Depth(threading.local):
    level = 0


_depth = _Depth()


def _argnums_tuple(argnums: int | Sequence[int]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _to_input(x: Any, where: str) -> tuple[Tensor, bool]:
    """A fresh Tensor to differentiate with respect to; True if `x` is itself being traced."""
    if isinstance(x, Tensor):
        if x.data.dtype.kind != "f":
            raise TypeError(f"can't differentiate with respect to {where}: dtype {x.dtype}")
        if x.requires_grad and mode.is_grad_enabled():
            return identity(x), True
        return Tensor(x.data, requires_grad=True), False
    arr = np.asarray(x)
    if arr.dtype.kind in "iub" and not isinstance(x, (np.ndarray, np.generic)):
        arr = arr.astype(get_default_dtype())
    if arr.dtype.kind != "f":
        raise TypeError(
            f"can't differentiate with respect to {where}: dtype {arr.dtype}; "
            "pass floating-point values"
        )
    return Tensor(arr, requires_grad=True), False


def _from_grad(g: Tensor | None, original: Any, t: Tensor, traced: bool) -> Any:
    """Give a gradient back as the type its input came in."""
    if g is None:
        g = Tensor(np.zeros_like(t.data))
    if isinstance(original, Tensor):
        return g if traced else Tensor(g.data)
    if traced:
        return g
    if isinstance(original, (int, float)):
        return float(g.data)
    return g.data


class _Prepared:
    """The differentiated arguments of one call, flattened to Tensors."""

    def __init__(self, args: tuple[Any, ...], argnums: tuple[int, ...]) -> None:
        for a in argnums:
            if not -len(args) <= a < len(args):
                raise ValueError(f"argnums {a} is out of range for {len(args)} positional args")
        self.argnums = argnums
        self.args = list(args)
        self.defs: list[Any] = []
        self.originals: list[list[Any]] = []
        self.inputs: list[list[Tensor]] = []
        self.traced = False
        for a in argnums:
            leaves, td = tree.flatten(args[a])
            made = [_to_input(x, f"argument {a}") for x in leaves]
            self.defs.append(td)
            self.originals.append(leaves)
            self.inputs.append([m[0] for m in made])
            self.traced |= any(m[1] for m in made)
            self.args[a] = tree.unflatten(td, [m[0] for m in made])

    @property
    def flat_inputs(self) -> list[Tensor]:
        return [t for group in self.inputs for t in group]

    def pack(self, grads: list[Tensor | None], nested: bool) -> Any:
        out, k = [], 0
        for td, originals, inputs in zip(self.defs, self.originals, self.inputs, strict=True):
            vals = []
            for orig, t in zip(originals, inputs, strict=True):
                vals.append(_from_grad(grads[k], orig, t, nested))
                k += 1
            out.append(tree.unflatten(td, vals))
        return out


def _call(f: Callable[..., Any], prep: _Prepared, kwargs: dict[str, Any]) -> Any:
    _depth.level += 1
    try:
        with mode.enable_grad():
            return f(*prep.args, **kwargs)
    finally:
        _depth.level -= 1


def _nested(prep: _Prepared) -> bool:
    return prep.traced or (_depth.level > 0 and mode.is_grad_enabled())


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return `g(*args) -> (f(*args), df/dargs)`; with `has_aux`, f returns (value, aux)."""
    nums = _argnums_tuple(argnums)

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prep = _Prepared(args, nums)
        nested = _nested(prep)
        result = _call(f, prep, kwargs)
        aux = None
        if has_aux:
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise TypeError("has_aux=True requires f to return a pair (value, aux)")
            result, aux = result
        out = result if isinstance(result, Tensor) else Tensor(np.asarray(result))
        if out.data.size != 1:
            raise TypeError(
                f"grad requires a scalar output; {getattr(f, '__name__', 'f')} returned shape "
                f"{out.shape}. Use jacobian for non-scalar outputs."
            )
        if out.requires_grad:
            grads = engine.backward(
                [out],
                [None],
                retain_graph=nested,
                create_graph=nested,
                inputs=prep.flat_inputs,
            )
        else:
            grads = [None] * len(prep.flat_inputs)
        packed = prep.pack(grads or [], nested)
        g = packed[0] if isinstance(argnums, int) else tuple(packed)
        value: Any = out
        if not nested:
            value = out.detach() if any(isinstance(a, Tensor) for a in args) else out.data
        return ((value, aux) if has_aux else value), g

    return wrapper


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return the gradient function of scalar-valued `f` (same nest as the arguments).

    >>> grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    vg = value_and_grad(f, argnums=argnums, has_aux=has_aux)

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return `J(*args)`: d f / d arg of shape `out.shape + arg.shape`, one VJP per output."""
    nums = _argnums_tuple(argnums)

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prep = _Prepared(args, nums)
        nested = _nested(prep)
        out = _call(f, prep, kwargs)
        out = out if isinstance(out, Tensor) else Tensor(np.asarray(out))
        inputs = prep.flat_inputs
        rows: list[list[Tensor | None]] = []
        for k in range(out.data.size):
            if not out.requires_grad:
                rows.append([None] * len(inputs))
                continue
            seed = np.zeros(out.data.size, dtype=out.data.dtype)
            seed[k] = 1
            rows.append(
                engine.backward(
                    [out],
                    [seed.reshape(out.shape)],
                    retain_graph=True,
                    create_graph=nested,
                    inputs=inputs,
                )
                or []
            )
        jacs: list[Tensor | None] = []
        for i, t in enumerate(inputs):
            cols = [r[i] if r[i] is not None else Tensor(np.zeros_like(t.data)) for r in rows]
            if nested:
                j = stack(cols, axis=0) if cols else Tensor(np.zeros((0,) + t.shape))
                jacs.append(j.reshape(out.shape + t.shape))
            else:
                data = np.stack([c.data for c in cols]) if cols else np.zeros((0,) + t.shape)
                jacs.append(Tensor(data.reshape(out.shape + t.shape)))
        packed = []
        k = 0
        for td, originals in zip(prep.defs, prep.originals, strict=True):
            vals = []
            for orig in originals:
                j = jacs[k]
                vals.append(j if nested or isinstance(orig, Tensor) else j.data)
                k += 1
            packed.append(tree.unflatten(td, vals))
        return packed[0] if isinstance(argnums, int) else tuple(packed)

    return wrapper


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return `H(*args)`: the Jacobian of the gradient, shape `arg.shape + arg.shape`."""
    return jacobian(grad(f, argnums=argnums), argnums=argnums)
