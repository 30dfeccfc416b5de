"""Channel dropout (`dropout1d`, `dropout2d`) and SELU's `alpha_dropout`; masks come from
`ag.get_generator()`."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.random import get_generator
from autograd.tensor import Tensor
from nn._functional.common import as_tensor, check_ndim

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_p(fn: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p}")


def _channel_dropout(x: Tensor, p: float, training: bool, spatial: int) -> Tensor:
    if not training or p == 0.0:
        return x
    mask_shape = x.shape[: x.ndim - spatial] + (1,) * spatial
    keep = get_generator().random(mask_shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * Tensor((keep * scale).astype(x.dtype))


def dropout1d(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) / (C, L) with probability p, scale the rest."""
    _check_p("dropout1d", p)
    x = as_tensor(x)
    check_ndim("dropout1d", x, (2, 3), "(N, C, L) or (C, L)")
    return _channel_dropout(x, p, training, 1)


def dropout2d(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) / (C, H, W) with probability p, scale the rest."""
    _check_p("dropout2d", p)
    x = as_tensor(x)
    check_ndim("dropout2d", x, (3, 4), "(N, C, H, W) or (C, H, W)")
    return _channel_dropout(x, p, training, 2)


def alpha_dropout(x: Any, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU nets: dropped units take SELU's negative saturation and an affine
    map restores zero mean and unit variance (PyTorch's constants)."""
    _check_p("alpha_dropout", p)
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros((), dtype=x.dtype)
    alpha = _SELU_ALPHA * _SELU_SCALE
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    keep = (get_generator().random(x.shape) >= p).astype(x.dtype)
    mul = Tensor((keep * a).astype(x.dtype))
    add = Tensor(((keep - 1) * alpha * a + alpha * a * p).astype(x.dtype))
    return x * mul + add
