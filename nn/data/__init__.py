"""Datasets and batching: `Dataset`, `DataLoader`, `random_split`, `MNIST`, `Spiral`, transforms.

>>> from nn.data import DataLoader, Spiral
>>> xb, tb = next(iter(DataLoader(Spiral(), batch_size=32, shuffle=True, seed=0)))
"""

from . import transforms
from .dataset import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
    train_val_split,
)
from .mnist import MNIST, IDXError, parse_idx, read_idx
from .spiral import Spiral, make_spiral

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IDXError",
    "MNIST",
    "Spiral",
    "Subset",
    "TensorDataset",
    "default_collate",
    "make_spiral",
    "parse_idx",
    "random_split",
    "read_idx",
    "train_val_split",
    "transforms",
]
