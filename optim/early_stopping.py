"""`EarlyStopping`: stop when a validation metric stops improving; keep the best weights."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np


def snapshot(state: Any) -> Any:
    """Deep copy of a state dict nest; Tensors/arrays become independent ndarray copies."""
    if isinstance(state, dict):
        return type(state)((k, snapshot(v)) for k, v in state.items())
    if isinstance(state, (list, tuple)):
        return type(state)(snapshot(v) for v in state)
    if isinstance(state, np.ndarray):
        return state.copy()
    data = getattr(state, "data", None)
    if isinstance(data, np.ndarray):
        return data.copy()
    return copy.deepcopy(state)


class EarlyStopping:
    """Signal a stop when the monitored metric has not improved for `patience` epochs.

    `mode="min"` for a loss (improvement: `metric < best - min_delta`), `"max"` for an
    accuracy (`metric > best + min_delta`). Pass the model to `step` to snapshot its
    `state_dict()` at each new best; with `restore_best_weights=True` those weights are
    loaded back (`model.load_state_dict`) when the stop fires, or on `restore(model)`.

    >>> es = EarlyStopping(patience=2)
    >>> [es.step(v) for v in [1.0, 0.9, 0.95, 0.91]]
    [False, False, False, True]
    >>> es.best, es.best_epoch
    (0.9, 1)
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best_weights: bool = True,
    ) -> None:
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise ValueError(f"Invalid patience: {patience} (expected an int >= 1)")
        if not float(min_delta) >= 0:
            raise ValueError(f"Invalid min_delta: {min_delta} (expected >= 0)")
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (expected 'min' or 'max')")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self.reset()

    def reset(self) -> None:
        """Forget the history (best value, counters, saved weights)."""
        self.best: float = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int = -1
        self.epoch: int = -1
        self.num_bad_epochs: int = 0
        self.should_stop: bool = False
        self.best_state: Any = None

    def is_better(self, value: float) -> bool:
        """True when `value` beats the best so far by more than `min_delta` (NaN never does)."""
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, metric: float, model: Any = None) -> bool:
        """Record one epoch's validation metric; return True when training should stop."""
        value = float(metric)
        self.epoch += 1
        if self.is_better(value):
            self.best = value
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
            if model is not None:
                self.best_state = snapshot(model.state_dict())
        else:
            self.num_bad_epochs += 1
        self.should_stop = self.num_bad_epochs >= self.patience
        if self.should_stop and self.restore_best_weights and model is not None:
            self.restore(model)
        return self.should_stop

    __call__ = step

    def restore(self, model: Any) -> None:
        """Load the best weights seen so far into `model` (a copy, so training can go on)."""
        if self.best_state is None:
            raise RuntimeError(
                "EarlyStopping has no saved weights: pass the model to step(metric, model)"
            )
        model.load_state_dict(snapshot(self.best_state))

    def state_dict(self) -> dict[str, Any]:
        """Counters, best value and best weights, saveable with `nn.save`."""
        keys = ("best", "best_epoch", "epoch", "num_bad_epochs", "should_stop", "best_state")
        return {k: snapshot(getattr(self, k)) for k in keys}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state made by `state_dict()`."""
        for k, v in state_dict.items():
            setattr(self, k, snapshot(v))

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
            f"mode={self.mode!r}, best={self.best}, best_epoch={self.best_epoch})"
        )
