"""Hooks the compiler's tracer listens on: host steps (NumPy work outside `apply`) and reads.

Library code that updates arrays with NumPy instead of primitives (an optimizer's `step`,
BatchNorm's running statistics, a dropout mask drawn from the generator) marks that function
with `host_step`: eagerly it just runs; while `ag.compile` traces, the call is recorded as one
opaque step that every replay runs again, on the replay's tensors. This module imports nothing
of autograd so that `nn` and `optim` can use it without cycles.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# The tracers recording now (innermost last); empty outside `ag.compile`'s first call.
active: list[Any] = []


def host_step(fn: F) -> F:
    """Mark `fn` as a host step: `ag.compile` records each call and replays it as a whole."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not active:
            return fn(*args, **kwargs)
        return active[-1].host(fn, args, kwargs)

    return run  # type: ignore[return-value]
