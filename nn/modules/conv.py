"""`Conv1d`, `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d` on the Numba conv kernels, with
PyTorch's options, parameter shapes, initialization and `repr`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.tensor import Tensor, get_default_dtype
from nn import functional as F
from nn import init
from nn._functional.conv import PADDING_MODES, pad_nd
from nn.module import Module
from nn.parameter import Parameter


class _ConvNd(Module):
    _n = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        output_padding: Any = 0,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"both be divisible by groups ({groups})"
            )
        allowed = ("zeros",) if self._transposed else PADDING_MODES
        if padding_mode not in allowed:
            raise ValueError(f"{name}: padding_mode must be one of {allowed}; got "
                             f"{padding_mode!r}")
        if isinstance(padding, str) and (self._transposed or padding not in ("valid", "same")):
            raise ValueError(f"{name}: padding must be 'valid', 'same' or ints; got {padding!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._ntuple(kernel_size, n, name, "kernel_size")
        self.stride = F._ntuple(stride, n, name, "stride")
        self.padding = padding if isinstance(padding, str) else F._ntuple(padding, n, name,
                                                                          "padding")
        self.dilation = F._ntuple(dilation, n, name, "dilation")
        self.output_padding = F._ntuple(output_padding, n, name, "output_padding")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
        self.groups = groups
        self.padding_mode = padding_mode
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        self.bias = Parameter(np.empty((out_channels,), dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's defaults: kaiming-uniform(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * int(np.prod(self.kernel_size))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _check(self, x: Tensor) -> None:
        n = self._n + 2
        if x.ndim == n and x.shape[1] != self.in_channels:
            raise ShapeError(
                f"{type(self).__name__}: expected input with {self.in_channels} channels; got "
                f"shape {tuple(x.shape)}"
            )

    def _mode_padded(self, x: Tensor) -> tuple[Tensor, Any]:
        """For padding_mode other than zeros: x padded by that mode, and padding 0."""
        if self.padding_mode == "zeros":
            return x, self.padding
        if self.padding == "valid":
            return x, 0
        pads: list[int] = []
        for i in range(self._n):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                pads += [total // 2, total - total // 2]
            else:
                pads += [self.padding[i], self.padding[i]]
        return pad_nd(x, tuple(pads), self.padding_mode, type(self).__name__), 0

    def extra_repr(self) -> str:
        n = self._n
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W); weight (out, in/groups, kh, kw) as PyTorch."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
        padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
        padding_mode: str = "zeros", dtype: Any = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        x, p = self._mode_padded(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, p, self.dilation, self.groups)


class Conv1d(Conv2d):
    """1-D convolution over (N, C, L); weight (out, in/groups, k) as PyTorch."""

    _n = 1

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        x, p = self._mode_padded(x)
        return F.conv1d(x, self.weight, self.bias, self.stride, p, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the adjoint of Conv2d); weight (in, out/groups, kh, kw)."""

    _transposed = True

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
        padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
        dilation: Any = 1, padding_mode: str = "zeros", dtype: Any = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype)

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        if output_size is None:
            return self.output_padding
        n = self._n
        want = tuple(int(v) for v in tuple(output_size)[-n:])
        base = [(x.shape[2 + i] - 1) * self.stride[i] - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1) + 1 for i in range(n)]
        extra = tuple(w - b for w, b in zip(want, base, strict=True))
        if any(not 0 <= e < s for e, s in zip(extra, self.stride, strict=True)):
            raise ValueError(f"{type(self).__name__}: output_size {want} is not reachable from "
                             f"input {tuple(x.shape)} (sizes {tuple(base)} to "
                             f"{tuple(b + s - 1 for b, s in zip(base, self.stride, strict=True))})")
        return extra

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        self._check(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups,
                                  self.dilation)


class ConvTranspose1d(ConvTranspose2d):
    """Transposed 1-D convolution over (N, C, L); weight (in, out/groups, k)."""

    _n = 1

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        self._check(x)
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups,
                                  self.dilation)
