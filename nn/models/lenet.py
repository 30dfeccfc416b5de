"""`LeNet5`: LeCun et al. 1998's layout (32x32 input, 5x5 convolutions, subsampling,
120-84-10 fully connected)."""

from __future__ import annotations

from collections import OrderedDict

from autograd.tensor import Tensor
from nn.models._check import check_image_input
from nn.module import Module, Sequential
from nn.modules.activation import ReLU, Tanh
from nn.modules.conv import Conv2d
from nn.modules.linear import Flatten, Linear
from nn.modules.pooling import AvgPool2d, MaxPool2d


class LeNet5(Module):
    """C1 conv 6@5x5 -> S2 pool 2 -> C3 conv 16@5x5 -> S4 pool 2 -> F5 120 -> F6 84 -> 10.

    `classic=True` uses tanh and average pooling (the 1998 subsampling without its trainable
    coefficients); the default is ReLU and max pooling, which trains faster. The default
    `input_size=28` runs on MNIST as is: C1 pads by 2, as the common modern layouts do;
    `input_size=32` keeps the 1998 layout (unpadded C1 on 32x32 images); other sizes
    convolve unpadded.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        classic: bool = False,
        input_size: int = 28,
    ) -> None:
        super().__init__()
        pad = 2 if input_size == 28 else 0
        side = ((input_size + 2 * pad - 4) // 2 - 4) // 2
        if side < 1:
            raise ValueError(f"LeNet5: input_size {input_size} is too small (needs >= 16)")
        act = Tanh if classic else ReLU
        pool = AvgPool2d if classic else MaxPool2d
        self.classic = classic
        self.in_channels, self.input_size = in_channels, input_size
        self.features = Sequential(
            Conv2d(in_channels, 6, 5, padding=pad), act(), pool(2), Conv2d(6, 16, 5), act(), pool(2)
        )
        self.flatten = Flatten()
        self.classifier = Sequential(
            OrderedDict(
                fc1=Linear(16 * side * side, 120),
                act1=act(),
                fc2=Linear(120, 84),
                act2=act(),
                fc3=Linear(84, num_classes),
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        s = self.input_size
        other = 32 if s == 28 else 28
        check_image_input("LeNet5", x, self.in_channels, s,
                          f"for {other}x{other} images build LeNet5(input_size={other})")
        return self.classifier(self.flatten(self.features(x)))
