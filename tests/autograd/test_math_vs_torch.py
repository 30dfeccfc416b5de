"""Elementwise math against PyTorch: values and gradients, broadcasting, edge values, dtypes.

Also the wrong answers of issue 12 / issue 14 case 3 (power gradients at 0 and for negative
bases, bitwise operators on integers), each checked against what PyTorch gives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.autograd.torch_compare` is imported from the repo root
    sys.path.insert(0, str(ROOT))

import autograd as ag  # noqa: E402
from tests.autograd.torch_compare import compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

RNG = np.random.default_rng(12)


def uniform(lo: float, hi: float, shape: tuple[int, ...]) -> np.ndarray:
    return RNG.uniform(lo, hi, shape)


UNARY = {  # name: (lo, hi, edge values)
    "rsqrt": (0.1, 3.0, [1e-3, 1.0, 1e4]),
    "log2": (0.1, 3.0, [1e-3, 1.0, 1e4]),
    "log10": (0.1, 3.0, [1e-3, 1.0, 1e4]),
    "log1p": (-0.9, 3.0, [-0.999, 1e-10, 1e4]),
    "expm1": (-3.0, 3.0, [-50.0, 1e-10, 20.0]),
    "exp2": (-3.0, 3.0, [-50.0, 0.0, 20.0]),
    "tan": (-1.2, 1.2, [-1.5, 0.0, 1.5]),
    "asin": (-0.9, 0.9, [-0.999, 0.0, 0.999]),
    "acos": (-0.9, 0.9, [-0.999, 0.0, 0.999]),
    "atan": (-3.0, 3.0, [-1e6, 0.0, 1e6]),
    "sinh": (-3.0, 3.0, [-20.0, 0.0, 20.0]),
    "cosh": (-3.0, 3.0, [-20.0, 0.0, 20.0]),
    "asinh": (-3.0, 3.0, [-1e6, 0.0, 1e6]),
    "acosh": (1.1, 4.0, [1.0001, 2.0, 1e6]),
    "atanh": (-0.9, 0.9, [-0.999, 0.0, 0.999]),
    "reciprocal": (0.2, 3.0, [-1e-3, -5.0, 1e3]),
    "square": (-3.0, 3.0, [-1e3, 0.0, 1e3]),
    "sign": (-3.0, 3.0, [-1.0, 0.0, 2.0]),
    "frac": (-3.0, 3.0, [-2.5, -0.0, 1.25]),
    "floor": (-3.0, 3.0, [-2.5, -0.5, 2.0]),
    "ceil": (-3.0, 3.0, [-2.5, -0.5, 2.0]),
    "trunc": (-3.0, 3.0, [-2.5, -0.5, 2.0]),
    "round": (-3.0, 3.0, [-2.5, -0.5, 0.5, 1.5, 2.5]),
    "exp": (-3.0, 3.0, [-50.0, 0.0, 20.0]),
    "sqrt": (0.1, 3.0, [1e-6, 1.0, 1e4]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(2, 3), (), (5,)])
def test_unary_matches_torch(name: str, shape: tuple[int, ...]) -> None:
    lo, hi, _ = UNARY[name]
    compare(getattr(ag, name), getattr(torch, name), uniform(lo, hi, shape))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_edge_values_and_methods(name: str) -> None:
    edge = np.array(UNARY[name][2])
    compare(lambda x: getattr(x, name)(), lambda t: getattr(t, name)(), edge)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "rsqrt",
                                  "log2", "log10", "log1p", "expm1", "exp2", "tan", "asin",
                                  "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
                                  "reciprocal"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_float_valued_unary_of_ints_is_default_float(name: str, dtype: str) -> None:
    a = np.array([0, 1, 2]).astype(dtype)
    got = getattr(ag.Tensor(a), name)()
    want = getattr(torch.tensor(a), name)()
    assert got.dtype == np.float32 and want.dtype == torch.float32
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-6, equal_nan=True)


def test_rounding_keeps_integer_dtypes_and_square_too() -> None:
    a = np.array([-3, 0, 7], dtype=np.int32)
    for name in ("floor", "ceil", "trunc", "round", "square"):
        got, want = getattr(ag.Tensor(a), name)(), getattr(torch.tensor(a), name)()
        assert got.dtype == np.int32 and want.dtype == torch.int32
        np.testing.assert_array_equal(got.data, want.numpy())


def test_round_decimals() -> None:
    x = np.array([1.2345, -2.5551, 0.125, 1234.5])
    for d in (0, 1, 2, -1):
        compare(lambda t, d=d: ag.round(t, decimals=d), lambda t, d=d: torch.round(t, decimals=d),
                x)


BINARY = ["atan2", "hypot", "logaddexp", "copysign", "fmod", "remainder"]
SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((3,), ()), ((), (2, 3))]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("sx", "sy"), SHAPES)
def test_binary_matches_torch_with_broadcasting(name: str, sx: Any, sy: Any) -> None:
    x = uniform(-3.0, 3.0, sx)
    y = uniform(0.5, 2.0, sy) * np.where(uniform(0, 1, sy) > 0.5, 1, -1)
    compare(getattr(ag, name), getattr(torch, name), x, y)


def test_binary_edge_values() -> None:
    x = np.array([1000.0, -1000.0, 0.0, -5.5, 5.5, -0.0])
    y = np.array([999.0, -1000.0, -800.0, 2.0, -2.0, 3.0])
    for name in ("logaddexp", "fmod", "remainder", "copysign"):
        compare(getattr(ag, name), getattr(torch, name), x, y)
    compare(ag.hypot, torch.hypot, np.array([3.0, 1e200, -4.0]), np.array([4.0, 1e200, 0.0]))
    compare(ag.atan2, torch.atan2, np.array([1.0, -1.0, 0.0, 2.0]),
            np.array([-1.0, -1.0, 1.0, 0.0]))


def test_fmod_and_remainder_signs_as_torch() -> None:
    x, y = np.array([-7.0, 7.0, -7.0, 7.0]), np.array([3.0, -3.0, -3.0, 3.0])
    np.testing.assert_array_equal(ag.fmod(ag.Tensor(x), ag.Tensor(y)).data, [-1, 1, -1, 1])
    np.testing.assert_array_equal(ag.remainder(ag.Tensor(x), ag.Tensor(y)).data, [2, -2, -1, 1])
    np.testing.assert_array_equal((ag.Tensor(x) % 3.0).data, torch.tensor(x).remainder(3).numpy())
    np.testing.assert_array_equal((ag.Tensor(x) // -2.0).data, (torch.tensor(x) // -2.0).numpy())
    a = np.array([7, -7], dtype=np.int64)
    np.testing.assert_array_equal(ag.floor_divide(ag.Tensor(a), ag.Tensor(np.array(2))).data,
                                  torch.floor_divide(torch.tensor(a), 2).numpy())


def test_lerp_matches_torch() -> None:
    a, b, w = uniform(-1, 1, (2, 3)), uniform(-1, 1, (3,)), uniform(0, 1, (2, 1))
    compare(ag.lerp, torch.lerp, a, b, w)
    compare(lambda s, e: s.lerp(e, 0.25), lambda s, e: s.lerp(e, 0.25), a, b)


def test_tests_and_cleaning_match_torch() -> None:
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
        np.testing.assert_array_equal(getattr(ag.Tensor(x), name)().data,
                                      getattr(torch.tensor(x), name)().numpy())
    compare(ag.nan_to_num, torch.nan_to_num, x)
    compare(lambda t: t.nan_to_num(nan=2.0, posinf=5.0, neginf=-5.0),
            lambda t: t.nan_to_num(nan=2.0, posinf=5.0, neginf=-5.0), x)
    a, b = np.array([1.0, 1.0 + 1e-9, np.nan, 2.0]), np.array([1.0, 1.0, np.nan, 2.1])
    np.testing.assert_array_equal(ag.isclose(ag.Tensor(a), ag.Tensor(b)).data,
                                  torch.isclose(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(
        ag.isclose(ag.Tensor(a), ag.Tensor(b), equal_nan=True, atol=0.2).data,
        torch.isclose(torch.tensor(a), torch.tensor(b), equal_nan=True, atol=0.2).numpy())
    assert ag.allclose(ag.Tensor(a[:2]), ag.Tensor(b[:2])) is True
    assert ag.Tensor(a).allclose(ag.Tensor(b)) is torch.tensor(a).allclose(torch.tensor(b))


def test_step_functions_have_zero_gradient_like_torch() -> None:
    for name in ("floor", "ceil", "trunc", "round", "sign"):
        x = ag.tensor([1.5, -0.3], requires_grad=True)
        getattr(x, name)().sum().backward()
        np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


# ----- issue 12 / issue 14 case 3: power gradients -----


def test_grad_of_x_pow_0_at_0_is_0() -> None:
    compare(lambda x: x**0.0, lambda x: x**0.0, np.array([0.0, 1.5, -2.0]))
    compare(lambda x, y: x**y, lambda x, y: x**y, np.array([0.0, 0.0, 2.0]),
            np.array([0.0, 2.0, 0.0]))


def test_grad_of_0_pow_negative_y_is_minus_inf() -> None:
    compare(lambda y: ag.tensor(np.zeros(3)) ** y, lambda y: torch.zeros(3, dtype=y.dtype) ** y,
            np.array([-1.0, -0.5, 2.0]))


def test_grad_of_negative_base_pow_y_is_nan() -> None:
    x = ag.Tensor(np.array([-2.0, -2.0]))
    y = ag.Tensor(np.array([2.0, 3.0]), requires_grad=True)
    (x**y).sum().backward()
    ty = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    (torch.tensor([-2.0, -2.0], dtype=torch.float64) ** ty).sum().backward()
    assert np.isnan(ty.grad.numpy()).all()
    assert np.isnan(y.grad.data).all()


def test_power_second_order_at_zero_exponent_is_zero_like_torch() -> None:
    x = np.array([0.0, 1.0])
    first = ag.grad(lambda t: (t**0.0).sum())
    second = ag.grad(lambda t: first(t).sum())(ag.Tensor(x))
    tx = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad((tx**0.0).sum(), tx, create_graph=True)
    assert not gt.requires_grad  # torch: a constant zero gradient, so the second order is 0
    np.testing.assert_array_equal(second.data, [0.0, 0.0])


# ----- bitwise and logical -----


INT_CASES = [np.array([0x10FF, -7, 12345, 0], dtype=np.int32),
             np.array([3, 5, 1 << 40], dtype=np.int64)]


@pytest.mark.parametrize("a", INT_CASES, ids=["int32", "int64"])
def test_bitwise_operators_on_integers(a: np.ndarray) -> None:
    t, tt = ag.Tensor(a), torch.tensor(a)
    b = a[::-1].copy()
    cases = {
        "and": (t & ag.Tensor(b), tt & torch.tensor(b)),
        "or": (t | ag.Tensor(b), tt | torch.tensor(b)),
        "xor": (t ^ ag.Tensor(b), tt ^ torch.tensor(b)),
        "not": (~t, ~tt),
        "and-scalar": (t & 0xFF, tt & 0xFF),
        "rand": (0x1337 & t, 0x1337 & tt),
        "ror": (6 | t, 6 | tt),
        "rxor": (6 ^ t, 6 ^ tt),
        "lshift": (t << 2, tt << 2),
        "rshift": (t >> 1, tt >> 1),
        "rlshift": (1 << (t & 7), 1 << (tt & 7)),
        "methods": (t.bitwise_and(b).bitwise_or(1).bitwise_xor(2).bitwise_not(),
                    tt.bitwise_and(torch.tensor(b)).bitwise_or(1).bitwise_xor(2).bitwise_not()),
    }
    for name, (got, want) in cases.items():
        np.testing.assert_array_equal(got.data, want.numpy(), err_msg=name)
        assert str(got.dtype) == str(want.dtype).replace("torch.", ""), name


def test_bitwise_operators_on_bools_are_logical() -> None:
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    t, u, tt, tu = ag.Tensor(a), ag.Tensor(b), torch.tensor(a), torch.tensor(b)
    for got, want in [(t & u, tt & tu), (t | u, tt | tu), (t ^ u, tt ^ tu), (~t, ~tt),
                      (t & True, tt & True), (False | t, False | tt),
                      (t.logical_xor(u), tt.logical_xor(tu)), (t.logical_and(u), tt & tu),
                      (t.logical_or(u), tt | tu), (t.logical_not(), ~tt),
                      (ag.logical_xor(t, u), torch.logical_xor(tt, tu))]:
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.data, want.numpy())


def test_bitwise_on_floats_raises_dtype_error() -> None:
    with pytest.raises(TypeError, match="bitwise_and"):
        ag.tensor([1.0]) & ag.tensor([2.0])
    with pytest.raises(ag.DTypeError):
        ~ag.tensor([1.0])


def test_bitwise_results_are_not_differentiable() -> None:
    x = ag.tensor([1.0], requires_grad=True)
    assert not (ag.isinf(x)).requires_grad and not ag.isclose(x, x).requires_grad
