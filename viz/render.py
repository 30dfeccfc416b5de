"""Writing a drawing to disk: format by suffix, DOT text without Graphviz, `dot` with a timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import graphviz

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
TIMEOUT = 60.0  # seconds one `dot` layout may take before render gives up

INSTALL_HINT = (
    "the Graphviz `dot` program was not found on PATH; it is needed to lay out "
    "{fmt} files. Install it with `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install graphviz`, or write a .dot file "
    "instead (viz.render(target, 'graph.dot') needs no Graphviz)."
)


class GraphvizNotFound(RuntimeError):
    """The `dot` binary is missing; the message says how to install it."""


def format_for(path: str | os.PathLike[str], format: str | None = None) -> str:  # noqa: A002
    """The output format: `format` if given, else from the suffix (.svg/.png/.pdf/.dot)."""
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in set(FORMATS.values()):
            raise ValueError(f"unsupported format {format!r}; use one of svg, png, pdf, dot")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"can't tell the format of {os.fspath(path)!r} from its suffix; use .svg, .png, "
            ".pdf or .dot, or pass format="
        )
    return FORMATS[suffix]


def dot_binary(fmt: str = "svg") -> str:
    """Path of the `dot` executable, or raise `GraphvizNotFound` with the install hint."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound(INSTALL_HINT.format(fmt=fmt.upper()))
    return exe


def _run_dot(source: str, args: list[str], timeout: float, what: str) -> bytes:
    exe = dot_binary(args[0][2:])
    try:
        proc = subprocess.run([exe, *args], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise TimeoutError(
            f"Graphviz layout took longer than {timeout:g} s for {what}; draw fewer nodes "
            "(depth=1 for one box per module, collapse_repeats=True) or pass a larger timeout="
        ) from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"dot failed (exit {proc.returncode}) for {what}: {err}")
    return proc.stdout


def write(source: str, path: str | os.PathLike[str], fmt: str,
          timeout: float = TIMEOUT) -> Path:
    """Write DOT `source` to `path` as `fmt`, laying it out with `dot` unless fmt is 'dot'."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        out.write_text(source, encoding="utf-8")
        return out
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        _run_dot(source, [f"-T{fmt}", "-o", tmp], timeout, out.name)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it 0600; a picture is the user's file
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def pipe_svg(dot: graphviz.Digraph, timeout: float = TIMEOUT) -> str:
    """Lay out `dot` and return the SVG text (for notebooks and tests)."""
    return _run_dot(dot.source, ["-Tsvg"], timeout, "the graph").decode("utf-8")
