"""Exercises on images: conv2d through im2col, and 2x2 max pooling.

The forwards use `im2col`, which is copied into the conv starter file; the learner writes its
adjoint (col2im) as part of the backward.
"""

from __future__ import annotations

import numpy as np

from autograd.exercises.spec import Exercise


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> np.ndarray:
    """Every (kh, kw) window of x (N, C, H, W) as one row: (N * Ho * Wo, C * kh * kw)."""
    n, c, h, w = x.shape
    ho, wo = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, ho, wo, c, kh, kw), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            cols[:, i, j] = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
    return cols.reshape(n * ho * wo, c * kh * kw)


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int,
                   pad: int) -> tuple[np.ndarray, tuple]:
    """Cross-correlation of x (N, C, H, W) with w (F, C, kh, kw) plus b (F,), as one matmul:
    im2col(x) @ w.reshape(F, -1).T, reshaped to (N, F, Ho, Wo)."""
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    cols = im2col(x, kh, kw, stride, pad)
    out = cols @ w.reshape(f, -1).T + b
    return out.reshape(n, ho, wo, f).transpose(0, 3, 1, 2), (cols, x.shape, w, stride, pad)


def conv2d_backward(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matmul VJP on the columns, then col2im: add each row back onto its window."""
    cols, x_shape, w, stride, pad = cache
    n, c, h, wd = x_shape
    f, _, kh, kw = w.shape
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, f)  # (N * Ho * Wo, F), rows as in cols
    dw = (g2.T @ cols).reshape(w.shape)
    dcols = (g2 @ w.reshape(f, -1)).reshape(n, -1, c, kh, kw)
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    for k in range(ho * wo):
        i, j = divmod(k, wo)
        dxp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += dcols[:, k]
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, g2.sum(axis=0)


def max_pool_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """2x2 max pooling with stride 2 of x (N, C, H, W) (H and W even): (N, C, H/2, W/2)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = windows.max(axis=(3, 5))
    return out, (windows, out)


def max_pool_backward(g: np.ndarray, cache: tuple) -> np.ndarray:
    """Only each window's maximum moved the output: it gets g, the other three get 0."""
    windows, out = cache
    is_max = windows == out[:, :, :, None, :, None]
    return (is_max * g[:, :, :, None, :, None]).reshape(
        windows.shape[0], windows.shape[1], 2 * windows.shape[2], 2 * windows.shape[4])


def _pool_sample(rng: np.random.Generator) -> dict[str, object]:
    """Distinct values 0.1 apart: no ties, and no step moves a window's maximum."""
    return {"x": 0.1 * rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4).astype(np.float64)}


EXERCISES = [
    Exercise(
        "conv2d", "conv2d via im2col",
        "A convolution is a matmul on unfolded windows; its input gradient folds them back.",
        conv2d_forward, conv2d_backward,
        lambda rng: {"x": rng.standard_normal((2, 2, 4, 4)),
                     "w": 0.5 * rng.standard_normal((2, 2, 3, 3)),
                     "b": rng.standard_normal(2), "stride": 1, "pad": 1},
        ("x", "w", "b"),
        ("Reshape g (N, F, Ho, Wo) to the rows of the matmul: g.transpose(0, 2, 3, 1)"
         ".reshape(-1, F). Then db, dw and d(cols) are the affine exercise.",
         "dw = (g2.T @ cols).reshape(w.shape); dcols = g2 @ w.reshape(F, -1). To get dx, undo "
         "im2col: every row of dcols is one window of the padded x.",
         "col2im: loop over the windows as im2col does and ADD each one back (windows overlap), "
         "then crop the padding: dxp[:, :, pad:pad + H, pad:pad + W]."),
        helpers=(im2col,),
    ),
    Exercise(
        "max_pool", "2x2 max pooling",
        "Max pooling routes the gradient: only the winner of each window receives it.",
        max_pool_forward, max_pool_backward,
        _pool_sample, ("x",),
        ("dL/dx has x's shape (N, C, H, W); in each 2x2 window one entry moved the output.",
         "Compare the windows in the cache with out (broadcast it to (N, C, H/2, 1, W/2, 1)) to "
         "find the maxima.",
         "mask = windows == out[:, :, :, None, :, None]; multiply by g broadcast the same way; "
         "reshape to (N, C, H, W)."),
    ),
]
