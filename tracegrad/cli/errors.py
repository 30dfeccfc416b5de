"""The CLI's two failure kinds and their exit codes (argparse's 2 for a bad command line)."""

from __future__ import annotations

USAGE_ERROR = 2  # bad command line: a bad option value, target or shape
RUN_ERROR = 1  # the command could not do its work (missing file, bad checkpoint ...)


class CLIError(Exception):
    """A user-facing failure: its message is printed as one line, with exit code 1."""


class UsageError(CLIError):
    """A bad target, shape or option found after parsing: one line on stderr, exit code 2."""
