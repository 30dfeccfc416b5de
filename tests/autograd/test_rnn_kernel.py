"""The vanilla RNN's sequence kernel against a step-by-step NumPy reference: both directions,
both activations, one part or several, strided gradient layouts."""

from __future__ import annotations

import numpy as np
import pytest

from autograd.kernels import rnn as R


def _reference(xp, h0, w, b, relu, reverse, g):
    steps = xp.shape[0]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    act = (lambda v: np.maximum(v, 0)) if relu else np.tanh
    out, h = np.empty_like(xp), h0
    for t in order:
        h = act(xp[t] + h @ w.T + b)
        out[t] = h
    d, dh = np.empty_like(xp), np.zeros_like(h0)
    for t in reversed(list(order)):
        gh = g[t] + dh
        d[t] = gh * ((out[t] > 0) if relu else (1 - out[t] ** 2))
        dh = d[t] @ w
    return out, d, dh


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch", [3, 64])  # 64 rows: the recurrence splits over workers
def test_elman_kernel_matches_reference(relu, reverse, batch):
    rng = np.random.default_rng(batch)
    steps, hidden = 10, 32
    xp = rng.standard_normal((steps, batch, hidden))
    h0 = rng.standard_normal((batch, hidden)) * 0.5
    w = rng.standard_normal((hidden, hidden)) * 0.2
    b = rng.standard_normal(hidden)
    g = rng.standard_normal(xp.shape)
    want_out, want_d, want_dh = _reference(xp, h0, w, b, relu, reverse, g)
    out = R.elman_forward(xp, h0, w, b, relu, reverse)
    np.testing.assert_allclose(out, want_out, rtol=1e-12, atol=1e-12)
    strided = np.empty((hidden, steps * batch)).T.reshape(steps, batch, hidden)
    for d in (np.empty_like(xp), strided):
        dh = R.elman_backward(g, out, w, d, relu, reverse)
        np.testing.assert_allclose(d, want_d, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(dh, want_dh, rtol=1e-11, atol=1e-11)


def test_elman_kernel_float32_and_no_bias():
    rng = np.random.default_rng(0)
    xp = rng.standard_normal((5, 4, 8)).astype(np.float32)
    h0 = np.zeros((4, 8), np.float32)
    w = (rng.standard_normal((8, 8)) * 0.3).astype(np.float32)
    out = R.elman_forward(xp, h0, w, None, False, False)
    assert out.dtype == np.float32
    want, _, _ = _reference(xp.astype(np.float64), h0, w.astype(np.float64), 0.0, False,
                            False, np.zeros(xp.shape))
    np.testing.assert_allclose(out, want, rtol=2e-6, atol=2e-6)


def test_fits_declines_mixed_dtypes_and_layouts():
    xp, h0, w = np.zeros((2, 3, 4)), np.zeros((3, 4)), np.zeros((4, 4))
    assert R.fits(xp, h0, w, None)
    assert not R.fits(xp.astype(np.float32), h0, w, None)
    assert not R.fits(np.zeros((4, 3, 2)).T, h0, w, None)
    assert not R.fits(xp, h0, w, np.zeros(8)[::2])


def test_the_test_sizes_split_over_workers():
    assert R._parts(64, 10, 32) == min(2, R.num_threads())
