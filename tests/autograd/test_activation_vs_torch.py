"""Activations against PyTorch: values and gradients, float32/float64, random shapes, large
|x| and the exact kink points (PyTorch's subgradient conventions)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.torch

# (name, ours, torch's, keywords)
CASES = [
    ("erf", ag.erf, torch.erf, {}),
    ("erfc", ag.erfc, torch.erfc, {}),
    ("gelu", F.gelu, TF.gelu, {}),
    ("gelu-tanh", F.gelu, TF.gelu, {"approximate": "tanh"}),
    ("silu", F.silu, TF.silu, {}),
    ("mish", F.mish, TF.mish, {}),
    ("softplus", F.softplus, TF.softplus, {}),
    ("softplus-beta", F.softplus, TF.softplus, {"beta": 2.0, "threshold": 1.0}),
    ("relu", F.relu, TF.relu, {}),
    ("relu6", F.relu6, TF.relu6, {}),
    ("hardtanh", F.hardtanh, TF.hardtanh, {}),
    ("hardtanh-range", F.hardtanh, TF.hardtanh, {"min_val": -0.5, "max_val": 3.0}),
    ("hardswish", F.hardswish, TF.hardswish, {}),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, {}),
    ("softsign", F.softsign, TF.softsign, {}),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid, {}),
    ("selu", F.selu, TF.selu, {}),
    ("celu", F.celu, TF.celu, {"alpha": 2.0}),
    ("elu", F.elu, TF.elu, {"alpha": 0.7}),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu, {"negative_slope": 0.2}),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink, {}),
    ("softshrink", F.softshrink, TF.softshrink, {"lambd": 1.0}),
    ("hardshrink", F.hardshrink, TF.hardshrink, {"lambd": 1.0}),
    ("threshold", F.threshold, TF.threshold, {"threshold": 1.0, "value": -2.0}),
    ("rrelu-eval", F.rrelu, TF.rrelu, {"training": False}),
    ("sigmoid", F.sigmoid, torch.sigmoid, {}),
    ("tanh", F.tanh, torch.tanh, {}),
    ("ag.selu", ag.selu, torch.selu, {}),
    ("ag.celu", ag.celu, torch.celu, {}),
    ("ag.hardshrink", ag.hardshrink, torch.hardshrink, {}),
    ("ag.rrelu", ag.rrelu, torch.rrelu, {}),
]

# every kink, threshold and bound of the functions above, plus large |x|
EDGES = np.array([-50.0, -30.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 20.0, 30.0])


# torch's float64 hard-sigmoid gradient uses the float32 constant 1/6 (relative error 3e-8)
LOOSE = {"hardsigmoid", "hardswish"}


def _tol(name: str, dtype) -> float:
    if dtype == np.float32:
        return 1e-5
    return 1e-7 if name in LOOSE else 1e-10


def _compare(ours, theirs, kw, x: np.ndarray, rtol: float, atol: float) -> None:
    xa = ag.tensor(x, requires_grad=True)
    ya = ours(xa, **kw)
    g = np.random.default_rng(0).standard_normal(ya.shape).astype(x.dtype)
    (ya * ag.tensor(g)).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt, **kw)
    (yt * torch.tensor(g)).sum().backward()
    assert ya.dtype == x.dtype
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs", "kw"), CASES, ids=[c[0] for c in CASES])
def test_random_shapes(name, ours, theirs, kw, dtype) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    tol = _tol(name, dtype)
    _compare(ours, theirs, kw, x, tol, tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs", "kw"), CASES, ids=[c[0] for c in CASES])
def test_edges_and_kinks(name, ours, theirs, kw, dtype) -> None:
    x = EDGES.astype(dtype)
    tol = _tol(name, dtype)
    _compare(ours, theirs, kw, x, tol, tol)


def test_erfinv_matches_torch_inside_and_at_the_ends() -> None:
    x = np.array([-1.0, -0.999, -0.3, 0.0, 0.5, 0.999, 1.0])
    _compare(ag.erfinv, torch.erfinv, {}, x, 1e-10, 1e-10)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (4, 3), (6,)])
def test_prelu_per_channel_gradients(shape) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    x.flat[0] = 0.0  # the kink: the slope's branch, as torch
    c = shape[1] if len(shape) > 1 else 1
    w = rng.uniform(0.1, 0.4, c)
    xa, wa = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
    F.prelu(xa, wa).sum().backward()
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    TF.prelu(xt, wt).sum().backward()
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(wa.grad.data, wt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_glu_and_softmin(dim) -> None:
    x = np.random.default_rng(2).standard_normal((4, 6, 2))
    _compare(F.glu, TF.glu, {"dim": dim}, x, 1e-12, 1e-12)
    _compare(F.softmin, TF.softmin, {"dim": dim}, x, 1e-12, 1e-12)


def test_second_order_matches_torch() -> None:
    x = np.linspace(-2.5, 2.5, 7)
    for ours, theirs in [(F.gelu, TF.gelu), (F.mish, TF.mish), (F.silu, TF.silu),
                         (F.logsigmoid, TF.logsigmoid), (ag.erf, torch.erf)]:
        xa = ag.tensor(x, requires_grad=True)
        ga = ag.grad(lambda t, f=ours: f(t).sum())(xa)
        xt = torch.tensor(x, requires_grad=True)
        (gt,) = torch.autograd.grad(theirs(xt).sum(), xt, create_graph=True)
        (hgt,) = torch.autograd.grad(gt.sum(), xt)
        hga = ag.grad(lambda t, f=ours: ag.grad(lambda u: f(u).sum())(t).sum())(xa)
        np.testing.assert_allclose(ga.data, gt.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(hga.data, hgt.numpy(), rtol=1e-9, atol=1e-12)


def test_rrelu_training_draws_seeded_slopes_in_range() -> None:
    x = -np.ones((1000,))
    ag.manual_seed(3)
    a = F.rrelu(ag.tensor(x), 0.1, 0.3, training=True).data
    ag.manual_seed(3)
    b = F.rrelu(ag.tensor(x), 0.1, 0.3, training=True).data
    np.testing.assert_array_equal(a, b)
    assert np.all((-a >= 0.1) & (-a <= 0.3))
    assert abs(-a.mean() - 0.2) < 0.01
    pos = F.rrelu(ag.tensor(np.ones(5)), training=True).data
    np.testing.assert_array_equal(pos, np.ones(5))


def test_inplace_keyword_is_accepted_and_unknown_ones_rejected() -> None:
    x = ag.tensor([-1.0, 2.0])
    np.testing.assert_array_equal(F.relu6(x, inplace=True).data, [0.0, 2.0])
    np.testing.assert_allclose(F.silu(x, inplace=False).data, TF.silu(torch.tensor(x.data)),
                               rtol=1e-6)
    with pytest.raises(TypeError):
        F.gelu(x, inplace=True)


def test_bad_arguments_raise_clearly() -> None:
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(ag.tensor([1.0]), approximate="fast")
    with pytest.raises(ag.ShapeError, match="even"):
        F.glu(ag.tensor(np.ones((2, 3))))
    with pytest.raises(ag.ShapeError, match="channels"):
        F.prelu(ag.tensor(np.ones((2, 3))), ag.tensor(np.ones(4)))
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(ag.tensor([1.0]), 2.0, 1.0)


def test_tensor_methods() -> None:
    x = np.array([-0.5, 0.2, 0.9])
    t = ag.tensor(x)
    np.testing.assert_allclose(t.erf().data, torch.tensor(x).erf().numpy())
    np.testing.assert_allclose(t.erfc().data, torch.tensor(x).erfc().numpy())
    np.testing.assert_allclose(t.erfinv().data, torch.tensor(x).erfinv().numpy())
    np.testing.assert_allclose(t.hardshrink(0.3).data, torch.tensor(x).hardshrink(0.3).numpy())
