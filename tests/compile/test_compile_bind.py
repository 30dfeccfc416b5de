"""Work a replay need not redo: views of fixed arrays made once, products bound to buffers."""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.compiler.show import step_label


def test_view_of_a_parameter_is_made_once_and_sees_in_place_updates() -> None:
    w = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)

    def f(x: ag.Tensor) -> ag.Tensor:
        return (x @ w.T).sum()

    step = ag.compile(f)
    x = ag.tensor(np.ones((2, 4)))
    for k in range(4):
        assert step(x).item() == f(x).item()
        w.data[...] += k  # in place: the view made at build time still reads it
    once = [step_label(step.plan, step.plan.groups[k]) for k in step.plan.made_once]
    assert once == ["transpose"]
    assert "once" in str(step.plan)


def test_ops_that_are_not_views_are_not_run_at_build_time() -> None:
    w = ag.tensor(np.full((3,), 2.0))
    calls = []

    def f(x: ag.Tensor) -> ag.Tensor:
        calls.append(1)
        return (x * ag.exp(w)).sum()  # exp of a fixed array: run every replay, not hoisted

    step = ag.compile(f)
    x = ag.tensor(np.ones(3))
    for _ in range(3):
        step(x)
    w.data[...] = 0.0
    assert step(x).item() == 3.0
    assert not step.plan.made_once


def test_bound_training_step_equals_eager_bit_for_bit() -> None:
    from nn import Linear, ReLU, Sequential
    from nn.functional import cross_entropy
    from optim import SGD

    rng = np.random.default_rng(0)
    x = ag.tensor(rng.random((5, 20)))
    t = ag.tensor(rng.integers(0, 4, 5))

    def build() -> tuple:
        ag.manual_seed(0)
        model = Sequential(Linear(20, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 4)).double()
        opt = SGD(model.parameters(), lr=0.1)

        def step(x: ag.Tensor, t: ag.Tensor) -> ag.Tensor:
            opt.zero_grad()
            loss = cross_entropy(model(x), t)
            loss.backward()
            opt.step()
            return loss

        return model, step

    m1, eager = build()
    m2, traced = build()
    compiled = ag.compile(traced)
    for _ in range(6):
        assert eager(x, t).item() == compiled(x, t).item()
    for p, q in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
