"""Layers as modules: forward vs NumPy references, gradcheck in float64 w.r.t. input and
parameters, train/eval behaviour, errors, and PyTorch (optional) on ported state dicts."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.errors import ShapeError

rng = np.random.default_rng(0)


def r(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def check_module_grads(mod: nn.Module, x: np.ndarray, second: bool = False) -> None:
    """gradcheck (and optionally gradgradcheck) w.r.t. the input and every parameter."""
    mod.double()
    names = [n for n, _ in mod.named_parameters()]
    params = [p.data.copy() for p in mod.parameters()]

    def f(inp, *ps):
        return nn.functional_call(mod, dict(zip(names, ps, strict=True)), inp)

    ag.gradcheck(f, (x, *params))
    if second:
        ag.gradgradcheck(f, (x, *params))


def conv_ref(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, oc, oh, ow))
    per = oc // groups
    for o in range(oc):
        g = o // per
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * dilation[0]: i * dilation[0] + stride[0] * oh: stride[0],
                           j * dilation[1]: j * dilation[1] + stride[1] * ow: stride[1]]
                out[:, o] += np.einsum("nchw,c->nhw", patch, w[o, :, i, j])
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


def pool_ref(x, k, s, p, op):
    fill = -np.inf if op == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    oh = (x.shape[2] + 2 * p - k) // s + 1
    ow = (x.shape[3] + 2 * p - k) // s + 1
    win = np.stack([xp[:, :, i:i + s * oh:s, j:j + s * ow:s] for i in range(k) for j in range(k)])
    return win.max(0) if op == "max" else win.mean(0)


# ----------------------------------------------------------------------------- linear & co


def test_linear_forward_grads_and_errors():
    lin = nn.Linear(3, 4, dtype=np.float64)
    x = r(5, 3)
    np.testing.assert_allclose(lin(ag.Tensor(x)).data, x @ lin.weight.data.T + lin.bias.data)
    check_module_grads(lin, x, second=True)
    check_module_grads(nn.Linear(3, 2, bias=False), r(2, 4, 3))
    with pytest.raises(ShapeError, match=r"linear: input of shape \(5, 2\) does not match"):
        lin(ag.Tensor(r(5, 2)))


def test_flatten_identity():
    x = ag.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Identity(3, foo=1)(x) is x


@pytest.mark.parametrize("cls, kw, ref", [
    (nn.ReLU, {}, lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU, {"negative_slope": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x)),
    (nn.ELU, {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (nn.Sigmoid, {}, lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh, {}, np.tanh),
    (nn.Softmax, {"dim": 1}, lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax, {"dim": 1}, lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
])
def test_activation_modules(cls, kw, ref):
    x = r(4, 5)
    x[np.abs(x) < 1e-3] = 0.3
    mod = cls(**kw)
    np.testing.assert_allclose(mod(ag.Tensor(x)).data, ref(x), rtol=1e-12)
    check_module_grads(mod, x, second=True)


def test_dropout_module_train_vs_eval():
    drop = nn.Dropout(0.5)
    x = ag.ones(100, 100)
    y = drop(x).data
    assert 0.4 < (y == 0).mean() < 0.6 and set(np.unique(y)) <= {0.0, 2.0}
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(-0.1)


# ----------------------------------------------------------------------------- normalization


@pytest.mark.parametrize("cls, shape", [
    (nn.BatchNorm1d, (8, 3)), (nn.BatchNorm1d, (4, 3, 5)), (nn.BatchNorm2d, (4, 3, 2, 3)),
])
def test_batchnorm_running_stats_train_and_eval(cls, shape):
    bn = cls(3, momentum=0.2, dtype=np.float64)
    axes = (0,) + tuple(range(2, len(shape)))
    xs = [r(*shape) * 3 + 2 for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for x in xs:
        out = bn(ag.Tensor(x)).data
        m, v = x.mean(axes), x.var(axes)
        bshape = (1, 3) + (1,) * (len(shape) - 2)
        np.testing.assert_allclose(
            out, (x - m.reshape(bshape)) / np.sqrt(v.reshape(bshape) + 1e-5), atol=1e-12)
        rm = 0.8 * rm + 0.2 * m
        rv = 0.8 * rv + 0.2 * x.var(axes, ddof=1)
    np.testing.assert_allclose(bn.running_mean.data, rm)
    np.testing.assert_allclose(bn.running_var.data, rv)
    assert int(bn.num_batches_tracked.item()) == 3
    bn.eval()
    x = xs[0]
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    np.testing.assert_allclose(bn(ag.Tensor(x)).data,
                               (x - rm.reshape(bshape)) / np.sqrt(rv.reshape(bshape) + 1e-5))
    assert int(bn.num_batches_tracked.item()) == 3  # eval does not count
    bn.train()
    check_module_grads(bn, r(*shape), second=True)
    bn.eval()
    check_module_grads(bn, r(*shape))


def test_batchnorm_options_and_errors():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(bn.parameters()) == [] and bn.state_dict() == {}
    bn.eval()  # no running stats: always batch statistics
    out = bn(ag.Tensor(np.array([[1.0, 2.0], [3.0, 6.0]]))).data
    np.testing.assert_allclose(out, [[-1, -1], [1, 1]], atol=1e-4)
    cma = nn.BatchNorm1d(1, momentum=None, dtype=np.float64)
    cma(ag.Tensor(np.array([[0.0], [2.0]])))
    cma(ag.Tensor(np.array([[4.0], [6.0]])))
    np.testing.assert_allclose(cma.running_mean.data, [3.0])  # cumulative average of 1 and 5
    with pytest.raises(ShapeError, match=r"BatchNorm2d: expected \(N, C, H, W\) input with C=3"):
        nn.BatchNorm2d(3)(ag.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ag.randn(1, 3))


def test_local_response_norm_module():
    lrn = nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=1.0)
    x = r(2, 5, 3, 3)
    sq = np.pad(x**2, ((0, 0), (1, 1), (0, 0), (0, 0)))
    div = (1.0 + 0.1 / 3 * (sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:])) ** 0.75
    np.testing.assert_allclose(lrn(ag.Tensor(x)).data, x / div)
    check_module_grads(lrn, r(1, 4, 2, 2), second=True)
    assert repr(lrn) == "LocalResponseNorm(3, alpha=0.1, beta=0.75, k=1.0)"


# ----------------------------------------------------------------------------- conv & pool

def _has_conv() -> bool:
    try:
        import autograd.ops.conv  # noqa: F401
    except ImportError:
        return False
    return True


needs_conv = pytest.mark.skipif(not _has_conv(), reason="autograd.ops.conv not landed yet")


@needs_conv

@pytest.mark.parametrize("kw", [
    {},
    {"stride": 2, "padding": 1},
    {"padding": (1, 2), "dilation": 2},
    {"groups": 2, "bias": False},
    {"padding": "same", "dilation": (1, 2)},
])
def test_conv2d_matches_reference_and_gradchecks(kw):
    conv = nn.Conv2d(4, 6, (3, 2), dtype=np.float64, **kw)
    x = r(2, 4, 7, 6)
    b = None if conv.bias is None else conv.bias.data
    pad = conv.padding
    if pad == "same":
        out = conv(ag.Tensor(x)).data
        assert out.shape[2:] == x.shape[2:]
    else:
        ref = conv_ref(x, conv.weight.data, b, conv.stride, pad, conv.dilation, conv.groups)
        np.testing.assert_allclose(conv(ag.Tensor(x)).data, ref, rtol=1e-10, atol=1e-12)
    small = nn.Conv2d(4, 2, (3, 2), dtype=np.float64, **{**kw, "groups": kw.get("groups", 1)})
    check_module_grads(small, r(1, 4, 5, 4))


@needs_conv
def test_conv2d_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="expected input with 3 channels"):
        nn.Conv2d(3, 4, 3)(ag.randn(1, 2, 8, 8))
    with pytest.raises(ShapeError, match="4-D input"):
        nn.Conv2d(3, 4, 3)(ag.randn(3, 8, 8))
    assert repr(nn.Conv2d(3, 4, 3, padding=1, bias=False)) == (
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")


@needs_conv
@pytest.mark.parametrize("op, cls", [("max", nn.MaxPool2d), ("avg", nn.AvgPool2d)])
@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 2, 1)])
def test_pools_match_reference_and_gradcheck(op, cls, k, s, p):
    pool = cls(k, s, p)
    x = r(2, 3, 7, 7)
    np.testing.assert_allclose(pool(ag.Tensor(x)).data, pool_ref(x, k, s or k, p, op),
                               rtol=1e-12)
    ag.gradcheck(pool, (r(1, 2, 5, 5),))


# ----------------------------------------------------------------------------- losses


def test_loss_modules_wrap_functional():
    x, t = r(4, 3), np.array([0, 2, 1, 2])
    assert nn.CrossEntropyLoss(reduction="sum")(x, t).item() == pytest.approx(
        nn.functional.cross_entropy(x, t, reduction="sum").item())
    ce = nn.CrossEntropyLoss(weight=np.ones(3), label_smoothing=0.1, ignore_index=1)
    assert "weight" in ce.state_dict()
    assert ce(x, t).item() == pytest.approx(
        nn.functional.cross_entropy(x, t, np.ones(3), ignore_index=1, label_smoothing=0.1).item())
    assert nn.MSELoss()(x, x).item() == 0 and nn.L1Loss(reduction="none")(x, x).shape == (4, 3)
    p = 1 / (1 + np.exp(-x))
    tb = (x > 0).astype(np.float64)
    assert nn.BCELoss()(p, tb).item() == pytest.approx(
        nn.BCEWithLogitsLoss()(x, tb).item(), rel=1e-9)
    assert nn.NLLLoss()(nn.LogSoftmax(1)(ag.Tensor(x)), t).item() == pytest.approx(
        nn.CrossEntropyLoss()(x, t).item())
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")


# ----------------------------------------------------------------------------- torch oracle


@pytest.mark.torch
def test_torch_state_dicts_port_and_outputs_match():
    torch = pytest.importorskip("torch")
    pairs = [
        (torch.nn.Linear(5, 3), nn.Linear(5, 3, dtype=np.float64), (4, 5)),
        (torch.nn.BatchNorm1d(5), nn.BatchNorm1d(5, dtype=np.float64), (6, 5)),
        (torch.nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0), nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0),
         (2, 5, 3, 3)),
    ]
    for tmod, mod, shape in pairs:
        tmod = tmod.double()
        sd = tmod.state_dict()
        assert list(sd) == list(mod.state_dict())
        mod.load_state_dict(sd)
        x = r(*shape)
        for train in (True, False):
            tmod.train(train), mod.train(train)
            np.testing.assert_allclose(mod(ag.Tensor(x)).data,
                                       tmod(torch.tensor(x)).detach().numpy(), rtol=1e-9,
                                       atol=1e-12)
        for k, v in tmod.state_dict().items():  # running stats evolve identically
            np.testing.assert_allclose(mod.state_dict()[k].data, v.numpy(), rtol=1e-9)


@needs_conv
@pytest.mark.torch
def test_torch_conv_and_pool_match():
    torch = pytest.importorskip("torch")
    tconv = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2).double()
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    conv.load_state_dict(tconv.state_dict())
    x = r(2, 4, 9, 9)
    np.testing.assert_allclose(conv(ag.Tensor(x)).data, tconv(torch.tensor(x)).detach().numpy(),
                               rtol=1e-9, atol=1e-12)
    for tp, p in [(torch.nn.MaxPool2d(3, 2, 1), nn.MaxPool2d(3, 2, 1)),
                  (torch.nn.AvgPool2d(3, 2, 1), nn.AvgPool2d(3, 2, 1))]:
        np.testing.assert_allclose(p(ag.Tensor(x)).data, tp(torch.tensor(x)).numpy(), rtol=1e-12)
