"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence)
against torch's layout, and RNN/LSTM/GRU over packed batches against torch (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import rnn as rnn_utils
from tests.nn._rnn_compare import _assert_grads, _backward_both, _leaves, _pair

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(1)


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
