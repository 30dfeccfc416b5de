"""The README's first command, as a newcomer runs it: a clean clone, a fresh venv, a plain
`pip install -e .` (no extras) and `tracegrad demo`, which must draw its pictures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _first_command() -> str:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[0]


def test_readme_first_command_installs_graphviz_and_runs_the_demo() -> None:
    cmd = _first_command()
    assert "apt-get install -y" in cmd and "graphviz" in cmd and "command -v dot" in cmd
    assert re.search(r"pip install -e \.( |&|$)", cmd) and cmd.endswith("tracegrad demo")


@pytest.mark.slow
def test_fresh_clone_fresh_venv_plain_install_draws(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to clone")
    clone = tmp_path / "tracegrad"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    # the command's Python part (the apt-get step is the machine's; dot is handled below)
    python_part = _first_command().split("}; ", 1)[1].strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    proc = subprocess.run(["bash", "-c", python_part.replace("tracegrad demo",
                                                             "tracegrad demo --epochs 20")],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = clone / "tracegrad-demo"
    assert (out / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    drawn = (out / "spiral_mlp_graph.svg").exists() or (out / "spiral_mlp_graph.dot").exists()
    assert drawn, sorted(p.name for p in out.iterdir())
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout
    assert "tracegrad-demo" not in status and ".venv" not in status  # both are ignored
    assert sys.version_info >= (3, 10)
