"""The input check every `nn.models` class runs at `forward` entry."""

from __future__ import annotations

from autograd.errors import ShapeError
from autograd.tensor import Tensor


def check_image_input(model: str, x: Tensor, channels: int, size: int, remedy: str) -> None:
    """ShapeError naming the model, the expected (N, C, H, W) and how to fix the input."""
    if x.ndim != 4 or x.shape[1] != channels or x.shape[2:] != (size, size):
        raise ShapeError(
            f"{model}: expected input of shape (N, {channels}, {size}, {size}); got "
            f"{tuple(x.shape)} ({remedy})"
        )
