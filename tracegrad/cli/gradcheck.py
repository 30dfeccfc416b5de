"""`tracegrad gradcheck path/to/file.py:function --shape 3,4 ...`: check a user's gradients.

Loads `function` from the file, calls it on random float64 inputs of the given shapes
(one `--shape` per positional input), prints a table of max abs/rel errors per input and,
on failure, a verdict from rerunning at eps = 1e-2 ... 1e-10 (VJP bug, eps/precision problem
or kink), the worst entries of each failing input with both values and the pattern they
form, and which recorded ops have a wrong VJP. When the function or a VJP raises, the graph up
to the failing op is drawn (`--error-graph`). Exit code 0 pass, 1 fail, 2 usage error or a
function that raises.
Also runnable as `python -m tracegrad.cli.gradcheck ...`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograd.user_code import NotPythonFile, exec_file
from tracegrad.cli.errors import UsageError

# A full (non --fast) check evaluates the function twice per input element.
FULL_CHECK_LIMIT = 100_000
# Inputs larger than this many elements (float64) are refused even with --fast.
FAST_CHECK_LIMIT = 50_000_000
# Above this many input elements the eps sweep compares projections v^T J u, not all of J.
SWEEP_FULL_LIMIT = 2_000
WORST_SHOWN = 5


def parse_shape(text: str) -> tuple[int, ...]:
    """`3,4` -> (3, 4); `''`, `()` or `scalar` -> () (a 0-d input); `3,,4` is an error."""
    t = text.strip().strip("()[] ")
    if t in ("", "scalar"):
        return ()
    parts = t.split(",")
    if parts[-1].strip() == "" and len(parts) > 1:  # `3,` (a 1-tuple) is fine
        parts = parts[:-1]
    if any(p.strip() == "" for p in parts):
        raise UsageError(f"bad --shape {text!r}: empty size between commas")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise UsageError(f"bad --shape {text!r}: expected comma-separated sizes like 3,4") from None
    if any(d < 0 for d in dims):
        raise UsageError(f"bad --shape {text!r}: sizes must be non-negative")
    return dims


def load_function(target: str) -> Callable[..., Any]:
    """Import `path/to/file.py:function` from a file path (its folder joins sys.path)."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise UsageError(f"bad target {target!r}: expected path/to/file.py:function")
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}")
    try:
        module = exec_file(path, "_gradcheck_user_")
    except NotPythonFile:
        raise UsageError(f"cannot import {path_text}: not a Python file") from None
    except SystemExit as exc:
        raise UsageError(
            f"importing {path_text} called sys.exit({exc.code!r}); move script code under "
            "`if __name__ == \"__main__\":`"
        ) from None
    except Exception as exc:
        raise UsageError(f"importing {path_text} failed: {type(exc).__name__}: {exc}") from None
    fn = getattr(module, name, None)
    if fn is None:
        raise UsageError(f"{path_text} has no function {name!r}")
    if not callable(fn):
        raise UsageError(f"{path_text}:{name} is a {type(fn).__name__}, not a function")
    return fn


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `gradcheck` subcommand to an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "gradcheck",
        help="check a function's analytic gradients against finite differences",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    _add_arguments(p)
    p.set_defaults(func=run)
    return p


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help="path/to/file.py:function")
    p.add_argument("--shape", action="append", default=[], metavar="D0,D1,...",
                   help="shape of one positional input (repeat, in order); '' for a scalar")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance")
    p.add_argument("--fast", action="store_true",
                   help="compare one random projection v^T J u per input (large inputs)")
    p.add_argument("--gradgrad", action="store_true", help="also check second derivatives")
    p.add_argument("--plot", metavar="PATH", default=None,
                   help="write the eps-sweep plot (error / tolerance against eps) to PATH")
    p.add_argument("--error-graph", metavar="PATH", default=None,
                   help="where to draw the graph up to the failing op when the function or "
                   "a VJP raises (default: <function>_error.svg)")


def check_tolerances(args: argparse.Namespace) -> None:
    """--eps must be a positive finite number, --atol/--rtol finite and non-negative."""
    if not (math.isfinite(args.eps) and args.eps > 0):
        raise UsageError(f"--eps must be a positive finite number, got {args.eps!r}")
    for name in ("atol", "rtol"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise UsageError(f"--{name} must be a finite number >= 0, got {value!r}")


def check_sizes(shapes: list[tuple[int, ...]], fast: bool) -> None:
    """Refuse inputs too large to check (with the remedy), before allocating them."""
    total = sum(math.prod(s) for s in shapes)
    if not fast and total > FULL_CHECK_LIMIT:
        raise UsageError(f"the inputs have {total:,} elements: a full check needs "
                         f"{2 * total:,} calls; add --fast (one random projection per input) "
                         "or use smaller --shape")
    if total > FAST_CHECK_LIMIT:
        raise UsageError(f"the inputs have {total:,} elements; gradcheck --fast handles at "
                         f"most {FAST_CHECK_LIMIT:,} (use smaller --shape)")


def _print_failing_ops(fn: Callable[..., Any], inputs: tuple[Any, ...], args: Any) -> None:
    from autograd.gradcheck import gradcheck_graph

    try:
        check = gradcheck_graph(fn, inputs, args.eps, args.atol, args.rtol)
    except Exception as exc:  # the per-op pass is a diagnosis aid; never mask the verdict
        print(f"(per-op check unavailable: {type(exc).__name__}: {exc})")
        return
    if not check.failing:
        print("every recorded op's VJP matches its forward; the mismatch comes from code "
              "outside the recorded ops (e.g. a custom gradient or a non-Tensor step)")
        return
    print("ops whose VJP disagrees with finite differences:")
    for oid in check.failing:
        node = check.graph.ops[oid]
        where = f" in {node.module}" if node.module else ""
        loc = f" at {node.location}" if node.location else ""
        print(f"  {oid} {node.op}{where}{loc}")


def _explain(report: Any, total: int, args: argparse.Namespace, plot: bool) -> None:
    """The eps-sweep verdict and, per failing input, its worst entries and their pattern."""
    try:
        sweep = report.eps_sweep(projection=args.fast or total > SWEEP_FULL_LIMIT)
        print(sweep.verdict)
        if args.plot and plot:
            sweep.plot(args.plot)
            print(f"eps-sweep plot written to {args.plot}")
        if not report.passed and total <= FULL_CHECK_LIMIT:
            for k, r in enumerate(report.inputs):
                if not r.passed:
                    print(report.mismatch_map(k).summary(WORST_SHOWN))
    except Exception as exc:  # a diagnosis aid; never mask the verdict of the check itself
        print(f"(diagnosis unavailable: {type(exc).__name__}: {exc})")


def _first_pass(fn: Callable[..., Any], inputs: tuple[Any, ...], args: argparse.Namespace) -> None:
    """One forward and backward pass inside `ag.record_on_error()`: a failing op or VJP raises
    here, with the graph up to it written, before the many calls of the check itself."""
    import autograd as ag
    from autograd.tree import flatten
    from tracegrad.cli.error_graph import keep_error_graph

    name = args.target.rpartition(":")[2]
    with keep_error_graph(Path(args.error_graph or f"{name}_error.svg"), "gradcheck"):
        xs = [ag.tensor(x, requires_grad=True) for x in inputs]
        outs = [o for o in flatten(fn(*xs))[0]
                if isinstance(o, ag.Tensor) and o.requires_grad]
        if outs:
            sum(o.sum() for o in outs).backward()


def _calling_failed(args: argparse.Namespace, shapes: list[tuple[int, ...]],
                    exc: Exception) -> int:
    shown = ", ".join(str(s) for s in shapes)
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    print(f"tracegrad gradcheck: error: calling {args.target} on inputs of shapes "
          f"{shown} failed: {text}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run the check described by parsed `args`; print the table; return the exit code."""
    from autograd.gradcheck import gradcheck_report

    try:
        fn = load_function(args.target)
        shapes = [parse_shape(s) for s in args.shape]
        if not shapes:
            raise UsageError("give one --shape per positional input of the function")
        check_tolerances(args)
        check_sizes(shapes, args.fast)
    except UsageError as exc:
        print(f"tracegrad gradcheck: error: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    inputs = tuple(rng.standard_normal(s) for s in shapes)
    for k, s in enumerate(shapes):
        if math.prod(s) == 0:
            print(f"note: input {k} has shape {s} and no elements: nothing of it to compare")
    try:
        _first_pass(fn, inputs, args)
    except Exception as exc:
        return _calling_failed(args, shapes, exc)
    ok = True
    for order in (1, 2) if args.gradgrad else (1,):
        try:
            report = gradcheck_report(fn, inputs, args.eps, args.atol, args.rtol, order=order,
                                      fast_mode=args.fast, seed=args.seed)
        except Exception as exc:
            return _calling_failed(args, shapes, exc)
        title = "second derivatives" if order == 2 else "first derivatives"
        print(f"{args.target}: {title}{' (fast mode)' if args.fast else ''}")
        print(report.table())
        print("PASS" if report.passed else "FAIL")
        if (order == 1 and args.plot) or not report.passed:
            _explain(report, sum(math.prod(s) for s in shapes), args, plot=order == 1)
        if not report.passed and order == 1:
            _print_failing_ops(fn, inputs, args)
        ok = ok and report.passed
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m tracegrad.cli.gradcheck TARGET --shape ...`."""
    parser = argparse.ArgumentParser(prog="tracegrad gradcheck", description=__doc__)
    _add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
