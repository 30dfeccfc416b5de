"""Activation layers against torch.nn: identical reprs, outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

# (class name, constructor args, constructor keywords)
LAYERS = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {"inplace": True}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {"inplace": True}),
    ("CELU", (2.0,), {}),
    ("SELU", (), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("Mish", (), {"inplace": True}),
    ("Softplus", (), {}),
    ("Softplus", (2, 1), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3.0), {"inplace": True}),
    ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (), {}),
    ("Hardshrink", (1.0,), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (0.1, 20), {"inplace": True}),
    ("GLU", (), {}),
    ("GLU", (1,), {}),
    ("Softmin", (1,), {}),
    ("Softmax", (-1,), {}),
    ("LogSoftmax", (1,), {}),
    ("Softmax2d", (), {}),
    ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3), {"inplace": True}),
    ("PReLU", (), {}),
    ("PReLU", (4,), {"init": 0.1}),
]

IDS = [f"{n}{a}{k}" for n, a, k in LAYERS]


@pytest.mark.parametrize(("name", "args", "kwargs"), LAYERS, ids=IDS)
def test_repr_matches_torch(name, args, kwargs) -> None:
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(
        getattr(torch.nn, name)(*args, **kwargs)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "args", "kwargs"), LAYERS, ids=IDS)
def test_output_and_gradients_match_torch(name, args, kwargs, dtype) -> None:
    kwargs = {k: v for k, v in kwargs.items() if k != "inplace"}  # torch's would need a copy
    ours = getattr(nn, name)(*args, **kwargs).eval()
    theirs = getattr(torch.nn, name)(*args, **kwargs).eval()
    if name == "PReLU":
        theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
        ours.weight.data[...] = theirs.weight.detach().numpy()
        ours.weight.data = ours.weight.data.astype(dtype)
    x = (np.random.default_rng(0).standard_normal((2, 4, 3, 2)) * 3).astype(dtype)
    xa = ag.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ya, yt = ours(xa), theirs(xt)
    tol = 1e-5 if dtype == np.float32 else 1e-7
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(1).standard_normal(ya.shape).astype(dtype)
    (ya * ag.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=tol, atol=tol)
    if name == "PReLU":
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(),
                                   rtol=tol, atol=tol)


def test_prelu_parameter_is_named_weight_and_trains() -> None:
    layer = nn.PReLU(3, init=0.3)
    names = [n for n, _ in layer.named_parameters()]
    assert names == ["weight"]
    assert layer.weight.shape == (3,)
    np.testing.assert_allclose(layer.weight.data, 0.3, rtol=1e-7)
    assert list(layer.state_dict()) == ["weight"]


def test_rrelu_module_is_random_in_training_and_fixed_in_eval() -> None:
    layer = nn.RReLU(0.1, 0.3)
    x = ag.tensor(-np.ones(200))
    ag.manual_seed(0)
    a = layer(x).data
    ag.manual_seed(0)
    np.testing.assert_array_equal(layer(x).data, a)
    assert np.unique(a).size > 100
    np.testing.assert_allclose(layer.eval()(x).data, -0.2)


def test_softmax_default_dim_follows_torch() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    for cls in ("Softmax", "LogSoftmax", "Softmin"):
        ours = getattr(nn, cls)()(ag.tensor(x)).data
        with pytest.warns(UserWarning):
            theirs = getattr(torch.nn, cls)()(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_gelu_rejects_an_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
