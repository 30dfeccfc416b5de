"""Adagrad: per-coordinate learning rates scaled by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import adagrad_update, flat, scalars
from optim._common import arrays, bump_all, column, count_step, decayed
from optim.optimizer import Optimizer, ParamsT, check_number


def adagrad(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    state_sums: list[np.ndarray],
    steps: list[int],
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
) -> None:
    """One Adagrad step on ndarrays, in place (Duchi et al. 2011, PyTorch's form).

    `steps[i]` is the step number after this update. g = grad + weight_decay * p;
    sum += g**2; p -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(sum) + eps).
    """
    for p, grad, state_sum, step in zip(params, grads, state_sums, steps, strict=True):
        g = decayed(p, grad, weight_decay)
        clr = lr / (1 + (step - 1) * lr_decay)
        views = flat(p, g, state_sum)
        consts = scalars(p.dtype, clr, eps)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            adagrad_update(*views, consts)
            continue
        state_sum += g * g
        p -= clr * g / (np.sqrt(state_sum) + eps)


class Adagrad(Optimizer):
    """Adagrad (PyTorch `torch.optim.Adagrad` semantics and state dict).

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.5, -1.5], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("learning rate", group["lr"])
        check_number("lr_decay value", group["lr_decay"])
        check_number("weight_decay value", group["weight_decay"])
        check_number("initial_accumulator_value", group["initial_accumulator_value"])
        check_number("epsilon value", group["eps"])

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        init = group["initial_accumulator_value"]
        count_step(items, lambda data: {"sum": np.full_like(data, init)})
        adagrad(
            *arrays(items),
            column(items, "sum"),
            column(items, "step"),
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
        )
        bump_all(items)
