"""The bound products and the one-pass small kernels: the same bits as the NumPy they replace,
transposed operands read in place, and None where a layout needs converting."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import kernels as K

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 100), (3, 7), (100, 100), (128, 10), (5, 4, 3)])
def test_sum_leading_is_numpys_sum_over_rows(shape, dtype):
    x = (RNG.standard_normal(shape) * 1e3).astype(dtype)
    out = np.empty(shape[1:], dtype)
    K.sum_leading_call(out, x)()
    assert np.array_equal(out, np.sum(x, axis=0))


def test_sum_leading_declines_what_numpy_sums_otherwise():
    col = RNG.standard_normal((100, 1))  # one column: NumPy sums it pairwise
    assert K.sum_leading_call(np.empty(1), col) is None
    assert K.sum_leading_call(np.empty(3), RNG.standard_normal((3, 4)).T) is None  # strided
    assert K.sum_leading_call(np.empty(4, np.float32), RNG.standard_normal((3, 4))) is None
    assert K.sum_leading_call(np.empty(4), RNG.standard_normal((0, 4))) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_grad_is_g_times_mask(dtype):
    x = RNG.standard_normal((7, 9)).astype(dtype)
    x[0, :3] = [0.0, -0.0, np.nan]
    g = RNG.standard_normal((7, 9)).astype(dtype)
    g[1, :2] = [np.inf, -np.inf]
    out = np.empty_like(x)
    K.relu_grad_call(out, g, x)()
    want = g * (x > 0)
    assert np.array_equal(out, want, equal_nan=True)
    assert np.array_equal(np.signbit(out), np.signbit(want))  # -0.0 where g < 0 is masked


def test_relu_grad_declines_mixed_layouts():
    x = RNG.standard_normal((4, 5))
    assert K.relu_grad_call(np.empty((4, 5)), x.T.copy().T, x) is None
    assert K.relu_grad_call(np.empty((4, 5), np.float32), x, x) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mnk", [(1, 784, 100), (100, 1, 784), (100, 100, 100), (128, 784, 512)])
def test_transposed_operands_are_read_in_place(mnk, dtype):
    m, k, n = mnk
    a = RNG.standard_normal((m, k)).astype(dtype)
    b = RNG.standard_normal((k, n)).astype(dtype)
    want = a.astype(np.float64) @ b.astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for x in (a, np.asfortranarray(a)):
        for y in (b, np.asfortranarray(b)):
            out = np.empty((m, n), dtype)
            call = K.product_call(x, y, out)
            assert call is not None
            call()
            np.testing.assert_allclose(out, want, rtol=tol, atol=tol * k)
            np.testing.assert_array_equal(K.matmul(x, y), out)  # eager takes the same path


def test_product_call_declines_what_needs_converting():
    a, b = RNG.standard_normal((4, 6)), RNG.standard_normal((6, 5))
    assert K.product_call(a[:, ::2], b[::2], np.empty((4, 5))) is None  # strided
    assert K.product_call(a.astype(np.float32), b, np.empty((4, 5))) is None  # mixed dtypes
    assert K.product_call(a, b, np.empty((5, 4)).T) is None  # out not C-contiguous
    assert K.product_call(a, b[:5], np.empty((4, 5))) is None  # not aligned


def test_linear_call_matches_linear():
    x = RNG.standard_normal((3, 8, 16)).astype(np.float32)
    w = RNG.standard_normal((12, 16)).astype(np.float32)
    b = RNG.standard_normal(12).astype(np.float32)
    out = np.empty((3, 8, 12), np.float32)
    K.linear_call(x, w, b, out)()
    np.testing.assert_array_equal(out, K.linear(x, w, b))
    K.linear_call(x, w, None, out)()
    np.testing.assert_array_equal(out, K.linear(x, w, None))
    assert K.linear_call(x, w, b.astype(np.float64), out) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (9,), (1, 10), (3, 7), (5, 4, 3), (10, 100), (100, 1),
                                   (129,), (2048,)])
def test_sum_all_is_numpys_pairwise_sum(shape, dtype):
    x = (RNG.standard_normal(shape) * 1e3).astype(dtype)
    out = np.empty((), dtype)
    K.sum_all_call(out, x)()
    assert np.array_equal(out, np.sum(x))


def test_sum_all_declines_large_or_strided_arrays():
    assert K.sum_all_call(np.empty(()), np.ones(2049)) is None  # NumPy's SIMD sum is faster
    assert K.sum_all_call(np.empty(()), np.ones((4, 4)).T[:, :2]) is None
    assert K.sum_all_call(np.empty((), np.float32), np.ones(4)) is None
