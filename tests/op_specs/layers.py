"""Specs for the layer functions of `nn.functional` added for PyTorch parity (normalization,
embedding, transposed / 1-D convolution, extra pooling, resampling, channel dropout).

Forward values are compared with PyTorch in tests/nn/test_layers_vs_torch.py; NumPy
references are given here where they are short."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
import nn.functional as F
from tests.op_specs import OpSpec, S


def _seeded(fn: Any) -> Any:
    def call(x: Any, **kw: Any) -> Any:
        ag.manual_seed(1234)  # the same mask on every call, so finite differences are meaningful
        return fn(x, **kw)
    return call


def _ln_ref(x: np.ndarray, shape: Any, w: Any = None, b: Any = None, eps: float = 1e-5) -> Any:
    k = 1 if isinstance(shape, int) else len(shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    out = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return out * (1 if w is None else w) + (0 if b is None else b)


def _gn_ref(x: np.ndarray, g: int, w: Any = None, b: Any = None, eps: float = 1e-5) -> Any:
    r = x.reshape(x.shape[0], g, -1)
    out = ((r - r.mean(2, keepdims=True)) / np.sqrt(r.var(2, keepdims=True) + eps)).reshape(
        x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return out * (1 if w is None else w.reshape(shape)) + (0 if b is None else b.reshape(shape))


def _emb_ref(idx: np.ndarray, w: np.ndarray, **_: Any) -> np.ndarray:
    return w[idx]


def _shuffle_ref(x: np.ndarray, r: int) -> np.ndarray:
    n, c, h, w = x.shape
    return x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(
        n, c // (r * r), h * r, w * r)


_UNPOOL_IDX = np.array([0, 3, 9, 14]).reshape(1, 1, 2, 2)

SPECS = [
    OpSpec("F.layer_norm", ("F.layer_norm",), F.layer_norm,
           [S((2, 3, 4), [4], (4,), (4,)), S((2, 3, 4), [3, 4], desc="2d-noaffine")],
           _ln_ref),
    OpSpec("F.group_norm", ("F.group_norm",), F.group_norm,
           [S((2, 4, 3), 2, (4,), (4,)), S((1, 4, 2, 2), 4, desc="per-channel")], _gn_ref),
    OpSpec("F.instance_norm", ("F.instance_norm",), F.instance_norm,
           [S((2, 3, 4), None, None, (3,), (3,)), S((2, 2, 3, 3), desc="2d")],
           lambda x, rm=None, rv=None, w=None, b=None: _gn_ref(
               x.reshape(1, -1, *x.shape[2:]), x.shape[0] * x.shape[1]).reshape(x.shape)
           * (1 if w is None else w.reshape(1, -1, *(1,) * (x.ndim - 2)))
           + (0 if b is None else b.reshape(1, -1, *(1,) * (x.ndim - 2)))),
    OpSpec("F.embedding", ("F.embedding", "embedding"), F.embedding,
           # padding_idx and scale_grad_by_freq change the gradient on purpose (PyTorch's
           # semantics, not a derivative): tests/nn/test_layers_vs_torch.py checks them
           [S(np.array([[0, 2], [4, 2]]), (5, 3))], _emb_ref),
    OpSpec("F.conv1d", ("F.conv1d",), F.conv1d,
           [S((1, 2, 5), (3, 2, 2), (3,)), S((1, 2, 6), (2, 1, 3), None, stride=2, padding=1,
                                              groups=2, desc="stride-groups")],
           fast_gradgrad=True),
    OpSpec("F.conv_transpose2d", ("F.conv_transpose2d",), F.conv_transpose2d,
           [S((1, 2, 2, 3), (2, 3, 2, 2), (3,)),
            S((1, 2, 2, 2), (2, 1, 3, 3), None, stride=2, padding=1, output_padding=1,
              groups=2, desc="stride-outpad-groups")], fast_gradgrad=True),
    OpSpec("F.conv_transpose1d", ("F.conv_transpose1d",), F.conv_transpose1d,
           [S((1, 2, 3), (2, 2, 3), (2,), stride=2)], fast_gradgrad=True),
    OpSpec("F.max_pool1d", ("F.max_pool1d",), F.max_pool1d,
           [S((1, 2, 7), 3, 2, ceil_mode=True)], fast_gradgrad=True),
    OpSpec("F.avg_pool1d", ("F.avg_pool1d",), F.avg_pool1d,
           [S((1, 2, 7), 3, 2, 1, ceil_mode=True)], fast_gradgrad=True),
    OpSpec("F.max_unpool2d", ("F.max_unpool2d",), F.max_unpool2d,
           [S((1, 1, 2, 2), _UNPOOL_IDX, 2)], fast_gradgrad=True),
    OpSpec("F.adaptive_avg_pool2d", ("F.adaptive_avg_pool2d",), F.adaptive_avg_pool2d,
           [S((1, 2, 5, 4), output_size=(3, 2)), S((1, 2, 3, 3), 1, desc="global")]),
    OpSpec("F.adaptive_avg_pool1d", ("F.adaptive_avg_pool1d",), F.adaptive_avg_pool1d,
           [S((1, 2, 5), 3)]),
    OpSpec("F.adaptive_max_pool2d", ("F.adaptive_max_pool2d",), F.adaptive_max_pool2d,
           [S((1, 2, 5, 4), output_size=(3, 2))]),
    OpSpec("F.adaptive_max_pool1d", ("F.adaptive_max_pool1d",), F.adaptive_max_pool1d,
           [S((1, 2, 5), 3)]),
    OpSpec("F.interpolate", ("F.interpolate",), F.interpolate,
           [S((1, 1, 2, 3), scale_factor=2, desc="nearest")],
           lambda x, **kw: np.repeat(np.repeat(x, 2, 2), 2, 3)),
    OpSpec("F.interpolate-linear", ("F.interpolate",), F.interpolate,
           [S((1, 1, 2, 3), size=(3, 5), mode="bilinear", desc="bilinear"),
            S((1, 1, 2, 3), size=(3, 4), mode="bilinear", align_corners=True, desc="corners"),
            S((1, 2, 3), scale_factor=1.5, mode="linear", desc="linear")]),
    OpSpec("F.pixel_shuffle", ("F.pixel_shuffle",), F.pixel_shuffle,
           [S((1, 8, 2, 3), 2)], _shuffle_ref),
    OpSpec("F.pixel_unshuffle", ("F.pixel_unshuffle",), F.pixel_unshuffle,
           [S((1, 2, 4, 2), 2)],
           lambda x, r: x.reshape(1, 2, 2, 2, 1, 2).transpose(0, 1, 3, 5, 2, 4).reshape(
               1, 8, 2, 1)),
    OpSpec("F.dropout1d", ("F.dropout1d",), _seeded(F.dropout1d),
           [S((3, 4, 2), p=0.4), S((3, 2), p=0.4, training=False, desc="eval")]),
    OpSpec("F.dropout2d", ("F.dropout2d",), _seeded(F.dropout2d),
           [S((2, 3, 2, 2), p=0.4)]),
    OpSpec("F.alpha_dropout", ("F.alpha_dropout",), _seeded(F.alpha_dropout),
           [S((3, 4), p=0.3, training=True)]),
]
