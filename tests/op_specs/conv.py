"""Specs for the kernels' conv/pool ops (`autograd/ops/conv.py`, via `nn.functional`).

They run once `autograd.ops.conv` exists (the Numba kernels); until then they skip, but
still count as the specs of `F.conv2d`, `F.max_pool2d` and `F.avg_pool2d`.
"""

from __future__ import annotations

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


SPECS = [
    OpSpec("F.conv2d", ("F.conv2d",), F.conv2d,
           [S((1, 2, 4, 4), (3, 2, 3, 3), (3,), desc="basic"),
            S((2, 2, 5, 4), (2, 2, 2, 3), None, stride=2, padding=1, desc="stride-pad"),
            S((1, 2, 5, 5), (2, 2, 2, 2), (2,), dilation=2, desc="dilation"),
            S((1, 4, 3, 3), (4, 2, 2, 2), None, groups=2, desc="groups"),
            S((1, 1, 3, 4), (2, 1, 3, 3), (2,), padding="same", desc="same")],
           conv2d_ref, requires=NEEDS),
    OpSpec("F.max_pool2d", ("F.max_pool2d",), F.max_pool2d,
           [S((1, 2, 4, 4), 2), S((2, 1, 5, 5), 3, stride=2, padding=1, desc="overlap-pad"),
            S((1, 1, 4, 6), (2, 3), desc="rect")],
           _pool_ref(np.max, -np.inf), requires=NEEDS),
    OpSpec("F.avg_pool2d", ("F.avg_pool2d",), F.avg_pool2d,
           [S((1, 2, 4, 4), 2), S((2, 1, 5, 5), 3, stride=2, padding=1, desc="overlap-pad"),
            S((1, 1, 4, 6), (2, 3), desc="rect")],
           _pool_ref(np.mean, 0.0), requires=NEEDS),
]
