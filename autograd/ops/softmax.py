"""Softmax and log-softmax along an axis, computed with the max shifted out (stable)."""

from __future__ import annotations

import numpy as np

from autograd.kernels import workspace
from autograd.ops.elementwise import exp
from autograd.ops.reduce import normalize_axis
from autograd.ops.reduce import sum as _sum
from autograd.registry import call, primitive, unrecorded


def _axis(x: np.ndarray, axis: int, op: str) -> int | tuple[()]:
    """`axis` checked against x's rank; `()` for a 0-d tensor (dim 0 or -1, as torch)."""
    axes = normalize_axis(axis, x.ndim, op)
    return axes[0] if axes else ()


@primitive("softmax", saves=("output",))
def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along `axis`; finite for logits like [1e4, 0, -1e4]."""
    a = _axis(x, axis, "softmax")
    z = x - np.max(x, axis=a, keepdims=True)
    with np.errstate(under="ignore"):  # exp underflowing to 0 is the right answer
        e = np.exp(z)
        return e / np.sum(e, axis=a, keepdims=True)


softmax.defvjp(
    unrecorded(
        lambda g, ans, x, axis=-1: ans * (g - call(_sum, g * ans, axis=axis, keepdims=True))
    )
)


@primitive("log_softmax", saves=("output",))
def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along `axis`; finite even where softmax underflows to 0."""
    a = _axis(x, axis, "log_softmax")
    z = x - np.max(x, axis=a, keepdims=True)
    with np.errstate(under="ignore"):
        return z - np.log(np.sum(np.exp(z), axis=a, keepdims=True))


def _log_softmax_into(out: np.ndarray, x: np.ndarray, *, axis: int = -1) -> None:
    """The same passes as `log_softmax` through reused workspaces (floating C-order x)."""
    if x.dtype.kind != "f" or not x.flags.c_contiguous:  # NumPy's temporaries' layout
        out[...] = log_softmax.forward(x, axis=axis)
        return
    a = _axis(x, axis, "log_softmax")
    kept = tuple(1 if i == a else n for i, n in enumerate(x.shape))
    m = workspace("log_softmax:max", kept, x.dtype)
    e = workspace("log_softmax:exp", x.shape, x.dtype)
    # NOTE: each per-row value is spread over `e` before it is subtracted: a ufunc that
    # broadcasts an (N, 1) operand allocates iterator buffers about the size of x.
    np.max(x, axis=a, keepdims=True, out=m)
    np.copyto(e, m)
    np.subtract(x, e, out=out)
    with np.errstate(under="ignore"):
        np.exp(out, out=e)
        np.sum(e, axis=a, keepdims=True, out=m)
        np.log(m, out=m)
    np.copyto(e, m)
    np.subtract(out, e, out=out)


log_softmax.definto(_log_softmax_into)

log_softmax.defvjp(
    unrecorded(
        lambda g, ans, x, axis=-1: g - call(exp, ans) * call(_sum, g, axis=axis, keepdims=True)
    )
)
