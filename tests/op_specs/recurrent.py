"""Specs for the fused recurrent cells (autograd/ops/rnn.py): `ag.rnn_tanh_cell`,
`ag.rnn_relu_cell`, `ag.lstm_cell`, `ag.gru_cell` and their primitives, and the whole-sequence
primitives over projected inputs (autograd/ops/rnn_seq.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

import autograd as ag
from autograd.ops import rnn_seq
from tests.op_specs import OpSpec, S

N, I, H = 3, 4, 5


def _pre(x: np.ndarray, h: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: Any,
         b_hh: Any) -> tuple[np.ndarray, np.ndarray]:
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    return gi, h @ w_hh.T + (0 if b_hh is None else b_hh)


def _elman_ref(act: Any) -> Any:
    return lambda x, h, w_ih, w_hh, b_ih=None, b_hh=None: act(sum(_pre(x, h, w_ih, w_hh, b_ih,
                                                                       b_hh)))


def _lstm(x: Any, h: Any, c: Any, *w: Any) -> Any:
    """Both outputs of `ag.lstm_cell` as one tuple (each is checked)."""
    return ag.lstm_cell(x, (h, c), *w)


def _lstm_ref(x: np.ndarray, h: np.ndarray, c: np.ndarray, *w: Any) -> tuple[Any, Any]:
    i, f, g, o = np.split(sum(_pre(x, h, *w)), 4, axis=1)
    c2 = expit(f) * c + expit(i) * np.tanh(g)
    return expit(o) * np.tanh(c2), c2


def _gru_ref(x: np.ndarray, h: np.ndarray, *w: Any) -> np.ndarray:
    gi, gh = _pre(x, h, *w)
    (ir, iz, inn), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = expit(ir + hr), expit(iz + hz)
    n = np.tanh(inn + r * hn)
    return (1 - z) * n + z * h


def _samples(gates: int, state: tuple[tuple[int, ...], ...]) -> list[Any]:
    g = gates * H
    return [S((N, I), *state, (g, I), (g, H), (g,), (g,)),
            S((N, I), *state, (g, I), (g, H), None, None, desc="nobias"),
            S((1, 2), *((1, H),) * len(state), (g, 2), (g, H), (g,), (g,), desc="batch1")]


SPECS = [
    OpSpec("ag.rnn_tanh_cell", ("ag.rnn_tanh_cell", "rnn_tanh_cell"), ag.rnn_tanh_cell,
           _samples(1, ((N, H),)), _elman_ref(np.tanh), domain=(-1.0, 1.0)),
    OpSpec("ag.rnn_relu_cell", ("ag.rnn_relu_cell", "rnn_relu_cell"), ag.rnn_relu_cell,
           _samples(1, ((N, H),)), _elman_ref(lambda a: np.maximum(a, 0)), domain=(-1.0, 1.0)),
    OpSpec("ag.lstm_cell", ("ag.lstm_cell", "lstm_cell"), _lstm,
           _samples(4, ((N, H), (N, H))), _lstm_ref, domain=(-1.0, 1.0)),
    OpSpec("ag.gru_cell", ("ag.gru_cell", "gru_cell"), ag.gru_cell,
           _samples(3, ((N, H),)), _gru_ref, domain=(-1.0, 1.0)),
]


# ----- whole-sequence primitives: xp (T, N, G*H) already projected, h0 (N, H), w_hh, b_hh -----

T = 3


def _seq_ref(cell: Any, lstm: bool) -> Any:
    """Every step's h (and c) from the per-step reference with an identity input weight."""

    def ref(xp: np.ndarray, h: np.ndarray, *rest: Any, reverse: bool = False) -> Any:
        c, (w_hh, b_hh) = (rest[0], rest[1:]) if lstm else (None, rest)
        eye = np.eye(xp.shape[2])
        hs, cs = [None] * len(xp), [None] * len(xp)
        for t in (range(len(xp) - 1, -1, -1) if reverse else range(len(xp))):
            if lstm:
                h, c = cell(xp[t], h, c, eye, w_hh, None, b_hh)
            else:
                h = cell(xp[t], h, eye, w_hh, None, b_hh)
            hs[t], cs[t] = h, c
        return np.stack([np.stack(hs), np.stack(cs)]) if lstm else np.stack(hs)

    return ref


def _seq_samples(gates: int, lstm: bool) -> list[Any]:
    g, state = gates * H, ((N, H),) * (2 if lstm else 1)
    return [S((T, N, g), *state, (g, H), (g,)),
            S((T, N, g), *state, (g, H), (g,), reverse=True, desc="reverse"),
            S((1, 1, g), *((1, H),) * len(state), (g, H), None, desc="nobias")]


def _seq_spec(name: str, gates: int, cell: Any, lstm: bool = False) -> OpSpec:
    prim = getattr(rnn_seq, name)
    return OpSpec(name, (name,), prim, _seq_samples(gates, lstm), _seq_ref(cell, lstm),
                  domain=(-1.0, 1.0))


SPECS += [
    _seq_spec("rnn_tanh_seq", 1, _elman_ref(np.tanh)),
    _seq_spec("rnn_relu_seq", 1, _elman_ref(lambda a: np.maximum(a, 0))),
    _seq_spec("lstm_seq", 4, _lstm_ref, lstm=True),
    _seq_spec("gru_seq", 3, _gru_ref),
]
