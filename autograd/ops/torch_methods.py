"""Tensor methods with PyTorch's signatures for the shape, index, mask and movement ops.

Registered once at import (a plain function is a descriptor, so it binds as a method).
`transpose` with two ints, `squeeze(dim)`, `split` and `view(*shape)` follow torch here,
while the functions `ag.transpose/squeeze/split` keep NumPy's meaning for NumPy-style calls.
"""

from __future__ import annotations

from typing import Any

from autograd.ops import dims, index, movement
from autograd.ops import shape as sh
from autograd.tensor import Tensor


def _transpose(self: Tensor, *axes: Any) -> Tensor:
    """transpose(d0, d1) swaps two dims (torch); transpose() / transpose((1, 0, 2)) as NumPy."""
    return dims.transpose(self, *axes)


def _squeeze(self: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """torch's squeeze: all size-1 dims, or those named (a non-1 dim is left as it is)."""
    return dims.squeeze_dims(self, axis if dim is None else dim)


def _split(self: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """torch's split: an int is the size of each piece, a list gives the sizes."""
    return dims.split_torch(self, split_size_or_sections, dim)


def _where(self: Tensor, condition: Any, y: Any) -> Tensor:
    """torch's x.where(cond, y) = where(cond, x, y)."""
    return index.where(condition, self, y)


def _expand_dims(self: Tensor, axis: Any) -> Tensor:
    return sh.expand_dims(self, axis)


def _broadcast_to(self: Tensor, *shape: Any) -> Tensor:
    return sh.broadcast_to(self, shape=dims.sizes_arg(shape))


_METHODS: dict[str, Any] = {
    "reshape": dims.view,
    "view": dims.view,
    "view_as": dims.view_as,
    "reshape_as": dims.view_as,
    "transpose": _transpose,
    "permute": dims.permute,
    "swapaxes": dims.swapaxes,
    "swapdims": dims.swapaxes,
    "movedim": dims.movedim,
    "moveaxis": dims.movedim,
    "t": dims.t,
    "expand": dims.expand,
    "expand_as": dims.expand_as,
    "broadcast_to": _broadcast_to,
    "repeat": dims.repeat,
    "tile": lambda self, *reps: dims.tile(self, dims.sizes_arg(reps)),
    "unsqueeze": dims.unsqueeze,
    "expand_dims": _expand_dims,
    "squeeze": _squeeze,
    "flatten": dims.flatten,
    "unflatten": dims.unflatten,
    "narrow": dims.narrow,
    "chunk": dims.chunk,
    "split": _split,
    "unbind": dims.unbind,
    "masked_fill": index.masked_fill,
    "masked_select": index.masked_select,
    "tril": index.tril,
    "triu": index.triu,
    "where": _where,
    "nonzero": index.nonzero,
    "argwhere": index.argwhere,
    "gather": index.gather,
    "scatter": index.scatter,
    "scatter_add": index.scatter_add,
    "scatter_reduce": index.scatter_reduce,
    "index_select": index.index_select,
    "index_add": index.index_add,
    "index_fill": index.index_fill,
    "take_along_dim": index.take_along_dim,
    "flip": lambda self, *ds: movement.flip(self, dims.sizes_arg(ds)),
    "fliplr": movement.fliplr,
    "flipud": movement.flipud,
    "roll": movement.roll,
    "repeat_interleave": movement.repeat_interleave,
    "diag": movement.diag,
    "diagonal": movement.diagonal,
    "diag_embed": movement.diag_embed,
    "trace": movement.trace,
    "unfold": movement.unfold,
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.mT = property(dims.matrix_transpose, doc="The last two dims swapped (torch's x.mT).")
