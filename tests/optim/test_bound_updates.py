"""Bound updates (optim._bound): a group whose gradients are the same tensors step after step
runs prepared kernel calls, with exactly the general path's results, and any change to what
they were prepared for (lr, a gradient, a state buffer, the state dict) takes the general
path again."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd as ag
import optim

OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2),
    "amsgrad": lambda ps: optim.Adam(ps, lr=1e-2, amsgrad=True),
}


def _params(dtype: Any) -> list[ag.Tensor]:
    rng = np.random.default_rng(0)
    return [ag.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in [(3, 4), (4,), ()]]


def _run(make: Any, dtype: Any, same_grads: bool, steps: int = 6) -> tuple[list, Any]:
    """Steps with gradients written in place into the same tensors (bound after the second
    step) or given as new tensors each step (never bound); the parameters after each step."""
    ps = _params(dtype)
    opt = make(ps)
    rng = np.random.default_rng(1)
    seen = []
    for k in range(steps):
        for p in ps:
            g = rng.standard_normal(p.shape).astype(dtype)
            if same_grads and p.grad is not None:
                p.grad.data[...] = g
            else:
                p.grad = ag.tensor(g)
        if k == 3:
            opt.param_groups[0]["lr"] *= 0.5  # an edited hyperparameter: rebuilt, then bound
        opt.step()
        seen.append([p.data.copy() for p in ps])
    return seen, opt


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bound_steps_equal_the_general_path(name: str, dtype: Any) -> None:
    bound, opt = _run(OPTIMIZERS[name], dtype, same_grads=True)
    general, other = _run(OPTIMIZERS[name], dtype, same_grads=False)
    assert opt._binder.bound and not other._binder.bound
    for a, b in zip(bound, general, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    for p in opt.param_groups[0]["params"]:
        if name.startswith("adam") or name == "amsgrad":
            assert opt.state[p]["step"] == 6


def test_a_replaced_gradient_or_state_leaves_the_bound_path() -> None:
    ps = _params(np.float64)
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = ag.tensor(np.ones(p.shape))
    for _ in range(3):
        opt.step()
    bound = opt._binder.bound[id(opt.param_groups[0])]
    group = opt.param_groups[0]
    key = (0.1, 0.9, 0.0, 0.0, False, False)
    assert bound.valid(group, key, opt.state)
    ps[0].grad = ag.tensor(np.ones(ps[0].shape))  # a new gradient tensor
    assert not bound.valid(group, key, opt.state)
    opt.step()  # general path, and the next step binds again
    opt.step()
    bound = opt._binder.bound[id(group)]
    opt.state[ps[1]]["momentum_buffer"] = np.zeros(ps[1].shape)
    assert not bound.valid(group, key, opt.state)
    before = ps[1].data.copy()
    opt.step()
    np.testing.assert_array_equal(ps[1].data, before - 0.1)  # from the new (zero) buffer
    opt.load_state_dict(opt.state_dict())
    assert not opt._binder.bound[id(group)].valid(group, key, opt.state)


def test_compiled_training_step_uses_the_bound_update() -> None:
    from nn import Linear
    from nn.functional import mse_loss

    ag.manual_seed(0)
    lin = Linear(3, 2)
    opt = optim.Adam(lin.parameters(), lr=0.01)

    def step(x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        opt.zero_grad()
        loss = mse_loss(lin(x), y)
        loss.backward()
        opt.step()
        return loss

    compiled = ag.compile(step)
    x, y = ag.randn(4, 3), ag.randn(4, 2)
    for _ in range(5):
        compiled(x, y)
    assert opt._binder.bound  # replays give .grad the same tensors: bound
    assert all(opt.state[p]["step"] == 5 for p in lin.parameters())
