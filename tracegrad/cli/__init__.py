"""The `tracegrad` console script: `demo`, `train`, `gradcheck`, `graph`, `exercise`, `bench`
and `warmup`.

Each subcommand lives in its own module exposing `add_parser(subparsers)` and
`run(args) -> int`. Expected failures (missing data, a bad option, an unreadable
checkpoint) print one line `tracegrad: error: ...` on stderr and exit non-zero; anything
else also prints one line unless `--debug` asks for the traceback.

>>> main(["--version"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from tracegrad.cli.errors import RUN_ERROR, USAGE_ERROR, CLIError, UsageError

PROG = "tracegrad"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `tracegrad train: error: ... (see --help)`."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}{_suggestion(message)} "
                  f"(see {self.prog} --help)\n")


def _suggestion(message: str) -> str:
    """`; did you mean 'demo'?` for argparse's "invalid choice: 'dmeo' (choose from ...)"."""
    match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if not match:
        return ""
    choices = re.findall(r"'([^']*)'|([^\s,]+)", match.group(2))
    names = [a or b for a, b in choices]
    close = difflib.get_close_matches(match.group(1), names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _subcommands() -> list[ModuleType]:
    """The modules defining the subcommands, in --help order."""
    from tracegrad.cli import bench, demo, exercise, gradcheck, graph, train, warmup

    return [demo, train, gradcheck, graph, exercise, bench, warmup]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (one subparser per subcommand)."""
    parser = _Parser(
        prog=PROG,
        description="tracegrad: reverse-mode autodiff with recorded graphs, nn and optim.",
        epilog="Start with `tracegrad demo`; every subcommand has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of unexpected errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _subcommands():
        sub = module.add_parser(subparsers)
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS,
            help="show the full traceback of unexpected errors",
        )
        sub.set_defaults(handler=module.run)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tracegrad")
    except Exception:  # not installed (running from a checkout)
        return "(source checkout)"


def _fail(message: str, code: int = RUN_ERROR) -> int:
    first = " ".join(str(message).split())  # one line, whatever the exception carried
    print(f"{PROG}: error: {first}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv[1:]), run the subcommand and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help/--version (0) or a usage error (2), already printed
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return USAGE_ERROR
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except UsageError as exc:  # a bad target or --shape, found after parsing
        return _fail(exc, USAGE_ERROR)
    except (CLIError, ValueError, ImportError) as exc:
        if args.debug:
            raise
        return _fail(exc)
    except Exception as exc:  # a bug: say so in one line, full traceback with --debug
        if args.debug:
            raise
        return _fail(f"{type(exc).__name__}: {exc} (run again with --debug for the traceback)")

