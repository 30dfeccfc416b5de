"""The row kernels of the classifier head (autograd/kernels/rows.py): (log-)softmax over the
last axis and their VJPs, the `pick` primitive, and cross-entropy's target preparation, each
eagerly, as the write-into variants ag.compile replays, and against NumPy and PyTorch."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.kernels import rows
from autograd.ops.select import pick, unpick
from autograd.ops.softmax import log_softmax, softmax
from nn import functional as F

INF, NAN = np.inf, np.nan
EDGE_ROWS = np.array([
    [-INF, -INF, -INF, -INF], [INF, 0.0, 1.0, 2.0], [INF, INF, 0.0, 1.0], [NAN, 0.0, 1.0, 2.0],
    [1e4, 0.0, -1e4, 3.0], [-INF, 0.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0], [-1e4, -1e4, 1e4, 1e4],
])


def _numpy_log_softmax(x: np.ndarray) -> np.ndarray:
    """The NumPy code log_softmax ran before the kernels (the behaviour they keep)."""
    with np.errstate(all="ignore"):
        z = x - np.max(x, axis=-1, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _numpy_softmax(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edge_rows_behave_as_the_numpy_code(dtype: Any) -> None:
    x = EDGE_ROWS.astype(dtype)
    for prim, ref in ((log_softmax, _numpy_log_softmax), (softmax, _numpy_softmax)):
        got, want = prim.forward(x, axis=-1), ref(x)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))  # -inf / inf / NaN rows
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)  # the rest, -inf included
    assert np.isnan(log_softmax.forward(x)[:4]).all()  # all -inf, +inf and NaN rows: NaN
    np.testing.assert_array_equal(log_softmax.forward(x)[4, :3], np.array([0, -1e4, -2e4]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "axis"), [
    ((1, 10), -1), ((5, 7), 1), ((3, 2, 129), -1), ((2, 1000), -1), ((4,), 0),  # kernels
    ((3, 1000), -1), ((4, 6), 0), ((2, 3, 4), 1),  # NumPy passes (large, or not the last axis)
])
def test_eager_and_into_variants_agree_bit_for_bit(shape: tuple, axis: int, dtype: Any) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for prim, ref in ((log_softmax, _numpy_log_softmax), (softmax, _numpy_softmax)):
        ans = prim.forward(x, axis=axis)
        np.testing.assert_allclose(ans, np.moveaxis(ref(np.moveaxis(x, axis, -1)), -1, axis),
                                   rtol=tol, atol=tol)
        out = np.full_like(x, np.nan)
        prim.into(out, x, axis=axis)
        np.testing.assert_array_equal(out, ans, strict=True)
        want = prim.vjps[0](ag.tensor(g), ag.tensor(ans), ag.tensor(x), axis=axis).data
        eager = prim.vjps[0](g, ans, x, axis=axis)  # what backward runs on arrays
        np.testing.assert_allclose(eager, want, rtol=tol, atol=tol)
        out = np.full_like(x, np.nan)
        prim.vjp_intos[0](out, g, ans, x, axis=axis)
        np.testing.assert_array_equal(out, eager, strict=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_sums_are_numpys_pairwise_sums(dtype: Any) -> None:
    rng = np.random.default_rng(11)
    for n in [*range(1, 40), 127, 128, 129, 136, 255, 256, 257, 1000, 1029, 5000]:
        w = rng.standard_normal(n).astype(dtype)
        t = np.arange(n) % n
        safe, wt, keep, total = (np.empty(n, np.int64), np.empty(n, dtype), np.empty(n, dtype),
                                 np.empty(1, dtype))
        assert rows.nll_targets(t, w, n, -100, safe, wt, keep, total) == -1
        assert total[0] == np.sum(w), n


def test_other_axes_and_layouts_keep_the_numpy_path() -> None:
    x = np.random.default_rng(1).standard_normal((4, 6))
    np.testing.assert_array_equal(log_softmax.forward(x, axis=0), _numpy_log_softmax(x.T).T)
    xt = x.T  # not C-contiguous: NumPy
    np.testing.assert_array_equal(log_softmax.forward(xt, axis=-1), _numpy_log_softmax(xt))
    out = np.empty_like(x.T)
    softmax.into(out, x.T, axis=1)
    np.testing.assert_array_equal(out, _numpy_softmax(x.T))
    with pytest.raises(ValueError):  # an empty row has no max, as before
        log_softmax.forward(np.zeros((2, 0)))


@pytest.mark.parametrize("name", ["log_softmax", "softmax"])
def test_kernels_match_torch_forward_and_backward(name: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_normal((6, 11)) * 30, EDGE_ROWS[4:5, :].repeat(11 // 4 + 1,
                        axis=1)[:, :11]]).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    xa = ag.tensor(x, requires_grad=True)
    ya = getattr(ag, name)(xa, axis=-1)
    (ya * ag.tensor(g)).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch, name)(xt, dim=-1)
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["log_softmax", "softmax"])
def test_second_order_uses_the_recorded_formula(name: str) -> None:
    x = ag.tensor(np.random.default_rng(3).standard_normal((3, 5)), requires_grad=True)
    fn = getattr(ag, name)
    assert ag.gradcheck(lambda t: fn(t, axis=-1), (x,))
    assert ag.gradgradcheck(lambda t: fn(t, axis=-1), (x,))


# ----- pick -----


def test_pick_gradcheck_first_and_second_order_float64() -> None:
    x = ag.tensor(np.random.default_rng(4).standard_normal((5, 4)), requires_grad=True)
    index = np.array([0, 3, 1, -1, 2])
    assert ag.gradcheck(lambda t: pick(t, index=index), (x,))
    assert ag.gradgradcheck(lambda t: pick(t, index=index), (x,))
    g = ag.tensor(np.random.default_rng(5).standard_normal(5), requires_grad=True)
    assert ag.gradcheck(lambda t: unpick(t, index=index, columns=4), (g,))
    assert ag.gradgradcheck(lambda t: unpick(t, index=index, columns=4), (g,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pick_matches_torch_gather_and_its_into_variants(dtype: Any) -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((7, 5)).astype(dtype)
    index = rng.integers(0, 5, 7)
    ans = pick.forward(x, index=index)
    np.testing.assert_array_equal(ans, x[np.arange(7), index], strict=True)
    out = np.full_like(ans, np.nan)
    pick.into(out, x, index=index)
    np.testing.assert_array_equal(out, ans, strict=True)
    g = rng.standard_normal(7).astype(dtype)
    want = np.zeros_like(x)
    want[np.arange(7), index] = g
    np.testing.assert_array_equal(pick.vjps[0](g, ans, x, index=index), want, strict=True)
    out = np.full_like(x, np.nan)
    pick.vjp_intos[0](out, g, ans, x, index=index)
    np.testing.assert_array_equal(out, want, strict=True)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    picked = xt.gather(1, torch.tensor(index)[:, None])[:, 0]
    (picked * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(ans, picked.detach().numpy())
    np.testing.assert_array_equal(want, xt.grad.numpy())


def test_pick_rejects_bad_indices_naming_the_op() -> None:
    x = ag.tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(IndexError, match="pick: index 4 of row 1 is out of range for 4"):
        pick(x, index=np.array([0, 4, 0]))
    with pytest.raises(IndexError, match="pick: index -5"):
        pick(x, index=np.array([0, 0, -5]))
    with pytest.raises(ag.ShapeError, match="pick: index must be 3 integers"):
        pick(x, index=np.array([0, 1]))
    with pytest.raises(ag.DTypeError, match="pick: index must hold integers"):
        pick(x, index=np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ag.ShapeError, match="pick: x must be 2-D"):
        pick(ag.tensor(np.zeros(3)), index=np.array([0, 1, 2]))
    with pytest.raises(IndexError, match="unpick: index 9"):
        unpick(ag.tensor(np.zeros(3)), index=np.array([0, 9, 0]), columns=4)


def test_cross_entropy_graph_reads_log_softmax_then_pick() -> None:
    x = ag.tensor(np.random.default_rng(7).standard_normal((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, ag.tensor(np.array([2, 0])))
    graph = ag.trace(lambda t: F.cross_entropy(t, ag.tensor(np.array([2, 0]))), x,
                     backward=False)
    ops = [op.op for op in graph.ops.values()]
    assert ops.index("log_softmax") < ops.index("pick")
    assert "getitem" not in ops
    assert loss.grad_fn is not None


# ----- cross-entropy's targets -----


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nll_matches_torch_with_weights_and_ignored_targets(dtype: Any) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((9, 4)).astype(dtype)
    t = np.array([0, 3, -100, 2, 1, -100, 3, 0, 1])
    w = rng.uniform(0.5, 2.0, 4).astype(dtype)
    for weight in (None, w):
        for reduction in ("mean", "sum", "none"):
            xa = ag.tensor(x, requires_grad=True)
            la = F.cross_entropy(xa, ag.tensor(t), weight=None if weight is None else
                                 ag.tensor(weight), reduction=reduction)
            la.sum().backward()
            xt = torch.tensor(x, requires_grad=True)
            lt = torch.nn.functional.cross_entropy(
                xt, torch.tensor(t), weight=None if weight is None else torch.tensor(weight),
                reduction=reduction)
            lt.sum().backward()
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(la.data, lt.detach().numpy(), rtol=tol, atol=tol)
            np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=tol, atol=tol)


def test_nll_out_of_range_target_keeps_its_message() -> None:
    x = ag.tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"cross_entropy: target 4 is out of bounds for 4 "
                                         r"classes \(valid: 0..3, or ignore_index=-100\)"):
        F.cross_entropy(x, ag.tensor(np.array([0, 4, 9])))
    with pytest.raises(IndexError, match="nll_loss: target -1 is out of bounds"):
        F.nll_loss(x, ag.tensor(np.array([0, -1, 1])))


def test_nll_targets_of_other_integer_and_float_dtypes() -> None:
    x = np.random.default_rng(9).standard_normal((4, 3)).astype(np.float16)
    t = np.array([2, 0, 1, 1], dtype=np.int32)
    loss = F.nll_loss(ag.tensor(x), ag.tensor(t), weight=ag.tensor(np.array([1.0, 2.0, 0.5])))
    assert loss.dtype == np.float16
    w = np.array([1.0, 2.0, 0.5])[t]
    np.testing.assert_allclose(float(loss.data), -(x[np.arange(4), t] * w).sum() / w.sum(),
                               rtol=2e-3)


def test_compiled_step_with_two_losses_matches_eager_and_reuses_buffers() -> None:
    """Each cross_entropy call site's host step owns its arrays, so a step with two losses
    (different targets) replays what the eager step computes, and the plan allocates nothing
    for log_softmax, pick and their VJPs."""

    def make() -> tuple[Any, Any]:
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 5))
        return model, optim.SGD(model.parameters(), lr=0.1)

    def train(model: Any, opt: Any) -> Any:
        def step(x: ag.Tensor, t1: ag.Tensor, t2: ag.Tensor) -> ag.Tensor:
            opt.zero_grad()
            out = model(x)
            loss = F.cross_entropy(out, t1) + F.cross_entropy(out * 2.0, t2, ignore_index=0)
            loss.backward()
            opt.step()
            return loss
        return step

    rng = np.random.default_rng(10)
    batches = [(ag.tensor(rng.standard_normal((3, 6)).astype(np.float32)),
                ag.tensor(rng.integers(0, 5, 3)), ag.tensor(rng.integers(0, 5, 3)))
               for _ in range(6)]
    runs = []
    for compiled in (False, True):
        model, opt = make()
        step = train(model, opt)
        if compiled:
            step = ag.compile(step)
        losses = [float(step(*b).data) for b in batches]
        runs.append((losses, [p.data.copy() for p in model.parameters()], step))
    (le, pe, _), (lc, pc, cstep) = runs
    assert le == lc
    for p, q in zip(pe, pc, strict=True):
        np.testing.assert_array_equal(p, q)
    labelled = [(m.group(1), ln) for ln in str(cstep.plan).splitlines()
                if (m := re.match(r"\s*\d+\s+\S+\s+(.+?)\s{2,}\(", ln))]
    for name in ("log_softmax", "pick", "pick VJP(0)", "log_softmax VJP(0)"):
        found = [ln for label, ln in labelled if label == name]
        assert len(found) == 2 and all("buffer" in ln for ln in found), (name, found)
