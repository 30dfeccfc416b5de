"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule (Dozat 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import flat, nadam_update, scalars
from optim._common import arrays, check_adam, column, count_step, decayed
from optim.optimizer import Optimizer, ParamsT, bump_version, check_number, scalar_dtype


def nadam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray],
    mu_products: list[np.floating],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
) -> list[np.floating]:
    """One NAdam step on ndarrays, in place; returns the updated products of mu (each kept in
    its own scalar dtype).

    mu_t = b1 (1 - 0.96**(t psi) / 2); m, v as Adam; d = sqrt(v / (1 - b2**t)) + eps;
    p -= lr (1 - mu_t) / (1 - prod mu) g / d + lr mu_{t+1} / (1 - prod mu * mu_{t+1}) m / d.
    """
    out = []
    for p, grad, m, v, mu_product, step in zip(
        params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, strict=True
    ):
        g = decayed(p, grad, weight_decay, lr, decoupled_weight_decay)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = mu_product * mu
        prod = float(mu_product)
        out.append(mu_product)
        c_g, c_m = lr * (1.0 - mu) / (1.0 - prod), lr * mu_next / (1.0 - prod * mu_next)
        views = flat(p, g, m, v)
        consts = scalars(p.dtype, 1 - beta1, beta2, 1 - beta2, 1 - beta2**step, eps, c_g, c_m)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            nadam_update(*views, consts)
            continue
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * g * g
        denom = np.sqrt(v / (1 - beta2**step)) + eps
        p -= c_g * g / denom
        p -= c_m * m / denom
    return out


def _fresh_state(data: np.ndarray) -> dict[str, Any]:
    """NAdam's first state: the mu product (a scalar of the scalar dtype) and Adam's m, v."""
    return {
        "mu_product": scalar_dtype()(1.0),
        "exp_avg": np.zeros_like(data),
        "exp_avg_sq": np.zeros_like(data),
    }


class NAdam(Optimizer):
    """NAdam (PyTorch `torch.optim.NAdam` semantics and state dict); `decoupled_weight_decay`
    gives NAdamW's `p *= 1 - lr * weight_decay`.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); bool(w.data[0] < 1.0)
    True
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam(group)
        check_number("momentum_decay value", group["momentum_decay"])

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        count_step(items, _fresh_state)
        beta1, beta2 = group["betas"]
        products = nadam(
            *arrays(items),
            column(items, "exp_avg"),
            column(items, "exp_avg_sq"),
            column(items, "mu_product"),
            column(items, "step"),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum_decay=group["momentum_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )
        for (p, _, state), mu_product in zip(items, products, strict=True):
            state["mu_product"] = mu_product
            bump_version(p)
