"""Every loss (functional and module) against torch in float64: values and input gradients
for each reduction, on random inputs with edge values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = pytest.mark.torch

rng = np.random.default_rng(7)
REDUCTIONS = ["none", "mean", "sum"]


def _x(*shape: int, lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    return rng.uniform(lo, hi, shape)


def _compare(ours: Callable[..., Any], theirs: Callable[..., Any], diff: list[np.ndarray],
             const: tuple[Any, ...] = (), rtol: float = 1e-9) -> None:
    """Call both on (diff..., const...) and compare outputs and grads w.r.t. `diff`."""
    a = [ag.tensor(d, requires_grad=True) for d in diff]
    t = [torch.tensor(d, requires_grad=True) for d in diff]
    tc = [torch.tensor(c) if isinstance(c, np.ndarray) else c for c in const]
    oc = [ag.tensor(c) if isinstance(c, np.ndarray) else c for c in const]
    out, want = ours(*a, *oc), theirs(*t, *tc)
    np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=rtol, atol=1e-12)
    seed = rng.standard_normal(out.shape)
    (out * ag.tensor(seed)).sum().backward()
    (want * torch.tensor(seed)).sum().backward()
    for ai, ti in zip(a, t, strict=True):
        np.testing.assert_allclose(ai.grad.data, ti.grad.numpy(), rtol=rtol, atol=1e-10)


def _both(name: str, **kw: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return (lambda *a: getattr(F, name)(*a, **kw)), (lambda *a: getattr(TF, name)(*a, **kw))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction: str) -> None:
    x, y = _x(3, 4), _x(3, 4)
    y[0, :2] = x[0, :2]  # zero residuals
    y[1, 0] = x[1, 0] + 1.0  # exactly at beta / delta
    for name, kw in [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                     ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {"delta": 1.0}),
                     ("huber_loss", {"delta": 2.5})]:
        o, t = _both(name, reduction=reduction, **kw)
        _compare(o, t, [x], (y,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_family(reduction: str) -> None:
    p = _x(3, 4, lo=0.0, hi=1.0)
    p[0, 0], p[0, 1] = 0.0, 1.0
    tgt = _x(3, 4, lo=0.0, hi=1.0)
    tgt[0, 0], tgt[0, 1] = 1.0, 0.0  # log(0) clamps to -100 in both
    w = _x(3, 4, lo=0.1, hi=2.0)
    p_free = p.copy()
    p_free[0, :2] = 0.5  # keep gradients away from the clamp (torch's grad there is huge)
    _compare(lambda a, b, c: F.binary_cross_entropy(a, b, c, reduction=reduction),
             lambda a, b, c: TF.binary_cross_entropy(a, b, c, reduction=reduction),
             [p_free], (tgt, w))
    o = F.binary_cross_entropy(ag.tensor(p), ag.tensor(tgt), reduction=reduction)
    np.testing.assert_allclose(
        o.data, TF.binary_cross_entropy(torch.tensor(p), torch.tensor(tgt),
                                        reduction=reduction).numpy(), rtol=1e-12)
    logits = _x(3, 4, lo=-40.0, hi=40.0)
    pw = _x(4, lo=0.5, hi=3.0)
    _compare(lambda a, b, c, d: F.binary_cross_entropy_with_logits(
                 a, b, c, reduction=reduction, pos_weight=d),
             lambda a, b, c, d: TF.binary_cross_entropy_with_logits(
                 a, b, c, reduction=reduction, pos_weight=d),
             [logits], (tgt, w, pw))


def test_bce_nan_input_raises_like_torch() -> None:
    p = np.array([0.5, np.nan])
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy(torch.tensor(p), torch.tensor([1.0, 0.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="binary_cross_entropy.*NaN"):
        F.binary_cross_entropy(ag.tensor(p), ag.tensor([1.0, 0.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_cross_entropy(reduction: str) -> None:
    c = 5
    w = _x(c, lo=0.2, hi=2.0)
    for shape in [(6, c), (2, c, 3, 2)]:
        x = _x(*shape)
        for kw in [{}, {"weight": w}, {"ignore_index": 2}, {"weight": w, "ignore_index": 2}]:
            tgt = rng.integers(0, c, (shape[0],) + shape[2:])
            tgt.reshape(-1)[:2] = kw.get("ignore_index", -100), 2  # an ignored entry
            kww = {k: (torch.tensor(v) if k == "weight" else v) for k, v in kw.items()}
            kwo = {k: (ag.tensor(v) if k == "weight" else v) for k, v in kw.items()}
            logp = TF.log_softmax(torch.tensor(x), 1).numpy()
            _compare(lambda a, tg, kwo=kwo: F.nll_loss(a, tg, reduction=reduction, **kwo),
                     lambda a, tg, kww=kww: TF.nll_loss(a, tg, reduction=reduction, **kww),
                     [logp], (tgt,))
            for ls in (0.0, 0.2):
                _compare(lambda a, tg, kwo=kwo, ls=ls: F.cross_entropy(
                             a, tg, reduction=reduction, label_smoothing=ls, **kwo),
                         lambda a, tg, kww=kww, ls=ls: TF.cross_entropy(
                             a, tg, reduction=reduction, label_smoothing=ls, **kww),
                         [x], (tgt,))
        probs = TF.softmax(torch.tensor(_x(*shape)), 1).numpy()
        for ls in (0.0, 0.1):
            o, t = _both("cross_entropy", reduction=reduction, label_smoothing=ls)
            _compare(o, t, [x], (probs,))
            _compare(lambda a, b, ls=ls: F.cross_entropy(a, b, ag.tensor(w), reduction=reduction,
                                                         label_smoothing=ls),
                     lambda a, b, ls=ls: TF.cross_entropy(a, b, torch.tensor(w),
                                                          reduction=reduction,
                                                          label_smoothing=ls), [x], (probs,))


def test_unbatched_class_inputs() -> None:
    x = _x(4)
    for red in REDUCTIONS:
        o, t = _both("cross_entropy", reduction=red)
        _compare(o, t, [x], (np.array(2),))
        o, t = _both("nll_loss", reduction=red)
        _compare(o, t, [x], (np.array(1),))


@pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
def test_kl_div(reduction: str) -> None:
    logq = TF.log_softmax(torch.tensor(_x(4, 5)), 1).numpy()
    p = TF.softmax(torch.tensor(_x(4, 5)), 1).numpy()
    p[0, 0] = 0.0  # 0 log 0 = 0
    for log_target, tgt in ((False, p), (True, np.log(p + 1e-3))):
        o, t = _both("kl_div", reduction=reduction, log_target=log_target)
        _compare(o, t, [logq], (tgt,))
    o, t = _both("kl_div", reduction=reduction, log_target=True)
    _compare(o, t, [logq, np.log(p + 1e-3)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_and_gaussian_nll(reduction: str) -> None:
    x = _x(3, 4, lo=0.0, hi=2.0)
    counts = rng.integers(0, 6, (3, 4)).astype(np.float64)
    counts[0, 0], counts[0, 1] = 1.0, 0.0
    for log_input in (True, False):
        for full in (False, True):
            o, t = _both("poisson_nll_loss", log_input=log_input, full=full,
                         reduction=reduction)
            _compare(o, t, [x + 0.1], (counts,))
    mu, y = _x(3, 4), _x(3, 4)
    var = _x(3, 4, lo=0.0, hi=2.0)
    var[0, 0] = 0.0  # clamped to eps
    for v in (var, var[:, 0], var[:, :1]):
        for full in (False, True):
            o, t = _both("gaussian_nll_loss", full=full, reduction=reduction)
            a_mu, a_v = ag.tensor(mu, requires_grad=True), ag.tensor(v, requires_grad=True)
            t_mu, t_v = torch.tensor(mu, requires_grad=True), torch.tensor(v, requires_grad=True)
            out = o(a_mu, ag.tensor(y), a_v)
            want = t(t_mu, torch.tensor(y), t_v)
            np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=1e-9)
            out.sum().backward()
            want.sum().backward()
            np.testing.assert_allclose(a_mu.grad.data, t_mu.grad.numpy(), rtol=1e-9)
            np.testing.assert_allclose(a_v.grad.data, t_v.grad.numpy(), rtol=1e-9)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(ag.tensor(mu), ag.tensor(y), ag.tensor(-var - 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(reduction: str) -> None:
    a, b = _x(6), _x(6)
    y = np.where(rng.random(6) > 0.5, 1.0, -1.0)
    o, t = _both("margin_ranking_loss", margin=0.4, reduction=reduction)
    _compare(o, t, [a, b], (y,))
    o, t = _both("hinge_embedding_loss", margin=1.5, reduction=reduction)
    _compare(o, t, [_x(3, 4)], (np.where(rng.random((3, 4)) > 0.5, 1.0, -1.0),))
    o, t = _both("soft_margin_loss", reduction=reduction)
    _compare(o, t, [_x(3, 4, lo=-30, hi=30)], (np.where(rng.random((3, 4)) > 0.5, 1.0, -1.0),))
    e1, e2 = _x(6, 4), _x(6, 4)
    e2[0] = 0.0  # zero vector: the 1e-12 guard
    for margin in (0.0, 0.3):
        o, t = _both("cosine_embedding_loss", margin=margin, reduction=reduction)
        _compare(o, t, [e1, e2], (y,), rtol=1e-7)  # the zero row's gradient is ~1e6
    o, t = _both("cosine_embedding_loss", reduction=reduction)
    _compare(o, t, [e1[0], e2[1]], (np.array(1.0),))
    anc, pos, neg = _x(5, 3), _x(5, 3), _x(5, 3)
    for p in (1.0, 2.0, 3.0):
        for swap in (False, True):
            o, t = _both("triplet_margin_loss", margin=2.0, p=p, swap=swap, reduction=reduction)
            _compare(o, t, [anc, pos, neg])
    tgt = (rng.random((4, 5)) > 0.5).astype(np.float64)
    w = _x(5, lo=0.1, hi=2.0)
    o, t = _both("multilabel_soft_margin_loss", reduction=reduction)
    _compare(o, t, [_x(4, 5)], (tgt,))
    _compare(lambda x, tg, ww: F.multilabel_soft_margin_loss(x, tg, ww, reduction=reduction),
             lambda x, tg, ww: TF.multilabel_soft_margin_loss(x, tg, ww, reduction=reduction),
             [_x(4, 5)], (tgt, w))
    labels = rng.integers(0, 5, 4)
    for p in (1, 2):
        o, t = _both("multi_margin_loss", p=p, margin=1.5, reduction=reduction)
        _compare(o, t, [_x(4, 5, lo=-1, hi=1)], (labels,))
        _compare(lambda x, la, ww, p=p: F.multi_margin_loss(x, la, p, 0.7, ww, reduction=reduction),
                 lambda x, la, ww, p=p: TF.multi_margin_loss(x, la, p, 0.7, ww,
                                                             reduction=reduction),
                 [_x(4, 5, lo=-1, hi=1)], (labels, w))


def test_cosine_similarity_and_pairwise_distance() -> None:
    a, b = _x(4, 5), _x(4, 5)
    b[1] = 0.0
    for dim in (1, 0, -1):
        o, t = _both("cosine_similarity", dim=dim)
        _compare(o, t, [a, b])
    o, t = _both("cosine_similarity")
    _compare(o, t, [_x(3, 1, 4), _x(1, 5, 4)[:, :, :1].repeat(4, axis=2)[:, :1]])  # broadcast
    for p in (1.0, 2.0, 3.0, float("inf")):
        for keepdim in (False, True):
            o, t = _both("pairwise_distance", p=p, keepdim=keepdim)
            _compare(o, t, [a, b])
    o, t = _both("pairwise_distance")
    _compare(o, t, [_x(5), _x(5)])


MODULES = [
    ("MSELoss", {}, 2), ("L1Loss", {}, 2), ("SmoothL1Loss", {"beta": 0.3}, 2),
    ("HuberLoss", {"delta": 0.5}, 2), ("SoftMarginLoss", {}, 2),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, 2),
    ("PoissonNLLLoss", {"log_input": True, "full": True}, 2),
    ("MarginRankingLoss", {"margin": 0.2}, 3), ("HingeEmbeddingLoss", {"margin": 2.0}, 2),
    ("TripletMarginLoss", {"margin": 1.5, "swap": True}, 3),
    ("CosineEmbeddingLoss", {"margin": 0.1}, 3), ("MultiLabelSoftMarginLoss", {}, 2),
    ("GaussianNLLLoss", {"full": True}, 3),
]


@pytest.mark.parametrize(("name", "kw", "nargs"), MODULES, ids=[m[0] for m in MODULES])
@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_loss_modules_match_torch(name: str, kw: dict, nargs: int, reduction: str) -> None:
    kw = {"reduction": reduction, **kw}
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    pm = np.where(rng.random(4) > 0.5, 1.0, -1.0)
    if name in ("MarginRankingLoss",):
        args, const = [_x(4), _x(4)], (pm,)
    elif name == "CosineEmbeddingLoss":
        args, const = [_x(4, 3), _x(4, 3)], (pm,)
    elif name == "TripletMarginLoss":
        args, const = [_x(4, 3), _x(4, 3), _x(4, 3)], ()
    elif name == "GaussianNLLLoss":
        args, const = [_x(4, 3)], (_x(4, 3), _x(4, 3, lo=0.1, hi=2.0))
    elif name in ("HingeEmbeddingLoss", "SoftMarginLoss"):
        args, const = [_x(4, 3)], (np.where(rng.random((4, 3)) > 0.5, 1.0, -1.0),)
    elif name == "MultiLabelSoftMarginLoss":
        args, const = [_x(4, 3)], ((rng.random((4, 3)) > 0.5).astype(np.float64),)
    else:
        args, const = [_x(4, 3)], (_x(4, 3, lo=0.0, hi=3.0),)
    _compare(ours, theirs, args, const)
    assert repr(ours) == repr(theirs)


def test_loss_modules_with_weights_and_legacy_flags() -> None:
    w = _x(4, lo=0.1, hi=2.0)
    x, tgt = _x(5, 4), rng.integers(0, 4, 5)
    for name in ("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss"):
        ours = getattr(nn, name)(weight=ag.tensor(w), reduction="sum")
        theirs = getattr(torch.nn, name)(weight=torch.tensor(w), reduction="sum")
        _compare(ours, theirs, [x], (tgt,))
    ours = nn.BCEWithLogitsLoss(weight=ag.tensor(w), pos_weight=ag.tensor(w))
    theirs = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(w))
    _compare(ours, theirs, [x], (_x(5, 4, lo=0, hi=1),))
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"
    v = F.mse_loss(ag.tensor(x), ag.tensor(x + 1), size_average=False)
    assert v.item() == pytest.approx(x.size)
    with pytest.raises(TypeError, match="reduction='sum'"):
        F.mse_loss(ag.tensor(x), ag.tensor(x), "sum")
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")


def test_float32_stays_float32() -> None:
    x = ag.tensor(_x(3, 4).astype(np.float32))
    for fn in (F.smooth_l1_loss, F.huber_loss, F.soft_margin_loss, F.l1_loss):
        assert fn(x, x * 0.5).dtype == np.float32, fn.__name__
    assert F.cosine_similarity(x, x).dtype == np.float32
    assert F.triplet_margin_loss(x, x * 0.5, x * 2).dtype == np.float32
