"""The optimizer examples run (quick mode) and show what their docstrings promise."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("nn")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_gd_sgd_minibatch(monkeypatch, tmp_path, capsys):
    res = load("gd_sgd_minibatch", monkeypatch).main(["--quick", "--out", str(tmp_path)])
    gd, mini, sgd = res["full batch (GD)"], res["mini-batch 16"], res["batch 1 (SGD)"]
    assert gd["updates"] < mini["updates"] < sgd["updates"]
    assert max(sgd["loss"], mini["loss"]) < gd["loss"]  # per epoch, more updates win
    assert gd["monotone"]  # the exact gradient descends every epoch
    assert (tmp_path / "gd_sgd_minibatch.png").stat().st_size > 0
    assert "batch 1 (SGD)" in capsys.readouterr().out


@pytest.mark.slow
def test_optimizers_compare(monkeypatch, tmp_path):
    res = load("optimizers_compare", monkeypatch).main(["--quick", "--out", str(tmp_path)])
    assert set(res) == {"SGD", "Momentum", "Adagrad", "RMSprop", "Adam"}
    assert all(res[k]["loss"] < res["SGD"]["loss"] for k in ("Momentum", "RMSprop", "Adam"))
    assert (tmp_path / "optimizers_compare.png").stat().st_size > 0
