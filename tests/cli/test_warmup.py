"""`tracegrad warmup` and the "compiling kernels" notice, in subprocesses: the notice appears
when a kernel compiles (a fresh NUMBA_CACHE_DIR) and not when it loads from the cache, and a
second warmup finds every kernel compiled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from autograd.kernels.compiling import NOTICE

ROOT = Path(__file__).resolve().parents[2]

# one small kernel (the 2x2 max pool), so the cold compile takes a second or two
POOL = ("import numpy as np; from autograd import kernels as K; "
        "print(K.max_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0].sum(), "
        "K.compile_count())")


def _run(args: list[str], cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)


def test_notice_on_a_cold_compile_only(tmp_path: Path) -> None:
    cold = _run(["-c", POOL], tmp_path / "numba")
    assert cold.returncode == 0, cold.stderr
    total, compiles = cold.stdout.split()
    assert float(total) == 5 + 7 + 13 + 15 and int(compiles) >= 1
    assert cold.stderr.count(NOTICE) == 1, cold.stderr  # once, however many kernels compile
    warm = _run(["-c", POOL], tmp_path / "numba")
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.split() == [total, "0"]
    assert NOTICE not in warm.stderr, warm.stderr


def test_warmup_twice_the_second_finds_everything_compiled() -> None:
    first = _run(["-m", "tracegrad", "warmup", "--dtype", "float32"])
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    for what in ("padded grid", "implicit GEMM", "im2col", "NHWC", "pooling 2x2",
                 "pooling general", "matmul and linear", "ReLU gradient", "vanilla RNN",
                 "softmax rows", "optimizer updates"):
        assert any(what in line and "float32" in line for line in lines), first.stdout
    second = _run(["-m", "tracegrad", "warmup", "--dtype", "float32"])
    assert second.returncode == 0, second.stderr
    assert "every kernel was already compiled" in second.stdout, second.stdout
    assert "compiled 0" not in second.stdout and second.stdout.count(" cached") == 11
    assert NOTICE not in second.stderr, second.stderr


def test_warmup_rejects_an_unknown_dtype() -> None:
    proc = _run(["-m", "tracegrad", "warmup", "--dtype", "float16"])
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
