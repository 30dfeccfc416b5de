"""random_search on Optuna (issue 18 part 1): distributions, a real SQLite study killed with
SIGKILL and resumed, median pruning through optim.fit, and a real Dask LocalCluster."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from optim.search import Choice, IntUniform, LogUniform, Uniform, random_search

optuna = pytest.importorskip("optuna")
ROOT = Path(__file__).resolve().parents[2]


def score_fn(p):
    """A cheap validation score with a known best (lr near 1e-3), plus tracegrad's draw."""
    return {"score": abs(math.log10(p["lr"]) + 3) + 0.01 * p["units"],
            "draw": float(ag.get_generator().random())}


SPACE = {"lr": LogUniform(1e-6, 1e-1), "units": IntUniform(1, 4),
         "act": Choice(["relu", "tanh"]), "mom": Uniform(0.0, 0.9), "depth": 2}


def test_spaces_map_to_optuna_distributions(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    rows = random_search(score_fn, SPACE, trials=3, seed=0, storage=url)
    assert len(rows) == 3 and all(r["params"]["depth"] == 2 for r in rows)
    trial = optuna.load_study(study_name="tracegrad-search", storage=url).trials[0]
    d = trial.distributions
    assert isinstance(d["lr"], optuna.distributions.FloatDistribution) and d["lr"].log
    assert isinstance(d["units"], optuna.distributions.IntDistribution)
    assert isinstance(d["act"], optuna.distributions.CategoricalDistribution)
    assert not d["mom"].log and "depth" not in d


def test_tpe_sampler_runs_and_finds_the_region():
    rows = random_search(score_fn, SPACE, trials=25, seed=0, sampler="tpe")
    assert len(rows) == 25 and abs(math.log10(rows[0]["params"]["lr"]) + 3) < 1.0


def test_storage_rules(tmp_path):
    with pytest.raises(ValueError, match="resume=True needs storage"):
        random_search(score_fn, SPACE, trials=1, resume=True)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    random_search(score_fn, SPACE, trials=1, seed=0, storage=url)
    with pytest.raises(optuna.exceptions.DuplicatedStudyError):
        random_search(score_fn, SPACE, trials=1, seed=0, storage=url)
    with pytest.raises(ValueError, match="Invalid sampler"):
        random_search(score_fn, SPACE, trials=1, sampler="grid")


_KILLED = textwrap.dedent("""
    import sys, time
    from optim.search import LogUniform, random_search

    def slow(p):
        time.sleep(0.4)
        return p["lr"]

    random_search(slow, {"lr": LogUniform(1e-4, 1.0)}, trials=12, seed=5, storage=sys.argv[1])
""")


def _complete(url):
    try:
        study = optuna.load_study(study_name="tracegrad-search", storage=url)
    except KeyError:  # the study is not created yet
        return []
    return [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]


def test_a_killed_search_resumes_without_losing_or_repeating_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, url], env=env, cwd=ROOT)
    deadline = time.monotonic() + 120
    while len(_complete(url)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)  # land inside a trial
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {t.number: (t.params["lr"], t.value) for t in _complete(url)}
    assert 3 <= len(before) < 12

    rows = random_search(lambda p: p["lr"], {"lr": LogUniform(1e-4, 1.0)}, trials=12, seed=5,
                         storage=url, resume=True)
    assert len(rows) == 12 and all(r["state"] == "complete" for r in rows)
    after = {t.number: (t.params["lr"], t.value) for t in _complete(url)}
    for number, kept in before.items():  # finished trials kept their values
        assert after[number] == kept
    lrs = [r["params"]["lr"] for r in rows]
    assert len(set(lrs)) == 12  # none ran twice
    assert [r["score"] for r in rows] == sorted(r["score"] for r in rows)
    # the same 12 parameter draws as one uninterrupted run with the same seed
    fresh = random_search(lambda p: p["lr"], {"lr": LogUniform(1e-4, 1.0)}, trials=12, seed=5)
    assert sorted(lrs) == sorted(r["params"]["lr"] for r in fresh)


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 2)) + 2.5 * np.stack([np.cos(2 * y), np.sin(2 * y)], 1)
    return x.astype(np.float32), y


def fit_trial(params):
    """A real optim.fit run: its per-epoch validation accuracy is what the pruner sees."""
    x, y = _blobs()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=params["lr"])
    hist = optim.fit(model, nn.functional.cross_entropy, opt, (x, y), epochs=8,
                     batch_size=32, seed=0, progress=False)
    return hist["val_acc"][-1]


def test_median_pruning_stops_trials_that_fall_behind():
    rows = random_search(fit_trial, {"lr": LogUniform(1e-5, 1.0)}, trials=12, seed=2,
                         mode="max", pruner="median")
    states = [r["state"] for r in rows]
    assert "pruned" in states and "complete" in states
    pruned = [r for r in rows if r["state"] == "pruned"]
    done = [r for r in rows if r["state"] == "complete"]
    assert max(r["params"]["lr"] for r in pruned) < max(r["params"]["lr"] for r in done)
    assert rows[0]["state"] == "complete" and rows[0]["score"] > 0.8
    with pytest.raises(ValueError, match="needs storage"):
        random_search(fit_trial, {"lr": LogUniform(1e-5, 1.0)}, trials=2, n_jobs=2,
                      mode="max", pruner="median")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_serial_best_trial(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import tracegrad from here
    serial = random_search(score_fn, SPACE, trials=6, seed=9)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        on_dask = random_search(score_fn, SPACE, trials=6, seed=9, n_jobs=2, backend="dask",
                                scheduler=cluster.scheduler_address)
        with distributed.Client(cluster.scheduler_address) as client:
            assert len(client.scheduler_info()["workers"]) == 2
    assert on_dask[0]["params"] == serial[0]["params"]
    assert [(r["trial"], r["score"], r["draw"]) for r in on_dask] == [
        (r["trial"], r["score"], r["draw"]) for r in serial]
