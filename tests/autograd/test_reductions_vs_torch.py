"""Reductions, scans, sorting and softmax against PyTorch: torch's signatures, values, indices
and gradients, 0-d tensors, out-of-range dims, zero-size inputs, and the var/std rule.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.autograd.torch_compare` is imported from the repo root
    sys.path.insert(0, str(ROOT))

import autograd as ag  # noqa: E402
from tests.autograd.torch_compare import compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

RNG = np.random.default_rng(14)


def x23() -> np.ndarray:
    return RNG.standard_normal((2, 3))


# ----- reductions with torch's signatures -----

CALLS = {
    "sum()": lambda t: t.sum(),
    "sum(1)": lambda t: t.sum(1),
    "sum(1, True)": lambda t: t.sum(1, True),
    "sum(dim=(0, 2))": lambda t: t.sum(dim=(0, 2)),
    "sum(dim=[0, 1], keepdim=True)": lambda t: t.sum(dim=[0, 1], keepdim=True),
    "mean(-1)": lambda t: t.mean(-1),
    "mean(dim=(0, 1), keepdim=True)": lambda t: t.mean(dim=(0, 1), keepdim=True),
    "prod(1)": lambda t: t.prod(1),
    "prod(dim=0, keepdim=True)": lambda t: t.prod(dim=0, keepdim=True),
    "logsumexp(1)": lambda t: t.logsumexp(1),
    "logsumexp(dim=(0, 2), keepdim=True)": lambda t: t.logsumexp(dim=(0, 2), keepdim=True),
    "amax(dim=(0, 2))": lambda t: t.amax(dim=(0, 2)),
    "amin(1, True)": lambda t: t.amin(1, True),
    "max()": lambda t: t.max(),
    "min()": lambda t: t.min(),
    "nansum(1)": lambda t: t.nansum(1),
    "var(dim=1)": lambda t: t.var(dim=1),
    "var(1, keepdim=True)": lambda t: t.var(1, keepdim=True),
    "var(dim=1, correction=0)": lambda t: t.var(dim=1, correction=0),
    "var(unbiased=False)": lambda t: t.var(unbiased=False),
    "var(correction=2)": lambda t: t.var(correction=2),
    "std(dim=(0, 1))": lambda t: t.std(dim=(0, 1)),
    "std(dim=0, unbiased=False)": lambda t: t.std(dim=0, unbiased=False),
    "std(1, True, True)": lambda t: t.std(1, True, True),
    "softmax(1)": lambda t: t.softmax(1),
    "log_softmax(dim=0)": lambda t: t.log_softmax(dim=0),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_reduction_calls_match_torch(name: str) -> None:
    compare(CALLS[name], CALLS[name], RNG.standard_normal((2, 3, 4)))


FUNCS = {
    "sum": lambda m, t: m.sum(t, dim=(0, 1)),
    "mean": lambda m, t: m.mean(t, 1, True),
    "var_mean": lambda m, t: m.var_mean(t, 1),
    "std_mean": lambda m, t: m.std_mean(t, dim=0, correction=0, keepdim=True),
    "aminmax": lambda m, t: tuple(m.aminmax(t, dim=1)),
    "logsumexp": lambda m, t: m.logsumexp(t, 0),
    "softmax": lambda m, t: m.softmax(t, 1),
    "nanmean": lambda m, t: m.nanmean(t, dim=1),
    "max-elementwise": lambda m, t: m.max(t, t.flip(0) if m is torch else t[::-1]),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_reduction_functions_match_torch(name: str) -> None:
    f = FUNCS[name]
    compare(lambda t: f(ag, t), lambda t: f(torch, t), x23())


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim_return_values_and_indices(dim: int, op: str, keepdim: bool) -> None:
    a = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])
    got = getattr(ag.Tensor(a), op)(dim, keepdim)
    want = getattr(torch.tensor(a), op)(dim, keepdim)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_array_equal(got.values.data, want.values.numpy())
    np.testing.assert_array_equal(got.indices.data, want.indices.numpy())
    assert got.indices.dtype == np.int64
    compare(lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
            lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values, RNG.standard_normal((3, 4)))


def test_max_with_dim_routes_the_gradient_to_the_index_and_amax_splits() -> None:
    a = np.array([1.0, 3.0, 3.0])
    compare(lambda t: t.max(0).values, lambda t: t.max(0).values, a)
    compare(lambda t: t.max(), lambda t: t.max(), a)  # ties share, as torch's max()
    compare(lambda t: t.amax(0), lambda t: t.amax(0), a)


def test_numpy_axis_spelling_keeps_numpy_meaning() -> None:
    x = ag.Tensor(x23())
    np.testing.assert_array_equal(x.max(axis=1).data, x.data.max(axis=1))
    np.testing.assert_array_equal(ag.min(x, axis=(0, 1), keepdims=True).data,
                                  x.data.min(axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(x.var().data, x.data.var())
    np.testing.assert_allclose(x.std(axis=1).data, x.data.std(axis=1))
    np.testing.assert_allclose(x.var(0, ddof=1).data, x.data.var(0, ddof=1))
    np.testing.assert_allclose(x.var(1).data, x.data.var(1))


def test_var_std_rule_torch_spelling_means_correction_1() -> None:
    a = x23()
    x, t = ag.Tensor(a), torch.tensor(a)
    np.testing.assert_allclose(x.var(dim=1).data, t.var(dim=1).numpy())
    np.testing.assert_allclose(x.std(keepdim=False).data, t.std().numpy())
    np.testing.assert_allclose(x.var(correction=1).data, t.var().numpy())
    np.testing.assert_allclose(x.var(True).data, t.var(True).numpy())
    np.testing.assert_allclose(x.var(1, True).data, t.var(1, True).numpy())
    np.testing.assert_allclose(ag.var_mean(x)[0].data, torch.var_mean(t)[0].numpy())
    with pytest.raises(TypeError, match="ddof and correction"):
        x.var(ddof=1, correction=1)
    with pytest.raises(TypeError, match="both 'axis' and its alias 'dim'"):
        x.var(0, dim=0)


def test_std_of_a_constant_has_zero_gradient_like_torch() -> None:
    a = np.full((3, 2), 0.5)  # exact: torch's std of 0.7s is ~1e-17, not 0
    compare(lambda t: t.std(), lambda t: t.std(), a)
    compare(lambda t: t.std(dim=0), lambda t: t.std(dim=0), a)
    compare(lambda t: ag.std_mean(t, 1)[0], lambda t: torch.std_mean(t, 1)[0], a)


def test_bool_and_count_reductions_match_torch() -> None:
    a = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    x, t = ag.Tensor(a), torch.tensor(a)
    for got, want in [(x.all(), t.all()), (x.any(1), t.any(1)), (x.all(dim=0), t.all(dim=0)),
                      (ag.any(x, 1, True), torch.any(t, 1, True)),
                      (x.count_nonzero(), t.count_nonzero()),
                      (ag.count_nonzero(x, dim=1), torch.count_nonzero(t, dim=1)),
                      (x.argmax(), t.argmax()), (x.argmax(1), t.argmax(1)),
                      (x.argmin(dim=0, keepdim=True), t.argmin(dim=0, keepdim=True))]:
        np.testing.assert_array_equal(got.data, want.numpy())
        assert got.shape == tuple(want.shape)


ZERO_D = {
    "sum(-1)": lambda t: t.sum(-1), "sum(0)": lambda t: t.sum(0),
    "mean(0)": lambda t: t.mean(0), "prod(-1)": lambda t: t.prod(-1),
    "logsumexp(0)": lambda t: t.logsumexp(0), "softmax(0)": lambda t: t.softmax(0),
    "log_softmax(-1)": lambda t: t.log_softmax(-1), "amax(0)": lambda t: t.amax(0),
    "max(0)": lambda t: tuple(t.max(0)), "min(-1, True)": lambda t: tuple(t.min(-1, True)),
    "argmax(0)": lambda t: t.argmax(0), "cumsum(0)": lambda t: t.cumsum(0),
    "cumprod(-1)": lambda t: t.cumprod(-1), "logcumsumexp(0)": lambda t: t.logcumsumexp(0),
    "cummax(0)": lambda t: tuple(t.cummax(0)), "sort()": lambda t: tuple(t.sort()),
    "topk(1)": lambda t: tuple(t.topk(1)), "median()": lambda t: t.median(),
    "median(0)": lambda t: tuple(t.median(0)), "kthvalue(1)": lambda t: tuple(t.kthvalue(1)),
    "std(0, correction=0)": lambda t: t.std(0, correction=0),
    "var(dim=0, correction=0)": lambda t: t.var(dim=0, correction=0),
    "nansum(0)": lambda t: t.nansum(0), "any(0)": lambda t: t.any(0),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_reductions_of_0d_tensors_match_torch(name: str) -> None:
    compare(ZERO_D[name], ZERO_D[name], np.array(1.25))


@pytest.mark.parametrize("call", [lambda t: t.sum(2), lambda t: t.mean(dim=-3),
                                  lambda t: t.max(2), lambda t: t.softmax(2),
                                  lambda t: t.cumsum(5), lambda t: t.sort(dim=2),
                                  lambda t: t.logsumexp(dim=(0, 2)), lambda t: t.argmax(-3)])
def test_out_of_range_dim_raises_index_error_like_torch(call: Callable[[Any], Any]) -> None:
    with pytest.raises(IndexError) as want:
        call(torch.ones(2, 3))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got -?\d\)") as got:
        call(ag.ones(2, 3))
    assert str(want.value).split("but got")[1] in str(got.value)


def test_out_of_range_dim_of_0d_names_its_range() -> None:
    with pytest.raises(IndexError, match=r"\[-1, 0\], but got 1"):
        ag.tensor(2.0).sum(1)


def test_zero_size_reductions_like_torch() -> None:
    x, t = ag.Tensor(np.zeros((0, 5))), torch.zeros(0, 5)
    assert x.max(axis=1).shape == (0,) == tuple(t.amax(dim=1).shape)
    got, want = x.max(1), t.max(1)
    assert got.values.shape == tuple(want.values.shape) and got.indices.shape == (0,)
    assert x.sum(0).shape == (5,) and x.argmax(1).shape == (0,)
    for call in (lambda a: a.max(0), lambda a: a.max(), lambda a: a.amin(0), lambda a: a.argmax()):
        with pytest.raises((IndexError, RuntimeError)):
            call(t)
        with pytest.raises((IndexError, RuntimeError), match="max|min"):
            call(x)


# ----- cumulative -----

SCANS = {
    "cumsum(1)": lambda t: t.cumsum(1), "cumsum(dim=0)": lambda t: t.cumsum(dim=0),
    "cumprod(1)": lambda t: t.cumprod(1), "cumprod(dim=0)": lambda t: t.cumprod(dim=0),
    "logcumsumexp(1)": lambda t: t.logcumsumexp(1),
    "logcumsumexp(dim=0)": lambda t: t.logcumsumexp(dim=0),
    "cummax(1)": lambda t: tuple(t.cummax(1)), "cummin(dim=0)": lambda t: tuple(t.cummin(dim=0)),
    "diff()": lambda t: t.diff(), "diff(2, 0)": lambda t: t.diff(2, 0),
}


@pytest.mark.parametrize("name", sorted(SCANS))
def test_scans_match_torch(name: str) -> None:
    compare(SCANS[name], SCANS[name], RNG.standard_normal((3, 4)))


def test_cumprod_gradient_with_zeros_matches_torch() -> None:
    a = np.array([[1.5, 0.0, -2.0, 0.7], [0.0, 1.2, 0.0, 3.0], [2.0, 2.0, 2.0, 0.0]])
    compare(lambda t: t.cumprod(1), lambda t: t.cumprod(1), a)
    compare(lambda t: t.cumprod(0), lambda t: t.cumprod(0), a.T.copy())


def test_cumprod_second_order_with_zeros_matches_torch() -> None:
    a = np.array([1.5, 0.0, -2.0, 0.7])
    g2 = ag.grad(lambda t: ag.grad(lambda s: (s.cumprod(0) ** 2.0).sum())(t).sum())(ag.Tensor(a))
    t = torch.tensor(a, requires_grad=True)
    (g,) = torch.autograd.grad((t.cumprod(0) ** 2).sum(), t, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), t)
    np.testing.assert_allclose(g2.data, gg.numpy(), rtol=1e-10)


def test_logcumsumexp_is_stable_like_torch() -> None:
    a = np.array([-1000.0, 0.0, 1000.0, -5.0, 1000.0])
    compare(lambda t: t.logcumsumexp(0), lambda t: t.logcumsumexp(0), a)


def test_cummax_ties_take_the_latest_index_like_torch() -> None:
    a = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [0.0, 0.0, -1.0, 0.0, 0.0]])
    for op in ("cummax", "cummin"):
        got, want = getattr(ag.Tensor(a), op)(1), getattr(torch.tensor(a), op)(1)
        np.testing.assert_array_equal(got.indices.data, want.indices.numpy())
        compare(lambda t, op=op: getattr(t, op)(1).values,
                lambda t, op=op: getattr(t, op)(1).values, a)


def test_diff_prepend_append_like_torch() -> None:
    a, p, q = RNG.standard_normal((2, 4)), RNG.standard_normal((2, 1)), RNG.standard_normal((2, 2))
    compare(lambda t, u, v: ag.diff(t, n=2, dim=1, prepend=u, append=v),
            lambda t, u, v: torch.diff(t, n=2, dim=1, prepend=u, append=v), a, p, q)


# ----- sorting and selection -----

SORTS = {
    "sort()": lambda t: tuple(t.sort()),
    "sort(0)": lambda t: tuple(t.sort(0)),
    "sort(descending=True)": lambda t: tuple(t.sort(descending=True)),
    "sort(dim=0, descending=True, stable=True)":
        lambda t: tuple(t.sort(dim=0, descending=True, stable=True)),
    "argsort()": lambda t: t.argsort(),
    "argsort(0, True)": lambda t: t.argsort(0, True),
    "topk(2)": lambda t: tuple(t.topk(2)),
    "topk(2, 0, False)": lambda t: tuple(t.topk(2, 0, False)),
    "topk(3, dim=1, largest=True, sorted=True)":
        lambda t: tuple(t.topk(3, dim=1, largest=True, sorted=True)),
    "kthvalue(2)": lambda t: tuple(t.kthvalue(2)),
    "kthvalue(1, 0, True)": lambda t: tuple(t.kthvalue(1, 0, True)),
    "median()": lambda t: t.median(),
    "median(1)": lambda t: tuple(t.median(1)),
    "median(dim=0, keepdim=True)": lambda t: tuple(t.median(dim=0, keepdim=True)),
    "mode()": lambda t: tuple(t.mode()),
    "mode(0)": lambda t: tuple(t.mode(0)),
    "msort": lambda t: t.msort(),
}


@pytest.mark.parametrize("name", sorted(SORTS))
def test_sorting_matches_torch_on_distinct_values(name: str) -> None:
    compare(SORTS[name], SORTS[name], RNG.standard_normal((4, 5)))


@pytest.mark.parametrize("name", ["sort()", "sort(dim=0, descending=True, stable=True)",
                                  "median(1)", "mode()", "mode(0)", "median()"])
def test_sorting_with_repeated_values_matches_torch(name: str) -> None:
    a = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [4.0, 4.0, 0.0, 0.0, 5.0],
                  [1.0, 1.0, 1.0, 1.0, 1.0], [0.5, -1.0, 0.5, 2.0, -1.0]])
    compare(SORTS[name], SORTS[name], a)


def test_sort_puts_nan_last_like_torch() -> None:
    a = np.array([1.0, np.nan, -2.0, 0.5])
    for desc in (False, True):
        got, want = ag.Tensor(a).sort(descending=desc), torch.tensor(a).sort(descending=desc)
        np.testing.assert_array_equal(got.values.data, want.values.numpy())
        np.testing.assert_array_equal(got.indices.data, want.indices.numpy())


def test_topk_and_kthvalue_reject_out_of_range_k() -> None:
    x = ag.Tensor(x23())
    with pytest.raises(IndexError, match="topk"):
        x.topk(4)
    with pytest.raises(IndexError, match="kthvalue"):
        x.kthvalue(0)


def test_named_tuples_unpack_like_torch() -> None:
    values, indices = ag.Tensor(x23()).sort(1, descending=True)
    assert values.shape == indices.shape == (2, 3)
    r = ag.Tensor(x23()).max(1)
    assert r[0] is r.values and r[1] is r.indices and "values=" in repr(r)
