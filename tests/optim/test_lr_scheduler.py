"""Learning-rate schedulers: closed-form values, chaining, plateaus, state dicts, torch oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import optim
from optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR


def make_opt(lr=1.0, groups=1):
    ps = [ag.Tensor(np.ones(2), requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr)


def run(sched, opt, epochs):
    lrs = [[g["lr"] for g in opt.param_groups]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return np.array(lrs)


def test_step_lr_values_per_group():
    opt = make_opt(1.0, groups=2)
    lrs = run(StepLR(opt, step_size=3, gamma=0.5), opt, 9)
    expected = np.array([[0.5 ** (e // 3)] for e in range(10)]) * np.array([1.0, 2.0])
    np.testing.assert_allclose(lrs, expected)


def test_exponential_lr_values():
    opt = make_opt(0.1)
    lrs = run(ExponentialLR(opt, gamma=0.9), opt, 6)[:, 0]
    np.testing.assert_allclose(lrs, 0.1 * 0.9 ** np.arange(7))


def test_cosine_follows_closed_form_through_restart_region():
    opt = make_opt(0.1)
    T, lo = 5, 0.01
    lrs = run(CosineAnnealingLR(opt, T_max=T, eta_min=lo), opt, 3 * T)[:, 0]
    t = np.arange(3 * T + 1)
    expected = lo + (0.1 - lo) * (1 + np.cos(np.pi * t / T)) / 2
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)
    assert math.isclose(lrs[T], lo) and math.isclose(lrs[2 * T], 0.1)


def test_schedulers_chain_on_manual_changes():
    opt = make_opt(1.0)
    sched = ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    opt.param_groups[0]["lr"] = 10.0  # a manual change carries on (recursive form)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [5.0]


def test_step_with_epoch_uses_closed_form():
    opt = make_opt(1.0)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    sched.step(epoch=5)
    assert math.isclose(opt.param_groups[0]["lr"], 0.01)


def test_initial_lr_and_resume():
    opt = make_opt(0.5)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    run(sched, opt, 2)
    assert opt.param_groups[0]["initial_lr"] == 0.5 and sched.base_lrs == [0.5]
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 2
    opt2 = make_opt(0.5)
    opt2.load_state_dict(opt.state_dict())
    sched2 = StepLR(opt2, step_size=1, gamma=0.5)  # PyTorch's resume recipe
    sched2.load_state_dict(state)
    assert opt2.param_groups[0]["lr"] == 0.125
    assert run(sched, opt, 2)[-1, 0] == run(sched2, opt2, 2)[-1, 0] == 0.5 * 0.5**4
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_opt(), step_size=1, last_epoch=3)


def test_validation():
    opt = make_opt()
    with pytest.raises(ValueError, match="Invalid step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="Invalid gamma"):
        ExponentialLR(opt, gamma=-0.5)
    with pytest.raises(ValueError, match="Invalid T_max"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(TypeError, match="not an Optimizer"):
        StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="Invalid factor"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="Invalid mode"):
        ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="Invalid patience"):
        ReduceLROnPlateau(opt, patience=-1)


def test_plateau_reduces_after_patience_with_cooldown_and_min_lr():
    opt = make_opt(1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    lrs = []
    for v in losses:
        sched.step(v)
        lrs.append(sched.get_last_lr()[0])
    # bad epochs after 0.9: 1, 2, 3 -> reduce at the 5th step; cooldown 1 epoch, then 3 more
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    for _ in range(20):
        sched.step(0.9)
    assert sched.get_last_lr() == [0.2]


def test_plateau_mode_max_and_threshold():
    opt = make_opt(1.0)
    sched = ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.1,
                              threshold_mode="abs")
    sched.step(0.5)
    assert sched.get_last_lr() == [1.0]
    sched.step(0.55)  # not better than 0.5 + 0.1
    assert math.isclose(sched.get_last_lr()[0], 0.1)
    sched.step(0.7)  # better
    assert math.isclose(sched.get_last_lr()[0], 0.1)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name,kwargs",
    [("StepLR", dict(step_size=3, gamma=0.3)), ("ExponentialLR", dict(gamma=0.8)),
     ("CosineAnnealingLR", dict(T_max=4, eta_min=0.05))],
)
def test_matches_torch_schedules(name, kwargs):
    torch = pytest.importorskip("torch")
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.7)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    ref = [topt.param_groups[0]["lr"]]
    for _ in range(13):
        topt.step()
        tsched.step()
        ref.append(tsched.get_last_lr()[0])
    opt = make_opt(0.7)
    ours = run(getattr(optim.lr_scheduler, name)(opt, **kwargs), opt, 13)[:, 0]
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.torch
def test_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(1, 0.5, 5), 0.5 + rng.uniform(0, 0.01, 30)])
    kw = dict(factor=0.5, patience=3, cooldown=2, min_lr=0.01, threshold=1e-3)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    opt = make_opt(1.0)
    sched = ReduceLROnPlateau(opt, **kw)
    for m in metrics:
        tsched.step(float(m))
        sched.step(float(m))
        assert math.isclose(opt.param_groups[0]["lr"], topt.param_groups[0]["lr"])
    assert opt.param_groups[0]["lr"] < 1.0
