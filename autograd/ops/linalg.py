"""Matrix products: `matmul` (NumPy semantics, batched with broadcast batch dims) and the
fused `linear` (x @ W.T + b) that nn.Linear uses. Both call the Numba/BLAS kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import kernels
from autograd.errors import ShapeError
from autograd.registry import primitive, unrecorded
from autograd.tensor import Tensor


def _matmul_check(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: operands must be at least 1-D; got shapes {a.shape} and {b.shape}"
        )
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        dim_b = 0 if b.ndim == 1 else b.ndim - 2
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: {ka} (dim {a.ndim - 1}) "
            f"!= {kb} (dim {dim_b})"
        )
    if a.ndim <= 2 and b.ndim <= 2:
        return
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: batch dimensions {a.shape[:-2]} and {b.shape[:-2]} do not broadcast "
            f"(shapes {a.shape} and {b.shape})"
        ) from None


@primitive("matmul", check=_matmul_check, saves=("inputs",))
def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b with NumPy semantics; floating operands run on the BLAS-backed kernels."""
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return kernels.matmul(a, b)
    return np.matmul(a, b)


def _matmul_into(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        kernels.matmul(a, b, out=out)
    else:
        np.matmul(a, b, out=out)


matmul.definto(_matmul_into)
matmul.defbind(lambda out, a, b: kernels.product_call(a, b, out))


def _mm(a: Any, b: Any) -> Any:
    """The product inside a VJP: recorded on Tensors, the bare forward on ndarrays (see
    `unrecorded`)."""
    return matmul(a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else matmul.forward(a, b)


def _swap(t: Any) -> Any:
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1 and b.ndim == 1:
        return g * b
    bm = b.reshape((-1, 1)) if b.ndim == 1 else b
    gm = g.reshape(g.shape + (1,)) if b.ndim == 1 else g
    if a.ndim == 1:
        gm = gm.reshape(gm.shape[:-1] + (1, gm.shape[-1]))
        return _mm(gm, _swap(bm)).reshape(gm.shape[:-2] + (a.shape[0],))
    return _mm(gm, _swap(bm))


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    am = a.reshape((1, -1)) if a.ndim == 1 else a
    gm = g.reshape(g.shape[:-1] + (1, g.shape[-1])) if a.ndim == 1 else g
    if b.ndim == 1:
        gm = gm.reshape(gm.shape + (1,))
        return _mm(_swap(am), gm).reshape(gm.shape[:-2] + (b.shape[0],))
    return _mm(_swap(am), gm)


matmul.defvjp(unrecorded(_matmul_vjp_a), unrecorded(_matmul_vjp_b))


def _linear_check(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> None:
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {x.shape} does not match weight of shape {w.shape} "
            f"(expects in_features={w.shape[-1] if w.ndim else '?'} in the last dimension)"
        )
    if b is not None and b.shape != (w.shape[0],):
        raise ShapeError(f"linear: bias of shape {b.shape} must be ({w.shape[0]},)")


@primitive("linear", check=_linear_check, saves=("inputs",))
def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x @ w.T + b with PyTorch's (out_features, in_features) weight, bias added in one pass."""
    return kernels.linear(x, w, b)


linear.definto(lambda out, x, w, b: kernels.linear(x, w, b, out=out))
linear.defbind(lambda out, x, w, b: kernels.linear_call(x, w, b, out))


def _rows(t: Any) -> Any:
    return t.reshape((-1, t.shape[-1])) if t.ndim != 2 else t


linear.defvjp(
    unrecorded(lambda g, ans, x, w, b: _mm(g, w)),
    unrecorded(lambda g, ans, x, w, b: _mm(_swap(_rows(g)), _rows(x))),
    unrecorded(lambda g, ans, x, w, b: _rows(g).sum(axis=0)),
)


# ----- PyTorch's named products (checked shapes, then matmul) -----


def _t(x: Any) -> Any:
    return x if isinstance(x, Tensor) else Tensor(x)


def _ranks(op: str, want: tuple[int, ...], *xs: Any) -> None:
    if tuple(x.ndim for x in xs) != want:
        raise ShapeError(
            f"{op}: expected operands of {', '.join(f'{r}-D' for r in want)}; got shapes "
            f"{', '.join(str(x.shape) for x in xs)}"
        )


def outer(input: Any, vec2: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Outer product of two 1-D tensors: (n,) x (m,) -> (n, m)."""
    a, b = _t(input), _t(vec2)
    _ranks("outer", (1, 1), a, b)
    return a.reshape((-1, 1)) * b.reshape((1, -1))


ger = outer


def dot(input: Any, tensor: Any) -> Any:  # noqa: A002
    """Inner product of two 1-D tensors of equal length (torch.dot; vdot for real inputs)."""
    a, b = _t(input), _t(tensor)
    _ranks("dot", (1, 1), a, b)
    return matmul(a, b)


vdot = dot


def mv(input: Any, vec: Any) -> Any:  # noqa: A002
    """Matrix (n, m) times vector (m,)."""
    a, v = _t(input), _t(vec)
    _ranks("mv", (2, 1), a, v)
    return matmul(a, v)


def mm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """Matrix product of two 2-D tensors (no broadcasting)."""
    a, b = _t(input), _t(mat2)
    _ranks("mm", (2, 2), a, b)
    return matmul(a, b)


def bmm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """Batched matrix product (b, n, m) x (b, m, p) with equal batch sizes (no broadcasting)."""
    a, b = _t(input), _t(mat2)
    _ranks("bmm", (3, 3), a, b)
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ: {a.shape} and {b.shape}")
    return matmul(a, b)


def _scaled_sum(base: Any, prod: Any, beta: float, alpha: float) -> Any:
    """beta * base + alpha * prod; base is ignored when beta == 0 (NaN not propagated)."""
    out = prod if alpha == 1 else prod * np.asarray(alpha, dtype=prod.dtype)
    if beta == 0:
        return out
    inp = _t(base)
    return out + (inp if beta == 1 else inp * np.asarray(beta, dtype=prod.dtype))


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Any:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2)."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input: Any, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Any:  # noqa: A002
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Any:  # noqa: A002
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)
