"""The Optuna side of `optim.search.random_search`: studies, per-trial samplers, reporting.

Optuna is imported only here, and only when a search runs (`pip install tracegrad[search]`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

# The trial `optim.fit` reports its per-epoch validation metric to (None outside a search).
_current: _Reporter | None = None


def optuna() -> Any:
    """The optuna module, or an ImportError that says how to get it."""
    try:
        import optuna as _optuna
    except ImportError as exc:
        raise ImportError(
            "optim.search.random_search runs on Optuna: pip install optuna "
            "(or tracegrad[search])"
        ) from exc
    _optuna.logging.set_verbosity(_optuna.logging.WARNING)
    return _optuna


def distribution(name: str, dist: Any) -> Any:
    """The Optuna distribution for one of `optim.search`'s distributions."""
    from optim.search import Choice, IntUniform, LogUniform, Uniform

    d = optuna().distributions
    if isinstance(dist, LogUniform):
        return d.FloatDistribution(dist.low, dist.high, log=True)
    if isinstance(dist, Uniform):
        return d.FloatDistribution(dist.low, dist.high)
    if isinstance(dist, IntUniform):
        return d.IntDistribution(dist.low, dist.high)
    if isinstance(dist, Choice):
        for option in dist.options:
            if option is not None and not isinstance(option, (bool, int, float, str)):
                raise TypeError(f"Choice option {option!r} of {name!r}: Optuna stores only "
                                "None, bool, int, float and str choices")
        return d.CategoricalDistribution(dist.options)
    raise TypeError(f"{name!r}: {type(dist).__name__} is not a search distribution")


def trial_seed(seed: int | None, number: int) -> int:
    """The seed of trial `number`: fixed by the search seed and the number alone."""
    entropy = [0 if seed is None else int(seed), number]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def make_sampler(kind: str, seed: int | None, number: int) -> Any:
    """The sampler that draws trial `number`'s parameters.

    "random" (the seeds' method): a `RandomSampler` seeded by (seed, number), so a trial's
    parameters never depend on the order trials were asked in, on `n_jobs`, or on a resume.
    "tpe": one `TPESampler(seed=seed)` for the study (adaptive, so not order-independent).
    """
    o = optuna()
    if kind == "random":
        return o.samplers.RandomSampler(seed=trial_seed(seed, number) if seed is not None
                                        else None)
    return o.samplers.TPESampler(seed=seed)


class _Reporter:
    """What `optim.fit` calls each epoch inside a trial: report, then maybe stop."""

    def __init__(self, trial: Any, key: str) -> None:
        self.trial, self.key, self.last = trial, key, math.nan

    def epoch(self, record: Mapping[str, Any], step: int) -> None:
        value = record.get(self.key)
        if value is None or not math.isfinite(value):
            return
        self.last = float(value)
        self.trial.report(self.last, step)
        if self.trial.should_prune():
            raise optuna().TrialPruned(f"pruned after epoch {step + 1}")


def report_epoch(record: Mapping[str, Any], step: int) -> None:
    """Called by `optim.fit` after each epoch; a no-op outside a pruned search."""
    if _current is not None:
        _current.epoch(record, step)


def run_trial(train_fn: Callable[[dict[str, Any]], Any], params: dict[str, Any], seed: int,
              prune: Any = None, key: str = "val_loss") -> dict[str, Any]:
    """Seed, train and normalise one trial's result (in this process or a worker).

    With a pruner, `prune` is the Optuna trial itself (same process) or (storage URL, study
    name, trial id) for a worker process, which reopens the trial from the storage so that
    `optim.fit` can report the epoch's `key` metric to it.
    """
    import autograd as ag

    global _current
    ag.manual_seed(seed)
    if prune is not None:
        o = optuna()
        if isinstance(prune, tuple):
            storage, name, trial_id = prune
            prune = o.trial.Trial(o.load_study(study_name=name, storage=storage), trial_id)
        _current = _Reporter(prune, key)
    try:
        result = train_fn(dict(params))
    except Exception as exc:
        if prune is not None and isinstance(exc, optuna().TrialPruned):
            return {"score": _current.last if _current else math.nan, "state": "pruned"}
        raise
    finally:
        _current = None
    return normalise(result)


def normalise(result: Any) -> dict[str, Any]:
    """`train_fn`'s number or dict as `{"score": float, ...}`."""
    if isinstance(result, Mapping):
        if "score" not in result:
            raise ValueError("train_fn returned a dict without a 'score' key")
        out = dict(result)
    else:
        out = {"score": result}
    try:
        out["score"] = float(out["score"])
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"train_fn must return a number (or a dict with 'score'), got {out['score']!r}"
        ) from exc
    out.setdefault("state", "complete")
    return out
