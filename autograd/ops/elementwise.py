"""Elementwise primitives: forward on ndarrays and each input's VJP, side by side.

Broadcasting is not handled here: the engine sums every VJP back to its input's shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import kernels
from autograd.errors import ShapeError, format_shapes
from autograd.kernels import workspace
from autograd.registry import nondifferentiable, primitive, unrecorded
from autograd.tensor import Tensor, get_default_dtype


def broadcast_check(name: str) -> Callable[..., None]:
    """Shape rule for broadcasting ops: raise ShapeError naming the op and all shapes."""

    def check(*arrays: Any, **_: Any) -> None:
        first = arrays[0].shape
        for a in arrays[1:]:
            if a.shape != first and a.shape:
                break
        else:
            return  # fast path: equal shapes or scalars always broadcast
        shapes = [a.shape for a in arrays if a is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise ShapeError(
                f"{name}: operands could not be broadcast together with shapes "
                f"{format_shapes(shapes)}"
            ) from None

    return check


def floating(x: np.ndarray) -> np.ndarray:
    """`x` itself when floating, else cast to the default float dtype (torch: exp(int) is float)."""
    return x if x.dtype.kind in "fc" else x.astype(get_default_dtype())


def zero_vjp(g: Any, ans: Any, *inputs: Any, **params: Any) -> Any:
    """The gradient of a step function (floor, sign, ...): zeros, as PyTorch gives."""
    return _const(np.zeros(g.shape, dtype=bool), g)


def _const(mask: np.ndarray, like: Any) -> Any:
    """A constant (non-differentiable) tensor in `like`'s dtype, e.g. a 0/1 mask; an ndarray
    when `like` is one (inside an `unrecorded` VJP)."""
    mask = mask.astype(like.dtype, copy=False)
    return mask if isinstance(like, np.ndarray) else Tensor(mask)


# ----- binary arithmetic -----


def _mixed(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's rule for a float operand with an integer/bool one: the float dtype wins
    (`x32 * int64_tensor` is float32; NumPy would give float64)."""
    fx, fy = x.dtype.kind in "fc", y.dtype.kind in "fc"
    if fx and not fy:
        return x, y.astype(x.dtype)
    if fy and not fx:
        return x.astype(y.dtype), y
    return x, y


@primitive("add", check=broadcast_check("add"), saves=())
def add(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.add(*_mixed(x, y))


def _binary_into(ufunc: Any) -> Callable[..., None]:
    """The into variant of a binary ufunc primitive: the same mixed-dtype rule, into `out`."""

    def into(out: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        ufunc(*_mixed(x, y), out=out)

    return into


add.definto(_binary_into(np.add))
add.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)


@primitive("subtract", check=broadcast_check("subtract"), saves=())
def subtract(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.subtract(*_mixed(x, y))


subtract.definto(_binary_into(np.subtract))
subtract.defvjp(lambda g, ans, x, y: g, unrecorded(lambda g, ans, x, y: -g))


@primitive("multiply", check=broadcast_check("multiply"), saves=("inputs",))
def multiply(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.multiply(*_mixed(x, y))


multiply.definto(_binary_into(np.multiply))
multiply.defvjp(unrecorded(lambda g, ans, x, y: g * y), unrecorded(lambda g, ans, x, y: g * x))


@primitive("divide", check=broadcast_check("divide"), saves=("inputs",))
def divide(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "fc" and y.dtype.kind not in "fc":
        return np.true_divide(x, y, dtype=get_default_dtype())  # int / int: default float
    return np.true_divide(*_mixed(x, y))


def _divide_into(out: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    if x.dtype.kind not in "fc" and y.dtype.kind not in "fc":
        np.true_divide(x, y, dtype=get_default_dtype(), out=out)
    else:
        np.true_divide(*_mixed(x, y), out=out)


divide.definto(_divide_into)
divide.defvjp(
    unrecorded(lambda g, ans, x, y: g / y), unrecorded(lambda g, ans, x, y: -g * x / (y * y))
)


@primitive("power", check=broadcast_check("power"))
def power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf, (-2) ** 0.5 = nan
        return np.power(*_mixed(x, y))


def _power_vjp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # NOTE: where y == 0 the gradient is 0 (d x**0 / dx at x = 0 is 0, as torch); the base
    # is replaced by 1 there so that no inf * 0 appears at any order.
    return g * y * where(y.data == 0, 1.0, x) ** (y - 1)


def _power_vjp_exponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # NOTE: d(x**y)/dy = x**y * log(x), as torch: 0 where x == 0 and y >= 0, -inf for
    # 0 ** (y < 0), NaN for a negative base (log of a negative number).
    zero = (x.data == 0) & (y.data >= 0)
    return g * where(zero, 0.0, ans * log(where(zero, 1.0, x)))


power.defvjp(_power_vjp_base, _power_vjp_exponent)


def _tie_mask(x: Any, y: Any, greater: bool) -> np.ndarray:
    xd, yd = np.broadcast_arrays(x.data, y.data)
    win = xd > yd if greater else xd < yd
    return win + 0.5 * (xd == yd)


@primitive("maximum", check=broadcast_check("maximum"), saves=("inputs",))
def maximum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.maximum(*_mixed(x, y))


# NOTE: at ties the gradient is split evenly between the two inputs (as torch.maximum).
maximum.definto(_binary_into(np.maximum))
maximum.defvjp(
    lambda g, ans, x, y: g * _const(_tie_mask(x, y, True), g),
    lambda g, ans, x, y: g * _const(_tie_mask(y, x, True), g),
)


@primitive("minimum", check=broadcast_check("minimum"), saves=("inputs",))
def minimum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.minimum(*_mixed(x, y))


minimum.definto(_binary_into(np.minimum))
minimum.defvjp(
    lambda g, ans, x, y: g * _const(_tie_mask(x, y, False), g),
    lambda g, ans, x, y: g * _const(_tie_mask(y, x, False), g),
)


@primitive("where", check=broadcast_check("where"), saves=("inputs",))
def where(cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`x` where `cond` else `y`; only the chosen branch receives gradient."""
    return np.where(cond.astype(bool, copy=False), x, y)


where.defvjp(
    None,
    lambda g, ans, c, x, y: where(c, g, 0.0),
    lambda g, ans, c, x, y: where(c, 0.0, g),
)


# ----- unary -----


@primitive("identity", saves=())
def identity(x: np.ndarray) -> np.ndarray:
    """A new node with the same value (a view): marks where differentiation starts."""
    return x.view()


identity.defvjp(lambda g, ans, x: g)


@primitive("negative", saves=())
def negative(x: np.ndarray) -> np.ndarray:
    return np.negative(x)


negative.definto(lambda out, x: np.negative(x, out=out))
negative.defvjp(unrecorded(lambda g, ans, x: -g))


@primitive("sign", saves=())
def sign(x: np.ndarray) -> np.ndarray:
    return np.sign(x)


sign.defvjp(zero_vjp)  # a step: zero gradient, as torch.sign


@primitive("abs", saves=("inputs",))
def absolute(x: np.ndarray) -> np.ndarray:
    return np.abs(x)


absolute.definto(lambda out, x: np.abs(x, out=out))
# NOTE: abs'(0) = 0 (the subgradient sign(0)).
absolute.defvjp(lambda g, ans, x: g * sign(x))


@primitive("exp", saves=("output",))
def exp(x: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        return np.exp(floating(x))


def _exp_into(out: np.ndarray, x: np.ndarray) -> None:
    with np.errstate(under="ignore"):
        np.exp(floating(x), out=out)


exp.definto(_exp_into)
exp.defvjp(unrecorded(lambda g, ans, x: g * ans))


@primitive("log", saves=("inputs",))
def log(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):  # nan/inf off the domain
        return np.log(floating(x))


def _log_into(out: np.ndarray, x: np.ndarray) -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        np.log(floating(x), out=out)


log.definto(_log_into)
log.defvjp(unrecorded(lambda g, ans, x: g / x))


@primitive("log1p", saves=("inputs",))
def log1p(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):  # nan/inf off the domain
        return np.log1p(floating(x))


log1p.defvjp(unrecorded(lambda g, ans, x: g / (x + 1.0)))


@primitive("sqrt", saves=("output",))
def sqrt(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):  # nan/inf off the domain
        return np.sqrt(floating(x))


def _sqrt_into(out: np.ndarray, x: np.ndarray) -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        np.sqrt(floating(x), out=out)


sqrt.definto(_sqrt_into)
# NOTE: sqrt'(0) = inf, as in NumPy and PyTorch.
sqrt.defvjp(unrecorded(lambda g, ans, x: g / (ans * 2.0)))


@primitive("sin", saves=("inputs",))
def sin(x: np.ndarray) -> np.ndarray:
    return np.sin(floating(x))


sin.defvjp(lambda g, ans, x: g * cos(x))


@primitive("cos", saves=("inputs",))
def cos(x: np.ndarray) -> np.ndarray:
    return np.cos(floating(x))


cos.defvjp(lambda g, ans, x: -g * sin(x))


@primitive("tanh", saves=("output",))
def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(floating(x))


tanh.definto(lambda out, x: np.tanh(floating(x), out=out))
tanh.defvjp(unrecorded(lambda g, ans, x: g * (1.0 - ans * ans)))


@primitive("sigmoid", saves=("output",))
def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function in the two-branch form: no overflow for large |x|."""
    x = floating(x)
    out = np.empty_like(x)
    pos = x >= 0
    with np.errstate(under="ignore"):
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        out[~pos] = ex / (1.0 + ex)
    return out


sigmoid.defvjp(unrecorded(lambda g, ans, x: g * ans * (1.0 - ans)))


@primitive("softplus", saves=("inputs",))
def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) computed stably as max(x, 0) + log1p(exp(-|x|))."""
    x = floating(x)
    with np.errstate(under="ignore"):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


softplus.defvjp(lambda g, ans, x: g * sigmoid(x))


@primitive("relu", saves=("inputs",))
def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


relu.definto(lambda out, x: np.maximum(x, 0, out=out))
# NOTE: relu'(0) = 0.
relu.defvjp(unrecorded(lambda g, ans, x: g * (x > 0)))


def _relu_vjp_into(out: np.ndarray, g: np.ndarray, ans: np.ndarray, x: np.ndarray) -> None:
    call = kernels.relu_grad_call(out, g, x)
    if call is not None:  # one jitted pass, the same bits
        call()
        return
    above = workspace("relu:above", x.shape, np.dtype(bool))
    mask = workspace("relu:mask", x.shape, g.dtype)
    np.greater(x, 0, out=above)
    np.copyto(mask, above)  # the 0/1 mask in g's dtype, as `_const` makes it (no ufunc cast)
    np.multiply(g, mask, out=out)


relu.defvjp_into(_relu_vjp_into)
relu.defbind(lambda out, x: functools.partial(np.maximum, x, 0, out))
relu.defvjp_bind(lambda out, g, ans, x: kernels.relu_grad_call(out, g, x))


@primitive("leaky_relu", saves=("inputs",))
def leaky_relu(x: np.ndarray, *, negative_slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, x, x * np.asarray(negative_slope, dtype=x.dtype))


leaky_relu.defvjp(
    lambda g, ans, x, negative_slope=0.01: g
    * _const(np.where(x.data > 0, 1.0, negative_slope), g)
)


@primitive("elu", saves=("inputs", "output"))
def elu(x: np.ndarray, *, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


elu.defvjp(lambda g, ans, x, alpha=1.0: where(x.data > 0, g, g * (ans + alpha)))


@primitive("clip", saves=("inputs",))
def clip(x: np.ndarray, *, a_min: float | None = None, a_max: float | None = None) -> np.ndarray:
    """Clamp to [a_min, a_max]; the gradient passes where the value was inside (inclusive)."""
    if a_min is None and a_max is None:
        raise ValueError("clip: at least one of a_min and a_max must be given")
    return np.clip(x, a_min, a_max)


def _clip_vjp(g: Any, ans: Any, x: Any, a_min: float | None = None, a_max: float | None = None):
    inside = np.ones(x.shape, dtype=bool)
    if a_min is not None:
        inside &= x.data >= a_min
    if a_max is not None:
        inside &= x.data <= a_max
    return g * _const(inside, g)


clip.defvjp(_clip_vjp)


@primitive("astype", saves=())
def astype(x: np.ndarray, *, dtype: Any) -> np.ndarray:
    return x.astype(dtype)


astype.defvjp(lambda g, ans, x, dtype: g)  # the engine casts the result back to x's dtype


# ----- comparisons (no gradient) -----

less = nondifferentiable("less", np.less)
less_equal = nondifferentiable("less_equal", np.less_equal)
greater = nondifferentiable("greater", np.greater)
greater_equal = nondifferentiable("greater_equal", np.greater_equal)
equal = nondifferentiable("equal", np.equal)
not_equal = nondifferentiable("not_equal", np.not_equal)
logical_not = nondifferentiable("logical_not", np.logical_not)
logical_and = nondifferentiable("logical_and", np.logical_and)
logical_or = nondifferentiable("logical_or", np.logical_or)
isnan = nondifferentiable("isnan", np.isnan)
isfinite = nondifferentiable("isfinite", np.isfinite)
