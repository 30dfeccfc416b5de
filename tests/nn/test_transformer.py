"""TransformerEncoderLayer / TransformerEncoder against PyTorch in eval mode with copied
weights (float64), the causal mask, and TransformerLM learning a tiny text.

nn.LayerNorm and nn.Embedding come from another branch of the work; where they are missing
here, the tests put trivial stand-ins on `nn` (monkeypatched for the test only)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from nn.modules.transformer import generate_square_subsequent_mask

try:
    import torch
except ImportError:  # the PyTorch comparisons are skipped, the rest runs
    torch = None

rng = np.random.default_rng(0)
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle here")


class _LayerNorm(nn.Module):
    def __init__(self, d, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(np.ones(d, dtype or np.float32))
        self.bias = nn.Parameter(np.zeros(d, dtype or np.float32)) if bias else None

    def forward(self, x):
        m = x.mean(axis=-1, keepdims=True)
        v = ((x - m) ** 2).mean(axis=-1, keepdims=True)
        y = (x - m) / ag.sqrt(v + self.eps) * self.weight
        return y + self.bias if self.bias is not None else y


class _Embedding(nn.Module):
    def __init__(self, num, dim, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(rng.standard_normal((num, dim)).astype(dtype or np.float32))

    def forward(self, idx):
        return self.weight[idx.data]


@pytest.fixture(autouse=True)
def _layers(monkeypatch):
    for name, shim in (("LayerNorm", _LayerNorm), ("Embedding", _Embedding)):
        if not hasattr(nn, name):
            monkeypatch.setattr(nn, name, shim, raising=False)


def test_square_subsequent_mask():
    m = generate_square_subsequent_mask(3).data
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def _copy(tmod, mod):
    tmod.double().eval()
    mod.eval()
    assert list(mod.state_dict()) == list(tmod.state_dict())
    mod.load_state_dict({k: v.detach().numpy().copy() for k, v in tmod.state_dict().items()})


def _check(tmod, mod, shape, **call):
    x = rng.standard_normal(shape)
    tx, ox = torch.tensor(x, requires_grad=True), ag.Tensor(x, requires_grad=True)
    tcall = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    ocall = {k: ag.Tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    tout, out = tmod(tx, **tcall), mod(ox, **ocall)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = rng.standard_normal(tuple(tout.shape))
    (tout * torch.tensor(g)).sum().backward()
    (out * ag.Tensor(g)).sum().backward()
    np.testing.assert_allclose(ox.grad.data, tx.grad.numpy(), rtol=1e-7, atol=1e-10)
    for (name, tp), (_, p) in zip(tmod.named_parameters(), mod.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)


LAYER_CONFIGS = [
    dict(),
    dict(norm_first=True),
    dict(batch_first=True),
    dict(bias=False, norm_first=True),
]


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("kw", LAYER_CONFIGS, ids=lambda kw: "-".join(kw) or "default")
def test_encoder_layer_matches_torch(kw):
    tmod = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kw)
    mod = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dtype=np.float64, **kw)
    _copy(tmod, mod)
    shape = (2, 5, 8) if kw.get("batch_first") else (5, 2, 8)
    kpm = np.zeros((2, 5), bool)
    kpm[1, -2:] = True
    _check(tmod, mod, shape)
    _check(tmod, mod, shape, src_mask=np.triu(np.full((5, 5), -np.inf), 1), is_causal=True)
    _check(tmod, mod, shape, src_key_padding_mask=kpm)


@pytest.mark.torch
@needs_torch
def test_encoder_layer_callable_and_gelu_activation():
    tmod = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.tanh)
    mod = nn.TransformerEncoderLayer(8, 2, 16, activation=ag.tanh, dtype=np.float64)
    _copy(tmod, mod)
    _check(tmod, mod, (4, 2, 8))
    if hasattr(nn.functional, "gelu"):
        tmod = torch.nn.TransformerEncoderLayer(8, 2, 16, activation="gelu")
        mod = nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", dtype=np.float64)
        _copy(tmod, mod)
        _check(tmod, mod, (4, 2, 8))
    else:
        with pytest.raises(NotImplementedError, match="gelu"):
            nn.TransformerEncoderLayer(8, 2, 16, activation="gelu")
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, 16, activation="swish")


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("norm", [False, True])
def test_encoder_stack_matches_torch(norm):
    tlayer = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    tmod = torch.nn.TransformerEncoder(tlayer, 2, norm=torch.nn.LayerNorm(8) if norm else None,
                                       enable_nested_tensor=False)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dtype=np.float64)
    mod = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8, dtype=np.float64) if norm
                                else None)
    assert mod.layers[0] is not layer and mod.layers[0].linear1.weight is not (
        mod.layers[1].linear1.weight)  # deep copies, as torch
    _copy(tmod, mod)
    assert "layers.1.self_attn.in_proj_weight" in mod.state_dict()
    causal = generate_square_subsequent_mask(5, dtype=np.float64).data
    _check(tmod, mod, (2, 5, 8), mask=causal, is_causal=True)
    kpm = np.zeros((2, 5), bool)
    kpm[0, -1] = True
    _check(tmod, mod, (2, 5, 8), src_key_padding_mask=kpm)


def test_transformer_lm_learns_tiny_text_and_generates():
    ag.manual_seed(0)
    text = "hello world. " * 20
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], np.int64)
    model = nn.models.TransformerLM(len(chars), d_model=32, nhead=4, num_layers=2,
                                    dim_feedforward=64, max_len=32, dropout=0.0)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    starts = np.arange(0, len(ids) - 17, 7)
    x, y = np.stack([ids[s:s + 16] for s in starts]), np.stack([ids[s + 1:s + 17] for s in starts])
    losses = []
    for _ in range(40):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape((-1, len(chars))),
                                           ag.Tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    out = model.generate(ag.Tensor(ids[None, :5]), 10, temperature=0.8, top_k=3)
    assert out.shape == (1, 15) and out.data.dtype == np.int64
    np.testing.assert_array_equal(out.data[0, :5], ids[:5])
    assert out.data.min() >= 0 and out.data.max() < len(chars)
    greedy = model.generate(ids[None, :5], 5, top_k=1)
    with ag.no_grad():
        first = model(ids[None, :5]).data[0, -1].argmax()
    assert greedy.data[0, 5] == first
    with pytest.raises(ValueError, match="max_len"):
        model(np.zeros((1, 40), np.int64))


def _check2(tmod, mod, shapes, **call):
    """As _check for modules of two inputs (tgt, memory) / (src, tgt)."""
    arrays = [rng.standard_normal(s) for s in shapes]
    tins = [torch.tensor(a, requires_grad=True) for a in arrays]
    ins = [ag.Tensor(a, requires_grad=True) for a in arrays]
    tcall = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    ocall = {k: ag.Tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    tout, out = tmod(*tins, **tcall), mod(*ins, **ocall)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = rng.standard_normal(tuple(tout.shape))
    (tout * torch.tensor(g)).sum().backward()
    (out * ag.Tensor(g)).sum().backward()
    for t, o in zip(tins, ins, strict=True):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-7, atol=1e-10)
    for (name, tp), (_, p) in zip(tmod.named_parameters(), mod.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("kw", [dict(), dict(norm_first=True, batch_first=True)],
                         ids=["default", "norm_first-batch_first"])
def test_decoder_layer_matches_torch(kw):
    tmod = torch.nn.TransformerDecoderLayer(8, 2, 16, **kw)
    mod = nn.TransformerDecoderLayer(8, 2, 16, dtype=np.float64, **kw)
    _copy(tmod, mod)
    shapes = [(2, 4, 8), (2, 5, 8)] if kw else [(4, 2, 8), (5, 2, 8)]
    kpm = np.zeros((2, 5), bool)
    kpm[1, -1] = True
    causal = generate_square_subsequent_mask(4, dtype=np.float64).data
    _check2(tmod, mod, shapes, tgt_mask=causal, tgt_is_causal=True,
            memory_key_padding_mask=kpm)


@pytest.mark.torch
@needs_torch
def test_transformer_matches_torch():
    tmod = torch.nn.Transformer(8, 2, 2, 2, 16, batch_first=True)
    mod = nn.Transformer(8, 2, 2, 2, 16, batch_first=True, dtype=np.float64)
    _copy(tmod, mod)
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64).data
    np.testing.assert_array_equal(
        causal, torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    _check2(tmod, mod, [(2, 5, 8), (2, 4, 8)], tgt_mask=causal, tgt_is_causal=True)
