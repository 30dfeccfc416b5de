"""Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.kernels.optim_update import flat, scalars, sgd_update
from optim._bound import Bound, bind_group, update_bound
from optim._common import arrays, bump_all, column, scratch
from optim.optimizer import Optimizer, ParamsT, check_number


def sgd(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    momentum_buffers: list[np.ndarray | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
) -> None:
    """One SGD step on ndarrays, in place; `momentum_buffers[i]` is created on first use.

    g = grad + weight_decay * p; b = momentum * b + (1 - dampening) * g (b = g at first);
    p -= lr * (g + momentum * b if nesterov else b).
    """
    use_momentum = momentum != 0
    for i, (p, grad) in enumerate(zip(params, grads, strict=True)):
        g = grad + weight_decay * p if weight_decay != 0 else grad
        buf = momentum_buffers[i]
        first = use_momentum and buf is None
        if first:
            buf = momentum_buffers[i] = np.array(g, dtype=p.dtype, copy=True)
        views = flat(p, g, buf if use_momentum else p)
        consts = scalars(p.dtype, lr, momentum, 1 - dampening)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            sgd_update(*views, consts, use_momentum, first, nesterov)
            continue
        tmp = scratch(p)  # one reused array for the temporaries below
        if use_momentum:
            if not first:
                buf *= momentum
                buf += np.multiply(g, 1 - dampening, out=tmp)
            g = np.add(g, np.multiply(buf, momentum, out=tmp), out=tmp) if nesterov else buf
        p -= np.multiply(g, lr, out=tmp)


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch `torch.optim.SGD` semantics and state dict).

    Full-batch gradient descent, SGD (batch 1) and mini-batch SGD are this optimizer fed
    gradients of different batch sizes. `weight_decay` adds the L2 term to the gradient;
    `maximize=True` ascends the objective instead.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.8, -1.6], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("learning rate", group["lr"])
        check_number("momentum value", group["momentum"])
        check_number("dampening value", group["dampening"])
        check_number("weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update_group(self, group: dict[str, Any]) -> None:
        key = (group["lr"], group["momentum"], group["dampening"], group["weight_decay"],
               group["nesterov"], group.get("maximize", False))
        update_bound(self, group, key, self._general_update, self._bind)

    def _general_update(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        bufs = column(items, "momentum_buffer")
        sgd(
            *arrays(items),
            bufs,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
        )
        if group["momentum"] != 0:  # else sgd made no buffer
            for (_, _, state), buf in zip(items, bufs, strict=True):
                state["momentum_buffer"] = buf
        bump_all(items)

    def _bind(self, group: dict[str, Any], key: tuple) -> Bound | None:
        """The group's next updates as prepared kernel calls (see optim._bound), or None
        where a parameter needs the general path (weight decay, maximize, a layout)."""
        lr, momentum, dampening, weight_decay, nesterov, maximize = key
        if weight_decay != 0 or maximize:
            return None
        use_momentum = momentum != 0

        def prepare(p: Any, grad: Any, state: Any) -> Any:
            buf = None if state is None else state.get("momentum_buffer")
            if use_momentum and buf is None:
                return None
            views = flat(p.data, grad.data, buf if use_momentum else p.data)
            consts = scalars(p.data.dtype, lr, momentum, 1 - dampening)
            if views is None or consts is None:
                return None
            held = (("momentum_buffer", buf),) if use_momentum else ()
            return held, (sgd_update, (*views, consts, use_momentum, False, nesterov))

        return bind_group(self, group, key, prepare)
