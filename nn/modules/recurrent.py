"""`RNN`, `LSTM`, `GRU`: stacked, optionally bidirectional recurrent layers over padded or
packed batches. A padded batch is run as PyTorch does: per layer and direction one product
projects every step's input, then one sequence primitive (autograd/ops/rnn_seq.py) runs the
hidden-to-hidden recurrence. Packed batches (whose batch shrinks over time) and projected
LSTMs run one fused cell primitive per time step (autograd/ops/rnn.py). Either way
backpropagation through time runs through the ordinary graph.

Parameters match PyTorch's names, shapes, order and gate order (`weight_ih_l0` (G*H, I),
`weight_hh_l0` (G*H, H_out), `bias_ih_l0`, `bias_hh_l0`, `weight_hr_l0` (proj_size, H) for a
projected LSTM, `_reverse` for the backward direction; LSTM gates i, f, g, o; GRU r, z, n),
so state dicts port both ways.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops import rnn as cells
from autograd.ops import rnn_seq as seqs
from autograd.ops.linalg import linear
from autograd.ops.shape import concatenate, getitem, stack
from autograd.tensor import Tensor, get_default_dtype
from nn import functional as F
from nn import init
from nn.module import Module
from nn.parameter import Parameter
from nn.utils.rnn import PackedSequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

State = tuple[Tensor, ...]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _rows(t: Tensor, start: int, stop: int) -> Tensor:
    return getitem(t, index=slice(start, stop))


class RNNBase(Module):
    """Shared parameter layout, input and state checks, and the layer/direction/time loops.

    A subclass defines `_step(x_t, state, params) -> state` (state[0] is the step's output)
    and how its hidden state is passed in and returned.
    """

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
        proj_size: int = 0,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if hidden_size <= 0 or input_size <= 0:
            raise ValueError(
                f"{name}: input_size and hidden_size must be positive; got {input_size}, "
                f"{hidden_size}"
            )
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1; got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1]; got {dropout}")
        if proj_size < 0 or proj_size and (mode != "LSTM" or proj_size >= hidden_size):
            raise ValueError(f"{name}: proj_size must be 0, or (LSTM only) between 1 and "
                             f"hidden_size - 1 = {hidden_size - 1}; got {proj_size}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts only between recurrent layers, so it "
                          "does nothing with num_layers=1", UserWarning, stacklevel=2)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        g = _GATES[mode] * hidden_size
        out = proj_size or hidden_size
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else out * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes = {"weight_ih": (g, in_size), "weight_hh": (g, out)}
                if bias:
                    shapes.update(bias_ih=(g,), bias_hh=(g,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for key, shape in shapes.items():
                    setattr(self, f"{key}_l{layer}{suffix}", Parameter(np.empty(shape, dt)))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (PyTorch)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """PyTorch's cuDNN weight compaction; the weights here are always used in place."""

    def _layer_params(self, layer: int, direction: int) -> tuple[Any, ...]:
        d, s = self.__dict__, "_reverse" if direction else ""
        params = tuple(d.get(f"{k}_l{layer}{s}") for k in
                       ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        return params + (d[f"weight_hr_l{layer}{s}"],) if self.proj_size else params

    def _state_sizes(self) -> tuple[int, ...]:
        """Feature size of each state component (h, or h and c)."""
        return (self.proj_size or self.hidden_size,)

    def _step(self, x: Tensor, state: State, params: tuple[Any, ...]) -> State:
        raise NotImplementedError

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

    def _initial(self, hx: Sequence[Any] | None, n: int, batched: bool, dtype: np.dtype,
                 order: Tensor | None) -> list[State]:
        """The initial state of every layer and direction, each (N, size) per component."""
        k = self.num_layers * self.num_directions
        comps = []
        for j, size in enumerate(self._state_sizes()):
            what = ("h_0", "c_0")[j]
            if hx is None:
                comps.append(Tensor(np.zeros((k, n, size), dtype=dtype)))
                continue
            h = _t(hx[j])
            want = (k, n, size) if batched else (k, size)
            if tuple(h.shape) != want:
                raise ShapeError(f"{type(self).__name__}: expected {what} of shape {want}; got "
                                 f"{tuple(h.shape)}")
            h = h if batched else h.reshape((k, 1, size))
            comps.append(h if order is None else getitem(h, index=(slice(None), order.data)))
        return [tuple(getitem(c, index=i) for c in comps) for i in range(k)]

    def forward(self, x: Any, hx: Any = None) -> tuple[Any, Any]:
        """(output, final state): output (L, N, D*H_out) (batch_first: (N, L, ...)), or a
        PackedSequence for packed input; the state as `_result` arranges it."""
        packed = x if isinstance(x, PackedSequence) else None
        if packed is not None:
            data = _t(packed.data)
            if data.ndim != 2 or data.shape[1] != self.input_size:
                raise ShapeError(f"{type(self).__name__}: packed data must be (sum(lengths), "
                                 f"{self.input_size}); got {tuple(data.shape)}")
            sizes = [int(b) for b in np.asarray(packed.batch_sizes.data).reshape(-1)]
            starts = np.concatenate([[0], np.cumsum(sizes)])
            steps = [_rows(data, int(a), int(a) + b) for a, b in zip(starts, sizes, strict=False)]
            batched, n, order, dtype = True, sizes[0], packed.sorted_indices, data.dtype
        else:
            x = _t(x)
            batched, n = self._check_input(x)
            if not batched:
                x = x.reshape((x.shape[0], 1, x.shape[1]))
            elif self.batch_first:
                x = x.transpose((1, 0, 2))
            steps = [] if self._whole else [getitem(x, index=t) for t in range(x.shape[0])]
            sizes, order, dtype = [n] * x.shape[0], None, x.dtype
        init_states = self._initial(self._hx(hx), n, batched, dtype, order)
        output: Any
        if packed is None and self._whole:
            output, finals = self._sequence_layers(x, init_states)
        else:
            outs, finals = self._layers(steps, sizes, init_states)
            output = stack(outs, axis=0) if packed is None else PackedSequence(
                concatenate(outs, axis=0), packed.batch_sizes, packed.sorted_indices,
                packed.unsorted_indices)
        if packed is None:
            if not batched:
                output = output.reshape((output.shape[0], output.shape[2]))
            elif self.batch_first:
                output = output.transpose((1, 0, 2))
        state = []
        for j in range(len(finals[0])):
            s = stack([f[j] for f in finals], axis=0)
            if packed is not None and packed.unsorted_indices is not None:
                s = getitem(s, index=(slice(None), packed.unsorted_indices.data))
            state.append(s if batched else s.reshape((s.shape[0], s.shape[2])))
        return output, self._result(state)

    def _hx(self, hx: Any) -> Sequence[Any] | None:
        return None if hx is None else (hx,)

    def _result(self, state: list[Tensor]) -> Any:
        return state[0]

    @property
    def _whole(self) -> bool:
        """Padded input runs each layer and direction as one sequence primitive over the
        input projected for all steps at once; a projected LSTM steps cell by cell."""
        return not self.proj_size

    def _sequence_layers(self, x: Tensor, states: list[State]) -> tuple[Tensor, list[State]]:
        """`_layers` for a padded (L, N, H_in) input: per layer and direction one product
        for the input side of every step, then `_sequence` for the recurrence."""
        finals: list[State] = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                params = self._layer_params(layer, d)
                xp = linear(x, params[0], params[2])
                o, final = self._sequence(xp, states[len(finals)], params, reverse=d == 1)
                outs.append(o)
                finals.append(final)
            x = outs[0] if len(outs) == 1 else concatenate(outs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals

    def _sequence(self, xp: Tensor, state: State, params: tuple[Any, ...],
                  reverse: bool) -> tuple[Tensor, State]:
        """(every step's output (L, N, H), final state) from the projected input `xp`."""
        raise NotImplementedError

    def _layers(self, steps: list[Tensor], sizes: list[int],
                states: list[State]) -> tuple[list[Tensor], list[State]]:
        """Run every layer and direction; the next layer reads both directions' outputs."""
        finals: list[State] = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                o, final = self._direction(steps, sizes, states[len(finals)],
                                           self._layer_params(layer, d), reverse=d == 1)
                outs.append(o)
                finals.append(final)
            steps = outs[0] if len(outs) == 1 else [
                concatenate([a, b], axis=1) for a, b in zip(*outs, strict=True)
            ]
            if self.dropout and self.training and layer < self.num_layers - 1:
                steps = [F.dropout(s, self.dropout, True) for s in steps]
        return steps, finals

    def _direction(self, steps: list[Tensor], sizes: list[int], init_state: State,
                   params: tuple[Any, ...], reverse: bool) -> tuple[list[Tensor], State]:
        """One direction over the steps. Packed batches shrink (forward) or grow (reverse)
        with `sizes`: rows leave with their last state, or join with their initial one."""
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        cur = sizes[order[0]]
        state = init_state if cur == sizes[0] else tuple(_rows(s, 0, cur) for s in init_state)
        done: list[State] = []
        outs: list[Tensor] = [None] * len(steps)  # type: ignore[list-item]
        for t in order:
            b = sizes[t]
            if b < cur:
                done.append(tuple(_rows(s, b, cur) for s in state))
                state = tuple(_rows(s, 0, b) for s in state)
            elif b > cur:
                state = tuple(concatenate([s, _rows(s0, cur, b)], axis=0)
                              for s, s0 in zip(state, init_state, strict=True))
            cur = b
            state = self._step(steps[t], state, params)
            outs[t] = state[0]
        if done:
            state = tuple(concatenate(list(parts), axis=0)
                          for parts in zip(state, *reversed(done), strict=True))
        return outs, state

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    `forward(x, h_0=None) -> (output, h_n)`: output holds the top layer's h_t for every
    step ((L, N, D*H), or (N, L, D*H) with batch_first), h_n the last step of every layer
    and direction (num_layers*D, N, H); `output[:, -1]` gives many-to-one, `output`
    many-to-many.
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
                         dropout, bidirectional, 0, dtype)

    def _step(self, x: Tensor, state: State, params: tuple[Any, ...]) -> State:
        cell = cells.rnn_tanh_cell_p if self.nonlinearity == "tanh" else cells.rnn_relu_cell_p
        return (cell(x, state[0], *params),)

    def _sequence(self, xp: Tensor, state: State, params: tuple[Any, ...],
                  reverse: bool) -> tuple[Tensor, State]:
        prim = seqs.rnn_tanh_seq if self.nonlinearity == "tanh" else seqs.rnn_relu_seq
        out = prim(xp, state[0], params[1], params[3], reverse=reverse)
        return out, (getitem(out, index=0 if reverse else -1),)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order i, f, g, o; with `proj_size > 0` each
    h_t is projected to proj_size by `weight_hr_l{k}`.

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
        proj_size: int = 0,
        dtype: Any = None,
    ) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, dtype)

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def _hx(self, hx: Any) -> Sequence[Any] | None:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        return hx

    def _result(self, state: list[Tensor]) -> Any:
        return state[0], state[1]

    def _step(self, x: Tensor, state: State, params: tuple[Any, ...]) -> State:
        hc = cells.lstm_cell_p(x, state[0], state[1], *params[:4])
        h = getitem(hc, index=0)
        if self.proj_size:
            h = linear(h, params[4], None)
        return h, getitem(hc, index=1)

    def _sequence(self, xp: Tensor, state: State, params: tuple[Any, ...],
                  reverse: bool) -> tuple[Tensor, State]:
        hc = seqs.lstm_seq(xp, state[0], state[1], params[1], params[3], reverse=reverse)
        last = 0 if reverse else -1
        return getitem(hc, index=0), (getitem(hc, index=(0, last)), getitem(hc, index=(1, last)))


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
                         dropout, bidirectional, 0, dtype)

    def _step(self, x: Tensor, state: State, params: tuple[Any, ...]) -> State:
        return (cells.gru_cell_p(x, state[0], *params),)

    def _sequence(self, xp: Tensor, state: State, params: tuple[Any, ...],
                  reverse: bool) -> tuple[Tensor, State]:
        out = seqs.gru_seq(xp, state[0], params[1], params[3], reverse=reverse)
        return out, (getitem(out, index=0 if reverse else -1),)
