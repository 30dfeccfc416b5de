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



def _sym(a):
    return a + np.swapaxes(a, -1, -2)


def _spd(a):
    n = a.shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _sym_t(a):
    return a + a.transpose(tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2))


def _spd_t(a):
    n = a.shape[-1]
    return a @ a.transpose(tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2)) + n * np.eye(n)


def _svd_inv(a, full_matrices=True):
    """Sign-invariant functions of (U, S, Vh): squares of the vectors and U_k Vh_k."""
    m, n = a.shape[-2:]
    k = min(m, n)
    u, s, vh = (ag.linalg.svd if isinstance(a, ag.Tensor) else np.linalg.svd)(a, full_matrices)
    return u[..., :k] * u[..., :k], s, vh[..., :k, :] * vh[..., :k, :], u[..., :k] @ vh[..., :k, :]


def _qr_inv(a, mode="reduced"):
    q, r = (ag.linalg.qr if isinstance(a, ag.Tensor) else np.linalg.qr)(a, mode)
    d = np.sign(np.diagonal(r.data if isinstance(r, ag.Tensor) else r, axis1=-2, axis2=-1))
    return q * d[..., None, :], r * d[..., :, None]  # LAPACK's signs made canonical


def _eigh_inv(a, UPLO="L"):  # noqa: N803
    f = ag.linalg.eigh if isinstance(a, ag.Tensor) else np.linalg.eigh
    w, v = f(_sym_t(a) if isinstance(a, ag.Tensor) else _sym(a), UPLO)
    return w, v * v


def _vnorm_ref(x, ord=2, dim=None, keepdim=False):  # noqa: A002
    a = np.abs(x)
    if ord == np.inf:
        return a.max(axis=dim, keepdims=keepdim)
    if ord == -np.inf:
        return a.min(axis=dim, keepdims=keepdim)
    return (a**ord).sum(axis=dim, keepdims=keepdim) ** (1 / ord)


def _tensor_norm_ref(x, p="fro", dim=None, keepdim=False, axis=None):
    if p == "nuc":
        return np.linalg.norm(x, "nuc")
    return _vnorm_ref(x, 2 if p == "fro" else p, dim if axis is None else axis, keepdim)


def _mnorm_ref(a, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002
    return np.linalg.norm(a, ord, dim, keepdim)


def _cdist_ref(a, b, p=2.0):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return np.max(d, -1) if p == np.inf else (d**p).sum(-1) ** (1 / p)


MAT = np.array([[2.0, 0.5, -0.3], [0.1, 1.5, 0.4], [-0.2, 0.3, 1.8]])

PRODUCTS = [
    OpSpec("outer", ("ag.outer", "ag.ger"), ag.outer, [S((3,), (4,))], np.outer),
    OpSpec("dot", ("ag.dot", "ag.vdot"), ag.dot, [S((3,), (3,))], np.dot),
    OpSpec("mv", ("ag.mv",), ag.mv, [S((2, 3), (3,))], np.matmul),
    OpSpec("mm", ("ag.mm",), ag.mm, [S((2, 3), (3, 4))], np.matmul),
    OpSpec("bmm", ("ag.bmm",), ag.bmm, [S((2, 2, 3), (2, 3, 4))], np.matmul),
    OpSpec("addmm", ("ag.addmm",), ag.addmm,
           [S((2, 4), (2, 3), (3, 4)), S((4,), (2, 3), (3, 4), beta=0.5, alpha=2.0)],
           lambda i, a, b, beta=1, alpha=1: beta * i + alpha * a @ b),
    OpSpec("addmv", ("ag.addmv",), ag.addmv, [S((2,), (2, 3), (3,), beta=2.0, alpha=0.5)],
           lambda i, a, b, beta=1, alpha=1: beta * i + alpha * a @ b),
    OpSpec("baddbmm", ("ag.baddbmm",), ag.baddbmm, [S((2, 2, 4), (2, 2, 3), (2, 3, 4), alpha=3.0)],
           lambda i, a, b, beta=1, alpha=1: beta * i + alpha * a @ b),
]

DECOMP = [
    OpSpec("inv", ("inv", "ag.linalg.inv", "ag.inverse"), ag.linalg.inv,
           [S(MAT), S(np.stack([MAT, MAT.T]), desc="batched")], np.linalg.inv),
    OpSpec("det", ("det", "ag.det"), ag.linalg.det,
           [S((3, 3)), S((2, 2, 2), desc="batched"), S(MAT, desc="well-conditioned")],
           np.linalg.det),
    OpSpec("slogdet", ("logabsdet", "ag.slogdet", "ag.linalg.slogdet"),
           lambda a: ag.linalg.slogdet(a).logabsdet,
           [S((3, 3)), S(np.stack([MAT, -MAT]), desc="signs")], lambda a: np.linalg.slogdet(a)[1]),
    OpSpec("logdet", ("ag.logdet",), ag.logdet, [S(MAT), S(np.stack([MAT, MAT.T]))],
           lambda a: np.linalg.slogdet(a)[1]),
    OpSpec("solve", ("solve", "ag.linalg.solve"), ag.linalg.solve,
           [S(MAT, (3, 2), desc="matrix"), S(MAT, (3,), desc="vector"),
            S(np.stack([MAT, MAT.T]), (3, 2), desc="broadcast-batch"),
            S(np.stack([MAT, MAT.T]), (2, 3), desc="batched-vectors")],
           lambda a, b: np.linalg.solve(a, b[..., None])[..., 0]
           if b.ndim == 1 or b.shape == a.shape[:-1] else np.linalg.solve(a, b)),
    OpSpec("solve-right", ("solve",), lambda a, b: ag.linalg.solve(a, b, left=False),
           [S(MAT, (2, 3))], lambda a, b: np.linalg.solve(a.T, b.T).T),
    # eps=2e-6 skips the per-op check, which would perturb the symmetric input of cholesky /
    # eigh off the symmetric matrices: torch's (symmetric) gradient is right only on them.
    OpSpec("cholesky", ("cholesky", "ag.linalg.cholesky"),
           lambda a, upper=False: ag.linalg.cholesky(_spd_t(a), upper=upper),
           [S((3, 3)), S((2, 3, 3), upper=True, desc="upper-batched")],
           lambda a, upper=False: (lambda lo: np.swapaxes(lo, -1, -2) if upper else lo)(
               np.linalg.cholesky(_spd(a))), eps=2e-6),
    # NOTE: first order for qr/svd/eigh: their VJPs are primitives, but second order through
    # the packed outputs takes minutes of finite differences; torch tests first order too.
    OpSpec("qr", ("qr", "ag.linalg.qr"), _qr_inv,
           [S((4, 3)), S((3, 3)), S((2, 4, 2), desc="batched")], _qr_inv, order=1),
    OpSpec("svd", ("svd", "ag.linalg.svd"), _svd_inv,
           [S((4, 3)), S((3, 4), desc="wide"), S((2, 3, 3), desc="square-batched"),
            S((4, 3), full_matrices=False, desc="reduced")], _svd_inv, order=1),
    OpSpec("svdvals", ("svd", "ag.linalg.svdvals"), ag.linalg.svdvals,
           [S((4, 3)), S((2, 2, 3))], lambda a: np.linalg.svd(a, compute_uv=False), order=1),
    OpSpec("eigh", ("eigh", "ag.linalg.eigh"), _eigh_inv,
           [S((3, 3)), S((2, 3, 3), UPLO="U", desc="upper-batched")], _eigh_inv, order=1,
           eps=2e-6),
    OpSpec("eigvalsh", ("eigh", "ag.linalg.eigvalsh"),
           lambda a: ag.linalg.eigvalsh(_sym_t(a)), [S((3, 3))],
           lambda a: np.linalg.eigvalsh(_sym(a)), order=1, eps=2e-6),
]

NORMS = [
    OpSpec("vector_norm", ("ag.linalg.vector_norm",), ag.linalg.vector_norm,
           [S((2, 3)), S((2, 3), 1, desc="l1"), S((2, 3), ord=np.inf, dim=1, desc="inf"),
            S((2, 3), ord=-np.inf, dim=0, keepdim=True, desc="-inf"),
            S((2, 3), 3, dim=(0, 1), desc="l3"), S((2, 3), ord=0.5, dim=-1, desc="l0.5")],
           _vnorm_ref, avoid=(0.0,)),
    # not twice differentiable at these points: first order (gradient 0 at 0, ties shared)
    OpSpec("vector_norm-kinks", ("ag.linalg.vector_norm",), ag.linalg.vector_norm,
           [S(np.array([0.0, 0.0, 0.0]), 2, desc="zero-vector"),
            S(np.array([0.0, 0.0]), 3, desc="zero-l3"),
            S(np.array([1.0, -1.0, 0.5]), ord=np.inf, desc="ties")],
           _vnorm_ref, order=1),
    OpSpec("vector_norm-ord0", ("ag.linalg.vector_norm",), ag.linalg.vector_norm,
           [S(np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 0.3]]), 0, 1)],
           lambda x, o, d: np.count_nonzero(x, axis=d).astype(float)),
    OpSpec("matrix_norm", ("ag.linalg.matrix_norm",), ag.linalg.matrix_norm,
           [S((3, 4)), S((3, 4), 1, desc="1"), S((3, 4), -1, desc="-1"),
            S((3, 4), ord=np.inf, desc="inf"), S((2, 3, 4), ord=-np.inf, desc="-inf-batched"),
            S((3, 4), "nuc", desc="nuc"), S((3, 4), 2, desc="2"), S((3, 4), -2, desc="-2"),
            S((3, 2, 4), "fro", dim=(0, 2), keepdim=True, desc="dims-keep"),
            S((3, 2, 4), 1, dim=(2, 0), desc="dims-swapped")],
           _mnorm_ref,
           avoid=(0.0,), order=2, fast_gradgrad=True),
    OpSpec("linalg.norm", ("ag.linalg.norm",), ag.linalg.norm,
           [S((2, 3)), S((4,), 3), S((2, 3), "nuc"), S((2, 3, 2), None, dim=(0, 2)),
            S((2, 3), None, 1)],
           lambda a, o=None, dim=None: np.linalg.norm(a.reshape(-1) if dim is None and o
                                                      is None else a, o, dim),
           avoid=(0.0,), fast_gradgrad=True),
    OpSpec("Tensor.norm", ("Tensor.norm",), lambda x, *a, **k: ag.tensor(x).norm(*a, **k)
           if not isinstance(x, ag.Tensor) else x.norm(*a, **k),
           [S((2, 3)), S((2, 3), 1, dim=1), S((2, 3), "fro", dim=(0, 1), keepdim=True),
            S((2, 3), "nuc"), S((2, 3), axis=0, desc="numpy-spelling")],
           _tensor_norm_ref,
           avoid=(0.0,), fast_gradgrad=True),
    OpSpec("F.normalize", ("F.normalize",), F.normalize,
           [S((2, 3)), S((2, 3, 2), p=1.0, dim=-1)],
           lambda x, p=2.0, dim=1: x / np.maximum(np.linalg.norm(x, p, dim, True), 1e-12),
           avoid=(0.0,)),
    OpSpec("cdist", ("ag.cdist",), ag.cdist,
           [S((3, 2), (4, 2)), S((2, 3, 2), (2, 4, 2), p=1.0, desc="l1-batched"),
            S((3, 2), (2, 2), p=np.inf, desc="inf"), S((3, 2), (4, 2), p=3.0, desc="l3")],
           _cdist_ref, avoid=(0.0,)),
]

SPECS = [*EINSUM, *ATTENTION, *PRODUCTS, *DECOMP, *NORMS]
