"""Finite differences in float64: the numerical half of gradcheck, and `numerical_grad`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode, tree
from autograd.gradcheck.inputs import as_tuple, flat_values, output_leaves, prepare
from autograd.tensor import Tensor

Evaluate = Callable[[], np.ndarray]


def probe_rng(seed: int | None) -> np.random.Generator:
    """The generator of random probe vectors: a stream apart from `default_rng(seed)`, which
    users (and `tracegrad gradcheck`) draw the inputs from, so a probe never equals an input."""
    return np.random.default_rng(None if seed is None else [seed, 0x9B0BE])


def perturbed_outputs(evaluate: Evaluate, x: np.ndarray, eps: float) -> tuple[np.ndarray, ...]:
    """f at x + eps*e_j and x - eps*e_j for every element j: two (x.size, out_size) arrays.

    `x` is modified in place and restored exactly; `evaluate` reads it.
    """
    if x.size == 0:
        return np.zeros((0, 0)), np.zeros((0, 0))
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("perturbed_outputs needs a contiguous array it can modify in place")
    plus: list[np.ndarray] = []
    minus: list[np.ndarray] = []
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        plus.append(evaluate())
        flat[j] = old - eps
        minus.append(evaluate())
        flat[j] = old
    return np.stack(plus), np.stack(minus)


def directional_outputs(
    evaluate: Evaluate, x: np.ndarray, u: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """f at x + eps*u and x - eps*u (x modified in place and restored exactly)."""
    saved = x.copy()
    try:
        x += eps * u
        plus = evaluate()
        x[...] = saved - eps * u
        minus = evaluate()
    finally:
        x[...] = saved
    return plus, minus


def numerical_grad(f: Callable[..., Any], *args: Any, eps: float = 1e-6) -> Any:
    """Central-difference gradient of scalar-valued `f` w.r.t. every floating leaf, in float64.

    Returns the same nest as `args` (with one argument, that argument's nest): an ndarray for
    an ndarray or float leaf, a float64 Tensor for a Tensor leaf, None for non-floating ones.

    >>> numerical_grad(lambda x: (x * x).sum(), np.array([1.0, 2.0]))  # doctest: +SKIP
    array([2., 4.])
    """
    prep = prepare(args, eps=eps, hold_constant=False)

    def evaluate() -> np.ndarray:
        call, _ = prep.call_args(grad=False, mirror=True)
        with mode.no_grad():
            out = flat_values(output_leaves(f(*call)))
        if out.size != 1:
            raise TypeError(
                f"numerical_grad needs a scalar-valued f; got {out.size} output elements "
                "(use gradcheck for any-shape outputs)"
            )
        return out

    grads: list[Any] = [None] * len(prep.leaves)
    for k in prep.checked:
        x = prep.leaves[k]
        plus, minus = perturbed_outputs(evaluate, x, eps)
        g = ((plus - minus)[:, 0] / (2 * eps)).reshape(x.shape)
        kind = prep.kinds[k]
        grads[k] = Tensor(g) if kind == "tensor" else float(g) if kind == "scalar" else g
    out = tree.unflatten(prep.treedef, grads)
    return out[0] if len(as_tuple(args)) == 1 else out
