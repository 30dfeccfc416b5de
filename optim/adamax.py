"""Adamax: Adam with the infinity norm of past gradients in place of their RMS."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import adamax_update, flat, scalars
from optim._common import arrays, bump_all, check_adam, column, count_step, decayed, zeros
from optim.optimizer import Optimizer, ParamsT


def adamax(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avgs: list[np.ndarray],
    exp_infs: list[np.ndarray],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
) -> None:
    """One Adamax step on ndarrays, in place (Kingma & Ba 2015, section 7; PyTorch's form).

    g = grad + wd * p; m = b1 m + (1-b1) g; u = max(b2 u, |g| + eps);
    p -= lr / (1 - b1**t) * m / u.
    """
    for p, grad, m, u, step in zip(params, grads, exp_avgs, exp_infs, steps, strict=True):
        g = decayed(p, grad, weight_decay)
        views = flat(p, g, m, u)
        consts = scalars(p.dtype, 1 - beta1, beta2, eps, lr / (1 - beta1**step))
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            adamax_update(*views, consts)
            continue
        m += (1 - beta1) * (g - m)
        u *= beta2
        np.maximum(u, np.abs(g) + eps, out=u)
        p -= lr / (1 - beta1**step) * m / u


class Adamax(Optimizer):
    """Adamax (PyTorch `torch.optim.Adamax` semantics and state dict).

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data.round(4)
    array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam(group)

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        count_step(items, zeros("exp_avg", "exp_inf"))
        beta1, beta2 = group["betas"]
        adamax(
            *arrays(items),
            column(items, "exp_avg"),
            column(items, "exp_inf"),
            column(items, "step"),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
        )
        bump_all(items)
