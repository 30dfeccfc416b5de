"""RAdam: Adam whose adaptive step is switched on once the variance estimate is reliable."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.kernels.optim_update import flat, radam_update, scalars
from optim._common import arrays, bump_all, check_adam, column, count_step, decayed, zeros
from optim.optimizer import Optimizer, ParamsT


def radam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
) -> None:
    """One RAdam step on ndarrays, in place (Liu et al. 2020, PyTorch's form).

    rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2**t / (1 - b2**t). While rho_t <= 5
    this is SGD with momentum on the bias-corrected m; after, Adam scaled by the rectifier
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
    """
    rho_inf = 2 / (1 - beta2) - 1
    for p, grad, m, v, step in zip(params, grads, exp_avgs, exp_avg_sqs, steps, strict=True):
        g = decayed(p, grad, weight_decay, lr, decoupled_weight_decay)
        bias_correction1, bias_correction2 = 1 - beta1**step, 1 - beta2**step
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        rectified, rect = rho_t > 5.0, 0.0
        if rectified:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
        views = flat(p, g, m, v)
        consts = scalars(p.dtype, 1 - beta1, beta2, 1 - beta2, bias_correction1, lr,
                         math.sqrt(bias_correction2), eps, rect)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            radam_update(*views, consts, rectified)
            continue
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * g * g
        m_hat = m / bias_correction1
        if rectified:
            adaptive = math.sqrt(bias_correction2) / (np.sqrt(v) + eps)
            p -= m_hat * lr * adaptive * rect
        else:
            p -= m_hat * lr


class RAdam(Optimizer):
    """RAdam (PyTorch `torch.optim.RAdam` semantics and state dict); `decoupled_weight_decay`
    applies `p *= 1 - lr * weight_decay` instead of the L2 gradient term.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data.round(4)
    array([ 0.8, -1.6], dtype=float32)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam(group)

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        count_step(items, zeros("exp_avg", "exp_avg_sq"))
        beta1, beta2 = group["betas"]
        radam(
            *arrays(items),
            column(items, "exp_avg"),
            column(items, "exp_avg_sq"),
            column(items, "step"),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )
        bump_all(items)
