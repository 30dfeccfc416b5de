"""Adagrad: per-coordinate learning rates scaled by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from optim.optimizer import Optimizer, ParamsT, bump_version, check_number


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
        g = grad + weight_decay * p if weight_decay != 0 else grad
        clr = lr / (1 + (step - 1) * lr_decay)
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
        for p, _, state in items:
            if not state:
                state["step"] = 0
                state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
            state["step"] += 1
        adagrad(
            [p.data for p, _, _ in items],
            [g for _, g, _ in items],
            [s["sum"] for _, _, s in items],
            [s["step"] for _, _, s in items],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
        )
        for p, _, _ in items:
            bump_version(p)
