"""Ready-made datasets under torchvision's namespace: `from nn.data import datasets`."""

from .cifar import CIFAR10
from .fashion_mnist import FashionMNIST
from .mnist import MNIST
from .spiral import Spiral

__all__ = ["CIFAR10", "FashionMNIST", "MNIST", "Spiral"]
