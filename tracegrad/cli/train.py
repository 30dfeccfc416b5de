"""`tracegrad train`: train a named model on MNIST or the spiral set, checkpointing each
epoch to `--out`, and resume from a checkpoint with `--resume`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from nn.serialization import CheckpointError, load, save
from tracegrad.cli.common import (
    DATASETS,
    MODELS,
    OPTIMIZERS,
    accuracy,
    build_model,
    load_arrays,
    make_optimizer,
    seed_everything,
    shape_input,
    train_epoch,
)
from tracegrad.cli.errors import CLIError
from tracegrad.cli.options import nonnegative_float, output_dir, positive_float, positive_int

FORMAT = "tracegrad-train"
# options that must match between a checkpoint and the run resuming it
_FIXED = ("model", "dataset", "optimizer", "width")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `train` and its options."""
    p = subparsers.add_parser(
        "train",
        help="train mlp/lenet5/alexnet/vgg on MNIST or spiral, with checkpoints",
        description="Train a model with mini-batch cross-entropy, print train/test accuracy "
        "per epoch and save a checkpoint to --out after each epoch. --epochs is the total: "
        "a run resumed from a checkpoint saved after epoch 3 with --epochs 5 trains 2 more.",
    )
    p.add_argument("--model", choices=MODELS, default="mlp", help="default: %(default)s")
    p.add_argument("--dataset", choices=DATASETS, default="mnist", help="default: %(default)s")
    p.add_argument("--data-dir", default=None,
                   help="folder with the MNIST IDX files (default: $TRACEGRAD_DATA or "
                   "~/.cache/tracegrad/mnist)")
    p.add_argument("--download", action="store_true", help="download MNIST if missing")
    p.add_argument("--epochs", type=positive_int, default=5,
                   help="total epochs (default: %(default)s)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                   help="default: %(default)s")
    p.add_argument("--lr", type=positive_float, default=None,
                   help="learning rate (default: per optimizer, "
                   + ", ".join(f"{k} {v[2]:g}" for k, v in OPTIMIZERS.items()) + ")")
    p.add_argument("--weight-decay", type=nonnegative_float, default=0.0,
                   help="default: %(default)s")
    p.add_argument("--batch-size", type=positive_int, default=64, help="default: %(default)s")
    p.add_argument("--width", type=positive_float, default=0.25,
                   help="channel multiplier of alexnet/vgg (default: %(default)s)")
    p.add_argument("--limit", type=positive_int, default=None,
                   help="train on the first N training samples only")
    p.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    p.add_argument("--out", default="checkpoints",
                   help="checkpoint folder: <out>/<model>_<dataset>.npz (default: %(default)s)")
    p.add_argument("--resume", default=None, metavar="CHECKPOINT",
                   help="continue from a checkpoint written by this command")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return p


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {"model": args.model, "dataset": args.dataset, "optimizer": args.optimizer,
            "width": float(args.width)}


def _field_error(path: str, field: str, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: checkpoint field {field!r} {why}")


def _check_fields(path: str, ckpt: dict[str, Any]) -> None:
    """Every field a resume reads, checked for type and range, each failure named."""
    for field in ("config", "epoch", "model_state", "optimizer_state"):
        if field not in ckpt:
            raise _field_error(path, field, "is missing")
    config = ckpt["config"]
    if not isinstance(config, dict):
        raise _field_error(path, "config", f"must be a dict, not {type(config).__name__}")
    for key, kind in (("model", str), ("dataset", str), ("optimizer", str), ("width", float)):
        if not isinstance(config.get(key), kind):
            raise _field_error(path, f"config.{key}", f"must be a {kind.__name__}, got "
                               f"{config.get(key)!r}")
    epoch = ckpt["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise _field_error(path, "epoch", f"must be an int >= 0, got {epoch!r}")
    model_state = ckpt["model_state"]
    if not isinstance(model_state, dict) or not all(
        isinstance(k, str) and isinstance(v, np.ndarray) for k, v in model_state.items()
    ):
        raise _field_error(path, "model_state", "must map parameter names to arrays")
    opt_state = ckpt["optimizer_state"]
    if not isinstance(opt_state, dict) or not isinstance(opt_state.get("param_groups"), list):
        raise _field_error(path, "optimizer_state", "must be an optimizer state dict "
                           "(with 'state' and 'param_groups')")
    acc = ckpt.get("test_acc")
    if acc is not None and not (isinstance(acc, float) and 0.0 <= acc <= 1.0):
        raise _field_error(path, "test_acc", f"must be a float in [0, 1], got {acc!r}")


def _read_checkpoint(path: str, config: dict[str, Any]) -> dict[str, Any]:
    """Load and validate a `train` checkpoint against this run's options."""
    ckpt = load(path)  # FileNotFoundError / CheckpointError are reported by main
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint written by `tracegrad train`")
    _check_fields(path, ckpt)
    saved = ckpt["config"]
    for key in _FIXED:
        if saved.get(key) != config[key]:
            raise CLIError(
                f"checkpoint {path} was trained with --{key} {saved.get(key)}, "
                f"not {config[key]}; pass the same option to resume"
            )
    return ckpt


def run(args: argparse.Namespace) -> int:
    """Train (or resume), checkpoint after each epoch, print the accuracies."""
    from tqdm.auto import tqdm

    config = _config(args)
    ckpt = _read_checkpoint(args.resume, config) if args.resume else None
    (x, t), (x_test, t_test) = load_arrays(args.dataset, args.data_dir, args.download,
                                           args.limit, args.seed)
    x, x_test = shape_input(args.model, x), shape_input(args.model, x_test)
    rng = seed_everything(args.seed)
    model = build_model(args.model, args.dataset, args.width)
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    start = 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model_state"])
        try:
            opt.load_state_dict(ckpt["optimizer_state"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _field_error(args.resume, "optimizer_state", f"does not fit --optimizer "
                               f"{args.optimizer}: {exc}") from exc
        start = ckpt["epoch"]
        print(f"resumed from {args.resume} (after epoch {start})")
    path = output_dir(args.out, "--out") / f"{args.model}_{args.dataset}.npz"
    n_params = sum(p.size for p in model.parameters())
    print(f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(x):,} training, "
          f"{len(x_test):,} test samples; {args.optimizer} lr {opt.param_groups[0]['lr']:g}")
    if start >= args.epochs:
        print(f"the checkpoint already has {start} epochs (--epochs {args.epochs}); nothing "
              f"to train. test accuracy {accuracy(model, x_test, t_test):.2%}")
        return 0
    steps = -(-len(x) // args.batch_size)
    for _ in range(start):  # replay finished epochs' shuffles: same batch order as one run
        rng.permutation(len(x))
    for epoch in range(start, args.epochs):
        with tqdm(total=steps, desc=f"epoch {epoch + 1}/{args.epochs}", unit="batch",
                  disable=args.no_progress, leave=False) as bar:
            loss, train_acc = train_epoch(model, opt, x, t, args.batch_size, rng, bar)
        test_acc = accuracy(model, x_test, t_test)
        save({"format": FORMAT, "config": config, "epoch": epoch + 1,
              "model_state": model.state_dict(), "optimizer_state": opt.state_dict(),
              "test_acc": test_acc}, path)
        print(f"epoch {epoch + 1}/{args.epochs}  loss {loss:.4f}  train acc {train_acc:.2%}  "
              f"test acc {test_acc:.2%}  -> {Path(path)}")
    return 0
