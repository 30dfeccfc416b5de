"""`AlexNet` sized for small inputs (e.g. 32x32 CIFAR-style images)."""

from __future__ import annotations

from autograd.tensor import Tensor
from nn.models._check import check_image_input
from nn.module import Module, Sequential
from nn.modules.activation import ReLU
from nn.modules.conv import Conv2d
from nn.modules.dropout import Dropout
from nn.modules.linear import Flatten, Linear
from nn.modules.normalization import LocalResponseNorm
from nn.modules.pooling import MaxPool2d


class AlexNet(Module):
    """Krizhevsky et al. 2012's five conv layers (with LRN after the first two) and three
    fully connected ones, with 3x3/5x5 stride-1 kernels and 2x2 pools for small images.

    `width` scales every channel count (1.0: 64-192-384-256-256), `hidden` the two fully
    connected layers; `input_size` must be divisible by 8.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        input_size: int = 32,
        width: float = 1.0,
        hidden: int = 1024,
        dropout: float = 0.5,
        lrn: bool = True,
    ) -> None:
        super().__init__()
        if input_size % 8 or input_size < 8:
            raise ValueError(
                f"AlexNet: input_size must be a positive multiple of 8; got {input_size}"
            )
        c1, c2, c3, c4, c5 = (max(1, round(c * width)) for c in (64, 192, 384, 256, 256))

        def norm() -> list:
            return [LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] if lrn else []

        self.features = Sequential(
            Conv2d(in_channels, c1, 3, padding=1), ReLU(), *norm(), MaxPool2d(2),
            Conv2d(c1, c2, 5, padding=2), ReLU(), *norm(), MaxPool2d(2),
            Conv2d(c2, c3, 3, padding=1), ReLU(),
            Conv2d(c3, c4, 3, padding=1), ReLU(),
            Conv2d(c4, c5, 3, padding=1), ReLU(), MaxPool2d(2),
        )
        side = input_size // 8
        self.flatten = Flatten()
        self.in_channels, self.input_size = in_channels, input_size
        self.classifier = Sequential(
            Dropout(dropout), Linear(c5 * side * side, hidden), ReLU(),
            Dropout(dropout), Linear(hidden, hidden), ReLU(),
            Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        s = self.input_size
        check_image_input("AlexNet", x, self.in_channels, s,
                          f"resize the images to {s}x{s} or build the model with input_size="
                          f"{x.shape[-1] if x.ndim == 4 else '...'}")
        return self.classifier(self.flatten(self.features(x)))
