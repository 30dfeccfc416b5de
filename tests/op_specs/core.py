"""Specs for the lead's ops: `autograd/ops/{elementwise,reduce,shape,linalg,softmax}.py`."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, logsumexp, softmax

import autograd as ag
from autograd.ops import elementwise as ew
from autograd.ops import shape as sh
from tests.op_specs import Const, OpSpec, S

POS = (0.2, 3.0)  # strictly positive inputs (log, sqrt, power bases)

BROADCAST = [
    S((2, 3), (2, 3), desc="same"),
    S((2, 3), (3,), desc="row"),
    S((2, 1), (1, 3), desc="outer"),
    S((3,), (), desc="scalar-rhs"),
    S((), (2, 3), desc="scalar-lhs"),
]


def _binary(name: str, prim: object, ref: object, **kw: object) -> OpSpec:
    return OpSpec(name, (name,), prim, BROADCAST, ref, **kw)  # type: ignore[arg-type]


def _unary(name: str, prim: object, ref: object, *extra: S, **kw: object) -> OpSpec:
    samples = [S((2, 3)), S(()), S((4,)), *extra]
    return OpSpec(name, (name,), prim, samples, ref, **kw)  # type: ignore[arg-type]


ELEMENTWISE = [
    _binary("add", ew.add, np.add),
    _binary("subtract", ew.subtract, np.subtract),
    _binary("multiply", ew.multiply, np.multiply),
    _binary("divide", ew.divide, np.divide, avoid=(0.0,)),
    _binary("maximum", ew.maximum, np.maximum),
    _binary("minimum", ew.minimum, np.minimum),
    OpSpec(
        "power", ("power",), ew.power,
        [*BROADCAST, S((2, 3), Const(np.array(3.0)), desc="const-int-exponent")],
        np.power, domain=(POS, (-2.0, 2.0)),
    ),
    OpSpec(
        "power-negative-base", ("power",), lambda x: x**3.0,
        [S((2, 3)), S(np.array([-1.5, -0.3, 0.4]), desc="edge")],
        lambda x: x**3.0,
    ),
    OpSpec(
        "where", ("where",), ew.where,
        [
            S(np.array([[True, False, True], [False, True, True]]), (2, 3), (2, 3)),
            S(np.array([True, False, True]), (2, 3), (), desc="broadcast"),
            S(np.array([[True], [False]]), (3,), (2, 1), desc="outer"),
        ],
        np.where,
    ),
    _unary("identity", ew.identity, lambda x: x),
    _unary("negative", ew.negative, np.negative),
    _unary("abs", ew.absolute, np.abs, S(np.array([-2.0, -1e-3, 1e-3, 0.5]), desc="near-0"),
           avoid=(0.0,)),
    _unary("exp", ew.exp, np.exp, S(np.array([-30.0, 0.0, 5.0]), desc="edge")),
    _unary("log", ew.log, np.log, S(np.array([1e-3, 1.0, 50.0]), desc="edge"), domain=POS),
    _unary("log1p", ew.log1p, np.log1p, S(np.array([-0.9, 1e-8, 10.0]), desc="edge"),
           domain=(-0.8, 2.0)),
    _unary("sqrt", ew.sqrt, np.sqrt, S(np.array([1e-2, 1.0, 100.0]), desc="edge"), domain=POS),
    _unary("sin", ew.sin, np.sin),
    _unary("cos", ew.cos, np.cos),
    _unary("tanh", ew.tanh, np.tanh, S(np.array([-8.0, 0.0, 8.0]), desc="edge")),
    _unary("sigmoid", ew.sigmoid, expit, S(np.array([-30.0, 0.0, 30.0]), desc="edge")),
    _unary("softplus", ew.softplus, lambda x: np.logaddexp(0.0, x),
           S(np.array([-30.0, 0.0, 30.0]), desc="edge")),
    _unary("relu", ew.relu, lambda x: np.maximum(x, 0), avoid=(0.0,)),
    OpSpec("leaky_relu", ("leaky_relu",), ew.leaky_relu,
           [S((2, 3)), S((4,), negative_slope=0.2)],
           lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x), avoid=(0.0,)),
    OpSpec("elu", ("elu",), ew.elu, [S((2, 3)), S((4,), alpha=1.5)],
           lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
           avoid=(0.0,)),
    OpSpec("clip", ("clip",), ew.clip,
           [S((2, 3), a_min=-0.5, a_max=0.7), S((4,), a_min=0.3), S((4,), a_max=-0.3)],
           lambda x, a_min=None, a_max=None: np.clip(x, a_min, a_max),
           avoid=(-0.5, 0.7, 0.3, -0.3)),
    OpSpec("astype", ("astype",), ew.astype, [S((2, 3), dtype=np.float64)],
           lambda x, dtype: x.astype(dtype)),
    OpSpec("astype-float32", ("astype",), ew.astype, [S((2, 3), dtype=np.float32)],
           lambda x, dtype: x.astype(dtype), eps=1e-2, atol=1e-3, rtol=1e-2, order=1),
]

AXES = [
    S((2, 3), desc="all"),
    S((2, 3), axis=1, desc="axis1"),
    S((2, 3), axis=-1, keepdims=True, desc="keepdims"),
    S((2, 3, 2), axis=(0, 2), desc="axes02"),
    S((2, 3, 2), axis=(0, 2), keepdims=True, desc="axes02-keep"),
    S((), desc="0d"),
]


def _reduce(name: str, prim: object, ref: object, *extra: S, **kw: object) -> OpSpec:
    return OpSpec(name, (name,), prim, [*AXES, *extra], ref, **kw)  # type: ignore[arg-type]


REDUCE = [
    _reduce("sum", ag.sum, np.sum),
    _reduce("max", ag.max, np.max),
    _reduce("min", ag.min, np.min),
    _reduce("prod", ag.prod, np.prod,
            S(np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 0.7]]), axis=1, desc="one-zero"),
            S(np.array([[0.0, 0.0, -2.0], [0.5, 0.0, 0.7]]), desc="two-zeros")),
    _reduce("logsumexp", ag.logsumexp, logsumexp,
            S(np.array([1000.0, 1000.0, -3.0]), desc="large")),
    _reduce("norm", ag.norm,
            lambda x, axis=None, keepdims=False: np.sqrt(np.sum(x * x, axis=axis,
                                                                keepdims=keepdims)),
            avoid=(0.0,)),
    OpSpec("mean", ("ag.mean",), ag.mean, AXES, np.mean),
    OpSpec("var", ("ag.var",), ag.var, [*AXES[:4], S((2, 3), axis=0, ddof=1, desc="ddof1")],
           np.var),
    OpSpec("std", ("ag.std",), ag.std, [*AXES[:4], S((2, 3), axis=0, ddof=1, desc="ddof1")],
           np.std),
]

SHAPE = [
    OpSpec("reshape", ("reshape",), sh.reshape,
           [S((2, 3), shape=(3, 2)), S((2, 3), shape=(-1,)), S((6,), shape=(1, 6, 1)),
            S((), shape=(1, 1))],
           lambda x, shape: np.reshape(x, shape)),
    OpSpec("transpose", ("transpose",), sh.transpose,
           [S((2, 3)), S((2, 3, 4), axes=(1, 0, 2)), S((2, 3, 4), axes=(-1, 0, 1))],
           lambda x, axes=None: np.transpose(x, axes)),
    OpSpec("broadcast_to", ("broadcast_to",), sh.broadcast_to,
           [S((3,), shape=(2, 3)), S((2, 1), shape=(2, 3)), S((), shape=(2, 2)),
            S((1, 3), shape=(2, 2, 3))],
           lambda x, shape: np.broadcast_to(x, shape)),
    OpSpec("sum_to", ("sum_to",), sh.sum_to,
           [S((2, 3), shape=(3,)), S((2, 3), shape=(2, 1)), S((2, 3), shape=(1, 3)),
            S((2, 3), shape=()), S((2, 3, 4), shape=(3, 1))],
           lambda x, shape: _sum_to(x, shape)),
    OpSpec("getitem", ("getitem",), sh.getitem,
           [S((4, 3), index=(slice(1, 3),), desc="slice"),
            S((4, 3), index=(2, slice(None, None, -1)), desc="int-negstep"),
            S((4, 3), index=(None, Ellipsis, 1), desc="newaxis-ellipsis"),
            S((4, 3), index=np.array([0, 2, 0, 3]), desc="repeated-ints"),
            S((4, 3), index=(np.array([0, 1, 1]), np.array([2, 0, 2])), desc="pairs"),
            S((2, 3), index=np.array([[True, False, True], [False, True, False]]),
              desc="mask")],
           lambda x, index: x[index]),
    OpSpec("index_add_zeros", ("index_add_zeros",), sh.index_add_zeros,
           [S((4, 3), shape=(6, 3), index=np.array([0, 2, 0, 5]), desc="repeated"),
            S((2, 3), shape=(4, 3), index=(slice(1, 3),), desc="slice"),
            S((3,), shape=(2, 3), index=(np.array([1, 0, 1]), np.array([0, 2, 0])),
              desc="pairs")],
           lambda g, shape, index: _add_at(g, shape, index)),
    OpSpec("concatenate", ("concatenate", "ag.concatenate"),
           lambda *xs, axis=0: ag.concatenate(xs, axis=axis),
           [S((2, 3), desc="one"), S((2, 3), (1, 3), axis=0, desc="axis0"),
            S((2, 3), (2, 1), (2, 2), axis=-1, desc="three-last")],
           lambda *xs, axis=0: np.concatenate(xs, axis=axis)),
    OpSpec("pad", ("pad",), sh.pad,
           [S((2, 3), pad_width=((1, 0), (2, 1))), S((3,), pad_width=1, value=0.5),
            S((2, 2, 2), pad_width=((0, 0), (1, 1), (0, 2)))],
           lambda x, pad_width, value=0.0: np.pad(x, pad_width, constant_values=value)),
    OpSpec("expand_dims", ("ag.expand_dims",), ag.expand_dims,
           [S((2, 3), axis=0), S((2, 3), axis=(0, 3)), S((), axis=0)], np.expand_dims),
    OpSpec("squeeze", ("ag.squeeze",), ag.squeeze,
           [S((1, 3, 1)), S((1, 3, 1), axis=2), S((1,))], np.squeeze),
    OpSpec("flatten", ("ag.flatten",), ag.flatten,
           [S((2, 3, 2)), S((2, 3, 2), start_dim=1), S(())],
           lambda x, start_dim=0: x.reshape(x.shape[:start_dim] + (-1,)) if x.ndim
           else x.reshape(1)),
    OpSpec("stack", ("ag.stack",), lambda *xs, axis=0: ag.stack(xs, axis=axis),
           [S((2, 3), (2, 3)), S((3,), (3,), (3,), axis=1), S((), (), desc="scalars")],
           lambda *xs, axis=0: np.stack(xs, axis=axis)),
    OpSpec("split", ("ag.split",), ag.split,
           [S((4, 3), 2), S((4, 3), [1, 2], axis=1), S((6,), 3)],
           lambda x, ind, axis=0: np.split(x, ind, axis=axis)),
]

LINALG = [
    OpSpec("matmul", ("matmul",), ag.matmul,
           [S((3,), (3,), desc="vv"), S((3,), (3, 2), desc="vm"), S((2, 3), (3,), desc="mv"),
            S((2, 3), (3, 4), desc="mm"), S((2, 1, 3, 4), (3, 4, 2), desc="batch-broadcast"),
            S((3, 4), (2, 4, 5), desc="matrix-batch"), S((2, 3, 4), (4,), desc="batch-v")],
           np.matmul),
    OpSpec("linear", ("linear",), ag.linear,
           [S((2, 3), (4, 3), (4,)), S((2, 3), (4, 3), None, desc="nobias"),
            S((2, 2, 3), (4, 3), (4,), desc="3d"), S((3,), (2, 3), (2,), desc="1d")],
           lambda x, w, b: x @ w.T + (0 if b is None else b)),
    OpSpec("softmax", ("softmax",), ag.softmax,
           [S((2, 3)), S((2, 3, 2), axis=1), S((4,), axis=0),
            S(np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]]), desc="extreme")],
           lambda x, axis=-1: softmax(x, axis=axis)),
    OpSpec("log_softmax", ("log_softmax",), ag.log_softmax,
           [S((2, 3)), S((2, 3, 2), axis=0), S((4,), axis=-1),
            S(np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]]), desc="extreme")],
           lambda x, axis=-1: log_softmax(x, axis=axis)),
]


def _sum_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


def _add_at(g: np.ndarray, shape: tuple[int, ...], index: object) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


SPECS = [*ELEMENTWISE, *REDUCE, *SHAPE, *LINALG]
