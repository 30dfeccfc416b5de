"""Fashion-MNIST (Zalando's clothing images, MNIST's IDX format and sizes) as an `MNIST` subclass.

The MD5s are torchvision's, which are of the published `.gz` files (`md5_of = "gz"`).
Files are looked for in `root`, else `$TRACEGRAD_DATA/fashion-mnist`, else
`~/.cache/tracegrad/fashion-mnist`; `$TRACEGRAD_FASHION_MNIST_MIRROR` overrides the mirrors.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .mnist import MNIST

__all__ = ["FashionMNIST"]


class FashionMNIST(MNIST):
    """Fashion-MNIST: `ds[i] == (image float32 (1, 28, 28) in [0, 1], label int)`, as `MNIST`."""

    resources: ClassVar[dict[bool, tuple[tuple[str, str], tuple[str, str]]]] = {
        True: (
            ("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
        ),
        False: (
            ("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
            ("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
        ),
    }
    md5_of: ClassVar[str] = "gz"
    mirror_env: ClassVar[str] = "TRACEGRAD_FASHION_MNIST_MIRROR"
    mirrors: ClassVar[list[str]] = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    classes: ClassVar[list[str]] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(
            root,
            train=train,
            download=download,
            transform=transform,
            target_transform=target_transform,
        )

    @classmethod
    def _default_root(cls) -> Path:
        env = os.environ.get("TRACEGRAD_DATA")
        base = Path(env).expanduser() if env else Path.home() / ".cache" / "tracegrad"
        return base / "fashion-mnist"
