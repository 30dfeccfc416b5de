"""The README's ag.compile block is real code: it runs, replays, and its plan prints."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_compile_block_runs(capsys) -> None:
    text = README.read_text()
    section = text[text.index("## Compiling a training step"):]
    source = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(compile(source, "README.md", "exec"), scope)
    step = scope["step"]
    assert step.traces == 2 and step.plan.calls == 3
    out = capsys.readouterr().out
    assert "host Optimizer.step()" in out and "us/call" in out
