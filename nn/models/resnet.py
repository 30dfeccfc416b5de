"""`ResNet18` / `ResNet34`, the CIFAR variant (3x3 stem, no max pool) of He et al. 2016 with
torchvision's module names (`conv1`, `bn1`, `layer1.0.conv1`, `layer1.0.downsample.0`, `fc`),
so state dicts port to and from a PyTorch model of the same layout unrenamed."""

from __future__ import annotations

from autograd.tensor import Tensor
from nn import functional as F
from nn.models._check import check_image_input
from nn.module import Module, Sequential
from nn.modules.conv import Conv2d
from nn.modules.linear import Linear
from nn.modules.normalization import BatchNorm2d
from nn.modules.pooling import AdaptiveAvgPool2d


class BasicBlock(Module):
    """Two 3x3 conv-BN layers and a skip connection (1x1 conv-BN when the shape changes)."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(planes)
        self.conv2 = Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = Sequential(
                Conv2d(in_planes, planes, 1, stride=stride, bias=False), BatchNorm2d(planes)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(out + skip)


class ResNet(Module):
    """CIFAR ResNet: 3x3 stem conv 64, four stages of BasicBlocks (64, 128, 256, 512 channels,
    stride 2 from the second stage), global average pool, Linear to `num_classes`."""

    def __init__(
        self, layers: tuple[int, int, int, int], num_classes: int = 10, in_channels: int = 3,
        input_size: int = 32,
    ) -> None:
        super().__init__()
        if input_size < 8:
            raise ValueError(f"{type(self).__name__}: input_size must be >= 8; got {input_size}")
        self.in_channels = in_channels
        self.input_size = input_size
        self.conv1 = Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = BatchNorm2d(64)
        planes = 64
        for i, (width, n) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            stride = 1 if i == 0 else 2
            blocks = [BasicBlock(planes, width, stride)]
            blocks += [BasicBlock(width, width) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", Sequential(*blocks))
            planes = width
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        s = self.input_size
        check_image_input(type(self).__name__, x, self.in_channels, s,
                          f"CIFAR-style {s}x{s} images; resize the images or pass "
                          f"input_size/in_channels to the model")
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.fc(self.avgpool(out).flatten(1))


class ResNet18(ResNet):
    """ResNet-18 (2, 2, 2, 2 BasicBlocks), CIFAR variant."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, input_size: int = 32) -> None:
        super().__init__((2, 2, 2, 2), num_classes, in_channels, input_size)


class ResNet34(ResNet):
    """ResNet-34 (3, 4, 6, 3 BasicBlocks), CIFAR variant."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, input_size: int = 32) -> None:
        super().__init__((3, 4, 6, 3), num_classes, in_channels, input_size)
