"""Fused recurrent cells: one primitive per time step (PyTorch's `rnn_tanh_cell`,
`rnn_relu_cell`, `lstm_cell`, `gru_cell`), forward on ndarrays with BLAS products.

An unrolled cell built from core ops records 4 (RNN) to ~20 (LSTM) nodes per step and about
three times as many backward ops; a fused cell records one node. Its VJPs share one
intermediate, the gradient of the pre-activation gates: a node's `aux` (`_Saved`) keeps the
forward's gate activations and, during backward, that gradient for the output gradient `g`
it was computed for, so the node's other VJPs reuse it. When the backward pass is itself
recorded (`create_graph=True`) the VJPs recompute the activations and the gate gradient with
primitives instead, so the result can be differentiated again; both paths run the same
formulas (`_*_acts`, `_*_dgates`), written once for ndarrays and Tensors alike.

`lstm_cell` returns h' and c' stacked as one (2, N, H) array (a primitive has one output);
`ag.lstm_cell` splits it into PyTorch's `(h', c')` pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import kernels, mode
from autograd.errors import ShapeError
from autograd.ops import elementwise as ew
from autograd.ops import linalg
from autograd.ops.shape import concatenate, getitem
from autograd.registry import primitive
from autograd.tensor import Tensor


class _Saved:
    """Per-node store shared by one fused cell's VJPs (see the module docstring)."""

    __slots__ = ("acts", "g", "dgates")

    def __init__(self, acts: tuple[np.ndarray, ...]) -> None:
        self.acts = acts
        self.g: Any = None
        self.dgates: Any = None


class _NumPy:
    """The array functions the shared formulas need, on ndarrays (forward, fast backward)."""

    tanh = staticmethod(np.tanh)
    linear = staticmethod(kernels.linear)

    @staticmethod
    def sigmoid(x: np.ndarray) -> np.ndarray:
        """1 / (1 + exp(-x)) as (1 + tanh(x/2)) / 2: no overflow, and no masked two-branch
        pass (ew.sigmoid's), which took a fifth of an LSTM step."""
        return 0.5 + 0.5 * np.tanh(0.5 * x)

    @staticmethod
    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts, axis=1)

    @staticmethod
    def relu(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    @staticmethod
    def relu_mask(ans: np.ndarray) -> np.ndarray:
        return (ans > 0).astype(ans.dtype)


class _Ops:
    """The same functions as primitives on Tensors (a recorded, differentiable backward)."""

    sigmoid = staticmethod(ew.sigmoid)
    tanh = staticmethod(ew.tanh)
    linear = staticmethod(linalg.linear)
    relu = staticmethod(ew.relu)

    @staticmethod
    def cat(parts: list[Tensor]) -> Tensor:
        return concatenate(parts, axis=1)

    @staticmethod
    def relu_mask(ans: Tensor) -> Tensor:
        return ew._const(ans.data > 0, ans)


def _check(name: str, gates: int, x: np.ndarray, h: np.ndarray, w_ih: np.ndarray,
           w_hh: np.ndarray, b_ih: np.ndarray | None, b_hh: np.ndarray | None,
           c: np.ndarray | None = None) -> None:
    """Shape rule shared by the cells: 2-D x (N, I) and h (N, P); weights (G*H, I), (G*H, P)."""
    shapes = f"input {x.shape}, hx {h.shape}, w_ih {w_ih.shape}, w_hh {w_hh.shape}"
    if x.ndim != 2 or h.ndim != 2 or w_ih.ndim != 2 or w_hh.ndim != 2:
        raise ShapeError(f"{name}: input and hx must be 2-D (batch, features), weights 2-D; "
                         f"got {shapes}")
    g = w_ih.shape[0]
    if (g % gates or w_hh.shape[0] != g or x.shape[1] != w_ih.shape[1]
            or h.shape[1] != w_hh.shape[1] or x.shape[0] != h.shape[0]):
        raise ShapeError(f"{name}: shapes do not fit ({gates} gates of hidden size "
                         f"w_ih.shape[0] / {gates}); got {shapes}")
    for bname, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and b.shape != (g,):
            raise ShapeError(f"{name}: {bname} must have shape ({g},); got {b.shape}")
    if c is not None and c.shape != (x.shape[0], g // gates):
        raise ShapeError(f"{name}: cx must have shape {(x.shape[0], g // gates)}; got {c.shape}")


def _cached(aux: _Saved, g: Any, compute: Any) -> Any:
    """The gate gradient for `g`: computed by the node's first VJP, reused by the others."""
    if aux.g is not g:
        aux.g, aux.dgates = g, compute()
    return aux.dgates


def _weight_vjps(dg: Any, k: int) -> tuple[Any, ...]:
    """VJPs of x, h, w_ih, w_hh, b_ih, b_hh (inputs 0, 1, k, k+1, k+2, k+3) given
    `dg(g, ans, *inputs, aux) -> (d_ih, d_hh)`, the gradients of the input-side and
    hidden-side pre-activations."""

    def mat(w: int, side: int) -> Any:  # d_x = d_ih @ w_ih, d_h = d_hh @ w_hh
        return lambda g, ans, *ins, aux: _product(dg(g, ans, *ins, aux=aux)[side], ins[w])

    def weight(i: int, side: int) -> Any:  # d_w = d^T @ input
        return lambda g, ans, *ins, aux: _product(dg(g, ans, *ins, aux=aux)[side].T, ins[i])

    def bias(side: int) -> Any:
        return lambda g, ans, *ins, aux: dg(g, ans, *ins, aux=aux)[side].sum(axis=0)

    return (mat(k, 0), mat(k + 1, 1), weight(0, 0), weight(1, 1), bias(0), bias(1))


def _product(a: Any, b: Any) -> Any:
    return linalg.matmul(a, b) if isinstance(a, Tensor) else Tensor(kernels.matmul(a, b.data))


def _arrays(recorded: bool, *ts: Any) -> tuple[Any, ...]:
    """The VJP's inputs as Tensors (recorded backward) or their ndarrays (fast backward)."""
    return ts if recorded else tuple(None if t is None else t.data for t in ts)


# ----- Elman cells: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh) -----


def _elman(name: str, act: str) -> Any:
    def check(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> None:
        _check(name, 1, x, h, w_ih, w_hh, b_ih, b_hh)

    @primitive(name, check=check, has_aux=True)
    def cell(x: np.ndarray, h: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
             b_ih: np.ndarray | None, b_hh: np.ndarray | None) -> tuple[np.ndarray, _Saved]:
        pre = kernels.linear(x, w_ih, b_ih)
        pre += kernels.linear(h, w_hh, b_hh)
        out = np.tanh(pre, out=pre) if act == "tanh" else np.maximum(pre, 0, out=pre)
        return out, _Saved(())

    def dgates(g: Tensor, ans: Tensor, *ins: Any, aux: _Saved) -> tuple[Any, Any]:
        recorded = mode.is_grad_enabled()
        lib = _Ops if recorded else _NumPy
        gg, a = _arrays(recorded, g, ans)

        def compute() -> tuple[Any, Any]:
            d = gg * (1.0 - a * a) if act == "tanh" else gg * lib.relu_mask(a)
            return d, d

        return compute() if recorded else _cached(aux, g, compute)

    cell.defvjp(*_weight_vjps(dgates, 2))
    return cell


rnn_tanh_cell_p = _elman("rnn_tanh_cell", "tanh")
rnn_relu_cell_p = _elman("rnn_relu_cell", "relu")


def rnn_tanh_cell(input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,  # noqa: A002
                  b_hh: Any = None) -> Tensor:
    """One Elman step with tanh, `torch.rnn_tanh_cell`: (N, I), (N, H) -> (N, H)."""
    return rnn_tanh_cell_p(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,  # noqa: A002
                  b_hh: Any = None) -> Tensor:
    """One Elman step with relu, `torch.rnn_relu_cell`: (N, I), (N, H) -> (N, H)."""
    return rnn_relu_cell_p(input, hx, w_ih, w_hh, b_ih, b_hh)


# ----- LSTM: gates i, f, g, o; c' = f c + i g; h' = o tanh(c') -----


def _lstm_acts(lib: Any, x: Any, h: Any, c: Any, w_ih: Any, w_hh: Any, b_ih: Any,
               b_hh: Any) -> tuple[Any, ...]:
    """(i, f, g, o, c', tanh(c')) for one step, on ndarrays or Tensors (`lib`)."""
    return _lstm_from_pre(lib, lib.linear(x, w_ih, b_ih) + lib.linear(h, w_hh, b_hh), c)


def _lstm_from_pre(lib: Any, pre: Any, c: Any) -> tuple[Any, ...]:
    """(i, f, g, o, c', tanh(c')) from the pre-activation gates (N, 4H) and c."""
    n = pre.shape[1] // 4
    s = lib.sigmoid(pre)  # all four at once (g's unused): one pass, not three
    i, f, o = (s[:, k * n:(k + 1) * n] for k in (0, 1, 3))
    g = lib.tanh(pre[:, 2 * n:3 * n])
    c_new = f * c + i * g
    return i, f, g, o, c_new, lib.tanh(c_new)


def _lstm_dgates(lib: Any, gh: Any, gc: Any, c: Any, acts: tuple[Any, ...]) -> tuple[Any, Any]:
    """(d pre-activation gates (N, 4H), d c) from the gradients of h' and c'."""
    i, f, g, o, _, tc = acts
    dc = gc + gh * o * (1.0 - tc * tc)
    d = lib.cat([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g * g),
                 gh * tc * o * (1.0 - o)])
    return d, dc * f


def _lstm_check(x: Any, h: Any, c: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                b_hh: Any = None) -> None:
    _check("lstm_cell", 4, x, h, w_ih, w_hh, b_ih, b_hh, c)


@primitive("lstm_cell", check=_lstm_check, has_aux=True)
def lstm_cell_p(x: np.ndarray, h: np.ndarray, c: np.ndarray, w_ih: np.ndarray,
                w_hh: np.ndarray, b_ih: np.ndarray | None,
                b_hh: np.ndarray | None) -> tuple[np.ndarray, _Saved]:
    """One LSTM step; h' and c' stacked as (2, N, H)."""
    acts = _lstm_acts(_NumPy, x, h, c, w_ih, w_hh, b_ih, b_hh)
    return np.stack([acts[3] * acts[5], acts[4]]), _Saved(acts)


def _lstm_dg(g: Tensor, ans: Tensor, x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor,
             w_hh: Tensor, b_ih: Any, b_hh: Any, *, aux: _Saved) -> tuple[Any, Any]:
    if mode.is_grad_enabled():
        acts = _lstm_acts(_Ops, x, h, c, w_ih, w_hh, b_ih, b_hh)
        d, dc = _lstm_dgates(_Ops, getitem(g, index=0), getitem(g, index=1), c, acts)
        return d, dc
    return _cached(aux, g, lambda: _lstm_dgates(_NumPy, g.data[0], g.data[1], c.data, aux.acts))


def _lstm_gates(g: Tensor, ans: Tensor, *ins: Any, aux: _Saved) -> tuple[Any, Any]:
    d, _ = _lstm_dg(g, ans, *ins, aux=aux)
    return d, d


def _lstm_dc(g: Tensor, ans: Tensor, *ins: Any, aux: _Saved) -> Any:
    dc = _lstm_dg(g, ans, *ins, aux=aux)[1]
    return dc if isinstance(dc, Tensor) else Tensor(dc)


_vx, _vh, _vwi, _vwh, _vbi, _vbh = _weight_vjps(_lstm_gates, 3)
lstm_cell_p.defvjp(_vx, _vh, _lstm_dc, _vwi, _vwh, _vbi, _vbh)


def lstm_cell(input: Any, hx: tuple[Any, Any], w_ih: Any, w_hh: Any, b_ih: Any = None,  # noqa: A002
              b_hh: Any = None) -> tuple[Tensor, Tensor]:
    """One LSTM step, `torch.lstm_cell`: (N, I), (h (N, H), c (N, H)) -> (h', c')."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError("lstm_cell: hx must be a pair (h, c)")
    hc = lstm_cell_p(input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)
    return getitem(hc, index=0), getitem(hc, index=1)


# ----- GRU: gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1-z) n + z h -----


def _gru_acts(lib: Any, x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any,
              b_hh: Any) -> tuple[Any, ...]:
    """(r, z, n, W_hn h + b_hn) for one step, on ndarrays or Tensors (`lib`)."""
    return _gru_from(lib, lib.linear(x, w_ih, b_ih), lib.linear(h, w_hh, b_hh))


def _gru_from(lib: Any, gi: Any, gh: Any) -> tuple[Any, ...]:
    """(r, z, n, W_hn h + b_hn) from the input-side and hidden-side gates (N, 3H) each."""
    k = gi.shape[1] // 3
    r = lib.sigmoid(gi[:, :k] + gh[:, :k])
    z = lib.sigmoid(gi[:, k:2 * k] + gh[:, k:2 * k])
    hn = gh[:, 2 * k:]
    return r, z, lib.tanh(gi[:, 2 * k:] + r * hn), hn


def _gru_dgates(lib: Any, g: Any, h: Any, acts: tuple[Any, ...]) -> tuple[Any, Any]:
    """(d input-side gates (N, 3H), d hidden-side gates (N, 3H)) from the gradient of h'."""
    r, z, n, hn = acts
    dn = g * (1.0 - z) * (1.0 - n * n)
    dr = dn * hn * r * (1.0 - r)
    dz = g * (h - n) * z * (1.0 - z)
    return lib.cat([dr, dz, dn]), lib.cat([dr, dz, dn * r])


def _gru_check(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> None:
    _check("gru_cell", 3, x, h, w_ih, w_hh, b_ih, b_hh)
    if w_hh.shape[1] * 3 != w_hh.shape[0]:
        raise ShapeError(f"gru_cell: w_hh must be (3*H, H); got {w_hh.shape}")


@primitive("gru_cell", check=_gru_check, has_aux=True)
def gru_cell_p(x: np.ndarray, h: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
               b_ih: np.ndarray | None, b_hh: np.ndarray | None) -> tuple[np.ndarray, _Saved]:
    """One GRU step (PyTorch's equations and gate order r, z, n)."""
    acts = _gru_acts(_NumPy, x, h, w_ih, w_hh, b_ih, b_hh)
    r, z, n, _ = acts
    return n + z * (h - n), _Saved(acts)


def _gru_dg(g: Tensor, ans: Tensor, x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor,
            b_ih: Any, b_hh: Any, *, aux: _Saved) -> tuple[Any, Any]:
    if mode.is_grad_enabled():
        return _gru_dgates(_Ops, g, h, _gru_acts(_Ops, x, h, w_ih, w_hh, b_ih, b_hh))
    return _cached(aux, g, lambda: _gru_dgates(_NumPy, g.data, h.data, aux.acts))


_gx, _gh, _gwi, _gwh, _gbi, _gbh = _weight_vjps(_gru_dg, 2)


def _gru_vjp_h(g: Tensor, ans: Tensor, x: Tensor, h: Tensor, *w: Any, aux: _Saved) -> Any:
    """Through the hidden-side gates and directly through z h."""
    if mode.is_grad_enabled():
        return _gh(g, ans, x, h, *w, aux=aux) + g * _gru_acts(_Ops, x, h, *w)[1]
    return Tensor(_gh(g, ans, x, h, *w, aux=aux).data + g.data * aux.acts[1])


gru_cell_p.defvjp(_gx, _gru_vjp_h, _gwi, _gwh, _gbi, _gbh)


def gru_cell(input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,  # noqa: A002
             b_hh: Any = None) -> Tensor:
    """One GRU step, `torch.gru_cell`: (N, I), (N, H) -> (N, H)."""
    return gru_cell_p(input, hx, w_ih, w_hh, b_ih, b_hh)
