"""PyTorch's `torch.nn.utils`: gradient clipping and parameter/vector conversion.

`nn.utils.rnn` (sequence packing) is a submodule of its own, imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

_SUBMODULES = ("rnn",)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"nn.utils.{name}")
    raise AttributeError(f"module 'nn.utils' has no attribute {name!r}")


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
