"""gradcheck as a user tool: planted wrong VJPs are caught and located (RELIABILITY 17, 20-22)."""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import autograd as ag
from autograd.registry import REGISTRY, Primitive

X = np.array([0.3, -0.7, 1.1])


@pytest.fixture
def plant() -> Iterator[Callable[..., Primitive]]:
    """Register throwaway primitives named `_test_*`; removed from the registry afterwards."""
    made: list[str] = []

    def make(forward: Callable[..., Any], *vjps: Any) -> Primitive:
        prim = Primitive(f"_test_{uuid.uuid4().hex[:8]}", forward)
        prim.defvjp(*vjps)
        made.append(prim.name)
        return prim

    yield make
    for name in made:
        REGISTRY.pop(name, None)


def _numbers(msg: str, key: str) -> float:
    return float(re.search(rf"{key} (-?[0-9.e+-]+)", msg).group(1))


# ----- case 21: planted wrong VJPs -----


@pytest.mark.parametrize("fast", [False, True])
def test_wrong_scale_is_caught_with_input_element_values_and_errors(plant, fast):
    bad_sin = plant(np.sin, lambda g, ans, x: g * 1.01 * ag.cos(x))
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(bad_sin, (X,), fast_mode=fast)
    msg = str(info.value)
    assert "input 0" in msg
    # the full Jacobian (fast mode locates the element too) is worst where |cos| is largest
    assert "at element (0,) (output element (0,))" in msg
    assert _numbers(msg.split("full Jacobian:")[-1], "analytic") == pytest.approx(
        1.01 * np.cos(0.3), rel=1e-6
    )
    assert _numbers(msg.split("full Jacobian:")[-1], "numerical") == pytest.approx(
        np.cos(0.3), rel=1e-6
    )
    assert _numbers(msg.split("full Jacobian:")[-1], "abs error") == pytest.approx(
        0.01 * np.cos(0.3), rel=1e-3
    )
    assert "rel error 0.01" in msg or "rel error 0.00999" in msg
    if fast:
        assert "fast mode" in msg


@pytest.mark.parametrize("fast", [False, True])
def test_vjp_ignoring_grad_output_is_caught(plant, fast):
    # Through `sum` the seed is all ones, so the Jacobian itself looks right.
    lazy = plant(np.sin, lambda g, ans, x: ag.cos(x))
    with pytest.raises(ag.GradcheckError, match="ignores grad_output.*input 0"):
        ag.gradcheck(lambda t: lazy(t).sum(), (X,), fast_mode=fast)


@pytest.mark.parametrize("fast", [False, True])
def test_gradient_of_wrong_shape_is_caught(plant, fast):
    column = plant(np.sin, lambda g, ans, x: (g * ag.cos(x)).reshape((-1, 1)))
    with pytest.raises(ag.GradcheckError, match="wrong shape"):
        ag.gradcheck(column, (X,), fast_mode=fast)
    # a shape that broadcasts is summed back by the engine: the numbers then disagree
    doubled = plant(np.sin, lambda g, ans, x: ag.broadcast_to(g * ag.cos(x), shape=(2, 3)))
    with pytest.raises(ag.GradcheckError, match="Jacobian mismatch for input 0"):
        ag.gradcheck(doubled, (X,), fast_mode=fast)


@pytest.mark.parametrize("fast", [False, True])
def test_non_reentrant_backward_is_caught(plant, fast):
    calls = [0]

    def drifting(g: Any, ans: Any, x: Any) -> Any:
        calls[0] += 1  # numerically right to 1e-12, but never the same twice
        return g * ag.cos(x) * (1.0 + 1e-12 * calls[0])

    prim = plant(np.sin, drifting)
    with pytest.raises(ag.GradcheckError, match="not reentrant.*input 0"):
        ag.gradcheck(prim, (X,), fast_mode=fast)
    assert ag.gradcheck(prim, (X,), fast_mode=fast, nondet_tol=1e-9)


def test_wrong_second_derivative_is_caught_by_gradgradcheck(plant):
    # d/dx x^2 = 2x, but computed from a detached x: first order right, second order zero
    square = plant(np.square, lambda g, ans, x: g * 2.0 * ag.Tensor(x.data))
    assert ag.gradcheck(square, (X,))
    with pytest.raises(ag.GradcheckError, match=r"(?s)gradgradcheck failed.*input 0"):
        ag.gradgradcheck(square, (X,))


def test_raise_exception_false_returns_false(plant):
    bad_sin = plant(np.sin, lambda g, ans, x: g * 1.01 * ag.cos(x))
    assert ag.gradcheck(bad_sin, (X,), raise_exception=False) is False


def test_nest_with_dict_keys_is_named(plant):
    bad_sin = plant(np.sin, lambda g, ans, x: g * 1.01 * ag.cos(x))

    def f(params: dict[str, Any], x: Any) -> Any:
        return (bad_sin(params["w"]) * x).sum() + (params["b"] * x).sum()

    params = {"w": np.array([0.5, -0.2, 0.9]), "b": np.array([1.0, 2.0, 3.0])}
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(f, (params, np.array([1.0, -2.0, 0.5])))
    assert "input 0['w']" in str(info.value)
    assert "input 0['b']" not in str(info.value)


# ----- case 17: points where f is not differentiable -----


@pytest.mark.parametrize(
    ("f", "x"),
    [
        (ag.relu, np.array([0.0, 1.0, -1.0])),
        (ag.abs, np.array([0.0, 2.0, -1.5])),
        (lambda t: t.max(), np.array([1.0, 1.0, 1.0, -1.0])),  # a 3-way tie
        (lambda t: ag.maximum(t, 0.5 * t + 0.5), np.array([1.0, -1.0])),  # tie at 1
    ],
    ids=["relu@0", "abs@0", "max-ties", "maximum-tie"],
)
@pytest.mark.parametrize("fast", [False, True])
def test_kinks_are_reported_not_failed(f, x, fast):
    with pytest.warns(ag.NondifferentiableWarning, match="not differentiable at the sampled"):
        assert ag.gradcheck(f, (x,), fast_mode=fast)
    report = ag.gradcheck_report(f, (x,), fast_mode=fast)
    assert report.passed
    assert [r.status for r in report.inputs] == ["nondifferentiable"]
    assert "kink" in report.table()


def test_wrong_gradient_at_a_kink_still_fails(plant):
    # relu with 2 at 0: outside the one-sided slopes 0 and 1, so no kink excuses it
    bad_relu = plant(
        lambda x: np.maximum(x, 0),
        lambda g, ans, x: g * ag.Tensor(np.where(x.data > 0, 1.0, np.where(x.data == 0, 2.0, 0))),
    )
    with pytest.raises(ag.GradcheckError, match=r"element \(0,\).*analytic 2"):
        ag.gradcheck(bad_relu, (np.array([0.0, 1.0, -1.0]),))


def test_smooth_function_with_large_curvature_is_not_called_a_kink():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ag.gradcheck(lambda t: 1e6 * t * t, (np.array([0.0, 1.0]),))


# ----- case 20: dtypes -----


def test_float32_inputs_are_checked_in_float64():
    x32 = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ag.gradcheck(ag.sin, (x32,))
        assert ag.gradcheck(ag.sin, (ag.tensor(x32, requires_grad=True),))


def test_forced_float32_arithmetic_warns_naming_dtype_and_eps():
    x32 = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    with pytest.warns(ag.GradcheckWarning, match=r"float32.*eps=1e-06"):
        ag.gradcheck(ag.sin, (x32,), keep_dtype=True, raise_exception=False)
    with pytest.warns(ag.GradcheckWarning, match=r"output.*float32.*eps=1e-06"):
        ag.gradcheck(lambda t: ag.sin(t.astype(np.float32)), (X,), raise_exception=False)
    with warnings.catch_warnings():  # a step float32 can resolve: no warning
        warnings.simplefilter("error")
        assert ag.gradcheck(ag.sin, (x32,), eps=1e-2, atol=1e-3, rtol=1e-2, keep_dtype=True)


# ----- case 22: stride-0 inputs -----


def test_stride_zero_input_is_a_clear_error():
    x = np.broadcast_to(np.array([1.0, 2.0, 3.0]), (2, 3))
    with pytest.raises(
        ValueError, match=re.escape("input 0 has a dimension with stride 0 (overlapping memory); "
                                    "pass a copy")
    ):
        ag.gradcheck(ag.sin, (x,))
    with pytest.raises(ValueError, match=re.escape("input 1['w'] has a dimension with stride 0")):
        ag.gradcheck(lambda a, p: a * p["w"], (X, {"w": np.broadcast_to(1.0, (3,))}))
    assert ag.gradcheck(ag.sin, (np.ascontiguousarray(x),))


# ----- inputs, outputs, reports -----


def test_constant_tensors_and_non_float_leaves_are_not_differentiated():
    c = ag.Tensor(np.array([2.0, 3.0, 4.0]))  # requires_grad=False: held constant
    report = ag.gradcheck_report(lambda x, c, n: x * c * n, (X, c, 3))
    assert [r.label for r in report.inputs] == ["input 0"]
    with pytest.raises(ValueError, match="no input to differentiate"):
        ag.gradcheck(lambda c: c * 2, (c,))


def test_any_shape_and_multiple_outputs():
    a = np.arange(6.0).reshape(2, 3) / 7 + 0.1
    assert ag.gradcheck(lambda t: (ag.exp(t), t.sum(axis=0)), (a,))
    assert ag.gradgradcheck(lambda t: (ag.exp(t), t.sum(axis=0)), (a,))
    assert ag.gradcheck(lambda t: ag.tanh(t) @ t.T, (a,), fast_mode=True)


def test_report_numbers_and_table(plant):
    bad_sin = plant(np.sin, lambda g, ans, x: g * 1.01 * ag.cos(x))
    report = ag.gradcheck_report(lambda a, b: bad_sin(a) * b, (X, np.ones(3)))
    assert not report.passed
    first, second = report.inputs
    assert (first.status, second.status) == ("mismatch", "ok")
    assert first.max_abs_err == pytest.approx(0.01 * np.cos(0.3), rel=1e-3)
    assert first.max_rel_err == pytest.approx(0.01, rel=1e-3)
    assert first.index == (0,) and first.output == "output element (0,)"
    assert second.max_abs_err < 1e-8
    table = report.table()
    assert re.search(r"input 0\s+\(3,\)\s+\S+\s+\S+\s+FAIL", table)
    assert re.search(r"input 1\s+\(3,\)\s+\S+\s+\S+\s+pass", table)
    assert report.to_dict()["inputs"][0]["status"] == "mismatch"
    assert report.message().startswith("gradcheck failed")


def test_nondeterministic_function_is_reported():
    rng = np.random.default_rng(0)
    with pytest.raises(ag.GradcheckError, match="not deterministic"):
        ag.gradcheck(lambda t: t * float(rng.standard_normal()), (X,))


def test_numerical_grad_keeps_the_nest_and_leaf_types():
    def f(p: dict[str, Any], t: Any) -> Any:
        return (p["w"] * t).sum() + p["s"] ** 2

    t = ag.tensor(np.array([1.0, 2.0]))
    g = ag.numerical_grad(f, {"w": np.array([3.0, 4.0]), "s": 1.5}, t)
    assert isinstance(g, tuple) and isinstance(g[0], dict)
    np.testing.assert_allclose(g[0]["w"], [1.0, 2.0], rtol=1e-7)
    assert isinstance(g[0]["s"], float) and g[0]["s"] == pytest.approx(3.0)
    assert isinstance(g[1], ag.Tensor) and g[1].dtype == np.float64
    np.testing.assert_allclose(g[1].data, [3.0, 4.0], rtol=1e-7)
    with pytest.raises(TypeError, match="scalar-valued"):
        ag.numerical_grad(lambda x: x * 2, np.ones(2))


# ----- per-op check -----


def test_gradcheck_graph_names_exactly_the_planted_op(plant):
    bad_sin = plant(np.sin, lambda g, ans, x: g * 1.01 * ag.cos(x))

    def f(x: Any, w: Any) -> Any:
        h = ag.tanh(x @ w)
        return (bad_sin(h) * 2.0 + h.exp()).sum()

    x, w = np.array([[0.2, -0.4], [0.7, 0.1]]), np.array([[0.5, -1.0, 0.3], [0.2, 0.4, -0.6]])
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(f, (x, w))
    check = ag.gradcheck_graph(f, (x, w))
    assert len(check.failing) == 1
    (oid,) = check.failing
    assert check.graph.ops[oid].op == bad_sin.name
    assert {c.op for c in check.nodes.values() if c.status == "ok"} >= {
        "matmul", "tanh", "multiply", "exp", "add", "sum"
    }
    assert "input 0" in check.nodes[oid].message and "analytic" in check.nodes[oid].message
    assert check.status(oid) == "fail"
    assert bad_sin.name in check.table()
    # projected mode finds the same op
    assert ag.gradcheck_graph(f, (x, w), fast_mode=True).failing == [oid]


def test_gradcheck_graph_marks_kinks_and_skips_comparisons():
    check = ag.gradcheck_graph(lambda x: ag.where(x > 0, x, 0.0).sum() + ag.relu(x).sum(),
                               (np.array([0.0, 1.0, -2.0]),))
    assert check.passed
    statuses = {c.op: c.status for c in check.nodes.values()}
    assert statuses["greater"] == "skipped"
    assert statuses["relu"] == "nondifferentiable"
    assert statuses["where"] == "ok"
