"""`nn.utils.clip_grad_norm_` / `clip_grad_value_` with PyTorch's signatures, on top of
`autograd.grad_clip` (one implementation, shared with `optim.fit` and `optim.clip_grad_norm_`)."""

from __future__ import annotations

from collections.abc import Iterable

from autograd import grad_clip as _clip
from autograd.tensor import Tensor


def _check_foreach(foreach: bool | None, fn: str) -> None:
    if foreach not in (None, True, False):
        raise TypeError(f"{fn}: foreach must be None or a bool; got {foreach!r}")


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so their joint norm is at most `max_norm`; returns the
    total norm before clipping as a 0-d Tensor. `foreach` (a CUDA fast path in PyTorch) is
    accepted and has no effect: every gradient is already scaled in one NumPy pass."""
    _check_foreach(foreach, "clip_grad_norm_")
    return _clip.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place (`foreach` as in
    `clip_grad_norm_`)."""
    _check_foreach(foreach, "clip_grad_value_")
    _clip.clip_grad_value_(parameters, clip_value)
