"""`tracegrad demo`: the whole library in one run, no data files needed.

Trains an MLP on the spiral set (progress bar), prints its accuracy, gradchecks the model's
loss as a function of its parameters, and writes the forward/backward graph (SVG) and the
decision boundary (PNG) to an output folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
import optim
from autograd import Tensor
from nn.data import Spiral
from nn.functional import cross_entropy
from nn.models import MLP
from nn.module import Module, functional_call
from tracegrad.cli.common import accuracy, ensure_dir, seed_everything, train_epoch


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `demo` and its options."""
    p = subparsers.add_parser(
        "demo",
        help="train an MLP on the spiral set, gradcheck it, draw its graph (no data needed)",
        description="Train a 2-64-64-3 MLP on the 3-arm spiral set, gradcheck it, and write "
        "its forward/backward graph (SVG) and decision boundary (PNG) to --out.",
    )
    p.add_argument("--out", default="tracegrad-demo", help="output folder (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=150, help="training epochs (default: %(default)s)")
    p.add_argument("--hidden", type=int, default=64, help="hidden width (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.01,
                   help="Adam learning rate (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def train_spiral(
    hidden: int = 64, epochs: int = 150, lr: float = 0.01, seed: int = 0, progress: bool = True,
    batch_size: int = 30,
) -> tuple[MLP, dict[str, float], tuple[np.ndarray, np.ndarray]]:
    """Train a 2-hidden-64-3 ReLU MLP with Adam on `Spiral(seed)`; test on a fresh draw.

    Returns `(model, {"loss", "train_acc", "test_acc"}, (x_train, t_train))`.
    """
    from tqdm.auto import tqdm

    if epochs < 1 or hidden < 1:
        raise ValueError(f"--epochs and --hidden must be positive, got {epochs}, {hidden}")
    rng = seed_everything(seed)
    x, t = Spiral(seed=seed).as_arrays()
    x_test, t_test = Spiral(seed=seed + 1).as_arrays()
    model = MLP([2, hidden, hidden, 3])
    opt = optim.Adam(model.parameters(), lr=lr)
    steps = -(-len(x) // batch_size)
    loss = acc = float("nan")
    with tqdm(total=epochs * steps, desc="training", unit="step", disable=not progress,
              mininterval=0.5) as bar:
        for epoch in range(epochs):
            loss, acc = train_epoch(model, opt, x, t, batch_size, rng)
            bar.update(steps)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.4f}", acc=f"{acc:.3f}")
    figures = {"loss": loss, "train_acc": accuracy(model, x, t),
               "test_acc": accuracy(model, x_test, t_test)}
    return model, figures, (x, t)


def gradcheck_model(model: Module, x: np.ndarray, t: np.ndarray) -> int:
    """Gradcheck the loss as a function of every parameter (float64); returns #elements."""
    names = [name for name, _ in model.named_parameters()]
    params = tuple(p.data.astype(np.float64) for _, p in model.named_parameters())
    xb, tb = Tensor(x.astype(np.float64)), Tensor(t)

    def loss_of(*values: Tensor) -> Tensor:
        return cross_entropy(functional_call(model, dict(zip(names, values, strict=True)), xb), tb)

    ag.gradcheck(loss_of, params)  # raises GradcheckError naming the input on a mismatch
    return sum(p.size for p in params)


def draw_outputs(model: Module, x: np.ndarray, t: np.ndarray, out: Path) -> tuple[Path, Path]:
    """Write the forward/backward graph of the loss on 4 points and the decision boundary."""
    import viz
    from viz import plots

    xb, tb = x[::75][:4], Tensor(t[::75][:4])
    graph = ag.trace(lambda a: cross_entropy(model(a), tb), xb)
    svg = Path(viz.render(graph, out / "spiral_mlp_graph.svg", mode="both"))
    png = out / "decision_boundary.png"
    fig = plots.decision_boundary(lambda a: optim.predict(model, a), x, t, path=png)
    fig.clf()
    return svg, png


def run(args: argparse.Namespace) -> int:
    """Train, check, draw, and print where the pictures went."""
    out = ensure_dir(args.out)
    print(f"Training a 2-{args.hidden}-{args.hidden}-3 MLP on the spiral set "
          f"(300 points, 3 classes) for {args.epochs} epochs with Adam...")
    model, fig, (x, t) = train_spiral(
        args.hidden, args.epochs, args.lr, args.seed, progress=not args.no_progress
    )
    print(f"final loss {fig['loss']:.4f}   train accuracy {fig['train_acc']:.1%}   "
          f"test accuracy {fig['test_acc']:.1%} (a fresh spiral draw)")
    n = gradcheck_model(model, x[::30], t[::30])
    print(f"gradcheck: analytic and numerical gradients agree for all {n} parameter "
          "elements (float64, central differences)")
    svg, png = draw_outputs(model, x, t, out)
    print(f"forward/backward graph: {svg}")
    print(f"decision boundary:      {png}")
    return 0
