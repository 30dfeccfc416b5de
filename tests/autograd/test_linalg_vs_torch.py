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
