"""Every new layer against PyTorch with equal weights: forward, input and parameter
gradients (float64), repr and state-dict names."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _compare(ours, theirs, shape, tol=1e-9):
    """Copy ours' state into theirs, then compare repr, names, forward and all gradients."""
    assert repr(ours) == repr(theirs)
    sd = ours.state_dict()
    assert list(sd) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(np.asarray(v.data)) for k, v in sd.items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    xa, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xa), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), atol=tol, rtol=1e-7)
    g = rng.standard_normal(y.shape)
    (y * ag.Tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), atol=tol)
    for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters(),
                                  strict=True):
        if pt.grad is not None:
            np.testing.assert_allclose(p.grad.data, pt.grad.numpy(), atol=tol, err_msg=name)
    return y


LAYERS = [
    (lambda m: m.LayerNorm(5), (3, 4, 5)),
    (lambda m: m.LayerNorm((4, 5), eps=1e-3), (3, 4, 5)),
    (lambda m: m.LayerNorm(5, elementwise_affine=False), (2, 5)),
    (lambda m: m.GroupNorm(2, 4), (2, 4, 3, 3)),
    (lambda m: m.GroupNorm(1, 4, affine=False), (2, 4, 5)),
    (lambda m: m.InstanceNorm2d(3), (2, 3, 4, 4)),
    (lambda m: m.InstanceNorm1d(3, affine=True), (2, 3, 6)),
    (lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    (lambda m: m.Conv1d(4, 4, 3, groups=2, dilation=2, bias=False), (2, 4, 9)),
    (lambda m: m.Conv2d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    (lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="replicate"), (2, 2, 5, 6)),
    (lambda m: m.Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode="circular"), (1, 2, 5, 6)),
    (lambda m: m.Conv2d(2, 3, 4, padding="same", dilation=2), (1, 2, 7, 7)),
    (lambda m: m.ConvTranspose2d(3, 2, 3), (2, 3, 4, 5)),
    (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 3)),
    (lambda m: m.ConvTranspose2d(2, 2, (2, 3), stride=(2, 1), dilation=2, bias=False),
     (1, 2, 3, 4)),
    (lambda m: m.ConvTranspose1d(3, 2, 3, stride=3, padding=1), (2, 3, 5)),
    (lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 7)),
    (lambda m: m.MaxPool2d(2, 1, dilation=2), (1, 2, 6, 6)),
    (lambda m: m.MaxPool1d(3, 2, ceil_mode=True), (2, 3, 8)),
    (lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 7)),
    (lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 2, 6, 6)),
    (lambda m: m.AvgPool2d(2, divisor_override=3), (1, 2, 6, 6)),
    (lambda m: m.AvgPool1d(3, 2, 1), (2, 3, 8)),
    (lambda m: m.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveAvgPool2d((None, 4)), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveMaxPool2d((3, 4)), (2, 3, 7, 5)),
    (lambda m: m.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (lambda m: m.AdaptiveMaxPool1d(4), (2, 3, 7)),
    (lambda m: m.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (lambda m: m.Upsample(size=(5, 7), mode="bilinear"), (1, 2, 3, 4)),
    (lambda m: m.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    (lambda m: m.Upsample(scale_factor=1.7, mode="bilinear"), (1, 2, 3, 4)),
    (lambda m: m.Upsample(scale_factor=(2.5, 1.5), mode="nearest"), (1, 2, 3, 4)),
    (lambda m: m.Upsample(size=7, mode="nearest-exact"), (1, 2, 3, 4)),
    (lambda m: m.Upsample(scale_factor=3, mode="linear"), (1, 2, 4)),
    (lambda m: m.PixelShuffle(2), (2, 8, 3, 4)),
    (lambda m: m.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda m: m.Unflatten(1, (2, 3)), (4, 6, 2)),
    (lambda m: m.Flatten(0, 1), (4, 6, 2)),
]


@pytest.mark.parametrize(("make", "shape"), LAYERS)
def test_layer_matches_torch(make, shape):
    ag.manual_seed(0)
    _compare(make(nn).double(), make(torch.nn).double(), shape)


def test_float32_smoke():
    for make, shape in LAYERS[:20]:
        ours = make(nn)
        y = ours(ag.randn(*shape))
        assert y.dtype == np.float32 and np.all(np.isfinite(y.data))


def test_embedding_padding_idx_and_from_pretrained():
    ag.manual_seed(0)
    ours = nn.Embedding(6, 3, padding_idx=2)
    assert np.all(ours.weight.data[2] == 0)
    theirs = torch.nn.Embedding(6, 3, padding_idx=2)
    theirs.load_state_dict({"weight": torch.tensor(ours.weight.data)})
    assert repr(ours) == repr(theirs)
    idx = np.array([[0, 2, 5], [2, 1, 1]])
    y = ours(idx)
    yt = theirs(torch.tensor(idx))
    np.testing.assert_allclose(y.data, yt.detach().numpy())
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy())
    assert np.all(ours.weight.grad.data[2] == 0)
    sc = nn.Embedding(4, 2, scale_grad_by_freq=True)
    sc(np.array([1, 1, 3])).sum().backward()
    np.testing.assert_allclose(sc.weight.grad.data[:, 0], [0, 1, 0, 1])
    pre = nn.Embedding.from_pretrained(ag.Tensor(np.eye(3)))
    assert not pre.weight.requires_grad
    assert nn.Embedding.from_pretrained(np.eye(3), freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="index 6 .*num_embeddings=6"):
        ours(np.array([6]))


def test_max_pool_indices_and_unpool_match_torch():
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 6))
    y, idx = F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    yt, it = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, ceil_mode=True,
                                            return_indices=True)
    np.testing.assert_array_equal(idx.data, it.numpy())
    up = F.max_unpool2d(y, idx, 3, 2, 1, output_size=(7, 6))
    upt = torch.nn.functional.max_unpool2d(yt, it, 3, 2, 1, output_size=(7, 6))
    np.testing.assert_allclose(up.data, upt.numpy())
    a, ai = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
    at, ait = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (3, 4), True)
    np.testing.assert_array_equal(ai.data, ait.numpy())


def test_max_pool_on_integers_like_torch():
    x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5)[..., ::-1].copy()
    for dt in (np.int64, np.int32, np.uint8):
        got = F.max_pool2d(x.astype(dt), 2, ceil_mode=True)
        want = torch.nn.functional.max_pool2d(torch.tensor(x.astype(dt)), 2, ceil_mode=True)
        assert got.dtype == dt
        np.testing.assert_array_equal(got.data, want.numpy())


def test_channel_dropout_and_alpha_dropout_statistics():
    ag.manual_seed(0)
    x = ag.Tensor(np.ones((64, 32, 4, 4)))
    y = nn.Dropout2d(0.25)(x).data
    per_channel = y.reshape(64, 32, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1))
    assert abs((per_channel[..., 0] == 0).mean() - 0.25) < 0.03
    y1 = nn.Dropout1d(0.5)(ag.Tensor(np.ones((50, 20, 6)))).data
    assert np.all((y1 == 0).all(-1) | (y1 == 2).all(-1))
    z = ag.Tensor(np.random.default_rng(0).standard_normal(400_000))
    ad = nn.AlphaDropout(0.2)
    out = ad(z).data
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1) < 0.02
    assert abs(np.unique(out, return_counts=True)[1].max() / out.size - 0.2) < 0.01  # dropped
    ad.eval()
    assert ad(z) is z
    assert repr(ad) == repr(torch.nn.AlphaDropout(0.2))


def test_instance_norm_running_stats_match_torch():
    x = np.random.default_rng(3).standard_normal((4, 3, 5))
    ours = nn.InstanceNorm1d(3, track_running_stats=True).double()
    theirs = torch.nn.InstanceNorm1d(3, track_running_stats=True).double()
    ours(ag.Tensor(x))
    theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy())
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy())
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(ag.Tensor(x)).data, theirs(torch.tensor(x)).numpy(),
                               atol=1e-12)


def test_linear_with_zero_in_features_builds():
    lin = nn.Linear(0, 3)
    assert lin.weight.shape == (3, 0)
    assert repr(lin) == repr(torch.nn.Linear(0, 3))
