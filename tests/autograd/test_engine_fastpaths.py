"""The engine's fast paths keep PyTorch's semantics: gradient sums the sweep owns, VJPs run on
ndarrays when nothing is recorded, and the scalar promotion shortcut."""

import numpy as np
import pytest

import autograd as ag
from autograd import engine


def test_leaves_fed_by_one_gradient_do_not_share_it():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # add's VJP hands the same gradient to both leaves
    a.grad.data += 10.0
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_summed_gradient_kept_as_grad_then_accumulated_again():
    x = ag.tensor([1.0, -2.0, 3.0], dtype=np.float64, requires_grad=True)
    seed = ag.tensor([1.0, 2.0, 3.0], dtype=np.float64)

    def f() -> ag.Tensor:
        return x * 2.0 + x * 3.0 + x  # three gradients reach x

    f().backward(seed)
    np.testing.assert_array_equal(x.grad.data, [6.0, 12.0, 18.0])
    f().backward(seed)  # accumulates into the buffer the first sweep left as x.grad
    np.testing.assert_array_equal(x.grad.data, [12.0, 24.0, 36.0])
    np.testing.assert_array_equal(seed.data, [1.0, 2.0, 3.0])  # the caller's seed untouched


def test_gradient_used_at_many_steps_sums_like_unrolled():
    w = ag.tensor(np.full((2, 2), 0.5), dtype=np.float64, requires_grad=True)
    h = ag.tensor(np.ones((1, 2)), dtype=np.float64)
    for _ in range(5):
        h = (h @ w).tanh()
    h.sum().backward()
    want = np.zeros((2, 2))
    hs = [np.ones((1, 2))]
    for _ in range(5):
        hs.append(np.tanh(hs[-1] @ w.data))
    g = np.ones((1, 2))
    for k in range(5, 0, -1):
        d = g * (1.0 - hs[k] ** 2)
        want += hs[k - 1].T @ d
        g = d @ w.data.T
    np.testing.assert_allclose(w.grad.data, want, rtol=1e-12)


def test_unrecorded_vjp_still_reports_a_saved_output_modified_in_place():
    x = ag.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    z = y * 1.0
    y.mul_(2.0)  # the output exp's VJP reads is overwritten; z's node still needs it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_vjp_on_ndarrays_matches_recorded_double_backward():
    x = ag.tensor([0.3, -1.2, 2.0], dtype=np.float64, requires_grad=True)
    y = (x.tanh() * x.sigmoid() / (x.exp() + 1.0)).sqrt().log().sum()
    y.backward(create_graph=True)
    g_recorded = x.grad
    assert g_recorded.grad_fn is not None
    x.grad = None
    (x.tanh() * x.sigmoid() / (x.exp() + 1.0)).sqrt().log().sum().backward()
    assert x.grad.grad_fn is None
    np.testing.assert_allclose(x.grad.data, g_recorded.data, rtol=1e-13)


@pytest.mark.parametrize(
    ("dtype", "scalar", "want"),
    [
        (np.float32, 2, np.float32),
        (np.float32, 2.5, np.float32),
        (np.float64, 2.5, np.float64),
        (np.int64, 1.5, np.float32),
        (np.float32, True, np.float32),
    ],
)
def test_python_scalar_takes_the_tensor_dtype(dtype, scalar, want):
    t = ag.tensor(np.array([1, 2], dtype=dtype))
    assert (t * scalar).dtype == want
    assert (scalar * t).dtype == want
    assert (t - scalar).dtype == want


def test_a_gradient_passed_on_unchanged_is_not_summed_into_in_place() -> None:
    # y = 1.5 x; y += w: add's VJP hands y's gradient (a sum the sweep made) on to both the
    # path to x and to w as it is. The early reads' gradients for x's path must not be added
    # into it in place.
    rng = np.random.default_rng(3)
    x0, w0, c = (rng.standard_normal((3, 4)) for _ in range(3))
    x = ag.Tensor(x0.copy(), requires_grad=True)
    w = ag.Tensor(w0.copy(), requires_grad=True)
    y = x * 1.5
    early = (y * c).sum() + y.sum()  # reads y before the write: more gradient for x's path
    y += w
    loss = early + (y * c).sum() + (y * y * c).sum()
    gx, gw = engine.backward([loss], [None], inputs=[x, w])
    g_late = c + 2 * (1.5 * x0 + w0) * c
    np.testing.assert_allclose(gw.data, g_late, rtol=1e-12)
    np.testing.assert_allclose(gx.data, 1.5 * (c + 1 + g_late), rtol=1e-12)
