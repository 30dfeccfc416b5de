"""Pooling layers: `MaxPool1d/2d`, `AvgPool1d/2d`, `MaxUnpool2d` and the adaptive pools,
holding PyTorch's options (stored as given, so `repr` matches PyTorch's)."""

from __future__ import annotations

from typing import Any

from autograd.tensor import Tensor
from nn import functional as F
from nn.module import Module


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over windows of (N, C, H, W); stride defaults to kernel_size."""

    def forward(self, x: Tensor) -> Any:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """Max over windows of the last dim of (N, C, L)."""

    def forward(self, x: Tensor) -> Any:
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class _WindowPool(Module):
    """Base of the windowed pools whose repr shows kernel_size, stride and padding."""

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(_WindowPool):
    """Options shared by AvgPool1d/2d, stored as given; stride defaults to kernel_size."""

    def __init__(
        self, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
        count_include_pad: bool,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of (N, C, H, W); stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of the last dim of (N, C, L)."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        def one(value: Any, name: str) -> tuple:
            return F._ntuple(value, 1, "AvgPool1d", name)

        super().__init__(
            one(kernel_size, "kernel_size"), None if stride is None else one(stride, "stride"),
            one(padding, "padding"), ceil_mode, count_include_pad,
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class MaxUnpool2d(_WindowPool):
    """Inverse of MaxPool2d given its indices: values back at their positions, zeros else."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = F._ntuple(kernel_size, 2, "MaxUnpool2d", "kernel_size")
        self.stride = self.kernel_size if stride is None else F._ntuple(
            stride, 2, "MaxUnpool2d", "stride")
        self.padding = F._ntuple(padding, 2, "MaxUnpool2d", "padding")

    def forward(self, x: Tensor, indices: Any, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class _AdaptivePool(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over PyTorch's adaptive windows to an (out_h, out_w) output."""

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Mean over PyTorch's adaptive windows of the last dim."""

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max over PyTorch's adaptive windows (optionally with the flat indices)."""

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max over PyTorch's adaptive windows of the last dim."""

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices)
