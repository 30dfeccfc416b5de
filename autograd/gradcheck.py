"""Compare analytic gradients with central differences, in float64 (PyTorch's gradcheck).

`numerical_grad` is the user tool; `gradcheck` / `gradgradcheck` compare the full Jacobian
(first / second order) and raise `GradcheckError` naming the input, the worst element and
both values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import engine, mode, tree
from autograd.ops.shape import concatenate
from autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """Analytic and numerical derivatives disagree (the message says where and by how much)."""


def _as_tuple(inputs: Any) -> tuple[Any, ...]:
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def _leaf_labels(inputs: tuple[Any, ...]) -> list[str]:
    labels: list[str] = []

    def walk(node: Any, label: str) -> None:
        if isinstance(node, dict):
            for k in sorted(node, key=repr):
                walk(node[k], f"{label}[{k!r}]")
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, f"{label}[{i}]")
        else:
            labels.append(label)

    for i, a in enumerate(inputs):
        walk(a, f"input {i}")
    return labels


def _float64_leaves(inputs: tuple[Any, ...]) -> tuple[list[np.ndarray | None], Any]:
    leaves, td = tree.flatten(inputs)
    arrays: list[np.ndarray | None] = []
    for leaf in leaves:
        data = leaf.data if isinstance(leaf, Tensor) else leaf
        if isinstance(data, (np.ndarray, float)) and np.asarray(data).dtype.kind == "f":
            arrays.append(np.array(data, dtype=np.float64, copy=True))
        else:
            arrays.append(None)
    return arrays, td


def _call(f: Callable[..., Any], td: Any, leaves: list[Any]) -> Any:
    return f(*tree.unflatten(td, leaves))


def _output_array(out: Any) -> np.ndarray:
    data = out.data if isinstance(out, Tensor) else out
    return np.asarray(data, dtype=np.float64)


def numerical_grad(f: Callable[..., Any], *args: Any, eps: float = 1e-6) -> Any:
    """Central-difference gradient of scalar `f` w.r.t. every floating leaf, in float64.

    Returns the same nest as `args` (one argument: that argument's nest).
    """
    leaves, td = _float64_leaves(args)
    originals, _ = tree.flatten(args)
    filled = [a if a is not None else o for a, o in zip(leaves, originals, strict=True)]
    grads: list[Any] = []
    with mode.no_grad():
        for arr in leaves:
            if arr is None:
                grads.append(None)
                continue
            g = np.zeros_like(arr)
            flat = arr.reshape(-1)
            for j in range(flat.size):
                old = flat[j]
                flat[j] = old + eps
                plus = _output_array(_call(f, td, filled))
                flat[j] = old - eps
                minus = _output_array(_call(f, td, filled))
                flat[j] = old
                if plus.size != 1:
                    raise TypeError(
                        f"numerical_grad needs a scalar-valued f; got output shape {plus.shape}"
                    )
                g.reshape(-1)[j] = (plus.item() - minus.item()) / (2 * eps)
            grads.append(g)
    out = tree.unflatten(td, grads)
    return out[0] if len(args) == 1 else out


def _numerical_jacobian(
    f: Callable[..., Any], td: Any, leaves: list[Any], k: int, out_size: int, eps: float
) -> np.ndarray:
    arr = leaves[k]
    jac = np.zeros((out_size, arr.size))
    flat = arr.reshape(-1)
    with mode.no_grad():
        for j in range(arr.size):
            old = flat[j]
            flat[j] = old + eps
            plus = _output_array(_call(f, td, leaves)).reshape(-1)
            flat[j] = old - eps
            minus = _output_array(_call(f, td, leaves)).reshape(-1)
            flat[j] = old
            jac[:, j] = (plus - minus) / (2 * eps)
    return jac


def _analytic_jacobians(
    f: Callable[..., Any], td: Any, leaves: list[Any], diff: list[int]
) -> tuple[list[np.ndarray], int]:
    tensors = list(leaves)
    for k in diff:
        tensors[k] = Tensor(leaves[k].copy(), requires_grad=True)
    with mode.enable_grad():
        out = _call(f, td, tensors)
    if not isinstance(out, Tensor):
        out = Tensor(np.asarray(out, dtype=np.float64))
    size = out.data.size
    jacs = [np.zeros((size, leaves[k].size)) for k in diff]
    if not out.requires_grad:
        return jacs, size
    inputs = [tensors[k] for k in diff]
    for row in range(size):
        seed = np.zeros(size, dtype=out.data.dtype)
        seed[row] = 1.0
        grads = engine.backward(
            [out], [seed.reshape(out.shape)], retain_graph=True, inputs=inputs
        )
        for i, g in enumerate(grads or []):
            if g is not None:
                if g.shape != inputs[i].shape:
                    raise GradcheckError(
                        f"gradient for input {diff[i]} has shape {g.shape}; "
                        f"expected {inputs[i].shape}"
                    )
                jacs[i][row] = g.data.reshape(-1)
    return jacs, size


def gradcheck(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check f's analytic Jacobian against central differences, in float64.

    `inputs` is one array/Tensor or a tuple (or nest) of them; every floating leaf is
    checked. Returns True when they agree; otherwise raises `GradcheckError` (or returns
    False with `raise_exception=False`).
    """
    args = _as_tuple(inputs)
    leaves, td = _float64_leaves(args)
    originals, _ = tree.flatten(args)
    filled = [a if a is not None else o for a, o in zip(leaves, originals, strict=True)]
    diff = [k for k, a in enumerate(leaves) if a is not None]
    labels = _leaf_labels(args)
    analytic, size = _analytic_jacobians(f, td, filled, diff)
    for i, k in enumerate(diff):
        numeric = _numerical_jacobian(f, td, filled, k, size, eps)
        a = analytic[i]
        err = np.abs(a - numeric)
        bad = err > atol + rtol * np.abs(numeric)
        if np.any(bad) or not np.all(np.isfinite(a) == np.isfinite(numeric)):
            row, col = np.unravel_index(int(np.argmax(np.where(bad, err, -1))), err.shape)
            elem = np.unravel_index(col, filled[k].shape) if filled[k].ndim else ()
            rel = err[row, col] / max(abs(numeric[row, col]), 1e-300)
            msg = (
                f"Jacobian mismatch for {labels[k]} at element {tuple(int(e) for e in elem)} "
                f"(output element {int(row)}): analytic {a[row, col]:.8g}, numerical "
                f"{numeric[row, col]:.8g}, abs error {err[row, col]:.3g}, rel error {rel:.3g} "
                f"(atol={atol}, rtol={rtol}, eps={eps})"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of `(inputs, v) -> vjp(f, inputs)(v)`.

    `grad_outputs` (v) defaults to a fixed random array of f's output shape.
    """
    args = _as_tuple(inputs)
    leaves, td = _float64_leaves(args)
    originals, _ = tree.flatten(args)
    filled = [a if a is not None else o for a, o in zip(leaves, originals, strict=True)]
    diff = [k for k, a in enumerate(leaves) if a is not None]
    with mode.no_grad():
        out = _call(f, td, filled)
    shape = np.shape(out.data if isinstance(out, Tensor) else out)
    if grad_outputs is None:
        grad_outputs = np.random.default_rng(seed).standard_normal(shape)
    v0 = np.array(getattr(grad_outputs, "data", grad_outputs), dtype=np.float64)

    def first_order(*xs_and_v: Any) -> Tensor:
        xs, v = list(xs_and_v[:-1]), xs_and_v[-1]
        xs = [
            x if isinstance(x, Tensor) and x.requires_grad
            else Tensor(np.asarray(getattr(x, "data", x)), requires_grad=True)
            for x in xs
        ]
        call = list(filled)
        for k, x in zip(diff, xs, strict=True):
            call[k] = x
        with mode.enable_grad():
            y = _call(f, td, call)
            if not y.requires_grad:
                return Tensor(np.zeros(sum(x.data.size for x in xs)))
            grads = engine.backward(
                [y], [v], retain_graph=True, create_graph=True, inputs=list(xs)
            )
        flat = [
            g.reshape(-1) if g is not None else Tensor(np.zeros(x.data.size))
            for g, x in zip(grads or [], xs, strict=True)
        ]
        return concatenate(flat)

    return gradcheck(
        first_order,
        tuple(filled[k] for k in diff) + (v0,),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )


def check_grads(f: Callable[..., Any], *args: Any, order: int = 2, **kw: Any) -> None:
    """gradcheck and (order >= 2) gradgradcheck, raising on any mismatch."""
    gradcheck(f, args, **kw)
    if order >= 2:
        gradgradcheck(f, args, **kw)

