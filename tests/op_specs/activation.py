"""Specs for the activations of `autograd/ops/activation.py` and their `nn.functional` twins.

Random samples keep 0.1 away from every kink (`avoid`); edge samples hold large |x| and
points just beside the kinks. The exact-kink subgradients are compared with PyTorch in
tests/autograd/test_activation_vs_torch.py.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

import autograd as ag
import nn.functional as F
from autograd.ops import activation as act
from tests.op_specs import OpSpec, S

BIG = np.array([-30.0, -5.0, 0.3, 5.0, 30.0])


def _sig(x: np.ndarray) -> np.ndarray:
    return special.expit(x)


def _softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    return np.where(x * beta > threshold, x, np.logaddexp(0.0, beta * x) / beta)


def _gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return x * 0.5 * (1 + special.erf(x / math.sqrt(2)))


def _elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _selu(x: np.ndarray) -> np.ndarray:
    return 1.0507009873554804934193349852946 * _elu(x, 1.6732632423543772848170429916717)


def _celu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.maximum(0, x) + np.minimum(0, alpha * np.expm1(np.minimum(x, 0) / alpha))


def _hardtanh(x: np.ndarray, min_val: float = -1.0, max_val: float = 1.0) -> np.ndarray:
    return np.clip(x, min_val, max_val)


def _hardsigmoid(x: np.ndarray) -> np.ndarray:
    return np.clip(x / 6 + 0.5, 0, 1)


def _softshrink(x: np.ndarray, lambd: float = 0.5) -> np.ndarray:
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


def _prelu(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    wb = w.reshape((-1,) + (1,) * (x.ndim - 2)) if w.size > 1 else w
    return np.where(x > 0, x, wb * x)


def _glu(x: np.ndarray, dim: int = -1) -> np.ndarray:
    a, b = np.split(x, 2, axis=dim)
    return a * _sig(b)


def _rrelu_train(x: np.ndarray, lower: float = 0.125, upper: float = 1 / 3,
                 training: bool = False) -> np.ndarray:
    ag.manual_seed(7)
    slopes = ag.get_generator().uniform(lower, upper, x.shape)
    return np.where(x >= 0, x, x * slopes)


def _rrelu_seeded(x: ag.Tensor, **kw: object) -> ag.Tensor:
    ag.manual_seed(7)  # the same slopes on every call, so finite differences are meaningful
    return act.rrelu(x, **kw)


def _pair(name: str, fn: object, ffn: object, ref: object, samples: list, **kw: object) -> list:
    """One spec for the ag/activation function and one for its nn.functional twin."""
    return [
        OpSpec(name, (f"act.{name}",), fn, samples, ref, **kw),  # type: ignore[arg-type]
        OpSpec(f"F.{name}", (f"F.{name}",), ffn, samples[:2], ref, **kw),  # type: ignore[arg-type]
    ]


UNARY = [S((2, 3)), S((4,)), S(BIG, desc="large")]

SPECS = [
    OpSpec("erf", ("erf", "ag.erf"), ag.erf,
           [S((2, 3)), S(()), S(np.array([-6.0, -1e-3, 1e-3, 6.0]), desc="edge")], special.erf),
    OpSpec("erfc", ("erfc", "ag.erfc"), ag.erfc,
           [S((2, 3)), S(np.array([-6.0, 0.0, 4.0, 10.0]), desc="tail")], special.erfc),
    OpSpec("erfinv", ("erfinv", "ag.erfinv"), ag.erfinv,
           [S((2, 3)), S(np.array([-0.999, -1e-4, 0.0, 0.99]), desc="edge")], special.erfinv,
           domain=(-0.9, 0.9)),
    *_pair("gelu", act.gelu, F.gelu, _gelu,
           [S((2, 3)), S((4,), approximate="tanh"), S(BIG, desc="large"),
            S(BIG, approximate="tanh", desc="large-tanh")]),
    *_pair("silu", act.silu, F.silu, lambda x: x * _sig(x), UNARY),
    *_pair("mish", act.mish, F.mish, lambda x: x * np.tanh(np.logaddexp(0, x)), UNARY),
    *_pair("softplus", act.softplus, F.softplus, _softplus,
           [S((2, 3)), S((4,), beta=2.0, threshold=1.0), S(BIG, desc="large"),
            S(np.array([0.4, 0.6, -3.0]), beta=2.0, threshold=1.0, desc="beside-threshold")],
           avoid=(0.5,)),
    *_pair("logsigmoid", act.logsigmoid, F.logsigmoid, lambda x: -np.logaddexp(0, -x),
           [*UNARY, S(np.array([-200.0, 200.0]), desc="huge")]),
    *_pair("softsign", act.softsign, F.softsign, lambda x: x / (1 + np.abs(x)), UNARY,
           avoid=(0.0,)),
    *_pair("tanhshrink", act.tanhshrink, F.tanhshrink, lambda x: x - np.tanh(x), UNARY),
    OpSpec("selu", ("ag.selu",), ag.selu, UNARY, _selu, avoid=(0.0,)),
    OpSpec("F.selu", ("F.selu",), F.selu, UNARY[:1], _selu, avoid=(0.0,)),
    OpSpec("celu", ("ag.celu",), ag.celu, [*UNARY, S((4,), alpha=2.0)], _celu, avoid=(0.0,)),
    OpSpec("F.celu", ("F.celu",), F.celu, [S((4,), alpha=0.5)], _celu, avoid=(0.0,)),
    OpSpec("F.elu", ("F.elu",), F.elu, [S((2, 3)), S((4,), alpha=0.5)], _elu, avoid=(0.0,)),
    OpSpec("F.leaky_relu", ("F.leaky_relu",), F.leaky_relu, [S((4,), negative_slope=0.2)],
           lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
           avoid=(0.0,)),
    OpSpec("F.relu", ("F.relu",), F.relu, [S((2, 3))], lambda x: np.maximum(x, 0),
           avoid=(0.0,)),
    *_pair("hardtanh", act.hardtanh, F.hardtanh, _hardtanh,
           [S((2, 3)), S((4,), min_val=-0.5, max_val=1.5),
            S(np.array([-1.05, -0.95, 0.95, 1.05, 3.0]), desc="beside-bounds")],
           avoid=(-1.0, 1.0, -0.5, 1.5), domain=(-3.0, 3.0)),
    *_pair("relu6", act.relu6, F.relu6, lambda x: np.clip(x, 0, 6),
           [S((2, 3)), S((4,)), S(np.array([-1.0, 0.05, 5.95, 6.05, 9.0]), desc="beside")],
           avoid=(0.0, 6.0), domain=(-2.0, 8.0)),
    *_pair("hardsigmoid", act.hardsigmoid, F.hardsigmoid, _hardsigmoid,
           [S((2, 3)), S((4,)), S(np.array([-3.05, -2.95, 2.95, 3.05]), desc="beside")],
           avoid=(-3.0, 3.0), domain=(-5.0, 5.0)),
    *_pair("hardswish", act.hardswish, F.hardswish, lambda x: x * _hardsigmoid(x),
           [S((2, 3)), S((4,)), S(np.array([-3.05, -2.95, 2.95, 3.05]), desc="beside")],
           avoid=(-3.0, 3.0), domain=(-5.0, 5.0)),
    *_pair("softshrink", act.softshrink, F.softshrink, _softshrink,
           [S((2, 3)), S((4,), lambd=1.0), S(np.array([-0.55, -0.45, 0.45, 0.55]), desc="b")],
           avoid=(-0.5, 0.5, -1.0, 1.0)),
    OpSpec("hardshrink", ("ag.hardshrink",), ag.hardshrink,
           [S((2, 3)), S((4,), lambd=1.0), S(np.array([-0.55, -0.45, 0.45, 0.55]), desc="b")],
           lambda x, lambd=0.5: np.where(np.abs(x) > lambd, x, 0.0),
           avoid=(-0.5, 0.5, -1.0, 1.0)),
    OpSpec("F.hardshrink", ("F.hardshrink",), F.hardshrink, [S((2, 3))],
           lambda x: np.where(np.abs(x) > 0.5, x, 0.0), avoid=(-0.5, 0.5)),
    OpSpec("threshold", ("ag.threshold",), ag.threshold,
           [S((2, 3), threshold=0.3, value=-1.0),
            S(np.array([0.25, 0.35, 5.0]), threshold=0.3, value=2.0, desc="beside")],
           lambda x, threshold, value: np.where(x > threshold, x, value), avoid=(0.3,)),
    OpSpec("F.threshold", ("F.threshold",), F.threshold, [S((2, 3), threshold=0.3, value=-1.0)],
           lambda x, threshold, value: np.where(x > threshold, x, value), avoid=(0.3,)),
    OpSpec("prelu", ("ag.prelu",), ag.prelu,
           [S((2, 3, 4), (3,), desc="per-channel"), S((2, 3), (1,), desc="shared"),
            S((5,), (1,), desc="1d")],
           _prelu, avoid=(0.0,), domain=((-2.0, 2.0), (0.05, 0.5))),
    OpSpec("F.prelu", ("F.prelu",), F.prelu, [S((2, 3, 2, 2), (3,))], _prelu, avoid=(0.0,),
           domain=((-2.0, 2.0), (0.05, 0.5))),
    OpSpec("rrelu-eval", ("ag.rrelu",), ag.rrelu, [S((2, 3)), S((4,), lower=0.1, upper=0.3)],
           lambda x, lower=0.125, upper=1 / 3: np.where(x > 0, x, x * (lower + upper) / 2),
           avoid=(0.0,)),
    OpSpec("rrelu-train", ("ag.rrelu",), _rrelu_seeded, [S((2, 3), training=True)],
           _rrelu_train, avoid=(0.0,)),
    OpSpec("F.rrelu", ("F.rrelu",), F.rrelu, [S((2, 3))],
           lambda x: np.where(x > 0, x, x * (0.125 + 1 / 3) / 2), avoid=(0.0,)),
    *_pair("glu", act.glu, F.glu, _glu, [S((2, 4)), S((4, 3), dim=0), S((2, 6, 1), dim=1)]),
    *_pair("softmin", act.softmin, F.softmin, lambda x, dim=-1: special.softmax(-x, axis=dim),
           [S((2, 3), dim=1), S((3, 2), dim=0)]),
]
