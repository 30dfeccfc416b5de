"""What a compiled function's plans are keyed on, and the message naming what changed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode
from autograd.tensor import Tensor
from autograd.tree import flatten


class Signature:
    """The tensor inputs of one call and the key of everything a plan assumes about them."""

    __slots__ = ("tensors", "key", "labels")

    def __init__(self, args: tuple, kwargs: dict, modules: list[Any]) -> None:
        flags = (("grad", mode.is_grad_enabled()), ("training", tuple(m.training for m in modules)))
        if not kwargs and all(type(a) is Tensor for a in args):  # the common call, fast
            self.tensors: list[Tensor] = list(args)
            self.labels: list[str] = _positional_labels(len(args))
            self.key = (len(args), (*[("tensor", a.data.shape, a.data.dtype.name,
                                        a.requires_grad) for a in args], *flags))
            return
        leaves, treedef = flatten((args, kwargs))
        self.tensors = []
        parts: list[Any] = []
        self.labels = []
        n_pos = len(flatten(args)[0])
        for k, leaf in enumerate(leaves):
            label = f"input {k}" if k < n_pos else f"keyword input {k - n_pos}"
            self.labels.append(label)
            if isinstance(leaf, Tensor):
                self.tensors.append(leaf)
                parts.append(("tensor", leaf.data.shape, leaf.data.dtype.name,
                              leaf.requires_grad))
            elif isinstance(leaf, np.ndarray):
                parts.append(("array", leaf.shape, str(leaf.dtype), leaf.tobytes()))
            else:
                parts.append(("value", _hashable(leaf)))
        self.labels += ["grad mode", "training flags"]
        self.key = (repr(treedef), (*parts, *flags))

    def changed(self, other: Signature) -> str:
        """What differs from `other` (the first traced call), in words."""
        if self.key[0] != other.key[0] or len(self.key[1]) != len(other.key[1]):
            return "the structure of the arguments changed"
        for label, now, then in zip(self.labels, self.key[1], other.key[1], strict=True):
            if now == then:
                continue
            if now[0] == then[0] == "tensor":
                for what, i in (("shape", 1), ("dtype", 2), ("requires_grad", 3)):
                    if now[i] != then[i]:
                        return f"{label} {what} changed from {then[i]} to {now[i]}"
            if now[0] == "training":
                return "a module's training mode (train()/eval()) changed"
            if now[0] == "grad":
                return f"grad mode changed from {then[1]} to {now[1]}"
            return f"{label} changed from {_short(then)} to {_short(now)}"
        return "nothing the plan was keyed on"


@functools.lru_cache(maxsize=32)
def _positional_labels(n: int) -> list[str]:
    """The labels of n positional tensor inputs and the two flags (made once per n; read
    only, by `changed`)."""
    return [f"input {k}" for k in range(n)] + ["grad mode", "training flags"]


def _hashable(v: Any) -> Any:
    try:
        hash(v)
    except TypeError:
        return ("unhashable", type(v).__name__, id(v))
    return (type(v).__name__, v)


def _short(part: tuple) -> str:
    text = repr(part[-1][-1] if part[0] == "value" else part[1:])
    return text if len(text) <= 60 else text[:57] + "..."


def find_modules(fn: Callable[..., Any], args: tuple, kwargs: dict,
                 cache: dict | None = None) -> list[Any]:
    """Modules `fn` can reach (bound self, closure, globals it names, arguments): their
    `training` flags decide dropout and BatchNorm, so the plans are keyed on them. With
    `cache`, the walk is kept for the same root objects (a module's submodules are taken to
    stay those of the trace: a replaced submodule's parameters make the plan stale anyway)."""
    roots: list[Any] = [getattr(fn, "__self__", None), *args, *kwargs.values()]
    code = getattr(fn, "__code__", None)
    if code is not None:
        roots += [c.cell_contents for c in (fn.__closure__ or ()) if _filled(c)]
        glob = getattr(fn, "__globals__", {})
        roots += [glob[n] for n in code.co_names if n in glob]
    roots = [r for r in roots if callable(getattr(r, "modules", None)) and hasattr(r, "training")]
    if cache is not None:
        ids = tuple(map(id, roots))
        if cache.get("roots") == ids:
            return cache["modules"]
    seen: dict[int, Any] = {}
    for r in roots:
        for m in r.modules():
            seen.setdefault(id(m), m)
    modules = list(seen.values())
    if cache is not None:  # the roots are kept alive with it, so their ids stay theirs
        cache.update(roots=ids, held=roots, modules=modules)
    return modules


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - probing an empty closure cell
    except ValueError:
        return False
    return True
