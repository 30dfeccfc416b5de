"""PyTorch's dtype and device names: `ag.float32`... are NumPy dtypes; `ag.device("cpu")`.

tracegrad computes on the CPU only: any other device raises naming it.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float = float32  # noqa: A001 - torch's alias names
double = float64
half = float16
long = int64
int = int32  # noqa: A001


class device:  # noqa: N801 - torch's name
    """A device; only `device("cpu")` exists (`.type == "cpu"`, `.index is None`)."""

    __slots__ = ("type", "index")

    def __init__(self, spec: Any, index: Any = None) -> None:
        if isinstance(spec, device):
            spec = spec.type
        name = str(spec).split(":")[0]
        if name != "cpu":
            raise RuntimeError(f"tracegrad runs on the CPU only; got device {str(spec)!r}")
        self.type = "cpu"
        self.index = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (device, str)) and str(other).split(":")[0] == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"


CPU = device("cpu")


def set_default_device(spec: Any) -> None:
    """Accepts only "cpu" (the one device), as a script written for torch may call it."""
    device(spec)


cuda = types.ModuleType(
    "autograd.cuda",
    "CUDA stand-in: tracegrad runs on the CPU only (NumPy and Numba kernels), so no GPU is "
    "ever available and `ag.cuda.is_available()` is False.",
)
cuda.is_available = lambda: False  # type: ignore[attr-defined]
cuda.device_count = lambda: 0  # type: ignore[attr-defined]


def as_dtype(spec: Any) -> np.dtype:
    """A NumPy dtype from a dtype spelling; float16 raises (tracegrad does not compute in it)."""
    dt = np.dtype(spec)
    if dt == float16:
        raise TypeError(
            "float16 (half) tensors are not supported: tracegrad computes in float32/float64"
        )
    return dt
