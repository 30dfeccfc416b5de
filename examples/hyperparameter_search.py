"""Random search of learning rate and weight decay on a log scale.

lr ~ 10^U(-6, -2) and weight decay ~ 10^U(-8, -4) (`optim.LogUniform`) for a 784-100x6-10
ReLU net trained with SGD (batch 100) on 400 MNIST training images and scored on a
held-out validation split of 100 (the test set is never looked at). Prints one line per
trial, best first: `val acc | lr | weight decay`.
This is the seeds' setup (their 500 images, 20% validation, 6x100 ReLU net, SGD, batch 100,
50 epochs, the same two ranges).
Expected outcome: the ranking is decided by the learning rate: the best trials all have
lr of order 5e-3..1e-2, while trials with lr below 1e-4 stay near chance (<= 0.2); weight
decay this small barely matters. Measured, the full 100 trials (seed 0): best 0.80 at
lr 7.3e-3 (wd 2.8e-8), the top 3 (0.78-0.80) all at lr 7.3e-3..7.8e-3, the seeds' band
(their best: 0.83 at lr ~7-8e-3). `--trials 20` (the first 20 of these draws): best 0.78
at lr 7.8e-3. The 0.64 once reported for 20 trials came from an earlier sampler whose 20
draws had no lr above 5.9e-3: only 1 draw in 26 lands above 7e-3, so 20 trials reach that
band with probability 0.55, 100 trials with 0.98. The remaining gap to 0.83 is noise: 100
validation images make one image 0.01 and the standard error ~0.04, and lr 1e-2 (wd 1e-7)
over 4 init seeds and 2 splits scores 0.75-0.81.
Quick run: 5 trials of 6 epochs. Plots: hyperparameter_search.png (val acc vs lr, colour =
weight decay) and Optuna's own optimization history, parameter importances and slice plot
of lr (search_history.png, search_importances.png, search_slice_lr.png).

The search runs on an Optuna study kept in a SQLite file (`--storage`, default
`<out>/hyperparameter_search.db`, started afresh); `--resume` continues a search that was
stopped (Ctrl-C or a kill): finished trials are kept, none is run twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import accuracy, fit_classifier, he_init, mnist, parse, pyplot, savefig

import nn
import optim


def make_trial(train: tuple, val: tuple, epochs: int):  # noqa: ANN201 - a picklable closure
    """A `train_fn(params) -> validation accuracy` for `optim.random_search`."""
    def train_fn(params: dict) -> float:
        model = he_init(nn.models.MLP([784] + [100] * 6 + [10]))
        opt = optim.SGD(model.parameters(), lr=params["lr"],
                        weight_decay=params["weight_decay"])
        fit_classifier(model, opt, train, epochs, batch_size=100)
        return accuracy(model, *val)

    return train_fn


def main(argv: Sequence[str] | None = None) -> dict:
    """Search, print the trials best first, plot accuracy against lr."""
    args = parse(__doc__, argv, trials=100, epochs=50, jobs=1, storage="", resume=False)
    trials, epochs = (5, 6) if args.quick else (args.trials, args.epochs)
    db = args.out / "hyperparameter_search.db"
    storage = args.storage or f"sqlite:///{db}"
    if not args.storage and not args.resume and db.exists():
        db.unlink()  # the default database starts afresh unless --resume
    (x, t), _ = mnist(args.data_dir, n_train=500, n_test=1)
    (xt, tt), (xv, tv) = optim.train_val_split(x, t, val_fraction=0.2, seed=args.seed)
    space = {"lr": optim.LogUniform(1e-6, 1e-2), "weight_decay": optim.LogUniform(1e-8, 1e-4)}
    rows = optim.random_search(make_trial((xt, tt), (xv, tv), epochs), space, trials=trials,
                               seed=args.seed, mode="max", n_jobs=args.jobs,
                               storage=storage, resume=args.resume)
    print(f"{trials} trials, {epochs} epochs each, {len(xt)} training / {len(xv)} validation "
          "images; best first:")
    print("val acc | lr        | weight decay")
    for r in rows:
        print(f"{r['score']:7.3f} | {r['params']['lr']:.3e} | {r['params']['weight_decay']:.3e}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    lrs = np.array([r["params"]["lr"] for r in rows])
    wds = np.array([r["params"]["weight_decay"] for r in rows])
    sc = ax.scatter(lrs, [r["score"] for r in rows], c=np.log10(wds), cmap="viridis")
    fig.colorbar(sc, label="log10 weight decay")
    ax.set(xscale="log", xlabel="learning rate", ylabel="validation accuracy",
           title="random search (log-uniform)")
    savefig(fig, args.out, "hyperparameter_search.png")
    optuna_plots(storage, args.out)
    return {"rows": [(r["score"], r["params"]["lr"], r["params"]["weight_decay"]) for r in rows]}


def optuna_plots(storage: str, out: Path) -> None:
    """Optuna's own matplotlib plots of the study: history, importances, slice of lr."""
    import warnings

    import optuna
    from optuna.visualization import matplotlib as ovm

    study = optuna.load_study(study_name="tracegrad-search", storage=storage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for name, draw in (("search_history.png", ovm.plot_optimization_history),
                           ("search_importances.png", ovm.plot_param_importances),
                           ("search_slice_lr.png", lambda s: ovm.plot_slice(s, params=["lr"]))):
            ax = draw(study)
            savefig((ax.flat[0] if hasattr(ax, "flat") else ax).figure, out, name)


if __name__ == "__main__":
    main()
