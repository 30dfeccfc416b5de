"""Gradient clipping (by norm and by value) and the L1/L2 penalty helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import optim


def params_with_grads(*grads):
    ps = []
    for g in grads:
        p = ag.Tensor(np.zeros(np.shape(g)), requires_grad=True)
        p.grad = ag.Tensor(np.array(g, dtype=np.float64))  # a copy: clipping is in place
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_jointly_and_returns_total():
    ps = params_with_grads([3.0, 0.0], [[0.0], [4.0]])
    total = optim.clip_grad_norm_(ps, max_norm=2.5)
    assert isinstance(total, ag.Tensor) and math.isclose(float(total), 5.0)
    np.testing.assert_allclose(ps[0].grad.data, [1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(ps[1].grad.data, [[0.0], [2.0]], rtol=1e-6)
    new = math.sqrt(sum(float((p.grad.data**2).sum()) for p in ps))
    assert math.isclose(new, 2.5, rel_tol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone():
    ps = params_with_grads([0.3, -0.4])
    total = optim.clip_grad_norm_(ps, max_norm=1.0)
    assert math.isclose(float(total), 0.5)
    np.testing.assert_array_equal(ps[0].grad.data, [0.3, -0.4])


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf])
def test_clip_grad_norm_other_norms(norm_type):
    g1, g2 = np.array([1.0, -2.0, 3.0]), np.array([-4.0, 0.5])
    ps = params_with_grads(g1, g2)
    flat = np.concatenate([g1, g2])
    if math.isinf(norm_type):
        expected = np.abs(flat).max()
    else:
        expected = np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    total = optim.clip_grad_norm_(ps, max_norm=1.0, norm_type=norm_type)
    assert math.isclose(float(total), expected, rel_tol=1e-9)
    np.testing.assert_allclose(ps[0].grad.data, g1 / (expected + 1e-6))


def test_clip_grad_norm_skips_missing_grads_and_accepts_single_tensor():
    a = ag.Tensor(np.ones(2), requires_grad=True)
    assert float(optim.clip_grad_norm_([a], 1.0)) == 0.0
    (b,) = params_with_grads([6.0, 8.0])
    optim.clip_grad_norm_(b, 5.0)
    np.testing.assert_allclose(b.grad.data, [3.0, 4.0], rtol=1e-6)


def test_clip_grad_norm_nonfinite():
    ps = params_with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="Invalid max_norm"):
        optim.clip_grad_norm_(ps, -1.0)
    with pytest.raises(ValueError, match="Invalid norm_type"):
        optim.clip_grad_norm_(ps, 1.0, norm_type=0)


def test_clip_grad_value():
    ps = params_with_grads([-3.0, 0.5, 2.0])
    optim.clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad.data, [-1.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="Invalid clip_value"):
        optim.clip_grad_value_(ps, -0.1)


def test_clip_on_real_backward_grads():
    w = ag.Tensor(np.array([10.0, -10.0]), requires_grad=True)
    (w * w).sum().backward()
    optim.clip_grad_norm_([w], 1.0)
    assert math.isclose(float(np.linalg.norm(w.grad.data)), 1.0, rel_tol=1e-5)


@pytest.mark.torch
def test_clip_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    gs = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    for norm_type in (2.0, 1.0, math.inf):
        ps = params_with_grads(*gs)
        tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
        for tp, g in zip(tps, gs, strict=True):
            tp.grad = torch.tensor(g)
        t_total = torch.nn.utils.clip_grad_norm_(tps, 0.7, norm_type=norm_type)
        total = optim.clip_grad_norm_(ps, 0.7, norm_type=norm_type)
        assert math.isclose(float(total), float(t_total), rel_tol=1e-9)
        for p, tp in zip(ps, tps, strict=True):
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-9)


# ----- penalties -----


def test_l1_penalty_value_and_gradient():
    a = ag.Tensor(np.array([1.0, -2.0, 0.0]), requires_grad=True)
    b = ag.Tensor(np.array([[3.0]]), requires_grad=True)
    pen = optim.l1_penalty([a, b], weight=0.1)
    assert math.isclose(float(pen), 0.6)
    pen.backward()
    np.testing.assert_allclose(a.grad.data, [0.1, -0.1, 0.0])
    np.testing.assert_allclose(b.grad.data, [[0.1]])
    with pytest.raises(ValueError, match="Invalid penalty weight"):
        optim.l1_penalty([a], weight=-1.0)
    with pytest.raises(ValueError, match="empty"):
        optim.l1_penalty([])


def test_l1_penalty_makes_weights_sparse():
    # least squares where only feature 0 matters; L1 pushes the useless weights towards 0
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = x[:, :1] * 2.0

    def train(l1):
        w = ag.Tensor(np.full((5, 1), 0.5), requires_grad=True)
        opt = optim.SGD([w], lr=0.05)
        for _ in range(300):
            opt.zero_grad()
            loss = ((ag.Tensor(x) @ w - ag.Tensor(y)) ** 2).mean()
            if l1:
                loss = loss + optim.l1_penalty([w], l1)
            loss.backward()
            opt.step()
        return np.abs(w.data[1:]).max()

    assert train(0.05) < 0.03 and train(0.05) < train(0.0) + 0.03


def test_l2_penalty_equals_coupled_weight_decay():
    def train(use_penalty):
        w = ag.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
        opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.0 if use_penalty else 0.3)
        for _ in range(5):
            opt.zero_grad()
            loss = ag.sin(w).sum()
            if use_penalty:
                loss = loss + optim.l2_penalty(w, 0.3)
            loss.backward()
            opt.step()
        return w.data

    np.testing.assert_allclose(train(True), train(False), rtol=1e-12)
