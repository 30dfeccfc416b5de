"""Kernels vs plain NumPy references, gradients by central differences, RELIABILITY 23-26."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from autograd import kernels as K
from autograd import kernels as K_  # where a test also has a dimension named K

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ----- naive references -----------------------------------------------------------------------


def conv_ref(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    y = np.zeros((N, OC, OH, OW))
    OCg = OC // groups
    for n in range(N):
        for oc in range(OC):
            g = oc // OCg
            for oh in range(OH):
                for ow in range(OW):
                    patch = xp[n, g * Cg:(g + 1) * Cg,
                               oh * sh: oh * sh + dh * (KH - 1) + 1: dh,
                               ow * sw: ow * sw + dw * (KW - 1) + 1: dw]
                    y[n, oc, oh, ow] = (patch * w[oc]).sum() + (0 if b is None else b[oc])
    return y


def pool_ref(x, k, s, p, mode, include_pad=True):
    N, C, H, W = x.shape
    OH = (H + 2 * p - k) // s + 1
    OW = (W + 2 * p - k) // s + 1
    y = np.zeros((N, C, OH, OW))
    am = np.zeros((N, C, OH, OW), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for oh in range(OH):
                for ow in range(OW):
                    vals = [(x[n, c, i, j], i * W + j)
                            for i in range(oh * s - p, oh * s - p + k)
                            for j in range(ow * s - p, ow * s - p + k)
                            if 0 <= i < H and 0 <= j < W]
                    if mode == "max":
                        best = max(v for v, _ in vals)
                        y[n, c, oh, ow] = best
                        am[n, c, oh, ow] = next(i for v, i in vals if v == best)
                    else:
                        y[n, c, oh, ow] = sum(v for v, _ in vals) / (
                            k * k if include_pad else len(vals))
    return y, am


def num_grad(f, x, eps=1e-6):
    """Central differences of the scalar f() w.r.t. every element of x (modified in place)."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def variants(a):
    """Non-contiguous copies of ``a`` with equal values (RELIABILITY 23)."""
    big = np.zeros((a.shape[0] + 2,) + a.shape[1:] + (3,), a.dtype)
    big[1:-1, ..., 1] = a
    neg = np.ascontiguousarray(a[::-1])[::-1]
    fort = np.asfortranarray(a)
    spaced = np.repeat(a, 2, axis=-1)[..., ::2]
    return {"slice": big[1:-1, ..., 1], "negative": neg, "fortran": fort, "strided": spaced}


CONV_CASES = [
    # N, C, H, W, OC, KH, KW, stride, padding, dilation, groups
    (2, 3, 7, 8, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (3, 4, 9, 7, 6, 3, 2, (2, 1), (0, 2), (1, 2), 2),
    (2, 6, 6, 6, 6, 1, 1, (1, 1), (0, 0), (1, 1), 6),
    (5, 2, 5, 5, 3, 2, 2, (1, 1), (1, 1), (1, 1), 1),
    (1, 1, 6, 5, 2, 5, 5, (1, 1), (2, 2), (1, 1), 1),
    (2, 32, 5, 4, 8, 3, 3, (2, 2), (1, 1), (1, 1), 1),  # NHWC unfold path (>= 16 channels)
    (3, 32, 5, 5, 4, 2, 3, (1, 2), (1, 0), (2, 1), 2),
    (2, 4, 8, 9, 6, 3, 3, (1, 1), (2, 1), (2, 2), 2),  # padded-grid path: dilation + groups
    (3, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),  # LeNet conv2 layout
    (3, 2, 6, 7, 4, 3, 2, (1, 2), (1, 1), (1, 1), 1),  # im2col path, stride only along W
    (2, 8, 7, 7, 4, 3, 3, (2, 2), (0, 0), (1, 1), 1),  # im2col path, stride 2
    (2, 16, 6, 5, 8, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # padded grid / NHWC, many channels
    (2, 32, 5, 6, 4, 3, 3, (1, 1), (0, 1), (2, 1), 2),  # the same, 16 channels per group
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_forward_matches_reference(case, dtype):
    N, C, H, W, OC, KH, KW, s, p, d, g = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((OC, C // g, KH, KW)).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    y = K.conv2d_forward(x, w, b, s, p, d, g)
    assert y.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y, conv_ref(x, w, b, s, p, d, g), rtol=tol, atol=tol)
    np.testing.assert_allclose(K.conv2d_forward(x, w, None, s, p, d, g),
                               conv_ref(x, w, None, s, p, d, g), rtol=tol, atol=tol)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_backward_matches_adjoint(case):
    """<gy, conv(dx, w)> == <gx, dx> and <gy, conv(x, dw)> == <gw, dw> (float64)."""
    N, C, H, W, OC, KH, KW, s, p, d, g = case
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((OC, C // g, KH, KW))
    gy = rng.standard_normal(K.conv2d_output_shape(x.shape, w.shape, s, p, d, g))
    gx = K.conv2d_backward_input(gy, w, x.shape, s, p, d, g)
    gw = K.conv2d_backward_weight(gy, x, w.shape, s, p, d, g)
    dx = rng.standard_normal(x.shape)
    dw = rng.standard_normal(w.shape)
    assert np.isclose((gy * conv_ref(dx, w, None, s, p, d, g)).sum(), (gx * dx).sum())
    assert np.isclose((gy * conv_ref(x, dw, None, s, p, d, g)).sum(), (gw * dw).sum())
    np.testing.assert_allclose(K.conv2d_backward_bias(gy), gy.sum((0, 2, 3)))


def test_conv_gradients_central_differences():
    rng = np.random.default_rng(2)
    s, p, d, g = (2, 1), (1, 0), (1, 2), 2
    x = rng.standard_normal((2, 4, 5, 6))
    w = rng.standard_normal((4, 2, 2, 2))
    b = rng.standard_normal(4)
    gy = rng.standard_normal(K.conv2d_output_shape(x.shape, w.shape, s, p, d, g))

    def loss():
        return (K.conv2d_forward(x, w, b, s, p, d, g) * gy).sum()

    np.testing.assert_allclose(K.conv2d_backward_input(gy, w, x.shape, s, p, d, g),
                               num_grad(loss, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(K.conv2d_backward_weight(gy, x, w.shape, s, p, d, g),
                               num_grad(loss, w), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(K.conv2d_backward_bias(gy), num_grad(loss, b), rtol=1e-6)


def test_conv_large_batch_chunks_and_many_channels():
    """Exercise multi-sample chunks and the NHWC path against each other (float64)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((37, 20, 6, 6))
    w = rng.standard_normal((5, 20, 3, 3))
    y = K.conv2d_forward(x, w, None, 1, 1)
    ref = np.stack([K.conv2d_forward(x[i:i + 1], w, None, 1, 1)[0] for i in range(37)])
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y[:2], conv_ref(x[:2], w, None, (1, 1), (1, 1)), atol=1e-10)


@pytest.fixture
def force_conv_mode(monkeypatch):
    """Force the layout of the conv kernels (0: NHWC im2row, 1: im2col, 2: padded grid,
    3: implicit GEMM on the padded grid); the grid ones only where they apply (stride 1)."""
    from autograd.kernels import conv

    def force(mode):
        def pick(C, groups, sh, sw, junk_safe=True, op="forward"):
            grid = mode in (conv._FLAT, conv._IMPLICIT)
            if grid and not (sh == 1 and sw == 1 and junk_safe):
                return conv._COL
            return mode

        monkeypatch.setattr(conv, "_mode", pick)

    return force


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_unfold_layouts_agree(case, dtype, force_conv_mode):
    """The four layouts give the same forward and gradients (vs the reference)."""
    N, C, H, W, OC, KH, KW, s, p, d, g = case
    rng = np.random.default_rng(13)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((OC, C // g, KH, KW)).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    gy = rng.standard_normal(K.conv2d_output_shape(x.shape, w.shape, s, p, d, g)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    ref = conv_ref(x, w, b, s, p, d, g)
    results = []
    for mode in (0, 1, 2, 3):
        force_conv_mode(mode)
        y = K.conv2d_forward(x, w, b, s, p, d, g)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, ref, rtol=tol, atol=tol)
        results.append((K.conv2d_backward_input(gy, w, x.shape, s, p, d, g),
                        K.conv2d_backward_weight(gy, x, w.shape, s, p, d, g)))
    for gx, gw in results[1:]:
        np.testing.assert_allclose(gx, results[0][0], rtol=tol, atol=tol)
        np.testing.assert_allclose(gw, results[0][1], rtol=tol, atol=tol)
    # adjoint identities in float64 for the first layout
    gx, gw = results[0]
    dx = rng.standard_normal(x.shape)
    dw = rng.standard_normal(w.shape)
    rt = 1e-3 if dtype == np.float32 else 1e-9
    assert np.isclose((gy * conv_ref(dx, w, None, s, p, d, g)).sum(), (gx * dx).sum(), rtol=rt)
    assert np.isclose((gy * conv_ref(x, dw, None, s, p, d, g)).sum(), (gw * dw).sum(), rtol=rt)


def _grad_weight_ref(gy, x, w_shape, pad):
    """Weight gradient by sliding windows in float64 (stride 1, groups 1)."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w_shape[2:], axis=(2, 3))
    with np.errstate(invalid="ignore"):
        return np.einsum("nohw,nchwij->ocij", gy.astype(np.float64), win)


def _grad_input_ref(gy, w, x_shape, pad):
    """Input gradient by scattering every output's weight window in float64 (stride 1)."""
    N, C, H, W = x_shape
    KH, KW = w.shape[2:]
    gxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    with np.errstate(invalid="ignore"):
        for oh in range(gy.shape[2]):
            for ow in range(gy.shape[3]):
                gxp[:, :, oh:oh + KH, ow:ow + KW] += np.einsum(
                    "no,ocij->ncij", gy[:, :, oh, ow].astype(np.float64), w)
    return gxp[:, :, pad:pad + H, pad:pad + W]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_backward_nonfinite_operands_small_channels(dtype):
    """inf/NaN in x (weight grad) or w (input grad) must not leak through the padded grid's
    junk columns (0 * inf): the result matches the reference's inf/NaN pattern exactly."""
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3, 6, 7)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    gy = rng.standard_normal((2, 4, 6, 7)).astype(dtype)
    x[0, 1, 2, 0] = np.inf
    x[1, 2, 5, 6] = np.nan
    gw = K.conv2d_backward_weight(gy, x, w.shape, 1, 1)
    ref = _grad_weight_ref(gy, x, w.shape, 1)
    np.testing.assert_array_equal(np.isnan(gw), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(gw), np.isinf(ref))
    fin = np.isfinite(ref)
    assert fin.any()
    np.testing.assert_allclose(gw[fin], ref[fin], rtol=1e-4, atol=1e-4)
    w[1, 0, 0, 2] = np.inf
    gx = K.conv2d_backward_input(gy, w, x.shape, 1, 1)
    ref = _grad_input_ref(gy, w, x.shape, 1)
    np.testing.assert_array_equal(np.isnan(gx), np.isnan(ref))
    fin = np.isfinite(ref)
    assert fin.any()
    np.testing.assert_allclose(gx[fin], ref[fin], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["slice", "negative", "fortran", "strided"])
def test_conv_noncontiguous_inputs(kind):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 6, 7)).astype(np.float32)
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((3, 5, 6, 7)).astype(np.float32)
    xv, wv, gyv = variants(x)[kind], variants(w)[kind], variants(gy)[kind]
    assert not xv.flags.c_contiguous
    np.testing.assert_array_equal(K.conv2d_forward(xv, wv, None, 1, 1),
                                  K.conv2d_forward(x, w, None, 1, 1))
    np.testing.assert_array_equal(K.conv2d_backward_input(gyv, wv, x.shape, 1, 1),
                                  K.conv2d_backward_input(gy, w, x.shape, 1, 1))
    np.testing.assert_array_equal(K.conv2d_backward_weight(gyv, xv, w.shape, 1, 1),
                                  K.conv2d_backward_weight(gy, x, w.shape, 1, 1))


def test_conv_nan_inf_pass_through():
    x = np.ones((1, 1, 6, 6))
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 5, 5] = np.inf
    for dtype in (np.float32, np.float64):
        y = K.conv2d_forward(x.astype(dtype), np.ones((1, 1, 3, 3), dtype))
        assert np.isnan(y[0, 0, :2, :2]).all() and np.isnan(y[0, 0]).sum() == 4
        assert np.isposinf(y[0, 0, 3, 3]) and y[0, 0, 2, 2] == 9
        gx = K.conv2d_backward_input(np.ones_like(y), np.full((1, 1, 3, 3), np.nan, dtype),
                                     x.shape)
        assert np.isnan(gx).all()


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (((2, 3, 5, 5), (4, 1, 3, 3)), ValueError, "input has 3 channels, weight expects 1"),
        (((2, 3, 5), (4, 3, 3, 3)), ValueError, "input must be 4-D"),
        (((2, 3, 2, 2), (4, 3, 3, 3)), ValueError, "larger than the padded input"),
        (((2, 4, 5, 5), (3, 2, 3, 3)), ValueError, "groups=2 must divide"),
    ],
)
def test_conv_errors_raised_before_jit(args, exc, match):
    xs, ws = args
    groups = 2 if match.startswith("groups") else 1
    with pytest.raises(exc, match=match):
        K.conv2d_forward(np.zeros(xs), np.zeros(ws), groups=groups)


def test_conv_dtype_and_param_errors():
    x = np.zeros((1, 1, 4, 4))
    w = np.zeros((1, 1, 3, 3))
    with pytest.raises(TypeError, match="conv2d: input must be float32 or float64, got int64"):
        K.conv2d_forward(np.zeros((1, 1, 4, 4), np.int64), w)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        K.conv2d_forward(x, w, stride=0)
    with pytest.raises(ValueError, match="bias must have shape"):
        K.conv2d_forward(x, w, np.zeros(2))
    with pytest.raises(ValueError, match="grad_output has shape"):
        K.conv2d_backward_input(np.zeros((1, 1, 3, 3)), w, x.shape)


def test_mixed_precision_promotes_to_float64_without_recompiling():
    x = np.ones((1, 2, 4, 4), np.float32)
    w = np.ones((1, 2, 3, 3), np.float64)
    from autograd.kernels.conv_parts import FORWARD

    def signatures():
        return sum(len(part.signatures) for part in FORWARD.values())

    K.conv2d_forward(x, w)
    before = signatures()
    y = K.conv2d_forward(x, w)
    assert y.dtype == np.float64
    K.conv2d_forward(w.astype(np.float32), x.astype(np.float64)[:, :, :3, :3])
    assert signatures() == before


# ----- pooling -------------------------------------------------------------------------------

# (2, 2, 0) runs the specialized 2x2 kernels
POOL_CASES = [(2, 2, 0), (2, 1, 0), (3, 2, 1), (3, 1, 1), (2, 3, 1), (4, 2, 2)]


@pytest.mark.parametrize("k, s, p", POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_matches_reference(k, s, p, dtype):
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 3, (2, 3, 7, 8)).astype(dtype)  # many ties
    y, am = K.max_pool2d_forward(x, k, s, p)
    yr, amr = pool_ref(x, k, s, p, "max")
    np.testing.assert_array_equal(y, yr)
    np.testing.assert_array_equal(am, amr)  # first max in row-major window order
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = K.max_pool2d_backward(gy, am, x.shape)
    ref = np.zeros(x.shape)
    for idx in np.ndindex(*y.shape):
        n, c = idx[:2]
        ref[n, c].flat[amr[idx]] += gy[idx]
    np.testing.assert_allclose(gx, ref, rtol=1e-6)


@pytest.mark.parametrize("k, s, p", POOL_CASES)
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool_matches_reference_and_gradient(k, s, p, include_pad):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 2, 6, 7))
    y = K.avg_pool2d_forward(x, k, s, p, include_pad)
    np.testing.assert_allclose(y, pool_ref(x, k, s, p, "avg", include_pad)[0], rtol=1e-12)
    gy = rng.standard_normal(y.shape)
    gx = K.avg_pool2d_backward(gy, x.shape, k, s, p, include_pad)
    num = num_grad(lambda: (K.avg_pool2d_forward(x, k, s, p, include_pad) * gy).sum(), x)
    np.testing.assert_allclose(gx, num, rtol=1e-6, atol=1e-8)


def test_max_pool_gradient_central_differences():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, 5, 6))  # distinct values: differentiable almost surely
    y, am = K.max_pool2d_forward(x, 3, 2, 1)
    gy = rng.standard_normal(y.shape)
    num = num_grad(lambda: (K.max_pool2d_forward(x, 3, 2, 1)[0] * gy).sum(), x)
    np.testing.assert_allclose(K.max_pool2d_backward(gy, am, x.shape), num, atol=1e-7)


@pytest.mark.parametrize("kind", ["slice", "negative", "fortran", "strided"])
def test_pool_noncontiguous_inputs(kind):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 2, 6, 8))
    xv = variants(x)[kind]
    np.testing.assert_array_equal(K.max_pool2d_forward(xv, 2)[0], K.max_pool2d_forward(x, 2)[0])
    np.testing.assert_array_equal(K.avg_pool2d_forward(xv, 3, 1, 1),
                                  K.avg_pool2d_forward(x, 3, 1, 1))
    gy = rng.standard_normal((3, 2, 3, 4))
    gyv = variants(gy)[kind]
    y, am = K.max_pool2d_forward(x, 2)
    np.testing.assert_array_equal(K.max_pool2d_backward(gyv, am, x.shape),
                                  K.max_pool2d_backward(gy, am, x.shape))
    np.testing.assert_array_equal(K.avg_pool2d_backward(gyv, x.shape, 2),
                                  K.avg_pool2d_backward(gy, x.shape, 2))


def test_pool_nan_inf_pass_through():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 3, 3] = np.inf
    y, am = K.max_pool2d_forward(x, 2)
    assert np.isnan(y[0, 0, 0, 0]) and am[0, 0, 0, 0] == 1
    assert np.isposinf(y[0, 0, 1, 1])
    a = K.avg_pool2d_forward(x, 2)
    assert np.isnan(a[0, 0, 0, 0]) and np.isposinf(a[0, 0, 1, 1]) and a[0, 0, 0, 1] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_2x2_kernels_match_general_kernels(dtype):
    """The 2x2 stride-2 kernels agree with the general ones: ties, NaN, inf, odd sizes."""
    from autograd.kernels import pool

    rng = np.random.default_rng(15)
    x = rng.integers(-2, 2, (3, 4, 9, 11)).astype(dtype)
    x.flat[rng.choice(x.size, 25, replace=False)] = np.nan
    x.flat[rng.choice(x.size, 25, replace=False)] = -np.inf
    P = 12
    y, am = K.max_pool2d_forward(x, 2)
    y2 = np.empty((P, 4, 5), dtype)
    am2 = np.empty((P, 4, 5), np.int64)
    pool._max_fwd_part(0, 1, x.reshape(P, 9, 11), y2, am2, 2, 2, 2, 2, 0, 0, 1, 1)
    np.testing.assert_array_equal(y.reshape(P, 4, 5), y2)
    np.testing.assert_array_equal(am.reshape(P, 4, 5), am2)
    a = K.avg_pool2d_forward(x, 2)
    a2 = np.empty((P, 4, 5), dtype)
    pool._avg_fwd_part(0, 1, x.reshape(P, 9, 11), a2, 2, 2, 2, 2, 0, 0, True, 0)
    np.testing.assert_allclose(a.reshape(P, 4, 5), a2, rtol=1e-6)
    gy = rng.standard_normal(a.shape).astype(dtype)
    gx = K.avg_pool2d_backward(gy, x.shape, 2)
    gx2 = np.empty((P, 9, 11), dtype)
    pool._avg_bwd_part(0, 1, gy.reshape(P, 4, 5), gx2, 2, 2, 2, 2, 0, 0, True, 0)
    np.testing.assert_array_equal(gx.reshape(P, 9, 11), gx2)


@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 2, 1)])
def test_pool_on_worker_threads_matches_one_part(k, s, p):
    """Inputs large enough for the worker threads give what one serial part gives."""
    from autograd.kernels import pool

    x = np.random.default_rng(16).standard_normal((2, 8, 48, 48))
    assert x.size >= pool._PAR_ELEMENTS
    y, am = K.max_pool2d_forward(x, k, s, p)
    P, OH, OW = 16, y.shape[2], y.shape[3]
    y1, am1 = np.empty((P, OH, OW)), np.empty((P, OH, OW), np.int64)
    pool._max_fwd_part(0, 1, x.reshape(P, 48, 48), y1, am1, k, k, s, s, p, p, 1, 1)
    np.testing.assert_array_equal(y.reshape(P, OH, OW), y1)
    np.testing.assert_array_equal(am.reshape(P, OH, OW), am1)
    gx1 = np.empty((P, 48, 48))
    pool._max_bwd_part(0, 1, y1, am1, gx1)
    np.testing.assert_array_equal(K.max_pool2d_backward(y, am, x.shape).reshape(P, 48, 48), gx1)


def test_pool_errors():
    with pytest.raises(ValueError, match="max_pool2d: padding"):
        K.max_pool2d_forward(np.zeros((1, 1, 4, 4)), 2, 2, 2)
    with pytest.raises(ValueError, match="input must be 4-D"):
        K.avg_pool2d_forward(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        K.max_pool2d_forward(np.zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match="outside the 4x4 input plane"):
        K.max_pool2d_backward(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 99), (1, 1, 4, 4))
    with pytest.raises(TypeError, match="float32 or float64"):
        K.max_pool2d_forward(np.zeros((1, 1, 4, 4), np.int32), 2)


# ----- matmul / linear -----------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 5, 4), (4,)),
    ((2, 1, 30, 7), (3, 7, 9)), ((5, 200, 64), (64, 300)), ((300, 64), (2, 64, 200)),
    ((256, 256), (256, 256)), ((1, 70, 130), (4, 130, 90)), ((0, 3), (3, 4)), ((3, 0), (0, 4)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_matches_numpy(sa, sb, dtype):
    rng = np.random.default_rng(9)
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    c = K.matmul(a, b)
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert c.shape == ref.shape and c.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(c, ref, rtol=tol, atol=tol * max(1, sa[-1]))


@pytest.mark.parametrize("kind", ["slice", "negative", "fortran", "strided"])
def test_matmul_noncontiguous(kind):
    rng = np.random.default_rng(10)
    a = rng.standard_normal((6, 40, 50))
    b = rng.standard_normal((6, 50, 30))
    np.testing.assert_allclose(K.matmul(variants(a)[kind], variants(b)[kind]), a @ b,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.matmul(a[0].T, b[0].T[:, :40].T), a[0].T @ b[0][:40],
                               rtol=1e-12)


def test_matmul_gradients_central_differences():
    """The matmul vjp (g @ b^T, a^T @ g) against central differences."""
    rng = np.random.default_rng(11)
    a = rng.standard_normal((2, 3, 4))
    b = rng.standard_normal((4, 5))
    g = rng.standard_normal((2, 3, 5))
    ga = K.matmul(g, b.T)
    gb = K.matmul(a.reshape(-1, 4).T, g.reshape(-1, 5))
    np.testing.assert_allclose(ga, num_grad(lambda: (K.matmul(a, b) * g).sum(), a), rtol=1e-6)
    np.testing.assert_allclose(gb, num_grad(lambda: (K.matmul(a, b) * g).sum(), b), rtol=1e-6)


@pytest.mark.parametrize("act", [None, "relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("rows", [3, 300])
def test_linear_fused(act, rows):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((rows, 50)).astype(np.float32)
    w = rng.standard_normal((40, 50)).astype(np.float32)
    b = rng.standard_normal(40).astype(np.float32)
    z = x.astype(np.float64) @ w.T.astype(np.float64) + b
    f = {None: lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
         "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[act]
    np.testing.assert_allclose(K.linear(x, w, b, act), f(z), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(K.linear(x[None], w, None, act)[0], f(z - b), rtol=1e-4,
                               atol=1e-4)


def test_linear_tanh_float32_accuracy_and_specials():
    """float32 tanh in the fused epilogue is a rational approximation: within 8 ulp of the
    float64 tanh over [-12, 12]; NaN stays NaN, +-inf gives +-1; float64 stays exact-ish."""
    x = np.concatenate([np.linspace(-12, 12, 200_001), np.linspace(-1e-3, 1e-3, 2001),
                        [0.0, -0.0, 3e-4, 7.9, 7.91, 9.5, 20.0, 1e30]])
    x32 = x.astype(np.float32)
    y = K.linear(x32[:, None], np.ones((1, 1), np.float32), None, "tanh")[:, 0]
    true = np.tanh(x32.astype(np.float64))
    ulp = np.spacing(np.abs(true).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(y - true) / ulp) <= 8
    assert np.all(np.abs(y) <= 1)
    special = np.array([[np.nan], [np.inf], [-np.inf]], np.float32)
    ys = K.linear(special, np.ones((1, 1), np.float32), None, "tanh")[:, 0]
    assert np.isnan(ys[0]) and ys[1] == 1 and ys[2] == -1
    y64 = K.linear(x[:, None], np.ones((1, 1)), None, "tanh")[:, 0]
    np.testing.assert_allclose(y64, np.tanh(x), rtol=1e-15, atol=0)
    big = np.random.default_rng(16).standard_normal((300, 64)).astype(np.float32)
    wb = np.random.default_rng(17).standard_normal((96, 64)).astype(np.float32) / 8
    np.testing.assert_allclose(K.linear(big, wb, None, "tanh"),
                               np.tanh(big.astype(np.float64) @ wb.T), rtol=1e-5, atol=1e-6)


def test_linear_sigmoid_extremes_and_nan():
    w = np.ones((1, 1))
    for dtype in (np.float32, np.float64):
        x = np.array([[-1000.0], [1000.0], [np.nan]], dtype)
        y = K.linear(x, w.astype(dtype), None, "sigmoid")
        np.testing.assert_array_equal(y[:2, 0], [0.0, 1.0])
        assert np.isnan(y[2, 0])
        assert np.isnan(K.linear(x, w.astype(dtype), None, "relu")[2, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False), (True, True)])
def test_gemm_blocks_in_place(dtype, ta, tb):
    """``blas.gemm`` writes C = alpha op(A) op(B) + beta C into a block of a bigger buffer,
    operands read as blocks (offset, row stride) of others; nothing outside the block moves."""
    from autograd.kernels.blas import gemm

    rng = np.random.default_rng(30)
    M, N, K = 7, 5, 6
    a_big = rng.standard_normal((12, 11)).astype(dtype)  # op(A) is a block of this
    b_big = rng.standard_normal((10, 9)).astype(dtype)
    a_blk = a_big[2:2 + K, 3:3 + M] if ta else a_big[2:2 + M, 3:3 + K]
    b_blk = b_big[1:1 + N, 2:2 + K] if tb else b_big[1:1 + K, 2:2 + N]
    c_big = rng.standard_normal((9, 8)).astype(dtype)
    before = c_big.copy()
    scale = np.array([2.0, 0.5], dtype)
    gemm(a_big.reshape(-1), 2 * 11 + 3, 11, ta, b_big.reshape(-1), 1 * 9 + 2, 9, tb,
         c_big.reshape(-1), 1 * 8 + 2, 8, M, N, K, scale)
    op_a = a_blk.T if ta else a_blk
    op_b = b_blk.T if tb else b_blk
    expect = before.astype(np.float64)
    expect[1:1 + M, 2:2 + N] = 2 * op_a.astype(np.float64) @ op_b + 0.5 * before[1:1 + M, 2:2 + N]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c_big, expect, rtol=tol, atol=tol)


# (M, K, N) per regime of kernels.matmul/linear: NumPy on this thread (M*N*K <= 2**18),
# single-threaded BLAS on this thread, workers by rows (M >= N), workers by columns (M < N).
REGIMES = [(3, 40, 30), (60, 70, 80), (300, 200, 150), (70, 300, 500), (33, 257, 1023)]


@pytest.mark.parametrize("M, K, N", REGIMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_and_linear_every_regime(M, K, N, dtype):
    rng = np.random.default_rng(31)
    a = rng.standard_normal((M, K)).astype(dtype)
    b = rng.standard_normal((K, N)).astype(dtype)
    w = rng.standard_normal((N, K)).astype(dtype)
    bias = rng.standard_normal(N).astype(dtype)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(K_.matmul(a, b), a.astype(np.float64) @ b, rtol=tol, atol=tol * 10)
    z = a.astype(np.float64) @ w.T.astype(np.float64) + bias
    for act, f in [(None, lambda v: v), ("relu", lambda v: np.maximum(v, 0)),
                   ("tanh", np.tanh), ("sigmoid", lambda v: 0.5 * (1 + np.tanh(v / 2)))]:
        y = K_.linear(a, w, bias, act)
        assert y.dtype == dtype and y.shape == (M, N)
        np.testing.assert_allclose(y, f(z), rtol=tol, atol=tol * 10, err_msg=str(act))
    np.testing.assert_allclose(K_.linear(a, w, None, "tanh"), np.tanh(z - bias), rtol=tol,
                               atol=tol * 10)


@pytest.mark.parametrize("M, K, N", REGIMES[1:])
def test_products_never_wake_numpys_blas_threads(monkeypatch, M, K, N):
    """Above OpenBLAS's own single-thread size, products must not go through NumPy's BLAS:
    its spinning threads would halve the speed of our parallel kernels for ~100 ms."""
    mm = sys.modules["autograd.kernels.matmul"]  # the attribute is the function
    calls = []
    real = np.matmul

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(mm.np, "matmul", spy)
    a = np.ones((M, K), np.float32)
    K_.matmul(a, np.ones((K, N), np.float32))
    K_.linear(a, np.ones((N, K), np.float32), np.ones(N, np.float32), "relu")
    assert calls == []


def test_products_propagate_nan_and_inf_on_workers():
    a = np.ones((300, 200))
    a[5, 7] = np.nan
    a[250, 3] = np.inf
    y = K_.matmul(a, np.ones((200, 100)))
    assert np.isnan(y[5]).all() and np.isposinf(y[250]).all()
    assert np.isfinite(np.delete(y, [5, 250], axis=0)).all()
    z = K_.linear(np.ones((70, 300)), np.where(np.eye(500, 300) > 0, np.nan, 1.0), None, "tanh")
    assert np.isnan(z[:, :300]).all() and np.all(z[:, 300:] == 1.0)


def test_matmul_errors():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        K.matmul(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="do not broadcast"):
        K.matmul(np.zeros((2, 3, 4)), np.zeros((3, 4, 5)))
    with pytest.raises(TypeError, match="matmul: a must be float32 or float64"):
        K.matmul(np.zeros((2, 3), np.int64), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="linear: input has 3 features"):
        K.linear(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="activation must be one of"):
        K.linear(np.zeros((2, 3)), np.zeros((4, 3)), activation="gelu")


# ----- JIT and threading behaviour (RELIABILITY 26) ------------------------------------------


def test_kernels_from_several_threads():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((8, 16, 10, 10)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    expected = K.conv2d_forward(x, w, None, 1, 1)
    expected_pool = K.max_pool2d_forward(x, 2)[0]
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(10):
                np.testing.assert_array_equal(K.conv2d_forward(x, w, None, 1, 1), expected)
                np.testing.assert_array_equal(K.max_pool2d_forward(x, 2)[0], expected_pool)
                K.conv2d_backward_weight(expected, x, w.shape, 1, 1)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_run_parallel_runs_every_part_and_raises_a_workers_error():
    from autograd.kernels._runtime import run_parallel

    seen, lock = [], threading.Lock()

    def part(t, T, fail):  # noqa: N803
        with lock:
            seen.append((t, T))
        if t == fail:
            raise ValueError(f"part {t} failed")

    with pytest.raises(ValueError, match="part 2 failed"):
        run_parallel(part, 3, 2)  # part 2 runs on a worker thread
    assert sorted(seen) == [(0, 3), (1, 3), (2, 3)]  # the others still ran to the end
    seen.clear()
    run_parallel(part, 1, -1)
    assert seen == [(0, 1)]


def _run(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONPATH=ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=300, cwd=ROOT)


WARM_CODE = """
import time
t0 = time.perf_counter()
import numpy as np
from autograd import kernels as K
y = K.conv2d_forward(np.ones((2, 3, 8, 8), np.float32), np.ones((4, 3, 3, 3), np.float32))
assert y[0, 0, 3, 3] == 27
print(time.perf_counter() - t0)
"""


def test_second_process_starts_warm():
    first = _run(WARM_CODE)
    assert first.returncode == 0, first.stderr
    second = _run(WARM_CODE)
    assert second.returncode == 0, second.stderr
    assert float(second.stdout.strip().splitlines()[-1]) < 5.0  # cache hit, no compile


def test_unwritable_cache_dir_does_not_crash(tmp_path):
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        res = _run(WARM_CODE.replace("(2, 3, 8, 8)", "(1, 3, 8, 8)"),
                   {"NUMBA_CACHE_DIR": str(cache / "sub")})
    finally:
        cache.chmod(0o700)
    assert res.returncode == 0, res.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_kernels_loaded():
    code = """
import os, numpy as np
from autograd import kernels as K
x = np.ones((4, 2, 6, 6)); w = np.ones((3, 2, 3, 3))
y = K.conv2d_forward(x, w)
pid = os.fork()
if pid == 0:
    ok = np.array_equal(K.conv2d_forward(x, w), y) and K.max_pool2d_forward(x, 2)[0].sum() == 72
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "0", res.stderr
