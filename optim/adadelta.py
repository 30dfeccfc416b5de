"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import adadelta_update, flat, scalars
from optim._common import arrays, bump_all, column, count_step, decayed, zeros
from optim.optimizer import Optimizer, ParamsT, check_number


def adadelta(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    square_avgs: list[np.ndarray],
    acc_deltas: list[np.ndarray],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
) -> None:
    """One Adadelta step on ndarrays, in place (Zeiler 2012, PyTorch's form).

    g = grad + wd * p; v = rho v + (1 - rho) g**2; delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) delta**2; p -= lr * delta.
    """
    for p, grad, v, u in zip(params, grads, square_avgs, acc_deltas, strict=True):
        g = decayed(p, grad, weight_decay)
        views = flat(p, g, v, u)
        consts = scalars(p.dtype, lr, rho, 1 - rho, eps)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            adadelta_update(*views, consts)
            continue
        v *= rho
        v += (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta
        p -= lr * delta


class Adadelta(Optimizer):
    """Adadelta (PyTorch `torch.optim.Adadelta` semantics and state dict).

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adadelta([w], lr=1.0)
    >>> (w * w).sum().backward(); opt.step(); bool(abs(w.data[0] - 1.0) < 1e-2)
    True
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("learning rate", group["lr"])
        check_number("rho value", group["rho"], 0.0, 1.0, high_inclusive=True)
        check_number("epsilon value", group["eps"])
        check_number("weight_decay value", group["weight_decay"])

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        count_step(items, zeros("square_avg", "acc_delta"))
        adadelta(
            *arrays(items),
            column(items, "square_avg"),
            column(items, "acc_delta"),
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
        )
        bump_all(items)
