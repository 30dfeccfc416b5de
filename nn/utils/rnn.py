"""Variable-length sequences for recurrent layers, as `torch.nn.utils.rnn`.

A `PackedSequence` holds the steps of a batch of sequences sorted by length, longest first:
`data` stacks, for t = 0, 1, ..., the t-th element of every sequence still running at t
(`batch_sizes[t]` of them), so an RNN never computes padded steps. `sorted_indices` maps
that order back to the caller's batch (None when the batch was already sorted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

import autograd as ag
from autograd.errors import ShapeError
from autograd.ops.shape import getitem, index_add_zeros, pad
from autograd.tensor import Tensor


class PackedSequence(NamedTuple):
    """`data` (sum(lengths), *), `batch_sizes` (T,) int64, `sorted_indices` and
    `unsorted_indices` ((B,) int64 or None): PyTorch's fields and layout."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _ints(values: Any) -> np.ndarray:
    data = values.data if isinstance(values, Tensor) else values
    return np.asarray(data, dtype=np.int64).reshape(-1)


def _step_index(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For lengths sorted longest first: batch_sizes, and the (time, batch) of each packed row."""
    batch_sizes = np.array([(lengths > t).sum() for t in range(int(lengths[0]))], np.int64)
    time = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    batch = np.concatenate([np.arange(b) for b in batch_sizes])
    return batch_sizes, time, batch


def pad_sequence(sequences: Sequence[Any], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padding with
    `padding_value` on the right (or left) of each sequence."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left'; got "
                         f"{padding_side!r}")
    seqs = [_t(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: received an empty list of sequences")
    trailing = {s.shape[1:] for s in seqs}
    if len(trailing) > 1 or seqs[0].ndim == 0:
        raise ShapeError(f"pad_sequence: sequences must share their trailing dimensions; got "
                         f"shapes {[tuple(s.shape) for s in seqs]}")
    longest = max(s.shape[0] for s in seqs)
    rest = ((0, 0),) * (seqs[0].ndim - 1)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        width = (0, extra) if padding_side == "right" else (extra, 0)
        padded.append(pad(s, pad_width=(width, *rest), value=padding_value) if extra else s)
    return ag.stack(padded, axis=0 if batch_first else 1)


def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences with the given lengths."""
    x = _t(input)
    lens = _ints(lengths)
    bdim = 0 if batch_first else 1
    if x.ndim < 2 or lens.shape != (x.shape[bdim],):
        raise ShapeError(f"pack_padded_sequence: expected {x.shape[bdim] if x.ndim >= 2 else '?'}"
                         f" lengths for input of shape {tuple(x.shape)} (batch_first="
                         f"{batch_first}); got {lens.shape[0]}")
    if (lens <= 0).any():
        raise RuntimeError("pack_padded_sequence: length of all samples has to be greater "
                           f"than 0; got lengths {lens.tolist()}")
    if lens.max() > x.shape[1 - bdim]:
        raise ShapeError(f"pack_padded_sequence: a length of {lens.max()} exceeds the "
                         f"{x.shape[1 - bdim]} steps of input shape {tuple(x.shape)}")
    if enforce_sorted:
        if (np.diff(lens) > 0).any():
            raise RuntimeError(
                "pack_padded_sequence: `lengths` array must be sorted in decreasing order "
                f"when `enforce_sorted` is True (got {lens.tolist()}); pass "
                "enforce_sorted=False to sort it"
            )
        order = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    batch_sizes, time, batch = _step_index(lens)
    rows = batch if order is None else order[batch]
    data = getitem(x, index=(rows, time) if batch_first else (time, rows))
    if order is None:
        return PackedSequence(data, Tensor(batch_sizes))
    return PackedSequence(data, Tensor(batch_sizes), Tensor(order),
                          Tensor(np.argsort(order).astype(np.int64)))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: (padded (T, B, *) or (B, T, *), lengths (B,) int64), in
    the caller's original batch order."""
    data, sizes = _t(sequence.data), _ints(sequence.batch_sizes)
    steps, n = len(sizes), int(sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter "
                             f"than the longest sequence ({steps} steps)")
        steps = total_length
    lens = np.array([(sizes > b).sum() for b in range(n)], np.int64)
    _, time, batch = _step_index(lens)
    if sequence.unsorted_indices is not None:
        order = _ints(sequence.sorted_indices)
        batch, lens = order[batch], lens[np.argsort(order)]
    index = (batch, time) if batch_first else (time, batch)
    shape = ((n, steps) if batch_first else (steps, n)) + tuple(data.shape[1:])
    out = index_add_zeros(data, shape=shape, index=index)
    if padding_value != 0.0:
        fill = np.full(shape, padding_value, dtype=data.dtype)
        fill[index] = 0
        out = out + Tensor(fill)
    return out, Tensor(lens)


def pack_sequence(sequences: Sequence[Any], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors of shapes (L_i, *) (longest first unless enforce_sorted=False)."""
    seqs = [_t(s) for s in sequences]
    lengths = [s.shape[0] for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)
