"""einsum, products, norms and decompositions against PyTorch: values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch


def _both(x: np.ndarray):
    return ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _check(ours, theirs, arrays, rtol=1e-10, atol=1e-10, seed=0):
    """Forward values and the gradients of <out, random cotangent> for every input."""
    pairs = [_both(a) for a in arrays]
    ya = ours(*[p[0] for p in pairs])
    yt = theirs(*[p[1] for p in pairs])
    ya = ya if isinstance(ya, (tuple, list)) else (ya,)
    yt = yt if isinstance(yt, (tuple, list)) else (yt,)
    rng = np.random.default_rng(seed)
    la, lt = 0, 0
    for a, t in zip(ya, yt, strict=True):
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=rtol, atol=atol)
        if a.data.dtype.kind == "f" and t.requires_grad:
            g = rng.standard_normal(a.shape).astype(a.data.dtype)
            la = la + (a * ag.tensor(g)).sum()
            lt = lt + (t * torch.tensor(g)).sum()
    la.backward()
    lt.backward()
    for (a, t) in pairs:
        ga = np.zeros(a.shape) if a.grad is None else a.grad.data
        gt = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(ga, gt, rtol=rtol, atol=atol)


EINSUMS = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("bii->b", [(2, 3, 3)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("i...->...", [(3, 2, 2)]),
    ("...i,i", [(2, 3), (3,)]),
    ("ij,ij->i", [(1, 3), (4, 3)]),
    ("bhld,bhsd->bhls", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
    ("ij->", [(2, 3)]),
    ("ji", [(2, 3)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("eq", "shapes"), EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum(eq, shapes, dtype) -> None:
    rng = np.random.default_rng(len(eq))
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    tol = 1e-5 if dtype == np.float32 else 1e-10
    _check(lambda *a: ag.einsum(eq, *a), lambda *a: torch.einsum(eq, *a), arrays, tol, tol)


def test_einsum_sublist_and_list_forms() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    _check(lambda x, y: ag.einsum(x, [0, 1], y, [1, 2], [0, 2]),
           lambda x, y: torch.einsum(x, [0, 1], y, [1, 2], [0, 2]), [a, b])
    _check(lambda x, y: ag.einsum(x, [Ellipsis, 1], y, [1, 2]),
           lambda x, y: torch.einsum(x, [Ellipsis, 1], y, [1, 2]), [a, b])
    _check(lambda x, y: ag.einsum("ij,jk->ik", [x, y]),
           lambda x, y: torch.einsum("ij,jk->ik", [x, y]), [a, b])


def test_einsum_second_order_matches_torch() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    xa, xt = _both(a)
    bt = torch.tensor(b)
    f_ours = lambda x: (ag.einsum("ij,jk,ki->", x, x, ag.tensor(b)) ** 2)  # noqa: E731
    h_ours = ag.grad(lambda x: ag.grad(f_ours)(x).sum())(xa)
    (g,) = torch.autograd.grad(torch.einsum("ij,jk,ki->", xt, xt, bt) ** 2, xt,
                               create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), xt)
    np.testing.assert_allclose(h_ours.data, h.numpy(), rtol=1e-10)


def test_einsum_errors_name_the_subscripts_and_shapes() -> None:
    a, b = ag.ones(2, 3), ag.ones(4, 5)
    with pytest.raises(ag.ShapeError, match=r"'j'.*3 and 4.*\(2, 3\), \(4, 5\)"):
        ag.einsum("ij,jk->ik", a, b)
    with pytest.raises(ag.ShapeError, match="rank"):
        ag.einsum("ijk->i", a)
    with pytest.raises(ag.ShapeError, match="2 subscript groups for 1 operands"):
        ag.einsum("ij,jk", a)
    with pytest.raises(ValueError, match="output subscripts"):
        ag.einsum("ij->iz", a)


# ----- scaled_dot_product_attention -----

SDPA = [
    ("plain", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3), {}),
    ("unbatched", (5, 4), (6, 4), (6, 2), {}),
    ("causal", (2, 5, 4), (2, 5, 4), (2, 5, 4), {"is_causal": True}),
    ("causal-rect", (2, 3, 4), (2, 5, 4), (2, 5, 4), {"is_causal": True}),
    ("scale", (2, 5, 4), (2, 6, 4), (2, 6, 4), {"scale": 0.3}),
    ("gqa", (2, 4, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), {"enable_gqa": True}),
    ("broadcast-batch", (2, 3, 5, 4), (1, 3, 6, 4), (1, 3, 6, 4), {}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "qs", "ks", "vs", "kw"), SDPA, ids=[c[0] for c in SDPA])
def test_sdpa(name, qs, ks, vs, kw, dtype) -> None:
    import nn.functional as F

    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(dtype) for s in (qs, ks, vs)]
    tol = 1e-5 if dtype == np.float32 else 1e-10
    _check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw),
           lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw),
           arrays, tol, tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["bool", "float", "bool-dead-row", "float-neg-inf-row"])
def test_sdpa_masks(kind, dtype) -> None:
    import nn.functional as F

    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in ((2, 2, 4, 3), (2, 2, 5, 3),
                                                             (2, 2, 5, 2)))
    if kind.startswith("bool"):
        mask = rng.random((4, 5)) > 0.4
        mask[:, 0] = True
        if kind == "bool-dead-row":
            mask[1] = False
    else:
        mask = rng.standard_normal((2, 1, 4, 5)).astype(dtype)
        if kind == "float-neg-inf-row":
            mask[0, 0, 2] = -np.inf
    tol = 1e-5 if dtype == np.float32 else 1e-10
    _check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
           lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
               q, k, v, attn_mask=torch.tensor(mask)),
           [q, k, v], tol, tol)


def test_sdpa_dropout_is_seeded_and_unbiased() -> None:
    import nn.functional as F

    rng = np.random.default_rng(5)
    q, k = rng.standard_normal((1, 64, 4)), rng.standard_normal((1, 16, 4))
    v = np.eye(16)[None]  # the output rows are then the (dropped, rescaled) weights
    ag.manual_seed(11)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).data
    ag.manual_seed(11)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).data
    np.testing.assert_array_equal(a, b)
    clean = F.scaled_dot_product_attention(q, k, v).data
    dropped = a == 0
    assert 0.2 < dropped.mean() < 0.3  # 1024 draws: 0.25 +- 0.014
    np.testing.assert_allclose(a[~dropped], clean[~dropped] / 0.75, rtol=1e-12)
    runs = []
    for seed in range(200):
        ag.manual_seed(seed)
        runs.append(F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).data)
    np.testing.assert_allclose(np.mean(runs, axis=0), clean, atol=0.05)


def test_sdpa_errors() -> None:
    import nn.functional as F

    q = ag.ones(2, 3, 4)
    with pytest.raises(ag.ShapeError, match="embedding"):
        F.scaled_dot_product_attention(q, ag.ones(2, 3, 5), ag.ones(2, 3, 5))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ag.ShapeError, match="enable_gqa"):
        F.scaled_dot_product_attention(ag.ones(1, 3, 2, 4), ag.ones(1, 2, 2, 4),
                                       ag.ones(1, 2, 2, 4), enable_gqa=True)


# ----- products -----

PRODUCTS = [
    ("outer", lambda a, b: ag.outer(a, b), torch.outer, [(3,), (4,)]),
    ("ger", lambda a, b: ag.ger(a, b), torch.ger, [(3,), (2,)]),
    ("dot", lambda a, b: ag.dot(a, b), torch.dot, [(5,), (5,)]),
    ("vdot", lambda a, b: ag.vdot(a, b), torch.vdot, [(5,), (5,)]),
    ("mv", lambda a, b: ag.mv(a, b), torch.mv, [(3, 5), (5,)]),
    ("mm", lambda a, b: ag.mm(a, b), torch.mm, [(3, 5), (5, 2)]),
    ("bmm", lambda a, b: ag.bmm(a, b), torch.bmm, [(2, 3, 5), (2, 5, 2)]),
    ("addmm", lambda i, a, b: ag.addmm(i, a, b, beta=0.5, alpha=2.0),
     lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2.0), [(2,), (3, 4), (4, 2)]),
    ("addmv", lambda i, a, b: ag.addmv(i, a, b, alpha=3.0),
     lambda i, a, b: torch.addmv(i, a, b, alpha=3.0), [(3,), (3, 4), (4,)]),
    ("baddbmm", lambda i, a, b: ag.baddbmm(i, a, b, beta=2.0),
     lambda i, a, b: torch.baddbmm(i, a, b, beta=2.0), [(1, 3, 2), (2, 3, 4), (2, 4, 2)]),
    ("method-mm", lambda a, b: a.mm(b), lambda a, b: a.mm(b), [(3, 4), (4, 2)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs", "shapes"), PRODUCTS,
                         ids=[p[0] for p in PRODUCTS])
def test_products(name, ours, theirs, shapes, dtype) -> None:
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    tol = 1e-5 if dtype == np.float32 else 1e-10
    _check(ours, theirs, arrays, tol, tol)


def test_addmm_beta_zero_ignores_nan_input() -> None:
    out = ag.addmm(ag.tensor(np.full((2, 2), np.nan)), ag.eye(2), ag.eye(2), beta=0)
    np.testing.assert_array_equal(out.data, np.eye(2))


def test_products_check_ranks() -> None:
    with pytest.raises(ag.ShapeError, match="mm"):
        ag.mm(ag.ones(2, 3, 4), ag.ones(4, 2))
    with pytest.raises(ag.ShapeError, match="dot"):
        ag.dot(ag.ones(2, 2), ag.ones(2))
    with pytest.raises(ag.ShapeError, match="batch"):
        ag.bmm(ag.ones(2, 3, 4), ag.ones(3, 4, 2))


# ----- decompositions -----


def _spd(rng, shape):
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def _sym(rng, shape):
    x = rng.standard_normal(shape)
    return x + np.swapaxes(x, -1, -2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_inv_det_slogdet_logdet(batch, dtype) -> None:
    rng = np.random.default_rng(7)
    a = (rng.standard_normal(batch + (4, 4)) + 3 * np.eye(4)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    _check(ag.linalg.inv, torch.linalg.inv, [a], tol, tol)
    _check(ag.linalg.det, torch.linalg.det, [a], tol, tol)
    _check(lambda x: tuple(ag.linalg.slogdet(x)), lambda x: tuple(torch.linalg.slogdet(x)),
           [a], tol, tol)
    _check(ag.logdet, torch.logdet, [a], tol, tol)
    _check(lambda x: x.inverse(), lambda x: x.inverse(), [a], tol, tol)


def test_logdet_of_negative_and_singular_matrices_as_torch() -> None:
    neg = np.diag([-1.0, 2.0])
    assert np.isnan(ag.logdet(ag.tensor(neg)).item()) and np.isnan(torch.logdet(
        torch.tensor(neg)).item())
    assert ag.logdet(ag.tensor(np.zeros((2, 2)))).item() == -np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("ashape", "bshape", "left"), [
    ((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (2, 3), True),
    ((2, 3, 3), (3, 4), True), ((1, 3, 3), (2, 3, 2), True), ((3, 3), (2, 3), False)])
def test_solve(ashape, bshape, left, dtype) -> None:
    rng = np.random.default_rng(8)
    a = (rng.standard_normal(ashape) + 3 * np.eye(3)).astype(dtype)
    b = rng.standard_normal(bshape).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    _check(lambda x, y: ag.linalg.solve(x, y, left=left),
           lambda x, y: torch.linalg.solve(x, y, left=left), [a, b], tol, tol)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky(batch, upper) -> None:
    a = _spd(np.random.default_rng(9), batch + (4, 4))
    _check(lambda x: ag.linalg.cholesky(x, upper=upper),
           lambda x: torch.linalg.cholesky(x, upper=upper), [a], 1e-9, 1e-9)


def test_second_order_of_inv_det_solve_cholesky_matches_torch() -> None:
    rng = np.random.default_rng(10)
    a = _spd(rng, (3, 3))
    b = rng.standard_normal((3, 2))
    fns = [
        (lambda x: (ag.linalg.inv(x) ** 2).sum(), lambda x: (torch.linalg.inv(x) ** 2).sum()),
        (lambda x: ag.linalg.det(x) ** 2, lambda x: torch.linalg.det(x) ** 2),
        (lambda x: (ag.linalg.solve(x, ag.tensor(b)) ** 2).sum(),
         lambda x: (torch.linalg.solve(x, torch.tensor(b)) ** 2).sum()),
        (lambda x: (ag.linalg.cholesky(x) ** 3).sum(),
         lambda x: (torch.linalg.cholesky(x) ** 3).sum()),
    ]
    for ours, theirs in fns:
        xa, xt = _both(a)
        h_ours = ag.grad(lambda x, f=ours: (ag.grad(f)(x) ** 2).sum())(xa)
        (g,) = torch.autograd.grad(theirs(xt), xt, create_graph=True)
        (h,) = torch.autograd.grad((g**2).sum(), xt)
        np.testing.assert_allclose(h_ours.data, h.numpy(), rtol=1e-8, atol=1e-10)


def _canon_qr_ours(q, r):
    """LAPACK's free column signs made canonical (diag(R) > 0)."""
    d = np.sign(np.diagonal(r.data, axis1=-2, axis2=-1))
    return q * ag.tensor(d[..., None, :]), r * ag.tensor(d[..., :, None])


def _canon_qr_torch(q, r):
    d = torch.sign(torch.diagonal(r.detach(), dim1=-2, dim2=-1))
    return q * d[..., None, :], r * d[..., :, None]


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
def test_qr(shape) -> None:
    a = np.random.default_rng(11).standard_normal(shape)
    _check(lambda x: _canon_qr_ours(*ag.linalg.qr(x)),
           lambda x: _canon_qr_torch(*torch.linalg.qr(x)),
           [a], 1e-9, 1e-9)


def _svd_invariants(u, s, vh, k):
    return u[..., :k] * u[..., :k], s, vh[..., :k, :] * vh[..., :k, :], u[..., :k] @ vh[..., :k, :]


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_svd(shape, full) -> None:
    a = np.random.default_rng(12).standard_normal(shape)
    k = min(shape[-2:])
    _check(lambda x: _svd_invariants(*ag.linalg.svd(x, full_matrices=full), k),
           lambda x: _svd_invariants(*torch.linalg.svd(x, full_matrices=full), k),
           [a], 1e-9, 1e-9)
    _check(ag.linalg.svdvals, torch.linalg.svdvals, [a], 1e-9, 1e-9)


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_eigh(batch, uplo) -> None:
    a = _sym(np.random.default_rng(13), batch + (4, 4))
    _check(lambda x: (lambda w, v: (w, v * v))(*ag.linalg.eigh(x, UPLO=uplo)),
           lambda x: (lambda w, v: (w, v * v))(*torch.linalg.eigh(x, UPLO=uplo)),
           [a], 1e-9, 1e-9)
    _check(ag.linalg.eigvalsh, torch.linalg.eigvalsh, [a], 1e-9, 1e-9)


def test_eigh_degenerate_eigenvalues_give_non_finite_gradients_like_torch() -> None:
    a = np.eye(3)
    xa, xt = _both(a)
    (ag.linalg.eigh(xa).eigenvectors ** 3).sum().backward()
    (torch.linalg.eigh(xt).eigenvectors ** 3).sum().backward()
    assert not np.all(np.isfinite(xa.grad.data))
    assert not np.all(np.isfinite(xt.grad.numpy()))


# ----- norms -----

VNORMS = [2, 1, 3, 0.5, np.inf, -np.inf, 0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ord_", VNORMS)
@pytest.mark.parametrize(("dim", "keepdim"), [(None, False), (1, True), ((0, 2), False)])
def test_vector_norm(ord_, dim, keepdim, dtype) -> None:
    a = np.random.default_rng(14).standard_normal((2, 3, 4)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    _check(lambda x: ag.linalg.vector_norm(x, ord_, dim, keepdim),
           lambda x: torch.linalg.vector_norm(x, ord_, dim, keepdim), [a], tol, tol)


@pytest.mark.parametrize("ord_", [2, 1, 3, np.inf])
def test_vector_norm_gradient_at_zero_is_zero_as_torch(ord_) -> None:
    a = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]])
    _check(lambda x: ag.linalg.vector_norm(x, ord_, 1),
           lambda x: torch.linalg.vector_norm(x, ord_, 1), [a], 1e-12, 1e-12)


@pytest.mark.parametrize("ord_", ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
@pytest.mark.parametrize(("dim", "keepdim"), [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(ord_, dim, keepdim) -> None:
    a = np.random.default_rng(15).standard_normal((3, 2, 4))
    _check(lambda x: ag.linalg.matrix_norm(x, ord_, dim, keepdim),
           lambda x: torch.linalg.matrix_norm(x, ord_, dim, keepdim), [a], 1e-9, 1e-9)


@pytest.mark.parametrize(("shape", "kw"), [
    ((2, 3), {}), ((2, 3, 4), {}), ((5,), {"ord": 3}), ((2, 3), {"ord": "nuc"}),
    ((2, 3), {"ord": np.inf}), ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": (0, 2), "ord": 1}),
    ((2, 3), {"dim": 1, "keepdim": True})])
def test_linalg_norm(shape, kw) -> None:
    a = np.random.default_rng(16).standard_normal(shape)
    _check(lambda x: ag.linalg.norm(x, **kw), lambda x: torch.linalg.norm(x, **kw), [a])


@pytest.mark.parametrize(("args", "kw"), [
    ((), {}), ((1,), {}), ((3,), {"dim": 1}), (("fro",), {"dim": (0, 1), "keepdim": True}),
    (("nuc",), {}), ((2,), {"dim": 0, "keepdim": True}), ((np.inf,), {"dim": 1})])
def test_tensor_norm_method(args, kw) -> None:
    a = np.random.default_rng(17).standard_normal((3, 4))
    _check(lambda x: x.norm(*args, **kw), lambda x: x.norm(*args, **kw), [a])


def test_tensor_norm_keeps_numpy_spelling() -> None:
    a = np.random.default_rng(18).standard_normal((3, 4))
    np.testing.assert_allclose(ag.tensor(a).norm(axis=1, keepdims=True).data,
                               np.linalg.norm(a, axis=1, keepdims=True))


@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize(p, dim) -> None:
    import nn.functional as F

    a = np.random.default_rng(19).standard_normal((3, 4, 2))
    a[0, :, 0] = 0.0  # a zero slice: divided by eps, as torch
    _check(lambda x: F.normalize(x, p, dim), lambda x: torch.nn.functional.normalize(x, p, dim),
           [a])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
def test_cdist(p, dtype) -> None:
    rng = np.random.default_rng(20)
    x1 = rng.standard_normal((2, 4, 3)).astype(dtype)
    x2 = rng.standard_normal((2, 5, 3)).astype(dtype)
    x2[0, 1] = x1[0, 2]  # a zero distance: gradient 0, as torch
    tol = 1e-5 if dtype == np.float32 else 1e-10
    _check(lambda a, b: ag.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), [x1, x2], tol, tol)
