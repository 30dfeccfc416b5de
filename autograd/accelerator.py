"""PyTorch's accelerator queries (`torch.accelerator`, `torch.backends.mps`), answered for
tracegrad, which computes on the CPU only: nothing is available, so programs that probe for
a GPU (e.g. pytorch/examples' `mnist/main.py`) take their CPU path."""

from __future__ import annotations

from types import SimpleNamespace


def is_available() -> bool:
    """No accelerator (CUDA, MPS, XPU, ...) is ever available: always False."""
    return False


def current_accelerator(check_available: bool = False) -> None:
    """The current accelerator device: None, as PyTorch returns when there is none."""
    return


def device_count() -> int:
    """Number of accelerator devices: 0."""
    return 0


def _false() -> bool:
    return False


#: `ag.backends.mps.is_available()` / `.is_built()`: False (no Metal backend).
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_false, is_built=_false))
