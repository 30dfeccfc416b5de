"""Flatten and rebuild nests of dict/list/tuple whose leaves are arrays, Tensors or numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Treedef = Any


def flatten(tree: Any) -> tuple[list[Any], Treedef]:
    """Leaves in a fixed order (dict keys sorted) and a description to rebuild the nest."""
    leaves: list[Any] = []

    def walk(node: Any) -> Treedef:
        if isinstance(node, dict):
            keys = sorted(node, key=repr)
            return ("dict", type(node), keys, [walk(node[k]) for k in keys])
        if isinstance(node, (list, tuple)):
            return ("seq", type(node), None, [walk(v) for v in node])
        leaves.append(node)
        return ("leaf", None, None, None)

    return leaves, walk(tree)


def unflatten(treedef: Treedef, leaves: list[Any]) -> Any:
    """Inverse of `flatten`: put `leaves` back into the nest `treedef` describes."""
    it = iter(leaves)

    def build(td: Treedef) -> Any:
        kind, typ, keys, children = td
        if kind == "leaf":
            return next(it)
        if kind == "dict":
            return typ((k, build(c)) for k, c in zip(keys, children, strict=True))
        items = [build(c) for c in children]
        return typ(*items) if hasattr(typ, "_fields") else typ(items)

    return build(treedef)


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Apply `fn` to every leaf, keeping the nest."""
    leaves, td = flatten(tree)
    return unflatten(td, [fn(x) for x in leaves])
