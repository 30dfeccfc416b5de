"""Specs for einsum, attention and linear algebra: `autograd/ops/{einsum,attention,linalg*}.py`.

Decompositions whose outputs have a sign/rotation freedom (qr, svd, eigh) are checked
through functions invariant to it; symmetric inputs are built as X + X^T and positive
definite ones as X X^T + n I, so the finite differences stay on the matrices the ops accept.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
import nn.functional as F
from tests.op_specs import Const, OpSpec, S

EINSUM = [
    OpSpec("einsum", ("einsum", "ag.einsum"), ag.einsum,
           [S("bij,bjk->bik", (2, 3, 4), (2, 4, 2), desc="bmm"),
            S("ij,jk", (2, 3), (3, 4), desc="implicit"),
            S("ii->i", (3, 3), desc="diagonal"),
            S("ii", (3, 3), desc="trace"),
            S("ij->", (2, 3), desc="sum"),
            S("i,j->ij", (3,), (2,), desc="outer"),
            S("...ij,...jk->...ik", (2, 2, 3), (3, 2), desc="ellipsis"),
            S("iij,jk->ik", (2, 2, 3), (3, 4), desc="repeat-and-contract"),
            S("ij,ij->i", (1, 3), (2, 3), desc="size1-broadcast"),
            S("ab,bc,cd->ad", (2, 3), (3, 2), (2, 2), desc="three")],
           lambda eq, *a: np.einsum(eq, *a)),
]



def _sdpa_ref(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
              enable_gqa=False):
    if enable_gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    if attn_mask is not None:
        s = np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask
    w = np.exp(s - s.max(-1, keepdims=True))
    return (w / w.sum(-1, keepdims=True)) @ v


def _sdpa_dropout(q, k, v, **kw):
    ag.manual_seed(5)  # one dropout mask for every call, so finite differences see one function
    return F.scaled_dot_product_attention(q, k, v, **kw)


def _sdpa_dropout_ref(q, k, v, dropout_p=0.0):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    ag.manual_seed(5)
    keep = ag.get_generator().random(w.shape) >= dropout_p
    return (w * keep / (1 - dropout_p)) @ v


MASK = np.array([[True, False, True, True], [True, True, False, False],
                 [False, True, True, True]])

ATTENTION = [
    OpSpec("F.scaled_dot_product_attention", ("F.scaled_dot_product_attention", "matmul"),
           F.scaled_dot_product_attention,
           [S((2, 3, 4), (2, 4, 4), (2, 4, 2), desc="plain"),
            S((3, 2), (3, 2), (3, 2), is_causal=True, desc="causal"),
            S((2, 3, 2), (2, 4, 2), (2, 4, 3), MASK, desc="bool-mask"),
            S((2, 3, 2), (4, 2), (4, 3), Const(np.linspace(-1, 1, 12).reshape(3, 4)),
              desc="float-mask"),
            S((1, 4, 2, 2), (1, 2, 3, 2), (1, 2, 3, 2), scale=0.7, enable_gqa=True,
              desc="gqa-scale")],
           _sdpa_ref),
    OpSpec("sdpa-dropout", ("F.scaled_dot_product_attention",), _sdpa_dropout,
           [S((2, 3, 2), (2, 4, 2), (2, 4, 2), dropout_p=0.3)], _sdpa_dropout_ref),
]

SPECS = [*EINSUM, *ATTENTION]
