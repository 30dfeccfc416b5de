"""`VGG` (Simonyan & Zisserman 2014) for small inputs: 3x3 conv stacks, 2x2 max pools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd.tensor import Tensor
from nn.models._check import check_image_input
from nn.module import Module, Sequential
from nn.modules.activation import ReLU
from nn.modules.conv import Conv2d
from nn.modules.dropout import Dropout
from nn.modules.linear import Flatten, Linear
from nn.modules.normalization import BatchNorm2d
from nn.modules.pooling import MaxPool2d

#: Channel counts per conv layer, "M" a 2x2 max pool (the paper's configurations A, B, D, E).
VGG_CONFIGS: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


class VGG(Module):
    """VGG from a named config ("vgg11", "vgg16", ...) or an explicit list like
    `[64, "M", 128, "M"]`; `width` scales channels, `batchnorm` adds BatchNorm2d after each
    conv, and the classifier is Linear(C*s*s, hidden) -> ReLU -> Dropout, twice, -> classes.
    """

    def __init__(
        self,
        config: str | Sequence[int | str] = "vgg11",
        num_classes: int = 10,
        in_channels: int = 3,
        input_size: int = 32,
        width: float = 1.0,
        batchnorm: bool = False,
        hidden: int = 512,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if isinstance(config, str):
            if config not in VGG_CONFIGS:
                raise ValueError(f"VGG: unknown config {config!r}; choose from {list(VGG_CONFIGS)}")
            config = VGG_CONFIGS[config]
        layers: list[Module] = []
        c, side = in_channels, input_size
        for item in config:
            if item == "M":
                if side < 2:
                    raise ValueError(f"VGG: input_size {input_size} is too small for {config}")
                layers.append(MaxPool2d(2))
                side //= 2
                continue
            out = max(1, round(int(item) * width))
            layers.append(Conv2d(c, out, 3, padding=1))
            if batchnorm:
                layers.append(BatchNorm2d(out))
            layers.append(ReLU())
            c = out
        self.features = Sequential(*layers)
        self.flatten = Flatten()
        self.in_channels, self.input_size = in_channels, input_size
        self.classifier = Sequential(
            Linear(c * side * side, hidden), ReLU(), Dropout(dropout),
            Linear(hidden, hidden), ReLU(), Dropout(dropout),
            Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        s = self.input_size
        check_image_input("VGG", x, self.in_channels, s,
                          f"resize the images to {s}x{s} or build the model with input_size="
                          f"{x.shape[-1] if x.ndim == 4 else '...'}")
        return self.classifier(self.flatten(self.features(x)))


def _factory(name: str) -> Any:
    def make(**kwargs: Any) -> VGG:
        return VGG(name, **kwargs)

    make.__name__ = name
    make.__doc__ = f"VGG with the {name} configuration (keyword arguments as `VGG`)."
    return make


vgg11 = _factory("vgg11")
vgg13 = _factory("vgg13")
vgg16 = _factory("vgg16")
vgg19 = _factory("vgg19")
