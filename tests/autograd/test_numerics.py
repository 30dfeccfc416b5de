"""Numerically stable forms and edge cases: RELIABILITY.md cases 13-19."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag


def _ce(logits: ag.Tensor, target: int) -> ag.Tensor:
    return -ag.log_softmax(logits, axis=-1)[target]


def test_softmax_extreme_logits_are_finite():  # case 13
    z = ag.tensor([1e4, 0.0, -1e4], requires_grad=True)
    with np.errstate(all="raise"):
        p = ag.softmax(z)
        lp = ag.log_softmax(z)
    np.testing.assert_allclose(p.data, [1.0, 0.0, 0.0])
    assert np.all(np.isfinite(lp.data))
    with np.errstate(all="raise"):
        _ce(z, 0).backward()
    assert np.all(np.isfinite(z.grad.data))


def test_cross_entropy_scale_and_gradient():  # case 13
    for scale in (1.0, 1e8):
        z = ag.tensor([1.0 * scale, 1.0 * scale])
        assert _ce(z, 0).item() == pytest.approx(np.log(2), rel=1e-6)
    z = ag.tensor([-431.0, 279.0, 427.0], requires_grad=True)
    _ce(z, 1).backward()
    p = ag.softmax(z).data
    np.testing.assert_allclose(z.grad.data, p - np.array([0, 1, 0]), atol=1e-6)
    assert np.all(np.isfinite(z.grad.data))


def test_logsumexp_shift():  # case 14
    assert ag.logsumexp(ag.tensor([1000.0, 1000.0])).item() == pytest.approx(1000 + np.log(2))
    assert ag.logsumexp(ag.tensor([-1000.0, -1000.0])).item() == pytest.approx(
        -1000 + np.log(2)
    )
    x = ag.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    ag.logsumexp(x).backward()
    np.testing.assert_allclose(x.grad.data, ag.softmax(x).data)


def test_sigmoid_saturates_without_overflow():  # case 15
    x = ag.tensor([-1000.0, 1000.0], requires_grad=True)
    with np.errstate(all="raise"):
        y = ag.sigmoid(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_softplus_stable():
    x = ag.tensor([-1e4, 0.0, 1e4])
    with np.errstate(all="raise"):
        y = ag.softplus(x)
    np.testing.assert_allclose(y.data, [0.0, np.log(2), 1e4], rtol=1e-6)


@pytest.mark.parametrize(
    ("fn", "at", "expected"),
    [
        (ag.relu, 0.0, 0.0),
        (ag.abs, 0.0, 0.0),
        (lambda t: ag.norm(t), 0.0, 0.0),
    ],
)
def test_subgradients_at_kinks(fn, at, expected):  # case 17
    x = ag.tensor([at], requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.item() == expected


def test_max_ties_split_evenly_and_sqrt_zero_is_inf():  # case 17
    x = ag.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 0.5])
    y = ag.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        ag.sqrt(y).backward(gradient=np.ones(1, np.float32))
    assert np.isinf(y.grad.item())


def test_nan_propagates_in_plain_mode():  # case 18
    x = ag.tensor([np.nan, 1.0], requires_grad=True)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    assert np.isnan((x * 2).data[0])


def test_zero_size_tensors():  # case 19
    x = ag.Tensor(np.zeros((0, 3)), requires_grad=True)
    w = ag.Tensor(np.ones((3, 2)), requires_grad=True)
    (x.sum() + (x @ w).sum() + ag.concatenate([x, x]).sum()).backward()
    assert x.grad.shape == (0, 3)
    assert w.grad.shape == (3, 2)
    np.testing.assert_array_equal(w.grad.data, np.zeros((3, 2)))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = ag.Tensor(np.zeros((0, 3))).mean()
    assert np.isnan(m.item())
    assert rec, "mean of an empty tensor warns like np.mean"


def test_float32_stays_float32():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0 + 1) / 3 - x**2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert ag.tensor(1.0).dtype == np.float32
    assert ag.Tensor(np.ones(2)).dtype == np.float64
    assert (x + [1, 2]).dtype == np.float32  # Python ints/lists take the tensor's dtype
    assert (x * True).dtype == np.float32
    assert (ag.tensor([1, 2]) + 1).dtype == np.int64


def test_default_dtype_switch():
    ag.set_default_dtype(np.float64)
    try:
        assert ag.tensor([1.0]).dtype == np.float64
        assert ag.randn(2).dtype == np.float64
    finally:
        ag.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match="floating"):
        ag.set_default_dtype(np.int32)
