"""`MaxPool2d` and `AvgPool2d`."""

from __future__ import annotations

from autograd.tensor import Tensor
from nn import functional as F
from nn.module import Module


class _Pool2d(Module):
    def __init__(
        self, kernel_size: F.IntPair, stride: F.IntPair | None = None, padding: F.IntPair = 0
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = F._pair(kernel_size, name, "kernel_size")
        self.stride = self.kernel_size if stride is None else F._pair(stride, name, "stride")
        self.padding = F._pair(padding, name, "padding")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over windows of (N, C, H, W); stride defaults to kernel_size."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over windows of (N, C, H, W); stride defaults to kernel_size."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)
