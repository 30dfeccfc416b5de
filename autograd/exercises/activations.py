"""Exercises on activations and the classifier loss: sigmoid, tanh, ReLU, softmax + cross-entropy.

Each forward returns (output, cache); each `*_backward(g, cache)` is the hidden reference VJP.
Their sources are copied into starter files and printed by `solution`, so they are written
for a learner to read.
"""

from __future__ import annotations

import numpy as np

from autograd.exercises.spec import Exercise


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """y = 1 / (1 + exp(-x)), elementwise; the cache keeps y."""
    y = 1.0 / (1.0 + np.exp(-x))
    return y, (y,)


def sigmoid_backward(g: np.ndarray, cache: tuple) -> np.ndarray:
    """dL/dx = g * y * (1 - y): sigmoid's slope from its own output."""
    (y,) = cache
    return g * y * (1.0 - y)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """y = tanh(x), elementwise; the cache keeps y."""
    y = np.tanh(x)
    return y, (y,)


def tanh_backward(g: np.ndarray, cache: tuple) -> np.ndarray:
    """dL/dx = g * (1 - y^2): tanh's slope from its own output."""
    (y,) = cache
    return g * (1.0 - y * y)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """y = max(x, 0), elementwise; the cache keeps x."""
    return np.maximum(x, 0.0), (x,)


def relu_backward(g: np.ndarray, cache: tuple) -> np.ndarray:
    """dL/dx = g where x > 0, else 0: the gradient passes through the open gates."""
    (x,) = cache
    return g * (x > 0)


def softmax_cross_entropy_forward(logits: np.ndarray, labels: np.ndarray
                                  ) -> tuple[np.ndarray, tuple]:
    """Mean cross-entropy of softmax(logits) (N, C) against integer labels (N,): a scalar."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), labels].mean()
    return np.asarray(loss), (np.exp(log_p), labels)


def softmax_cross_entropy_backward(g: np.ndarray, cache: tuple) -> np.ndarray:
    """dL/dlogits = g * (p - onehot(labels)) / N (the mean over N rows)."""
    p, labels = cache
    n = p.shape[0]
    d = p.copy()
    d[np.arange(n), labels] -= 1.0
    return g * d / n


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values in +-[0.2, 2]: a ReLU's kink stays far from every finite-difference step."""
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


EXERCISES = [
    Exercise(
        "sigmoid", "sigmoid",
        "The derivative of sigmoid is written with its own output: keep y, not x.",
        sigmoid_forward, sigmoid_backward,
        lambda rng: {"x": rng.standard_normal((3, 4))}, ("x",),
        ("Elementwise op: dL/dx = g * dy/dx, one entry at a time; no sums, same shape as x.",
         "Differentiate 1 / (1 + exp(-x)): the result can be written with y alone.",
         "sigma'(x) = sigma(x) * (1 - sigma(x)); the cache holds y = sigma(x)."),
    ),
    Exercise(
        "tanh", "tanh",
        "Like sigmoid, tanh's slope is a function of its output; it vanishes where |y| -> 1.",
        tanh_forward, tanh_backward,
        lambda rng: {"x": rng.standard_normal((3, 4))}, ("x",),
        ("Elementwise op: dL/dx = g * dy/dx, same shape as x.",
         "tanh'(x) = 1 - tanh(x)^2; the cache holds y = tanh(x).",
         "Multiply g by (1 - y * y)."),
    ),
    Exercise(
        "relu", "ReLU",
        "A gradient gate: the upstream gradient passes where the input was positive.",
        relu_forward, relu_backward,
        lambda rng: {"x": _away_from_zero(rng, (3, 4))}, ("x",),
        ("Where x > 0, y = x (slope 1); elsewhere y = 0 (slope 0).",
         "So dL/dx is g where x > 0 and 0 elsewhere: a mask of the input, not of g.",
         "g * (x > 0) -- and do not modify g in place: it may be shared."),
    ),
    Exercise(
        "softmax_cross_entropy", "softmax + cross-entropy",
        "Fused softmax and cross-entropy: the gradient of the logits is (p - onehot) / N.",
        softmax_cross_entropy_forward, softmax_cross_entropy_backward,
        lambda rng: {"logits": rng.standard_normal((4, 5)),
                     "labels": rng.integers(0, 5, 4)}, ("logits",),
        ("The loss is a scalar, so g is a 0-d array (1.0 when the loss is the root); "
         "dL/dlogits has the shape (N, C) of the logits.",
         "For one row, d(-log p_y)/d logit_j = p_j - [j == y]; the cache holds p = softmax.",
         "Start from p, subtract 1 at (row, label) for each row, divide by N for the mean, "
         "multiply by g."),
    ),
]
