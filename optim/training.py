"""Training helpers: `fit` (epochs of mini-batches with a tqdm bar), `evaluate`, `predict`,
`train_val_split` for arrays and `Ensemble` (average the predictions of several models).

Full-batch gradient descent, stochastic (batch 1) and mini-batch training are one loop with
different `batch_size` (None = the whole set). Models are duck-typed: anything callable on a
Tensor, with optional `train()`/`eval()` and `state_dict()`/`load_state_dict()` (for early
stopping), so `optim` needs nothing from `nn`.

>>> import autograd as ag, numpy as np
>>> from optim import SGD
>>> w = ag.zeros((2, 1), requires_grad=True)
>>> x = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
>>> y = x @ np.array([[2.0], [-1.0]], np.float32)
>>> mse = lambda out, t: ((out - t) ** 2).mean()
>>> hist = fit(lambda xb: xb @ w, mse, SGD([w], lr=0.1), (x, y), epochs=50, batch_size=None,
...            progress=False)
>>> hist["val_loss"][-1] < 1e-4, len(hist["loss"])
(True, 50)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.grad_clip import clip_grad_norm_
from autograd.grad_flow import GradFlowLog, recording
from autograd.kernels import compile_count
from optim import _study
from optim.early_stopping import EarlyStopping
from optim.lr_scheduler import ReduceLROnPlateau
from optim.optimizer import Optimizer

__all__ = [
    "History",
    "Ensemble",
    "accuracy",
    "advance_progress",
    "evaluate",
    "fit",
    "iterate_batches",
    "predict",
    "train_val_split",
]

Metric = Callable[[np.ndarray, np.ndarray], "float | None"]


def advance_progress(bar: Any, compiles_before: int, n: int = 1) -> None:
    """Advance the tqdm ``bar`` by ``n``; if kernels compiled since ``compile_count()`` was
    ``compiles_before`` (a cold Numba cache), restart its clock: the rate and the ETA then
    come from compiled batches only, not from a first batch that waited for the compiler."""
    if compile_count() == compiles_before:
        bar.update(n)
        return
    done = bar.n + n
    bar.reset()  # the clock and the rate estimate start again now
    # counted from here on: the rate shows "?" until the next batch gives a real one
    bar.n = bar.last_print_n = bar.initial = done
    bar.refresh()


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _is_array_pair(data: Any) -> bool:
    return (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and all(isinstance(a, (np.ndarray, Tensor)) for a in data)
    )


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return ag.get_generator() if seed is None else np.random.default_rng(seed)


def train_val_split(
    *arrays: Any,
    val_fraction: float = 0.2,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Split aligned arrays into `(train_arrays, val_arrays)`, holding out `val_fraction`.

    >>> (xt, yt), (xv, yv) = train_val_split(np.arange(10), np.arange(10), seed=0)
    >>> len(xt), len(xv), bool((xt == yt).all())
    (8, 2, True)
    """
    if not arrays:
        raise ValueError("train_val_split needs at least one array")
    if not 0.0 <= float(val_fraction) < 1.0:
        raise ValueError(f"Invalid val_fraction: {val_fraction} (expected 0 <= fraction < 1)")
    arrs = [_array(a) for a in arrays]
    n = len(arrs[0])
    if any(len(a) != n for a in arrs):
        raise ValueError(f"arrays have different lengths: {[len(a) for a in arrs]}")
    n_val = int(round(n * float(val_fraction)))
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    tr, va = order[: n - n_val], order[n - n_val :]
    return tuple(a[tr] for a in arrs), tuple(a[va] for a in arrs)


def iterate_batches(
    x: Any,
    y: Any,
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int | np.random.Generator | None = None,
) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield `(x_batch, y_batch)` Tensors; `batch_size=None` yields the whole set once."""
    xa, ya = _array(x), _array(y)
    if len(xa) != len(ya):
        raise ValueError(f"x and y have different lengths: {len(xa)} != {len(ya)}")
    n = len(xa)
    bs = n if batch_size is None else int(batch_size)
    if bs <= 0:
        raise ValueError(f"Invalid batch_size: {batch_size} (expected a positive int or None)")
    order = _rng(seed).permutation(n) if shuffle else None
    for start in range(0, n, bs):
        if order is None:
            yield Tensor(xa[start : start + bs]), Tensor(ya[start : start + bs])
        else:
            idx = order[start : start + bs]
            yield Tensor(xa[idx]), Tensor(ya[idx])


def accuracy(output: np.ndarray, target: np.ndarray) -> float | None:
    """Fraction of rows whose argmax matches the label (int labels or one-hot targets).

    Returns None when the output is not a (N, C>1) score matrix (e.g. regression).
    """
    out, tgt = _array(output), _array(target)
    if out.ndim != 2 or out.shape[1] < 2:
        return None
    if tgt.ndim == 2 and tgt.shape == out.shape:
        tgt = tgt.argmax(axis=1)
    if tgt.ndim != 1 or tgt.dtype.kind not in "iub" or len(tgt) != len(out):
        return None
    return float(np.mean(out.argmax(axis=1) == tgt))


class History:
    """Per-epoch records of `fit`: `history["loss"]`, `"acc"`, `"val_loss"`, `"val_acc"`,
    `"lr"`; `stopped_early` and `stop_reason` say why training ended before `epochs`;
    `grad_flow` holds the per-node gradient norms asked for with `record_grad_flow`."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: int = 0
        self.stopped_early: bool = False
        self.stop_reason: str | None = None
        self.grad_flow: GradFlowLog | None = None

    def append(self, record: dict[str, float | None]) -> None:
        """Add one epoch's values (None values are skipped)."""
        for k, v in record.items():
            if v is not None:
                self.history.setdefault(k, []).append(float(v))
        self.epochs += 1

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={self.epochs}, last={last}, stopped_early={self.stopped_early})"


def _set_training(model: Any, training: bool) -> None:
    fn = getattr(model, "train" if training else "eval", None)
    if callable(fn):
        fn()


def _batches(data: Any, batch_size: int | None, shuffle: bool, rng: Any) -> Iterable[Any]:
    if _is_array_pair(data):
        return iterate_batches(data[0], data[1], batch_size, shuffle, rng)
    return data


def _n_batches(data: Any, batch_size: int | None) -> int | None:
    if _is_array_pair(data):
        n = len(_array(data[0]))
        return 1 if batch_size is None else math.ceil(n / batch_size)
    try:
        return len(data)
    except TypeError:
        return None


def _split_batch(batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(
            "training data must be an (x, y) pair of arrays or an iterable of (x, y) batches "
            f"(e.g. a DataLoader); got a batch of type {type(batch).__name__}"
        )
    xb, yb = batch
    return (
        xb if isinstance(xb, Tensor) else Tensor(np.asarray(xb)),
        yb if isinstance(yb, Tensor) else Tensor(np.asarray(yb)),
    )


class _Meter:
    """Sample-weighted running loss and accuracy over one pass."""

    def __init__(self) -> None:
        self.n = 0
        self.loss_sum = 0.0
        self.correct_n = 0
        self.acc_sum = 0.0

    def update(self, loss: float | None, out: np.ndarray, tgt: np.ndarray, metric: Any) -> None:
        b = len(out)
        self.n += b
        if loss is not None:
            self.loss_sum += loss * b
        acc = metric(out, tgt) if metric is not None else None
        if acc is not None:
            self.correct_n += b
            self.acc_sum += acc * b

    @property
    def loss(self) -> float | None:
        return self.loss_sum / self.n if self.n else None

    @property
    def acc(self) -> float | None:
        return self.acc_sum / self.correct_n if self.correct_n else None

    def postfix(self) -> dict[str, str]:
        out = {}
        if self.loss is not None:
            out["loss"] = f"{self.loss:.4f}"
        if self.acc is not None:
            out["acc"] = f"{self.acc:.3f}"
        return out


def evaluate(
    model: Callable[[Tensor], Tensor],
    data: Any,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    batch_size: int | None = 256,
    metric: Metric | None = accuracy,
) -> dict[str, float | None]:
    """Mean loss and metric of `model` over `data` (arrays pair or batches), in eval mode
    and without recording a graph: `{"loss": ..., "acc": ...}` (None where not defined)."""
    was_training = getattr(model, "training", None)
    _set_training(model, False)
    meter = _Meter()
    try:
        with ag.no_grad():
            for batch in _batches(data, batch_size, False, None):
                xb, yb = _split_batch(batch)
                out = model(xb)
                loss = float(loss_fn(out, yb).item()) if loss_fn is not None else None
                meter.update(loss, _array(out), yb.data, metric)
    finally:
        if was_training:
            _set_training(model, True)
    return {"loss": meter.loss, "acc": meter.acc}


def predict(model: Callable[[Tensor], Tensor], x: Any, batch_size: int | None = 256) -> np.ndarray:
    """`model`'s outputs for all of `x` as one ndarray (eval mode, no graph)."""
    xa = _array(x)
    was_training = getattr(model, "training", None)
    _set_training(model, False)
    try:
        with ag.no_grad():
            bs = len(xa) if batch_size is None else batch_size
            outs = [_array(model(Tensor(xa[i : i + bs]))) for i in range(0, len(xa), bs)]
    finally:
        if was_training:
            _set_training(model, True)
    return np.concatenate(outs, axis=0)


def _optimizer_params(optimizer: Optimizer) -> list[Tensor]:
    return [p for g in optimizer.param_groups for p in g["params"]]


def fit(
    model: Callable[[Tensor], Tensor],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Optimizer,
    train_data: Any,
    val_data: Any = None,
    *,
    epochs: int = 10,
    batch_size: int | None = 32,
    val_split: float = 0.2,
    shuffle: bool = True,
    seed: int | None = None,
    scheduler: Any = None,
    early_stopping: EarlyStopping | None = None,
    monitor: str = "val_loss",
    clip_grad_norm: float | None = None,
    metric: Metric | None = accuracy,
    regularizer: Callable[[], Tensor] | None = None,
    progress: bool = True,
    record_grad_flow: int | None = None,
) -> History:
    """Train `model` for `epochs` and return its `History`; a tqdm bar shows loss/accuracy.

    `train_data` is an `(x, y)` pair of arrays (batched here: `batch_size=None` is full-batch
    gradient descent, 1 is SGD) or any re-iterable of `(x, y)` batches such as a DataLoader.
    With arrays and no `val_data`, `val_split` (20%) is held out for validation; with a
    loader and no `val_data` there is no validation. Each epoch: train, evaluate on the
    validation data, step `scheduler` (`ReduceLROnPlateau` gets `monitor`), then
    `early_stopping` on `monitor` ("val_loss", "val_acc", "loss" or "acc").
    `regularizer()` is added to each batch loss (e.g. `lambda: l1_penalty(params, 1e-4)`).
    `record_grad_flow=n` logs the gradient norm reaching every node (keyed `module/op#k`) and
    every parameter on steps 0, n, 2n... into `history.grad_flow`, for `viz.explore(...,
    grad_flow=history)` to play back.
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"Invalid epochs: {epochs} (expected an int >= 0)")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise ValueError(f"Invalid batch_size: {batch_size} (expected a positive int or None)")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an optim.Optimizer, got {type(optimizer).__name__}")
    if record_grad_flow is not None and (
        not isinstance(record_grad_flow, int) or isinstance(record_grad_flow, bool)
        or record_grad_flow <= 0
    ):
        raise ValueError(f"Invalid record_grad_flow: {record_grad_flow!r} (expected a positive "
                         "int: record every that many steps, or None)")
    rng = _rng(seed)
    if val_data is None and _is_array_pair(train_data) and val_split > 0:
        (xt, yt), (xv, yv) = train_val_split(*train_data, val_fraction=val_split, seed=rng)
        train_data, val_data = (xt, yt), (xv, yv)
    history = History()
    if record_grad_flow is not None:
        history.grad_flow = GradFlowLog(record_grad_flow)
    step = 0
    params = _optimizer_params(optimizer)
    n_batches = _n_batches(train_data, batch_size)
    from tqdm.auto import tqdm

    for epoch in range(epochs):
        _set_training(model, True)
        meter = _Meter()
        bar = tqdm(total=n_batches, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch",
                   disable=not progress, leave=True)
        diverged = False
        for batch in _batches(train_data, batch_size, shuffle, rng):
            compiles = compile_count()
            xb, yb = _split_batch(batch)
            optimizer.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            total = loss + regularizer() if regularizer is not None else loss
            flow = history.grad_flow
            if flow is not None and step % flow.every == 0:
                with recording(total) as norms:
                    total.backward()
                flow.append(step, norms)
            else:
                total.backward()
            step += 1
            if clip_grad_norm is not None:
                clip_grad_norm_(params, clip_grad_norm)
            optimizer.step()
            value = float(loss.item())
            meter.update(value, out.data, yb.data, metric)
            advance_progress(bar, compiles)
            bar.set_postfix(meter.postfix(), refresh=False)
            if not math.isfinite(value):
                diverged = True
                break
        record: dict[str, float | None] = {
            "loss": meter.loss,
            "acc": meter.acc,
            "lr": optimizer.param_groups[0]["lr"],
        }
        if val_data is not None:
            val = evaluate(model, val_data, loss_fn, batch_size=batch_size or 256, metric=metric)
            record["val_loss"], record["val_acc"] = val["loss"], val["acc"]
            shown = {f"val_{k}": f"{v:.4f}" for k, v in val.items() if v is not None}
            bar.set_postfix({**meter.postfix(), **shown})
        bar.close()
        history.append(record)
        _study.report_epoch(record, epoch)  # inside a pruned search: report, maybe stop
        if diverged:
            warnings.warn(f"fit: loss became {value} in epoch {epoch + 1}; stopping",
                          RuntimeWarning, stacklevel=2)
            history.stopped_early, history.stop_reason = True, "non-finite loss"
            break
        if scheduler is not None:
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(_monitored(record, monitor))
            else:
                scheduler.step()
        if early_stopping is not None and early_stopping.step(_monitored(record, monitor), model):
            history.stopped_early, history.stop_reason = True, f"no {monitor} improvement"
            break
    if (
        early_stopping is not None
        and early_stopping.restore_best_weights
        and early_stopping.best_state is not None
        and not history.stopped_early
    ):
        early_stopping.restore(model)
    return history


def _monitored(record: dict[str, float | None], monitor: str) -> float:
    value = record.get(monitor)
    if value is None:
        have = sorted(k for k, v in record.items() if v is not None)
        raise ValueError(f"cannot monitor {monitor!r}: this epoch recorded only {have}")
    return value


class Ensemble:
    """Average the predictions of several models: softmax probabilities by default
    (`activation="softmax"`), or `"sigmoid"`, or the raw outputs (`None`); optional weights.

    Calling it returns a Tensor; `predict_proba(x)` and `predict(x)` (argmax) return arrays.
    """

    def __init__(
        self,
        models: Sequence[Callable[[Tensor], Tensor]],
        weights: Sequence[float] | None = None,
        activation: str | None = "softmax",
    ) -> None:
        self.models = list(models)
        if not self.models:
            raise ValueError("Ensemble needs at least one model")
        if activation not in ("softmax", "sigmoid", None):
            raise ValueError(f"Invalid activation: {activation!r} ('softmax', 'sigmoid', None)")
        if weights is None:
            w = np.full(len(self.models), 1.0 / len(self.models))
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (len(self.models),) or (w < 0).any() or w.sum() <= 0:
                raise ValueError(
                    f"Invalid weights: {list(weights)} (need {len(self.models)} non-negative "
                    "values with a positive sum)"
                )
            w = w / w.sum()
        self.weights = w
        self.activation = activation
        self.training = False

    def _activate(self, out: Tensor) -> Tensor:
        if self.activation == "softmax":
            return ag.softmax(out, axis=-1)
        if self.activation == "sigmoid":
            return ag.sigmoid(out)
        return out

    def __call__(self, x: Any) -> Tensor:
        xt = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        total = None
        for model, w in zip(self.models, self.weights, strict=True):
            term = self._activate(model(xt)) * float(w)
            total = term if total is None else total + term
        return total

    def train(self) -> Ensemble:
        """Put every member in training mode."""
        self.training = True
        for m in self.models:
            _set_training(m, True)
        return self

    def eval(self) -> Ensemble:
        """Put every member in evaluation mode."""
        self.training = False
        for m in self.models:
            _set_training(m, False)
        return self

    def predict_proba(self, x: Any, batch_size: int | None = 256) -> np.ndarray:
        """The averaged predictions as an ndarray (eval mode, no graph)."""
        return predict(self, x, batch_size)

    def predict(self, x: Any, batch_size: int | None = 256) -> np.ndarray:
        """The class with the highest averaged probability, per row."""
        return self.predict_proba(x, batch_size).argmax(axis=-1)

    def __len__(self) -> int:
        return len(self.models)

    def __repr__(self) -> str:
        return f"Ensemble({len(self.models)} models, activation={self.activation!r})"
