"""Specs for the math area: elementwise math, reductions, scans, sorting and selection.

Modules: autograd/ops/{mathfuncs,reduce,cumulative,sorting,select,softmax}.py.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

import autograd as ag
from autograd.ops import cumulative as cu
from autograd.ops import elementwise as ew
from autograd.ops import mathfuncs as mf
from autograd.ops import reduce as rd
from autograd.ops import select as se
from autograd.ops import sorting as so
from tests.op_specs import Const, OpSpec, S
from tests.op_specs.core import BROADCAST, POS

INTS = (-2.0, -1.0, 0.0, 1.0, 2.0)
HALVES = (-1.5, -0.5, 0.5, 1.5)


def _unary(name: str, prim: object, ref: object, *extra: S, **kw: object) -> OpSpec:
    samples = [S((2, 3)), S(()), S((4,)), *extra]
    return OpSpec(name, (name,), prim, samples, ref, **kw)  # type: ignore[arg-type]


def _binary(name: str, prim: object, ref: object, *extra: S, **kw: object) -> OpSpec:
    return OpSpec(name, (name,), prim, [*BROADCAST, *extra], ref, **kw)  # type: ignore[arg-type]


UNARY = [
    _unary("rsqrt", mf.rsqrt, lambda x: 1 / np.sqrt(x), S(np.array([1e-2, 1.0, 50.0])),
           domain=POS),
    _unary("log2", mf.log2, np.log2, S(np.array([1e-3, 1.0, 64.0])), domain=POS),
    _unary("log10", mf.log10, np.log10, S(np.array([1e-3, 1.0, 100.0])), domain=POS),
    _unary("expm1", mf.expm1, np.expm1, S(np.array([-30.0, 1e-9, 5.0]), desc="edge")),
    _unary("exp2", mf.exp2, np.exp2, S(np.array([-30.0, 0.0, 10.0]), desc="edge")),
    _unary("reciprocal", mf.reciprocal, np.reciprocal, S(np.array([-3.0, -0.2, 0.2, 4.0])),
           avoid=(0.0,)),
    _unary("square", mf.square, np.square),
    _unary("tan", mf.tan, np.tan, domain=(-1.2, 1.2)),
    _unary("asin", mf.asin, np.arcsin, S(np.array([-0.95, 0.0, 0.95])), domain=(-0.9, 0.9)),
    _unary("acos", mf.acos, np.arccos, S(np.array([-0.95, 0.0, 0.95])), domain=(-0.9, 0.9)),
    _unary("atan", mf.atan, np.arctan, S(np.array([-50.0, 0.0, 50.0]), desc="edge")),
    _unary("sinh", mf.sinh, np.sinh),
    _unary("cosh", mf.cosh, np.cosh),
    _unary("asinh", mf.asinh, np.arcsinh, S(np.array([-50.0, 0.0, 50.0]), desc="edge")),
    _unary("acosh", mf.acosh, np.arccosh, S(np.array([1.1, 2.0, 50.0]), desc="edge"),
           domain=(1.2, 3.0)),
    _unary("atanh", mf.atanh, np.arctanh, S(np.array([-0.95, 0.0, 0.95])), domain=(-0.9, 0.9)),
    _unary("sign", ew.sign, np.sign, S(np.array([-2.0, 0.5, 3.0])), avoid=(0.0,)),
    _unary("floor", mf.floor, np.floor, avoid=INTS),
    _unary("ceil", mf.ceil, np.ceil, avoid=INTS),
    _unary("trunc", mf.trunc, np.trunc, avoid=INTS),
    _unary("frac", mf.frac, lambda x: x - np.trunc(x), S(np.array([-1.7, -0.3, 0.3, 2.6])),
           avoid=INTS),
    OpSpec("round", ("round",), mf.round,
           [S((2, 3)), S(()), S(np.array([-1.26, 0.04, 0.73]), decimals=1, desc="decimals")],
           lambda x, decimals=0: np.round(x, decimals), avoid=HALVES),
    OpSpec("nan_to_num", ("nan_to_num",), mf.nan_to_num,
           [S((2, 3)), S(np.array([np.nan, np.inf, -np.inf, 1.5]), desc="nonfinite"),
            S(np.array([np.nan, np.inf, -np.inf, 1.5]), nan=1.0, posinf=9.0, neginf=-9.0,
              desc="values")],
           lambda x, nan=0.0, posinf=None, neginf=None: np.nan_to_num(
               x, nan=nan, posinf=posinf, neginf=neginf)),
]

BINARY = [
    _binary("atan2", mf.atan2, np.arctan2, avoid=(0.0,)),
    _binary("hypot", mf.hypot, np.hypot, avoid=(0.0,)),
    _binary("logaddexp", mf.logaddexp, np.logaddexp,
            S(np.array([1000.0, -1000.0, 0.0]), np.array([999.0, -1000.0, -800.0]),
              desc="extreme")),
    _binary("copysign", mf.copysign, np.copysign, avoid=(0.0,)),
    OpSpec("fmod", ("fmod",), mf.fmod,
           [S((2, 3), (2, 3)), S((2, 3), (3,), desc="row"),
            S(np.array([-3.7, -1.2, 2.5, 4.1]), np.array([1.5, -1.5, -0.7, 0.9]), desc="signs")],
           np.fmod, domain=((-3.0, 3.0), (0.6, 2.0))),
    OpSpec("remainder", ("remainder",), mf.remainder,
           [S((2, 3), (2, 3)), S((2, 3), (3,), desc="row"),
            S(np.array([-3.7, -1.2, 2.5, 4.1]), np.array([1.5, -1.5, -0.7, 0.9]), desc="signs")],
           np.remainder, domain=((-3.0, 3.0), (0.6, 2.0))),
    OpSpec("lerp", ("ag.lerp",), ag.lerp,
           [S((2, 3), (2, 3), (2, 3)), S((3,), (2, 3), Const(np.array(0.3)), desc="scalar-w"),
            S((2, 1), (3,), (2, 3), desc="broadcast")],
           lambda a, b, w: a + w * (b - a)),
    OpSpec("allclose", ("ag.allclose",),
           lambda x: x * float(ag.allclose(x, x + 1e-9)) + x * float(ag.allclose(x, x + 1.0)),
           [S((2, 3))], lambda x: x),
]

AXES = [
    S((2, 3), desc="all"),
    S((2, 3), 1, desc="dim1-positional"),
    S((2, 3), dim=-1, keepdim=True, desc="keepdim"),
    S((2, 3, 2), dim=(0, 2), desc="dims02"),
    S((), dim=0, desc="0d-dim0"),
    S((), dim=-1, desc="0d-dim-1"),
]

NANS = np.array([[1.5, np.nan, -0.5], [np.nan, np.nan, 2.0]])


def _var_ref(x: np.ndarray, dim: object = None, correction: int = 1, keepdim: bool = False,
             sqrt: bool = False) -> np.ndarray:
    axis = tuple(dim) if isinstance(dim, tuple) else dim
    v = np.var(x, axis=axis, ddof=correction, keepdims=keepdim)
    return np.sqrt(v) if sqrt else v


REDUCE = [
    OpSpec("sum-torch", ("sum",), ag.sum, AXES, lambda x, *a, dim=None, keepdim=False:
           np.sum(x, axis=a[0] if a else dim, keepdims=keepdim) if np.ndim(x) else x),
    OpSpec("nansum", ("nansum",), rd.nansum,
           [S((2, 3)), S((2, 3), dim=1), S(NANS, desc="nan"), S(NANS, dim=0, desc="nan-dim0")],
           lambda x, dim=None: np.nansum(x, axis=dim)),
    OpSpec("nanmean", ("ag.nanmean",), ag.nanmean,
           [S((2, 3)), S(NANS, desc="nan"), S(NANS, dim=1, keepdim=True, desc="nan-dim1")],
           lambda x, dim=None, keepdim=False: np.nanmean(x, axis=dim, keepdims=keepdim)),
    OpSpec("var-torch", ("ag.var",), ag.var,
           [S((2, 3), dim=1), S((2, 3), dim=(0, 1), keepdim=True), S((2, 3), 0, correction=0),
            S((4,), unbiased=False)],
           lambda x, *a, dim=None, keepdim=False, correction=1, unbiased=True: _var_ref(
               x, a[0] if a else dim, correction if unbiased else 0, keepdim)),
    OpSpec("std-torch", ("ag.std", "safe_sqrt"), ag.std,
           [S((2, 3), dim=1), S((3, 2), dim=0, keepdim=True), S((2, 3), correction=0)],
           lambda x, dim=None, keepdim=False, correction=1: _var_ref(
               x, dim, correction, keepdim, sqrt=True)),
    OpSpec("std-constant", ("ag.std", "safe_sqrt"), ag.std,
           [S(np.full((2, 3), 0.7), dim=1, desc="constant"), S(np.full(4, -1.0))],
           lambda x, dim=None: np.std(x, axis=dim, ddof=1), order=1,
           eps=1e-7),  # not the default step: a per-op check would take sqrt(-eps) at 0
    OpSpec("var_mean", ("ag.var_mean",), ag.var_mean,
           [S((2, 3)), S((2, 3), 1), S((2, 3), dim=0, correction=0, keepdim=True)],
           lambda x, dim=None, correction=1, keepdim=False: (
               np.var(x, axis=dim, ddof=correction, keepdims=keepdim),
               np.mean(x, axis=dim, keepdims=keepdim))),
    OpSpec("std_mean", ("ag.std_mean",), ag.std_mean,
           [S((2, 3)), S((2, 3), 1, unbiased=False)],
           lambda x, dim=None, unbiased=True: (
               np.std(x, axis=dim, ddof=int(unbiased)), np.mean(x, axis=dim))),
    OpSpec("max-dim", ("ag.max", "select_along"), lambda x, *a, **k: ag.max(x, *a, **k).values,
           [S((2, 3), 1), S((2, 3), dim=0, keepdim=True), S((), 0, desc="0d")],
           lambda x, dim, keepdim=False: np.max(x, axis=dim, keepdims=keepdim)
           if np.ndim(x) else x),
    OpSpec("min-dim", ("ag.min", "select_along"), lambda x, *a, **k: ag.min(x, *a, **k).values,
           [S((2, 3), 1), S((2, 3), dim=-1, keepdim=True)],
           lambda x, dim, keepdim=False: np.min(x, axis=dim, keepdims=keepdim)),
    OpSpec("max-elementwise", ("ag.max", "ag.min", "maximum", "minimum"),
           lambda x, y: ag.max(x, y) + ag.min(x, y) * 2.0,
           [S((2, 3), (3,)), S((2, 1), (1, 3))],
           lambda x, y: np.maximum(x, y) + 2.0 * np.minimum(x, y)),
    OpSpec("amax", ("ag.amax", "max"), ag.amax,
           [S((2, 3)), S((2, 3, 2), dim=(0, 2)), S((2, 3), 1, True)],
           lambda x, dim=None, keepdim=False: np.max(x, axis=dim, keepdims=keepdim)),
    OpSpec("amax-ties", ("ag.amax", "max"), ag.amax,  # ties share the gradient (a kink)
           [S(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]]), dim=1, desc="ties")],
           lambda x, dim=None: np.max(x, axis=dim), order=1),
    OpSpec("amin", ("ag.amin", "min"), ag.amin,
           [S((2, 3)), S((2, 3, 2), dim=(0, 1), keepdim=True)],
           lambda x, dim=None, keepdim=False: np.min(x, axis=dim, keepdims=keepdim)),
    OpSpec("aminmax", ("ag.aminmax",), ag.aminmax, [S((2, 3)), S((2, 3), dim=1)],
           lambda x, dim=None: (np.min(x, axis=dim), np.max(x, axis=dim))),
    OpSpec("prod-torch", ("prod",), ag.prod, [S((2, 3), 1), S((), dim=0)],
           lambda x, *a, dim=None: np.prod(x, axis=a[0] if a else dim) if np.ndim(x) else x),
    OpSpec("logsumexp-torch", ("logsumexp",), ag.logsumexp,
           [S((2, 3), 1), S((2, 3), dim=(0, 1), keepdim=True), S((), 0, desc="0d")],
           lambda x, *a, dim=None, keepdim=False: logsumexp(
               x, axis=a[0] if a else dim, keepdims=keepdim) if np.ndim(x) else x),
    OpSpec("softmax-torch", ("softmax", "log_softmax"),
           lambda x, *a, **k: ag.softmax(x, *a, **k) + ag.log_softmax(x, *a, **k),
           [S((2, 3), 0), S((2, 3), dim=1), S((), 0, desc="0d"), S((), dim=-1, desc="0d-neg")],
           lambda x, *a, dim=None: _softmax_ref(x, a[0] if a else dim)),
]


def _softmax_ref(x: np.ndarray, dim: int) -> np.ndarray:
    if np.ndim(x) == 0:
        return np.asarray(1.0)
    from scipy.special import log_softmax, softmax

    return softmax(x, axis=dim) + log_softmax(x, axis=dim)


CUMULATIVE = [
    OpSpec("cumsum", ("cumsum",), cu.cumsum,
           [S((2, 3), 1), S((2, 3), dim=0), S((4,)), S((2, 3)), S((), 0, desc="0d")],
           lambda x, *a, dim=None: np.cumsum(x, axis=a[0] if a else dim) if np.ndim(x) else x),
    OpSpec("cumprod", ("cumprod",), cu.cumprod,
           [S((2, 3), 1), S((3, 2), dim=0), S((4,)),
            S(np.array([[1.5, 0.0, -2.0, 0.7], [0.5, 1.2, 0.0, 0.0]]), 1, desc="zeros"),
            S(np.array([0.0, 2.0, 3.0]), desc="flat-zero"), S((), 0, desc="0d")],
           lambda x, *a, dim=None: np.cumprod(x, axis=a[0] if a else dim) if np.ndim(x) else x),
    OpSpec("logcumsumexp", ("logcumsumexp",), cu.logcumsumexp,
           [S((2, 3), 1), S((3, 2), dim=0), S((4,)),
            S(np.array([-1000.0, 0.0, 1000.0, -5.0]), 0, desc="spread"), S((), 0, desc="0d")],
           lambda x, *a, dim=None: np.logaddexp.accumulate(x, axis=a[0] if a else dim)
           if np.ndim(x) else x),
    OpSpec("cummax", ("ag.cummax", "select_along"), lambda x, d: ag.cummax(x, d).values,
           [S((2, 4), 1), S((3, 2), 0), S((), 0, desc="0d")],
           lambda x, d: np.maximum.accumulate(x, axis=d) if np.ndim(x) else x),
    OpSpec("cummin", ("ag.cummin", "select_along"), lambda x, d: ag.cummin(x, d).values,
           [S((2, 4), 1), S((3, 2), 0)],
           lambda x, d: np.minimum.accumulate(x, axis=d)),
    OpSpec("diff", ("ag.diff",), ag.diff,
           [S((2, 4)), S((5,), 2), S((3, 2), 1, 0, desc="dim0"),
            S((2, 3), 1, -1, (2, 1), (2, 2), desc="prepend-append")],
           lambda x, n=1, dim=-1, prepend=None, append=None: np.diff(
               x, n, axis=dim, **({} if prepend is None else {"prepend": prepend}),
               **({} if append is None else {"append": append}))),
]

SORTING = [
    OpSpec("sort", ("ag.sort", "select_along"),
           lambda x, *a, **k: ag.sort(x, *a, **k).values,
           [S((2, 4)), S((3, 2), 0), S((2, 4), dim=1, descending=True), S((), desc="0d")],
           lambda x, dim=-1, descending=False: (-np.sort(-x, axis=dim) if descending
                                                else np.sort(x, axis=dim)) if np.ndim(x) else x),
    OpSpec("argsort", ("ag.argsort",), lambda x: x[ag.argsort(x).data],
           [S((5,)), S(np.array([2.0, -1.0, 0.5]))], np.sort),
    OpSpec("msort", ("ag.msort",), ag.msort, [S((3, 2))], lambda x: np.sort(x, axis=0)),
    OpSpec("topk", ("ag.topk", "select_along"),
           lambda x, *a, **k: ag.topk(x, *a, **k).values,
           [S((2, 5), 2), S((4, 3), 3, 0), S((2, 5), 2, largest=False)],
           lambda x, k, dim=-1, largest=True: np.take(
               -np.sort(-x, axis=dim) if largest else np.sort(x, axis=dim), range(k), axis=dim)),
    OpSpec("kthvalue", ("ag.kthvalue", "select_along"),
           lambda x, *a, **k: ag.kthvalue(x, *a, **k).values,
           [S((2, 5), 2), S((4, 3), 1, 0, True)],
           lambda x, k, dim=-1, keepdim=False: _take_sorted(x, k - 1, dim, keepdim)),
    OpSpec("median", ("ag.median", "median_all"), ag.median, [S((2, 3)), S((4,)), S(())],
           lambda x: _lower_median(x, None, False)),
    OpSpec("median-ties", ("ag.median", "median_all"), ag.median,  # ties share (a kink)
           [S(np.array([[1.0, 2.0, 2.0], [2.0, 3.0, 0.0]]))],
           lambda x: _lower_median(x, None, False), order=1),
    OpSpec("median-dim", ("ag.median", "select_along"),
           lambda x, *a, **k: ag.median(x, *a, **k).values,
           [S((2, 4), 1), S((4, 3), dim=0, keepdim=True)],
           lambda x, dim=None, keepdim=False: _lower_median(x, dim, keepdim)),
    OpSpec("mode", ("select_along",),
           lambda x, *a, **k: so.mode(x, *a, **k).values,  # torch.mode is x.mode() here
           [S((2, 4)), S((3, 2), 0)],
           lambda x, dim=-1: np.min(x, axis=dim)),  # all distinct: the smallest is the mode
    OpSpec("scatter_along", ("scatter_along",),
           lambda g: se.scatter_along(g, shape=(2, 4), index=np.array([[3, 0], [1, 1]]), axis=1),
           [S((2, 2))],
           lambda g: _scatter_ref(g)),
    OpSpec("pick", ("pick",), se.pick,
           [S((4, 3), index=np.array([0, 2, 1, 2])), S((2, 5), index=np.array([-1, 4]),
                                                        desc="negative")],
           lambda x, index: x[np.arange(x.shape[0]), index]),
    OpSpec("unpick", ("unpick",), se.unpick,
           [S((4,), index=np.array([0, 2, 1, 2]), columns=3)],
           lambda g, index, columns: _unpick_ref(g, index, columns)),
]


def _take_sorted(x: np.ndarray, pos: int, dim: int, keepdim: bool) -> np.ndarray:
    """Element `pos` of `x` sorted along `dim` (kept as a size-1 dim when keepdim)."""
    out = np.take(np.sort(x, axis=dim), [pos], axis=dim)
    return out if keepdim else out.squeeze(axis=dim)


def _lower_median(x: np.ndarray, dim: int | None, keepdim: bool) -> np.ndarray:
    if dim is None:
        return np.sort(x.reshape(-1))[(x.size - 1) // 2]
    return _take_sorted(x, (x.shape[dim] - 1) // 2, dim, keepdim)


def _scatter_ref(g: np.ndarray) -> np.ndarray:
    out = np.zeros((2, 4))
    out[0, 3] += g[0, 0]
    out[0, 0] += g[0, 1]
    out[1, 1] += g[1, 0] + g[1, 1]
    return out


def _unpick_ref(g: np.ndarray, index: np.ndarray, columns: int) -> np.ndarray:
    out = np.zeros((g.shape[0], columns))
    out[np.arange(g.shape[0]), index] = g
    return out


SPECS = [*UNARY, *BINARY, *REDUCE, *CUMULATIVE, *SORTING]
