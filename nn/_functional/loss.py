"""What every loss of `nn.functional` does first and last: its arguments as Tensors, the
reduction resolved (PyTorch's legacy `size_average=` / `reduce=` flags mapped onto
`reduction=`) and checked, input and target of one shape; then the reduction applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import DTypeError, ShapeError
from autograd.ops import elementwise as ew
from autograd.tensor import Tensor
from nn._functional.common import as_tensor

REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated flags: both unset keeps `reduction`.

    A string in a flag's position is a `reduction` passed positionally (a silent "mean" in
    PyTorch): raise instead.
    """
    for flag in (size_average, reduce):
        if isinstance(flag, str):
            raise TypeError(
                f"reduction {flag!r} was passed positionally into the legacy size_average/"
                f"reduce slot (PyTorch's order); pass reduction={flag!r} by keyword"
            )
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def resolve_reduction(
    fn: str, reduction: str, size_average: bool | None = None, reduce: bool | None = None,
    allowed: Sequence[str] = REDUCTIONS,
) -> str:
    """The reduction a loss `fn` (function or module) runs with, ValueError if not `allowed`."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in allowed:
        raise ValueError(f"{fn}: reduction must be one of {tuple(allowed)}; got {reduction!r}")
    return reduction


def check_float(fn: str, **tensors: Tensor | None) -> None:
    """DTypeError naming `fn` and the argument unless each given tensor is floating."""
    for name, t in tensors.items():
        if t is not None and t.data.dtype.kind != "f":
            raise DTypeError(f"{fn}: {name} must be a floating tensor; got {t.data.dtype}")


def loss_args(
    fn: str, tensors: Sequence[Any], reduction: str, size_average: bool | None = None,
    reduce: bool | None = None, *, same_shape: bool = True, floats: bool = False,
    allowed: Sequence[str] = REDUCTIONS,
) -> tuple[Any, ...]:
    """The prologue of loss `fn`: `(*tensors as Tensors, reduction)`, the reduction resolved
    and checked, the first two tensors (input, target) of one shape when `same_shape`, and
    floating when `floats`."""
    ts = tuple(as_tensor(t) for t in tensors)
    reduction = resolve_reduction(fn, reduction, size_average, reduce, allowed)
    if floats:
        check_float(fn, input=ts[0], target=ts[1])
    if same_shape and ts[0].shape != ts[1].shape:
        raise ShapeError(
            f"{fn}: target shape {ts[1].shape} must match input shape {ts[0].shape} "
            "(reshape one of them; silent broadcasting is a classic bug)"
        )
    return (*ts, reduction)


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """The elementwise `loss` reduced by an already checked `reduction`."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def const(value: float, like: Tensor) -> np.ndarray:
    """A Python number as a 0-d array of `like`'s dtype (keeps float32 float32)."""
    return np.asarray(value, dtype=like.dtype)


def clamp_min0(z: Tensor) -> Tensor:
    """max(z, 0) with PyTorch's `clamp_min` gradient: 1 at z == 0 (relu's is 0 there)."""
    return ew.where(z.data >= 0, z, 0.0)


def weighted(loss: Tensor, weight: Any) -> Tensor:
    """`loss` times `weight` when one is given."""
    return loss if weight is None else loss * as_tensor(weight)
