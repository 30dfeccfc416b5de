"""Adam, AMSGrad and AdamW (decoupled weight decay) over one update function."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.kernels.optim_update import adam_update, flat, scalars
from optim._bound import Bound, bind_group, update_bound
from optim._common import arrays, bump_all, check_adam, column, count_step, decayed, scratch, zeros
from optim.optimizer import Optimizer, ParamsT


def adam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray],
    max_exp_avg_sqs: list[np.ndarray | None],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One Adam step on ndarrays, in place (Kingma & Ba 2015; AMSGrad: Reddi et al. 2018;
    AdamW: Loshchilov & Hutter 2019 when `decoupled_weight_decay`).

    Coupled: g = grad + wd * p. Decoupled: p *= 1 - lr * wd. Then m = b1 m + (1-b1) g,
    v = b2 v + (1-b2) g**2 (AMSGrad: v_max = max(v_max, v) is used for v),
    p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps).
    """
    for i, (p, grad, m, v, step) in enumerate(
        zip(params, grads, exp_avgs, exp_avg_sqs, steps, strict=True)
    ):
        g = decayed(p, grad, weight_decay, lr, decoupled_weight_decay)
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        views = flat(p, g, m, v, max_exp_avg_sqs[i] if amsgrad else v)
        consts = adam_consts(p.dtype, lr, beta1, beta2, eps, step)
        if views is not None and consts is not None:  # one pass; else the NumPy passes below
            adam_update(*views, consts, amsgrad)
            continue
        # NOTE: one reused scratch array: (1-b1) g -> (1-b2) g**2 -> denom -> the update
        tmp = scratch(p)
        m *= beta1
        m += np.multiply(g, 1 - beta1, out=tmp)
        v *= beta2
        np.square(g, out=tmp)
        tmp *= 1 - beta2
        v += tmp
        if amsgrad:
            v_max = max_exp_avg_sqs[i]
            np.maximum(v_max, v, out=v_max)
            denom = np.sqrt(v_max, out=tmp)
        else:
            denom = np.sqrt(v, out=tmp)
        denom /= bias_correction2_sqrt
        denom += eps
        update = np.divide(m, denom, out=denom)
        update *= lr / bias_correction1
        p -= update


def _adam_values(lr: float, beta1: float, beta2: float, eps: float, step: int) -> tuple:
    """The Adam kernel's constants for step `step`, in the order `adam_update` reads them."""
    return (beta1, 1 - beta1, beta2, 1 - beta2, math.sqrt(1 - beta2**step), eps,
            lr / (1 - beta1**step))


def adam_consts(dtype: np.dtype, lr: float, beta1: float, beta2: float, eps: float,
                step: int) -> np.ndarray | None:
    """The Adam kernel's constants for step `step` (see `adam_update`), None where NumPy
    would compute in another dtype."""
    return scalars(dtype, *_adam_values(lr, beta1, beta2, eps, step))


class _StepCall:
    """One parameter's bound Adam update: count its step, then one kernel call."""

    __slots__ = ("state", "views", "consts", "hyper", "amsgrad")

    def __init__(self, state: dict, views: list, dtype: np.dtype, hyper: tuple,
                 amsgrad: bool) -> None:
        self.state, self.views = state, views
        self.consts = np.empty(7, dtype)  # refilled each step: no array made per step
        self.hyper, self.amsgrad = hyper, amsgrad

    def __call__(self) -> None:
        step = self.state["step"] + 1
        self.state["step"] = step
        # the same cast to the dtype as `scalars` makes (bound only where that is exact)
        self.consts[:] = _adam_values(*self.hyper, step)
        adam_update(*self.views, self.consts, self.amsgrad)


class Adam(Optimizer):
    """Adam (PyTorch `torch.optim.Adam` semantics and state dict); `weight_decay` is the
    coupled L2 penalty added to the gradient (decoupled with `decoupled_weight_decay=True`),
    `amsgrad=True` uses the running max of v, `maximize=True` ascends.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data.round(4)
    array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam(group)

    def _update_group(self, group: dict[str, Any]) -> None:
        key = (group["lr"], *group["betas"], group["eps"], group["weight_decay"],
               group["amsgrad"], group["decoupled_weight_decay"], group.get("maximize", False))
        update_bound(self, group, key, self._general_update, self._bind)

    def _bind(self, group: dict[str, Any], key: tuple) -> Bound | None:
        """The group's next updates as prepared kernel calls (see optim._bound), or None
        where a parameter needs the general path (weight decay, maximize, a layout)."""
        lr, beta1, beta2, eps, weight_decay, amsgrad, _, maximize = key
        if weight_decay != 0 or maximize:
            return None
        names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg",
                                                                             "exp_avg_sq")

        def prepare(p: Any, grad: Any, state: Any) -> Any:
            if not state or any(state.get(n) is None for n in names):
                return None
            held = tuple((n, state[n]) for n in names)
            views = flat(p.data, grad.data, *(a for _, a in held),
                         *((state["exp_avg_sq"],) if not amsgrad else ()))
            dtype = p.data.dtype
            if views is None or adam_consts(dtype, lr, beta1, beta2, eps, 1) is None:
                return None
            return held, (_StepCall(state, views, dtype, (lr, beta1, beta2, eps), amsgrad), ())

        return bind_group(self, group, key, prepare)

    def _general_update(self, group: dict[str, Any]) -> None:
        items = self._params_with_grad(group)
        count_step(
            items, zeros("exp_avg", "exp_avg_sq"), ["max_exp_avg_sq"] if group["amsgrad"] else []
        )
        beta1, beta2 = group["betas"]
        adam(
            *arrays(items),
            column(items, "exp_avg"),
            column(items, "exp_avg_sq"),
            column(items, "max_exp_avg_sq"),
            column(items, "step"),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=group["amsgrad"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )
        bump_all(items)


class AdamW(Adam):
    """AdamW (PyTorch `torch.optim.AdamW`): Adam with decoupled weight decay
    `p *= 1 - lr * weight_decay`, applied before the Adam step (default 1e-2).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
            decoupled_weight_decay=True,
        )
