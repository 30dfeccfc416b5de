"""`python -m tracegrad.cli.gradcheck file.py:function --shape ...` from a fresh interpreter."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracegrad.cli import gradcheck as cli_gradcheck

ROOT = Path(__file__).resolve().parents[2]

USER_FILE = textwrap.dedent(
    """
    import numpy as np
    import autograd as ag
    from autograd.registry import Primitive

    def model(x, w):
        return ag.tanh(x @ w).sum(axis=0)

    _bad = Primitive("_test_cli_bad_sin", np.sin)
    _bad.defvjp(lambda g, ans, x: g * 1.01 * ag.cos(x))

    def wrong(x):
        return (_bad(x) * 2.0).sum()

    SAMPLE = np.random.default_rng(0).standard_normal(4)  # what the CLI draws for --seed 0

    def kink(x):
        return ag.abs(x - SAMPLE)

    not_callable = 3
    """
)


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = tmp_path / "user_model.py"
    path.write_text(USER_FILE)
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tracegrad.cli.gradcheck", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )


def test_passing_function_prints_a_table_and_exits_0(user_file):
    res = _cli(f"{user_file}:model", "--shape", "3,4", "--shape", "4,2", "--gradgrad")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert any(line.split()[:2] == ["input", "shape"] for line in lines)
    assert any(line.startswith("input 0  (3, 4)") and line.endswith("pass") for line in lines)
    assert any(line.startswith("input 1  (4, 2)") and line.endswith("pass") for line in lines)
    assert "grad_output" in res.stdout and res.stdout.count("PASS") == 2


def test_failing_function_exits_1_and_names_the_op(user_file):
    res = _cli(f"{user_file}:wrong", "--shape", "5", "--seed", "3")
    assert res.returncode == 1, res.stderr
    assert "FAIL" in res.stdout
    assert "Jacobian mismatch for input 0" in res.stdout
    assert "_test_cli_bad_sin" in res.stdout  # the per-op pass pins the culprit
    res_fast = _cli(f"{user_file}:wrong", "--shape", "5", "--fast")
    assert res_fast.returncode == 1


def test_kink_passes_with_a_note(user_file):
    res = _cli(f"{user_file}:kink", "--shape", "4")
    assert res.returncode == 0, res.stderr
    assert "pass (kink)" in res.stdout and "not differentiable" in res.stdout


@pytest.mark.parametrize(
    ("target", "shape", "needle"),
    [
        ("missing.py:model", "3", "no such file"),
        ("{file}:nope", "3", "has no function 'nope'"),
        ("{file}:not_callable", "3", "not a function"),
        ("{file}", "3", "expected path/to/file.py:function"),
        ("{file}:model", "3,x", "bad --shape"),
        ("{file}:model", "3", "failed: "),  # f(x) with one input: a clear one-line error
    ],
)
def test_usage_errors_are_one_line_and_exit_2(user_file, target, shape, needle):
    res = _cli(target.format(file=user_file), "--shape", shape)
    assert res.returncode == 2
    assert needle in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_add_parser_wires_into_a_parent_cli(user_file, capsys):
    parser = argparse.ArgumentParser(prog="tracegrad")
    sub = parser.add_subparsers(dest="command")
    cli_gradcheck.add_parser(sub)
    args = parser.parse_args(["gradcheck", f"{user_file}:model", "--shape", "2,3",
                              "--shape", "3,2"])
    assert args.func is cli_gradcheck.run
    assert args.func(args) == 0
    assert "PASS" in capsys.readouterr().out
    assert cli_gradcheck.parse_shape("") == () and cli_gradcheck.parse_shape("(2, 3)") == (2, 3)


# ----- issue 14 cases 10 and 12: hostile user files, bad numbers, odd shapes -----


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_gradcheck.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_that_exits_at_import_is_reported(tmp_path, capsys):
    src = tmp_path / "exits.py"
    src.write_text("import sys\nsys.exit(7)\ndef f(x):\n    return x.sum()\n")
    code, _, err = _run(capsys, f"{src}:f", "--shape", "3")
    assert code == 2
    assert "called sys.exit(7)" in err and "__main__" in err


def test_a_file_that_parses_argv_at_import_sees_only_itself(tmp_path, capsys):
    src = tmp_path / "script.py"
    src.write_text(textwrap.dedent("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        ARGS = parser.parse_args()
        def f(x):
            return (x * ARGS.lr).sum()
    """))
    code, out, err = _run(capsys, f"{src}:f", "--shape", "3", "--seed", "1")
    assert code == 0, err
    assert "PASS" in out
    assert sys.argv[0] != str(src)  # restored afterwards


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--shape", "3,,4"], "empty size between commas"),
        (["--shape", "3", "--eps", "0"], "--eps must be a positive finite number, got 0.0"),
        (["--shape", "3", "--eps", "-1"], "--eps must be a positive finite number"),
        (["--shape", "3", "--eps", "nan"], "--eps must be a positive finite number, got nan"),
        (["--shape", "3", "--atol", "inf"], "--atol must be a finite number >= 0"),
        (["--shape", "3", "--rtol", "-0.1"], "--rtol must be a finite number >= 0"),
        (["--shape", "100000000,4"], "add --fast"),
        (["--shape", "100000000,4", "--fast"], "handles at most"),
    ],
)
def test_bad_numbers_and_shapes_are_usage_errors(tmp_path, capsys, argv, needle):
    src = tmp_path / "plain.py"
    src.write_text("def f(x):\n    return (x * x).sum()\n")
    code, out, err = _run(capsys, f"{src}:f", *argv)
    assert code == 2
    assert needle in err
    assert "FAIL" not in out


def test_a_zero_size_input_is_not_blamed_on_strides(tmp_path, capsys):
    src = tmp_path / "empty.py"
    src.write_text("def f(x):\n    return (x * 2.0).sum()\n")
    code, out, err = _run(capsys, f"{src}:f", "--shape", "0,4")
    assert code == 0, err
    assert "stride" not in out + err
    assert "no elements" in out and "PASS" in out


def test_parse_shape_keeps_one_tuples():
    assert cli_gradcheck.parse_shape("3,") == (3,)
    with pytest.raises(cli_gradcheck.UsageError, match="empty size"):
        cli_gradcheck.parse_shape(",3")


# ----- issue 16 section 2: failures explain themselves -----

# Imported in-process once (a primitive name registers once per interpreter).
DOUBLED_FILE = textwrap.dedent(
    """
    import numpy as np
    import autograd as ag
    from autograd.registry import Primitive

    _twice = Primitive("_test_cli_twice_sin", np.sin)
    _twice.defvjp(lambda g, ans, x: 2.0 * g * ag.cos(x))

    def doubled(w):
        return (_twice(w) * np.arange(1.0, 7.0).reshape(2, 3)).sum()
    """
)

EXPLAIN_FILE = textwrap.dedent(
    """
    import autograd as ag

    def offset(x):
        return (ag.sin(x) + 1e8).sum()

    def fine(x):
        return ag.tanh(x).sum()
    """
)


@pytest.fixture
def explain_file(tmp_path: Path) -> Path:
    path = tmp_path / "explain_model.py"
    path.write_text(EXPLAIN_FILE)
    return path


def test_a_failure_prints_the_verdict_and_worst_entries(tmp_path, capsys):
    src = tmp_path / "doubled.py"
    src.write_text(DOUBLED_FILE)
    code, out, err = _run(capsys, f"{src}:doubled", "--shape", "2,3")
    assert code == 1, err
    assert "verdict: bug: a real VJP bug" in out
    assert "input 0: pattern: constant factor (analytic = 2 x numerical)" in out
    worst = [line for line in out.splitlines() if line.startswith("  (")]
    assert len(worst) == 5
    assert worst[0].startswith("  (1, 2): analytic") and "numerical" in worst[0]
    assert "_test_cli_twice_sin" in out  # the per-op pass still runs


def test_rounding_trouble_is_called_a_precision_problem(explain_file, capsys):
    code, out, _ = _run(capsys, f"{explain_file}:offset", "--shape", "6")
    assert code == 1
    verdict = next(line for line in out.splitlines() if line.startswith("verdict:"))
    assert verdict.startswith("verdict: precision: eps/precision problem, not a VJP bug")
    assert "passes" in verdict


def test_plot_writes_the_sweep_even_on_a_pass(explain_file, tmp_path, capsys):
    path = tmp_path / "sweep.png"
    code, out, _ = _run(capsys, f"{explain_file}:fine", "--shape", "3", "--plot", str(path))
    assert code == 0
    assert "verdict: pass" in out and f"plot written to {path}" in out
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_a_passing_check_without_plot_prints_no_sweep(explain_file, capsys):
    code, out, _ = _run(capsys, f"{explain_file}:fine", "--shape", "3")
    assert code == 0 and "verdict" not in out


def test_a_second_order_failure_is_explained(tmp_path, capsys):
    src = tmp_path / "second.py"
    src.write_text(textwrap.dedent("""
        import numpy as np
        import autograd as ag
        from autograd.registry import Primitive

        _cos = Primitive("_test_cli_cos_off", np.cos)
        _cos.defvjp(lambda g, ans, x: -1.5 * g * ag.sin(x))
        _sin = Primitive("_test_cli_sin_2nd", np.sin).defvjp(lambda g, ans, x: g * _cos(x))

        def f(x):
            return _sin(x).sum()
    """))
    code, out, _ = _run(capsys, f"{src}:f", "--shape", "3", "--gradgrad")
    assert code == 1
    first, second = out.split("second derivatives")
    assert "PASS" in first and "verdict" not in first
    assert "verdict: bug" in second and "constant factor (analytic = 1.5 x numerical)" in second
