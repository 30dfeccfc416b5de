"""EarlyStopping: patience, min_delta, modes, restoring the best weights as deep copies."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from optim import EarlyStopping


class TinyModel:
    """Duck-typed model: state_dict returns the live Tensors (as nn.Module does)."""

    def __init__(self) -> None:
        self.w = ag.Tensor(np.zeros(3), requires_grad=True)

    def state_dict(self):
        return {"w": self.w}

    def load_state_dict(self, sd):
        self.w.data[...] = np.asarray(sd["w"].data if isinstance(sd["w"], ag.Tensor) else sd["w"])


def test_stops_after_patience_epochs_without_improvement():
    es = EarlyStopping(patience=3)
    flags = [es.step(v) for v in [1.0, 0.8, 0.85, 0.81, 0.9]]
    assert flags == [False, False, False, False, True]
    assert es.best == 0.8 and es.best_epoch == 1 and es.should_stop


def test_improvement_resets_counter():
    es = EarlyStopping(patience=2)
    flags = [es.step(v) for v in [1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.86]]
    assert flags == [False, False, False, False, False, False, True]


def test_min_delta_requires_a_real_improvement():
    es = EarlyStopping(patience=2, min_delta=0.1)
    flags = [es.step(v) for v in [1.0, 0.95, 0.92]]  # improvements smaller than 0.1
    assert flags == [False, False, True] and es.best == 1.0


def test_mode_max_and_nan():
    es = EarlyStopping(patience=2, mode="max")
    assert [es.step(v) for v in [0.5, 0.6, float("nan"), 0.55]] == [False, False, False, True]
    assert es.best == 0.6


def test_restores_best_weights_as_copies():
    model = TinyModel()
    es = EarlyStopping(patience=2)
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.9]):
        model.w.data[...] = epoch  # "training" changes the live weights in place
        stop = es.step(loss, model)
    assert stop
    np.testing.assert_array_equal(model.w.data, 1.0)  # weights of epoch 1, restored
    model.w.data[...] = 7.0
    es.restore(model)  # the snapshot was not aliased to the model
    np.testing.assert_array_equal(model.w.data, 1.0)


def test_no_restore_when_disabled_and_error_without_snapshot():
    model = TinyModel()
    es = EarlyStopping(patience=1, restore_best_weights=False)
    es.step(1.0, model)
    model.w.data[...] = 5.0
    assert es.step(2.0, model)
    np.testing.assert_array_equal(model.w.data, 5.0)
    with pytest.raises(RuntimeError, match="no saved weights"):
        EarlyStopping().restore(model)


def test_state_dict_roundtrip_and_reset():
    model = TinyModel()
    es = EarlyStopping(patience=3)
    es.step(1.0, model)
    es.step(2.0, model)
    es2 = EarlyStopping(patience=3)
    es2.load_state_dict(es.state_dict())
    assert (es2.best, es2.num_bad_epochs, es2.best_epoch) == (1.0, 1, 0)
    np.testing.assert_array_equal(es2.best_state["w"], np.zeros(3))
    es.reset()
    assert es.best == math.inf and es.best_state is None


@pytest.mark.parametrize(
    "kwargs,match",
    [(dict(patience=0), "Invalid patience"), (dict(min_delta=-1.0), "Invalid min_delta"),
     (dict(mode="low"), "Invalid mode")],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


def test_with_nn_module():
    nn = pytest.importorskip("nn")
    model = nn.Linear(2, 1)
    es = EarlyStopping(patience=1)
    es.step(0.1, model)
    best = model.weight.data.copy()
    with ag.no_grad():
        model.weight.data[...] += 1.0
    assert es.step(0.2, model)
    np.testing.assert_array_equal(model.weight.data, best)
