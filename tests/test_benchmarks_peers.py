"""benchmarks.peers: argument parsing, the alternating schedule and its medians, the text and
Markdown tables, a real one-process run, and PyTorch twins with the layout of our models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.peers import (
    COLUMNS,
    fmt_seconds,
    markdown_report,
    markdown_table,
    measure_row,
    notes_lines,
    parse_args,
    round_order,
    text_table,
)
from tracegrad.cli.bench_workloads import LM, REPEATS, RESNET, WORKLOADS, lm_data, resnet_data

ROOT = Path(__file__).resolve().parents[1]


def test_parse_args_defaults_and_choices(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args([])
    assert (args.only, args.column, args.repeat, args.rounds) == (None, None, None, 3)
    assert args.lenet_steps == 50 and not args.markdown and args.json is None
    args = parse_args(["--only", "rnn", "--only", "conv2d", "--column", "torch", "--repeat",
                       "2", "--markdown", "--json", "out.json"])
    assert args.only == ["rnn", "conv2d"] and args.column == ["torch"] and args.repeat == 2
    for bad in (["--only", "nope"], ["--column", "jax"], ["--rounds", "0"]):
        with pytest.raises(SystemExit) as exc:
            parse_args(bad)
        assert exc.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    assert set(REPEATS) == set(WORKLOADS)


def test_rounds_alternate_order_and_take_medians() -> None:
    assert round_order(COLUMNS, 0) == list(COLUMNS)
    assert round_order(COLUMNS, 1) == list(COLUMNS)[::-1]
    calls: list[str] = []
    seconds = {"tracegrad": [3.0, 1.0, 2.0], "torch": [2.0, 4.0, 4.0]}

    def measure(column: str, work: str) -> dict | str:
        calls.append(column)
        if column == "tracegrad-compiled":
            return "autograd.compile does not exist"
        return {"seconds": seconds[column].pop(0), "first_call": 9.0, "threads": "t"}

    row = measure_row("mlp_step", ["tracegrad", "tracegrad-compiled", "torch"], 3, measure)
    # round 0 forward, round 1 reversed, round 2 forward; a column without result not retried
    assert calls == ["tracegrad", "tracegrad-compiled", "torch", "torch", "tracegrad",
                     "tracegrad", "torch"]
    assert row["median"] == {"tracegrad": 2.0, "tracegrad-compiled": None, "torch": 4.0}
    assert row["ratio"] == {"tracegrad": 0.5, "tracegrad-compiled": None}
    assert row["notes"] == {"tracegrad-compiled": "autograd.compile does not exist"}


def test_dezero_rows_it_lacks_start_no_process() -> None:
    calls: list[str] = []

    def measure(column: str, work: str) -> dict:
        calls.append(column)
        return {"seconds": 1.0, "first_call": 1.0, "threads": "t"}

    row = measure_row("transformer_lm_step", ["torch", "dezero"], 2, measure)
    assert calls == ["torch", "torch"] and row["median"]["dezero"] is None
    assert "DeZero" in notes_lines([row])[0] and "transformer_lm_step" in notes_lines([row])[0]


def _row(work: str, median: dict, notes: dict | None = None) -> dict:
    base = median.get("torch")
    ratio = {c: median[c] / base if base and median.get(c) else None
             for c in ("tracegrad", "tracegrad-compiled")}
    return {"workload": work, "median": median, "ratio": ratio, "notes": notes or {},
            "threads": {"torch": "torch 2"}, "runs": {}, "first_call": {}, "load_after": [0] * 3}


def test_markdown_and_text_tables() -> None:
    rows = [_row("scalar_chain", {"tracegrad": 0.0123, "tracegrad-compiled": None,
                                  "torch": 0.00615, "dezero": 0.0201},
                 {"tracegrad-compiled": "ag.compile raised ValueError: x"}),
            _row("lenet5_epoch", {"tracegrad": 3.456, "tracegrad-compiled": 1.0,
                                  "torch": 4.0, "dezero": None})]
    md = markdown_table(rows, list(COLUMNS), 50).splitlines()
    assert md[0] == ("| workload | tracegrad eager | tracegrad compiled | PyTorch | DeZero | "
                     "eager / torch | compiled / torch |")
    assert md[1] == "|---|---:|---:|---:|---:|---:|---:|"
    assert md[2] == ("| 1,000-op scalar chain, fwd+bwd | 12.3 ms | - | 6.15 ms | 20.1 ms | 2.00 "
                     "| - |")
    assert md[3].endswith("| 3.46 s | 1.00 s | 4.00 s | - | 0.86 | 0.25 |")
    assert "50 steps x 9.38" in md[3]
    # without the torch column there are no ratio columns
    assert markdown_table(rows, ["tracegrad"], 50).splitlines()[0].count("|") == 3
    text = text_table(rows, list(COLUMNS), 50).splitlines()
    assert len({len(line) for line in text}) == 1 and set(text[1]) == {"-"}
    assert (fmt_seconds(None, "ms"), fmt_seconds(0.000312, "ms"), fmt_seconds(1.2345, "ms"),
            fmt_seconds(12.0, "s")) == ("-", "0.312 ms", "1234 ms", "12.0 s")
    report = markdown_report({"columns": list(COLUMNS), "lenet_steps": 50, "rows": rows,
                              "date": "2026-12-02 06:00 UTC", "command": "python -m x",
                              "wall_s": 600.0, "system": ["date: d", "load average: 1 2 3"],
                              "load_end": [0.5, 0.25, 0.125], "rounds": 3})
    assert report.startswith("Measured 2026-12-02 06:00 UTC with `python -m x` (10.0 min).")
    assert "- load average: 1 2 3" in report and "- date: d" not in report
    assert "- load average at the end: 0.50 0.25 0.12" in report
    assert '"-" tracegrad compiled: ag.compile raised ValueError: x (scalar_chain)' in report


def test_one_real_run_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "peers.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.peers", "--only", "scalar_chain", "--column",
         "tracegrad", "--column", "tracegrad-compiled", "--repeat", "1", "--rounds", "1",
         "--markdown", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "load average (1/5/15 min):" in proc.stdout and "| workload |" in proc.stdout
    result = json.loads(out.read_text())
    (row,) = result["rows"]
    assert row["workload"] == "scalar_chain" and len(row["runs"]["tracegrad"]) == 1
    assert 0 < row["median"]["tracegrad"] < 60
    assert row["threads"]["tracegrad"].endswith(" kernel worker threads")
    # compiled: a time, or a note saying why not (before `ag.compile` exists, or if it raises)
    assert (row["median"]["tracegrad-compiled"] is None) == ("tracegrad-compiled" in row["notes"])
    assert result["command"].startswith("python -m benchmarks.peers --only scalar_chain")


# ----- the PyTorch twins do the same work as our models -----

def _shapes(state: dict) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items() if "num_batches_tracked" not in k}


@pytest.mark.torch
def test_torch_lenet5_and_resnet18_match_ours_layout() -> None:
    torch = pytest.importorskip("torch")
    from benchmarks.peers_torch import torch_lenet5, torch_resnet18
    from nn.models import LeNet5, ResNet18

    assert _shapes(torch_lenet5(torch).state_dict()) == _shapes(LeNet5().state_dict())
    ours = ResNet18(num_classes=RESNET["classes"]).state_dict()
    assert _shapes(torch_resnet18(torch).state_dict()) == _shapes(ours)
    x, t = resnet_data()
    assert x.shape == (32, 3, 32, 32) and t.shape == (32,) and t.max() < RESNET["classes"]


@pytest.mark.torch
def test_torch_transformer_lm_parameter_count_matches_ours() -> None:
    torch = pytest.importorskip("torch")
    from benchmarks.peers_torch import torch_transformer_lm
    from nn.models import TransformerLM

    ours = sum(p.data.size for p in TransformerLM(**LM).parameters())
    theirs = sum(p.numel() for p in torch_transformer_lm(torch).parameters())
    assert theirs == ours
    idx, nxt = lm_data()
    assert idx.shape == nxt.shape == (16, 64)
    assert (idx[:, 1:] == nxt[:, :-1]).all()
