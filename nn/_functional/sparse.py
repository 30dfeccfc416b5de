"""`embedding`: rows of a weight table picked by integer indices (PyTorch's `F.embedding`)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import DTypeError, ShapeError
from autograd.ops.shape import index_add_zeros
from autograd.registry import primitive
from autograd.tensor import Tensor
from nn._functional.common import as_tensor


@primitive("embedding", saves=("inputs",))
def _embedding(weight: np.ndarray, *, indices: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """weight[indices]; the VJP scales each looked-up row's gradient by `scale` (0 at
    padding_idx, 1/count with scale_grad_by_freq) before adding it into its row."""
    return weight[indices]


_embedding.defvjp(
    lambda g, ans, weight, indices, scale: index_add_zeros(
        g * Tensor(scale[..., None].astype(g.dtype)), shape=weight.shape, index=indices
    )
)


def embedding(
    x: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of `weight` (num_embeddings, dim) at the integer indices `x`.

    `padding_idx` rows get no gradient; `max_norm` renormalizes the looked-up rows in place
    (unrecorded, as PyTorch); `scale_grad_by_freq` divides each row's gradient by its count in
    the batch. `sparse=True` is accepted and gives the same (dense) gradient.
    """
    idx = x.data if isinstance(x, Tensor) else np.asarray(x)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"embedding: indices must be integers; got {idx.dtype}")
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim); got "
                         f"{weight.shape}")
    num = weight.shape[0]
    bad = (idx < 0) | (idx >= num)
    if np.any(bad):
        raise IndexError(f"embedding: index {int(idx[bad].flat[0])} is out of range for "
                         f"num_embeddings={num} (valid: 0..{num - 1})")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"num_embeddings={num}")
        padding_idx %= num
    idx = idx.astype(np.int64, copy=False)  # the input array itself when int64 (ag.compile)
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), float(max_norm), float(norm_type))
    scale = np.ones(idx.shape)
    if scale_grad_by_freq:
        uniq, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        scale = 1.0 / counts[inverse.reshape(idx.shape)]
    if padding_idx is not None:
        scale = np.where(idx == padding_idx, 0.0, scale)
    return _embedding(weight, indices=idx, scale=scale)


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, p: float) -> None:
    with ag.no_grad():
        data = weight.data.copy()
        norms = np.linalg.norm(data[rows], ord=p, axis=1)
        over = norms > max_norm
        data[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None]
        weight.copy_(data)

