"""`tracegrad graph` and `tracegrad gradcheck` on code that raises: the graph up to the error
is written (where is said on stderr) and the command fails with the one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USER = textwrap.dedent(
    """
    import numpy as np
    import autograd as ag
    import nn

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(4, 2))

    def mismatch(x):
        return model(x).sum()

    class Broken(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            raise ArithmeticError("no gradient today")

    def broken(x):
        return Broken.apply(x.tanh()).sum()
    """
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    return subprocess.run([sys.executable, "-m", "tracegrad", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


def _lines(proc: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    where, error = proc.stderr.strip().splitlines()
    return where, error


def test_graph_writes_the_error_graph_and_fails_in_one_line(tmp_path: Path) -> None:
    src = tmp_path / "user.py"
    src.write_text(USER)
    proc = _run("graph", f"{src}:mismatch", "--shape", "5,3", "-o", "g.dot", cwd=tmp_path)
    assert proc.returncode == 1
    where, error = _lines(proc)
    written = tmp_path / "g_error.dot"
    assert where == f"tracegrad graph: the graph up to the error: {written.name}"
    assert error.startswith("tracegrad: error: linear: input of shape (5, 8) does not match")
    dot = written.read_text()
    assert "raised here (forward)" in dot and "inputs: float32 (5, 8), float32 (2, 4)" in dot
    assert "user.py:10" in dot  # the user's line that called the model


def test_gradcheck_writes_the_error_graph_of_a_failing_vjp(tmp_path: Path) -> None:
    src = tmp_path / "user.py"
    src.write_text(USER)
    out = tmp_path / "err.dot"
    proc = _run("gradcheck", f"{src}:broken", "--shape", "3", "--error-graph", str(out),
                cwd=tmp_path)
    assert proc.returncode == 2
    where, error = _lines(proc)
    assert where == f"tracegrad gradcheck: the graph up to the error: {out}"
    assert error.endswith("failed: ArithmeticError: no gradient today")
    dot = out.read_text()
    assert "its backward raised" in dot and "raised in user.py:19" in dot  # the raise in backward
