"""Grad mode (`no_grad`, `enable_grad`) and anomaly detection, as thread-local switches."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False


_state = _State()


def is_grad_enabled() -> bool:
    """True when ops record themselves into the graph."""
    return _state.grad_enabled


def set_grad_enabled(flag: bool) -> None:
    """Switch graph recording on or off for this thread."""
    _state.grad_enabled = bool(flag)


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    flag = True

    def __enter__(self) -> None:
        self._prev = _state.grad_enabled
        _state.grad_enabled = self.flag

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside record nothing: outputs have `requires_grad=False`, `grad_fn=None`."""

    flag = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Re-enable recording inside a `no_grad` block."""

    flag = True


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`: nodes keep their forward traceback, backward checks NaN."""
    return _state.anomaly


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise at the backward op that produces NaN/inf, naming the forward op that made it."""
    prev = _state.anomaly
    _state.anomaly = True
    try:
        yield
    finally:
        _state.anomaly = prev
