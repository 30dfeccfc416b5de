"""`ag.save` / `ag.load` (PyTorch's `torch.save` / `torch.load` spellings) for state dicts.

They are `nn.save` / `nn.load`: the file is tracegrad's checkpoint format (.npz arrays + a
JSON manifest, never pickle) whatever the suffix, so `ag.save(sd, "mnist_cnn.pt")` writes
that format under the name given; PyTorch cannot read it, and `ag.load` reads no pickles.
"""

from __future__ import annotations

import os
from typing import Any


def save(obj: Any, f: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write the state dict `obj` to path `f` (see `nn.save`; no pickle)."""
    from nn.serialization import save as _save  # nn imports autograd: resolved at call

    _save(obj, f, **kwargs)


def load(f: str | os.PathLike[str], map_location: Any = None, weights_only: bool = True) -> Any:
    """Read a checkpoint written by `save` (see `nn.load`); `map_location` must be None or
    the CPU, and only `weights_only=True` (no pickle) is supported."""
    from nn.serialization import load as _load

    if map_location not in (None, "cpu") and getattr(map_location, "type", None) != "cpu":
        raise RuntimeError(f"ag.load: map_location {map_location!r}: only the CPU exists")
    if not weights_only:
        raise ValueError("ag.load: weights_only=False (unpickling) is not supported")
    return _load(f)
