"""Ready-made networks: `MLP`, `LeNet5`, `AlexNet`, `VGG`, `ResNet18`/`ResNet34` (sized for
small inputs)."""

from .alexnet import AlexNet
from .lenet import LeNet5
from .mlp import MLP
from .resnet import BasicBlock, ResNet, ResNet18, ResNet34
from .transformer_lm import TransformerLM
from .vgg import VGG, VGG_CONFIGS, vgg11, vgg13, vgg16, vgg19
