"""ASGD: SGD with a decaying step and a running (Polyak-Ruppert) average of the iterates."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import asgd_update, flat, scalars
from optim._common import arrays, column, count_step, decayed
from optim.optimizer import Optimizer, ParamsT, bump_version, check_number, scalar_dtype


def asgd(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    axs: list[np.ndarray],
    etas: list[float],
    mus: list[float],
    steps: list[int],
    *,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
) -> list[tuple[float, float]]:
    """One ASGD step on ndarrays, in place; returns the next (eta, mu) of each parameter.

    g = grad + wd * p; p = p (1 - lambd eta) - eta g; ax += mu (p - ax);
    eta = lr / (1 + lambd lr t)**alpha; mu = 1 / max(1, t - t0) (Polyak & Juditsky 1992).
    """
    out = []
    for p, grad, ax, eta, mu, step in zip(params, grads, axs, etas, mus, steps, strict=True):
        g = decayed(p, grad, weight_decay)
        out.append((lr / (1 + lambd * lr * step) ** alpha, 1 / max(1, step - t0)))
        views = flat(p, g, ax)
        consts = scalars(p.dtype, 1 - lambd * eta, eta, mu)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            asgd_update(*views, consts, mu != 1)
            continue
        p *= 1 - lambd * eta
        p -= eta * g
        if mu != 1:
            ax += (p - ax) * mu
        else:
            ax[...] = p
    return out


class ASGD(Optimizer):
    """Averaged SGD (PyTorch `torch.optim.ASGD` semantics and state dict); the averaged
    parameters are in `optimizer.state[p]["ax"]`.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data.round(4)
    array([ 0.8, -1.6], dtype=float32)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("learning rate", group["lr"])
        check_number("lambd value", group["lambd"])
        check_number("alpha value", group["alpha"])
        check_number("t0 value", group["t0"])
        check_number("weight_decay value", group["weight_decay"])

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        dt, lr = scalar_dtype(), group["lr"]
        count_step(items, lambda data: {"eta": dt(lr), "mu": dt(1.0), "ax": np.zeros_like(data)})
        updates = asgd(
            *arrays(items),
            column(items, "ax"),
            [float(s["eta"]) for _, _, s in items],
            [float(s["mu"]) for _, _, s in items],
            column(items, "step"),
            lr=group["lr"],
            lambd=group["lambd"],
            alpha=group["alpha"],
            t0=group["t0"],
            weight_decay=group["weight_decay"],
        )
        for (p, _, state), (eta, mu) in zip(items, updates, strict=True):
            state["eta"], state["mu"] = dt(eta), dt(mu)
            bump_version(p)
