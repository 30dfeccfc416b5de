"""`tracegrad graph`: draw the forward/backward graph of a user's function (`file.py:fn`)
or of a named model's loss, as SVG, PNG, PDF, DOT or an interactive HTML explorer (by the
output's suffix)."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from nn.functional import cross_entropy
from tracegrad.cli.common import MODELS, build_model, seed_everything, shape_input
from tracegrad.cli.error_graph import error_graph_path, keep_error_graph
from tracegrad.cli.errors import UsageError
from tracegrad.cli.gradcheck import load_function, parse_shape
from tracegrad.cli.options import output_file, positive_int


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `graph` and its options."""
    p = subparsers.add_parser(
        "graph",
        help="draw the forward/backward graph of file.py:fn or of a model",
        description="Trace TARGET once and render its graph. TARGET is `path/to/file.py:fn` "
        "(fn is called with random float arrays of the --shape given for each of its "
        "parameters) or a model name (" + ", ".join(MODELS) + "), drawn with its "
        "cross-entropy loss on a random batch.",
        epilog="example: tracegrad graph mymodel.py:loss --shape 4,3 --shape 3 -o loss.svg",
    )
    p.add_argument("target", help="file.py:function or a model name")
    p.add_argument("-o", "--output", default=None,
                   help="output file; .svg .png .pdf .dot, or .html for the interactive explorer "
                   "(default: <name>_graph.svg)")
    p.add_argument("--shape", action="append", default=[], metavar="D1,D2,...",
                   help="shape of the next positional argument of fn (repeat per argument; "
                   "'' for a scalar)")
    p.add_argument("--mode", choices=("both", "forward", "backward"), default="both",
                   help="which pass to draw (default: %(default)s)")
    p.add_argument("--batch", type=positive_int, default=None,
                   help="batch size for a model (default: 2)")
    p.add_argument("--dataset", choices=("mnist", "spiral"), default=None,
                   help="input shape for a model: 1x28x28 images (default) or 2-D points")
    p.add_argument("--seed", type=int, default=0, help="seed for the random inputs")
    p.add_argument("--depth", type=positive_int, default=None, metavar="N",
                   help="fold modules deeper than N into one box each (the explorer starts "
                   "folded there and unfolds on click)")
    return p


def _arity(fn: Callable[..., Any]) -> tuple[int, int | None]:
    """(required, most) positional arguments of `fn`; most is None for `*args`."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = list(inspect.signature(fn).parameters.values())
    required = sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return required, None
    return required, sum(1 for p in params if p.kind in kinds)


def function_graph(spec: str, shapes: list[str], seed: int) -> ag.Graph:
    """Trace `file.py:fn` on standard-normal inputs of the given shapes."""
    fn = load_function(spec)
    if not shapes:
        raise UsageError("give one --shape per positional input of the function")
    required, most = _arity(fn)
    if len(shapes) < required or (most is not None and len(shapes) > most):
        takes = f"{required}" if most == required else (
            f"at least {required}" if most is None else f"{required} to {most}")
        raise UsageError(f"{spec} takes {takes} positional argument(s); give one --shape "
                         f"for each (got {len(shapes)})")
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(parse_shape(s)).astype(np.float32) for s in shapes]
    return ag.trace(fn, *args)


def model_graph(name: str, dataset: str, batch: int, seed: int) -> ag.Graph:
    """Trace a model's cross-entropy loss on a random batch."""
    seed_everything(seed)
    model = build_model(name, dataset)
    rng = np.random.default_rng(seed)
    if dataset == "spiral":
        x, n_classes = rng.standard_normal((batch, 2)).astype(np.float32), 3
    else:
        x = shape_input(name, rng.random((batch, 1, 28, 28), dtype=np.float32))
        n_classes = 10
    t = Tensor(rng.integers(0, n_classes, batch))
    return ag.trace(lambda a: cross_entropy(model(a), t), x)


def _check_target(args: argparse.Namespace) -> None:
    """A model name or `file.py:fn`, with only the options that apply to it."""
    if args.target in MODELS:
        if args.shape:
            raise UsageError(f"--shape applies to file.py:function targets; the model "
                             f"{args.target} takes --batch and --dataset")
        return
    if ":" not in args.target:
        raise UsageError(f"unknown target {args.target!r}: give path/to/file.py:function or "
                         f"a model name ({', '.join(MODELS)})")
    for option, value in (("--batch", args.batch), ("--dataset", args.dataset)):
        if value is not None:
            raise UsageError(f"{option} applies to model targets ({', '.join(MODELS)}); "
                             "a function takes one --shape per argument")


def run(args: argparse.Namespace) -> int:
    """Trace the target, render it, print a one-line summary and the path.

    When the target raises (a shape mismatch, a failing VJP), the graph up to the error is
    written beside the output (`<name>_error.svg`) and the error is reported in one line.

    Without Graphviz's `dot`, the DOT source is written beside the requested file and the
    command that renders it is printed: the run still succeeds, with a warning.
    """
    import viz

    _check_target(args)
    out = Path(args.output) if args.output else None
    if out is not None:
        if out.suffix.lower() not in (".svg", ".png", ".pdf", ".dot", ".html"):
            raise UsageError(f"unsupported output {out.name!r}: use .svg, .png, .pdf, .dot "
                             "or .html")
        output_file(out, "-o")
    stem = args.target if args.target in MODELS else args.target.rpartition(":")[2]
    out = out or Path(f"{stem}_graph.svg")
    with keep_error_graph(error_graph_path(out), "graph"):
        if args.target in MODELS:
            graph = model_graph(args.target, args.dataset or "mnist", args.batch or 2,
                                args.seed)
        else:
            graph = function_graph(args.target, args.shape, args.seed)
    backward = "with" if graph.has_backward else "without"
    print(f"{len(graph.ops)} ops, {len(graph.tensors)} tensors, {backward} the backward pass")
    if out.suffix.lower() == ".html":
        page = viz.explore(graph, out, depth=args.depth, title=f"tracegrad graph {stem}")
        print(f"explorer: {page.path} (layout: {page.layout})")
        return 0
    try:
        path = viz.render(graph, out, mode=args.mode, depth=args.depth)
    except viz.GraphvizNotFound:
        dot_path = viz.render(graph, out.with_suffix(".dot"), mode=args.mode, depth=args.depth)
        fmt = out.suffix.lstrip(".").lower()
        print(f"warning: Graphviz's `dot` is not installed, so {out} was not drawn "
              f"(apt-get install graphviz); its DOT source is in {dot_path}. Render it with: "
              f"dot -T{fmt} {dot_path} -o {out}", file=sys.stderr)
        print(f"graph source: {dot_path}")
        return 0
    print(f"graph: {path}")
    return 0
