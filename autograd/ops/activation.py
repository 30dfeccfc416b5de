"""Activation functions beyond the elementwise basics: erf family, GELU, SiLU, Mish, the hard
and shrink families, PReLU, RReLU, GLU, with PyTorch's formulas and kink conventions.

`erf`, `erfc` and `erfinv` are primitives; every other activation is a composition of
primitives (so gradients of any order come for free). At kinks the gradient is PyTorch's
subgradient: piecewise-linear pieces pass gradient only strictly inside their linear range
(relu6 at 0 and 6, hardtanh at its bounds, hardsigmoid at +-3, shrinks at +-lambd and
threshold at its threshold all give 0), hardswish gives 0 at -3 and 1 at 3, leaky/PReLU/RReLU
give the negative slope at 0, ELU-likes give the negative branch's slope at 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from autograd.errors import ShapeError
from autograd.ops import elementwise as ew
from autograd.ops.shape import getitem
from autograd.ops.softmax import softmax
from autograd.registry import primitive
from autograd.tensor import Tensor

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _c(value: float, like: Tensor) -> np.ndarray:
    """A Python number as a 0-d array of `like`'s dtype (keeps float32 float32)."""
    return np.asarray(value, dtype=like.dtype if like.dtype.kind == "f" else np.float64)


# ----- the erf family (primitives) -----


@primitive("erf", saves=("inputs",))
def erf(x: np.ndarray) -> np.ndarray:
    """Gauss error function 2/sqrt(pi) * int_0^x exp(-t^2) dt."""
    return special.erf(x)


erf.defvjp(lambda g, ans, x: g * ew.exp(-(x * x)) * _c(_TWO_OVER_SQRT_PI, g))


@primitive("erfc", saves=("inputs",))
def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function 1 - erf(x), accurate where erf(x) is close to 1."""
    return special.erfc(x)


erfc.defvjp(lambda g, ans, x: g * ew.exp(-(x * x)) * _c(-_TWO_OVER_SQRT_PI, g))


@primitive("erfinv", saves=("output",))
def erfinv(x: np.ndarray) -> np.ndarray:
    """Inverse error function on (-1, 1); +-inf at +-1 and NaN outside, as torch.erfinv."""
    return special.erfinv(x)


# NOTE: d erfinv(x)/dx = sqrt(pi)/2 * exp(erfinv(x)^2): inf at x = +-1.
erfinv.defvjp(lambda g, ans, x: g * ew.exp(ans * ans) * _c(math.sqrt(math.pi) / 2.0, g))


# ----- smooth activations -----


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, via erf) or PyTorch's tanh approximation (approximate="tanh")."""
    x = _t(x)
    if approximate == "none":
        return x * _phi_cdf(x)
    if approximate == "tanh":
        inner = (x + x * x * x * _c(0.044715, x)) * _c(math.sqrt(2.0 / math.pi), x)
        return x * _c(0.5, x) * (ew.tanh(inner) + _c(1.0, x))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh'; got {approximate!r}")


def _phi_cdf(x: Tensor) -> Tensor:
    """Standard normal CDF 0.5 * (1 + erf(x / sqrt 2))."""
    return (erf(x * _c(1.0 / math.sqrt(2.0), x)) + _c(1.0, x)) * _c(0.5, x)


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (swish)."""
    x = _t(x)
    return x * ew.sigmoid(x)


def mish(x: Any) -> Tensor:
    """x * tanh(softplus(x))."""
    x = _t(x)
    return x * ew.tanh(ew.softplus(x))


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta * x > threshold (PyTorch's)."""
    x = _t(x)
    bx = x * _c(beta, x)
    smooth = ew.softplus(bx) / _c(beta, x)
    return ew.where(bx.data > threshold, x, smooth)


def logsigmoid(x: Any) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|."""
    return -ew.softplus(-_t(x))


def softsign(x: Any) -> Tensor:
    """x / (1 + |x|)."""
    x = _t(x)
    return x / (ew.absolute(x) + _c(1.0, x))


def tanhshrink(x: Any) -> Tensor:
    """x - tanh(x)."""
    x = _t(x)
    return x - ew.tanh(x)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al."""
    x = _t(x)
    return ew.elu(x, alpha=_SELU_ALPHA) * _c(_SELU_SCALE, x)


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * elu(x / alpha)."""
    if alpha == 0:
        raise ValueError("celu: alpha of 0 is not supported (the formula divides by alpha)")
    x = _t(x)
    return ew.elu(x / _c(alpha, x), alpha=1.0) * _c(alpha, x)


# ----- piecewise-linear activations -----


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """Clamp to [min_val, max_val]; the gradient is 1 strictly inside, 0 at the bounds."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    x = _t(x)
    inside = (x.data > min_val) & (x.data < max_val)
    return ew.where(inside, x, np.clip(x.data, min_val, max_val))


def relu6(x: Any) -> Tensor:
    """min(max(x, 0), 6); gradient 0 at 0 and at 6."""
    return hardtanh(x, 0.0, 6.0)


def hardsigmoid(x: Any) -> Tensor:
    """x / 6 + 1/2 clamped to [0, 1]; gradient 1/6 strictly inside (-3, 3)."""
    x = _t(x)
    inside = (x.data > -3.0) & (x.data < 3.0)
    return ew.where(inside, x * _c(1.0 / 6.0, x) + _c(0.5, x), (x.data >= 3.0).astype(x.dtype))


def hardswish(x: Any) -> Tensor:
    """x * hardsigmoid(x); gradient 0 at -3 and 1 at 3 (PyTorch's)."""
    x = _t(x)
    return x * hardsigmoid(x)


def softshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative; got {lambd}")
    x = _t(x)
    return ew.where(np.abs(x.data) > lambd, x - _c(lambd, x) * np.sign(x.data), 0.0)


def hardshrink(x: Any, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    x = _t(x)
    return ew.where(np.abs(x.data) > lambd, x, 0.0)


def threshold(x: Any, threshold: float, value: float) -> Tensor:
    """x where x > threshold, else value."""
    x = _t(x)
    return ew.where(x.data > threshold, x, _c(value, x))


def prelu(x: Any, weight: Any) -> Tensor:
    """x where x > 0 else weight * x; weight has 1 or C entries (channel dim 1)."""
    x, weight = _t(x), _t(weight)
    if weight.ndim > 1:
        raise ShapeError(f"prelu: weight must be 0-D or 1-D; got shape {weight.shape}")
    n = 1 if weight.ndim == 0 else weight.shape[0]
    channels = x.shape[1] if x.ndim >= 2 else 1
    if n not in (1, channels):
        raise ShapeError(
            f"prelu: weight of {n} parameters does not match {channels} channels of input "
            f"{x.shape} (channel dim 1)"
        )
    if n > 1:
        weight = weight.reshape((n,) + (1,) * (x.ndim - 2))
    return ew.where(x.data > 0, x, weight * x)


def rrelu(
    x: Any, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False
) -> Tensor:
    """Randomized leaky ReLU: slopes ~ U(lower, upper) per element in training, their mean
    (lower + upper) / 2 in evaluation. Slopes come from `ag.get_generator()`."""
    from autograd.random import get_generator

    x = _t(x)
    if not training:
        return ew.leaky_relu(x, negative_slope=(lower + upper) / 2.0)
    slopes = get_generator().uniform(lower, upper, x.shape).astype(x.dtype)
    return ew.where(x.data >= 0, x, x * slopes)


# ----- along a dimension -----


def glu(x: Any, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the two halves (a, b) of x along `dim`."""
    x = _t(x)
    if x.ndim == 0:
        raise ShapeError("glu: does not support scalars (0-D tensors)")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"glu: dim {dim} is out of range for a tensor of rank {x.ndim}")
    n = x.shape[dim]
    if n % 2:
        raise ShapeError(f"glu: halving dimension {dim} must be even; got size {n} "
                         f"of shape {x.shape}")
    d = dim % x.ndim
    lead = (slice(None),) * d
    a = getitem(x, index=lead + (slice(0, n // 2),))
    b = getitem(x, index=lead + (slice(n // 2, n),))
    return a * ew.sigmoid(b)


def softmin(x: Any, dim: int = -1) -> Tensor:
    """softmax(-x) along `dim`."""
    return softmax(-_t(x), axis=dim)
