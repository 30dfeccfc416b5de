"""PyTorch keyword spellings beside NumPy's (`dim=`/`axis=`, `keepdim=`/`keepdims=`).

The alias map of a function or primitive is computed once, when it is defined; a call pays
only a dictionary lookup per keyword it passes. Giving both spellings raises TypeError.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Each pair is (PyTorch spelling, NumPy spelling); either may be the one a function declares.
PAIRS: tuple[tuple[str, str], ...] = (("dim", "axis"), ("keepdim", "keepdims"))


def alias_map(names: Iterable[str]) -> dict[str, str]:
    """{other spelling: declared name} for every declared name that has a twin in `PAIRS`."""
    declared = set(names)
    out: dict[str, str] = {}
    for a, b in PAIRS:
        if a in declared and b not in declared:
            out[b] = a
        elif b in declared and a not in declared:
            out[a] = b
    return out


def resolve(op: str, kwargs: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """Rename aliased keywords in `kwargs` to the declared ones (in place); both given raises."""
    for alias in [k for k in kwargs if k in aliases]:
        name = aliases[alias]
        if name in kwargs:
            raise TypeError(f"{op}() got both {name!r} and its alias {alias!r}; pass one")
        kwargs[name] = kwargs.pop(alias)
    return kwargs


def torch_names(fn: F) -> F:
    """Decorator: `fn` takes PyTorch's `dim=`/`keepdim=` for its `axis=`/`keepdims=` (or back)."""
    aliases = alias_map(inspect.signature(fn).parameters)
    if not aliases:
        return fn
    op = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            resolve(op, kwargs, aliases)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
