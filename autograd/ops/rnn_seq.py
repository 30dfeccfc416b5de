"""Recurrent layers over a whole padded sequence as one primitive each (`rnn_tanh_seq`,
`rnn_relu_seq`, `lstm_seq`, `gru_seq`): PyTorch's split of the work.

The caller projects every step's input at once (`linear(x, W_ih, b_ih)`, one product forward
and one per gradient); the primitive then runs only the hidden-to-hidden recurrence over the
projected input `xp` (T, N, G*H), a loop of one (N, H) x (H, G*H) product and the gate
arithmetic per step on ndarrays. Its backward is the same loop reversed, one product per
step; the gradient of `xp` is the stacked gate gradients (no product) and that of W_hh one
product over all steps. One node per layer and direction replaces T per-step nodes, their
slices and stacks.

The gate formulas are the per-step cells' (autograd/ops/rnn.py), shared for ndarrays and
Tensors. The fast backward reuses the activations saved by the forward; a recorded backward
(`create_graph=True`) recomputes them with primitives from the node's output, so it can be
differentiated again. `lstm_seq` returns h and c of every step stacked as (2, T, N, H).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import kernels, mode
from autograd.errors import ShapeError
from autograd.kernels import rnn as rnn_kernels
from autograd.kernels import workspace
from autograd.ops import linalg
from autograd.ops.rnn import (
    _cached,
    _gru_dgates,
    _gru_from,
    _lstm_dgates,
    _lstm_from_pre,
    _NumPy,
    _Ops,
    _Saved,
)
from autograd.ops.shape import stack
from autograd.registry import primitive
from autograd.tensor import Tensor


def _check(name: str, gates: int, xp: Any, h0: Any, w_hh: Any, b_hh: Any,
           c0: Any = None) -> None:
    """xp (T, N, G*H), h0 and c0 (N, H), w_hh (G*H, H), b_hh (G*H,) or None."""
    shapes = f"xp {xp.shape}, h0 {h0.shape}, w_hh {w_hh.shape}"
    if xp.ndim != 3 or h0.ndim != 2 or w_hh.ndim != 2:
        raise ShapeError(f"{name}: xp must be 3-D (steps, batch, {gates}*hidden), h0 2-D, "
                         f"w_hh 2-D; got {shapes}")
    g, hs = w_hh.shape
    if g != gates * hs or xp.shape[2] != g or h0.shape != (xp.shape[1], hs):
        raise ShapeError(f"{name}: shapes do not fit (w_hh ({gates}*H, H), xp (T, N, "
                         f"{gates}*H), h0 (N, H)); got {shapes}")
    if b_hh is not None and b_hh.shape != (g,):
        raise ShapeError(f"{name}: b_hh must have shape ({g},); got {b_hh.shape}")
    if c0 is not None and c0.shape != h0.shape:
        raise ShapeError(f"{name}: c0 must have shape {h0.shape}; got {c0.shape}")


# Per kind: `step(lib, xp_t, h, c, w_hh, b_hh) -> (h', c' or None, acts)` and
# `back(lib, gh, gc, h, c, acts) -> (d xp_t, d hidden-side gates, d h direct, d c)`.


def _elman_step(act: str) -> Any:
    def step(lib: Any, xp: Any, h: Any, c: Any, w_hh: Any, b_hh: Any) -> tuple[Any, ...]:
        pre = xp + lib.linear(h, w_hh, b_hh)
        out = lib.tanh(pre) if act == "tanh" else lib.relu(pre)
        return out, None, (out,)

    return step


def _elman_back(act: str) -> Any:
    def back(lib: Any, gh: Any, gc: Any, h: Any, c: Any, acts: Any) -> tuple[Any, ...]:
        a = acts[0]
        d = gh * (1.0 - a * a) if act == "tanh" else gh * lib.relu_mask(a)
        return d, d, None, None

    return back


def _lstm_step(lib: Any, xp: Any, h: Any, c: Any, w_hh: Any, b_hh: Any) -> tuple[Any, ...]:
    acts = _lstm_from_pre(lib, xp + lib.linear(h, w_hh, b_hh), c)
    return acts[3] * acts[5], acts[4], acts


def _lstm_back(lib: Any, gh: Any, gc: Any, h: Any, c: Any, acts: Any) -> tuple[Any, ...]:
    d, dc = _lstm_dgates(lib, gh, gc, c, acts)
    return d, d, None, dc


def _gru_step(lib: Any, xp: Any, h: Any, c: Any, w_hh: Any, b_hh: Any) -> tuple[Any, ...]:
    acts = _gru_from(lib, xp, lib.linear(h, w_hh, b_hh))
    n, z = acts[2], acts[1]
    return n + z * (h - n), None, acts


def _gru_back(lib: Any, gh: Any, gc: Any, h: Any, c: Any, acts: Any) -> tuple[Any, ...]:
    d_ih, d_hh = _gru_dgates(lib, gh, h, acts)
    return d_ih, d_hh, gh * acts[1], None


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _forward(step: Any, lstm: bool, xp: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
             w_hh: np.ndarray, b_hh: np.ndarray | None,
             reverse: bool) -> tuple[np.ndarray, _Saved]:
    """Every step's h (T, N, H), or h and c (2, T, N, H), and the saved activations."""
    steps = xp.shape[0]
    out = np.empty((2 if lstm else 1, steps) + h0.shape, dtype=np.result_type(xp, h0))
    acts: list[Any] = [None] * steps
    h, c = h0, c0
    for t in _order(steps, reverse):
        h, c, acts[t] = step(_NumPy, xp[t], h, c, w_hh, b_hh)
        out[0, t] = h
        if lstm:
            out[1, t] = c
    return (out if lstm else out[0]), _Saved(tuple(acts))


def _backward(step: Any, back: Any, lstm: bool, g: Tensor, ans: Tensor, xp: Tensor,
              h0: Tensor, c0: Any, w_hh: Tensor, b_hh: Any, reverse: bool,
              aux: _Saved, act: str | None = None) -> tuple[Any, ...]:
    """(d xp, d h0, d c0, d w_hh, d b_hh), on ndarrays or (recorded) with primitives."""
    recorded = mode.is_grad_enabled()
    lib = _Ops if recorded else _NumPy
    if not recorded:
        g, ans, xp, h0, w_hh = g.data, ans.data, xp.data, h0.data, w_hh.data
        c0 = None if c0 is None else c0.data
        if act is not None and aux.acts is None:  # the forward ran the sequence kernel
            d_in = _steps_by_columns(xp)
            dh = rnn_kernels.elman_backward(g, ans, w_hh, d_in, act == "relu", reverse)
            return _weight_grads(d_in, d_in, ans, h0, dh, None, b_hh, reverse)
    hs, cs = (ans[0], ans[1]) if lstm else (ans, None)
    gh_all, gc_all = (g[0], g[1]) if lstm else (g, None)
    order = list(_order(xp.shape[0], reverse))
    # Fast: the gate gradients go straight into the arrays returned (no stack); only GRU
    # has a hidden-side gate gradient apart from the input-side one.
    d_in: Any = [None] * len(order) if recorded else _steps_by_columns(xp)
    d_hid: Any = d_in if back is not _gru_back else (
        [None] * len(order) if recorded else np.empty(xp.shape, xp.dtype))
    dh = dc = None
    for k in range(len(order) - 1, -1, -1):
        t = order[k]
        h = h0 if k == 0 else hs[order[k - 1]]
        c = None if not lstm else c0 if k == 0 else cs[order[k - 1]]
        acts = step(lib, xp[t], h, c, w_hh, b_hh)[2] if recorded else aux.acts[t]
        gh = gh_all[t] if dh is None else gh_all[t] + dh
        gc = None if not lstm else gc_all[t] if dc is None else gc_all[t] + dc
        d_x, d_h, direct, dc = back(lib, gh, gc, h, c, acts)
        d_in[t], d_hid[t] = d_x, d_h
        dh = _mm(recorded, d_h, w_hh)
        if direct is not None:
            dh = dh + direct
    # Each step's previous h in time order: h0, then hs[:-1] (forward); hs[1:], then h0.
    if recorded:
        prev = [h0 if k == 0 else hs[order[k - 1]] for k in range(len(order))]
        dxp, dgates, hprev = stack(d_in), stack(d_hid), stack(prev[::-1] if reverse else prev)
        return _weight_grads(dxp, dgates, None, None, dh, dc, b_hh, reverse, hprev, True)
    return _weight_grads(d_in, d_hid, hs, h0, dh, dc, b_hh, reverse)


def _weight_grads(dxp: Any, dgates: Any, hs: Any, h0: Any, dh: Any, dc: Any, b_hh: Any,
                  reverse: bool, hprev: Any = None, recorded: bool = False) -> tuple[Any, ...]:
    """(d xp, d h0, d c0, d w_hh, d b_hh) from the gate gradients of every step: the weight
    gradient as one product over all steps (each step's previous h: h0, then hs[:-1])."""
    if hprev is None:  # into a reused array: only the product below reads it
        parts = [hs[1:], h0[None]] if reverse else [h0[None], hs[:-1]]
        hprev = workspace("rnn_seq:hprev", hs.shape, hs.dtype).reshape(hs.shape)
        np.concatenate(parts, out=hprev)
    d2, h2 = dgates.reshape((-1, dgates.shape[-1])), hprev.reshape((-1, hprev.shape[-1]))
    if recorded or not d2.flags.c_contiguous:  # d^T is C-ordered (see _steps_by_columns)
        dw = _mm(recorded, d2.T, h2)
    else:  # GRU's hidden-side gradient, written row by row: transpose the smaller h
        dw = np.ascontiguousarray(kernels.matmul(np.ascontiguousarray(h2.T), d2).T)
    db = None if b_hh is None else d2.sum(axis=0)
    return dxp, dh, dc, dw, db


def _steps_by_columns(xp: np.ndarray) -> np.ndarray:
    """An empty (T, N, G) array laid out as a C-ordered (G, T*N): the weight gradients
    (d^T @ inputs, here and in the projection's VJP) then read d^T without a transposed copy
    of the whole sequence."""
    steps, n, g = xp.shape
    return np.empty((g, steps * n), xp.dtype).T.reshape(steps, n, g)


def _mm(recorded: bool, a: Any, b: Any) -> Any:
    return linalg.matmul(a, b) if recorded else kernels.matmul(a, b)


def _sequence(name: str, gates: int, step: Any, back: Any, lstm: bool,
              act: str | None = None) -> Any:
    """The primitive for one kind: inputs (xp, h0, [c0,] w_hh, b_hh), param `reverse`;
    `act` names a vanilla RNN's activation, whose recurrence runs as one jitted loop."""

    def grads(g: Tensor, ans: Tensor, *ins: Any, reverse: bool, aux: _Saved) -> tuple[Any, ...]:
        xp, h0, c0, w_hh, b_hh = ins if lstm else (ins[0], ins[1], None, *ins[2:])
        return _cached(aux, g, lambda: _backward(step, back, lstm, g, ans, xp, h0, c0,
                                                 w_hh, b_hh, reverse, aux, act))

    def vjp(i: int) -> Any:
        def f(g: Tensor, ans: Tensor, *ins: Any, reverse: bool = False, aux: _Saved) -> Any:
            out = grads(g, ans, *ins, reverse=reverse, aux=aux)[i]
            return out if isinstance(out, Tensor) else Tensor(np.asarray(out))

        return f

    if lstm:
        def check(xp: Any, h0: Any, c0: Any, w_hh: Any, b_hh: Any = None,
                  reverse: bool = False) -> None:
            _check(name, gates, xp, h0, w_hh, b_hh, c0)

        @primitive(name, check=check, has_aux=True)
        def prim(xp: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_hh: np.ndarray,
                 b_hh: np.ndarray | None, *, reverse: bool = False) -> tuple[np.ndarray, _Saved]:
            return _forward(step, True, xp, h0, c0, w_hh, b_hh, reverse)

        prim.defvjp(*(vjp(i) for i in range(5)))
        return prim

    def check_h(xp: Any, h0: Any, w_hh: Any, b_hh: Any = None, reverse: bool = False) -> None:
        _check(name, gates, xp, h0, w_hh, b_hh)

    @primitive(name, check=check_h, has_aux=True)
    def prim_h(xp: np.ndarray, h0: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray | None, *,
               reverse: bool = False) -> tuple[np.ndarray, _Saved]:
        if act is not None and rnn_kernels.fits(xp, h0, w_hh, b_hh):
            # no per-step activations saved: the backward reads them from the output
            out = rnn_kernels.elman_forward(xp, h0, w_hh, b_hh, act == "relu", reverse)
            return out, _Saved(None)
        return _forward(step, False, xp, h0, None, w_hh, b_hh, reverse)

    prim_h.defvjp(*(vjp(i) for i in (0, 1, 3, 4)))
    return prim_h


rnn_tanh_seq = _sequence("rnn_tanh_seq", 1, _elman_step("tanh"), _elman_back("tanh"), False,
                         "tanh")
rnn_relu_seq = _sequence("rnn_relu_seq", 1, _elman_step("relu"), _elman_back("relu"), False,
                         "relu")
lstm_seq = _sequence("lstm_seq", 4, _lstm_step, _lstm_back, True)
gru_seq = _sequence("gru_seq", 3, _gru_step, _gru_back, False)
