"""RNN / LSTM / GRU: NumPy reference cells, PyTorch layout, gradcheck through time, and toy
tasks learned many-to-one and many-to-many."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.ops import rnn_seq

rng = np.random.default_rng(0)


def sig(z):
    return 1 / (1 + np.exp(-z))


def ref_forward(mod, x, h0=None, c0=None):
    """NumPy unroll with PyTorch's equations, (L, N, I) input."""
    L, N, _ = x.shape
    H, layers = mod.hidden_size, mod.num_layers
    h = np.zeros((layers, N, H)) if h0 is None else h0.copy()
    c = np.zeros((layers, N, H)) if c0 is None else c0.copy()
    inp = x
    for k in range(layers):
        w_ih = getattr(mod, f"weight_ih_l{k}").data
        w_hh = getattr(mod, f"weight_hh_l{k}").data
        b_ih = getattr(mod, f"bias_ih_l{k}").data
        b_hh = getattr(mod, f"bias_hh_l{k}").data
        outs = []
        for t in range(L):
            gi, gh = inp[t] @ w_ih.T + b_ih, h[k] @ w_hh.T + b_hh
            if isinstance(mod, nn.LSTM):
                i, f, g, o = np.split(gi + gh, 4, axis=1)
                c[k] = sig(f) * c[k] + sig(i) * np.tanh(g)
                h[k] = sig(o) * np.tanh(c[k])
            elif isinstance(mod, nn.GRU):
                ir, iz, inn = np.split(gi, 3, axis=1)
                hr, hz, hn = np.split(gh, 3, axis=1)
                rr, z = sig(ir + hr), sig(iz + hz)
                n = np.tanh(inn + rr * hn)
                h[k] = (1 - z) * n + z * h[k]
            else:
                act = np.tanh if mod.nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
                h[k] = act(gi + gh)
            outs.append(h[k].copy())
        inp = np.stack(outs)
    return inp, h, c


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_forward_matches_numpy_reference(kind):
    kw = dict(num_layers=2, dtype=np.float64)
    if kind.startswith("rnn"):
        mod = nn.RNN(3, 4, nonlinearity=kind[4:], **kw)
    else:
        mod = {"lstm": nn.LSTM, "gru": nn.GRU}[kind](3, 4, **kw)
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((2, 2, 4))
    out_ref, h_ref, c_ref = ref_forward(mod, x, h0, h0 * 0.5)
    if kind == "lstm":
        out, (h, c) = mod(ag.Tensor(x), (ag.Tensor(h0), ag.Tensor(h0 * 0.5)))
        np.testing.assert_allclose(c.data, c_ref, rtol=1e-10)
    else:
        out, h = mod(ag.Tensor(x), ag.Tensor(h0))
    np.testing.assert_allclose(out.data, out_ref, rtol=1e-10)
    np.testing.assert_allclose(h.data, h_ref, rtol=1e-10)


def test_parameter_names_shapes_and_batch_first():
    lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    shapes = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert shapes == {
        "weight_ih_l0": (20, 3), "weight_hh_l0": (20, 5), "bias_ih_l0": (20,),
        "bias_hh_l0": (20,), "weight_ih_l1": (20, 5), "weight_hh_l1": (20, 5),
        "bias_ih_l1": (20,), "bias_hh_l1": (20,),
    }
    assert set(nn.GRU(2, 3, bias=False).state_dict()) == {"weight_ih_l0", "weight_hh_l0"}
    x = ag.randn(4, 7, 3)
    out, (h, c) = lstm(x)
    assert out.shape == (4, 7, 5) and h.shape == (2, 4, 5) and c.shape == (2, 4, 5)
    np.testing.assert_allclose(out.data[:, -1], h.data[-1], rtol=1e-6)
    lstm.batch_first = False
    out_t, _ = lstm(x.transpose((1, 0, 2)))
    np.testing.assert_allclose(out_t.data.transpose(1, 0, 2), out.data, rtol=1e-6)
    out_u, h_u = nn.GRU(3, 5)(ag.randn(7, 3))  # unbatched
    assert out_u.shape == (7, 5) and h_u.shape == (1, 5)


def test_errors_name_the_shapes():
    rnn = nn.RNN(3, 4)
    with pytest.raises(ValueError, match="Expected 3, got 2"):
        rnn(ag.randn(5, 2, 2))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(1, 2, 4\)"):
        rnn(ag.randn(5, 2, 3), ag.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_gradcheck_through_time(cls):
    mod = cls(2, 3, num_layers=2, batch_first=True, dtype=np.float64)
    names = [n for n, _ in mod.named_parameters()]
    params = [p.data.copy() for p in mod.parameters()]
    x = rng.standard_normal((2, 4, 2))

    def f(inp, *ps):
        out, _ = nn.functional_call(mod, dict(zip(names, ps, strict=True)), inp)
        return out

    ag.gradcheck(f, (x, *params))


def test_gradgradcheck_lstm_small():
    mod = nn.LSTM(2, 2, dtype=np.float64)
    x = rng.standard_normal((3, 1, 2))
    ag.gradgradcheck(lambda a: mod(a)[1][0], (x,))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_gradgradcheck_bidirectional_through_weights(cls):
    """Second order through both directions' sequence primitives and the input projection."""
    mod = cls(2, 2, bidirectional=True, dtype=np.float64)
    names = ["weight_hh_l0", "weight_ih_l0_reverse"]
    x = rng.standard_normal((3, 2, 2))

    def f(inp, *ws):
        out, _ = nn.functional_call(mod, dict(zip(names, ws, strict=True)), inp)
        return out

    ag.gradgradcheck(f, (x, *(getattr(mod, n).data.copy() for n in names)), fast_mode=True)


def sgd_train(model, head, batches, loss_fn, steps, lr):
    params = list(model.parameters()) + list(head.parameters())
    for step in range(steps):
        x, y = batches(step)
        loss = loss_fn(x, y)
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p -= lr * p.grad
    return loss.item()


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_many_to_one_learns_sign_of_sum(cls):
    ag.manual_seed(0)
    gen = np.random.default_rng(1)
    rnn, head = cls(1, 16, batch_first=True), nn.Linear(16, 2)

    def batch(_, n=32):
        x = gen.standard_normal((n, 8, 1)).astype(np.float32)
        return ag.Tensor(x), ag.Tensor((x.sum((1, 2)) > 0).astype(np.int64))

    def loss_fn(x, y):
        out, _ = rnn(x)
        return nn.functional.cross_entropy(head(out[:, -1]), y)

    sgd_train(rnn, head, batch, loss_fn, 250, 0.3)
    x, y = batch(0, 256)  # fresh sequences
    with ag.no_grad():
        acc = (head(rnn(x)[0][:, -1]).data.argmax(1) == y.data).mean()
    assert acc >= 0.85


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_many_to_many_learns_delayed_echo(cls):
    """Output at step t must reproduce the input bit at step t-1 (0 at t=0)."""
    ag.manual_seed(0)
    gen = np.random.default_rng(2)
    rnn, head = cls(1, 16, batch_first=True), nn.Linear(16, 1)

    def batch(_):
        bits = gen.integers(0, 2, (32, 10, 1)).astype(np.float32)
        target = np.concatenate([np.zeros((32, 1, 1), np.float32), bits[:, :-1]], axis=1)
        return ag.Tensor(bits * 2 - 1), ag.Tensor(target)

    def loss_fn(x, y):
        out, _ = rnn(x)
        return nn.functional.binary_cross_entropy_with_logits(head(out), y)

    sgd_train(rnn, head, batch, loss_fn, 250, 0.5)
    x, y = batch(0)
    with ag.no_grad():
        pred = head(rnn(x)[0]).data > 0
    assert (pred == (y.data > 0.5)).mean() >= 0.95


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_torch_state_dict_ports_and_outputs_match(kind):
    torch = pytest.importorskip("torch")
    tmod = getattr(torch.nn, kind)(3, 4, num_layers=2, batch_first=True).double()
    mod = getattr(nn, kind)(3, 4, num_layers=2, batch_first=True, dtype=np.float64)
    mod.load_state_dict(tmod.state_dict())
    x = rng.standard_normal((2, 5, 3))
    tout, th = tmod(torch.tensor(x))
    out, h = mod(ag.Tensor(x))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    if kind == "LSTM":
        h, th = h[1], th[1]
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-9, atol=1e-12)
    # and back: torch loads ours
    tmod.load_state_dict({k: torch.tensor(v.data) for k, v in mod.state_dict().items()})


def test_sequence_primitive_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"lstm_seq: shapes do not fit .* xp \(3, 2, 8\)"):
        rnn_seq.lstm_seq(ag.zeros(3, 2, 8), ag.zeros(2, 5), ag.zeros(2, 5), ag.zeros(20, 5), None)
    with pytest.raises(ValueError, match=r"gru_seq: b_hh must have shape \(15,\)"):
        rnn_seq.gru_seq(ag.zeros(3, 2, 15), ag.zeros(2, 5), ag.zeros(15, 5), ag.zeros(5))
