"""Random hyperparameter search: sample a space (log scales for rates), score on validation.

`random_search(train_fn, space, trials, seed)` draws every trial's parameters up front from
one seeded generator, runs `train_fn(params)` for each (in parallel processes through joblib
when `n_jobs != 1`) and returns the trials sorted best first. `train_fn` must train on the
training split and return a score measured on the validation split only (never the test
set), or a dict with a `"score"` key and any extra results.

Through joblib's backends the same call runs on a cluster:

    with joblib.parallel_backend("dask"):        # or "ray" after ray.util.joblib.register_ray()
        trials = random_search(train_fn, space, trials=200, seed=0, n_jobs=-1)

>>> space = {"lr": LogUniform(1e-6, 1e-2), "weight_decay": LogUniform(1e-8, 1e-4)}
>>> best = random_search(lambda p: abs(math.log10(p["lr"]) + 3), space, trials=20, seed=0)[0]
>>> round(math.log10(best["params"]["lr"]))
-3
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

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


def _run_trial(train_fn: Callable[[dict[str, Any]], Any], params: dict[str, Any],
               trial_seed: int) -> dict[str, Any]:
    """Seed tracegrad's generator for this trial, train, and normalise the result to a dict."""
    import autograd as ag

    ag.manual_seed(trial_seed)
    result = train_fn(dict(params))
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
    return out


def random_search(
    train_fn: Callable[[dict[str, Any]], Any],
    space: Mapping[str, Any],
    trials: int = 20,
    seed: int | None = None,
    n_jobs: int = 1,
    backend: str | None = None,
    mode: str = "min",
    verbose: int = 0,
) -> list[dict[str, Any]]:
    """Run `trials` random configurations of `space` and return them sorted best first.

    Each result is `{"trial": i, "params": {...}, "score": float, "seed": int, ...}` plus
    any other keys `train_fn` returned; `mode="min"` for a validation loss, `"max"` for an
    accuracy; NaN scores (diverged runs) sort last. Each trial starts from
    `ag.manual_seed(seed_i)` with its own seed, so results do not depend on `n_jobs`.
    `n_jobs != 1` runs trials in joblib processes (`train_fn` must be picklable; a lambda or
    closure works with the default loky backend); `backend` picks a joblib backend
    ("loky", "threading", "dask", "ray", ...), else the active `parallel_backend` is used.
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
    seq = np.random.SeedSequence(seed)
    rng = np.random.default_rng(seq.spawn(1)[0])
    configs = [sample_space(space, rng) for _ in range(trials)]
    trial_seeds = [int(s.generate_state(1)[0]) for s in seq.spawn(trials)]
    if n_jobs == 1 and backend is None:
        results = [_run_trial(train_fn, c, s) for c, s in zip(configs, trial_seeds, strict=True)]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, backend=backend, verbose=verbose)(
            delayed(_run_trial)(train_fn, c, s) for c, s in zip(configs, trial_seeds, strict=True)
        )
    rows = []
    for i, (params, s, res) in enumerate(zip(configs, trial_seeds, results, strict=True)):
        rows.append({"trial": i, "params": params, "seed": s, **res})
    sign = 1.0 if mode == "min" else -1.0
    rows.sort(key=lambda r: (math.isnan(r["score"]), 0.0 if math.isnan(r["score"])
                             else sign * r["score"], r["trial"]))
    return rows
