"""Numba CPU kernels on plain ndarrays: matmul, conv2d, pooling (forward and backward)."""

from .conv import (
    conv2d_backward_bias,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    conv2d_output_shape,
)

__all__ = [
    "conv2d_backward_bias",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_forward",
    "conv2d_output_shape",
]
