"""Option types and checks the subcommands share: numbers validated by the parser (exit 2,
naming the option), output paths checked before anything is written."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from tracegrad.cli.errors import UsageError


def positive_int(text: str) -> int:
    """argparse type: an int >= 1."""
    value = _number(text, int, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def nonnegative_float(text: str) -> float:
    """argparse type: a finite float >= 0."""
    value = _number(text, float, "a number")
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0 (learning rates, multipliers)."""
    value = _number(text, float, "a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _number(text: str, kind: type, what: str) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def output_file(path: str | Path, option: str) -> Path:
    """`path` for a file the tool will write: its folder must exist (nothing is created)."""
    p = Path(path)
    parent = p.parent
    if p.is_dir():
        raise UsageError(f"{option} {p} is a directory; name a file in it")
    if str(parent) not in ("", ".") and not parent.is_dir():
        if parent.exists():
            raise UsageError(f"{option} {p}: {parent} is a file, not a directory")
        raise UsageError(f"{option} {p}: directory {parent} does not exist; create it first")
    return p


def output_dir(path: str | Path, option: str) -> Path:
    """`path` for a folder the tool writes into: created if missing, but only it, never its
    parents (a mistyped parent is an error, not a new tree)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {p} exists and is not a directory")
    parent = p.parent
    if not p.exists():
        if str(parent) not in ("", ".") and not parent.is_dir():
            what = "is a file, not a directory" if parent.exists() else "does not exist"
            raise UsageError(f"{option} {p}: parent {parent} {what}")
        p.mkdir()
    return p
