"""Importing tracegrad leaves the host process alone (issue 15): no environment changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_and_kernels_do_not_touch_os_environ() -> None:
    code = (
        "import json, os\n"
        "before = dict(os.environ)\n"
        "import autograd as ag, nn, optim\n"
        "import benchmarks.common\n"
        "x = ag.randn(2, 3, requires_grad=True)\n"
        "(x @ x.T).sum().backward()\n"
        "after = dict(os.environ)\n"
        "print(json.dumps({k: [before.get(k), after.get(k)] for k in set(before) | set(after)"
        " if before.get(k) != after.get(k)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {}
