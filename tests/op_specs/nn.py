"""Specs for `nn.functional` (activations, dropout, normalization, losses) and its primitives.

conv2d and the pools live in `tests/op_specs/conv.py` with the kernels' primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, log_softmax, softmax

import autograd as ag
import nn.functional as F
from tests.op_specs import Const, OpSpec, S

UNIT = (0.05, 0.95)  # probabilities kept away from the clamps at 0 and 1


def _dropout(x: Any, **kw: Any) -> Any:
    ag.manual_seed(1234)  # the same mask on every call, so finite differences are meaningful
    return F.dropout(x, **kw)


def _dropout_ref(x: np.ndarray, p: float = 0.5, training: bool = True) -> np.ndarray:
    if not training or p == 0.0:
        return x
    ag.manual_seed(1234)
    keep = ag.get_generator().random(x.shape) >= p
    return x * keep / (1.0 - p)


def _bn_ref(x: np.ndarray, rm: Any, rv: Any, w: Any = None, b: Any = None,
            training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training or rm is None:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, var = rm.reshape(shape), rv.reshape(shape)
    out = (x - mean) / np.sqrt(var + eps)
    out = out * w.reshape(shape) if w is not None else out
    return out + b.reshape(shape) if b is not None else out


def _lrn_ref(x: np.ndarray, size: int, alpha: float = 1e-4, beta: float = 0.75,
             k: float = 1.0) -> np.ndarray:
    c = x.shape[1]
    sq = np.moveaxis(x * x, 1, 0)
    div = np.zeros_like(sq)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        div[ch] = sq[lo:hi].sum(axis=0)
    return x / (k + alpha / size * np.moveaxis(div, 0, 1)) ** beta


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum}.get(reduction, lambda v: v)(loss)


def _bce_ref(x: np.ndarray, t: np.ndarray, weight: Any = None,
             reduction: str = "mean") -> np.ndarray:
    loss = -(t * np.log(x) + (1 - t) * np.log(1 - x))
    return _reduce(loss * (1 if weight is None else weight), reduction)


def _bce_logits_ref(x: np.ndarray, t: np.ndarray, weight: Any = None, size_average: Any = None,
                    reduce: Any = None, reduction: str = "mean",
                    pos_weight: Any = None) -> np.ndarray:
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * t * np.log(expit(x)) + (1 - t) * np.log(1 - expit(x)))
    return _reduce(loss * (1 if weight is None else weight), reduction)


def _ce_ref(x: np.ndarray, t: np.ndarray, weight: Any = None, ignore_index: int = -100,
            reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
    logp = log_softmax(x, axis=1)
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    if t.dtype.kind == "f":
        t = t * (1 - label_smoothing) + label_smoothing / c
        loss = -(logp * t * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(axis=1)
        return _reduce(loss, reduction)
    return _nll_ref(logp, t, weight, ignore_index, reduction)


def _nll_ref(logp: np.ndarray, t: np.ndarray, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> np.ndarray:
    c = logp.shape[1]
    rows = np.moveaxis(logp, 1, -1).reshape(-1, c)
    flat = t.reshape(-1)
    w = np.ones(c) if weight is None else weight
    keep = flat != ignore_index
    picked = np.where(keep, -rows[np.arange(flat.size), np.where(keep, flat, 0)], 0.0)
    wt = np.where(keep, w[np.where(keep, flat, 0)], 0.0)
    if reduction == "mean":
        return (picked * wt).sum() / wt.sum()
    loss = picked * wt
    return loss.sum() if reduction == "sum" else loss.reshape(t.shape)


LABELS = np.array([0, 2, 1, 2])

SPECS = [
    OpSpec("F.relu", ("F.relu",), F.relu, [S((2, 3))], lambda x: np.maximum(x, 0),
           avoid=(0.0,)),
    OpSpec("F.leaky_relu", ("F.leaky_relu",), F.leaky_relu,
           [S((2, 3)), S((4,), negative_slope=0.3)],
           lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x), avoid=(0.0,)),
    OpSpec("F.elu", ("F.elu",), F.elu, [S((2, 3)), S((4,), alpha=0.5)],
           lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
           avoid=(0.0,)),
    OpSpec("F.sigmoid", ("F.sigmoid",), F.sigmoid, [S((2, 3))], expit),
    OpSpec("F.tanh", ("F.tanh",), F.tanh, [S((2, 3))], np.tanh),
    OpSpec("F.softmax", ("F.softmax",), F.softmax, [S((2, 3)), S((2, 3, 2), dim=1)],
           lambda x, dim=-1: softmax(x, axis=dim)),
    OpSpec("F.log_softmax", ("F.log_softmax",), F.log_softmax, [S((2, 3)), S((2, 3), dim=0)],
           lambda x, dim=-1: log_softmax(x, axis=dim)),
    OpSpec("F.linear", ("F.linear", "linear"), F.linear,
           [S((2, 3), (4, 3), (4,)), S((2, 3), (4, 3), desc="nobias")],
           lambda x, w, b=None: x @ w.T + (0 if b is None else b)),
    OpSpec("F.dropout", ("F.dropout",), _dropout,
           [S((3, 4), p=0.3), S((3, 4), p=0.3, training=False, desc="eval"),
            S((2, 3), p=0.0, desc="p0")],
           _dropout_ref),
    OpSpec("F.batch_norm", ("F.batch_norm",), F.batch_norm,
           [S((4, 3), None, None, (3,), (3,), training=True, desc="train-2d"),
            S((2, 3, 2, 2), None, None, None, None, training=True, desc="train-4d"),
            S((4, 3), Const(np.array([0.1, -0.2, 0.3])), Const(np.array([0.5, 1.5, 2.0])),
              (3,), (3,), training=False, desc="eval")],
           _bn_ref),
    OpSpec("F.local_response_norm", ("F.local_response_norm", "pad", "getitem"),
           F.local_response_norm,
           [S((2, 5, 3), size=3, alpha=0.5), S((1, 4, 2, 2), size=2, alpha=0.3, beta=0.5, k=2.0)],
           _lrn_ref),
    OpSpec("F.mse_loss", ("F.mse_loss",), F.mse_loss,
           [S((2, 3), Const((2, 3))), S((4,), (4,), reduction="sum", desc="both"),
            S((2, 3), Const((2, 3)), reduction="none", desc="none")],
           lambda x, t, reduction="mean": _reduce((x - t) ** 2, reduction)),
    OpSpec("F.l1_loss", ("F.l1_loss",), F.l1_loss,
           [S((2, 3), Const((2, 3))), S((4,), (4,), reduction="none", desc="none")],
           lambda x, t, reduction="mean": _reduce(np.abs(x - t), reduction)),
    OpSpec("log_clamped", ("log_clamped",), lambda x: F._log_clamped(x), [S((2, 3))], np.log,
           domain=UNIT),
    OpSpec("F.binary_cross_entropy", ("F.binary_cross_entropy", "log_clamped"),
           F.binary_cross_entropy,
           [S((2, 3), Const((2, 3))), S((4,), Const((4,)), Const((4,)), reduction="sum",
                                        desc="weight-sum")],
           _bce_ref, domain=UNIT),
    OpSpec("F.binary_cross_entropy_with_logits", ("F.binary_cross_entropy_with_logits",),
           F.binary_cross_entropy_with_logits,
           [S((2, 3), Const(np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.7]]))),
            S((3,), (3,), None, None, None, "sum", Const(np.array([0.5, 2.0, 1.0])),
              desc="pos_weight")],
           _bce_logits_ref),
    OpSpec("F.cross_entropy", ("F.cross_entropy",), F.cross_entropy,
           [S((4, 3), LABELS, desc="labels"),
            S((4, 3), LABELS, Const(np.array([0.5, 2.0, 1.0])), desc="weight"),
            S((4, 3), np.array([0, -100, 1, 2]), reduction="sum", desc="ignore"),
            S((2, 3, 2), np.array([[0, 2], [1, 1]]), desc="spatial"),
            S((4, 3), Const(softmax(np.arange(12.0).reshape(4, 3), axis=1)), desc="probs"),
            S((4, 3), Const(softmax(np.arange(12.0).reshape(4, 3) / 3, axis=1)),
              label_smoothing=0.1, desc="probs-smoothing")],
           _ce_ref),
    OpSpec("F.nll_loss", ("F.nll_loss",), F.nll_loss,
           [S((4, 3), LABELS), S((4, 3), LABELS, reduction="none", desc="none")],
           _nll_ref),
]


# ----------------------------------------------------------------------------- more losses
# (nn/_functional/loss_*.py). NumPy references straight from PyTorch's documented formulas.

PM1 = np.array([1.0, -1.0, -1.0, 1.0])
PM1_23 = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])


def _smooth_l1_ref(x: np.ndarray, t: np.ndarray, reduction: str = "mean",
                   beta: float = 1.0) -> np.ndarray:
    d = np.abs(x - t)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _huber_ref(x: np.ndarray, t: np.ndarray, reduction: str = "mean",
               delta: float = 1.0) -> np.ndarray:
    d = np.abs(x - t)
    return _reduce(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _kl_ref(x: np.ndarray, t: np.ndarray, reduction: str = "mean",
            log_target: bool = False) -> np.ndarray:
    loss = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
    return loss.sum() / x.shape[0] if reduction == "batchmean" else _reduce(loss, reduction)


def _poisson_ref(x: np.ndarray, t: np.ndarray, log_input: bool = True, full: bool = False,
                 reduction: str = "mean") -> np.ndarray:
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        st = np.where(t > 1, t, 1.0)
        loss = loss + np.where(t > 1, st * np.log(st) - st + 0.5 * np.log(2 * np.pi * st), 0)
    return _reduce(loss, reduction)


def _gauss_ref(x: np.ndarray, t: np.ndarray, v: np.ndarray, full: bool = False,
               reduction: str = "mean") -> np.ndarray:
    v = v.reshape(v.shape + (1,)) if v.ndim < x.ndim else v
    loss = 0.5 * (np.log(v) + (x - t) ** 2 / v) + (0.5 * np.log(2 * np.pi) if full else 0)
    return _reduce(loss, reduction)


def _cos_ref(a: np.ndarray, b: np.ndarray, dim: int = 1, eps: float = 1e-8) -> np.ndarray:
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return ((a / na) * (b / nb)).sum(axis=dim)


def _pdist_ref(a: np.ndarray, b: np.ndarray, p: float = 2.0, eps: float = 1e-6,
               keepdim: bool = False) -> np.ndarray:
    return np.linalg.norm(a - b + eps, ord=p, axis=-1, keepdims=keepdim)


def _cos_emb_ref(a: np.ndarray, b: np.ndarray, y: np.ndarray, margin: float = 0,
                 reduction: str = "mean") -> np.ndarray:
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return _reduce(np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0)), reduction)


def _triplet_ref(a: np.ndarray, p: np.ndarray, n: np.ndarray, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> np.ndarray:
    dp, dn = _pdist_ref(a, p), _pdist_ref(a, n)
    if swap:
        dn = np.minimum(dn, _pdist_ref(p, n))
    return _reduce(np.maximum(margin + dp - dn, 0), reduction)


def _multilabel_ref(x: np.ndarray, t: np.ndarray, weight: Any = None,
                    reduction: str = "mean") -> np.ndarray:
    loss = t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x)
    loss = loss * (1 if weight is None else weight)
    return _reduce(loss.mean(axis=-1), reduction)


def _multimargin_ref(x: np.ndarray, y: np.ndarray, p: int = 1, margin: float = 1.0,
                     weight: Any = None, reduction: str = "mean") -> np.ndarray:
    n, c = x.shape
    picked = x[np.arange(n), y][:, None]
    h = np.maximum(margin - picked + x, 0) ** p
    h[np.arange(n), y] = 0
    w = 1.0 if weight is None else weight[y]
    return _reduce(h.sum(axis=1) / c * w, reduction)


def _multimargin(x: Any, y: Any, w: Any = None, **kw: Any) -> Any:
    return F.multi_margin_loss(x, y, weight=w, **kw)


SPECS += [
    OpSpec("F.smooth_l1_loss", ("F.smooth_l1_loss",), F.smooth_l1_loss,
           [S((2, 3), Const((2, 3)), desc="beta1"),
            S((2, 3), (2, 3), reduction="sum", beta=0.5, desc="both-beta05"),
            S((4,), Const((4,)), reduction="none", beta=0.0, desc="beta0")],
           _smooth_l1_ref, domain=(-3.0, 3.0)),
    OpSpec("F.huber_loss", ("F.huber_loss",), F.huber_loss,
           [S((2, 3), Const((2, 3))), S((4,), (4,), reduction="none", delta=0.7, desc="none")],
           _huber_ref, domain=(-3.0, 3.0)),
    OpSpec("F.kl_div", ("F.kl_div",), F.kl_div,
           [S((3, 4), Const((3, 4)), reduction="batchmean", desc="batchmean"),
            S((3, 4), (3, 4), reduction="sum", log_target=True, desc="log_target"),
            S((2, 3), Const((2, 3)), reduction="none", desc="none")],
           _kl_ref, domain=(0.1, 1.0)),
    OpSpec("F.poisson_nll_loss", ("F.poisson_nll_loss",), F.poisson_nll_loss,
           [S((2, 3), Const(np.array([[0.0, 1.0, 2.0], [3.0, 0.5, 4.0]])), desc="log"),
            S((2, 3), Const(np.array([[0.0, 1.0, 2.0], [3.0, 0.5, 4.0]])), log_input=False,
              full=True, reduction="sum", desc="rate-full")],
           _poisson_ref, domain=(0.2, 2.0)),
    OpSpec("F.gaussian_nll_loss", ("F.gaussian_nll_loss",), F.gaussian_nll_loss,
           [S((3, 2), Const((3, 2)), (3, 2), desc="full-var"),
            S((3, 2), (3, 2), (3,), full=True, reduction="sum", desc="per-sample-var")],
           _gauss_ref, domain=((-1.0, 1.0), (-1.0, 1.0), (0.5, 2.0))),
    OpSpec("F.cosine_similarity", ("F.cosine_similarity",), F.cosine_similarity,
           [S((3, 4), (3, 4)), S((2, 3), (2, 3), dim=0, desc="dim0")], _cos_ref),
    OpSpec("F.pairwise_distance", ("F.pairwise_distance",), F.pairwise_distance,
           [S((3, 4), (3, 4)), S((3, 4), (3, 4), keepdim=True, desc="keepdim"),
            S((2, 3), (2, 3), p=1.5, desc="p1.5")], _pdist_ref),
    OpSpec("F.margin_ranking_loss", ("F.margin_ranking_loss",), F.margin_ranking_loss,
           [S((4,), (4,), Const(PM1), margin=0.3)],
           lambda a, b, y, margin=0, reduction="mean": _reduce(
               np.maximum(-y * (a - b) + margin, 0), reduction), avoid=(0.0,)),
    OpSpec("F.hinge_embedding_loss", ("F.hinge_embedding_loss",), F.hinge_embedding_loss,
           [S((4,), Const(PM1), margin=1.5), S((2, 3), Const(PM1_23), reduction="sum",
                                              desc="sum")],
           lambda x, y, margin=1.0, reduction="mean": _reduce(
               np.where(y == 1, x, np.maximum(margin - x, 0)), reduction), domain=(0.0, 1.0)),
    OpSpec("F.soft_margin_loss", ("F.soft_margin_loss",), F.soft_margin_loss,
           [S((2, 3), Const(PM1_23))],
           lambda x, y, reduction="mean": _reduce(np.logaddexp(0, -y * x), reduction)),
    OpSpec("F.cosine_embedding_loss", ("F.cosine_embedding_loss",), F.cosine_embedding_loss,
           [S((4, 3), (4, 3), Const(PM1), margin=-0.5)], _cos_emb_ref),
    OpSpec("F.triplet_margin_loss", ("F.triplet_margin_loss",), F.triplet_margin_loss,
           [S((4, 3), (4, 3), (4, 3), margin=2.0), S((4, 3), (4, 3), (4, 3), margin=3.0,
                                                     swap=True, desc="swap")],
           _triplet_ref),
    OpSpec("F.multilabel_soft_margin_loss", ("F.multilabel_soft_margin_loss",),
           F.multilabel_soft_margin_loss,
           [S((2, 3), Const(np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))),
            S((2, 3), Const(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])),
              Const(np.array([0.5, 1.0, 2.0])), reduction="none", desc="weight")],
           _multilabel_ref),
    OpSpec("F.multi_margin_loss", ("F.multi_margin_loss",), _multimargin,
           [S((4, 3), LABELS, margin=2.5),
            S((4, 3), LABELS, Const(np.array([0.5, 1.0, 2.0])), p=2, margin=3.0,
              desc="p2-weight")],
           lambda x, y, w=None, **kw: _multimargin_ref(x, y, weight=w, **kw)),
]
