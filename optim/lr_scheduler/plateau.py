"""`ReduceLROnPlateau`: lower the learning rate when a validation metric stops improving."""

from __future__ import annotations

import math
from typing import Any

from optim.lr_scheduler.base import check_optimizer
from optim.optimizer import Optimizer, check_number


class ReduceLROnPlateau:
    """Multiply the lr by `factor` when `step(metric)` has not improved for `patience` epochs.

    `mode="min"` for a loss, `"max"` for an accuracy; improvement means beating the best by
    `threshold` (relative in `"rel"` mode, absolute in `"abs"`). After a reduction, wait
    `cooldown` epochs; never go below `min_lr`, and skip changes smaller than `eps`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        check_optimizer(optimizer)
        if not 0.0 <= float(factor) < 1.0:
            raise ValueError(f"Invalid factor: {factor} (expected 0 <= factor < 1)")
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"Invalid threshold_mode: {threshold_mode!r} (expected 'rel' or 'abs')"
            )
        for name, v in (("patience", patience), ("cooldown", cooldown)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"Invalid {name}: {v} (expected a non-negative int)")
        check_number("threshold", threshold)
        check_number("eps", eps)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} values for min_lr, got {len(min_lr)}")
            self.min_lrs = [float(x) for x in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n
        self.optimizer = optimizer
        self.mode = mode
        self.factor = float(factor)
        self.patience = patience
        self.threshold = float(threshold)
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """True when metric `a` improves on `best` by more than the threshold."""
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < (best * (1 - self.threshold) if rel else best - self.threshold)
        return a > (best * (1 + self.threshold) if rel else best + self.threshold)

    def step(self, metrics: float) -> None:
        """Record this epoch's metric and reduce the lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def get_last_lr(self) -> list[float]:
        """The learning rates after the last `step()`, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (PyTorch convention)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state made by `state_dict()`."""
        self.__dict__.update(state_dict)
