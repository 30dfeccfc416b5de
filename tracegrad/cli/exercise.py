"""`tracegrad exercise`: write a backward yourself and check it offline.

    tracegrad exercise list                       the exercises, with what each teaches
    tracegrad exercise start sigmoid              writes exercise_sigmoid.py (forward given)
    tracegrad exercise check exercise_sigmoid.py  per-node gradcheck + reference, explained
    tracegrad exercise hint sigmoid --level 2     graded hints
    tracegrad exercise solution sigmoid --reveal  the reference backward

`start path/to/file.py:fn --shape 3,4 ...` makes an exercise of your own function (its
autograd VJP is the hidden reference). `check` paints the verdict on the graph
(`<file>_verdict.svg`, or --graph PATH). Exit codes: 0 pass, 1 not passed, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tracegrad.cli.errors import UsageError

_SUMMARY = __doc__.split("\n\n")[0] if __doc__ else ""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `exercise` and its actions (list, start, check, hint, solution)."""
    p = subparsers.add_parser(
        "exercise", help="write a backward yourself and check it (offline exercises)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="list the exercises")
    start = actions.add_parser("start", help="write the starter file of an exercise")
    start.add_argument("name", help="an exercise name (see `list`) or path/to/file.py:fn")
    start.add_argument("--dir", default=".", help="folder to write it in (default: .)")
    start.add_argument("--shape", action="append", default=[], metavar="D0,D1,...",
                       help="for file.py:fn, the shape of each positional input (repeat)")
    start.add_argument("--force", action="store_true", help="overwrite an existing starter")
    check = actions.add_parser("check", help="check the backward written in a starter file")
    check.add_argument("file", help="the starter file you filled in")
    check.add_argument("--graph", default=None, metavar="PATH",
                       help="where to draw the painted graph (.svg .png .pdf .dot; default: "
                       "<file>_verdict.svg beside the file)")
    check.add_argument("--no-graph", action="store_true", help="do not draw the graph")
    check.add_argument("--seed", type=int, default=0, help="seed of the check's inputs")
    hint = actions.add_parser("hint", help="show graded hints for an exercise")
    hint.add_argument("name", help="an exercise name or the starter file")
    hint.add_argument("--level", type=int, default=1, help="show hints 1..LEVEL (default 1)")
    sol = actions.add_parser("solution", help="print the reference backward (spoiler)")
    sol.add_argument("name", help="an exercise name")
    sol.add_argument("--reveal", action="store_true", help="yes, show me the answer")
    return p


def _exercise(name: str, shapes: list[str] | None = None) -> Any:
    from autograd.exercises import exercise, for_file
    from tracegrad.cli.gradcheck import parse_shape

    try:
        if name.endswith(".py") and Path(name).is_file():
            return for_file(name)[0]
        return exercise(name, [parse_shape(s) for s in shapes or []])
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def _list() -> int:
    from autograd.exercises import EXERCISES

    width = max(len(n) for n in EXERCISES)
    for name, ex in EXERCISES.items():
        print(f"{name:<{width}}  {ex.title}: {ex.lesson}")
    print("\nstart one: tracegrad exercise start NAME   (or path/to/file.py:fn --shape ...)")
    return 0


def _start(args: argparse.Namespace) -> int:
    ex = _exercise(args.name, args.shape)
    try:
        path = ex.start(args.dir, overwrite=args.force)
    except (FileExistsError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {path}: fill in backward(g, cache), then run\n"
          f"  tracegrad exercise check {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from autograd.exercises import for_file

    if not Path(args.file).is_file():
        raise UsageError(f"no such file: {args.file}")
    try:
        ex, module = for_file(args.file)
    except KeyError as exc:  # an EXERCISE line naming no exercise
        raise UsageError(f"{args.file}: {exc.args[0]}") from None
    result = ex.check(module, seed=args.seed)
    print(result.explain())
    if not args.no_graph:
        import viz

        out = Path(args.graph) if args.graph else Path(args.file).with_name(
            Path(args.file).stem + "_verdict.svg")
        try:
            viz.render_exercise(result, out)
            print(f"graph with the verdict: {out}")
        except viz.GraphvizNotFound as exc:  # the verdict stands without the picture
            print(f"(graph not drawn: {exc})")
    return 0 if result.passed else 1


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; exit code 0 pass / done, 1 check not passed, 2 usage."""
    action = getattr(args, "action", None)
    if action is None:
        print(_SUMMARY, file=sys.stderr)
        print("tracegrad exercise: error: choose an action: list, start, check, hint, solution",
              file=sys.stderr)
        return 2
    if action == "list":
        return _list()
    if action == "start":
        return _start(args)
    if action == "check":
        return _check(args)
    ex = _exercise(args.name)
    if action == "hint":
        try:
            print(ex.hint(args.level))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return 0
    if not args.reveal:
        raise UsageError(f"`solution {args.name}` prints the answer; add --reveal to see it "
                         f"(try `tracegrad exercise hint {args.name} --level 3` first)")
    print(ex.solution(reveal=True))
    return 0
