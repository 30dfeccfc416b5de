"""tracegrad (eager and `ag.compile`d) side by side with PyTorch (CPU) and DeZero.

The workloads are defined in `tracegrad/cli/bench_workloads.py`; they are written for
tracegrad in `tracegrad/cli/bench.py`, for PyTorch in `peers_torch.py` and for DeZero in
`peers_dezero.py`. Every cell of the table is measured in fresh processes, one library per
process, each at its own defaults: nothing here sets a thread count or an environment
variable (`OMP_WAIT_POLICY` included) for any library; the children inherit the caller's
environment as it is. Each process times `--repeat` calls after warm-up calls and prints its
median; `--rounds` processes per cell, the order of the columns alternating between rounds
(forward, then reversed); the table shows the median of the processes' medians.

Run: ``python -m benchmarks.peers [--only WORKLOAD ...] [--column COLUMN ...] [--repeat N]
[--rounds N] [--lenet-steps N] [--data-dir DIR] [--markdown] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import system_lines
from benchmarks.peers_dezero import MISSING as DEZERO_MISSING
from tracegrad.cli.bench_workloads import (
    EPOCH_STEPS,
    REPEATS,
    WARMUP,
    WORKLOADS,
    describe,
    median_time,
)

COLUMNS = ("tracegrad", "tracegrad-compiled", "torch", "dezero")
HEADINGS = {"tracegrad": "tracegrad eager", "tracegrad-compiled": "tracegrad compiled",
            "torch": "PyTorch", "dezero": "DeZero"}
RATIOS = {"tracegrad": "eager / torch", "tracegrad-compiled": "compiled / torch"}
UNAVAILABLE = 3  # a worker's exit status: this column cannot run this workload (why: stderr)
Measure = Callable[[str, str], "dict[str, Any] | str"]


class Unavailable(RuntimeError):
    """A column cannot run a workload here (library missing, `ag.compile` absent or raising)."""


# ----- one measurement, inside its own process -----

def _tracegrad_unit(work: str, compiled: bool, batches: Any) -> tuple[Callable[[], None], str]:
    import autograd as ag
    from autograd.kernels._runtime import num_threads
    from tracegrad.cli import bench

    ag.manual_seed(0)
    w = (bench.tg_lenet5_epoch(list(zip(*batches, strict=True))) if work == "lenet5_epoch"
         else bench.MAKERS[work]())
    try:
        fn = bench.unit(w, compiled)
    except bench.CompileUnavailable as exc:
        raise Unavailable(str(exc)) from exc
    return fn, f"{num_threads()} kernel worker threads"


def _torch_unit(work: str, batches: Any) -> tuple[Callable[[], None], str]:
    try:
        import torch
    except ImportError as exc:
        raise Unavailable("PyTorch is not installed (pip install torch==2.13.0)") from exc
    from benchmarks.peers_torch import torch_makers

    torch.manual_seed(0)
    return torch_makers(torch, batches)[work](), f"torch {torch.get_num_threads()}"


def _dezero_unit(work: str, batches: Any) -> tuple[Callable[[], None], str]:
    from benchmarks.peers_dezero import dezero_makers, load_dezero

    if work in DEZERO_MISSING:
        raise Unavailable(DEZERO_MISSING[work])
    try:
        dz = load_dezero()
    except Exception as exc:  # not installed, or broken on this NumPy
        raise Unavailable(f"DeZero is not importable (pip install dezero): {exc}") from exc
    return dezero_makers(dz, batches)[work](), "NumPy's BLAS defaults"


def worker(column: str, work: str, repeat: int, batches_path: str | None) -> dict[str, Any]:
    """Time `work` for `column` in this process: seconds per unit (per epoch for
    lenet5_epoch), the first call's seconds (JIT, cache loads, a compiled step's trace), and
    the threads the library chose."""
    batches = None
    if work == "lenet5_epoch":
        with np.load(batches_path or "") as f:
            batches = (f["x"], f["t"])
    compiled = column == "tracegrad-compiled"
    if column.startswith("tracegrad"):
        fn, threads = _tracegrad_unit(work, compiled, batches)
    elif column == "torch":
        fn, threads = _torch_unit(work, batches)
    else:
        fn, threads = _dezero_unit(work, batches)
    t0 = time.perf_counter()
    try:
        fn()
    except Exception as exc:
        if compiled:
            raise Unavailable(f"ag.compile raised {type(exc).__name__}: {exc}") from exc
        raise
    first = time.perf_counter() - t0
    seconds = median_time(fn, repeat, WARMUP - 1)
    if batches is not None:
        seconds *= EPOCH_STEPS / len(batches[0])
    return {"seconds": seconds, "first_call": first, "threads": threads}


def _run_worker(args: argparse.Namespace) -> int:
    column, work = args.worker
    try:
        print(json.dumps(worker(column, work, args.repeat or REPEATS[work], args.batches)))
    except Unavailable as exc:
        print(" ".join(str(exc).split()), file=sys.stderr)
        return UNAVAILABLE
    return 0


def measure_in_process(args: argparse.Namespace, batches_path: str | None) -> Measure:
    """measure(column, work): run one worker process; its result, or why it has none."""
    def measure(column: str, work: str) -> dict[str, Any] | str:
        cmd = [sys.executable, "-m", "benchmarks.peers", "--worker", column, work]
        if args.repeat:
            cmd += ["--repeat", str(args.repeat)]
        if batches_path:
            cmd += ["--batches", batches_path]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            return {**out, "process_s": time.perf_counter() - t0}
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return last if proc.returncode == UNAVAILABLE else f"failed: {last}"

    return measure


# ----- scheduling and medians -----

def round_order(columns: Sequence[str], r: int) -> list[str]:
    """The columns in round `r`: as given in even rounds, reversed in odd ones."""
    return list(columns) if r % 2 == 0 else list(columns)[::-1]


def measure_row(work: str, columns: Sequence[str], rounds: int,
                measure: Measure) -> dict[str, Any]:
    """`rounds` measurements per column, alternating order; a column that has no result
    once (missing library, compile unavailable, a failure) is not retried."""
    runs: dict[str, list[float]] = {c: [] for c in columns}
    first: dict[str, list[float]] = {c: [] for c in columns}
    process: dict[str, list[float]] = {c: [] for c in columns}
    threads: dict[str, str] = {}
    notes: dict[str, str] = {}
    if "dezero" in columns and work in DEZERO_MISSING:
        notes["dezero"] = DEZERO_MISSING[work]
    for r in range(rounds):
        for c in round_order(columns, r):
            if c in notes:
                continue
            out = measure(c, work)
            if isinstance(out, str):
                notes[c] = out
                continue
            runs[c].append(out["seconds"])
            first[c].append(out["first_call"])
            process[c].append(out.get("process_s", 0.0))
            threads[c] = out["threads"]
    medians = {c: statistics.median(v) if v else None for c, v in runs.items()}
    base = medians.get("torch")
    ratios = {c: medians[c] / base if base and medians.get(c) else None for c in RATIOS}
    return {"workload": work, "runs": runs, "median": medians, "ratio": ratios,
            "first_call": first, "process_s": process, "threads": threads, "notes": notes,
            "load_after": list(os.getloadavg())}


# ----- output -----

def fmt_seconds(seconds: float | None, unit: str) -> str:
    """Three significant digits in `unit` ("ms" or "s"), no exponent; "-" for None."""
    if seconds is None:
        return "-"
    v = seconds * (1e3 if unit == "ms" else 1.0)
    decimals = max(0, 2 - math.floor(math.log10(v))) if v > 0 else 2
    return f"{v:.{decimals}f} {unit}"


def _cells(row: dict[str, Any], columns: Sequence[str], lenet_steps: int) -> list[str]:
    unit = "s" if row["workload"] == "lenet5_epoch" else "ms"
    cells = [describe(row["workload"], lenet_steps)]
    cells += [fmt_seconds(row["median"].get(c), unit) for c in columns]
    for c in RATIOS:
        if c in columns and "torch" in columns:
            r = row["ratio"].get(c)
            cells.append("-" if r is None else f"{r:.2f}")
    return cells


def _headings(columns: Sequence[str]) -> list[str]:
    heads = ["workload"] + [HEADINGS[c] for c in columns]
    return heads + [RATIOS[c] for c in RATIOS if c in columns and "torch" in columns]


def notes_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One line per distinct reason a cell shows "-", naming the cells."""
    where: dict[str, list[str]] = {}
    for row in rows:
        for c, why in row["notes"].items():
            where.setdefault(f"{HEADINGS[c]}: {why}", []).append(row["workload"])
    return [f'"-" {what} ({", ".join(works)})' for what, works in where.items()]


def text_table(rows: list[dict[str, Any]], columns: Sequence[str], lenet_steps: int) -> str:
    """The table for a terminal, aligned in columns."""
    lines = [_headings(columns)] + [_cells(r, columns, lenet_steps) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                     for i, cell in enumerate(line)) for line in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def markdown_table(rows: list[dict[str, Any]], columns: Sequence[str], lenet_steps: int) -> str:
    """The table in Markdown (numbers right-aligned), ready for benchmarks/README.md."""
    heads = _headings(columns)
    lines = ["| " + " | ".join(heads) + " |", "|---" + "|---:" * (len(heads) - 1) + "|"]
    lines += ["| " + " | ".join(_cells(r, columns, lenet_steps)) + " |" for r in rows]
    return "\n".join(lines)


def markdown_report(result: dict[str, Any]) -> str:
    """What benchmarks/README.md quotes: how it was measured, the table, the notes."""
    cols, steps = result["columns"], result["lenet_steps"]
    threads = sorted({f"{HEADINGS[c]}: {t}" for row in result["rows"]
                      for c, t in row["threads"].items()})
    head = [f"Measured {result['date']} with `{result['command']}` "
            f"({result['wall_s'] / 60:.1f} min).", ""]
    head += [f"- {line}" for line in result["system"] if not line.startswith("date:")]
    head += [f"- load average at the end: {' '.join(f'{v:.2f}' for v in result['load_end'])}",
             f"- threads each library chose: {'; '.join(threads) or '-'}",
             f"- each cell: median of {result['rounds']} processes (columns alternating order "
             "between rounds), each the median of its timed calls after warm-up; ratios "
             "above 1 mean slower than PyTorch", ""]
    notes = [f"- {n}" for n in notes_lines(result["rows"])]
    return "\n".join(head + [markdown_table(result["rows"], cols, steps)]
                     + ([""] + notes if notes else []))


# ----- the command -----

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.peers",
        description="tracegrad (eager and compiled) vs PyTorch vs DeZero, one process per "
        "library and measurement, each at its own defaults")
    p.add_argument("--only", choices=WORKLOADS, action="append", default=None,
                   help="run only this workload (repeatable; default: all)")
    p.add_argument("--column", choices=COLUMNS, action="append", default=None,
                   help="run only this column (repeatable; default: all)")
    p.add_argument("--repeat", type=_positive, default=None,
                   help="timed calls per process (default: per workload, ~1 s of work; "
                   "lenet5_epoch: passes over --lenet-steps batches)")
    p.add_argument("--rounds", type=_positive, default=3,
                   help="processes per cell, column order alternating (default: %(default)s)")
    p.add_argument("--lenet-steps", type=_positive, default=50,
                   help="MNIST batches timed per epoch pass, scaled to 469 (default: "
                   "%(default)s)")
    p.add_argument("--data-dir", default=None, help="MNIST folder (default: $TRACEGRAD_DATA "
                   "or ~/.cache/tracegrad/mnist); without MNIST lenet5_epoch is skipped")
    p.add_argument("--markdown", action="store_true",
                   help="also print the report in Markdown for benchmarks/README.md")
    p.add_argument("--json", metavar="PATH", default=None, help="write every figure to PATH")
    p.add_argument("--worker", nargs=2, metavar=("COLUMN", "WORKLOAD"), help=argparse.SUPPRESS)
    p.add_argument("--batches", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker and (args.worker[0] not in COLUMNS or args.worker[1] not in WORKLOADS):
        p.error(f"--worker: unknown column or workload {args.worker}")
    return args


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def _write_batches(args: argparse.Namespace, folder: str) -> str:
    """Save the MNIST batches of lenet5_epoch for the workers (which then need no MNIST
    reader of their own); raises FileNotFoundError without MNIST."""
    from nn.data.mnist import default_root
    from tracegrad.cli.bench import mnist_batches

    batches = mnist_batches(Path(args.data_dir or default_root()), args.lenet_steps)
    path = os.path.join(folder, "mnist_batches.npz")
    np.savez(path, x=np.stack([x for x, _ in batches]), t=np.stack([t for _, t in batches]))
    return path


def run(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    """Measure every selected workload and column; print rows as they finish."""
    t0 = time.perf_counter()
    columns = [c for c in COLUMNS if c in (args.column or COLUMNS)]
    works = [w for w in WORKLOADS if w in (args.only or WORKLOADS)]
    result: dict[str, Any] = {
        "command": "python -m benchmarks.peers" + "".join(" " + shlex.quote(a) for a in argv),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "system": system_lines(),
        "columns": columns, "rounds": args.rounds, "lenet_steps": args.lenet_steps,
        "repeat": args.repeat or {w: REPEATS[w] for w in works}, "rows": [], "skipped": {},
    }
    print("\n".join(result["system"]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        batches_path = None
        if "lenet5_epoch" in works:
            try:
                batches_path = _write_batches(args, tmp)
            except FileNotFoundError as exc:
                works.remove("lenet5_epoch")
                result["skipped"]["lenet5_epoch"] = f"MNIST not found ({exc}); pass --data-dir"
                print(f"lenet5_epoch skipped: {result['skipped']['lenet5_epoch']}")
        measure = measure_in_process(args, batches_path)
        for work in works:
            row = measure_row(work, columns, args.rounds, measure)
            result["rows"].append(row)
            cells = _cells(row, columns, args.lenet_steps)
            print("  ".join(cells) + f"   (load {row['load_after'][0]:.2f})", flush=True)
    result["load_end"] = list(os.getloadavg())
    result["wall_s"] = time.perf_counter() - t0
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with --worker, one measurement) and print the table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        return _run_worker(args)
    result = run(args, argv)
    print("\n" + text_table(result["rows"], result["columns"], args.lenet_steps))
    for line in notes_lines(result["rows"]):
        print(line)
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in result['load_end'])}; "
          f"wall {result['wall_s']:.0f} s. Ratios: tracegrad's time / PyTorch's (above 1 = "
          "slower than PyTorch).")
    if args.markdown:
        print("\n----- Markdown for benchmarks/README.md -----\n" + markdown_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
