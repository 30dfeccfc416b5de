"""Norms with PyTorch's signatures (torch.linalg.vector_norm / matrix_norm / norm, Tensor.norm),
F.normalize and cdist, composed from reductions, so every order of gradient works.

Gradients at zero follow PyTorch: the 2-norm (and every p-norm) of a zero vector has
gradient 0, not NaN; the inf-norm shares its gradient evenly among ties.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.aliases import torch_names
from autograd.ops import elementwise as ew
from autograd.ops import reduce as rd
from autograd.ops.linalg_decomp import svdvals
from autograd.ops.shape import expand_dims, squeeze
from autograd.tensor import Tensor

Dim = int | tuple[int, ...] | list[int] | None


def _t(x: Any, dtype: Any = None) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x.astype(dtype) if dtype is not None else x


def _dims(dim: Dim) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def vector_norm(x: Any, ord: float = 2, dim: Dim = None, keepdim: bool = False,  # noqa: A002
                *, dtype: Any = None) -> Tensor:
    """sum(|x|^ord)^(1/ord) over `dim` (all by default); ord inf/-inf: max/min |x|;
    ord 0: the count of non-zeros."""
    x = _t(x, dtype)
    if x.data.dtype.kind != "f":
        from autograd.errors import DTypeError

        raise DTypeError(f"vector_norm: expected a floating tensor; got {x.data.dtype}")
    dim = _dims(dim)
    if ord == 2:
        return rd.norm(x, axis=dim, keepdims=keepdim)
    a = ew.absolute(x)
    if ord == math.inf:
        return rd.max(a, axis=dim, keepdims=keepdim)
    if ord == -math.inf:
        return rd.min(a, axis=dim, keepdims=keepdim)
    if ord == 0:
        count = np.count_nonzero(x.data, axis=dim, keepdims=keepdim).astype(x.data.dtype)
        return rd.sum(a * np.asarray(0.0, dtype=x.data.dtype), axis=dim, keepdims=keepdim) + count
    if ord == 1:
        return rd.sum(a, axis=dim, keepdims=keepdim)
    s = rd.sum(a ** float(ord), axis=dim, keepdims=keepdim)
    pos = s.data > 0
    return ew.where(pos, ew.where(pos, s, 1.0) ** (1.0 / float(ord)), 0.0)


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),  # noqa: N803, A002
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Frobenius, nuclear, 1/-1 (max/min column sum), inf/-inf (row sum), 2/-2 (largest /
    smallest singular value) norms over the two dims `dim`."""
    a = _t(A, dtype)
    if ord not in _MATRIX_ORDS:
        raise ValueError(f"matrix_norm: ord must be one of {_MATRIX_ORDS}; got {ord!r}")
    if len(dim) != 2 or a.ndim < 2:
        raise ValueError(f"matrix_norm: needs two dims of a tensor of rank >= 2; got dim={dim} "
                         f"for shape {a.shape}")
    for d in dim:
        if not -a.ndim <= d < a.ndim:
            raise IndexError(f"matrix_norm: dim {d} is out of range for rank {a.ndim}")
    d0, d1 = dim[0] % a.ndim, dim[1] % a.ndim
    if d0 == d1:
        raise ValueError(f"matrix_norm: dims must differ; got {dim}")
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(a.ndim) if i not in (d0, d1)]
        s = svdvals(a.transpose(rest + [d0, d1]))
        out = rd.sum(s, axis=-1) if ord == "nuc" else (rd.max if ord == 2 else rd.min)(s, axis=-1)
        return expand_dims(out, tuple(sorted((d0, d1)))) if keepdim else out
    inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)  # sum over rows for column norms
    sums = rd.sum(ew.absolute(a), axis=inner, keepdims=True)
    best = (rd.max if ord > 0 else rd.min)(sums, axis=outer, keepdims=True)
    return best if keepdim else squeeze(best, (d0, d1))


def norm(A: Any, ord: Any = None, dim: Dim = None, keepdim: bool = False,  # noqa: N803, A002
         *, dtype: Any = None) -> Tensor:
    """torch.linalg.norm: a vector norm for one dim (or a flattened input), a matrix norm
    for two."""
    a = _t(A, dtype)
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(a, 2 if ord is None else ord, dims, keepdim)
        return matrix_norm(a, "fro" if ord is None else ord, dims, keepdim)  # type: ignore[arg-type]
    if ord is None:
        return vector_norm(a, 2, None, keepdim)
    if a.ndim == 1:
        return vector_norm(a, ord, None, keepdim)
    if a.ndim == 2:
        return matrix_norm(a, ord, (-2, -1), keepdim)
    raise ValueError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or "
                     f"2-D; got shape {a.shape}")


@torch_names
def tensor_norm(input: Any, p: Any = "fro", dim: Dim = None, keepdim: bool = False,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """Tensor.norm / torch.norm: p "fro" (2-norm of the entries), "nuc", or a number."""
    x = _t(input, dtype)
    if p == "nuc":
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)
    if p == "fro":
        return vector_norm(x, 2, dim, keepdim)
    return vector_norm(x, float(p), dim, keepdim)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out: Any = None) -> Tensor:
    """x / max(||x||_p, eps) along `dim` (F.normalize)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported (tracegrad tensors are immutable "
                        "results); use the return value")
    x = _t(input)
    return x / ew.clip(vector_norm(x, p, dim, keepdim=True), a_min=eps)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str = "") -> Tensor:
    """Pairwise p-norm distances between the rows of x1 (*, P, M) and x2 (*, R, M) ->
    (*, P, R); the gradient at zero distance is 0 (as torch)."""
    a, b = _t(x1), _t(x2)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        from autograd.errors import ShapeError

        raise ShapeError(f"cdist: x1 {a.shape} and x2 {b.shape} must be (*, P, M) and "
                         "(*, R, M) with the same M")
    diff = expand_dims(a, -2) - expand_dims(b, -3)
    return vector_norm(diff, p, -1)
