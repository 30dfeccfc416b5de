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


def _bce_logits_ref(x: np.ndarray, t: np.ndarray, weight: Any = None, reduction: str = "mean",
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
            S((3,), (3,), None, "sum", Const(np.array([0.5, 2.0, 1.0])), desc="pos_weight")],
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
