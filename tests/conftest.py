"""Shared test setup: every test starts from the same seeds (as HIPS autograd's conftest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import autograd as ag

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


@pytest.fixture(autouse=True)
def _seed() -> None:
    ag.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def mnist_dir() -> Path:
    """The shared genuine MNIST files; skips when they are not beside the repository."""
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST files not found in {MNIST_DIR}")
    return MNIST_DIR
