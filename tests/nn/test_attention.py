"""nn.MultiheadAttention against PyTorch with copied weights (float64): outputs, attention
weights, gradients of query/key/value and of every parameter, across options and masks."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 3, 4, 2


def _pair(**kw):
    tmod = torch.nn.MultiheadAttention(E, H, **kw).double()
    mod = nn.MultiheadAttention(E, H, dtype=np.float64, **kw)
    assert list(mod.state_dict()) == list(tmod.state_dict())
    mod.load_state_dict({k: v.detach().numpy().copy() for k, v in tmod.state_dict().items()})
    return tmod, mod


def _compare(tmod, mod, shapes, **call):
    arrays = [rng.standard_normal(s) for s in shapes]
    tins = [torch.tensor(a, requires_grad=True) for a in arrays]
    ins = [ag.Tensor(a, requires_grad=True) for a in arrays]
    tmasks = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    masks = {k: ag.Tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    tout, tw = tmod(*tins, **tmasks)
    out, w = mod(*ins, **masks)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    if tw is None:
        assert w is None
    else:
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-9, atol=1e-12)
    g = rng.standard_normal(tuple(tout.shape))
    (tout * torch.tensor(g)).sum().backward()
    (out * ag.Tensor(g)).sum().backward()
    for (name, tp), (_, p) in zip(tmod.named_parameters(), mod.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-8, atol=1e-11,
                                   err_msg=name)
    for t, o in zip(tins, ins, strict=True):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-8, atol=1e-11)


OPTIONS = [
    dict(),
    dict(bias=False),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(kdim=5, vdim=3),
    dict(batch_first=True),
]


@pytest.mark.parametrize("kw", OPTIONS, ids=lambda kw: "-".join(kw) or "default")
@pytest.mark.parametrize("average", [True, False])
def test_options_match_torch(kw, average):
    tmod, mod = _pair(**kw)
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)
    if kw.get("batch_first"):
        shapes = [(N, L, E), (N, S, kd), (N, S, vd)]
    else:
        shapes = [(L, N, E), (S, N, kd), (S, N, vd)]
    _compare(tmod, mod, shapes, average_attn_weights=average)


def test_separate_projection_names():
    mod = nn.MultiheadAttention(E, H, kdim=5, vdim=3)
    names = [n for n, _ in mod.named_parameters()]
    assert names == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                     "out_proj.weight", "out_proj.bias"]
    assert mod.in_proj_weight is None


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("kw", [dict(), dict(add_bias_kv=True, add_zero_attn=True)],
                         ids=["plain", "bias_kv-zero_attn"])
def test_masks_match_torch(kind, kw):
    tmod, mod = _pair(**kw)
    attn = rng.random((L, S)) < 0.3
    attn[:, 0] = False  # every query keeps one key
    kpm = np.zeros((N, S), bool)
    kpm[0, -1] = kpm[1, -2:] = True
    if kind == "float":
        attn = np.where(attn, -1e4, rng.standard_normal((L, S)) * 0.1)
        kpm = np.where(kpm, -np.inf, 0.0)
    shapes = [(L, N, E), (S, N, E), (S, N, E)]
    _compare(tmod, mod, shapes, attn_mask=attn, key_padding_mask=kpm)
    _compare(tmod, mod, shapes, attn_mask=attn)
    _compare(tmod, mod, shapes, key_padding_mask=kpm, need_weights=False)


def test_per_head_3d_mask_causal_hint_and_unbatched():
    tmod, mod = _pair()
    causal = np.triu(np.full((L, L), -np.inf), 1)
    shapes = [(L, N, E)] * 3
    _compare(tmod, mod, shapes, attn_mask=causal, is_causal=True, need_weights=False)
    mask3 = rng.random((N * H, L, S)) < 0.3
    mask3[..., 0] = False
    _compare(tmod, mod, [(L, N, E), (S, N, E), (S, N, E)], attn_mask=mask3)
    _compare(tmod, mod, [(L, E), (S, E), (S, E)], key_padding_mask=np.array([0, 0, 0, 1], bool))
    with pytest.raises(RuntimeError, match="is_causal"):
        mod(*(ag.randn(L, N, E, dtype=np.float64),) * 3, is_causal=True)


def test_errors_and_dropout():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    mod = nn.MultiheadAttention(E, H, dropout=0.5)
    x = ag.randn(L, N, E)
    with pytest.raises(ValueError, match=r"attn_mask must be \(3, 3\)"):
        mod(x, x, x, attn_mask=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="features"):
        mod(x, ag.randn(L, N, 5), x)
    _, w_train = mod(x, x, x)
    assert (w_train.data == 0).any() or not np.allclose(w_train.data.sum(-1), 1)
    _, w_eval = mod.eval()(x, x, x)
    np.testing.assert_allclose(w_eval.data.sum(-1), 1, rtol=1e-5)
