"""`tracegrad graph` and `tracegrad gradcheck` run the user's code inside
`ag.record_on_error()`: when an op or a VJP fails, the graph up to it is written to a file
(say where on stderr) and the exception goes on to the command's one-line error."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def error_graph_path(output: Path) -> Path:
    """`loss.svg` -> `loss_error.svg`, beside it (an .html output gets an .svg picture)."""
    suffix = output.suffix if output.suffix.lower() in (".svg", ".png", ".pdf", ".dot") else ".svg"
    return output.with_name(f"{output.stem}_error{suffix}")


@contextmanager
def keep_error_graph(path: Path, command: str) -> Iterator[None]:
    """Run the block inside `ag.record_on_error()`; if it raises after recording something,
    draw the kept graph to `path` (its DOT source where Graphviz is missing), print where on
    stderr and let the exception propagate."""
    import autograd as ag

    rec = ag.record_on_error()
    try:
        with rec:
            yield
    except Exception:
        if ag.last_error_graph() is rec.graph:
            print(f"tracegrad {command}: {_write(path)}", file=sys.stderr)
        raise


def _write(path: Path) -> str:
    import viz

    try:
        drawing = viz.last_error_graph()
        try:
            written = viz.render(drawing, path)
        except viz.GraphvizNotFound:
            written = viz.render(drawing, path.with_suffix(".dot"))
    except Exception as exc:  # the picture is an aid: never hide the user's own error
        return f"the graph up to the error could not be written ({type(exc).__name__}: {exc})"
    return f"the graph up to the error: {written}"
