"""An exercise made from a user's own function: its autograd VJP becomes the hidden reference.

`from_function(f, inputs)` hides the VJP of `f` (a function of Tensors built from autograd
ops): the learner writes `backward(g, cache)` where the cache is the inputs themselves.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import engine, mode
from autograd.exercises.spec import Exercise
from autograd.tensor import Tensor

HINTS = (
    "Write the forward as a list of simple ops and go back through them, last op first: each "
    "step turns dL/d(its output) into dL/d(its inputs).",
    "Every gradient has its input's shape. A broadcast input sums its gradient over the "
    "broadcast axes; a matmul's gradient is a product with the other factor.",
    "An input used twice gets the sum of both paths' gradients.",
)


def _names(f: Callable[..., Any], n: int) -> tuple[str, ...]:
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        params = []
    if len(params) < n or any(not p.isidentifier() for p in params[:n]):
        return tuple(f"x{i}" for i in range(n))
    return tuple(params[:n])


def _source_comment(f: Callable[..., Any], where: str, names: tuple[str, ...]) -> str:
    try:
        src = textwrap.dedent(inspect.getsource(f)).rstrip()
    except (OSError, TypeError):
        src = f"{getattr(f, '__qualname__', f)} (source not available)"
    body = "\n".join(f"#     {line}".rstrip() for line in src.splitlines())
    args = ", ".join(names)
    return (f"# Your function, from {where} (the checker imports it from there):\n#\n{body}\n#\n"
            f"# forward({args}) = (f({args}), ({args}{',' if len(names) == 1 else ''})): "
            "the cache is the inputs, in order.\n")


def from_function(f: Callable[..., Any], inputs: Sequence[Any], *, name: str | None = None,
                  target: str | None = None) -> Exercise:
    """An exercise hiding the VJP of `f(*inputs)`; `inputs` are example arrays or shapes."""
    if not callable(f):
        raise TypeError(f"exercise: expected a function of Tensors; got {type(f).__name__}")
    examples = [np.asarray(x, dtype=np.float64) if not isinstance(x, tuple) else x
                for x in inputs]
    if not examples:
        raise ValueError("exercise: give the function's example inputs (arrays or shapes)")
    shapes = tuple(x if isinstance(x, tuple) else x.shape for x in examples)
    names = _names(f, len(shapes))
    label = name or getattr(f, "__name__", "function")

    def sample(rng: np.random.Generator) -> dict[str, Any]:
        return {n: (x.copy() if isinstance(x, np.ndarray) else rng.standard_normal(x))
                for n, x in zip(names, examples, strict=True)}

    def forward(*xs: np.ndarray) -> tuple[np.ndarray, tuple]:
        with mode.no_grad():
            out = f(*(Tensor(x) for x in xs))
        return np.asarray(out.data if isinstance(out, Tensor) else out), tuple(xs)

    def reference(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
        ts = [Tensor(x, requires_grad=True) for x in cache]
        with mode.enable_grad():
            out = f(*ts)
        grads = engine.backward([out], [Tensor(np.asarray(g, dtype=out.dtype))], inputs=ts)
        return tuple(np.zeros(x.shape) if gr is None else gr.data for x, gr in zip(
            cache, grads, strict=True))

    where = target.rpartition(":")[0] if target else "your notebook"
    return Exercise(
        label, f"the VJP of your {label}",
        "Your own function: its VJP from autograd is the hidden reference.",
        forward, reference, sample, names, HINTS,
        forward_source=_source_comment(f, where, names), target=target,
        shapes=tuple(tuple(int(d) for d in s) for s in shapes),
    )
