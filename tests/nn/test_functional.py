"""nn.functional: forward against NumPy references, gradients in float64 (gradcheck and
gradgradcheck), argument errors, and PyTorch as an optional oracle."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.errors import DTypeError, ShapeError
from nn import functional as F

rng = np.random.default_rng(0)


def r(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def log_softmax_ref(x: np.ndarray, axis: int = 1) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# ----------------------------------------------------------------------------- losses


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_numpy_and_gradcheck(reduction):
    x, t = r(3, 4), r(3, 4)
    red = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    np.testing.assert_allclose(F.mse_loss(x, t, reduction=reduction).data, red((x - t) ** 2))
    np.testing.assert_allclose(F.l1_loss(x, t, reduction=reduction).data, red(np.abs(x - t)))
    ag.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), (x, t))
    ag.gradcheck(lambda a: F.l1_loss(a, t, reduction=reduction), (x,))
    ag.gradgradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), (x, t))


def test_bce_matches_numpy_clamps_and_gradchecks():
    p = rng.uniform(0.05, 0.95, (4, 3))
    t = (rng.random((4, 3)) > 0.5).astype(np.float64)
    w = rng.uniform(0.5, 2, (3,))
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p)) * w
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, w).data, ref.mean())
    ag.gradcheck(lambda a: F.binary_cross_entropy(a, t, w, reduction="sum"), (p,))
    ag.gradgradcheck(lambda a: F.binary_cross_entropy(a, t), (p,))
    # log(0) is clamped at -100: finite loss and finite gradient
    edge = ag.Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True)
    loss = F.binary_cross_entropy(edge, ag.Tensor(np.array([1.0, 0.0, 1.0])), reduction="sum")
    assert loss.item() == pytest.approx(200 + np.log(2))
    loss.backward()
    assert np.all(np.isfinite(edge.grad.data))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))


def test_bce_with_logits_stable_and_pos_weight():
    x = np.array([[-800.0, -2.0, 0.0, 3.0, 800.0]])
    t = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    out = F.binary_cross_entropy_with_logits(x, t, reduction="none").data
    ref = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(out, ref)
    pw = np.array([1.0, 2.0, 3.0, 0.5, 1.0])
    sig = 1 / (1 + np.exp(-x[:, 1:4]))
    ref_pw = -(pw[1:4] * t[:, 1:4] * np.log(sig) + (1 - t[:, 1:4]) * np.log(1 - sig))
    got = F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none").data
    np.testing.assert_allclose(got[:, 1:4], ref_pw)
    xs, ts = r(3, 2), rng.random((3, 2))
    ag.gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, ts, pos_weight=pw[:2]), (xs,))
    ag.gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, ts), (xs,))


def ce_ref(x, t, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    lp = log_softmax_ref(x, 1)
    c = x.shape[1]
    if x.ndim > 2:
        lp = np.moveaxis(lp, 1, -1).reshape(-1, c)
    t = t.reshape(-1)
    w = np.ones(c) if weight is None else weight
    keep = t != ignore_index
    ts = np.where(keep, t, 0)
    nll = -lp[np.arange(len(t)), ts] * w[ts] * keep
    smooth = -(lp * w).sum(1) * keep
    loss = (1 - smoothing) * nll + smoothing / c * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (w[ts] * keep).sum()


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_reference(smoothing, weighted):
    x = r(6, 4)
    t = np.array([0, 3, 1, -100, 2, 3])
    w = rng.uniform(0.5, 2, 4) if weighted else None
    for red in ("mean", "sum", "none"):
        got = F.cross_entropy(x, t, w, reduction=red, label_smoothing=smoothing).data
        np.testing.assert_allclose(got.reshape(-1), np.reshape(
            ce_ref(x, t, w, smoothing=smoothing, reduction=red), -1), rtol=1e-10)
    ag.gradcheck(lambda a: F.cross_entropy(a, t, w, label_smoothing=smoothing), (x,))
    ag.gradgradcheck(lambda a: F.cross_entropy(a, t, w, label_smoothing=smoothing), (x,))


def test_cross_entropy_spatial_and_probability_targets():
    x = r(2, 3, 2, 2)
    t = rng.integers(0, 3, (2, 2, 2))
    np.testing.assert_allclose(F.cross_entropy(x, t).data, ce_ref(x, t))
    assert F.cross_entropy(x, t, reduction="none").shape == (2, 2, 2)
    ag.gradcheck(lambda a: F.cross_entropy(a, t), (x,))
    probs = rng.random((5, 4))
    probs /= probs.sum(1, keepdims=True)
    xl = r(5, 4)
    ref = -(probs * log_softmax_ref(xl)).sum(1).mean()
    np.testing.assert_allclose(F.cross_entropy(xl, probs).data, ref)
    ag.gradcheck(lambda a: F.cross_entropy(a, probs, label_smoothing=0.1), (xl,))


def test_cross_entropy_stable_for_huge_logits_and_grad_is_softmax_minus_onehot():
    x = ag.Tensor(np.array([[-431.0, 279.0, 427.0]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0]))
    assert loss.item() == pytest.approx(858.0)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[-1.0, 0.0, 1.0]], atol=1e-12)


def _loss_cases() -> dict:
    g = np.random.default_rng(1)
    x, y, z = g.standard_normal((3, 4, 3))
    labels, sign = np.array([0, 2, 1, 2]), np.array([1.0, -1.0, -1.0, 1.0])
    probs, bits = 1 / (1 + np.exp(-x)), (z > 0).astype(float)
    logp = log_softmax_ref(x)
    return {
        "mse_loss": (x, y), "l1_loss": (x, y), "smooth_l1_loss": (x, y), "huber_loss": (x, y),
        "binary_cross_entropy": (probs, bits), "binary_cross_entropy_with_logits": (x, bits),
        "kl_div": (logp, np.exp(log_softmax_ref(y))), "poisson_nll_loss": (x, np.abs(y)),
        "gaussian_nll_loss": (x, y, np.abs(y) + 0.1), "nll_loss": (logp, labels),
        "cross_entropy": (x, labels), "multilabel_soft_margin_loss": (x, bits),
        "multi_margin_loss": (x, labels), "margin_ranking_loss": (x[:, 0], y[:, 0], sign),
        "hinge_embedding_loss": (x[:, 0], sign), "soft_margin_loss": (x[:, 0], sign),
        "cosine_embedding_loss": (x, y, sign), "triplet_margin_loss": (x, y, z),
    }


@pytest.mark.parametrize("name", sorted(_loss_cases()))
def test_every_loss_resolves_and_checks_its_reduction(name):
    import inspect

    fn, args = getattr(F, name), _loss_cases()[name]
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of"):
        fn(*args, reduction="avg")
    total, each = fn(*args, reduction="sum"), fn(*args, reduction="none")
    assert each.ndim >= 1 and total.shape == ()
    if "size_average" not in inspect.signature(fn).parameters:
        return
    np.testing.assert_allclose(fn(*args, size_average=False).data, total.data)
    np.testing.assert_allclose(fn(*args, reduce=False).data, each.data)
    with pytest.raises(TypeError, match="passed positionally"):
        fn(*args, size_average="sum")


def test_cross_entropy_errors():
    x = r(3, 4)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, np.array([0, 1, 4]))
    with pytest.raises(ShapeError, match=r"target shape \(2,\) does not match input shape"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(ShapeError, match="must match input shape"):
        F.mse_loss(r(3, 1), r(3))
    with pytest.raises(DTypeError):
        F.nll_loss(x, np.array([0.0, 1.0, 2.0]))


def test_nll_loss_on_log_probs():
    x = log_softmax_ref(r(4, 3))
    t = np.array([2, 0, 1, 1])
    np.testing.assert_allclose(F.nll_loss(x, t).data, -x[np.arange(4), t].mean())


# ----------------------------------------------------------------------------- layers


def test_linear_matches_numpy_and_gradchecks():
    x, w, b = r(5, 3), r(4, 3), r(4)
    np.testing.assert_allclose(F.linear(x, w, b).data, x @ w.T + b)
    ag.gradcheck(F.linear, (x, w, b))
    ag.gradgradcheck(F.linear, (x, w, b))
    ag.gradcheck(lambda a, ww: F.linear(a, ww), (r(2, 3, 3), w))


@pytest.mark.parametrize(
    "fn, ref",
    [
        (F.relu, lambda x: np.maximum(x, 0)),
        (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
        (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
        (F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
        (F.tanh, np.tanh),
        (lambda x: F.softmax(x, 1), lambda x: np.exp(log_softmax_ref(x, 1))),
        (lambda x: F.log_softmax(x, 0), lambda x: log_softmax_ref(x, 0)),
    ],
)
def test_activations(fn, ref):
    x = r(3, 4)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from kinks for finite differences
    np.testing.assert_allclose(fn(x).data, ref(x), rtol=1e-12)
    ag.gradcheck(fn, (x,))
    ag.gradgradcheck(fn, (x,))


def test_dropout_inverted_scaling_and_eval_identity():
    x = ag.ones(2000, 50)
    ag.manual_seed(3)
    y = F.dropout(x, 0.3, training=True).data
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    ag.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.3).data, y)  # seeded
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)
    xs = r(4, 5)
    ag.manual_seed(1)
    mask = F.dropout(ag.ones(4, 5, dtype=np.float64), 0.5).data

    def f(a):
        ag.manual_seed(1)
        return F.dropout(a, 0.5)

    np.testing.assert_allclose(f(xs).data, xs * mask)
    ag.gradcheck(f, (xs,))


def bn_ref(x, mean, var, w, b, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(
        shape) + b.reshape(shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 2, 2)])
def test_batch_norm_train_and_eval(shape):
    x = r(*shape) * 2 + 1
    w, b = r(3), r(3)
    rm, rv = ag.Tensor(np.zeros(3)), ag.Tensor(np.ones(3))
    axes = (0,) + tuple(range(2, x.ndim))
    out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=1e-5).data
    np.testing.assert_allclose(out, bn_ref(x, x.mean(axes), x.var(axes), w, b, 1e-5), atol=1e-12)
    np.testing.assert_allclose(rm.data, 0.1 * x.mean(axes))
    np.testing.assert_allclose(rv.data, 0.9 + 0.1 * x.var(axes, ddof=1))
    ev = F.batch_norm(x, rm, rv, w, b, training=False).data
    np.testing.assert_allclose(ev, bn_ref(x, rm.data, rv.data, w, b, 1e-5))
    ag.gradcheck(lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True), (x, w, b))
    ag.gradgradcheck(lambda a, ww: F.batch_norm(a, None, None, ww, None, training=True), (x, w))
    ag.gradcheck(lambda a: F.batch_norm(a, rm, rv, training=False), (x,))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(r(1, 3), ag.zeros(3), ag.ones(3), training=True)
    with pytest.raises(ShapeError, match=r"weight has shape \(4,\); expected \(3,\)"):
        F.batch_norm(r(2, 3), None, None, weight=ag.ones(4), training=True)


def lrn_ref(x, size, alpha, beta, k):
    c = x.shape[1]
    sq = np.pad(x**2, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    s = sum(sq[:, i : i + c] for i in range(size))
    return x / (k + alpha / size * s) ** beta


@pytest.mark.parametrize("size", [1, 2, 5])
def test_local_response_norm(size):
    x = r(2, 6, 3, 3)
    np.testing.assert_allclose(
        F.local_response_norm(x, size, 1e-2, 0.75, 2.0).data, lrn_ref(x, size, 1e-2, 0.75, 2.0)
    )
    xs = r(2, 4, 2)
    ag.gradcheck(lambda a: F.local_response_norm(a, size, 0.1, 0.75, 1.0), (xs,))
    ag.gradgradcheck(lambda a: F.local_response_norm(a, size, 0.1, 0.75, 1.0), (xs,))
    with pytest.raises(ShapeError, match="at least 3 dims"):
        F.local_response_norm(r(2, 3), 2)


# ----------------------------------------------------------------------------- torch oracle


@pytest.mark.torch
def test_losses_and_norms_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, t = r(6, 5), rng.integers(0, 5, 6)
    t[2] = -100
    w = rng.uniform(0.5, 2, 5)
    T = torch.tensor
    for sm in (0.0, 0.3):
        np.testing.assert_allclose(
            F.cross_entropy(x, t, w, label_smoothing=sm).data,
            tf.cross_entropy(T(x), T(t), T(w), label_smoothing=sm).numpy(), rtol=1e-10)
    p, tb = rng.uniform(0.01, 0.99, (4, 3)), rng.random((4, 3))
    np.testing.assert_allclose(F.binary_cross_entropy(p, tb).data,
                               tf.binary_cross_entropy(T(p), T(tb)).numpy(), rtol=1e-10)
    xl = r(4, 3)
    pw = rng.uniform(0.5, 2, 3)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(xl, tb, pos_weight=pw).data,
        tf.binary_cross_entropy_with_logits(T(xl), T(tb), pos_weight=T(pw)).numpy(), rtol=1e-10)
    xn = r(2, 7, 3, 3)
    np.testing.assert_allclose(F.local_response_norm(xn, 3, 1e-2, 0.75, 2.0).data,
                               tf.local_response_norm(T(xn), 3, 1e-2, 0.75, 2.0).numpy(),
                               rtol=1e-10)
