"""`MultiheadAttention` with PyTorch's parameters (`in_proj_weight`, `in_proj_bias`,
`out_proj`, or `q_proj_weight`/`k_proj_weight`/`v_proj_weight` when kdim/vdim differ;
`bias_k`, `bias_v`), masks and return values, built from matmul, softmax and masking."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd.errors import DTypeError, ShapeError
from autograd.ops.shape import concatenate, getitem, pad
from autograd.tensor import Tensor, get_default_dtype
from nn import functional as F
from nn import init
from nn.module import Module
from nn.modules.linear import Linear
from nn.parameter import Parameter


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def canonical_mask(mask: Any, name: str, dtype: np.dtype) -> Tensor | None:
    """A bool mask (True = not allowed) as an additive float mask (-inf there, 0 elsewhere);
    a float mask is added as given."""
    if mask is None:
        return None
    mask = _t(mask)
    kind = mask.data.dtype.kind
    if kind == "b":
        return Tensor(np.where(mask.data, -np.inf, 0.0).astype(dtype))
    if kind != "f":
        raise DTypeError(f"MultiheadAttention: {name} must be a bool or float tensor; got "
                         f"{mask.data.dtype}")
    return mask


def _attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float,
               training: bool) -> tuple[Tensor, Tensor]:
    """softmax(q k^T / sqrt(d) + mask) v over (B, L, d) x (B, S, d): (output, weights)."""
    scores = ag.matmul(q * (1.0 / math.sqrt(q.shape[-1])), k.transpose((0, 2, 1)))
    if mask is not None:
        scores = scores + mask
    weights = ag.softmax(scores, axis=-1)
    if dropout_p > 0.0 and training:
        weights = F.dropout(weights, dropout_p, True)
    return ag.matmul(weights, v), weights


class MultiheadAttention(Module):
    """Attention over `num_heads` heads of size embed_dim / num_heads (PyTorch's layer).

    `forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (attn_output, attn_weights or None)`;
    shapes (L, N, E) (batch_first: (N, L, E)) or unbatched (L, E).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads}), both positive")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = float(dropout), batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
        e = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dt))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dt))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dt))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * e, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, e), dt))
            self.bias_v = Parameter(np.empty((1, 1, e), dt))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v (PyTorch)."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                  self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def _projections(self, query: Tensor, key: Tensor, value: Tensor) -> list[Tensor]:
        e, b = self.embed_dim, self.in_proj_bias
        out = []
        for i, (x, w) in enumerate(((query, self.q_proj_weight), (key, self.k_proj_weight),
                                    (value, self.v_proj_weight))):
            rows = slice(i * e, (i + 1) * e)
            if w is None:
                w = getitem(self.in_proj_weight, index=rows)
            out.append(ag.linear(x, w, None if b is None else getitem(b, index=rows)))
        return out

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        query, key, value = _t(query), _t(key), _t(value)
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ShapeError(f"MultiheadAttention: query, key and value must all be 3-D "
                             f"(batched) or 2-D (unbatched); got {tuple(query.shape)}, "
                             f"{tuple(key.shape)}, {tuple(value.shape)}")
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal is a hint that attn_mask is the "
                               "causal mask; pass attn_mask too (see "
                               "Transformer.generate_square_subsequent_mask)")
        if not batched:
            query, key, value = (t.reshape((t.shape[0], 1, t.shape[1]))
                                 for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _t(key_padding_mask).reshape((1, -1))
        elif self.batch_first:
            query, key, value = (t.transpose((1, 0, 2)) for t in (query, key, value))
        tgt, n, e = query.shape
        if e != self.embed_dim or key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise ShapeError(f"MultiheadAttention: expected query/key/value features "
                             f"{self.embed_dim}/{self.kdim}/{self.vdim}; got shapes "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if key.shape[:2] != value.shape[:2] or key.shape[1] != n:
            raise ShapeError(f"MultiheadAttention: key {tuple(key.shape)} and value "
                             f"{tuple(value.shape)} must match in sequence and batch with "
                             f"query {tuple(query.shape)}")
        dtype = query.data.dtype
        kpm = canonical_mask(key_padding_mask, "key_padding_mask", dtype)
        mask = canonical_mask(attn_mask, "attn_mask", dtype)
        h, src = self.num_heads, key.shape[0]
        if mask is not None:
            want = {2: (tgt, src), 3: (n * h, tgt, src)}.get(mask.ndim)
            if want is None or tuple(mask.shape) != want:
                raise ShapeError(f"MultiheadAttention: attn_mask must be ({tgt}, {src}) or "
                                 f"({n * h}, {tgt}, {src}); got {tuple(mask.shape)}")
            if mask.ndim == 2:
                mask = mask.reshape((1, tgt, src))
        q, k, v = self._projections(query, key, value)
        if self.bias_k is not None:
            k = concatenate([k, ag.broadcast_to(self.bias_k, (1, n, e))], axis=0)
            v = concatenate([v, ag.broadcast_to(self.bias_v, (1, n, e))], axis=0)
            mask, kpm = (None if m is None else _pad_last(m) for m in (mask, kpm))
        q, k, v = (t.reshape((t.shape[0], n * h, self.head_dim)).transpose((1, 0, 2))
                   for t in (q, k, v))
        if self.add_zero_attn:
            zeros = Tensor(np.zeros((n * h, 1, self.head_dim), dtype))
            k, v = concatenate([k, zeros], axis=1), concatenate([v, zeros], axis=1)
            mask, kpm = (None if m is None else _pad_last(m) for m in (mask, kpm))
        src = k.shape[1]
        if kpm is not None:
            if tuple(kpm.shape) != (n, src):
                raise ShapeError(f"MultiheadAttention: key_padding_mask must be ({n}, "
                                 f"{key.shape[0]}); got {tuple(kpm.shape)}")
            kpm = ag.broadcast_to(kpm.reshape((n, 1, 1, src)), (n, h, 1, src))
            kpm = kpm.reshape((n * h, 1, src))
            mask = kpm if mask is None else mask + kpm
        out, weights = _attention(q, k, v, mask, self.dropout, self.training)
        out = self.out_proj(out.transpose((1, 0, 2)).reshape((tgt * n, e))).reshape((tgt, n, e))
        if not batched:
            out = out.reshape((tgt, e))
        elif self.batch_first:
            out = out.transpose((1, 0, 2))
        if not need_weights:
            return out, None
        weights = weights.reshape((n, h, tgt, src))
        if average_attn_weights:
            weights = weights.mean(axis=1)
        if not batched:
            weights = weights.reshape(weights.shape[1:])
        return out, weights

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


def _pad_last(m: Tensor) -> Tensor:
    """One more (allowed) key column: the bias_k / zero-attention key."""
    return pad(m, pad_width=((0, 0),) * (m.ndim - 1) + ((0, 1),))
