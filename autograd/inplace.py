"""In-place ops with PyTorch's semantics: the graph keeps the value each op read.

An in-place op computes its result out of place, writes it into the tensor's buffer and bumps
the version counter. The tensor's old history is kept by a *snapshot* (a Tensor object that
takes over the old `grad_fn` and hooks, and becomes that node's output), while the user's
Python object becomes the output of the new node. Earlier consumers reach the old node through
their recorded edges (`Node.edges`, autograd/node.py), so `y += y * 2` differentiates like PyTorch.

Saved values are checked lazily: a VJP that reads a value overwritten since it was saved
raises naming the node and the versions, and one that does not read it runs (so
`y = x * 2; y *= 3` is fine, `y = x.exp(); y += 1` is not). Where the in-place node itself
needs the old value (`y *= w` needs y for w's gradient, `y.pow_(2)` needs y), it reads a copy
taken before the write, as PyTorch does.

Views: an in-place op on a view (`y[1:].mul_(w)`) rewrites its base's history as
"base with the view's region replaced" (PyTorch's CopySlices); views of a base that changed
are replayed from the base when next used. Views other than slices and full-size reshapes
raise rather than give a wrong gradient. Indexed assignment (`y[mask] = 0`) is the
differentiable primitive `setitem`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode
from autograd.errors import DTypeError, ShapeError
from autograd.ops import elementwise as ew
from autograd.ops import shape
from autograd.random import get_generator
from autograd.registry import primitive
from autograd.tensor import Tensor

# ----- primitives for writes -----


@primitive("setitem", saves=())
def setitem(x: np.ndarray, value: np.ndarray, *, index: Any) -> np.ndarray:
    """`x` with `x[index] = value` (a copy): indexed assignment as a differentiable op."""
    out = np.array(x, copy=True)
    out[index] = value
    return out


setitem.defvjp(
    lambda g, ans, x, value, index: setitem(g, 0.0, index=index),
    lambda g, ans, x, value, index: shape.getitem(g, index=index),
)


@primitive("fill", saves=())
def fill(x: np.ndarray, *, value: Any) -> np.ndarray:
    """An array like `x` filled with `value`; the old values get a zero gradient."""
    return np.full_like(x, value)


fill.defvjp(lambda g, ans, x, value: fill(g, value=0))


@primitive("copy_into", saves=())
def copy_into(x: np.ndarray, src: np.ndarray) -> np.ndarray:
    """`src` broadcast to `x`'s shape in `x`'s dtype (what `x.copy_(src)` writes)."""
    try:
        return np.broadcast_to(src, x.shape).astype(x.dtype)
    except ValueError:
        raise ShapeError(
            f"copy_: cannot copy a tensor of shape {src.shape} into one of shape {x.shape}"
        ) from None


copy_into.defvjp(lambda g, ans, x, src: fill(g, value=0), lambda g, ans, x, src: g)


# ----- the in-place driver -----

_LEAF = "a leaf Tensor that requires grad is being used in an in-place operation."


def _write(t: Tensor, values: np.ndarray, op: str) -> None:
    """Write `values` into `t`'s buffer (so views and aliases see it) and bump its version."""
    if values.shape != t.data.shape:
        raise ShapeError(
            f"{op}: the result has shape {values.shape}, which cannot be written into a tensor "
            f"of shape {t.data.shape} in place"
        )
    if values.dtype != t.data.dtype and not np.can_cast(values.dtype, t.data.dtype, "same_kind"):
        raise DTypeError(
            f"{op}: result type {values.dtype} can't be cast to the tensor's dtype "
            f"{t.data.dtype} in place"
        )
    if t.data.flags.writeable:
        np.copyto(t.data, values, casting="unsafe")
    else:
        t.data = values.astype(t.data.dtype)
    t._vbox[0] += 1


def _snapshot(t: Tensor, take_hooks: bool) -> Tensor:
    """A Tensor object for `t`'s current version; it becomes the output of t's node."""
    s = Tensor._from_op(t.data, ())
    s._vbox = t._vbox
    s.grad_fn = t.grad_fn
    s.requires_grad = t.requires_grad
    s.name = t.name
    if take_hooks:  # hooks registered before the write see the old value's gradient (torch)
        s._hooks, t._hooks = t._hooks, None
    if t.grad_fn is not None:
        t.grad_fn.snap = s
    return s


def _frozen(s: Tensor) -> Tensor:
    """A copy of `s`'s values with its history, for a node that needs the value before a write."""
    c = Tensor._from_op(np.array(s.data, copy=True), ())
    c.grad_fn = s.grad_fn
    c.requires_grad = s.requires_grad
    return c


def _adopt(t: Tensor, res: Tensor) -> None:
    """Make `t` the output of the node that computed `res` (t already holds res's values)."""
    node = res.grad_fn
    if node is None:
        return
    node.out_version = t._vbox[0]
    t.grad_fn = node
    t.requires_grad = True


def _stale(t: Tensor) -> bool:
    return t._view is not None and t.grad_fn is not None and t.grad_fn.out_version != t._vbox[0]


def _check_writable(t: Tensor, op: str) -> None:
    """Refuse writes a gradient could not follow, before anything is written."""
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError(f"{op}: {_LEAF}")
    view = t._view
    while view is not None:
        base, prim, _, _ = view
        if base.requires_grad and base.grad_fn is None:
            raise RuntimeError(f"{op}: a view of {_LEAF}")
        if prim.name != "getitem" and t.data.size != base.data.size:
            raise RuntimeError(
                f"{op}: in-place write into a view made by {prim.name} (not a slice or a "
                "full-size reshape of its base) is not supported; write into .clone() instead"
            )
        t, view = base, base._view


def _rebase(v: Tensor) -> None:
    """After a write through view `v`, give its base the history "old base, region replaced"."""
    base, prim, params, inputs = v._view
    if _stale(base):
        refresh_view(base)
    old = _snapshot(base, take_hooks=False)
    if prim.name == "getitem":
        res = setitem(old, v, index=params["index"])
    else:  # a full-size view: its VJP is its inverse
        k = next(i for i, t in enumerate(inputs) if t is base)
        args = tuple(old if i == k else t for i, t in enumerate(inputs))
        vjp = prim.vjp_for(k)
        res = vjp(v, v, *args, **params)
    _adopt(base, res)
    if base._view is not None:
        _rebase(base)


def refresh_view(t: Tensor) -> Any:
    """Replay view `t` from its base's current history (the base was written since)."""
    base, prim, params, inputs = t._view
    if _stale(base):
        refresh_view(base)
    with mode.enable_grad():
        res = prim(*inputs, **params)
    if res.grad_fn is not None:
        _snapshot(t, take_hooks=False)
        _adopt(t, res)
    return t.grad_fn


def run_inplace(
    t: Tensor, op: str, fn: Callable[..., Tensor], others: tuple[Any, ...], keep: str
) -> Tensor:
    """Compute `fn(t, *others)` and write it into `t` with PyTorch's in-place semantics.

    `keep` says when the new node reads t's old value: "never", "other" (when another
    operand requires grad, as for mul_/div_) or "always" (pow_, clamp_, unary math).
    """
    other_grad = any(isinstance(o, Tensor) and o.requires_grad for o in others)
    if not (mode.is_grad_enabled() and (t.requires_grad or other_grad)):
        with mode.no_grad():
            res = fn(t, *others)
        _write(t, res.data, op)
        return t
    _check_writable(t, op)
    if _stale(t):
        refresh_view(t)
    src = _snapshot(t, take_hooks=True)
    if keep == "always" or (keep == "other" and other_grad):
        src = _frozen(src)
    res = fn(src, *others)
    _write(t, res.data, op)
    _adopt(t, res)
    if t._view is not None:
        _rebase(t)
    return t


# ----- the in-place methods -----


def _scaled(other: Any, alpha: Any) -> Any:
    return other if alpha == 1 else other * alpha


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """`self += alpha * other` in place."""
    return run_inplace(self, "add_", lambda s, o: s + _scaled(o, alpha), (other,), "never")


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """`self -= alpha * other` in place."""
    return run_inplace(self, "sub_", lambda s, o: s - _scaled(o, alpha), (other,), "never")


def mul_(self: Tensor, other: Any) -> Tensor:
    """`self *= other` in place."""
    return run_inplace(self, "mul_", ew.multiply, (other,), "other")


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """`self /= other` in place (`rounding_mode` "trunc"/"floor" as `div`)."""
    from autograd.tensor_api import div

    fn = lambda s, o: div(s, o, rounding_mode=rounding_mode)  # noqa: E731
    return run_inplace(self, "div_", fn, (other,), "other")


def pow_(self: Tensor, exponent: Any) -> Tensor:
    """`self **= exponent` in place."""
    return run_inplace(self, "pow_", ew.power, (exponent,), "always")


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - torch
    """Clamp to [min, max] in place."""
    fn = lambda s: ew.clip(s, a_min=min, a_max=max)  # noqa: E731
    return run_inplace(self, "clamp_", fn, (), "always")


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with `value` in place (a 0-d tensor value is differentiable, as in torch)."""
    if isinstance(value, Tensor):
        return run_inplace(self, "fill_", copy_into, (value,), "never")
    return run_inplace(self, "fill_", lambda s: fill(s, value=value), (), "never")


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return fill_(self, 0)


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy `src` into this tensor in place, broadcasting and casting (differentiable in src)."""
    return run_inplace(self, "copy_", copy_into, (src,), "never")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill in place with samples of N(mean, std^2) from tracegrad's generator."""
    values = get_generator().normal(mean, std, self.shape).astype(self.dtype)
    return run_inplace(self, "normal_", copy_into, (Tensor(values),), "never")


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill in place with samples of U(a, b) from tracegrad's generator."""
    values = get_generator().uniform(a, b, self.shape).astype(self.dtype)
    return run_inplace(self, "uniform_", copy_into, (Tensor(values),), "never")


def _unary(name: str, fn: Callable[[Any], Tensor]) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return run_inplace(self, name, fn, (), "always")

    method.__name__ = name
    method.__doc__ = f"`{name[:-1]}` in place."
    return method


def _operator(name: str, fn: Callable[..., Tensor], keep: str) -> Callable[[Tensor, Any], Tensor]:
    def method(self: Tensor, other: Any) -> Tensor:
        return run_inplace(self, name, fn, (other,), keep)

    method.__name__ = name
    return method


def setitem_method(self: Tensor, index: Any, value: Any) -> None:
    """`self[index] = value`: recorded as `setitem` when a gradient has to flow through it."""
    idx = shape.normalize_index(index)
    run_inplace(self, "__setitem__", lambda s, v: setitem(s, v, index=idx), (value,), "never")


INPLACE_METHODS: dict[str, Any] = {
    "__iadd__": _operator("__iadd__", ew.add, "never"),
    "__isub__": _operator("__isub__", ew.subtract, "never"),
    "__imul__": _operator("__imul__", ew.multiply, "other"),
    "__itruediv__": _operator("__itruediv__", ew.divide, "other"),
    "__ipow__": _operator("__ipow__", ew.power, "always"),
    "__setitem__": setitem_method,
    "add_": add_,
    "sub_": sub_,
    "mul_": mul_,
    "div_": div_,
    "pow_": pow_,
    "clamp_": clamp_,
    "clip_": clamp_,
    "fill_": fill_,
    "zero_": zero_,
    "copy_": copy_,
    "normal_": normal_,
    "uniform_": uniform_,
    "neg_": _unary("neg_", ew.negative),
    "abs_": _unary("abs_", ew.absolute),
    "exp_": _unary("exp_", ew.exp),
    "log_": _unary("log_", ew.log),
    "sqrt_": _unary("sqrt_", ew.sqrt),
    "sin_": _unary("sin_", ew.sin),
    "cos_": _unary("cos_", ew.cos),
    "tanh_": _unary("tanh_", ew.tanh),
    "sigmoid_": _unary("sigmoid_", ew.sigmoid),
    "relu_": _unary("relu_", ew.relu),
}

for _name, _fn in INPLACE_METHODS.items():
    setattr(Tensor, _name, _fn)
