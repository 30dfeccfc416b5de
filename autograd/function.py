"""`ag.Function`: custom differentiable ops written the PyTorch way.

    class MyExp(ag.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    y = MyExp.apply(x)

Sugar over the registry: each subclass gets one (unregistered) `Primitive` named after the
class, so a call records a `Node` like any op (drawn by viz under the class name, checked by
`ag.gradcheck_graph`). Several outputs travel as one packed node whose pieces are views.
Saved inputs come back as the live input tensors in backward, so a backward written with
tensor ops can be differentiated again (`create_graph=True`).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from autograd import engine, mode
from autograd.registry import Primitive
from autograd.tensor import Tensor

_last = threading.local()  # the ctx of the forward that just ran in this thread


class FunctionCtx:
    """What `forward` leaves for `backward`: saved tensors, flags and any attributes."""

    needs_input_grad: tuple[bool, ...]

    def __init__(self) -> None:
        self._saved: tuple[Any, ...] = ()
        self._versions: tuple[int, ...] = ()
        self._nondiff: set[int] = set()
        self._wrappers: dict[int, int] = {}  # id(forward's input tensor) -> argument position
        self._live: tuple[Any, ...] | None = None  # backward's input tensors, by position
        self._cache: tuple[Any, Any] | None = None

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for backward; they must not be modified in place since."""
        self._saved = tensors
        self._versions = tuple(t._vbox[0] if isinstance(t, Tensor) else 0 for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        out = []
        for k, (t, v) in enumerate(zip(self._saved, self._versions, strict=True)):
            if isinstance(t, Tensor):
                if t._vbox[0] != v:
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: saved tensor {k} is at version "
                        f"{t._vbox[0]}; expected version {v}"
                    )
                pos = self._wrappers.get(id(t))
                if pos is not None and self._live is not None:
                    t = self._live[pos]
            out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """These outputs get no gradient (as integer outputs: indices, masks)."""
        self._nondiff.update(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for torch's API; gradients of unused outputs are always zeros here."""


def _forward(cls: type[Function]) -> Any:
    def forward(*arrays: np.ndarray, layout: tuple[Any, ...], needs: tuple[bool, ...]) -> Any:
        nargs, consts = layout
        ctx = FunctionCtx()
        ctx.needs_input_grad = needs
        args: list[Any] = [None] * nargs
        for pos, value in consts:
            args[pos] = value
        it = iter(arrays)
        for pos in range(nargs):
            if pos not in dict(consts):
                t = Tensor(next(it))
                ctx._wrappers[id(t)] = pos
                args[pos] = t
        with mode.no_grad():
            res = cls.forward(ctx, *args)
        single = not isinstance(res, tuple)
        outs = (res,) if single else res
        outs = tuple(o if isinstance(o, Tensor) else Tensor(np.asarray(o)) for o in outs)
        diff = [k for k, o in enumerate(outs) if id(o) not in ctx._nondiff and o.dtype.kind == "f"]
        ctx._layout = (single, outs, diff)  # type: ignore[attr-defined]
        _last.ctx = ctx
        if single and diff:
            return outs[0].data, ctx
        dt = np.result_type(*(outs[k].dtype for k in diff)) if diff else np.float32
        packed = np.concatenate([outs[k].data.astype(dt).ravel() for k in diff] or [np.zeros(0)])
        return packed, ctx

    return forward


def _vjp(cls: type[Function]) -> Any:
    def vjp(i: int, g: Any, ans: Any, *inputs: Any, aux: FunctionCtx, layout: Any,
            needs: Any) -> Any:
        ctx = aux
        if ctx._cache is None or ctx._cache[0] is not g:
            single, outs, diff = ctx._layout  # type: ignore[attr-defined]
            grads: list[Any] = [Tensor(np.zeros(o.shape, o.dtype)) for o in outs]
            if single:
                grads[0] = g
            else:
                off = 0
                for k in diff:
                    n = outs[k].data.size
                    grads[k] = g[off:off + n].reshape(outs[k].shape)
                    off += n
            nargs, consts = layout
            tensor_pos = [p for p in range(nargs) if p not in dict(consts)]
            live: list[Any] = [None] * nargs
            for p, t in zip(tensor_pos, inputs, strict=True):
                live[p] = t
            ctx._live = tuple(live)
            res = cls.backward(ctx, *grads)
            res = res if isinstance(res, tuple) else (res,)
            if len(res) != nargs:
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an incorrect number of gradients "
                    f"(expected {nargs}, got {len(res)})"
                )
            ctx._cache = (g, [res[p] for p in tensor_pos])
        gi = ctx._cache[1][i]
        return Tensor(np.zeros(inputs[i].shape, inputs[i].dtype)) if gi is None else gi

    return vjp


class Function:
    """Base class of custom ops: define `forward(ctx, *args)` and `backward(ctx, *grads)`."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    @classmethod
    def _primitive(cls) -> Primitive:
        prim = cls.__dict__.get("_prim")
        if prim is None:
            prim = Primitive(
                cls.__name__, _forward(cls), saves=("inputs",), has_aux=True, register=False
            )
            prim.defvjp_argnum(_vjp(cls))
            engine.TORCH_NAMES.setdefault(cls.__name__, f"{cls.__name__}Backward")
            cls._prim = prim  # type: ignore[attr-defined]
        return prim

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward and record one node whose VJPs call `backward` (once per gradient)."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        consts = tuple((p, a) for p, a in enumerate(args) if not isinstance(a, Tensor))
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        params = {"layout": (len(args), consts), "needs": needs}
        packed = engine.apply(cls._primitive(), tensors, params)
        ctx = _last.ctx
        single, outs, diff = ctx._layout  # type: ignore[attr-defined]
        if single:
            return packed if diff else outs[0]
        result: list[Any] = list(outs)
        off = 0
        for k in diff:
            n = outs[k].data.size
            piece = packed[off:off + n].reshape(outs[k].shape)
            result[k] = piece if piece.dtype == outs[k].dtype else piece.astype(outs[k].dtype)
            off += n
        return tuple(result)
