"""`nn.functional` activations with PyTorch's exact signatures (re-exported by nn.functional).

`inplace=True` is accepted for compatibility; the result is computed out of place (the
returned tensor holds it and the input is left unchanged), so always use the return value.
"""

from __future__ import annotations

from typing import Any

from autograd.ops import activation as act
from autograd.ops import elementwise as ew
from autograd.tensor import Tensor


def relu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(x, 0); gradient 0 at 0."""
    return ew.relu(input)


def relu6(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6)."""
    return act.relu6(input)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0 else negative_slope * x."""
    return ew.leaky_relu(input, negative_slope=float(negative_slope))


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > 0 else alpha * (exp(x) - 1)."""
    return ew.elu(input, alpha=float(alpha))


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return act.celu(input, float(alpha))


def selu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """Scaled ELU with the self-normalizing constants."""
    return act.selu(input)


def gelu(input: Any, approximate: str = "none") -> Tensor:  # noqa: A002
    """x * Phi(x), exact or with the tanh approximation."""
    return act.gelu(input, approximate)


def silu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x)."""
    return act.silu(input)


def mish(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x))."""
    return act.mish(input)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta x)) / beta, linear where beta * x > threshold."""
    return act.softplus(input, beta, threshold)


def hardtanh(
    input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False  # noqa: A002
) -> Tensor:
    """Clamp to [min_val, max_val]."""
    return act.hardtanh(input, min_val, max_val)


def hardswish(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * relu6(x + 3) / 6."""
    return act.hardswish(input)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """relu6(x + 3) / 6."""
    return act.hardsigmoid(input)


def softsign(input: Any) -> Tensor:  # noqa: A002
    """x / (1 + |x|)."""
    return act.softsign(input)


def logsigmoid(input: Any) -> Tensor:  # noqa: A002
    """log(sigmoid(x)), stable."""
    return act.logsigmoid(input)


def tanhshrink(input: Any) -> Tensor:  # noqa: A002
    """x - tanh(x)."""
    return act.tanhshrink(input)


def softshrink(input: Any, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """Soft thresholding by lambd."""
    return act.softshrink(input, lambd)


def hardshrink(input: Any, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd else 0."""
    return act.hardshrink(input, lambd)


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > threshold else value."""
    return act.threshold(input, threshold, value)


def prelu(input: Any, weight: Any) -> Tensor:  # noqa: A002
    """Leaky ReLU with learned slopes (one, or one per channel of dim 1)."""
    return act.prelu(input, weight)


def rrelu(
    input: Any,  # noqa: A002
    lower: float = 1.0 / 8.0,
    upper: float = 1.0 / 3.0,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU (random slopes in training, their mean in evaluation)."""
    return act.rrelu(input, lower, upper, training)


def glu(input: Any, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: first half * sigmoid(second half) along dim."""
    return act.glu(input, dim)


def _implicit_dim(ndim: int) -> int:
    """PyTorch's legacy default dim for softmax-likes called with dim=None."""
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax(-x) along dim (dtype casts the input first, as PyTorch)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if dtype is not None:
        x = x.astype(dtype)
    return act.softmin(x, _implicit_dim(x.ndim) if dim is None else dim)

