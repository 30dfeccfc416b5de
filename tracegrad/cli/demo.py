"""`tracegrad demo`: the whole library in one run, no data files needed.

Trains an MLP on the spiral set (progress bar), prints its accuracy, gradchecks the model's
loss as a function of its parameters, and writes the forward/backward graph (SVG) and the
decision boundary (PNG) to an output folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
import optim
from autograd import Tensor
from autograd.kernels import compile_count
from nn.data import Spiral
from nn.functional import cross_entropy
from nn.models import MLP
from nn.module import Module, functional_call
from optim.training import advance_progress
from tracegrad.cli.common import accuracy, seed_everything, train_epoch
from tracegrad.cli.options import output_dir, positive_float, positive_int


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `demo` and its options."""
    p = subparsers.add_parser(
        "demo",
        help="train an MLP on the spiral set, gradcheck it, draw its graph (no data needed)",
        description="Train a 2-64-64-3 MLP on the 3-arm spiral set, gradcheck it, and write "
        "its forward/backward graph (SVG) and decision boundary (PNG) to --out.",
    )
    p.add_argument("--out", default="tracegrad-demo", help="output folder (default: %(default)s)")
    p.add_argument("--epochs", type=positive_int, default=150,
                   help="training epochs (default: %(default)s)")
    p.add_argument("--hidden", type=positive_int, default=64,
                   help="hidden width (default: %(default)s)")
    p.add_argument("--lr", type=positive_float, default=0.01,
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
    with tqdm(total=epochs * steps, desc="training", unit="step", disable=not progress,
              mininterval=0.5) as bar:
        for epoch in range(epochs):
            compiles = compile_count()
            epoch_loss, acc = train_epoch(model, opt, x, t, batch_size, rng)
            advance_progress(bar, compiles, steps)
            bar.set_postfix(epoch=epoch + 1, loss=f"{epoch_loss:.4f}", acc=f"{acc:.3f}")
    with ag.no_grad():
        loss = float(cross_entropy(model(Tensor(x)), Tensor(t)).item())  # the whole set
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


def draw_outputs(model: Module, x: np.ndarray, t: np.ndarray, out: Path) -> list[str]:
    """Write the decision boundary (PNG), the forward/backward graph of the loss on the whole
    training set (the loss the console prints) and its interactive explorer page (HTML);
    returns the lines to print.

    Without Graphviz's `dot` the graph's DOT source is written instead of the SVG, with a
    warning on stderr that gives the command which renders it: the demo still succeeds.
    """
    import viz
    from viz import plots

    png = out / "decision_boundary.png"
    fig = plots.decision_boundary(lambda a: optim.predict(model, a), x, t, path=png)
    fig.clf()
    tb = Tensor(t)
    graph = ag.trace(lambda points: cross_entropy(model(points), tb), x)
    svg = out / "spiral_mlp_graph.svg"
    try:
        graph_line = f"forward/backward graph: {viz.render(graph, svg, mode='both')}"
    except viz.GraphvizNotFound:
        dot = viz.render(graph, svg.with_suffix(".dot"), mode="both")
        print(f"warning: Graphviz's `dot` is not installed (apt-get install graphviz), so the "
              f"graph was written as DOT source; render it with: dot -Tsvg {dot} -o {svg}",
              file=sys.stderr)
        graph_line = f"forward/backward graph (DOT source): {dot}"
    page = viz.explore(graph, out / "spiral_mlp_graph.html", title="tracegrad demo").path
    return [graph_line, f"interactive explorer:   {page}", f"decision boundary:      {png}"]


def run(args: argparse.Namespace) -> int:
    """Train, check, draw, and print where the pictures went."""
    out = output_dir(args.out, "--out")
    print(f"Training a 2-{args.hidden}-{args.hidden}-3 MLP on the spiral set "
          f"(300 points, 3 classes) for {args.epochs} epochs with Adam...")
    model, fig, (x, t) = train_spiral(
        args.hidden, args.epochs, args.lr, args.seed, progress=not args.no_progress
    )
    print(f"loss {fig['loss']:.4f} (whole training set)   train accuracy {fig['train_acc']:.1%}   "
          f"test accuracy {fig['test_acc']:.1%} (a fresh spiral draw)")
    n = gradcheck_model(model, x[::30], t[::30])
    print(f"gradcheck: analytic and numerical gradients agree for all {n} parameter "
          "elements (float64, central differences)")
    for line in draw_outputs(model, x, t, out):
        print(line)
    return 0
