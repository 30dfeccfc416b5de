"""Specs for the kernels' conv/pool ops (`autograd/ops/conv.py`, via `nn.functional`).

They run once `autograd.ops.conv` exists (the Numba kernels); until then they skip, but
still count as the specs of `F.conv2d`, `F.max_pool2d` and `F.avg_pool2d`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

import nn.functional as F
from tests.op_specs import OpSpec, S

NEEDS = "autograd.ops.conv"


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_ref(x: np.ndarray, w: np.ndarray, b: Any = None, stride: Any = 1, padding: Any = 0,
               dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """Direct-loop cross-correlation, PyTorch's layout and semantics."""
    if padding == "same":  # stride 1: total d*(k-1), the odd one extra on the right/bottom
        tot = [d * (k - 1) for d, k in zip(_pair(dilation), w.shape[2:], strict=True)]
        x = np.pad(x, ((0, 0), (0, 0), (tot[0] // 2, tot[0] - tot[0] // 2),
                       (tot[1] // 2, tot[1] - tot[1] // 2)))
        padding = 0
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, oc, oh, ow))
    per = oc // groups
    for o in range(oc):
        g = o // per
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, o, i, j] = np.sum(patch * w[o], axis=(1, 2, 3))
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


def _pool_ref(reduce: Any, pad_value: float) -> Any:
    def ref(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0) -> np.ndarray:
        (kh, kw) = _pair(kernel_size)
        (sh, sw) = _pair(kernel_size if stride is None else stride)
        (ph, pw) = _pair(padding)
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
        oh = (xp.shape[2] - kh) // sh + 1
        ow = (xp.shape[3] - kw) // sw + 1
        out = np.empty(x.shape[:2] + (oh, ow))
        for i in range(oh):
            for j in range(ow):
                out[:, :, i, j] = reduce(xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw],
                                         axis=(2, 3))
        return out

    return ref


def _adjoint(linear: Callable[[np.ndarray], np.ndarray], in_shape: tuple[int, ...],
             g: np.ndarray) -> np.ndarray:
    """J^T g for a linear NumPy reference, J built column by column (small shapes only)."""
    cols = []
    for j in range(int(np.prod(in_shape))):
        e = np.zeros(int(np.prod(in_shape)))
        e[j] = 1.0
        cols.append(linear(e.reshape(in_shape)).reshape(-1))
    return (np.stack(cols, axis=1).T @ g.reshape(-1)).reshape(in_shape)


def _conv_op(name: str) -> Any:
    return getattr(importlib.import_module(NEEDS), name)


P1 = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1}
P2 = {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2}
X1, W1 = (1, 2, 3, 3), (2, 2, 2, 2)  # output (1, 2, 2, 2)
X2, W2 = (1, 4, 3, 3), (2, 2, 2, 2)  # output (1, 2, 2, 1)


def _grad_input(g: Any, w: Any, *, x_shape: tuple[int, ...], **p: Any) -> Any:
    return _conv_op("conv2d_grad_input")(g, w, x_shape=x_shape, **p)


def _grad_input_ref(g: np.ndarray, w: np.ndarray, *, x_shape: tuple[int, ...],
                    **p: Any) -> np.ndarray:
    return _adjoint(lambda x: conv2d_ref(x, w, None, **p), x_shape, g)


def _grad_weight(g: Any, x: Any, *, w_shape: tuple[int, ...], **p: Any) -> Any:
    return _conv_op("conv2d_grad_weight")(g, x, w_shape=w_shape, **p)


def _grad_weight_ref(g: np.ndarray, x: np.ndarray, *, w_shape: tuple[int, ...],
                     **p: Any) -> np.ndarray:
    return _adjoint(lambda w: conv2d_ref(x, w, None, **p), w_shape, g)


POOL_X = np.arange(32.0).reshape(2, 1, 4, 4)[:, :, ::-1] / 7.0  # distinct values: no ties
POOL = {"kernel_size": (2, 2), "stride": (2, 2), "padding": (1, 1)}


def _argmax() -> np.ndarray:
    return _conv_op("max_pool2d").forward(np.ascontiguousarray(POOL_X), **POOL)[1]


def _scatter(g: Any) -> Any:
    return _conv_op("max_pool2d_scatter")(g, argmax=_argmax(), x_shape=POOL_X.shape)


def _scatter_ref(g: np.ndarray) -> np.ndarray:
    n, c, h, w = POOL_X.shape
    out = np.zeros((n, c, h * w))
    am = _argmax().reshape(n, c, -1)
    for i in range(n):
        for j in range(c):
            np.add.at(out[i, j], am[i, j], g[i, j].reshape(-1))
    return out.reshape(POOL_X.shape)


def _gather(u: Any) -> Any:
    return _conv_op("max_pool2d_gather")(u, argmax=_argmax())


def _gather_ref(u: np.ndarray) -> np.ndarray:
    n, c = u.shape[:2]
    am = _argmax()
    return np.take_along_axis(u.reshape(n, c, -1), am.reshape(n, c, -1), axis=2).reshape(am.shape)


def _avg_pool(x: Any, **p: Any) -> Any:
    return _conv_op("avg_pool2d")(x, **p)


def _avg_pool_ref(x: np.ndarray, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                  count_include_pad: bool = True) -> np.ndarray:
    total = _pool_ref(np.sum, 0.0)(x, kernel_size, stride, padding)
    if count_include_pad:
        return total / np.prod(_pair(kernel_size))
    return total / _pool_ref(np.sum, 0.0)(np.ones_like(x), kernel_size, stride, padding)


def _avg_grad(g: Any, **p: Any) -> Any:
    return _conv_op("avg_pool2d_grad")(g, **p)


def _avg_grad_ref(g: np.ndarray, *, x_shape: tuple[int, ...], **p: Any) -> np.ndarray:
    return _adjoint(lambda x: _avg_pool_ref(x, **p), x_shape, g)


AVG = {"kernel_size": (3, 3), "stride": (2, 2), "padding": (1, 1)}  # (1, 1, 4, 4) -> 2x2

SPECS = [
    OpSpec("conv2d_grad_input", ("conv2d_grad_input",), _grad_input,
           [S((1, 2, 2, 2), W1, x_shape=X1, **P1), S((1, 2, 2, 1), W2, x_shape=X2, **P2)],
           _grad_input_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("conv2d_grad_weight", ("conv2d_grad_weight",), _grad_weight,
           [S((1, 2, 2, 2), X1, w_shape=W1, **P1), S((1, 2, 2, 1), X2, w_shape=W2, **P2)],
           _grad_weight_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("max_pool2d_scatter", ("max_pool2d_scatter",), _scatter, [S((2, 1, 3, 3))],
           _scatter_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("max_pool2d_gather", ("max_pool2d_gather",), _gather, [S((2, 1, 4, 4))],
           _gather_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("avg_pool2d", ("avg_pool2d",), _avg_pool,
           [S((1, 1, 4, 4), **AVG), S((1, 1, 4, 4), count_include_pad=False, **AVG,
                                      desc="exclude-pad")],
           _avg_pool_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("avg_pool2d_grad", ("avg_pool2d_grad",), _avg_grad,
           [S((1, 1, 2, 2), x_shape=(1, 1, 4, 4), **AVG),
            S((1, 1, 2, 2), x_shape=(1, 1, 4, 4), count_include_pad=False, **AVG,
              desc="exclude-pad")],
           _avg_grad_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("F.conv2d", ("F.conv2d", "conv2d"), F.conv2d,
           [S((1, 2, 3, 3), (2, 2, 2, 2), (2,), desc="basic"),
            S((1, 1, 4, 3), (2, 1, 2, 3), None, stride=2, padding=1, desc="stride-pad"),
            S((1, 1, 4, 4), (1, 1, 2, 2), (1,), dilation=2, desc="dilation"),
            S((1, 2, 3, 3), (2, 1, 2, 2), None, groups=2, desc="groups"),
            S((1, 1, 3, 4), (2, 1, 3, 3), (2,), padding="same", desc="same")],
           conv2d_ref, requires=NEEDS, fast_gradgrad=True),
    OpSpec("F.max_pool2d", ("F.max_pool2d", "max_pool2d"), F.max_pool2d,
           [S((1, 1, 4, 4), 2), S((1, 1, 5, 5), 3, stride=2, padding=1, desc="overlap-pad"),
            S((1, 1, 4, 6), kernel_size=(2, 3), desc="rect")],
           _pool_ref(np.max, -np.inf), requires=NEEDS, fast_gradgrad=True),
    OpSpec("F.avg_pool2d", ("F.avg_pool2d", "avg_pool2d"), F.avg_pool2d,
           [S((1, 1, 4, 4), 2), S((1, 1, 5, 5), 3, stride=2, padding=1, desc="overlap-pad"),
            S((1, 1, 4, 6), kernel_size=(2, 3), desc="rect")],
           _pool_ref(np.mean, 0.0), requires=NEEDS, fast_gradgrad=True),
]
