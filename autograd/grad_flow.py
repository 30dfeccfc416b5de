"""Stable names for the nodes of a recorded graph, and the gradient norm each one received in
a backward pass: what `optim.fit(record_grad_flow=n)` logs every n steps and
`viz.explore(grad_flow=...)` plays back. A key is `module/op#k` (the k-th `op` recorded in
that module, in forward order), so the same node of every training step gets the same key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import engine
from autograd.engine import Node
from autograd.tensor import Tensor


def forward_order(root: Tensor) -> list[tuple[Node, Tensor]]:
    """Every node behind `root` with its output, each after its inputs (depth first, inputs
    in argument order): the same order for the same graph structure, step after step."""
    if root.grad_fn is None:
        return []
    order: list[tuple[Node, Tensor]] = []
    seen: set[int] = set()
    stack: list[tuple[Node, Tensor, bool]] = [(root.grad_fn, root, False)]
    while stack:
        node, out, done = stack.pop()
        if done:
            order.append((node, out))
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, out, True))
        if node.inputs is None:  # freed by a backward pass: what lies below is unknown
            continue
        for t, e in zip(reversed(node.inputs), reversed(node.edges), strict=True):
            if isinstance(e, Node) and id(e) not in seen:
                stack.append((e, e.output_of(t), False))  # type: ignore[arg-type]
    return order


def node_key(module: str | None, op: str, k: int) -> str:
    """`features.0/conv2d#0`: the k-th `op` recorded inside `module` (`-` at top level)."""
    return f"{module or '-'}/{op}#{k}"


def node_keys(order: list[tuple[Node, Tensor]]) -> dict[Node, str]:
    """The key of each node of a `forward_order` list."""
    counts: dict[tuple[str | None, str], int] = {}
    keys: dict[Node, str] = {}
    for node, _ in order:
        c = (node.module, node.prim.name)
        keys[node] = node_key(node.module, node.prim.name, counts.get(c, 0))
        counts[c] = counts.get(c, 0) + 1
    return keys


def leaf_keys(
    order: list[tuple[Node, Tensor]], keys: dict[Node, str]
) -> dict[int, tuple[str, Tensor]]:
    """id -> (key, tensor) of each leaf that requires grad: `module.name` for a named one (a
    parameter: `0.weight`), else `<key of its first consumer>.in<i>`."""
    out: dict[int, tuple[str, Tensor]] = {}
    for node, _ in order:
        for i, e in enumerate(node.edges):
            if isinstance(e, Tensor) and id(e) not in out:
                key = f"{node.module or '-'}.{e.name}" if e.name else f"{keys[node]}.in{i}"
                out[id(e)] = (key, e)
    return out


def norm(a: np.ndarray) -> float:
    """Euclidean norm over the finite entries (a NaN does not hide the rest)."""
    a = np.asarray(a, dtype=np.float64)
    finite = np.isfinite(a)
    return float(np.sqrt(np.sum(a[finite] ** 2))) if finite.any() else 0.0


@contextmanager
def recording(root: Tensor) -> Iterator[dict[str, float]]:
    """Inside, a `root.backward()` fills the yielded dict: key -> norm of the gradient that
    reached each node's output, and of each leaf's `.grad` (read on exit)."""
    order = forward_order(root)
    keys = node_keys(order)
    leaves = leaf_keys(order, keys)
    norms: dict[str, float] = {}

    def observe(node: Node, g: Tensor, _grads_in: list[Tensor | None]) -> None:
        key = keys.get(node)
        if key is not None:
            norms[key] = norm(g.data)

    engine.backward_observers.append(observe)
    try:
        yield norms
    finally:
        engine.backward_observers.remove(observe)
    for key, t in leaves.values():
        if t.grad is not None:
            norms[key] = norm(t.grad.data)


@dataclass
class GradFlowLog:
    """Per-node gradient norms recorded every `every` optimizer steps: `steps[i]` is the step
    number (0-based) of `norms[i]`, a dict node key -> norm."""

    every: int
    steps: list[int] = field(default_factory=list)
    norms: list[dict[str, float]] = field(default_factory=list)

    def append(self, step: int, norms: dict[str, float]) -> None:
        """Add one recorded step."""
        self.steps.append(int(step))
        self.norms.append(dict(norms))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every, steps, norms."""
        return {"every": self.every, "steps": list(self.steps), "norms": list(self.norms)}

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"GradFlowLog(every={self.every}, {len(self.steps)} steps)"
