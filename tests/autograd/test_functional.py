"""Functions as models: grad, value_and_grad, jacobian, hessian over nests; nesting."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def _loss(params, x, y):
    h = ag.tanh(x @ params["W1"] + params["b1"])
    return ((h @ params["W2"] - y) ** 2).mean()


def _params(rng):
    return {
        "W1": rng.standard_normal((3, 4)),
        "b1": rng.standard_normal(4),
        "W2": rng.standard_normal((4, 1)),
    }


def test_grad_over_dict_matches_numerical():
    rng = np.random.default_rng(0)
    params = _params(rng)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    grads = ag.grad(_loss)(params, x, y)
    assert set(grads) == set(params)
    num = ag.numerical_grad(lambda p: _loss(p, x, y), params)
    for k in params:
        assert isinstance(grads[k], np.ndarray) and grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-5, atol=1e-7)


def test_value_and_grad_argnums_and_has_aux():
    f = lambda a, b: ((a * b).sum(), {"ab": a * b})  # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (val, aux), (ga, gb) = ag.value_and_grad(f, argnums=(0, 1), has_aux=True)(a, b)
    assert float(val) == 11.0
    np.testing.assert_allclose(aux["ab"].data, [3.0, 8.0])
    np.testing.assert_allclose(ga, b)
    np.testing.assert_allclose(gb, a)
    g, aux2 = ag.grad(f, argnums=1, has_aux=True)(a, b)
    np.testing.assert_allclose(g, a)


def test_leaf_types_round_trip():
    t = ag.tensor([1.0, 2.0])
    g = ag.grad(lambda x: (x * x).sum())(t)
    assert isinstance(g, ag.Tensor)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert t.grad is None  # functional API never touches .grad
    g2 = ag.grad(lambda x: x * x)(3.0)
    assert g2 == pytest.approx(6.0)
    lst = ag.grad(lambda p: p[0] * p[1])([np.array(2.0), np.array(5.0)])
    assert isinstance(lst, list)
    assert float(lst[0]) == 5.0 and float(lst[1]) == 2.0


def test_nested_grad():
    f = lambda x: ag.sin(x) * x  # noqa: E731
    x = np.array(0.7)
    d1 = ag.grad(f)(x)
    d2 = ag.grad(ag.grad(f))(x)
    d3 = ag.grad(ag.grad(ag.grad(f)))(x)
    np.testing.assert_allclose(d1, np.cos(0.7) * 0.7 + np.sin(0.7))
    np.testing.assert_allclose(d2, -np.sin(0.7) * 0.7 + 2 * np.cos(0.7))
    np.testing.assert_allclose(d3, -np.cos(0.7) * 0.7 - 3 * np.sin(0.7))


def test_grad_through_closure_of_outer_variable():
    # d/dx [ d/dy (x*y^2) at y=3 ] = d/dx [6x] = 6
    outer = ag.grad(lambda x: ag.grad(lambda y: x * y * y)(np.array(3.0)))
    np.testing.assert_allclose(outer(np.array(2.0)), 6.0)


def test_jacobian_and_hessian():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    J = ag.jacobian(lambda x: ag.Tensor(A) @ x)(np.array([1.0, -1.0]))
    np.testing.assert_allclose(J, A)
    f = lambda x: (x[0] ** 2 * x[1] + ag.exp(x[1])).sum()  # noqa: E731
    x = np.array([1.5, 0.3])
    H = ag.hessian(f)(x)
    expected = np.array([[2 * x[1], 2 * x[0]], [2 * x[0], np.exp(x[1])]])
    np.testing.assert_allclose(H, expected, rtol=1e-10)


def test_grad_errors():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(2,\)"):
        ag.grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(TypeError, match="can't differentiate"):
        ag.grad(lambda x: (x * 2).sum())(np.array([1, 2]))
    with pytest.raises(ValueError, match="argnums 3 is out of range"):
        ag.grad(lambda x: x, argnums=3)(1.0)


def test_constant_function_gives_zero_gradient():
    g = ag.grad(lambda x: ag.tensor(3.0))(np.ones(3))
    np.testing.assert_array_equal(g, np.zeros(3))


def test_gradcheck_and_numerical_grad_basics():
    x = np.array([0.3, -1.2, 2.0])
    assert ag.gradcheck(lambda t: ag.tanh(t) * t, (x,))
    assert ag.gradgradcheck(lambda t: ag.tanh(t) * t, (x,))
    num = ag.numerical_grad(lambda t: (t**3).sum(), x)
    np.testing.assert_allclose(num, 3 * x**2, rtol=1e-6)


def test_numpy_style_positional_parameters():
    x = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(ag.sum(x, 0).data, np.sum(x.data, 0))
    assert ag.reshape(x, (3, 2)).shape == (3, 2)
    assert ag.transpose(x, (1, 0)).shape == (3, 2)
    assert ag.max(x, 1, True).values.shape == (2, 1)  # torch: (values, indices)
    np.testing.assert_array_equal(ag.clip(x, 1, 3).data, np.clip(x.data, 1, 3))
    ag.clip(x, 1, 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 1], [1, 0, 0]])
    with pytest.raises(TypeError, match="got multiple values for argument 'axis'"):
        ag.sum(x, 0, axis=1)
    with pytest.raises(TypeError, match="takes 1 array argument"):
        ag.sum(x, 0, True, 5)
