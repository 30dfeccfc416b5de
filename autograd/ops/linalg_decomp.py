"""Inverse, determinants, solve and the decompositions (Cholesky, QR, SVD, symmetric eigen),
batched over leading dimensions as torch.linalg, with the matrix-backprop VJPs (Giles 2008,
Murray 2016, Seeger et al. 2017, Townsend's SVD notes; PyTorch's FunctionsManual).

All VJPs are written with primitives, so inv, det, slogdet, solve and cholesky differentiate
to second order. Decompositions with several outputs (qr, svd, eigh) are one primitive whose
forward packs its outputs along a last axis; the wrappers unpack them with getitem/reshape,
so the one VJP receives every output's cotangent at once.

NOTE: as in PyTorch, eigh's and svd's gradients contain 1 / (lambda_j - lambda_i) (and
1 / (s_j^2 - s_i^2)): repeated eigenvalues / singular values give inf or NaN gradients
(unless the loss depends only on the values or is invariant to rotations within the
degenerate subspace). The gradients of det/slogdet/logdet need an invertible matrix.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from autograd.errors import ShapeError
from autograd.ops.linalg import _swap, matmul
from autograd.registry import nondifferentiable, primitive
from autograd.tensor import Tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _square(op: str):  # type: ignore[no-untyped-def]
    def check(a: np.ndarray, *rest: Any, **_: Any) -> None:
        if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            raise ShapeError(f"{op}: expected a (batch of) square matrices (*, n, n); got "
                             f"shape {a.shape}")
        if a.dtype.kind != "f":
            from autograd.errors import DTypeError

            raise DTypeError(f"{op}: expected a floating tensor; got {a.dtype}")

    return check


def _matrix(op: str):  # type: ignore[no-untyped-def]
    def check(a: np.ndarray, **_: Any) -> None:
        if a.ndim < 2:
            raise ShapeError(f"{op}: expected a (batch of) matrices (*, m, n); got shape "
                             f"{a.shape}")

    return check


def _col(t: Any) -> Any:
    """(..., n) -> (..., 1, n): broadcast a vector across rows."""
    return t.reshape(t.shape[:-1] + (1, t.shape[-1]))


def _row(t: Any) -> Any:
    """(..., n) -> (..., n, 1): broadcast a vector across columns."""
    return t.reshape(t.shape + (1,))


def _diag_embed(v: Any) -> Any:
    n = v.shape[-1]
    return _row(v) * Tensor(np.eye(n, dtype=v.data.dtype))


def _times_inv_t(x: Any, r: Any) -> Any:
    """x @ r^{-T} via one solve: (r^{-1} x^T)^T."""
    return _swap(solve_matrix(r, _swap(x)))


# ----- inverse, determinants, solve -----


@primitive("inv", check=_square("inv"), saves=("output",))
def inv(a: np.ndarray) -> np.ndarray:
    """Matrix inverse (torch.linalg.inv); singular input raises."""
    return np.linalg.inv(a)


inv.defvjp(lambda g, ans, a: -matmul(matmul(_swap(ans), g), _swap(ans)))


@primitive("det", check=_square("det"))
def det(a: np.ndarray) -> np.ndarray:
    """Determinant (torch.linalg.det)."""
    return np.asarray(np.linalg.det(a))


det.defvjp(lambda g, ans, a: _row(_row(g * ans)) * _swap(inv(a)))


@primitive("logabsdet", check=_square("slogdet"), saves=("inputs",))
def _logabsdet(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.asarray(np.linalg.slogdet(a)[1])


_logabsdet.defvjp(lambda g, ans, a: _row(_row(g)) * _swap(inv(a)))

_det_sign = nondifferentiable("det_sign", lambda a: np.asarray(np.linalg.slogdet(a)[0]))


class SlogdetResult(NamedTuple):
    """(sign, logabsdet) as torch.linalg.slogdet returns."""

    sign: Tensor
    logabsdet: Tensor


def slogdet(A: Any) -> SlogdetResult:  # noqa: N803 - PyTorch's name
    """Sign and log |det| of (a batch of) square matrices; stable where det under/overflows."""
    a = _t(A)
    return SlogdetResult(_det_sign(a), _logabsdet(a))


def logdet(A: Any) -> Tensor:  # noqa: N803
    """log det(A): NaN for a negative determinant and -inf for a singular matrix (torch)."""
    a = _t(A)
    sign = _det_sign(a).data
    with np.errstate(divide="ignore", invalid="ignore"):
        return _logabsdet(a) + Tensor(np.log(sign).astype(a.data.dtype))


def _solve_check(a: np.ndarray, b: np.ndarray) -> None:
    _square("solve")(a)
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ShapeError(f"solve: A of shape {a.shape} and B of shape {b.shape} do not match "
                         f"(B must be (*, {a.shape[-1]}) or (*, {a.shape[-1]}, k))")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"solve: batch dimensions of A {a.shape} and B {b.shape} do not "
                         "broadcast") from None


@primitive("solve", check=_solve_check, saves=("inputs", "output"))
def solve_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B for B of shape (*, n, k)."""
    return np.linalg.solve(a, b)


def _solve_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    return solve_matrix(_swap(a), g)


solve_matrix.defvjp(
    lambda g, ans, a, b: -matmul(_solve_vjp_b(g, ans, a, b), _swap(ans)),
    _solve_vjp_b,
)


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:  # noqa: N803
    """Solve A X = B (torch.linalg.solve); B is (*, n) (vectors) or (*, n, k); left=False
    solves X A = B."""
    a, b = _t(A), _t(B)
    if not left:
        return _swap(solve(_swap(a), _swap(b)))
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if vector:
        return solve_matrix(a, _row(b)).reshape(np.broadcast_shapes(a.shape[:-1], b.shape))
    return solve_matrix(a, b)


# ----- Cholesky -----


@primitive("cholesky", check=_square("cholesky"), saves=("output",))
def _cholesky(a: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(a)


def _cholesky_vjp(g: Any, ans: Any, a: Any) -> Any:
    # PyTorch's: gA = L^{-T} sym(tril(L^T gL)) L^{-1}, sym(T) = (T + tril(T, -1)^T) / 2.
    n = ans.shape[-1]
    dt = g.data.dtype
    lower = Tensor(np.tril(np.ones((n, n), dtype=dt)))
    strict = Tensor(np.tril(np.ones((n, n), dtype=dt), -1))
    t = matmul(_swap(ans), g) * lower
    sym = (t + _swap(t * strict)) * np.asarray(0.5, dtype=dt)
    left = solve_matrix(_swap(ans), sym)  # L^{-T} sym
    return _swap(solve_matrix(_swap(ans), _swap(left)))  # (L^{-T} left^T)^T = left L^{-1}


_cholesky.defvjp(_cholesky_vjp)


def cholesky(A: Any, *, upper: bool = False) -> Tensor:  # noqa: N803
    """L with A = L L^T for symmetric positive-definite A (only its lower triangle is read);
    upper=True returns U = L^T."""
    lo = _cholesky(_t(A))
    return _swap(lo) if upper else lo


# ----- packing of multi-output decompositions -----


def _pack(nb: int, *arrays: np.ndarray) -> np.ndarray:
    """The arrays flattened past their `nb` batch dims and joined along one last axis."""
    return np.concatenate([a.reshape(a.shape[:nb] + (-1,)) for a in arrays], axis=-1)


def _unpack(t: Any, shapes: list[tuple[int, ...]]) -> list[Any]:
    batch = t.shape[:-1]
    out, start = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(t[..., start:start + n].reshape(batch + s))
        start += n
    return out


# ----- QR -----

_QR_MODES = ("reduced", "complete", "r")


def _qr_shapes(m: int, n: int, mode: str) -> list[tuple[int, ...]]:
    k = m if mode == "complete" else min(m, n)
    return [(m, k), (k, n)]


def _qr_check(a: np.ndarray, *, mode: str = "reduced") -> None:
    _matrix("qr")(a)
    if mode not in _QR_MODES:
        raise ValueError(f"qr: mode must be one of {_QR_MODES}; got {mode!r}")


@primitive("qr", check=_qr_check, saves=("output",))
def _qr(a: np.ndarray, *, mode: str = "reduced") -> np.ndarray:
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    return _pack(a.ndim - 2, q, r)


def _qr_vjp(g: Any, ans: Any, a: Any, mode: str = "reduced") -> Any:
    m, n = a.shape[-2:]
    if m < n or (mode == "complete" and m > n):
        raise NotImplementedError(
            f"qr: the gradient is implemented for m >= n (reduced mode); got A of shape "
            f"{a.shape} with mode={mode!r}"
        )
    shapes = _qr_shapes(m, n, mode)
    q, r = _unpack(ans, shapes)
    gq, gr = _unpack(g, shapes)
    # gA = Q (gR + tril(Q^T gQ - (.)^T + R gR^T - (.)^T) R^{-T}) + (gQ - Q Q^T gQ) R^{-T}
    qdq = matmul(_swap(q), gq)
    rdr = matmul(r, _swap(gr))
    mask = Tensor(np.tril(np.ones((n, n), dtype=g.data.dtype)))
    low = (qdq - _swap(qdq) + rdr - _swap(rdr)) * mask
    return matmul(q, gr + _times_inv_t(low, r)) + _times_inv_t(gq - matmul(q, qdq), r)


_qr.defvjp(_qr_vjp)


class QRResult(NamedTuple):
    """(Q, R) as torch.linalg.qr returns."""

    Q: Tensor
    R: Tensor


def qr(A: Any, mode: str = "reduced") -> QRResult:  # noqa: N803
    """A = Q R with orthonormal Q: mode "reduced" (k = min(m, n)), "complete" or "r"
    (Q empty, as torch)."""
    a = _t(A)
    packed = _qr(a, mode=mode)
    q, r = _unpack(packed, _qr_shapes(a.shape[-2], a.shape[-1], mode))
    if mode == "r":
        q = Tensor(np.zeros((0,), dtype=a.data.dtype))
    return QRResult(q, r)


# ----- SVD -----


def _svd_shapes(m: int, n: int, full: bool) -> list[tuple[int, ...]]:
    k = min(m, n)
    return [(m, m if full else k), (k,), (n if full else k, n)]


@primitive("svd", check=_matrix("svd"), saves=("output",))
def _svd(a: np.ndarray, *, full_matrices: bool = True) -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return _pack(a.ndim - 2, u, s, vh)


def _svd_vjp(g: Any, ans: Any, a: Any, full_matrices: bool = True) -> Any:
    m, n = a.shape[-2:]
    k = min(m, n)
    shapes = _svd_shapes(m, n, full_matrices)
    u, s, vh = _unpack(ans, shapes)
    gu, gs, gvh = _unpack(g, shapes)
    if full_matrices:  # as PyTorch: only the first k singular vectors carry gradient
        u, gu = u[..., :, :k], gu[..., :, :k]
        vh, gvh = vh[..., :k, :], gvh[..., :k, :]
    dt = g.data.dtype
    uhgu = matmul(_swap(u), gu)
    vhgv = matmul(vh, _swap(gvh))
    uhgu = uhgu - _swap(uhgu)
    vhgv = vhgv - _swap(vhgv)
    s2 = s * s
    e = _col(s2) - _row(s2) + Tensor(np.eye(k, dtype=dt))  # E_jk = s_k^2 - s_j^2, E_jj = 1
    inner = (uhgu * _col(s) + _row(s) * vhgv) / e + _diag_embed(gs)
    if m > k:
        gus = gu / _col(s)
        ga = matmul(u, inner) + gus - matmul(u, matmul(_swap(u), gus))
        return matmul(ga, vh)
    if n > k:
        sgvh = gvh / _row(s)
        ga = matmul(inner, vh) + sgvh - matmul(matmul(sgvh, _swap(vh)), vh)
        return matmul(u, ga)
    return matmul(u, matmul(inner, vh))


_svd.defvjp(_svd_vjp)


class SVDResult(NamedTuple):
    """(U, S, Vh) as torch.linalg.svd returns."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def svd(A: Any, full_matrices: bool = True) -> SVDResult:  # noqa: N803
    """A = U diag(S) Vh, singular values descending (torch.linalg.svd's Vh, not torch.svd's V)."""
    a = _t(A)
    parts = _unpack(_svd(a, full_matrices=full_matrices),
                    _svd_shapes(a.shape[-2], a.shape[-1], full_matrices))
    return SVDResult(*parts)


def svdvals(A: Any) -> Tensor:  # noqa: N803
    """Singular values, descending."""
    return svd(A, full_matrices=False).S


# ----- symmetric eigendecomposition -----


def _eigh_check(a: np.ndarray, *, UPLO: str = "L") -> None:  # noqa: N803
    _square("eigh")(a)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U'; got {UPLO!r}")


@primitive("eigh", check=_eigh_check, saves=("output",))
def _eigh(a: np.ndarray, *, UPLO: str = "L") -> np.ndarray:  # noqa: N803
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return _pack(a.ndim - 2, w, v)


def _eigh_vjp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    n = a.shape[-1]
    w, v = _unpack(ans, [(n,), (n, n)])
    gw, gv = _unpack(g, [(n,), (n, n)])
    # PyTorch's: gA = V (diag(gL) + skew(V^T gV) / 2 / E) V^T, E_ij = l_j - l_i, E_ii = 1
    vhgv = matmul(_swap(v), gv)
    skew = (vhgv - _swap(vhgv)) * np.asarray(0.5, dtype=g.data.dtype)
    e = _col(w) - _row(w) + Tensor(np.eye(n, dtype=g.data.dtype))
    return matmul(v, matmul(_diag_embed(gw) + skew / e, _swap(v)))


_eigh.defvjp(_eigh_vjp)


class EighResult(NamedTuple):
    """(eigenvalues, eigenvectors) as torch.linalg.eigh returns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def eigh(A: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric A, reading the
    triangle UPLO names."""
    a = _t(A)
    n = a.shape[-1] if a.ndim else 0
    w, v = _unpack(_eigh(a, UPLO=UPLO), [(n,), (n, n)])
    return EighResult(w, v)


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:  # noqa: N803
    """Eigenvalues of symmetric A, ascending."""
    return eigh(A, UPLO).eigenvalues

