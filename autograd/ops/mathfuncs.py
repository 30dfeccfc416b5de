"""Elementwise math beyond the core set: inverse trig, hyperbolic, rounding, modulo, tests.

Float-valued ops give the default float dtype on integer input (as PyTorch); values off an
op's domain are NaN or inf without warnings, as in PyTorch. Step functions (floor, round,
sign, ...) have a zero gradient, as PyTorch gives. Bitwise operators act on integer tensors
and logically on bool tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.ops.elementwise import _const, broadcast_check, exp, floating, sqrt, zero_vjp
from autograd.registry import Primitive, nondifferentiable, primitive

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _float_unary(name: str, fn: Callable[[np.ndarray], np.ndarray],
                 saves: tuple[str, ...] = ("inputs",)) -> Primitive:
    """A float-valued unary primitive: int input becomes the default float; no domain warnings."""

    def forward(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
            return fn(floating(x))

    forward.__name__ = name
    forward.__doc__ = f"Elementwise {name} (torch.{name})."
    return Primitive(name, forward, saves=saves)


# ----- powers, logs and exponentials -----

rsqrt = _float_unary("rsqrt", lambda x: 1.0 / np.sqrt(x), saves=("output",))
rsqrt.defvjp(lambda g, ans, x: g * ans * ans * ans * -0.5)

log2 = _float_unary("log2", np.log2)
log2.defvjp(lambda g, ans, x: g / (x * _LN2))

log10 = _float_unary("log10", np.log10)
log10.defvjp(lambda g, ans, x: g / (x * _LN10))

expm1 = _float_unary("expm1", np.expm1, saves=("output",))
expm1.defvjp(lambda g, ans, x: g * (ans + 1.0))

exp2 = _float_unary("exp2", np.exp2, saves=("output",))
exp2.defvjp(lambda g, ans, x: g * ans * _LN2)

reciprocal = _float_unary("reciprocal", np.reciprocal, saves=("output",))
reciprocal.defvjp(lambda g, ans, x: -g * ans * ans)


@primitive("square", saves=("inputs",))
def square(x: np.ndarray) -> np.ndarray:
    """x * x, keeping integer dtypes (as torch.square)."""
    return np.square(x)


square.defvjp(lambda g, ans, x: g * x * 2.0)

# ----- trigonometric and hyperbolic -----

tan = _float_unary("tan", np.tan, saves=("output",))
tan.defvjp(lambda g, ans, x: g * (ans * ans + 1.0))

asin = _float_unary("asin", np.arcsin)
asin.defvjp(lambda g, ans, x: g / sqrt(1.0 - x * x))

acos = _float_unary("acos", np.arccos)
acos.defvjp(lambda g, ans, x: -g / sqrt(1.0 - x * x))

atan = _float_unary("atan", np.arctan)
atan.defvjp(lambda g, ans, x: g / (x * x + 1.0))

sinh = _float_unary("sinh", np.sinh)
sinh.defvjp(lambda g, ans, x: g * cosh(x))

cosh = _float_unary("cosh", np.cosh)
cosh.defvjp(lambda g, ans, x: g * sinh(x))

asinh = _float_unary("asinh", np.arcsinh)
asinh.defvjp(lambda g, ans, x: g / sqrt(x * x + 1.0))

acosh = _float_unary("acosh", np.arccosh)
acosh.defvjp(lambda g, ans, x: g / sqrt(x * x - 1.0))

atanh = _float_unary("atanh", np.arctanh)
atanh.defvjp(lambda g, ans, x: g / (1.0 - x * x))


@primitive("atan2", check=broadcast_check("atan2"), saves=("inputs",))
def atan2(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The angle of the point (x, y), as torch.atan2(input=y, other=x)."""
    return np.arctan2(floating(y), floating(x))


atan2.defvjp(
    lambda g, ans, y, x: g * x / (x * x + y * y),
    lambda g, ans, y, x: -g * y / (x * x + y * y),
)


@primitive("hypot", check=broadcast_check("hypot"), saves=("inputs", "output"))
def hypot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(x**2 + y**2) without overflow."""
    return np.hypot(floating(x), floating(y))


hypot.defvjp(lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans)


@primitive("logaddexp", check=broadcast_check("logaddexp"), saves=("inputs", "output"))
def logaddexp(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log(exp(x) + exp(y)), stable for large |x|, |y|."""
    with np.errstate(invalid="ignore"):
        return np.logaddexp(floating(x), floating(y))


logaddexp.defvjp(
    lambda g, ans, x, y: g * exp(x - ans),
    lambda g, ans, x, y: g * exp(y - ans),
)


@primitive("copysign", check=broadcast_check("copysign"), saves=("inputs", "output"))
def copysign(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|x| with the sign of y (the sign bit, so -0.0 counts as negative)."""
    return np.copysign(floating(x), floating(y))


def _copysign_vjp(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # NOTE: d/dx is sign(x) * sign(y) (ans / x), 0 at x == 0, as torch; d/dy is 0.
    xd, ad = np.broadcast_arrays(x.data, ans.data)
    return g * _const(np.where(xd == 0, 0.0, np.sign(xd) * np.sign(ad)), g)


copysign.defvjp(_copysign_vjp, zero_vjp)

# ----- rounding (zero gradient) -----


def _rounding(name: str, fn: Callable[..., np.ndarray]) -> Primitive:
    """A step function: integer tensors pass unchanged (as torch), gradient zero."""

    def forward(x: np.ndarray) -> np.ndarray:
        return x.copy() if x.dtype.kind in "iub" else fn(x)

    forward.__name__ = name
    forward.__doc__ = f"Elementwise {name} (torch.{name}); zero gradient."
    return Primitive(name, forward, saves=()).defvjp(zero_vjp)


floor = _rounding("floor", np.floor)
ceil = _rounding("ceil", np.ceil)
trunc = _rounding("trunc", np.trunc)


@primitive("round", saves=())
def round(x: np.ndarray, *, decimals: int = 0) -> np.ndarray:  # noqa: A001 - torch's name
    """Round half to even, to `decimals` places (torch.round); zero gradient."""
    return x.copy() if x.dtype.kind in "iub" and decimals >= 0 else np.round(x, decimals)


round.defvjp(zero_vjp)


@primitive("frac", saves=())
def frac(x: np.ndarray) -> np.ndarray:
    """x - trunc(x): the fractional part with x's sign (torch.frac)."""
    return x - np.trunc(x)


frac.defvjp(lambda g, ans, x: g)

# ----- modulo -----


@primitive("fmod", check=broadcast_check("fmod"), saves=("inputs",))
def fmod(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C's fmod: the remainder has the sign of the dividend `x` (torch.fmod)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(x, y)


fmod.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * trunc(x / y))


@primitive("remainder", check=broadcast_check("remainder"), saves=("inputs",))
def remainder(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Python's %: the remainder has the sign of the divisor `y` (torch.remainder)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.remainder(x, y)


remainder.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floor(x / y))


def _floor_divide(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x // y rounded toward -inf (torch.floor_divide); not differentiable, as in torch."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.floor_divide(x, y)


floor_divide = nondifferentiable("floor_divide", _floor_divide)

# ----- tests and cleaning -----

isinf = nondifferentiable("isinf", np.isinf)
isneginf = nondifferentiable("isneginf", np.isneginf)
isposinf = nondifferentiable("isposinf", np.isposinf)


def _isclose(a: np.ndarray, b: np.ndarray, *, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> np.ndarray:
    """|a - b| <= atol + rtol * |b| elementwise (torch.isclose's defaults)."""
    return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


isclose = nondifferentiable("isclose", _isclose)


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when every element of `a` is close to `b` (torch.allclose returns a Python bool)."""
    return bool(np.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan).data))


@primitive("nan_to_num", saves=("inputs",))
def nan_to_num(x: np.ndarray, *, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> np.ndarray:
    """NaN -> `nan`, +-inf -> `posinf`/`neginf` (default: the dtype's largest finite values)."""
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num.defvjp(
    lambda g, ans, x, nan=0.0, posinf=None, neginf=None: g * _const(np.isfinite(x.data), g)
)


def lerp(input: Any, end: Any, weight: Any) -> Any:  # noqa: A002 - torch's name
    """input + weight * (end - input) (torch.lerp); differentiable in all three."""
    return input + weight * (end - input)


# ----- bitwise (integers) and logical (bools) -----

bitwise_and = nondifferentiable("bitwise_and", np.bitwise_and)
bitwise_or = nondifferentiable("bitwise_or", np.bitwise_or)
bitwise_xor = nondifferentiable("bitwise_xor", np.bitwise_xor)
bitwise_not = nondifferentiable("bitwise_not", np.invert)
bitwise_left_shift = nondifferentiable("bitwise_left_shift", np.left_shift)
bitwise_right_shift = nondifferentiable("bitwise_right_shift", np.right_shift)
logical_xor = nondifferentiable("logical_xor", np.logical_xor)
