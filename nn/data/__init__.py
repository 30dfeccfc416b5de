"""Datasets and batching (PyTorch's `torch.utils.data` and torchvision names): `Dataset`,
`IterableDataset`, samplers, `DataLoader` (worker processes too), `random_split`, `MNIST`,
`FashionMNIST`, `CIFAR10`,
`Spiral`, `transforms`, `datasets`.

>>> from nn.data import DataLoader, Spiral
>>> xb, tb = next(iter(DataLoader(Spiral(), batch_size=32, shuffle=True, seed=0)))
"""

from . import datasets, transforms
from ._worker import WorkerInfo, get_worker_info
from .cifar import CIFAR10, CIFARError
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
    train_val_split,
)
from .fashion_mnist import FashionMNIST
from .mnist import MNIST, IDXError, parse_idx, read_idx
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .spiral import Spiral, make_spiral

__all__ = [
    "BatchSampler",
    "CIFAR10",
    "CIFARError",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "FashionMNIST",
    "IDXError",
    "IterableDataset",
    "MNIST",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Spiral",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "datasets",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "make_spiral",
    "parse_idx",
    "random_split",
    "read_idx",
    "train_val_split",
    "transforms",
]
