"""Know when the kernels compile: one line on stderr the first time, and a count of compiles.

Numba compiles a kernel on its first call for each argument type and caches the machine code
on disk (``cache=True``), so only the first run on a machine (or after an upgrade) compiles.
That takes seconds, with nothing else on the screen: ``NOTICE`` goes to stderr once per
process when a kernel of this package actually compiles (a cache miss; loading from the cache
says nothing), and ``compile_count`` lets a progress bar leave the compile out of its ETA.
"""

from __future__ import annotations

import sys

from numba.core import event

__all__ = ["NOTICE", "compile_count"]

NOTICE = "tracegrad: compiling kernels (first run only)"
_PACKAGE = __name__.rpartition(".")[0]  # "autograd.kernels"


def _say(line: str) -> None:
    """Print ``line`` on stderr; above any tqdm bar that is drawn there, if tqdm is loaded."""
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None:
        tqdm.tqdm.write(line, file=sys.stderr)  # clears the bars, prints, redraws them
    else:
        print(line, file=sys.stderr, flush=True)


class _CompileListener(event.Listener):
    """Counts compiles of this package's kernels; prints ``NOTICE`` before the first one."""

    def __init__(self) -> None:
        self.count = 0

    def on_start(self, ev: event.Event) -> None:
        py_func = getattr(ev.data["dispatcher"], "py_func", None)
        if not getattr(py_func, "__module__", "").startswith(_PACKAGE):
            return  # the user's own Numba code
        if self.count == 0:
            _say(NOTICE)
        self.count += 1

    def on_end(self, ev: event.Event) -> None:
        """Nothing to do when a compile ends."""


_LISTENER = _CompileListener()
event.register("numba:compile", _LISTENER)


def compile_count() -> int:
    """Kernels of this package compiled so far in this process (0 on a warm cache)."""
    return _LISTENER.count
