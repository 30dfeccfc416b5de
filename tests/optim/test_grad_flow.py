"""optim.fit(record_grad_flow=n): per-node gradient norms every n steps, keyed so that the
steps line up, equal to the gradients the step really had."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.grad_flow import GradFlowLog, forward_order, node_keys
from nn.functional import cross_entropy


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(24, 2)).astype(np.float32), np.arange(24) % 3


def test_fit_records_every_n_steps_with_stable_keys() -> None:
    ag.manual_seed(0)
    model = nn.models.MLP([2, 8, 8, 3], activation="tanh")
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = optim.fit(model, cross_entropy, opt, _data(), epochs=3, batch_size=6, val_split=0,
                  shuffle=False, progress=False, record_grad_flow=4)
    log = h.grad_flow
    assert isinstance(log, GradFlowLog) and log.every == 4
    assert log.steps == [0, 4, 8]  # 3 epochs x 4 batches = steps 0..11
    keys = set(log.norms[0])
    assert all(set(n) == keys for n in log.norms)
    assert {"0/linear#0", "1/tanh#0", "4/linear#0", "0.weight", "4.bias"} <= keys
    assert log.norms[0]["0.weight"] != log.norms[-1]["0.weight"]  # the weights moved


def test_recorded_norms_are_the_step_gradients() -> None:
    ag.manual_seed(1)
    model = nn.models.MLP([2, 5, 3], activation="relu")
    x, t = _data()
    snapshot = {k: p.data.copy() for k, p in model.named_parameters()}
    h = optim.fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.5), (x[:6], t[:6]),
                  epochs=1, batch_size=None, val_split=0, progress=False, record_grad_flow=1)
    for k, p in model.named_parameters():  # one SGD step: grad = (before - after) / lr
        grad = (snapshot[k] - p.data) / 0.5
        assert h.grad_flow.norms[0][k] == pytest.approx(np.linalg.norm(grad), rel=1e-4)


def test_keys_are_module_op_index_in_forward_order() -> None:
    w = ag.tensor(np.ones(3), requires_grad=True)
    with ag.module_scope("blk"):
        y = ag.tanh(ag.tanh(w * 2.0))
    keys = list(node_keys(forward_order(y.sum())).values())
    assert keys == ["blk/multiply#0", "blk/tanh#0", "blk/tanh#1", "-/sum#0"]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_record_grad_flow_is_refused(bad: object) -> None:
    w = ag.zeros((2, 1), requires_grad=True)
    with pytest.raises(ValueError, match="record_grad_flow"):
        optim.fit(lambda xb: xb @ w, lambda o, t: ((o - t) ** 2).mean(), optim.SGD([w], lr=0.1),
                  (np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)), epochs=1,
                  progress=False, record_grad_flow=bad)  # type: ignore[arg-type]
