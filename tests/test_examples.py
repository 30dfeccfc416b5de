"""Smoke tests of examples/: each runs its `--quick` version in-process (via `main(argv)`)
and must show the outcome its docstring states, at the quick run's scale."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def example(name: str) -> ModuleType:
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(name)


def run(name: str, tmp_path: Path, mnist: bool = False) -> dict:
    if mnist and not (MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST files not available")
    argv = ["--quick", "--out", str(tmp_path)] + (["--data-dir", str(MNIST)] if mnist else [])
    return example(name).main(argv)


def pngs(tmp_path: Path) -> set[str]:
    return {p.name for p in tmp_path.glob("*.png") if p.read_bytes()[:4] == b"\x89PNG"}


def test_regression(tmp_path: Path) -> None:
    r = run("regression", tmp_path)
    assert abs(r["w"] - r["w_lstsq"]) < 1e-3 and abs(r["b"] - r["b_lstsq"]) < 1e-3
    assert abs(r["w"] - 2) < 0.1 and abs(r["b"] - 5) < 0.1 and r["mse"] < 0.02
    assert r["logistic_acc"] >= 0.95 and r["logistic_monotone"]
    assert "regression.png" in pngs(tmp_path)


def test_xor_spiral(tmp_path: Path) -> None:
    r = run("xor_spiral", tmp_path)
    assert r["xor_linear"] <= 0.75 and r["xor_mlp"] == 1.0
    assert r["spiral_linear"] < 0.7 and r["spiral_mlp"] >= 0.9
    assert {"xor_linear.png", "xor_mlp.png", "spiral_boundary.png"} <= pngs(tmp_path)


def test_init_comparison(tmp_path: Path) -> None:
    r = run("init_comparison", tmp_path)
    hist = r["hist"]
    assert min(hist["sigmoid, N(0,1)"]["saturated"]) >= 0.4
    assert max(hist["sigmoid, N(0,0.01)"]["std"][1:]) < 0.02
    assert min(hist["sigmoid, Xavier"]["std"]) > 0.05
    he, xavier = hist["relu, He"]["std"], hist["relu, Xavier"]["std"]
    assert xavier[-1] < xavier[0] / 2 and he[-1] > he[0] / 2
    sym = r["symmetry"]
    assert sym["zero"]["distinct_units"] == [1, 1] and sym["constant"]["distinct_units"] == [1, 1]
    assert sym["xavier"]["distinct_units"] == [10, 10] and sym["he"]["distinct_units"] == [10, 10]
    assert sym["zero"]["acc"] < 0.4 and sym["constant"]["acc"] < 0.6
    assert sym["xavier"]["acc"] >= 0.9 and sym["he"]["acc"] >= 0.9
    assert {"init_histograms.png", "init_symmetry.png"} <= pngs(tmp_path)


def test_vanishing_gradients(tmp_path: Path) -> None:
    r = run("vanishing_gradients", tmp_path)
    assert r["sigmoid"]["ratio"] > 1e3 and r["relu"]["ratio"] < 20
    assert r["sigmoid"]["acc"] < 0.45 and r["relu"]["acc"] >= 0.6
    assert "vanishing_gradients.png" in pngs(tmp_path)


def test_batchnorm_scales(tmp_path: Path) -> None:
    r = run("batchnorm_scales", tmp_path, mnist=True)
    wins = sum(b > p for p, b in zip(r["plain"], r["batchnorm"], strict=True))
    assert wins >= len(r["plain"]) - 1
    assert r["batchnorm"][-1] > 0.3 and r["plain"][-1] < 0.2  # the smallest scale
    assert "batchnorm_scales.png" in pngs(tmp_path)


def test_overfitting(tmp_path: Path) -> None:
    r = run("overfitting", tmp_path, mnist=True)
    plain, wd, drop = r["plain"], r["weight decay"], r["dropout"]
    assert plain["train_acc"] >= 0.95 and plain["gap"] > 0.15
    assert wd["gap"] < plain["gap"] and wd["train_acc"] < plain["train_acc"]
    assert drop["train_acc"] <= plain["train_acc"]
    assert "overfitting.png" in pngs(tmp_path)


def test_hyperparameter_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run("hyperparameter_search", tmp_path, mnist=True)
    scores = [row[0] for row in r["rows"]]
    assert scores == sorted(scores, reverse=True)
    assert all(1e-6 <= lr <= 1e-2 and 1e-8 <= wd <= 1e-4 for _, lr, wd in r["rows"])
    assert r["rows"][0][1] > 1e-4  # the winner has one of the larger learning rates
    assert "val acc | lr        | weight decay" in capsys.readouterr().out
    assert {"search_history.png", "search_importances.png", "search_slice_lr.png"} <= pngs(
        tmp_path)
    # --resume on the finished study runs nothing more and returns the same table
    again = example("hyperparameter_search").main(
        ["--quick", "--out", str(tmp_path), "--data-dir", str(MNIST), "--resume"])
    assert again["rows"] == r["rows"]


def test_conv_filters(tmp_path: Path) -> None:
    r = run("conv_filters", tmp_path, mnist=True)
    assert r["max_abs_error_vs_scipy"] < 1e-5
    assert abs(r["ink_blurred"] - r["ink"]) < 0.01 * r["ink"]
    assert r["peak_blurred"] < r["peak"] and r["sobel_on_background"] == 0.0
    assert "conv_filters.png" in pngs(tmp_path)


def test_rnn_sequences(tmp_path: Path) -> None:
    r = run("rnn_sequences", tmp_path)
    assert r["acc"] >= 0.9
    assert r["mse"] < 0.01 < r["mse_repeat"] < r["mse_zero"]
    assert "rnn_sequences.png" in pngs(tmp_path)


def test_ensemble(tmp_path: Path) -> None:
    r = run("ensemble", tmp_path, mnist=True)
    assert r["ensemble"] > sum(r["members"]) / len(r["members"])
    assert "ensemble.png" in pngs(tmp_path)


def test_examples_run_as_scripts(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(EXAMPLES / "regression.py"), "--quick", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert "least squares" in proc.stdout


def test_write_the_backward(tmp_path: Path) -> None:
    r = run("write_the_backward", tmp_path)
    assert r["statuses"] == ["fail", "error", "pass"]


# pytorch_mnist.py is pytorch/examples' program with only its imports renamed: its own options
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py")
                 if not p.name.startswith("_") and p.stem != "pytorch_mnist")


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_example_takes_quick_and_data_dir(name: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        example(name).main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "--quick" in text and "--data-dir" in text


def test_train_lenet5_mnist_quick() -> None:
    if not (MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST files not available")
    r = example("train_lenet5_mnist").main(["--quick", "--data-dir", str(MNIST)])
    assert r["test_acc"] >= 0.85  # two epochs on 4,000 images
