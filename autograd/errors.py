"""The typed errors every op raises, and the one wording they share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ShapeError(ValueError, RuntimeError):
    """Operands have shapes an op cannot combine (raised before any compute).

    Also a RuntimeError, which is what PyTorch raises for the same mistake, so `except
    RuntimeError` written for PyTorch catches it.
    """


class DTypeError(TypeError, RuntimeError):
    """An operand has a dtype an op or a gradient cannot use (also a RuntimeError, as torch)."""


def describe(x: object) -> str:
    """Short `dtype (shape)` description of an array-like, for error messages."""
    if x is None:
        return "None"
    data = x if isinstance(x, np.ndarray) else getattr(x, "data", x)
    if isinstance(data, np.ndarray):
        return f"{data.dtype} {tuple(data.shape)}"
    return type(x).__name__


def format_shapes(shapes: Sequence[tuple[int, ...]]) -> str:
    """Join shapes as `(2, 3), (4,)` for messages."""
    return ", ".join(str(tuple(s)) for s in shapes)
