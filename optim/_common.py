"""Pieces every per-parameter optimizer shares: state set-up, weight decay, Adam's checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.kernels import workspace
from optim.optimizer import bump_version, check_number

Items = list[tuple[Tensor, np.ndarray, dict]]


def zeros(*names: str) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """State initialiser giving one zero buffer shaped like the parameter per name."""
    return lambda data: {name: np.zeros_like(data) for name in names}


def count_step(
    items: Items,
    fresh: Callable[[np.ndarray], dict[str, Any]],
    lazy: Iterable[str] = (),
) -> None:
    """Start each parameter's state on its first step (`step`, then `fresh(p.data)`), add the
    zero buffers named in `lazy` when missing (options switched on later), and count the step."""
    lazy = tuple(lazy)
    for p, _, state in items:
        if not state:
            state["step"] = 0
            state.update(fresh(p.data))
        for name in lazy:
            if name not in state:
                state[name] = np.zeros_like(p.data)
        state["step"] += 1


def scratch(like: np.ndarray) -> np.ndarray:
    """A reused array shaped like `like` for an update's temporaries (contents undefined), so
    a step allocates nothing once the largest parameter's scratch exists."""
    return workspace("optim:scratch", like.shape, like.dtype)


def arrays(items: Items) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The parameter ndarrays and their gradients, as the pure update functions take them."""
    return [p.data for p, _, _ in items], [g for _, g, _ in items]


def column(items: Items, key: str) -> list[Any]:
    """One state entry of every parameter (None where the parameter has none)."""
    return [s.get(key) for _, _, s in items]


def bump_all(items: Items) -> None:
    """Mark every updated parameter as modified in place."""
    for p, _, _ in items:
        bump_version(p)


def decayed(
    p: np.ndarray, grad: np.ndarray, weight_decay: float, lr: float = 0.0,
    decoupled: bool = False,
) -> np.ndarray:
    """Gradient with L2 weight decay `grad + wd * p`, or (decoupled) `p *= 1 - lr * wd` in
    place and the gradient unchanged."""
    if weight_decay == 0:
        return grad
    if decoupled:
        p *= 1 - lr * weight_decay
        return grad
    return grad + weight_decay * p


def check_adam(group: dict[str, Any]) -> None:
    """Validate the lr, eps, betas and weight_decay of an Adam-family group (PyTorch's rules)."""
    check_number("learning rate", group["lr"])
    check_number("epsilon value", group["eps"])
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas} (expected a pair (beta1, beta2))")
    check_number("beta parameter at index 0", betas[0], 0.0, 1.0)
    check_number("beta parameter at index 1", betas[1], 0.0, 1.0)
    check_number("weight_decay value", group["weight_decay"])
