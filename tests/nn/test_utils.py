"""`nn.utils` against torch: clipping (values, returned norm, errors) and vector conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _pair(seed: int, scale: float = 1.0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * scale for s in SHAPES]
    ours, theirs = [], []
    for g in grads:
        p = ag.tensor(np.zeros_like(g), requires_grad=True)
        p.grad = ag.tensor(g.copy())
        ours.append(p)
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(g.copy())
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("foreach", [None, False])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float, foreach: object) -> None:
    ours, theirs = _pair(1)
    got = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type, foreach=foreach)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(got, ag.Tensor) and got.ndim == 0
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-10)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_clip_grad_norm_nonfinite() -> None:
    ours, theirs = _pair(2)
    ours[0].grad.data[0, 0] = np.inf
    theirs[0].grad[0, 0] = math.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(ours, 1.0).item())


def test_clip_grad_norm_single_tensor_and_no_grads() -> None:
    p = ag.tensor([3.0, 4.0], requires_grad=True)
    p.grad = ag.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    q = ag.tensor([1.0], requires_grad=True)
    assert nn.utils.clip_grad_norm_([q], 1.0).item() == 0.0
    with pytest.raises(TypeError, match="foreach"):
        nn.utils.clip_grad_norm_([q], 1.0, foreach="yes")


@pytest.mark.parametrize("clip", [0.0, 0.3, 10.0])
def test_clip_grad_value_matches_torch(clip: float) -> None:
    ours, theirs = _pair(3, scale=2.0)
    assert nn.utils.clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(theirs, clip)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
    with pytest.raises(ValueError, match="clip_value"):
        nn.utils.clip_grad_value_(ours, -1.0)


def test_parameters_to_vector_and_back_match_torch() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).double()
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)).double()
    tnet.load_state_dict({k: torch.tensor(v.data) for k, v in net.state_dict().items()})
    vec = nn.utils.parameters_to_vector(net.parameters())
    tvec = torch.nn.utils.parameters_to_vector(tnet.parameters())
    np.testing.assert_array_equal(vec.data, tvec.detach().numpy())
    (vec * vec).sum().backward()  # differentiable: d/dp sum(p^2) = 2p
    for p in net.parameters():
        np.testing.assert_allclose(p.grad.data, 2 * p.data)
    new = np.arange(vec.shape[0], dtype=np.float64)
    nn.utils.vector_to_parameters(ag.tensor(new), net.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tnet.parameters())
    for (name, p), t in zip(net.named_parameters(), tnet.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, t.detach().numpy(), err_msg=name)
    with pytest.raises(ag.ShapeError, match="total size"):
        nn.utils.vector_to_parameters(ag.tensor(new[:-1]), net.parameters())
    with pytest.raises(TypeError, match="iterable"):
        nn.utils.parameters_to_vector(net[0].weight)


def test_rnn_submodule_is_lazy() -> None:
    with pytest.raises(AttributeError, match="nope"):
        nn.utils.nope  # noqa: B018
