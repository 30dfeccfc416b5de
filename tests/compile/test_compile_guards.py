"""ag.compile's guards: new shapes retrace, fullgraph names what changed, reads are checked."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim


def test_scalar_chain_returns_input_grad_like_eager() -> None:
    def f(x: ag.Tensor) -> ag.Tensor:
        y = x
        for _ in range(50):
            y = ag.sin(y) * 1.5 + y * y * 0.1
        y.backward()
        return x.grad

    step = ag.compile(f)
    for v in (0.3, -0.2, 0.7):
        want = f(ag.tensor(v, requires_grad=True)).data
        got = step(ag.tensor(v, requires_grad=True)).data
        assert got == want
    assert step.traces == 2  # the second call checks the first trace, then replays start


def test_new_shape_retraces_and_fullgraph_names_the_change() -> None:
    lin = nn.Linear(4, 2)

    def f(x: ag.Tensor) -> ag.Tensor:
        return (lin(x) ** 2).sum()

    step = ag.compile(f)
    a, b = ag.randn(3, 4), ag.randn(5, 4)
    step(a)
    np.testing.assert_allclose(step(b).data, f(b).data, rtol=1e-6)
    assert step.traces == 2

    strict = ag.compile(f, fullgraph=True)
    strict(ag.randn(32, 4))
    with pytest.raises(ag.CompileError, match=r"input 0 shape changed from \(32, 4\) to \(16, 4\)"):
        strict(ag.randn(16, 4))


def test_branch_on_item_retraces_or_raises() -> None:
    def f(x: ag.Tensor) -> ag.Tensor:
        if (x.sum() > 0).item():
            return x * 2
        return x - 1

    step = ag.compile(f)
    pos, neg = ag.tensor([1.0, 2.0]), ag.tensor([-1.0, -2.0])
    assert step(pos).tolist() == [2.0, 4.0]
    assert step(pos).tolist() == [2.0, 4.0]
    assert step(pos).tolist() == [2.0, 4.0]  # replayed
    assert step(neg).tolist() == [-2.0, -3.0]
    assert step.traces == 3

    strict = ag.compile(f, fullgraph=True)
    strict(pos)
    with pytest.raises(ag.CompileError, match=r"read by \.item\(\) changed from True to False"):
        strict(neg)


def test_training_mode_is_a_guard() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))

    def f(x: ag.Tensor) -> ag.Tensor:
        return model(x)

    step = ag.compile(f, fullgraph=True)
    x = ag.ones(4, 3)
    step(x)
    model.eval()
    with pytest.raises(ag.CompileError, match="training mode"):
        step(x)


def test_returned_item_is_a_result_not_a_guard() -> None:
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)

    def f(x: ag.Tensor) -> float:
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    step = ag.compile(f, fullgraph=True)
    x = ag.randn(8, 3)
    losses = [step(x) for _ in range(4)]
    assert all(isinstance(v, float) for v in losses)
    assert losses[0] > losses[1] > losses[2] > losses[3]
    assert step.traces == 2


def test_untraceable_inplace_falls_back_with_a_warning() -> None:
    w = ag.tensor([1.0, 2.0], requires_grad=True)

    def f(x: ag.Tensor) -> ag.Tensor:
        loss = (w * x).sum()
        loss.backward()
        with ag.no_grad():
            w.sub_(w.grad * 0.1)  # a hand-written update, outside any optimizer step
        w.grad = None
        return loss

    step = ag.compile(f)
    with pytest.warns(UserWarning, match="in-place op"):
        step(ag.ones(2))
    step(ag.ones(2))
    np.testing.assert_allclose(w.data, [0.8, 1.8])
    with pytest.raises(ag.CompileError, match="in-place op"):
        ag.compile(f, fullgraph=True)(ag.ones(2))


def test_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="expects a callable"):
        ag.compile(3)


def test_numpy_on_data_is_caught_by_the_second_trace() -> None:
    def f(x: ag.Tensor) -> ag.Tensor:
        return x * ag.Tensor(np.sign(x.data))  # NumPy outside the ops: not replayable

    step = ag.compile(f)
    a, b, c = ag.tensor([1.0, -2.0]), ag.tensor([-3.0, 4.0]), ag.tensor([5.0, -6.0])
    assert step(a).tolist() == [1.0, 2.0]
    with pytest.warns(UserWarning, match="computed outside tracegrad's ops"):
        assert step(b).tolist() == [3.0, 4.0]
    assert step(c).tolist() == [5.0, 6.0]  # eager from now on, still right
    assert not step.plans


def test_create_graph_is_refused_under_fullgraph() -> None:
    def f(x: ag.Tensor) -> ag.Tensor:
        (x ** 3).sum().backward(create_graph=True)
        return x.grad

    with pytest.raises(ag.CompileError, match="create_graph"):
        ag.compile(f, fullgraph=True)(ag.tensor([1.0, 2.0], requires_grad=True))


def test_keyword_and_nested_tensor_inputs_are_inputs() -> None:
    def f(xs: list, *, scale: ag.Tensor, power: int) -> dict:
        return {"out": (xs[0] * scale + xs[1]) ** power}

    step = ag.compile(f)
    for k in range(4):
        xs = [ag.tensor([1.0, 2.0]) * k, ag.tensor([3.0, 4.0])]
        got = step(xs, scale=ag.tensor(2.0), power=2)["out"].tolist()
        assert got == f(xs, scale=ag.tensor(2.0), power=2)["out"].tolist()
    assert step.traces == 2
    step([ag.ones(2), ag.ones(2)], scale=ag.tensor(2.0), power=3)  # a new int: a new plan
    assert step.traces == 3


def test_grad_of_the_second_input_lands_on_that_call_input() -> None:
    def f(a: ag.Tensor, x: ag.Tensor) -> ag.Tensor:
        (a * x * x).sum().backward()
        return x.grad

    step = ag.compile(f)
    for k in range(1, 5):
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        out = step(ag.tensor([float(k), 1.0]), x)
        assert out.tolist() == x.grad.tolist() == [2.0 * k, 4.0]
