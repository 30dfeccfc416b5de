"""Every learning-rate scheduler against PyTorch (optional oracle): the same lr (and cycled
momentum) sequence for 100 steps over two parameter groups, several configs each, and a state
dict saved mid-way and loaded into a fresh optimizer + scheduler continues the same sequence."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import optim
from optim import lr_scheduler as ours_lrs

STEPS = 100


def make_optimizer(lib, tensor, name):
    a, b = tensor(np.ones(3)), tensor(np.ones(2))
    groups = [{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.05}]
    if name == "SGD":
        return lib.SGD(groups, lr=0.1, momentum=0.9)
    return lib.Adam(groups, lr=0.1)


def decay(e):
    return 0.95**e


def inverse(e):
    return 1 / (e + 1)


def constant(e):
    return 0.97


CASES = {
    "LambdaLR-one": ("SGD", lambda L, o: L.LambdaLR(o, decay)),
    "LambdaLR-per-group": ("SGD", lambda L, o: L.LambdaLR(o, [inverse, decay])),
    "MultiplicativeLR": ("SGD", lambda L, o: L.MultiplicativeLR(o, constant)),
    "StepLR": ("SGD", lambda L, o: L.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": ("SGD", lambda L, o: L.MultiStepLR(o, [10, 30, 30, 60], gamma=0.3)),
    "ConstantLR-default": ("SGD", lambda L, o: L.ConstantLR(o)),
    "ConstantLR": ("SGD", lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=20)),
    "LinearLR-warmup": ("SGD", lambda L, o: L.LinearLR(o, 0.1, 1.0, total_iters=30)),
    "LinearLR-decay": ("SGD", lambda L, o: L.LinearLR(o, 1.0, 0.05, total_iters=80)),
    "ExponentialLR": ("SGD", lambda L, o: L.ExponentialLR(o, gamma=0.97)),
    "PolynomialLR-default": ("SGD", lambda L, o: L.PolynomialLR(o)),
    "PolynomialLR": ("SGD", lambda L, o: L.PolynomialLR(o, total_iters=60, power=2.0)),
    "CosineAnnealingLR": ("SGD", lambda L, o: L.CosineAnnealingLR(o, T_max=30, eta_min=0.01)),
    "WarmRestarts": ("SGD", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10)),
    "WarmRestarts-mult": (
        "SGD", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3)),
    "CyclicLR-triangular": (
        "SGD", lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=10)),
    "CyclicLR-triangular2": (
        "SGD", lambda L, o: L.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=5,
                                       step_size_down=15, mode="triangular2")),
    "CyclicLR-exp_range-adam": (
        "Adam", lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=8, mode="exp_range",
                                        gamma=0.99, base_momentum=0.85, max_momentum=0.95)),
    "CyclicLR-no-momentum": (
        "Adam", lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=4,
                                        cycle_momentum=False)),
    "OneCycleLR": ("SGD", lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=STEPS)),
    "OneCycleLR-three-phase-adam": (
        "Adam", lambda L, o: L.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=STEPS + 20,
                                          anneal_strategy="linear", three_phase=True)),
    "OneCycleLR-epochs": (
        "SGD", lambda L, o: L.OneCycleLR(o, max_lr=0.05, epochs=10, steps_per_epoch=10,
                                         pct_start=0.25, cycle_momentum=False,
                                         div_factor=10.0, final_div_factor=100.0)),
    "SequentialLR": (
        "SGD", lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=10), L.ExponentialLR(o, 0.95)], [10])),
    "SequentialLR-three": (
        "SGD", lambda L, o: L.SequentialLR(
            o, [L.ConstantLR(o, 0.2, total_iters=5), L.StepLR(o, 10, 0.5),
                L.CosineAnnealingLR(o, T_max=20)], [5, 40])),
    "ChainedScheduler": (
        "SGD", lambda L, o: L.ChainedScheduler(
            [L.ConstantLR(o, factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.9)])),
    "ChainedScheduler-linear-multistep": (
        "Adam", lambda L, o: L.ChainedScheduler(
            [L.LinearLR(o, 0.5, total_iters=20), L.MultiStepLR(o, [25, 50], 0.5)], o)),
}


def record(opt):
    momenta = [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
    return [g["lr"] for g in opt.param_groups] + momenta


def run(lib, lrs, tensor, opt_name, build, steps=STEPS, resume_at=None):
    """lrs (and momenta) after each step; with `resume_at`, switch at that step to a fresh
    optimizer and scheduler loaded from state dicts (PyTorch's resume recipe)."""
    opt = make_optimizer(lib, tensor, opt_name)
    sched = build(lrs, opt)
    out = [record(opt) + sched.get_last_lr()]
    for k in range(steps):
        if k == resume_at:
            opt_state, sched_state = opt.state_dict(), sched.state_dict()
            opt = make_optimizer(lib, tensor, opt_name)
            sched = build(lrs, opt)
            opt.load_state_dict(opt_state)
            sched.load_state_dict(sched_state)
        opt.step()
        sched.step()
        out.append(record(opt) + sched.get_last_lr())
    return np.array(out, dtype=float)


def ours(opt_name, build, **kw):
    return run(optim, ours_lrs, lambda a: ag.tensor(a, requires_grad=True), opt_name, build,
               **kw)


def theirs(torch, opt_name, build, **kw):
    return run(torch.optim, torch.optim.lr_scheduler,
               lambda a: torch.tensor(a, requires_grad=True), opt_name, build, **kw)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_same_sequence_as_torch(case):
    torch = pytest.importorskip("torch")
    opt_name, build = CASES[case]
    np.testing.assert_allclose(ours(opt_name, build), theirs(torch, opt_name, build),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_resume_continues_the_sequence(case):
    opt_name, build = CASES[case]
    straight = ours(opt_name, build)
    resumed = ours(opt_name, build, resume_at=STEPS // 2)
    np.testing.assert_allclose(resumed, straight, rtol=1e-12, atol=1e-15)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", ["LambdaLR-one", "OneCycleLR", "SequentialLR-three",
                                  "CyclicLR-triangular2"])
def test_resume_matches_torch(case):
    torch = pytest.importorskip("torch")
    opt_name, build = CASES[case]
    np.testing.assert_allclose(ours(opt_name, build, resume_at=37),
                               theirs(torch, opt_name, build, resume_at=37), rtol=1e-12)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_torch(t_mult):
    torch = pytest.importorskip("torch")
    seqs = []
    for lib, tensor in ((optim, lambda a: ag.tensor(a, requires_grad=True)),
                        (torch.optim, lambda a: torch.tensor(a, requires_grad=True))):
        opt = make_optimizer(lib, tensor, "SGD")
        sched = lib.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=t_mult)
        seq = []
        for epoch in range(30):
            for batch in range(5):
                sched.step(epoch + batch / 5)
                seq.append(sched.get_last_lr() + [sched.T_cur, sched.T_i, sched.last_epoch])
        seqs.append(np.array(seq, dtype=float))
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12, atol=1e-15)


def test_known_values_without_torch():
    opt = make_optimizer(optim, lambda a: ag.tensor(a, requires_grad=True), "SGD")
    sched = ours_lrs.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.5)
    assert math.isclose(sched.get_last_lr()[0], 1.0 / 25)
    assert opt.param_groups[0]["momentum"] == 0.95
    for _ in range(4):
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 1.0) and opt.param_groups[0]["momentum"] == 0.85
    for _ in range(5):
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 1.0 / 25 / 1e4)
    sched.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        sched.step()
    opt = make_optimizer(optim, lambda a: ag.tensor(a, requires_grad=True), "SGD")
    sched = ours_lrs.CyclicLR(opt, 0.0, 1.0, step_size_up=2, mode="triangular2",
                              cycle_momentum=False)
    seq = [sched.get_last_lr()[0]]
    for _ in range(8):
        sched.step()
        seq.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(seq, [0, 0.5, 1, 0.5, 0, 0.25, 0.5, 0.25, 0])


def test_validation_messages():
    opt = make_optimizer(optim, lambda a: ag.tensor(a, requires_grad=True), "SGD")
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        ours_lrs.LambdaLR(opt, [decay])
    with pytest.raises(ValueError, match="Invalid factor: 2"):
        ours_lrs.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Invalid start_factor: 0"):
        ours_lrs.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        ours_lrs.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="pct_start"):
        ours_lrs.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        ours_lrs.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        ours_lrs.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        ours_lrs.SequentialLR(opt, [ours_lrs.StepLR(opt, 2)], [3])
    other = make_optimizer(optim, lambda a: ag.tensor(a, requires_grad=True), "SGD")
    with pytest.raises(ValueError, match="same optimizer"):
        ours_lrs.ChainedScheduler([ours_lrs.StepLR(opt, 2), ours_lrs.StepLR(other, 2)])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        ours_lrs.ChainedScheduler([ours_lrs.ReduceLROnPlateau(opt)], opt)
    rms = optim.Adagrad([ag.tensor(np.ones(1), requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        ours_lrs.CyclicLR(rms, 0.01, 0.1)
