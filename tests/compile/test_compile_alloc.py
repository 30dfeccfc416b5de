"""Steady-state replays of compiled MLP and LeNet-5 training steps allocate no new arrays (every
step writes a reused buffer or makes a view; what Python objects a replay makes stay under a few
KiB, less than any activation), and every `into` variant computes what the forward computes."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd import kernels
from autograd.ops import conv
from autograd.ops.elementwise import exp, relu
from autograd.ops.linalg import linear, matmul
from autograd.ops.softmax import log_softmax

# What a replay may allocate: Python objects (the returned loss tensor, small tuples), no array;
# measured 4-5 KiB, and up to 8 in a fresh CI process
_OBJECTS = 16 * 1024


def _peak_per_replay(step: Any, x: ag.Tensor, y: ag.Tensor, replays: int = 5) -> int:
    """The largest growth of traced memory within one replay, after warm-up replays."""
    for _ in range(6):
        step(x, y)
    tracemalloc.start()
    try:
        worst = 0
        for _ in range(replays):
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            step(x, y)
            worst = max(worst, tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    return worst


def _compiled_step(model: Any, opt: Any) -> Any:
    """`ag.compile` of one cross-entropy training step of `model` with `opt`."""

    def train(x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return ag.compile(train)


@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=1e-3),
], ids=["sgd_momentum", "adam"])
def test_mlp_replay_allocates_no_array(make_opt: Any) -> None:
    ag.manual_seed(0)
    batch, sizes = 64, [256, 128, 96, 10]
    model = nn.models.MLP(sizes)
    opt = make_opt(model.parameters())

    step = _compiled_step(model, opt)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = ag.tensor(rng.integers(0, sizes[-1], batch))
    peak = _peak_per_replay(step, x, y)
    assert peak < _OBJECTS, peak  # the smallest hidden activation is 24 KiB
    plan = str(step.plan)
    assert "allocates" not in plan, plan
    linears = [ln for ln in plan.splitlines() if " linear " in ln]
    assert linears and all("buffer" in ln for ln in linears)


def test_lenet5_adam_replay_allocates_no_array() -> None:
    ag.manual_seed(0)
    model = nn.models.LeNet5()
    opt = optim.Adam(model.parameters(), lr=1e-3)

    step = _compiled_step(model, opt)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, 16))
    peak = _peak_per_replay(step, x, y)
    assert peak < _OBJECTS, peak  # the second pooling's output alone is 25 KiB
    assert "allocates" not in str(step.plan), str(step.plan)
    lines = str(step.plan).splitlines()
    for name in ("conv2d ", "max_pool2d ", "conv2d_grad_weight", "max_pool2d_scatter"):
        found = [ln for ln in lines if name in ln]
        assert found and all("buffer" in ln for ln in found), name


def _check_into(prim: Any, *arrays: Any, **params: Any) -> None:
    want = prim.forward(*arrays, **params)
    pair = isinstance(want, tuple)
    outs = [np.full_like(w, np.nan if w.dtype.kind == "f" else -1) for w in
            (want if pair else (want,))]
    prim.into(tuple(outs) if pair else outs[0], *arrays, **params)
    for out, w in zip(outs, want if pair else (want,), strict=True):
        assert out.dtype == w.dtype
        np.testing.assert_array_equal(out, w, strict=True)


@pytest.mark.parametrize(("c", "oc", "stride", "groups"), [
    (1, 6, 1, 1), (6, 16, 1, 1), (32, 8, 1, 1), (32, 8, 2, 1), (8, 8, 2, 2), (4, 6, 1, 2),
])
def test_conv_and_pool_into_variants_are_bit_identical(c: int, oc: int, stride: int,
                                                      groups: int) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, c, 12, 11)).astype(np.float32)
    w = rng.standard_normal((oc, c // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(oc).astype(np.float32)
    p = dict(stride=(stride, stride), padding=(1, 1), dilation=(1, 1), groups=groups)
    _check_into(conv.conv2d, x, w, b, **p)
    _check_into(conv.conv2d, x, w, None, **p)
    y = conv.conv2d.forward(x, w, b, **p)
    g = rng.standard_normal(y.shape).astype(np.float32)
    _check_into(conv.conv2d_grad_input, g, w, x_shape=x.shape, **p)
    _check_into(conv.conv2d_grad_weight, g, x, w_shape=w.shape, **p)
    _check_into(conv.conv2d_grad_weight, g, x.transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2),
                w_shape=w.shape, **p)  # a strided input goes through a reused copy
    for k in ((2, 2), (3, 2)):
        _check_into(conv.max_pool2d, x, kernel_size=k)
        _check_into(conv.avg_pool2d, x, kernel_size=k, padding=(1, 1))
        pooled, argmax = conv.max_pool2d.forward(x, kernel_size=k)
        gp = rng.standard_normal(pooled.shape).astype(np.float32)
        _check_into(conv.max_pool2d_scatter, gp, argmax=argmax, x_shape=x.shape)
        ga = rng.standard_normal(conv.avg_pool2d.forward(x, kernel_size=k, padding=(1, 1))
                                 .shape).astype(np.float32)
        _check_into(conv.avg_pool2d_grad, ga, x_shape=x.shape, kernel_size=k, padding=(1, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_into_variants_are_bit_identical(dtype: Any) -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((37, 70)).astype(dtype)
    w = rng.standard_normal((23, 70)).astype(dtype)
    b = rng.standard_normal(23).astype(dtype)
    _check_into(matmul, a, w.T)  # a transposed operand goes through a reused copy
    _check_into(matmul, a.T, a)
    _check_into(matmul, rng.standard_normal((3, 5, 7)).astype(dtype),
                rng.standard_normal((3, 7, 4)).astype(dtype))
    _check_into(linear, a, w, b)
    _check_into(linear, a, w, None)
    _check_into(relu, a)
    _check_into(exp, a)
    _check_into(log_softmax, a, axis=-1)
    _check_into(log_softmax, a, axis=0)
    _check_into(log_softmax, a.T, axis=-1)
    g = rng.standard_normal(a.shape).astype(dtype)
    ans = relu.forward(a)
    want = relu.vjps[0](ag.tensor(g), ag.tensor(ans), ag.tensor(a)).data
    out = np.empty_like(g)
    relu.vjp_intos[0](out, g, ans, a)
    np.testing.assert_array_equal(out, want, strict=True)


def test_kernel_out_is_checked() -> None:
    a = np.ones((4, 3))
    with pytest.raises(ValueError, match="matmul: out must be a C-contiguous float64 array of "
                                         r"shape \(4, 4\)"):
        kernels.matmul(a, a.T, out=np.empty((4, 5)))
    with pytest.raises(ValueError, match="linear: out must be"):
        kernels.linear(a, a, out=np.empty((4, 4), dtype=np.float32))


def test_parameter_grad_reuses_its_buffer_and_input_grad_stays_a_copy() -> None:
    ag.manual_seed(0)
    lin = nn.Linear(4, 3)
    opt = optim.SGD(lin.parameters(), lr=0.0)

    def grads(x: ag.Tensor) -> ag.Tensor:
        opt.zero_grad()  # .grad = None, replayed as a host step
        loss = lin(x).sum()
        loss.backward()
        return loss

    step = ag.compile(grads)
    xs = [ag.randn(5, 4, requires_grad=True) for _ in range(4)]
    seen = []
    for x in xs:
        step(x)
        seen.append((lin.weight.grad.data, x.grad.data.copy(), x.grad.data))
    assert step.traces == 2
    assert seen[2][0] is seen[3][0]  # replays rewrite the weight's .grad array in place
    np.testing.assert_allclose(seen[3][0], np.broadcast_to(xs[3].data.sum(axis=0), (3, 4)),
                               rtol=1e-6)
    assert seen[2][2] is not seen[3][2]  # each input keeps its own gradient
    np.testing.assert_array_equal(seen[2][2], seen[2][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_into_variants_are_bit_identical(dtype: Any) -> None:
    from autograd.ops import elementwise as ew

    rng = np.random.default_rng(3)
    a = rng.standard_normal((6, 5)).astype(dtype)
    b = rng.standard_normal((1, 5)).astype(dtype)  # broadcast, as BatchNorm's statistics
    a[0, 0], b[0, 1] = 0.0, 0.0
    ints = rng.integers(1, 4, (6, 5))
    for prim in (ew.add, ew.subtract, ew.multiply, ew.divide, ew.maximum, ew.minimum):
        _check_into(prim, a, b)
        _check_into(prim, a, ints)  # PyTorch's rule: the float dtype wins
    _check_into(ew.divide, ints, ints)  # int / int: the default float
    for prim in (ew.negative, ew.absolute, ew.log, ew.sqrt, ew.tanh):
        _check_into(prim, a)  # log and sqrt of negatives: NaN, as the forward
