"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import flat, rmsprop_update, scalars
from optim._common import arrays, bump_all, column, count_step, decayed, zeros
from optim.optimizer import Optimizer, ParamsT, check_number


def rmsprop(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    square_avgs: list[np.ndarray],
    grad_avgs: list[np.ndarray | None],
    momentum_buffers: list[np.ndarray | None],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
) -> None:
    """One RMSprop step on ndarrays, in place (Hinton's lecture 6e, PyTorch's form).

    g = grad + weight_decay * p; v = alpha * v + (1 - alpha) * g**2;
    centered: m = alpha * m + (1 - alpha) * g and v~ = v - m**2; d = sqrt(v~) + eps;
    with momentum b = momentum * b + g / d and p -= lr * b, else p -= lr * g / d.
    """
    for i, (p, grad) in enumerate(zip(params, grads, strict=True)):
        g = decayed(p, grad, weight_decay)
        v = square_avgs[i]
        views = flat(p, g, v, grad_avgs[i] if centered else v,
                     momentum_buffers[i] if momentum > 0 else v)
        consts = scalars(p.dtype, lr, alpha, 1 - alpha, eps, momentum)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            rmsprop_update(*views, consts, centered, momentum > 0)
            continue
        v *= alpha
        v += (1 - alpha) * g * g
        if centered:
            m = grad_avgs[i]
            m *= alpha
            m += (1 - alpha) * g
            avg = np.sqrt(v - m * m) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * g / avg


class RMSprop(Optimizer):
    """RMSprop (PyTorch `torch.optim.RMSprop` semantics and state dict), with optional
    momentum and the centered variant (which normalises by an estimate of the variance).

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.0)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.99, -1.99], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("learning rate", group["lr"])
        check_number("epsilon value", group["eps"])
        check_number("momentum value", group["momentum"])
        check_number("weight_decay value", group["weight_decay"])
        check_number("alpha value", group["alpha"])

    def _update_group(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        wanted = {"momentum_buffer": group["momentum"] > 0, "grad_avg": group["centered"]}
        lazy = [name for name, on in wanted.items() if on]
        count_step(items, zeros("square_avg"), lazy)
        rmsprop(
            *arrays(items),
            column(items, "square_avg"),
            column(items, "grad_avg"),
            column(items, "momentum_buffer"),
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
        )
        bump_all(items)
