"""ag.compile equals eager: 50 training steps of real models, fresh identical copies, same seeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd as ag
import nn
import optim


@pytest.fixture
def float64():
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    yield
    ag.set_default_dtype(old)


def _train_step(model: Any, opt: Any, loss_fn: Callable[..., Any]) -> Callable[..., Any]:
    def step(x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _run_both(make: Callable[[], tuple[Any, Any]], loss_fn: Callable[..., Any],
              batches: list[tuple[Any, Any]]) -> tuple[Any, Any, list, list, Any]:
    """Train one fresh model eagerly and one compiled from the same seed and batches."""
    runs = []
    for compiled in (False, True):
        ag.manual_seed(0)
        model, opt = make()
        step = _train_step(model, opt, loss_fn)
        if compiled:
            step = ag.compile(step)
        ag.manual_seed(1)  # dropout draws from here on
        losses = [float(step(x, y).data) for x, y in batches]
        runs.append((model, losses, step))
    (eager, le, _), (comp, lc, step) = runs
    return eager, comp, le, lc, step


def _assert_same(eager: Any, comp: Any, rtol: float, atol: float) -> None:
    for (name, p), q in zip(eager.named_parameters(), comp.parameters(), strict=True):
        np.testing.assert_allclose(q.data, p.data, rtol=rtol, atol=atol, err_msg=name)
    for (name, b), c in zip(eager.named_buffers(), comp.buffers(), strict=True):
        np.testing.assert_allclose(c.data, b.data, rtol=rtol, atol=atol, err_msg=name)


def _batches(shape: tuple[int, ...], classes: int, n: int = 50, dtype: Any = np.float64,
             seq: bool = False) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        x = rng.standard_normal(shape).astype(dtype)
        y = rng.integers(0, classes, shape[:2] if seq else shape[0])
        out.append((ag.tensor(x), ag.tensor(y)))
    return out


def test_mlp_dropout_sgd_momentum_float64(float64: None) -> None:
    def make():
        m = nn.models.MLP([12, 32, 32, 5], dropout=0.25)
        return m, optim.SGD(m.parameters(), lr=0.05, momentum=0.9)

    eager, comp, le, lc, step = _run_both(make, nn.functional.cross_entropy,
                                          _batches((16, 12), 5))
    _assert_same(eager, comp, 1e-12, 1e-12)
    np.testing.assert_allclose(lc, le, rtol=1e-12)
    assert step.traces == 2 and len(le) == 50
    steps = step.plan.steps
    assert any(s.kind == "host" and "dropout" in s.fn.__qualname__ for s in steps)
    # linear's VJPs are made of ops and run inline; relu's, log_softmax's and pick's have
    # write-into variants (kernels or masks into reused buffers): calls of them
    assert any(s.kind == "op" and s.vjp_of == "linear" for s in steps)
    called = {s.prim.name for s in steps if s.kind == "vjp"}
    assert called == {"relu", "log_softmax", "pick"}, called


def test_mlp_batchnorm_adam_float64(float64: None) -> None:
    def make():
        m = nn.models.MLP([12, 24, 5], batchnorm=True)
        return m, optim.Adam(m.parameters(), lr=1e-2)

    eager, comp, _, _, step = _run_both(make, nn.functional.cross_entropy,
                                        _batches((16, 12), 5))
    _assert_same(eager, comp, 1e-12, 1e-12)  # running mean/var and batch count included
    assert step.traces == 2


def test_lenet5_adam_float32() -> None:
    def make():
        m = nn.models.LeNet5(input_size=16)
        return m, optim.Adam(m.parameters(), lr=1e-3)

    eager, comp, le, lc, _ = _run_both(make, nn.functional.cross_entropy,
                                       _batches((4, 1, 16, 16), 10, dtype=np.float32))
    _assert_same(eager, comp, 1e-6, 1e-7)
    np.testing.assert_allclose(lc, le, rtol=1e-6)


def test_lstm_sgd_float64(float64: None) -> None:
    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(6, 10, batch_first=True)
            self.head = nn.Linear(10, 3)

        def forward(self, x: ag.Tensor) -> ag.Tensor:
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    def make():
        m = Tagger()
        return m, optim.SGD(m.parameters(), lr=0.1, momentum=0.5)

    eager, comp, _, _, _ = _run_both(make, nn.functional.cross_entropy,
                                     _batches((4, 7, 6), 3))
    _assert_same(eager, comp, 1e-12, 1e-12)


def test_transformer_lm_with_dropout_adam_float64(float64: None) -> None:
    def make():
        m = nn.models.TransformerLM(11, d_model=16, nhead=2, num_layers=1,
                                    dim_feedforward=24, max_len=8, dropout=0.1)
        return m, optim.Adam(m.parameters(), lr=3e-3)

    def loss_fn(logits: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        return nn.functional.cross_entropy(logits.reshape(-1, 11), y.reshape(-1))

    rng = np.random.default_rng(0)
    batches = [(ag.tensor(rng.integers(0, 11, (3, 8))), ag.tensor(rng.integers(0, 11, (3, 8))))
               for _ in range(50)]
    eager, comp, le, lc, step = _run_both(make, loss_fn, batches)
    _assert_same(eager, comp, 1e-12, 1e-12)
    np.testing.assert_allclose(lc, le, rtol=1e-12)
    assert step.traces == 2
