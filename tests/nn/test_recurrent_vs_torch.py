"""Recurrent cells and layers against PyTorch with equal weights (float64): outputs, final
states, and the gradients of inputs, initial states and every parameter; state-dict keys;
packed sequences."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)


def _pair(tmod, mod):
    """Copy torch's weights into ours (through the state dict, so the keys must agree)."""
    tmod.double()
    assert list(mod.state_dict()) == list(tmod.state_dict())
    mod.load_state_dict({k: v.detach().numpy().copy() for k, v in tmod.state_dict().items()})
    return tmod, mod


def _leaves(*shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ag.Tensor(a, requires_grad=True) for a in arrays])


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _backward_both(tout, out):
    """Backward a random projection of every output, then return both output lists."""
    touts, outs = _flat(tout), _flat(out)
    assert len(touts) == len(outs)
    tl, ol = 0, 0
    for t, o in zip(touts, outs, strict=True):
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-9, atol=1e-12)
        w = rng.standard_normal(tuple(t.shape))
        tl = tl + (t * torch.tensor(w)).sum()
        ol = ol + (o * ag.Tensor(w)).sum()
    tl.backward()
    ol.backward()


def _assert_grads(tmod, mod, tins, ins):
    for (name, tp), (name2, p) in zip(tmod.named_parameters(), mod.named_parameters(),
                                      strict=True):
        assert name == name2
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-8, atol=1e-11,
                                   err_msg=name)
    for t, o in zip(tins, ins, strict=True):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-8, atol=1e-11)


# ----- cells -----


@pytest.mark.parametrize("kind", ["RNNCell", "RNNCell-relu", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(kind, bias, batched):
    name, _, act = kind.partition("-")
    kw = {"nonlinearity": act} if act else {}
    tmod, mod = _pair(getattr(torch.nn, name)(3, 4, bias=bias, **kw),
                      getattr(nn, name)(3, 4, bias=bias, dtype=np.float64, **kw))
    lead = (2,) if batched else ()
    n_states = 2 if name == "LSTMCell" else 1
    tins, ins = _leaves(lead + (3,), *[lead + (4,)] * n_states)
    if name == "LSTMCell":
        tout, out = tmod(tins[0], tuple(tins[1:])), mod(ins[0], tuple(ins[1:]))
    else:
        tout, out = tmod(*tins), mod(*ins)
    _backward_both(tout, out)
    _assert_grads(tmod, mod, tins, ins)


def test_cell_default_state_is_zero():
    cell = nn.GRUCell(3, 4, dtype=np.float64)
    x = ag.Tensor(rng.standard_normal((2, 3)))
    np.testing.assert_allclose(cell(x).data, cell(x, ag.zeros(2, 4, dtype=np.float64)).data)
    with pytest.raises(ValueError, match=r"expected hx of shape \(2, 4\)"):
        cell(x, ag.zeros(3, 4))


# ----- layers -----

CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False, num_layers=2),
    dict(num_layers=3, bidirectional=True, bias=False),
]


def _ids(configs):
    return ["-".join(f"{k}={v}" for k, v in c.items()) or "default" for c in configs]


def _run_layer(kind, cfg, with_hx, batched=True, proj=0):
    extra = dict(proj_size=proj) if proj else {}
    if kind == "RNN-relu":
        kind, extra = "RNN", dict(nonlinearity="relu")
    tmod, mod = _pair(getattr(torch.nn, kind)(3, 5, **cfg, **extra),
                      getattr(nn, kind)(3, 5, **cfg, **extra, dtype=np.float64))
    k = cfg.get("num_layers", 1) * (2 if cfg.get("bidirectional") else 1)
    seq = (2, 4) if cfg.get("batch_first") else (4, 2)
    shapes = [seq + (3,) if batched else (4, 3)]
    h_size = proj or 5
    if with_hx:
        shapes.append((k, 2, h_size) if batched else (k, h_size))
        if kind == "LSTM":
            shapes.append((k, 2, 5) if batched else (k, 5))
    tins, ins = _leaves(*shapes)
    if not with_hx:
        tout, out = tmod(tins[0]), mod(ins[0])
    elif kind == "LSTM":
        tout, out = tmod(tins[0], tuple(tins[1:])), mod(ins[0], tuple(ins[1:]))
    else:
        tout, out = tmod(*tins), mod(*ins)
    _backward_both(tout, out)
    _assert_grads(tmod, mod, tins, ins)


@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids(CONFIGS))
@pytest.mark.parametrize("kind", ["RNN", "RNN-relu", "LSTM", "GRU"])
def test_layers_match_torch(kind, cfg):
    _run_layer(kind, cfg, with_hx=True)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_layers_default_state_and_unbatched(kind):
    _run_layer(kind, dict(num_layers=2, bidirectional=True), with_hx=False)
    _run_layer(kind, dict(num_layers=2, bidirectional=True), with_hx=True, batched=False)


@pytest.mark.parametrize("cfg", [dict(), dict(num_layers=2, bidirectional=True)],
                         ids=["default", "2-layer-bi"])
def test_lstm_proj_size_matches_torch(cfg):
    _run_layer("LSTM", cfg, with_hx=True, proj=3)
    _run_layer("LSTM", cfg, with_hx=False, proj=2)


def test_proj_size_state_dict_keys_and_errors():
    lstm = nn.LSTM(3, 5, proj_size=2, bidirectional=True)
    assert list(lstm.state_dict()) == list(
        torch.nn.LSTM(3, 5, proj_size=2, bidirectional=True).state_dict())
    assert lstm.weight_hr_l0_reverse.shape == (2, 5)
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 5, proj_size=5)
    with pytest.raises(ValueError, match="proj_size"):
        nn.RNNBase("GRU", 3, 5, proj_size=2)


def test_dropout_between_layers_only_in_training():
    lstm = nn.LSTM(3, 6, num_layers=2, dropout=0.5, dtype=np.float64)
    x = ag.Tensor(rng.standard_normal((5, 2, 3)))
    out_eval, _ = lstm.eval()(x)
    lstm.train()
    ag.manual_seed(3)
    a, (h_a, _) = lstm(x)
    b, _ = lstm(x)
    assert not np.allclose(a.data, out_eval.data)  # dropout acted in training
    assert not np.allclose(a.data, b.data)  # fresh masks from the generator each call
    # nothing is dropped after the last layer: the output is the top layer's state, unscaled
    np.testing.assert_allclose(a.data[-1], h_a.data[-1])
    ag.manual_seed(3)
    np.testing.assert_allclose(lstm(x)[0].data, a.data)  # the seeded generator decides
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


def test_torch_loads_ours_and_flatten_parameters():
    mod = nn.GRU(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    mod.flatten_parameters()
    tmod = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    tmod.load_state_dict({k: torch.tensor(v.data) for k, v in mod.state_dict().items()})
    x = rng.standard_normal((4, 2, 3))
    np.testing.assert_allclose(mod(ag.Tensor(x))[0].data,
                               tmod(torch.tensor(x))[0].detach().numpy(), rtol=1e-9)


def test_hidden_shape_errors():
    rnn = nn.RNN(3, 4, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(4, 2, 4\)"):
        rnn(ag.randn(5, 2, 3), ag.zeros(2, 2, 4))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, 2, 4\)"):
        nn.LSTM(3, 4)(ag.randn(5, 2, 3), (ag.zeros(1, 2, 4), ag.zeros(1, 2, 3)))


# ----- packed sequences -----


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_batches_match_torch(kind, bidirectional, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 4]
    tmod, mod = _pair(getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=bidirectional),
                      getattr(nn, kind)(3, 4, num_layers=2, bidirectional=bidirectional,
                                        dtype=np.float64))
    k = 4 if bidirectional else 2
    shapes = [(5, 4, 3), (k, 4, 4)] + ([(k, 4, 4)] if kind == "LSTM" else [])
    tins, ins = _leaves(*shapes)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tins[0], lengths,
                                                  enforce_sorted=enforce_sorted)
    p = rnn_utils.pack_padded_sequence(ins[0], lengths, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(p.batch_sizes.data, tp.batch_sizes.numpy())
    np.testing.assert_allclose(p.data.data, tp.data.detach().numpy())
    hx_t = tuple(tins[1:]) if kind == "LSTM" else tins[1]
    hx = tuple(ins[1:]) if kind == "LSTM" else ins[1]
    tout, th = tmod(tp, hx_t)
    out, h = mod(p, hx)
    tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(tout, total_length=6)
    pad, lens = rnn_utils.pad_packed_sequence(out, total_length=6)
    np.testing.assert_array_equal(lens.data, tlen.numpy())
    zero = np.arange(6)[:, None] >= np.asarray(lengths)[None, :]
    assert np.all(pad.data[zero] == 0)  # padded positions of the output are zero
    _backward_both((tpad, th), (pad, h))
    _assert_grads(tmod, mod, tins, ins)


def test_pack_pad_roundtrip_and_layout():
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    tseqs = [torch.tensor(s) for s in seqs]
    for batch_first in (False, True):
        for side in ("right", "left"):
            np.testing.assert_allclose(
                rnn_utils.pad_sequence([ag.Tensor(s) for s in seqs], batch_first, -1.0,
                                       side).data,
                torch.nn.utils.rnn.pad_sequence(tseqs, batch_first, -1.0, side).numpy())
    tp = torch.nn.utils.rnn.pack_sequence(tseqs, enforce_sorted=False)
    p = rnn_utils.pack_sequence([ag.Tensor(s) for s in seqs], enforce_sorted=False)
    assert isinstance(p, rnn_utils.PackedSequence) and isinstance(p, tuple)
    np.testing.assert_allclose(p.data.data, tp.data.numpy())
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        np.testing.assert_array_equal(getattr(p, field).data, getattr(tp, field).numpy())
    for batch_first in (False, True):
        pad, lens = rnn_utils.pad_packed_sequence(p, batch_first, padding_value=7.0)
        tpad, tlens = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first, padding_value=7.0)
        np.testing.assert_allclose(pad.data, tpad.numpy())
        np.testing.assert_array_equal(lens.data, tlens.numpy())
    padded = ag.Tensor(rng.standard_normal((3, 4, 2)))
    p = rnn_utils.pack_padded_sequence(padded, [2, 4, 1], batch_first=True,
                                       enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(padded.data), [2, 4, 1],
                                                 batch_first=True, enforce_sorted=False)
    np.testing.assert_allclose(p.data.data, tp.data.numpy())


def test_pack_errors():
    x = ag.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn_utils.pack_padded_sequence(x, [2, 0, 1], enforce_sorted=False)
    with pytest.raises(ValueError, match="3 lengths"):
        rnn_utils.pack_padded_sequence(x, [2, 1])
    p = rnn_utils.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3"):
        rnn_utils.pad_packed_sequence(p, total_length=3)
