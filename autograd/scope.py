"""Where an op was made: the module path stack (`features.0`) and trace observers."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _Scope(threading.local):
    def __init__(self) -> None:
        self.modules: list[str] = []  # full dotted path of each open scope, innermost last
        self.owners: list[Any] = []  # the object (an nn.Module) that opened each scope
        self.observers: list[Callable[[Any], None]] = []


_scope = _Scope()


@contextmanager
def module_scope(name: str, owner: Any = None) -> Iterator[None]:
    """Ops recorded inside are tagged with the dotted module path (used by `nn.Module`, which
    passes itself as `owner` so that pictures can say `0: Linear(...)`)."""
    mods = _scope.modules
    parent = mods[-1] if mods else ""
    mods.append(f"{parent}.{name}" if parent and name else (name or parent))
    _scope.owners.append(owner)
    try:
        yield
    finally:
        _scope.modules.pop()
        _scope.owners.pop()


def open_modules() -> list[tuple[str, Any]]:
    """(dotted path, owner) of every open module scope, outermost first."""
    return list(zip(_scope.modules, _scope.owners, strict=True))


def current_module_path() -> str | None:
    """Dotted path of the innermost module being called, e.g. `classifier.fc1`."""
    mods = _scope.modules
    return (mods[-1] or None) if mods else None


def observers() -> list[Callable[[Any], None]]:
    """Callbacks run on every recorded node (the tracer registers one)."""
    return _scope.observers


_OWN_DIRS = tuple(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + pkg + os.sep
    for pkg in ("autograd", "nn", "optim", "viz")
)


def is_user_file(fname: str) -> bool:
    """Whether code in `fname` is the user's (not tracegrad's packages, not contextlib)."""
    return not fname.startswith(_OWN_DIRS) and "contextlib" not in fname


def user_location() -> str | None:
    """`file:line` of the innermost frame outside tracegrad's own packages."""
    frame = sys._getframe(1)
    while frame is not None:
        fname = frame.f_code.co_filename
        if is_user_file(fname):
            return f"{fname}:{frame.f_lineno}"
        frame = frame.f_back
    return None
