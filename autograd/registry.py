"""Primitives: one forward on ndarrays and one VJP per input, declared side by side.

The engine knows nothing about any op; it only calls `Primitive.forward` and the VJPs
registered here. A VJP receives Tensors `(g, ans, *inputs, **params)` and returns a Tensor
(or array) for its input; because VJPs are written with primitives, the backward pass can
itself be recorded (`create_graph=True`) and differentiated again. A VJP wrapped in
`unrecorded` gets the ndarrays instead when nothing is recorded (the usual backward).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode
from autograd.aliases import alias_map, resolve

VJP = Callable[..., Any]

REGISTRY: dict[str, Primitive] = {}


class Primitive:
    """A named forward function plus its vector-Jacobian products, one per positional input.

    `saves` lists what the VJPs read back ("inputs", "output"): the engine checks that those
    tensors were not modified in place between forward and backward. `has_aux` forwards
    return `(out, aux)`; `aux` (e.g. argmax indices) is kept on the node and handed to the
    VJPs as the keyword `aux`. A VJP of `None` means "zero / not differentiable". `into`,
    when registered (`definto`), computes exactly what `forward` computes into a given
    array, `into(out, *arrays, **params)` (`out` the pair (output, aux) for `has_aux`):
    ag.compile's replays use it to reuse one buffer.
    """

    __slots__ = (
        "name",
        "forward",
        "vjps",
        "vjp_any",
        "into",
        "vjp_intos",
        "bind",
        "vjp_binds",
        "check",
        "saves",
        "has_aux",
        "differentiable",
        "nin",
        "param_names",
        "_param_set",
        "_aliases",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        *,
        check: Callable[..., None] | None = None,
        saves: tuple[str, ...] = ("inputs", "output"),
        has_aux: bool = False,
        differentiable: bool = True,
        register: bool = True,
    ) -> None:
        if register and name in REGISTRY:
            raise ValueError(f"primitive {name!r} is already registered")
        self.name = name
        self.forward = forward
        self.vjps: tuple[VJP | None, ...] | None = None
        self.vjp_any: VJP | None = None
        self.into: Callable[..., None] | None = None
        self.vjp_intos: tuple[Callable[..., None] | None, ...] = ()
        self.bind: Callable[..., Callable[[], None] | None] | None = None
        self.vjp_binds: tuple[Callable[..., Callable[[], None] | None] | None, ...] = ()
        self.check = check
        self.saves = saves
        self.has_aux = has_aux
        self.differentiable = differentiable
        # NumPy-style calls: positional arguments past the array inputs fill the keyword-only
        # parameters in order, so `sum(x, 0)` and `reshape(x, (2, 3))` work like NumPy.
        kinds = inspect.signature(forward).parameters.values()
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        variadic = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in kinds)
        self.nin = None if variadic else sum(p.kind in positional for p in kinds)
        self.param_names = tuple(p.name for p in kinds if p.kind is inspect.Parameter.KEYWORD_ONLY)
        var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in kinds)
        # Keywords the forward accepts (None: any, it takes **kwargs) and PyTorch aliases,
        # both worked out once here so a call only checks membership.
        self._param_set = None if var_kw else frozenset(p.name for p in kinds)
        self._aliases = alias_map(p.name for p in kinds)
        if register:  # user-defined ops (`ag.Function`) stay out of the op table
            REGISTRY[name] = self

    def defvjp(self, *vjps: VJP | None) -> Primitive:
        """Register one VJP per positional input: `vjp(g, ans, *inputs, **params) -> grad`."""
        self.vjps = vjps
        return self

    def defvjp_argnum(self, vjp: VJP) -> Primitive:
        """Register one VJP for variadic ops: `vjp(i, g, ans, *inputs, **params)`."""
        self.vjp_any = vjp
        return self

    def definto(self, into: Callable[..., None]) -> Primitive:
        """Register `into(out, *arrays, **params)`: the forward written into `out`, bit for bit."""
        self.into = into
        return self

    def defvjp_into(self, *intos: Callable[..., None] | None) -> Primitive:
        """Register per input `into(out, g, ans, *arrays, **params)`: that VJP on ndarrays
        written into `out` (the input's shape and dtype), bit for bit; None where there is none."""
        self.vjp_intos = intos
        return self

    def defbind(self, bind: Callable[..., Callable[[], None] | None]) -> Primitive:
        """Register `bind(out, *arrays, **params)`: the `into` variant as a call with its checks
        and dispatch done once, for arrays that stay the same objects across calls (ag.compile's
        buffers and parameters); it returns None where it has no such shortcut."""
        self.bind = bind
        return self

    def defvjp_bind(self, *binds: Callable[..., Callable[[], None] | None] | None) -> Primitive:
        """Register per input `bind(out, g, ans, *arrays, **params)`: that VJP's `into` variant
        bound once, as `defbind` does for the forward; None where there is none."""
        self.vjp_binds = binds
        return self

    def vjp_for(self, i: int) -> VJP | None:
        """The VJP of input `i`, or raise naming the op when none was defined."""
        if self.vjp_any is not None:
            vjp_any = self.vjp_any
            return lambda *a, **k: vjp_any(i, *a, **k)
        if self.vjps is None or i >= len(self.vjps):
            raise NotImplementedError(
                f"VJP of {self.name} with respect to input {i} is not defined"
            )
        return self.vjps[i]

    def __call__(self, *args: Any, **params: Any) -> Any:
        if params and self._param_set is not None and not self._param_set.issuperset(params):
            self._fix_keywords(params)
        if self.nin is not None and len(args) > self.nin:
            extra = args[self.nin :]
            if len(extra) > len(self.param_names):
                raise TypeError(
                    f"{self.name}() takes {self.nin} array argument(s) and the parameters "
                    f"{self.param_names}; got {len(args)} positional arguments"
                )
            for key, value in zip(self.param_names, extra, strict=False):
                if key in params:
                    raise TypeError(f"{self.name}() got multiple values for argument {key!r}")
                params[key] = value
            args = args[: self.nin]
        return apply(self, args, params)

    def _fix_keywords(self, params: dict[str, Any]) -> None:
        """Rename PyTorch-spelled keywords; an unknown keyword raises TypeError naming the op."""
        resolve(self.name, params, self._aliases)
        unknown = [k for k in params if k not in self._param_set]  # type: ignore[operator]
        if unknown:
            raise TypeError(
                f"{self.name}() got an unexpected keyword argument {unknown[0]!r} "
                f"(it takes {', '.join(self.param_names) or 'no keywords'})"
            )

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def primitive(
    name: str,
    *,
    check: Callable[..., None] | None = None,
    saves: tuple[str, ...] = ("inputs", "output"),
    has_aux: bool = False,
    differentiable: bool = True,
) -> Callable[[Callable[..., Any]], Primitive]:
    """Decorator: turn `forward(*arrays, **params) -> ndarray` into a registered Primitive."""

    def wrap(forward: Callable[..., Any]) -> Primitive:
        return Primitive(
            name,
            forward,
            check=check,
            saves=saves,
            has_aux=has_aux,
            differentiable=differentiable,
        )

    return wrap


# Who needs every VJP's ops seen by `apply` (ag.compile's tracer, to inline and fuse them):
# while it is not empty, `unrecorded` VJPs run on Tensors as when recorded.
tensor_vjps: list[object] = []


def unrecorded(vjp: Callable[..., Any]) -> Callable[..., Any]:
    """A VJP written with operators only (`g * ans`), run on the ndarrays when backward records
    nothing (no create_graph): no primitive call and no Tensor per intermediate. Recorded, the
    same formula runs on Tensors and can be differentiated again."""

    def run(g: Any, ans: Any, *inputs: Any, **params: Any) -> Any:
        if mode.is_grad_enabled() or tensor_vjps:
            return vjp(g, ans, *inputs, **params)
        return vjp(_raw(g), _raw(ans), *(_raw(t) for t in inputs), **params)

    return run


def call(prim: Primitive, *args: Any, **params: Any) -> Any:
    """`prim` inside an `unrecorded` VJP: recorded when an argument is a Tensor, its bare
    forward on ndarrays and NumPy scalars (no Tensor, no check: the forward was checked)."""
    for a in args:
        if a is not None and not isinstance(a, (np.ndarray, np.generic)):
            return prim(*args, **params)
    out = prim.forward(*args, **params)
    return out if isinstance(out, np.ndarray) else np.asarray(out)


def _raw(t: Any) -> Any:
    """A Tensor's ndarray; a saved tensor modified in place since stays a Tensor, so only a
    formula that reads it raises (with the engine's message)."""
    if t is None:
        return None
    try:
        return t.data
    except RuntimeError:
        return t


def nondifferentiable(name: str, forward: Callable[..., np.ndarray]) -> Primitive:
    """A recorded op whose output never requires grad (comparisons, argmax, sign)."""
    return Primitive(name, forward, saves=(), differentiable=False)


# Bound last: the engine imports ops (sum_to) that import this module, so `apply` is imported
# once everything above exists, not inside `__call__` (an import there cost ~1 us per op).
from autograd.engine import apply  # noqa: E402
