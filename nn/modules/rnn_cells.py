"""`RNNCell`, `LSTMCell`, `GRUCell`: one time step as one fused primitive (autograd/ops/rnn.py),
with PyTorch's parameter names (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), shapes, gate
order and initialisation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops import rnn as cells
from autograd.ops.shape import getitem
from autograd.tensor import Tensor, get_default_dtype
from nn import init
from nn.module import Module
from nn.parameter import Parameter


class RNNCellBase(Module):
    """Parameters (G*H, I), (G*H, H), (G*H,), (G*H,) and the input/state checks."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int,
                 dtype: Any = None) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"{type(self).__name__}: input_size and hidden_size must be "
                             f"positive; got {input_size}, {hidden_size}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        g = gates * hidden_size
        self.weight_ih = Parameter(np.empty((g, input_size), dtype=dt))
        self.weight_hh = Parameter(np.empty((g, hidden_size), dtype=dt))
        if bias:
            self.bias_ih = Parameter(np.empty((g,), dtype=dt))
            self.bias_hh = Parameter(np.empty((g,), dtype=dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (PyTorch)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _params(self) -> tuple[Any, ...]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _input(self, x: Any) -> tuple[Tensor, bool]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ShapeError(f"{type(self).__name__}: expected input of shape (N, "
                             f"{self.input_size}) or ({self.input_size},); got {tuple(x.shape)}")
        return (x, True) if x.ndim == 2 else (x.reshape((1, x.shape[0])), False)

    def _state(self, h: Any, x: Tensor, batched: bool, what: str) -> Tensor:
        if h is None:
            return Tensor(np.zeros((x.shape[0], self.hidden_size), dtype=x.dtype))
        h = h if isinstance(h, Tensor) else Tensor(h)
        want = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if tuple(h.shape) != want:
            raise ShapeError(f"{type(self).__name__}: expected {what} of shape {want}; got "
                             f"{tuple(h.shape)}")
        return h if batched else h.reshape((1, self.hidden_size))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s + (", bias=False" if not self.bias else "")


def _unbatch(t: Tensor, batched: bool) -> Tensor:
    return t if batched else t.reshape((t.shape[1],))


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu; `forward(x, hx=None)`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} (use 'tanh' or "
                             "'relu')")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, dtype)

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        x, batched = self._input(x)
        h = self._state(hx, x, batched, "hx")
        step = cells.rnn_tanh_cell if self.nonlinearity == "tanh" else cells.rnn_relu_cell
        return _unbatch(step(x, h, *self._params()), batched)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTMCell(RNNCellBase):
    """One LSTM step, gates i, f, g, o; `forward(x, (h, c)=None) -> (h', c')`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype)

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, batched = self._input(x)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h, c)")
        h = self._state(None if hx is None else hx[0], x, batched, "h")
        c = self._state(None if hx is None else hx[1], x, batched, "c")
        hc = cells.lstm_cell_p(x, h, c, *self._params())
        return (_unbatch(getitem(hc, index=0), batched), _unbatch(getitem(hc, index=1), batched))


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n (PyTorch's equations); `forward(x, hx=None) -> h'`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, dtype)

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        x, batched = self._input(x)
        h = self._state(hx, x, batched, "hx")
        return _unbatch(cells.gru_cell(x, h, *self._params()), batched)
