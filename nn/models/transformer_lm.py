"""`TransformerLM`: a small causal (GPT-style) language model over tokens, e.g. characters.

Token embedding + learned position embedding, a pre-norm `TransformerEncoder` under the causal
mask (position t attends to positions <= t), a final LayerNorm and a Linear head giving the
logits of the next token at every position.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
import nn
from autograd.errors import ShapeError
from autograd.random import get_generator
from autograd.tensor import Tensor
from nn.module import Module
from nn.modules.dropout import Dropout
from nn.modules.linear import Linear
from nn.modules.transformer import (
    TransformerEncoder,
    TransformerEncoderLayer,
    generate_square_subsequent_mask,
)


class TransformerLM(Module):
    """`forward(idx (N, T) int) -> logits (N, T, vocab_size)`; `generate` samples tokens."""

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128, max_len: int = 256, dropout: float = 0.1,
                 dtype: Any = None) -> None:
        super().__init__()
        self.vocab_size, self.max_len = vocab_size, max_len
        self.tok_emb = nn.Embedding(vocab_size, d_model, dtype=dtype)
        self.pos_emb = nn.Embedding(max_len, d_model, dtype=dtype)
        self.drop = Dropout(dropout)
        layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                        batch_first=True, norm_first=True, dtype=dtype)
        self.encoder = TransformerEncoder(layer, num_layers)
        self.norm = nn.LayerNorm(d_model, dtype=dtype)
        self.head = Linear(d_model, vocab_size, dtype=dtype)

    def forward(self, idx: Any) -> Tensor:
        tokens = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        if tokens.ndim != 2 or tokens.dtype.kind not in "iu":
            raise ShapeError(f"TransformerLM: expected integer tokens of shape (N, T); got "
                             f"{tokens.dtype} {tokens.shape}")
        t = tokens.shape[1]
        if t > self.max_len:
            raise ShapeError(f"TransformerLM: sequence of {t} tokens exceeds max_len "
                             f"{self.max_len}")
        x = self.tok_emb(Tensor(tokens)) + self.pos_emb(Tensor(np.arange(t)))
        mask = generate_square_subsequent_mask(t, dtype=x.dtype)
        x = self.encoder(self.drop(x), mask=mask, is_causal=True)
        return self.head(self.norm(x))

    def generate(self, idx: Any, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None) -> Tensor:
        """Append `max_new_tokens` tokens, each sampled from softmax(logits / temperature)
        over the `top_k` most likely (all when None), with the seeded generator."""
        tokens = np.asarray(idx.data if isinstance(idx, Tensor) else idx, dtype=np.int64)
        if temperature <= 0:
            raise ValueError(f"TransformerLM.generate: temperature must be > 0; got "
                             f"{temperature}")
        gen = get_generator()
        with ag.no_grad():
            for _ in range(max_new_tokens):
                logits = self(tokens[:, -self.max_len:]).data[:, -1].astype(np.float64)
                logits /= temperature
                if top_k is not None:
                    kth = np.sort(logits, axis=1)[:, -min(top_k, logits.shape[1])][:, None]
                    logits = np.where(logits < kth, -np.inf, logits)
                p = np.exp(logits - logits.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                u = gen.random((p.shape[0], 1))
                nxt = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)
                tokens = np.concatenate([tokens, nxt[:, None]], axis=1)
        return Tensor(tokens)
