"""`LRScheduler`: the epoch counter, `step()`, `get_last_lr()` and state dicts (PyTorch rules)."""

from __future__ import annotations

import numbers
import types
from collections.abc import Callable
from typing import Any

from optim.optimizer import Optimizer


def check_optimizer(optimizer: Any) -> None:
    """TypeError unless `optimizer` is one of ours."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list/tuple of the right length, or one value repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n}."
            )
        return list(value)
    return [value] * n


def check_positive_int(name: str, value: Any) -> None:
    """ValueError("Invalid <name>: ...") unless `value` is an int > 0."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Invalid {name}: {value} (expected a positive int)")


def save_callables(fns: list[Callable[..., Any]]) -> list[dict[str, Any] | None]:
    """State of callables for a state dict: a callable object's `__dict__`, None for a plain
    function or lambda (which cannot be saved; PyTorch's rule)."""
    return [None if isinstance(fn, types.FunctionType) else dict(vars(fn)) for fn in fns]


def load_callables(fns: list[Callable[..., Any]], saved: list[dict[str, Any] | None]) -> None:
    """Restore what `save_callables` kept into the live callables."""
    for fn, state in zip(fns, saved, strict=True):
        if state is not None:
            vars(fn).update(state)


class LRScheduler:
    """Base class: sets `initial_lr` on each group, then steps once to epoch 0.

    Subclasses implement `get_lr()` (the lrs of the epoch `last_epoch` has just become, usually
    from the current ones, so schedulers chain) and may add `_get_closed_form_lr()` (the lrs at
    `last_epoch` from `base_lrs`), used by `step(epoch)`. `_is_initial` is True while the first
    step made by the constructor runs.
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming an optimizer"
                    )
        self.base_lrs: list[float] = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the constructor's step (to epoch `last_epoch + 1`)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """Learning rates for the epoch `last_epoch` has just become."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last `step()`, one per parameter group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to `epoch`, by the closed form if there is one)."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            lrs = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            lrs = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = self._lrs()

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (PyTorch convention)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state made by `state_dict()`."""
        self.__dict__.update(state_dict)

    def _lrs(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]
