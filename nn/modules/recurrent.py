"""`RNN`, `LSTM`, `GRU`: unrolled over time in Python with core ops, so backpropagation
through time runs through the ordinary graph and each layer's weights are shared by all steps.

Parameters match PyTorch's names, shapes and gate order (`weight_ih_l0` (G*H, I),
`weight_hh_l0` (G*H, H), `bias_ih_l0`, `bias_hh_l0`; LSTM gates i, f, g, o; GRU r, z, n),
so state dicts port both ways.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import ShapeError
from autograd.ops.shape import getitem, split, stack
from autograd.tensor import Tensor, get_default_dtype
from nn import functional as F
from nn import init
from nn.module import Module
from nn.parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Shared parameter layout, x checking and the layer/time loops."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if bidirectional:
            raise NotImplementedError(f"{name}: bidirectional=True is not supported")
        if hidden_size <= 0 or input_size <= 0:
            raise ValueError(
                f"{name}: input_size and hidden_size must be positive; got {input_size}, "
                f"{hidden_size}"
            )
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1; got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1]; got {dropout}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = False
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        g = _GATES[mode] * hidden_size
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size
            setattr(self, f"weight_ih_l{layer}", Parameter(np.empty((g, in_size), dtype=dt)))
            setattr(self, f"weight_hh_l{layer}", Parameter(np.empty((g, hidden_size), dtype=dt)))
            if bias:
                setattr(self, f"bias_ih_l{layer}", Parameter(np.empty((g,), dtype=dt)))
                setattr(self, f"bias_hh_l{layer}", Parameter(np.empty((g,), dtype=dt)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (PyTorch)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_params(self, layer: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        d = self.__dict__
        return (
            d[f"weight_ih_l{layer}"],
            d[f"weight_hh_l{layer}"],
            d.get(f"bias_ih_l{layer}"),
            d.get(f"bias_hh_l{layer}"),
        )

    def _check_input(self, x: Tensor) -> tuple[bool, int]:
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ShapeError(
                f"{name}: expected input of 3 dims ({'N, L' if self.batch_first else 'L, N'}, "
                f"H_in) or 2 dims (L, H_in); got shape {tuple(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {x.shape[-1]} (input shape {tuple(x.shape)})"
            )
        batched = x.ndim == 3
        n = (x.shape[0] if self.batch_first else x.shape[1]) if batched else 1
        return batched, n

    def _check_hidden(self, h: Any, n: int, batched: bool, what: str) -> Tensor:
        h = h if isinstance(h, Tensor) else Tensor(h)
        expected = (self.num_layers, n, self.hidden_size)
        got = h.shape if batched else (h.shape[0], 1) + h.shape[1:]
        if tuple(got) != expected:
            want = expected if batched else (self.num_layers, self.hidden_size)
            raise ShapeError(
                f"{type(self).__name__}: expected {what} of shape {want}; got {tuple(h.shape)}"
            )
        return h if batched else h.reshape(expected)

    def _zeros(self, n: int, dtype: np.dtype) -> Tensor:
        return Tensor(np.zeros((self.num_layers, n, self.hidden_size), dtype=dtype))

    def _steps(self, x: Tensor, batched: bool) -> list[Tensor]:
        """The x as a list of (N, I) step tensors."""
        if not batched:
            x = x.reshape((x.shape[0], 1, x.shape[1]))
        elif self.batch_first:
            x = x.transpose((1, 0, 2))
        return [getitem(x, index=t) for t in range(x.shape[0])]

    def _output(self, hs: list[Tensor], batched: bool) -> Tensor:
        out = stack(hs, axis=1 if batched and self.batch_first else 0)
        return out if batched else out.reshape((len(hs), self.hidden_size))

    def _run(
        self, x: Tensor, states: list[list[Tensor]], cell: Any, batched: bool
    ) -> tuple[Tensor, list[list[Tensor]]]:
        """Run `cell(x_t, state, params) -> state` (state[0] is h) over layers and steps."""
        inputs = self._steps(x, batched)
        finals = []
        for layer in range(self.num_layers):
            params = self._layer_params(layer)
            state = states[layer]
            outs = []
            for x_t in inputs:
                state = cell(x_t, state, params)
                outs.append(state[0])
            finals.append(state)
            inputs = outs
            if self.dropout and self.training and layer < self.num_layers - 1:
                inputs = [F.dropout(h, self.dropout, True) for h in inputs]
        return self._output(inputs, batched), finals

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s


def _gates(x: Tensor, h: Tensor, params: tuple[Any, ...]) -> Tensor:
    w_ih, w_hh, b_ih, b_hh = params
    return ag.linear(x, w_ih, b_ih) + ag.linear(h, w_hh, b_hh)


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    `forward(x, h_0=None) -> (output, h_n)`: output holds the top layer's h_t for every
    step ((L, N, H), or (N, L, H) with batch_first), h_n the last step of every layer
    (num_layers, N, H); `output[:, -1]` gives many-to-one, `output` many-to-many.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        batched, n = self._check_input(x)
        h0 = self._zeros(n, x.dtype) if hx is None else self._check_hidden(hx, n, batched, "h_0")
        act = ag.tanh if self.nonlinearity == "tanh" else ag.relu

        def cell(x_t: Tensor, state: list[Tensor], params: tuple[Any, ...]) -> list[Tensor]:
            return [act(_gates(x_t, state[0], params))]

        out, finals = self._run(x, [[getitem(h0, index=k)] for k in range(self.num_layers)],
                                cell, batched)
        h_n = stack([s[0] for s in finals], axis=0)
        return out, h_n if batched else h_n.reshape((self.num_layers, self.hidden_size))

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order i, f, g, o.

    `forward(x, (h_0, c_0)=None) -> (output, (h_n, c_n))`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        batched, n = self._check_input(x)
        if hx is None:
            h0 = c0 = self._zeros(n, x.dtype)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0 = self._check_hidden(hx[0], n, batched, "h_0")
            c0 = self._check_hidden(hx[1], n, batched, "c_0")

        def cell(x_t: Tensor, state: list[Tensor], params: tuple[Any, ...]) -> list[Tensor]:
            h, c = state
            i, f, g, o = split(_gates(x_t, h, params), 4, axis=1)
            c = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
            return [ag.sigmoid(o) * ag.tanh(c), c]

        init_states = [
            [getitem(h0, index=k), getitem(c0, index=k)] for k in range(self.num_layers)
        ]
        out, finals = self._run(x, init_states, cell, batched)
        h_n = stack([s[0] for s in finals], axis=0)
        c_n = stack([s[1] for s in finals], axis=0)
        if not batched:
            shape = (self.num_layers, self.hidden_size)
            h_n, c_n = h_n.reshape(shape), c_n.reshape(shape)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's equations and gate order r, z, n:
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    `forward(x, h_0=None) -> (output, h_n)`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        batched, n = self._check_input(x)
        h0 = self._zeros(n, x.dtype) if hx is None else self._check_hidden(hx, n, batched, "h_0")
        one = np.asarray(1.0, dtype=x.dtype)

        def cell(x_t: Tensor, state: list[Tensor], params: tuple[Any, ...]) -> list[Tensor]:
            h = state[0]
            w_ih, w_hh, b_ih, b_hh = params
            xr, xz, xn = split(ag.linear(x_t, w_ih, b_ih), 3, axis=1)
            hr, hz, hn = split(ag.linear(h, w_hh, b_hh), 3, axis=1)
            r = ag.sigmoid(xr + hr)
            z = ag.sigmoid(xz + hz)
            cand = ag.tanh(xn + r * hn)
            return [(one - z) * cand + z * h]

        out, finals = self._run(x, [[getitem(h0, index=k)] for k in range(self.num_layers)],
                                cell, batched)
        h_n = stack([s[0] for s in finals], axis=0)
        return out, h_n if batched else h_n.reshape((self.num_layers, self.hidden_size))
