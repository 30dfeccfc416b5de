"""`Conv2d` on the Numba conv kernels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.tensor import Tensor, get_default_dtype
from nn import functional as F
from nn import init
from nn.module import Module
from nn.parameter import Parameter


class Conv2d(Module):
    """2-D convolution over (N, C, H, W); weight (out, in/groups, kh, kw) as PyTorch."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: F.IntPair,
        stride: F.IntPair = 1,
        padding: F.IntPair | str = 0,
        dilation: F.IntPair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"both be divisible by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise ValueError(
                f"Conv2d: only padding_mode='zeros' is supported; got {padding_mode!r}"
            )
        if isinstance(padding, str) and padding not in ("valid", "same"):
            raise ValueError(f"Conv2d: padding must be 'valid', 'same' or ints; got {padding!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._pair(kernel_size, "Conv2d", "kernel_size")
        self.stride = F._pair(stride, "Conv2d", "stride")
        self.padding = (
            padding if isinstance(padding, str) else F._pair(padding, "Conv2d", "padding")
        )
        self.dilation = F._pair(dilation, "Conv2d", "dilation")
        if isinstance(padding, str) and padding == "same" and self.stride != (1, 1):
            raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
        self.groups = groups
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        self.bias = Parameter(np.empty((out_channels,), dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's defaults: kaiming-uniform(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 4 and x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d: expected input with {self.in_channels} channels (N, C, H, W); got "
                f"shape {x.shape}"
            )
        return F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else (
                f", padding={self.padding}"
            )
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
