"""Recurrent cells and layers against PyTorch with equal weights (float64): outputs, final
states, and the gradients of inputs, initial states and every parameter; state-dict keys
(packed sequences: test_packed.py)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from tests.nn._rnn_compare import _assert_grads, _backward_both, _leaves, _pair

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)


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


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_double_backward_matches_torch(kind):
    """create_graph through the sequence primitives: the gradient of |d out / d x|^2."""
    tmod, mod = _pair(getattr(torch.nn, kind)(3, 4, bidirectional=True),
                      getattr(nn, kind)(3, 4, bidirectional=True, dtype=np.float64))
    (tx,), (x,) = _leaves((5, 2, 3))
    (tgx,) = torch.autograd.grad(tmod(tx)[0].tanh().sum(), tx, create_graph=True)
    mod(x)[0].tanh().sum().backward(create_graph=True)
    gx, x.grad = x.grad, None
    mod.zero_grad()
    (tgx * tgx).sum().backward()
    (gx * gx).sum().backward()
    _assert_grads(tmod, mod, [tx], [x])
