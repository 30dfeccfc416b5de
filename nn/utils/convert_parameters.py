"""`parameters_to_vector` / `vector_to_parameters`: all parameters as one flat vector and
back (PyTorch's `torch.nn.utils`), e.g. for second-order or evolutionary optimizers."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from autograd import mode
from autograd.errors import ShapeError
from autograd.ops.shape import concatenate, reshape
from autograd.tensor import Tensor


def _as_list(parameters: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        raise TypeError(f"{fn}: expected an iterable of Tensors, got a single Tensor")
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameter {i} is a {type(p).__name__}, not a Tensor")
    return params


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Every parameter flattened and joined into one 1-D Tensor (differentiable)."""
    params = _as_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return concatenate([reshape(p, shape=(-1,)) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got {type(vec)}")
    params = _as_list(parameters, "vector_to_parameters")
    total = sum(p.data.size for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ShapeError(
            f"vector_to_parameters: vec has shape {vec.shape}; expected ({total},), the "
            "parameters' total size"
        )
    start = 0
    with mode.no_grad():
        for p in params:
            n = p.data.size
            p.copy_(np.reshape(vec.data[start : start + n], p.shape))
            start += n
