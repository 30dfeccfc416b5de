"""Random hyperparameter search: sample a space (log scales for rates), score on validation.

`random_search(train_fn, space, trials, seed)` runs an Optuna study (the seeds' method by
default: independent log-uniform draws from a seeded `RandomSampler`), calls
`train_fn(params)` for each trial (in parallel processes through joblib when `n_jobs != 1`)
and returns the trials sorted best first. `train_fn` must train on the training split and
return a score measured on the validation split only (never the test set), or a dict with a
`"score"` key and any extra results. A `storage=` database makes the search resumable and
shareable; `pruner="median"` stops trials that fall behind; `backend="dask"` runs on a Dask
cluster:

    trials = random_search(train_fn, space, trials=200, seed=0, n_jobs=-1, backend="dask",
                           scheduler="tcp://127.0.0.1:8786", storage="sqlite:///search.db")

>>> space = {"lr": LogUniform(1e-6, 1e-2), "weight_decay": LogUniform(1e-8, 1e-4)}
>>> best = random_search(lambda p: abs(math.log10(p["lr"]) + 3), space, trials=20, seed=0)[0]
>>> round(math.log10(best["params"]["lr"]))
-3
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from optim import _study

__all__ = [
    "Distribution",
    "LogUniform",
    "Uniform",
    "IntUniform",
    "Choice",
    "sample_space",
    "random_search",
]


def _real(name: str, value: Any) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value} (expected a finite number)")
    return float(value)


class Distribution:
    """A one-dimensional search distribution: `sample(rng)` draws one value."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError


class Uniform(Distribution):
    """Uniform on [low, high)."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = _real("low", low), _real("high", high)
        if not self.low < self.high:
            raise ValueError(f"Uniform needs low < high, got low={low}, high={high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"Uniform({self.low!r}, {self.high!r})"


class LogUniform(Distribution):
    """Log-uniform on [low, high): every decade between them is equally likely (for rates)."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = _real("low", low), _real("high", high)
        if not 0 < self.low < self.high:
            raise ValueError(f"LogUniform needs 0 < low < high, got low={low}, high={high}")

    def sample(self, rng: np.random.Generator) -> float:
        value = float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))
        return min(max(value, self.low), self.high)

    def __repr__(self) -> str:
        return f"LogUniform({self.low!r}, {self.high!r})"


class IntUniform(Distribution):
    """Uniform integer in [low, high], both ends included (e.g. hidden units, layers)."""

    def __init__(self, low: int, high: int) -> None:
        for name, v in (("low", low), ("high", high)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool):
                raise ValueError(f"Invalid {name}: {v} (expected an int)")
        if not low <= high:
            raise ValueError(f"IntUniform needs low <= high, got low={low}, high={high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))

    def __repr__(self) -> str:
        return f"IntUniform({self.low!r}, {self.high!r})"


class Choice(Distribution):
    """One of `options`, each equally likely."""

    def __init__(self, options: Sequence[Any]) -> None:
        if isinstance(options, (str, bytes)) or len(options) == 0:
            raise ValueError(f"Choice needs a non-empty sequence of options, got {options!r}")
        self.options = list(options)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def __repr__(self) -> str:
        return f"Choice({self.options!r})"


def sample_space(space: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One point of `space`: each Distribution sampled, any other value passed as a constant."""
    return {
        name: dist.sample(rng) if isinstance(dist, Distribution) else dist
        for name, dist in space.items()
    }


def random_search(
    train_fn: Callable[[dict[str, Any]], Any],
    space: Mapping[str, Any],
    trials: int = 20,
    seed: int | None = None,
    n_jobs: int = 1,
    backend: str | None = None,
    mode: str = "min",
    verbose: int = 0,
    *,
    sampler: str = "random",
    storage: str | None = None,
    study_name: str = "tracegrad-search",
    resume: bool = False,
    pruner: str | None = None,
    scheduler: str | None = None,
) -> list[dict[str, Any]]:
    """Run `trials` configurations of `space` on an Optuna study; return them best first.

    Each result is `{"trial": i, "params": {...}, "score": float, "seed": int, "state":
    "complete"|"pruned", ...}` plus any other keys `train_fn` returned; `mode="min"` for a
    validation loss, `"max"` for an accuracy; NaN scores (diverged runs) sort last.
    - `sampler="random"` (default, the seeds' method): trial i's parameters come from a
      `RandomSampler` seeded by (seed, i), so they never depend on `n_jobs` or a resume;
      `"tpe"` uses Optuna's TPE (adaptive, asked in batches of `n_jobs`).
    - `storage="sqlite:///search.db"` (any SQLAlchemy URL) keeps the study in a database:
      with `resume=True` a killed search continues (finished trials are kept, the ones the
      kill interrupted are run again with the same parameters, none twice) and several
      processes may share it. Without `resume`, an existing study of that name is an error.
    - `pruner="median"`: `optim.fit` reports each epoch's validation metric (`val_acc` for
      mode "max", `val_loss` for "min") and stops trials that fall behind the median.
    - `n_jobs != 1` runs trials in joblib processes (`train_fn` must be picklable); `backend`
      picks a joblib backend ("loky", "threading", "dask", ...); `backend="dask"` with
      `scheduler="tcp://host:8786"` connects to that Dask cluster. Each trial starts from
      `ag.manual_seed(seed_i)` with its own seed.
    """
    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable, got {type(train_fn).__name__}")
    if not isinstance(space, Mapping) or not space:
        raise ValueError("space must be a non-empty dict of name -> Distribution or constant")
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise ValueError(f"Invalid trials: {trials} (expected an int >= 1)")
    if mode not in ("min", "max"):
        raise ValueError(f"Invalid mode: {mode!r} (expected 'min' or 'max')")
    if not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"Invalid n_jobs: {n_jobs} (expected a non-zero int; -1 = all cores)")
    if sampler not in ("random", "tpe"):
        raise ValueError(f"Invalid sampler: {sampler!r} (expected 'random' or 'tpe')")
    if pruner not in (None, "median"):
        raise ValueError(f"Invalid pruner: {pruner!r} (expected None or 'median')")
    if scheduler is not None and backend != "dask":
        raise ValueError("scheduler= is the address of a Dask cluster: pass backend='dask'")
    if resume and storage is None:
        raise ValueError("resume=True needs storage= (e.g. 'sqlite:///search.db')")
    parallel = n_jobs != 1 or backend is not None
    if pruner and parallel and storage is None and backend != "threading":
        raise ValueError("pruning trials in worker processes needs storage= (the workers "
                         "report to the study through it)")
    o = _study.optuna()
    fixed = {k: v for k, v in space.items() if not isinstance(v, Distribution)}
    dists = {k: _study.distribution(k, v) for k, v in space.items() if isinstance(v, Distribution)}
    study = o.create_study(
        storage=storage, study_name=study_name, load_if_exists=resume,
        direction="minimize" if mode == "min" else "maximize",
        pruner=o.pruners.MedianPruner(n_startup_trials=2) if pruner else o.pruners.NopPruner(),
    )
    _requeue_interrupted(study)
    key = "val_acc" if mode == "max" else "val_loss"
    batch = 1 if not parallel else (n_jobs if n_jobs > 0 else 8)
    extras: dict[int, dict[str, Any]] = {}
    while True:
        # finished, not counting trials a kill interrupted (FAIL without a score)
        done = [t for t in study.trials if t.state.is_finished()
                and (t.state != o.trial.TrialState.FAIL or "tg_score" in t.user_attrs)]
        todo = trials - len(done)
        if todo <= 0:
            break
        asked = []
        for _ in range(min(batch, todo)):
            # draw k of the search: the k-th fresh parameter set (a re-run keeps its draw)
            draw = sum(1 for t in study.trials if "tg_requeued_from" not in t.user_attrs)
            study.sampler = _study.make_sampler(sampler, seed, draw)
            trial = study.ask(fixed_distributions=dists)
            trial.set_user_attr("tg_draw", trial.user_attrs.get("tg_draw", draw))
            asked.append(trial)
        jobs = []
        for trial in asked:
            params = {**{k: trial.params[k] for k in space if k in dists}, **fixed}
            params = {k: params[k] for k in space}
            trial.set_user_attr("tg_seed", _study.trial_seed(seed, trial.user_attrs["tg_draw"]))
            prune = None
            if pruner:
                prune = trial if not parallel or backend == "threading" else (
                    storage, study_name, trial._trial_id)
            jobs.append((params, trial.user_attrs["tg_seed"], prune))
        results = _run(train_fn, jobs, n_jobs, backend, scheduler, verbose, key)
        for trial, res in zip(asked, results, strict=True):
            extra = {k: v for k, v in res.items() if k not in ("score", "state")}
            extras[trial.number] = extra
            for k, v in extra.items():
                if _storable(v):  # a database keeps what JSON can hold; this run keeps all
                    trial.set_user_attr(k, v)
            state = o.trial.TrialState.PRUNED if res["state"] == "pruned" else None
            value = None if state is not None else res["score"]
            trial.set_user_attr("tg_score", res["score"])
            study.tell(trial, value if value is None or not math.isnan(value) else None,
                       state=state if state is not None else (
                           o.trial.TrialState.FAIL if math.isnan(res["score"]) else None))
    return _rows(study, space, mode, extras)


def _storable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _requeue_interrupted(study: Any) -> None:
    """Trials a killed search left RUNNING are marked FAIL and queued again, same params."""
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        attrs = {"tg_requeued_from": t.number}
        if "tg_draw" in t.user_attrs:
            attrs["tg_draw"] = t.user_attrs["tg_draw"]
        study.enqueue_trial(t.params, user_attrs=attrs)


def _run(train_fn: Any, jobs: list[tuple[Any, int, Any]], n_jobs: int, backend: str | None,
         scheduler: str | None, verbose: int, key: str) -> list[dict[str, Any]]:
    if len(jobs) == 1 and n_jobs == 1 and backend is None:
        params, s, prune = jobs[0]
        return [_study.run_trial(train_fn, params, s, prune, key)]
    from joblib import Parallel, delayed, parallel_backend

    def go() -> list[dict[str, Any]]:
        return Parallel(n_jobs=n_jobs, verbose=verbose)(
            delayed(_study.run_trial)(train_fn, p, s, pr, key) for p, s, pr in jobs)

    if backend == "dask" and scheduler is not None:
        from distributed import Client

        with Client(scheduler), parallel_backend("dask"):
            return go()
    if backend is not None:
        with parallel_backend(backend):
            return go()
    return go()


def _rows(study: Any, space: Mapping[str, Any], mode: str,
          extras: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Finished trials as result dicts, sorted best first (pruned after complete, NaN last)."""
    from optuna.trial import TrialState

    rows = []
    for t in study.trials:
        if t.state not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            continue
        if t.state == TrialState.FAIL and "tg_score" not in t.user_attrs:
            continue  # interrupted by a kill and run again under another number
        attrs = {**t.user_attrs, **extras.get(t.number, {})}
        attrs.pop("tg_requeued_from", None)
        attrs.pop("tg_draw", None)
        params = {k: (t.params[k] if k in t.params else space[k]) for k in space}
        state = {TrialState.PRUNED: "pruned"}.get(t.state, "complete")
        rows.append({"trial": t.number, "params": params, "seed": attrs.pop("tg_seed", None),
                     "score": float(attrs.pop("tg_score", math.nan)), "state": state, **attrs})
    sign = 1.0 if mode == "min" else -1.0
    rows.sort(key=lambda r: (math.isnan(r["score"]), r["state"] == "pruned",
                             0.0 if math.isnan(r["score"]) else sign * r["score"], r["trial"]))
    return rows
