"""fit / evaluate / predict / train_val_split / Ensemble on small synthetic problems."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import optim
from optim import EarlyStopping, Ensemble, evaluate, fit, predict, train_val_split
from optim.lr_scheduler import ReduceLROnPlateau, StepLR

nn = pytest.importorskip("nn")


def blobs(n=300, seed=0):
    """Three well-separated Gaussian blobs in 2-D: (x float32, y int64)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, size=n)
    x = (centers[y] + rng.normal(scale=0.8, size=(n, 2))).astype(np.float32)
    return x, y.astype(np.int64)


def ce(out, y):
    return nn.functional.cross_entropy(out, y)


def mse(out, t):
    return ((out - t) ** 2).mean()


def test_train_val_split_default_20_percent():
    x, y = np.arange(50).reshape(25, 2), np.arange(25)
    (xt, yt), (xv, yv) = train_val_split(x, y, seed=0)
    assert len(xv) == 5 and len(xt) == 20
    assert np.array_equal(xt[:, 0] // 2, yt) and np.array_equal(xv[:, 0] // 2, yv)  # aligned
    assert sorted(np.concatenate([yt, yv]).tolist()) == list(range(25))  # a partition
    (xs, _), _ = train_val_split(x, y, shuffle=False, val_fraction=0.4)
    assert np.array_equal(xs, x[:15])
    with pytest.raises(ValueError, match="different lengths"):
        train_val_split(x, y[:3])
    with pytest.raises(ValueError, match="Invalid val_fraction"):
        train_val_split(x, y, val_fraction=1.0)


def test_fit_classifier_improves_and_records_history():
    x, y = blobs()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    before = evaluate(model, (x, y), ce)
    hist = fit(model, ce, optim.Adam(model.parameters(), lr=0.05), (x, y), epochs=8,
               batch_size=32, progress=False, seed=0)
    assert set(hist.history) == {"loss", "acc", "val_loss", "val_acc", "lr"}
    assert hist.epochs == 8 and len(hist["val_acc"]) == 8
    assert hist["loss"][-1] < hist["loss"][0]
    assert hist["val_acc"][-1] > 0.95 > before["acc"]
    assert model.training  # fit leaves the model in training mode


@pytest.mark.parametrize("batch_size", [None, 1, 16])
def test_full_batch_sgd_and_minibatch_are_one_loop(batch_size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-1.0], [2.0]], np.float32)
    w = ag.zeros((3, 1), requires_grad=True)
    steps = []

    class Counting(optim.SGD):
        def step(self, closure=None):
            steps.append(1)
            return super().step(closure)

    lr = {None: 0.3, 1: 0.02, 16: 0.1}[batch_size]
    hist = fit(lambda xb: xb @ w, mse, Counting([w], lr=lr), (x, y), epochs=15,
               batch_size=batch_size, val_split=0.25, progress=False, seed=0)
    per_epoch = {None: 1, 1: 48, 16: 3}[batch_size]
    assert len(steps) == 15 * per_epoch
    assert hist["val_loss"][-1] < 0.01 * hist["val_loss"][0] or hist["val_loss"][-1] < 1e-3


def test_fit_with_dataloader_scheduler_and_clipping():
    x, y = blobs(200)
    ds = nn.data.TensorDataset(x, y)
    train, val = nn.data.random_split(ds, [160, 40], seed=0)
    tl = nn.data.DataLoader(train, batch_size=20, shuffle=True, seed=0)
    vl = nn.data.DataLoader(val, batch_size=40)
    model = nn.Linear(2, 3)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    hist = fit(model, ce, opt, tl, vl, epochs=4, scheduler=StepLR(opt, step_size=2, gamma=0.1),
               clip_grad_norm=1.0, progress=False)
    assert hist["lr"] == [0.5, 0.5, 0.05, 0.05]
    assert hist["val_acc"][-1] > 0.9


def test_fit_without_validation_on_loader():
    x, y = blobs(64)
    model = nn.Linear(2, 3)
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]  # a plain list of pairs
    hist = fit(model, ce, optim.SGD(model.parameters(), lr=0.1), batches, epochs=2,
               progress=False)
    assert "val_loss" not in hist and len(hist["loss"]) == 2
    with pytest.raises(ValueError, match="cannot monitor 'val_loss'"):
        fit(model, ce, optim.SGD(model.parameters(), lr=0.1), batches, epochs=1,
            early_stopping=EarlyStopping(), progress=False)


def test_fit_early_stopping_restores_best_weights():
    x, y = blobs(120)
    model = nn.Linear(2, 3)
    # training on shifted labels makes the loss on the true labels rise from the start:
    # the best validation epoch is the first, and its weights come back at the stop
    opt = optim.SGD(model.parameters(), lr=0.5)
    es = EarlyStopping(patience=2)
    hist = fit(model, ce, opt, (x, (y + 1) % 3), (x, y), epochs=30, batch_size=None,
               early_stopping=es, progress=False)
    assert hist.stopped_early and hist.epochs == 3 and "val_loss" in hist.stop_reason
    assert es.best_epoch == 0 and es.best == hist["val_loss"][0] < hist["val_loss"][-1]
    assert evaluate(model, (x, y), ce)["loss"] == pytest.approx(es.best, rel=1e-6)


def test_fit_reduce_on_plateau_and_regularizer():
    x, y = blobs(90)
    model = nn.Linear(2, 3)
    opt = optim.SGD(model.parameters(), lr=1e-3)  # no epoch improves by 50%: a plateau
    sched = ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=0.5)
    hist = fit(model, ce, opt, (x, y), epochs=3, batch_size=None, scheduler=sched,
               regularizer=lambda: optim.l1_penalty(model.parameters(), 1e-3), progress=False)
    assert hist["lr"] == [1e-3, 1e-3, 5e-4]


def test_fit_stops_on_divergence():
    x = np.ones((8, 1), np.float32)
    y = np.full((8, 1), 1e30, np.float32)
    w = ag.ones((1, 1), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="stopping"), np.errstate(all="ignore"):
        hist = fit(lambda xb: xb @ w, mse, optim.SGD([w], lr=1e10), (x, y), epochs=5,
                   batch_size=None, progress=False)
    assert hist.stopped_early and hist.stop_reason == "non-finite loss" and hist.epochs < 5


def test_fit_validation():
    w = ag.ones((1, 1), requires_grad=True)
    data = (np.ones((4, 1), np.float32), np.ones((4, 1), np.float32))
    with pytest.raises(ValueError, match="Invalid epochs"):
        fit(lambda xb: xb @ w, mse, optim.SGD([w]), data, epochs=-1)
    with pytest.raises(ValueError, match="Invalid batch_size"):
        fit(lambda xb: xb @ w, mse, optim.SGD([w]), data, batch_size=0)
    with pytest.raises(TypeError, match="optim.Optimizer"):
        fit(lambda xb: xb @ w, mse, object(), data)
    with pytest.raises(TypeError, match=r"\(x, y\) batches"):
        fit(lambda xb: xb @ w, mse, optim.SGD([w]), [np.ones(3)], progress=False)


def test_fit_progress_bar_shows_loss_and_accuracy(capsys):
    x, y = blobs(40)
    model = nn.Linear(2, 3)
    fit(model, ce, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1, batch_size=8,
        progress=True)
    err = capsys.readouterr().err
    assert "Epoch 1/1" in err and "loss=" in err and "acc=" in err and "val_acc=" in err


def test_evaluate_uses_eval_mode_and_records_no_graph():
    x, y = blobs(50)
    modes = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 3)
            self.drop = nn.Dropout(0.5)

        def forward(self, xb):
            modes.append((self.training, ag.is_grad_enabled()))
            return self.drop(self.lin(xb))

    model = Probe()
    a = evaluate(model, (x, y), ce, batch_size=20)
    b = evaluate(model, (x, y), ce, batch_size=None)
    assert modes and all(m == (False, False) for m in modes)
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-5) and a["acc"] == b["acc"]
    assert model.training
    out = predict(model, x, batch_size=7)
    assert out.shape == (50, 3) and isinstance(out, np.ndarray)


def test_accuracy_metric():
    out = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert optim.accuracy(out, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert optim.accuracy(out, np.eye(2)[[1, 0, 1]]) == 1.0
    assert optim.accuracy(np.zeros((3, 1)), np.zeros((3, 1))) is None


def test_ensemble_averages_probabilities():
    x, _ = blobs(10)
    models = [nn.Linear(2, 3) for _ in range(3)]
    ens = Ensemble(models)
    probs = ens.predict_proba(x)
    expected = np.mean([ag.softmax(m(ag.tensor(x)), axis=-1).data for m in models], axis=0)
    np.testing.assert_allclose(probs, expected, rtol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert np.array_equal(ens.predict(x), expected.argmax(axis=1))
    weighted = Ensemble(models, weights=[1.0, 0.0, 0.0]).predict_proba(x)
    np.testing.assert_allclose(weighted, ag.softmax(models[0](ag.tensor(x)), axis=-1).data,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="Invalid weights"):
        Ensemble(models, weights=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])


def test_ensemble_of_trained_models_is_at_least_as_good_on_average():
    x, y = blobs(400, seed=1)
    (xt, yt), (xv, yv) = train_val_split(x, y, seed=0)
    models = []
    for seed in range(3):
        ag.manual_seed(seed)
        m = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
        fit(m, ce, optim.SGD(m.parameters(), lr=0.2), (xt, yt), epochs=2, batch_size=64,
            val_split=0.0, progress=False, seed=seed)
        models.append(m)
    accs = [evaluate(m, (xv, yv))["acc"] for m in models]
    ens_acc = evaluate(Ensemble(models), (xv, yv))["acc"]
    assert ens_acc >= np.mean(accs) - 1e-9
