"""Exercises on layers: matmul, affine, batch norm, dropout and one RNN step.

Each forward returns (output, cache); each `*_backward(g, cache)` is the hidden reference VJP,
written for a learner to read (it is printed by `solution`).
"""

from __future__ import annotations

import numpy as np

from autograd.exercises.spec import Exercise


def matmul_forward(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """y = a @ b for a (M, K) and b (K, N); the cache keeps both factors."""
    return a @ b, (a, b)


def matmul_backward(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """dL/da = g @ b^T and dL/db = a^T @ g: the only products with the right shapes."""
    a, b = cache
    return g @ b.T, a.T @ g


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """y = x @ w + b for a batch x (N, D), weights w (D, M) and a bias b (M,) broadcast over N."""
    return x @ w + b, (x, w)


def affine_backward(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx = g @ w^T, dL/dw = x^T @ g, dL/db = g summed over the batch (it was broadcast)."""
    x, w = cache
    return g @ w.T, x.T @ g, g.sum(axis=0)


def batch_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                       eps: float) -> tuple[np.ndarray, tuple]:
    """Training-mode batch norm of x (N, D): normalise each column by its batch mean and
    variance, then y = gamma * x_hat + beta."""
    mu = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def batch_norm_backward(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Through x_hat, whose mean and variance depend on every row: two extra batch terms."""
    x_hat, gamma, inv_std = cache
    n = g.shape[0]
    d_hat = g * gamma
    dx = inv_std / n * (n * d_hat - d_hat.sum(axis=0) - x_hat * (d_hat * x_hat).sum(axis=0))
    return dx, (g * x_hat).sum(axis=0), g.sum(axis=0)


def dropout_forward(x: np.ndarray, mask: np.ndarray, p: float) -> tuple[np.ndarray, tuple]:
    """Inverted dropout with a given mask (True = kept): y = x * mask / (1 - p)."""
    return x * mask / (1.0 - p), (mask, p)


def dropout_backward(g: np.ndarray, cache: tuple) -> np.ndarray:
    """The same mask and scale as forward: a kept unit passes g / (1 - p), a dropped one 0."""
    mask, p = cache
    return g * mask / (1.0 - p)


def rnn_step_forward(x: np.ndarray, h_prev: np.ndarray, wx: np.ndarray, wh: np.ndarray,
                     b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """One vanilla RNN step: h = tanh(x @ wx + h_prev @ wh + b), x (N, D), h_prev (N, H)."""
    h = np.tanh(x @ wx + h_prev @ wh + b)
    return h, (x, h_prev, wx, wh, h)


def rnn_step_backward(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Back through tanh first (dz = g * (1 - h^2)), then it is two affine maps sharing dz."""
    x, h_prev, wx, wh, h = cache
    dz = g * (1.0 - h * h)
    return dz @ wx.T, dz @ wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def _dropout_sample(rng: np.random.Generator) -> dict[str, object]:
    return {"x": rng.standard_normal((4, 5)), "mask": rng.random((4, 5)) > 0.4, "p": 0.4}


def _rnn_sample(rng: np.random.Generator) -> dict[str, object]:
    return {"x": rng.standard_normal((3, 4)), "h_prev": rng.standard_normal((3, 5)),
            "wx": 0.5 * rng.standard_normal((4, 5)), "wh": 0.5 * rng.standard_normal((5, 5)),
            "b": 0.1 * rng.standard_normal(5)}


EXERCISES = [
    Exercise(
        "matmul", "matrix product",
        "The shapes decide the VJP of a @ b: each gradient is a product with the other factor.",
        matmul_forward, matmul_backward,
        lambda rng: {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal((4, 4))},
        ("a", "b"),
        ("dL/da has a's shape (M, K) and dL/db has b's shape (K, N); g is (M, N).",
         "Combine g with the other factor so that the shapes fit: (M, N) with (K, N) gives "
         "(M, K) only one way.",
         "dL/da = g @ b.T and dL/db = a.T @ g."),
    ),
    Exercise(
        "affine", "affine layer",
        "A linear layer x @ w + b: the bias was broadcast over the batch, so its gradient sums.",
        affine_forward, affine_backward,
        lambda rng: {"x": rng.standard_normal((3, 4)), "w": rng.standard_normal((4, 4)),
                     "b": rng.standard_normal(4)},
        ("x", "w", "b"),
        ("Return three gradients shaped like x (N, D), w (D, M) and b (M,).",
         "x @ w is the matmul exercise; b was added to every row, so each row's gradient "
         "reaches b.",
         "dL/dx = g @ w.T, dL/dw = x.T @ g, dL/db = g.sum(axis=0)."),
    ),
    Exercise(
        "batch_norm", "batch normalisation (training mode)",
        "Every output depends on the whole batch through its mean and variance: three terms.",
        batch_norm_forward, batch_norm_backward,
        lambda rng: {"x": 2.0 * rng.standard_normal((6, 3)) + 1.0,
                     "gamma": rng.uniform(0.5, 1.5, 3), "beta": rng.standard_normal(3),
                     "eps": 1e-5},
        ("x", "gamma", "beta"),
        ("Start with the easy ones: beta and gamma act per column like a bias and a scale; sum "
         "their gradients over the batch (axis 0).",
         "For x, go through d_hat = g * gamma; x_hat = (x - mu) * inv_std, and mu and the "
         "variance depend on every row, so dL/dx has a term from each path.",
         "dx = inv_std / N * (N * d_hat - d_hat.sum(0) - x_hat * (d_hat * x_hat).sum(0))."),
    ),
    Exercise(
        "dropout", "dropout (deterministic mask given)",
        "Dropout's backward reuses forward's random mask; a new draw would be a different op.",
        dropout_forward, dropout_backward,
        _dropout_sample, ("x",),
        ("The mask is fixed (it is in the cache): for the gradient, dropout is a multiplication "
         "by a constant.",
         "Each kept unit was scaled by 1 / (1 - p); each dropped unit was multiplied by 0.",
         "g * mask / (1 - p)."),
    ),
    Exercise(
        "rnn_step", "one RNN step",
        "Backpropagation through time is this step repeated: tanh, then two affine maps.",
        rnn_step_forward, rnn_step_backward,
        _rnn_sample, ("x", "h_prev", "wx", "wh", "b"),
        ("Go back through tanh first: dz = dL/d(pre-activation), shaped like h (N, H).",
         "tanh'(z) = 1 - h^2 with h from the cache; after that, z = x @ wx + h_prev @ wh + b "
         "is two matmuls and a broadcast bias.",
         "dz = g * (1 - h * h); dx = dz @ wx.T, dh_prev = dz @ wh.T, dwx = x.T @ dz, "
         "dwh = h_prev.T @ dz, db = dz.sum(axis=0)."),
    ),
]
