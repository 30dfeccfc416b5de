"""The `tracegrad` console script, run as `python -m tracegrad` in subprocesses: every --help,
the demo's outputs, train + resume, graph, bench, and one-line errors with exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nn

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
COMMANDS = ["demo", "train", "gradcheck", "graph", "exercise", "bench", "warmup"]


def cli(*args: str, cwd: Path | None = None,
        path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "tracegrad", *args], capture_output=True, text=True, cwd=cwd or ROOT,
        env=env, timeout=300,
    )


def one_line_error(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "error:" in lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def test_top_level_help_lists_every_subcommand() -> None:
    proc = cli("--help")
    assert proc.returncode == 0
    for name in COMMANDS:
        assert name in proc.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_subcommand_help(name: str) -> None:
    proc = cli(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: tracegrad {name}")


def test_no_subcommand_prints_help_and_fails() -> None:
    proc = cli()
    assert proc.returncode == 2 and "COMMAND" in proc.stdout


def test_demo_trains_checks_and_draws(tmp_path: Path) -> None:
    proc = cli("demo", "--out", str(tmp_path / "out"), "--epochs", "60", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    svg, png = tmp_path / "out" / "spiral_mlp_graph.svg", tmp_path / "out" / "decision_boundary.png"
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(svg) in proc.stdout and str(png) in proc.stdout
    assert "gradcheck: analytic and numerical gradients agree" in proc.stdout
    acc = float(proc.stdout.split("train accuracy ")[1].split("%")[0])
    assert acc >= 90.0  # 60 epochs of Adam fit the 3-arm spiral
    umask = os.umask(0)
    os.umask(umask)
    for f in (svg, png):  # the user's umask, like any other file they make
        assert f.stat().st_mode & 0o777 == 0o666 & ~umask, f


def test_demo_without_dot_still_writes_the_png_and_the_dot_source(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = cli("demo", "--out", str(out), "--epochs", "3", "--no-progress",
               path=str(tmp_path))  # no `dot` on PATH
    assert proc.returncode == 0, proc.stderr
    assert (out / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    dot = out / "spiral_mlp_graph.dot"
    assert dot.read_text().startswith("digraph")
    assert not (out / "spiral_mlp_graph.svg").exists()
    page = (out / "spiral_mlp_graph.html").read_text()
    assert "<script" in page and "layered (Python, by topological depth)" in page
    assert "warning:" in proc.stderr and f"dot -Tsvg {dot}" in proc.stderr
    assert str(dot) in proc.stdout


def test_graph_without_dot_writes_the_source_and_says_how_to_render(tmp_path: Path) -> None:
    proc = cli("graph", "mlp", "-o", str(tmp_path / "m.png"), path=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "m.dot").read_text().startswith("digraph")
    assert f"dot -Tpng {tmp_path / 'm.dot'} -o {tmp_path / 'm.png'}" in proc.stderr


def test_train_spiral_then_resume(tmp_path: Path) -> None:
    common = ["train", "--dataset", "spiral", "--out", str(tmp_path), "--no-progress"]
    first = cli(*common, "--epochs", "2")
    assert first.returncode == 0, first.stderr
    ckpt = tmp_path / "mlp_spiral.npz"
    assert ckpt.is_file() and "epoch 2/2" in first.stdout
    second = cli(*common, "--epochs", "3", "--resume", str(ckpt))
    assert second.returncode == 0, second.stderr
    assert "after epoch 2" in second.stdout and "epoch 3/3" in second.stdout
    assert "epoch 1/3" not in second.stdout
    done = cli(*common, "--epochs", "3", "--resume", str(ckpt))
    assert "nothing to train" in done.stdout


def test_train_mnist_subset(tmp_path: Path) -> None:
    if not (MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST files not available")
    proc = cli("train", "--data-dir", str(MNIST), "--limit", "500", "--epochs", "1",
               "--out", str(tmp_path), "--no-progress", "--optimizer", "momentum")
    assert proc.returncode == 0, proc.stderr
    assert "500 training, 10,000 test samples" in proc.stdout
    assert (tmp_path / "mlp_mnist.npz").is_file()


def test_train_missing_data_is_one_line(tmp_path: Path) -> None:
    proc = cli("train", "--data-dir", str(tmp_path / "nowhere"))
    one_line_error(proc, 1, "MNIST files not found", "--data-dir", "--download")


def test_bad_option_is_one_line() -> None:
    one_line_error(cli("train", "--model", "resnet"), 2, "invalid choice")
    one_line_error(cli("train", "--epochs", "many"), 2, "expected an integer, got 'many'")


def test_unreadable_checkpoint_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip archive at all")
    one_line_error(cli("train", "--dataset", "spiral", "--resume", str(junk)), 1, "junk.npz")
    one_line_error(cli("train", "--dataset", "spiral", "--resume", str(tmp_path / "gone.npz")),
                   1, "gone.npz")


def test_resume_with_other_model_is_refused(tmp_path: Path) -> None:
    proc = cli("train", "--dataset", "spiral", "--epochs", "1", "--out", str(tmp_path),
               "--no-progress", "--optimizer", "sgd")
    assert proc.returncode == 0, proc.stderr
    again = cli("train", "--dataset", "spiral", "--resume", str(tmp_path / "mlp_spiral.npz"))
    one_line_error(again, 1, "--optimizer sgd")


def test_lenet_on_spiral_is_refused() -> None:
    one_line_error(cli("train", "--model", "lenet5", "--dataset", "spiral"), 2, "image input")


def test_graph_of_a_user_function(tmp_path: Path) -> None:
    src = tmp_path / "userfn.py"
    src.write_text("import autograd as ag\n\ndef loss(x, w):\n    return ag.tanh(x @ w).sum()\n")
    out = tmp_path / "loss.dot"
    proc = cli("graph", f"{src}:loss", "--shape", "2,3", "--shape", "3,4", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "with the backward pass" in proc.stdout and out.read_text().startswith("digraph")
    one_line_error(cli("graph", f"{src}:loss", "--shape", "2,3"), 2, "takes 2 positional")
    one_line_error(cli("graph", f"{src}:nope"), 2, "no function 'nope'")
    one_line_error(cli("graph", "nosuchfile.py:f"), 2, "no such file")


def test_graph_of_a_model(tmp_path: Path) -> None:
    out = tmp_path / "mlp.svg"
    proc = cli("graph", "mlp", "--dataset", "spiral", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "<svg" in out.read_text()


def test_gradcheck_subcommand_is_wired(tmp_path: Path) -> None:
    src = tmp_path / "f.py"
    src.write_text("def f(x):\n    return (x.tanh() * x).sum()\n")
    proc = cli("gradcheck", f"{src}:f", "--shape", "3")
    assert proc.returncode == 0, proc.stderr
    assert "PASS" in proc.stdout


def test_bench_quick_runs() -> None:
    proc = cli("bench", "--quick", "--only", "scalar_chain", "--only", "mlp_step_b1")
    assert proc.returncode == 0, proc.stderr
    assert "scalar chain" in proc.stdout and "batch 1 " in proc.stdout and " ms" in proc.stdout


def test_bench_compiled_times_or_says_why_not() -> None:
    proc = cli("bench", "--quick", "--compiled", "--only", "scalar_chain")
    if proc.returncode == 0:  # ag.compile exists and traced the chain
        assert "tracegrad compiled" in proc.stdout and " ms" in proc.stdout
    else:  # one line naming what is missing or what raised
        one_line_error(proc, 1, "--compiled", "compile")


def test_main_returns_exit_codes_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from tracegrad.cli import main

    assert main(["train", "--batch-size", "0", "--dataset", "spiral"]) == 2
    assert capsys.readouterr().err.startswith("tracegrad train: error: argument --batch-size")
    assert main(["train", "--dataset", "spiral", "--data-dir", "x", "--resume", "gone.npz"]) == 1
    assert "gone.npz" in capsys.readouterr().err


@pytest.fixture(scope="module")
def genuine_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real spiral checkpoint written by `tracegrad train`, shared by the tamper tests."""
    out = tmp_path_factory.mktemp("genuine")
    proc = cli("train", "--dataset", "spiral", "--epochs", "1", "--out", str(out),
               "--no-progress")
    assert proc.returncode == 0, proc.stderr
    return out / "mlp_spiral.npz"


def _tampered(genuine: Path, tmp_path: Path, **changes: object) -> Path:
    """The genuine checkpoint with some fields replaced (None deletes the field)."""
    ckpt = nn.load(genuine)
    for key, value in changes.items():
        if value is None:
            del ckpt[key]
        else:
            ckpt[key] = value
    out = tmp_path / "tampered.npz"
    nn.save(ckpt, out)
    return out


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"epoch": -5}, "'epoch' must be an int >= 0, got -5"),
        ({"epoch": "3"}, "'epoch' must be an int"),
        ({"epoch": None}, "'epoch' is missing"),
        ({"model_state": None}, "'model_state' is missing"),
        ({"optimizer_state": None}, "'optimizer_state' is missing"),
        ({"config": "mlp"}, "'config' must be a dict, not str"),
        ({"model_state": [1, 2]}, "'model_state' must map parameter names to arrays"),
        ({"test_acc": 7.0}, "'test_acc' must be a float in [0, 1]"),
    ],
)
def test_resume_validates_every_checkpoint_field(
    genuine_checkpoint: Path, tmp_path: Path, changes, field
) -> None:
    bad = _tampered(genuine_checkpoint, tmp_path, **changes)
    proc = cli("train", "--dataset", "spiral", "--epochs", "2", "--resume", str(bad),
               "--out", str(tmp_path), "--no-progress")
    one_line_error(proc, 1, str(bad), field)
    assert "epoch -4" not in proc.stdout


def test_graph_accepts_a_star_args_function_like_gradcheck(tmp_path: Path) -> None:
    src = tmp_path / "star.py"
    src.write_text("def total(*xs):\n    out = xs[0]\n    for x in xs[1:]:\n"
                   "        out = out * x\n    return out.sum()\n")
    out = tmp_path / "star.dot"
    proc = cli("graph", f"{src}:total", "--shape", "3", "--shape", "3", "--shape", "3",
               "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().count("multiply") >= 2
    one_line_error(cli("graph", f"{src}:total", "-o", str(out)), 2, "give one --shape")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["dmeo"], ["invalid choice: 'dmeo'", "did you mean 'demo'?"]),
        (["train", "--optimizer", "adma"], ["did you mean 'adam'?"]),
        (["train", "--epochs", "0"], ["argument --epochs", "positive integer, got 0"]),
        (["train", "--batch-size", "0"], ["argument --batch-size", "got 0"]),
        (["train", "--limit", "-5"], ["argument --limit", "got -5"]),
        (["train", "--lr", "-1"], ["argument --lr", "positive finite number, got -1"]),
        (["train", "--weight-decay", "nan"], ["argument --weight-decay"]),
        (["demo", "--epochs", "0"], ["argument --epochs"]),
        (["bench", "--repeat", "0"], ["argument --repeat"]),
        (["graph", "resnet"], ["unknown target 'resnet'", "mlp, lenet5, alexnet, vgg"]),
        (["graph", "lenet5", "--shape", "3,4"], ["--shape applies to file.py:function"]),
        (["graph", "lenet5", "--dataset", "spiral"], ["lenet5 needs image input"]),
        (["graph", "lenet5", "--batch", "0"], ["argument --batch"]),
        (["graph", "lenet5", "-o", "/nonexistent/dir/g.svg"],
         ["directory /nonexistent/dir does not exist"]),
        (["graph", "lenet5", "-o", "README.md/g.svg"], ["README.md is a file"]),
        (["graph", "lenet5", "-o", "g.gif"], ["unsupported output 'g.gif'"]),
    ],
)
def test_bad_command_lines_exit_2_with_the_option_named(argv: list[str], words: list[str]) -> None:
    proc = cli(*argv)
    one_line_error(proc, 2, *words)
    assert "--model" not in proc.stderr or "--model" in " ".join(argv)
    assert not Path("/nonexistent").exists()


def test_graph_function_options_that_do_not_apply_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "f.py"
    src.write_text("def f(x):\n    return (x * x).sum()\n")
    one_line_error(cli("graph", f"{src}:f", "--shape", "3", "--batch", "4"), 2,
                   "--batch applies to model targets")


def test_out_folder_is_made_but_never_its_parents(tmp_path: Path) -> None:
    proc = cli("train", "--dataset", "spiral", "--epochs", "1", "--no-progress",
               "--out", str(tmp_path / "missing" / "ckpts"))
    one_line_error(proc, 2, "parent", "does not exist")
    assert not (tmp_path / "missing").exists()


def test_bench_quick_without_mnist_skips_that_row(tmp_path: Path) -> None:
    proc = cli("bench", "--quick", "--only", "scalar_chain", "--only", "lenet5_epoch",
               "--data-dir", str(tmp_path))
    one_line_error(proc, 1, "lenet5_epoch needs MNIST")
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from tracegrad.cli import main; "
         "from tracegrad.cli import bench; bench.WORKLOADS = ('scalar_chain', 'lenet5_epoch'); "
         f"sys.exit(main(['bench', '--quick', '--data-dir', {str(tmp_path)!r}]))"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped" in proc.stdout and "needs MNIST" in proc.stdout


def test_resume_accepts_a_safetensors_checkpoint(genuine_checkpoint: Path, tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    converted = tmp_path / "ckpt.safetensors"
    nn.save(nn.load(genuine_checkpoint), converted)
    proc = cli("train", "--dataset", "spiral", "--epochs", "2", "--resume", str(converted),
               "--out", str(tmp_path), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "after epoch 1" in proc.stdout and "epoch 2/2" in proc.stdout
