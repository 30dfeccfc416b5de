"""Ready-made datasets under torchvision's namespace: `from nn.data import datasets`."""

from .mnist import MNIST
from .spiral import Spiral

__all__ = ["MNIST", "Spiral"]
