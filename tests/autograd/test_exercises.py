"""Write-the-backward exercises: every reference passes, planted bugs fail with the right name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from autograd.exercises import EXERCISES, load_module

ROOT = Path(__file__).resolve().parents[2]
NAMES = list(EXERCISES)


def _scaled(ex, k: float):
    """The reference VJP with every gradient multiplied by k (k=-1: sign flip, 2: doubled)."""
    def backward(g, cache):
        res = ex.reference(g, cache)
        res = res if isinstance(res, tuple) else (res,)
        return tuple(k * np.asarray(r) for r in res)
    return backward


def test_catalogue_follows_the_seeds():
    assert set(NAMES) == {"sigmoid", "tanh", "relu", "softmax_cross_entropy", "matmul",
                          "affine", "batch_norm", "dropout", "conv2d", "max_pool", "rnn_step"}
    for ex in EXERCISES.values():
        assert 2 <= len(ex.hints) <= 3, ex.name


@pytest.mark.parametrize("name", NAMES)
def test_reference_passes_the_check(name):
    result = ag.exercise(name).check(EXERCISES[name].reference)
    assert result.status == "pass", result.explain()
    assert result.graph_check.nodes[result.op_id].status == "ok"
    assert all(f.passed for f in result.findings)


@pytest.mark.parametrize("name", NAMES)
def test_sign_flip_is_named(name):
    result = ag.exercise(name).check(_scaled(EXERCISES[name], -1.0))
    assert result.status == "fail"
    assert [f.pattern for f in result.findings] == ["sign flip"] * len(result.findings)
    assert "sign flipped" in result.headline
    assert result.graph_check.nodes[result.op_id].status == "fail"
    assert "eps sweep: bug" in result.explain()  # a real VJP bug, not eps noise


@pytest.mark.parametrize("name", NAMES)
def test_doubled_gradient_is_a_constant_factor_2(name):
    result = ag.exercise(name).check(_scaled(EXERCISES[name], 2.0))
    assert result.status == "fail"
    assert all(f.pattern == "constant factor" for f in result.findings)
    assert "off by a constant factor 2" in result.findings[0].explanation


def test_transposed_weight_gradient_is_named():
    result = ag.exercise("matmul").check(lambda g, c: (g @ c[1].T, g.T @ c[0]))
    da, db = result.findings
    assert da.passed and not db.passed
    assert db.pattern == "transposed" and "transposed" in result.headline
    result = ag.exercise("affine").check(lambda g, c: (g @ c[1].T, g.T @ c[0], g.sum(0)))
    assert [f.pattern for f in result.findings] == [None, "transposed", None]


def test_missing_mean_and_scale_are_factors():
    ce = ag.exercise("softmax_cross_entropy")

    def no_mean(g, cache):  # forgot the 1/N of the mean over 4 rows
        p, labels = cache
        d = p.copy()
        d[np.arange(len(labels)), labels] -= 1
        return g * d

    f = ce.check(no_mean).findings[0]
    assert f.pattern == "constant factor" and "factor 4" in f.explanation
    drop = ag.exercise("dropout").check(lambda g, c: g * c[0])  # forgot the 1 / (1 - p)
    assert drop.findings[0].pattern == "constant factor"
    assert "factor 0.6" in drop.findings[0].explanation


def test_zero_row_is_named():
    def first_row_lost(g, cache):
        a, b = cache
        da = g @ b.T
        da[0] = 0.0
        return da, a.T @ g

    f = ag.exercise("matmul").check(first_row_lost).findings[0]
    assert f.pattern == "zero row" and "[0]" in f.explanation


def test_batch_norm_without_the_batch_terms_fails():
    def per_row(g, cache):  # treats mean and variance as constants
        x_hat, gamma, inv_std = cache
        return g * gamma * inv_std, (g * x_hat).sum(0), g.sum(0)

    result = ag.exercise("batch_norm").check(per_row)
    assert result.status == "fail"
    assert [f.passed for f in result.findings] == [False, True, True]


def test_unsummed_bias_gradient_is_a_shape_error_with_the_fix():
    result = ag.exercise("affine").check(lambda g, c: (g @ c[1].T, c[0].T @ g, g))
    assert result.status == "error"
    assert "dL/db has shape (3, 4); it must have b's shape (4,)" in result.headline
    assert "sum it over axis (0,)" in result.headline
    assert result.graph_check.nodes[result.op_id].status == "fail"  # still drawn, failed


def test_wrong_count_and_raising_backward_are_errors():
    r = ag.exercise("matmul").check(lambda g, c: g @ c[1].T)
    assert r.status == "error" and "must return 2 gradient(s)" in r.headline

    def broken(g, cache):
        return g / undefined_name  # noqa: F821 - the learner's bug

    r = ag.exercise("tanh").check(broken)
    assert r.status == "error" and "NameError" in r.headline and "line" in r.headline


def test_in_place_write_to_g_is_noted():
    def in_place(g, cache):
        (x,) = cache
        g[x <= 0] = 0.0
        return g

    r = ag.exercise("relu").check(in_place)
    assert r.passed
    assert any("modified g or the cache in place" in n for n in r.notes)


def test_starter_file_round_trip(tmp_path):
    ex = ag.exercise("conv2d")
    path = ex.start(tmp_path)
    assert path.name == "exercise_conv2d.py"
    text = path.read_text()
    assert "def forward(x: np.ndarray, w: np.ndarray" in text and "def im2col(" in text
    assert "EXERCISE = 'conv2d'" in text and "# Hint 1:" in text
    assert "conv2d_backward" not in text and "dxp" not in text  # the answer is not in it
    assert ex.check(path).status == "todo"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        ex.start(tmp_path)
    # the given forward in the starter is the checker's forward
    module = load_module(path)
    sample = ex.inputs(0)
    np.testing.assert_array_equal(module.forward(*sample.values())[0],
                                  ex.forward(*sample.values())[0])


def test_starter_of_another_exercise_is_refused(tmp_path):
    path = ag.exercise("tanh").start(tmp_path)
    with pytest.raises(ValueError, match="starter of exercise 'tanh', not 'sigmoid'"):
        ag.exercise("sigmoid").check(path)


def test_hints_are_graded_and_solution_needs_reveal():
    ex = ag.exercise("sigmoid")
    assert ex.hint(1).count("hint ") == 1 and "--level 2" in ex.hint(1)
    assert ex.hint(99).count("hint ") == 3
    with pytest.raises(ValueError, match="hint level"):
        ex.hint(0)
    with pytest.raises(PermissionError, match="reveal=True"):
        ex.solution()
    assert "return g * y * (1.0 - y)" in ex.solution(reveal=True)


def test_unknown_name_suggests():
    with pytest.raises(KeyError, match="did you mean 'sigmoid'"):
        ag.exercise("sigmod")


def test_users_own_function():
    def f(x, w):
        return ag.tanh(x @ w).sum(axis=0)

    ex = ag.exercise(f, [np.full((2, 3), 0.3), np.full((3, 3), 0.2)])
    assert ex.wrt == ("x", "w")
    assert ex.check(ex.reference).passed

    def forgot_tanh(g, cache):
        x, w = cache
        gz = np.broadcast_to(g, (2, 3))
        return gz @ w.T, x.T @ gz

    assert ex.check(forgot_tanh).status == "fail"


def test_autograd_does_not_import_viz():
    code = ("import sys, autograd as ag; r = ag.exercise('tanh').check("
            "ag.exercise('tanh').reference); assert 'viz' not in sys.modules; "
            "assert 'import viz' in r._repr_html_()")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("name", NAMES)
def test_reference_matches_torch(name):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    ex = EXERCISES[name]
    sample = ex.inputs(3)
    t = {k: torch.tensor(v, requires_grad=k in ex.wrt) if isinstance(v, np.ndarray) else v
         for k, v in sample.items()}
    forwards = {
        "sigmoid": lambda: torch.sigmoid(t["x"]),
        "tanh": lambda: torch.tanh(t["x"]),
        "relu": lambda: torch.relu(t["x"]),
        "softmax_cross_entropy": lambda: F.cross_entropy(t["logits"], t["labels"]),
        "matmul": lambda: t["a"] @ t["b"],
        "affine": lambda: t["x"] @ t["w"] + t["b"],
        "batch_norm": lambda: F.batch_norm(t["x"], None, None, t["gamma"], t["beta"],
                                           training=True, eps=t["eps"]),
        "dropout": lambda: t["x"] * t["mask"] / (1 - t["p"]),
        "rnn_step": lambda: torch.tanh(t["x"] @ t["wx"] + t["h_prev"] @ t["wh"] + t["b"]),
        "conv2d": lambda: F.conv2d(t["x"], t["w"], t["b"], stride=t["stride"],
                                   padding=t["pad"]),
        "max_pool": lambda: F.max_pool2d(t["x"], 2),
    }
    out = forwards[name]()
    ours, cache = ex.forward(*sample.values())
    np.testing.assert_allclose(out.detach().numpy(), ours, rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(5).standard_normal(ours.shape)
    theirs = torch.autograd.grad(out, [t[k] for k in ex.wrt], torch.tensor(g))
    mine = ex.reference(g, cache)
    mine = mine if isinstance(mine, tuple) else (mine,)
    for k, a, b in zip(ex.wrt, mine, theirs, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


def test_backward_failing_only_on_a_later_call_is_an_error_not_a_crash():
    calls = []

    def flaky(g, cache):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("only the first call works")
        return g * (1 - cache[0] ** 2)

    r = ag.exercise("tanh").check(flaky)
    assert r.status == "error" and "only the first call works" in r.headline
    assert "test_exercises.py" in r.headline  # the learner's line, not numpy's or ours
