"""One-pass optimizer updates (SGD, Adam/AMSGrad, RMSprop, Adagrad, Adamax, Adadelta, NAdam,
RAdam, ASGD) on flat parameter views.

Each kernel does, per element and in the same order, the float operations the NumPy code of
``optim`` does as whole-array passes, so the results are bit for bit the same while a step costs
one call per parameter instead of five to twelve. Callers pass the 1-D views ``flat`` gives
(None: a layout or dtype the kernels do not take; use NumPy) and the hyperparameters in the
array ``scalars`` gives, cast to the arrays' dtype as NumPy casts a Python float next to an
array (NEP 50).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numba import njit

from ._runtime import JIT_OPTIONS

# error_model="numpy": x / 0 gives inf or nan as NumPy does (the default raises
# ZeroDivisionError, and its check per division keeps LLVM from vectorizing the loops)
_JIT = {**JIT_OPTIONS, "error_model": "numpy"}

__all__ = [
    "flat",
    "scalars",
    "sgd_update",
    "adam_update",
    "rmsprop_update",
    "adagrad_update",
    "adamax_update",
    "adadelta_update",
    "nadam_update",
    "radam_update",
    "asgd_update",
]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # equal to one of them: native order


def flat(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """1-D views of `arrays` when all are C-contiguous, aligned, writeable and of one native
    float dtype (what the kernels write through in place), else None."""
    dtype = arrays[0].dtype
    views = []
    for a in arrays:
        if a.dtype != dtype or not a.flags.carray:
            return None
        views.append(a.ravel())
    return views if dtype in _FLOATS else None


@functools.lru_cache(maxsize=256, typed=True)  # typed: 0.5 and np.float64(0.5) differ here
def scalars(dtype: np.dtype, *values: Any) -> np.ndarray | None:
    """`values` in a read-only array of `dtype` when NumPy would cast them so (Python numbers,
    or NumPy scalars of that dtype), else None: a float64 scalar next to a float32 array makes
    NumPy compute in float64, which these kernels do not. One array argument dispatches faster
    than several scalars; memoised, as a step asks the same for each parameter."""
    out = []
    for v in values:
        if not (type(v) is float or type(v) is int
                or (isinstance(v, np.generic) and v.dtype == dtype)):
            return None
        out.append(v)
    consts = np.array(out, dtype=dtype)
    consts.flags.writeable = False
    return consts


@njit(**_JIT)
def sgd_update(p, g, buf, consts, use_momentum, first, nesterov):
    """With consts = (lr, momentum, keep = 1 - dampening): p -= lr * d with d = g, or with
    momentum b = g (first step) or momentum*b + keep*g, d = b (nesterov: g + momentum*b)."""
    lr, momentum, keep = consts[0], consts[1], consts[2]
    for i in range(p.size):
        d = g[i]
        if use_momentum:
            b = d if first else buf[i] * momentum + d * keep
            buf[i] = b
            d = d + b * momentum if nesterov else b
        p[i] = p[i] - d * lr


@njit(**_JIT)
def adam_update(p, g, m, v, v_max, consts, amsgrad):
    """With consts = (beta1, keep1, beta2, keep2, bc2_sqrt, eps, step_size): m = beta1*m +
    keep1*g; v = beta2*v + (g*g)*keep2 (AMSGrad: v_max = maximum(v_max, v) is used for v);
    p -= m / (sqrt(v) / bc2_sqrt + eps) * step_size."""
    beta1, keep1, beta2, keep2 = consts[0], consts[1], consts[2], consts[3]
    bc2_sqrt, eps, step_size = consts[4], consts[5], consts[6]
    for i in range(p.size):
        gi = g[i]
        mi = m[i] * beta1 + gi * keep1
        m[i] = mi
        vi = v[i] * beta2 + (gi * gi) * keep2
        v[i] = vi
        if amsgrad:
            vm = v_max[i]
            if not (vm >= vi or vm != vm):  # np.maximum: a NaN on either side wins
                vm = vi
            v_max[i] = vm
            vi = vm
        denom = np.sqrt(vi) / bc2_sqrt + eps
        p[i] = p[i] - (mi / denom) * step_size


@njit(**_JIT)
def rmsprop_update(p, g, v, g_avg, buf, consts, centered, use_momentum):
    """With consts = (lr, alpha, keep = 1 - alpha, eps, momentum): v = alpha*v + (keep*g)*g;
    centered: m = alpha*m + keep*g, d = sqrt(v - m*m) + eps, else d = sqrt(v) + eps;
    momentum: b = momentum*b + g/d, p -= lr*b; else p -= lr*g/d."""
    lr, alpha, keep, eps, momentum = consts[0], consts[1], consts[2], consts[3], consts[4]
    for i in range(p.size):
        gi = g[i]
        vi = v[i] * alpha + (keep * gi) * gi
        v[i] = vi
        if centered:
            mi = g_avg[i] * alpha + keep * gi
            g_avg[i] = mi
            avg = np.sqrt(vi - mi * mi) + eps
        else:
            avg = np.sqrt(vi) + eps
        if use_momentum:
            b = buf[i] * momentum + gi / avg
            buf[i] = b
            p[i] = p[i] - lr * b
        else:
            p[i] = p[i] - (lr * gi) / avg


@njit(**_JIT)
def adagrad_update(p, g, total, consts):
    """With consts = (clr, eps): total += g*g; p -= clr*g / (sqrt(total) + eps)."""
    clr, eps = consts[0], consts[1]
    for i in range(p.size):
        gi = g[i]
        t = total[i] + gi * gi
        total[i] = t
        p[i] = p[i] - (clr * gi) / (np.sqrt(t) + eps)


@njit(**_JIT)
def adamax_update(p, g, m, u, consts):
    """With consts = (keep1 = 1 - beta1, beta2, eps, clr = lr / (1 - beta1**t)):
    m += keep1*(g - m); u = maximum(beta2*u, |g| + eps); p -= clr*m / u."""
    keep1, beta2, eps, clr = consts[0], consts[1], consts[2], consts[3]
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + keep1 * (gi - m[i])
        m[i] = mi
        ui = u[i] * beta2
        bound = abs(gi) + eps
        if not (ui >= bound or ui != ui):  # np.maximum: a NaN on either side wins
            ui = bound
        u[i] = ui
        p[i] = p[i] - (clr * mi) / ui


@njit(**_JIT)
def adadelta_update(p, g, v, u, consts):
    """With consts = (lr, rho, keep = 1 - rho, eps): v = rho*v + (keep*g)*g;
    delta = sqrt(u + eps) / sqrt(v + eps) * g; u = rho*u + (keep*delta)*delta; p -= lr*delta."""
    lr, rho, keep, eps = consts[0], consts[1], consts[2], consts[3]
    for i in range(p.size):
        gi = g[i]
        vi = v[i] * rho + (keep * gi) * gi
        v[i] = vi
        delta = np.sqrt(u[i] + eps) / np.sqrt(vi + eps) * gi
        u[i] = u[i] * rho + (keep * delta) * delta
        p[i] = p[i] - lr * delta


@njit(**_JIT)
def nadam_update(p, g, m, v, consts):
    """With consts = (keep1, beta2, keep2, bc2 = 1 - beta2**t, eps, c_g, c_m): m += keep1*(g - m);
    v = beta2*v + (keep2*g)*g; d = sqrt(v / bc2) + eps; p -= c_g*g / d; p -= c_m*m / d."""
    keep1, beta2, keep2, bc2 = consts[0], consts[1], consts[2], consts[3]
    eps, c_g, c_m = consts[4], consts[5], consts[6]
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + keep1 * (gi - m[i])
        m[i] = mi
        vi = v[i] * beta2 + (keep2 * gi) * gi
        v[i] = vi
        denom = np.sqrt(vi / bc2) + eps
        pi = p[i] - (c_g * gi) / denom
        p[i] = pi - (c_m * mi) / denom


@njit(**_JIT)
def radam_update(p, g, m, v, consts, rectified):
    """With consts = (keep1, beta2, keep2, bc1 = 1 - beta1**t, lr, sqrt(bc2), eps, rect):
    m += keep1*(g - m); v = beta2*v + (keep2*g)*g; m_hat = m / bc1; rectified:
    p -= m_hat*lr * (sqrt(bc2) / (sqrt(v) + eps)) * rect, else p -= m_hat*lr."""
    keep1, beta2, keep2, bc1 = consts[0], consts[1], consts[2], consts[3]
    lr, bc2_sqrt, eps, rect = consts[4], consts[5], consts[6], consts[7]
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + keep1 * (gi - m[i])
        m[i] = mi
        vi = v[i] * beta2 + (keep2 * gi) * gi
        v[i] = vi
        step = (mi / bc1) * lr
        if rectified:
            step = (step * (bc2_sqrt / (np.sqrt(vi) + eps))) * rect
        p[i] = p[i] - step


@njit(**_JIT)
def asgd_update(p, g, ax, consts, average):
    """With consts = (decay = 1 - lambd*eta, eta, mu): p = p*decay - eta*g; then
    ax += (p - ax)*mu when `average`, else ax = p."""
    decay, eta, mu = consts[0], consts[1], consts[2]
    for i in range(p.size):
        pi = p[i] * decay - eta * g[i]
        p[i] = pi
        ax[i] = ax[i] + (pi - ax[i]) * mu if average else pi
