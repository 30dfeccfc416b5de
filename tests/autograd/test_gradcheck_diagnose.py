"""Gradient checks that explain themselves: the eps sweep's verdicts and the mismatch map's
patterns, each planted in a throwaway `_test_` primitive with a known wrong VJP."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.registry import Primitive

RNG = np.random.default_rng(7)
W = RNG.standard_normal((4, 4))
X = RNG.standard_normal((3, 4))
C = RNG.standard_normal((3, 5))
ROW1_DROPPED = np.ones((3, 5))
ROW1_DROPPED[1] = 0.0
COL2_DROPPED = np.ones((3, 5))
COL2_DROPPED[:, 2] = 0.0


def _sin_with(name: str, wrong):
    """sin whose VJP is `wrong(g, x)` instead of g * cos(x)."""
    return Primitive(name, np.sin).defvjp(lambda g, ans, x: wrong(g, x))


_zero_row = _sin_with("_test_diag_zero_row", lambda g, x: g * ag.cos(x) * ROW1_DROPPED)
_zero_col = _sin_with("_test_diag_zero_col", lambda g, x: g * ag.cos(x) * COL2_DROPPED)
_double = _sin_with("_test_diag_double", lambda g, x: 2.0 * g * ag.cos(x))
_half = _sin_with("_test_diag_half", lambda g, x: 0.5 * g * ag.cos(x))
_flip = _sin_with("_test_diag_flip", lambda g, x: -(g * ag.cos(x)))
_off = _sin_with("_test_diag_off", lambda g, x: 1.01 * g * ag.cos(x))
_zero_row4 = _sin_with("_test_diag_zero_row4",
                       lambda g, x: g * ag.cos(x) * np.where(np.arange(3)[:, None] == 0, 0.0,
                                                             1.0))
# sin whose VJP swaps the top and bottom halves of the gradient (blocks in the wrong place).
_swapped = Primitive("_test_diag_swapped", np.sin).defvjp(
    lambda g, ans, x: ag.concatenate([(g * ag.cos(x))[2:], (g * ag.cos(x))[:2]]))
# x @ w whose VJP for w returns the transpose of the right gradient (x.T @ g).
_matmul_t = Primitive("_test_diag_matmul_t", lambda w: X @ w).defvjp(
    lambda g, ans, w: ag.matmul(ag.Tensor(X.T), g).T)


def _report(prim, x, **kw):
    return ag.gradcheck_report(lambda a: (prim(a) * C).sum(), x, **kw)


@pytest.mark.parametrize(
    ("prim", "pattern", "lines"),
    [(_zero_row, "zero row", [(1,)]), (_zero_col, "zero column", [(2,)])],
)
def test_a_dropped_row_or_column_is_named(prim, pattern, lines):
    rep = _report(prim, RNG.standard_normal((3, 5)))
    assert not rep.passed
    mm = rep.mismatch_map()
    assert mm.pattern == pattern and mm.lines == lines
    assert f"{pattern.split()[1]}s [{lines[0][0]}] (a missing term)" in mm.detail
    assert mm.array.shape == (3, 5)
    idx, a, n = mm.worst(1)[0]
    assert a == 0.0 and n != 0.0
    assert (idx[0] if pattern == "zero row" else idx[1]) == lines[0][0]
    # the map is exact outside the dropped line
    keep = np.ones((3, 5), bool)
    if pattern == "zero row":
        keep[1] = False
    else:
        keep[:, 2] = False
    assert np.max(mm.array[keep]) < 1e-6


def test_a_transposed_gradient_is_named():
    rep = ag.gradcheck_report(lambda w: (_matmul_t(w) * C[:, :4]).sum(), W.copy())
    assert not rep.passed
    mm = rep.mismatch_map(input=0)
    assert mm.pattern == "transposed"
    assert "transposed" in mm.detail
    np.testing.assert_allclose(mm.analytic, mm.numerical.T, atol=1e-6)


# x @ w whose VJP for w returns the transpose of the right gradient, (x.T @ g).T.
_matmul2_t = Primitive("_test_diag_matmul2_t", lambda x, w: x @ w).defvjp(
    lambda g, ans, x, w: ag.matmul(g, w.T), lambda g, ans, x, w: ag.matmul(x.T, g).T)


def test_probes_are_not_the_inputs_drawn_from_the_same_seed():
    # `tracegrad gradcheck --seed 0` draws its inputs from default_rng(0) and checks with
    # seed=0. A probe v from that same stream equals x, and the wrong (x.T @ v).T = x.T @ x
    # is symmetric: the transposed gradient would look right.
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    rep = ag.gradcheck_report(_matmul2_t, (x, w), seed=0)
    assert not rep.passed
    assert rep.mismatch_map(input=1).pattern == "transposed"


def test_swapped_blocks_read_as_transposed():
    mm = ag.gradcheck_report(lambda a: (_swapped(a) * C[:, :4].T).sum(),
                             RNG.standard_normal((4, 3))).mismatch_map()
    assert mm.pattern == "transposed"
    assert mm.detail == "the two halves along axis 0 are swapped"


@pytest.mark.parametrize(("prim", "factor"), [(_double, 2.0), (_half, 0.5)])
def test_doubled_or_halved_accumulation_reports_the_factor(prim, factor):
    mm = _report(prim, RNG.standard_normal((3, 5))).mismatch_map()
    assert mm.pattern == "constant factor"
    assert mm.factor == pytest.approx(factor, rel=1e-6)
    assert f"{factor:.4g} x numerical" in mm.detail


def test_a_sign_flip_is_named():
    mm = _report(_flip, RNG.standard_normal((3, 5))).mismatch_map()
    assert mm.pattern == "sign flip" and mm.factor == -1.0


def test_a_correct_gradient_has_no_pattern_and_a_tiny_map():
    rep = ag.gradcheck_report(lambda a: (ag.sin(a) * C).sum(), RNG.standard_normal((3, 5)))
    mm = rep.mismatch_map(0)
    assert rep.passed and mm.pattern is None
    assert np.max(mm.array) < 1e-6


def test_conv_weight_maps_as_tiles_and_rows_use_the_last_two_dims():
    w = RNG.standard_normal((2, 2, 3, 3))
    rep = ag.gradcheck_report(lambda a: _zero_row4(a).sum(), w)
    mm = rep.mismatch_map()
    assert mm.array.shape == (2, 2, 3, 3)
    assert mm.pattern == "zero row"
    assert mm.lines == [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0)]
    assert "rows [0] of every 3x3 slice" in mm.detail
    fig = mm.plot()
    img = fig.axes[0].images[0].get_array()
    assert img.shape == (2 * 4 - 1, 2 * 4 - 1)  # oc x ic tiles of kh x kw, 1-pixel gaps
    assert np.ma.getmaskarray(img)[3].all()  # the separator row between out channels


def test_mismatch_map_vector_output_and_bad_input_choice():
    rep = ag.gradcheck_report(lambda a: _double(a) * 3.0, RNG.standard_normal(4))
    mm = rep.mismatch_map("input 0")
    assert mm.pattern == "constant factor" and mm.factor == pytest.approx(2.0)
    with pytest.raises(IndexError, match="out of range"):
        rep.mismatch_map(3)
    with pytest.raises(KeyError, match="no input labelled"):
        rep.mismatch_map("input 9")
    text = mm.summary(2)
    assert "constant factor" in text and "analytic" in text and "numerical" in text


# ----- eps sweep -----


def test_a_real_bug_plateaus():
    rep = ag.gradcheck_report(lambda a: _off(a).sum(), RNG.standard_normal(4))
    sweep = rep.eps_sweep()
    assert sweep.verdict.kind == "bug"
    assert "plateau" in sweep.verdict.explanation
    assert not sweep.passes.any()
    rel = sweep.rel_err[:, 0]
    assert np.all((rel > 0.005) & (rel < 0.02))  # ~1% at every eps
    assert len(sweep.rows) == 9 and sweep.rows[0][0] == 1e-2


def test_huge_curvature_at_a_large_eps_is_a_precision_problem():
    # exp(40 x): truncation error ~ (40 eps)^2 / 6 relative, 2.7% at eps=1e-2, far less below
    rep = ag.gradcheck_report(lambda a: ag.exp(40.0 * a).sum(), np.array([0.5, 0.3]), eps=1e-2)
    sweep = rep.eps_sweep()
    assert sweep.verdict.kind == "precision"
    assert sweep.verdict.eps < 1e-2
    assert "truncation" in sweep.verdict.explanation
    assert not sweep.passes[0] and sweep.passes[1:].all()


def test_rounding_noise_at_the_default_eps_is_a_precision_problem():
    # sin(x) + 1e8: one ulp of 1e8 is 1.5e-8, so eps=1e-6 differences lose ~1% to rounding
    rep = ag.gradcheck_report(lambda a: (ag.sin(a) + 1e8).sum(), RNG.standard_normal(6))
    assert not rep.passed
    sweep = rep.eps_sweep()
    assert sweep.verdict.kind == "precision"
    assert sweep.verdict.eps >= 1e-4
    assert "rounding" in sweep.verdict.explanation
    assert f"eps={sweep.verdict.eps:g} passes" in sweep.verdict.explanation


@pytest.mark.parametrize(
    ("f", "x", "where"),
    [(lambda a: ag.relu(a).sum(), np.array([0.7, 1e-4, -0.4]), (1,)),
     (lambda a: (ag.abs(a) * np.array([1.0, 2.0, 3.0])).sum(), np.array([0.5, -0.3, -1e-4]),
      (2,)),
     (lambda a: ag.maximum(a, np.array([0.2, 0.3 + 1e-4])).sum(), np.array([0.9, 0.3]), (1,))],
    ids=["relu", "abs", "max_tie"],
)
def test_a_kink_1e4_away_is_found_with_its_distance(f, x, where):
    rep = ag.gradcheck_report(f, x, eps=1e-3)  # the step straddles the kink
    sweep = rep.eps_sweep()
    v = sweep.verdict
    assert v.kind == "kink"
    assert v.distance == pytest.approx(1e-4, rel=0.05)
    assert v.kink.index == where and v.kink.label == "input 0"
    assert "non-differentiable point" in v.explanation
    assert sweep.passes[sweep.eps.index(1e-5)] and not sweep.passes[0]


def test_a_passing_check_says_pass_and_the_table_marks_its_eps():
    rep = ag.gradcheck_report(lambda a: ag.tanh(a).sum(), RNG.standard_normal(3), eps=3e-6)
    sweep = rep.eps_sweep()
    assert sweep.verdict.kind == "pass"
    assert 3e-6 in sweep.eps and len(sweep.eps) == 10
    table = sweep.table()
    assert "3e-06" in table and "<- check" in table and table.endswith(str(sweep.verdict))
    assert table.splitlines()[0].split()[:3] == ["eps", "input", "0"]


def test_the_sweep_plot_is_log_log_with_a_tolerance_line(tmp_path):
    rep = ag.gradcheck_report(lambda a: _off(a).sum(), RNG.standard_normal(4))
    path = tmp_path / "sweep.png"
    fig = rep.eps_sweep().plot(str(path))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert any(np.allclose(line.get_ydata(), 1.0) for line in ax.get_lines())
    assert path.stat().st_size > 0


def test_large_inputs_sweep_by_projection():
    big = RNG.standard_normal(500)
    rep = ag.gradcheck_report(lambda a: _off(a) * 2.0, big, fast_mode=True)
    sweep = rep.eps_sweep()
    assert sweep.mode == "projection"
    assert sweep.verdict.kind == "bug"


@pytest.mark.parametrize("d", [0.99e-3, 3e-4, 2e-7])
def test_kink_distances_between_grid_steps_are_bisected(d):
    rep = ag.gradcheck_report(lambda a: ag.relu(a).sum(), np.array([0.7, d]), eps=1e-2)
    v = rep.eps_sweep().verdict
    assert v.kind == "kink" and v.kink.index == (1,)
    assert v.distance == pytest.approx(d, rel=0.05)


@pytest.mark.parametrize("seed", range(4))
def test_smooth_functions_are_never_called_kinks(seed):
    x = np.random.default_rng(seed).standard_normal(8)
    # rounding noise that happens to cancel the one-sided gap exactly at some eps
    noisy = ag.gradcheck_report(lambda a: (ag.sin(a) + 1e8).sum(), x).eps_sweep()
    assert noisy.verdict.kind == "precision" and noisy.verdict.kink is None
    # strong curvature under a loose rtol: the split shrinks with eps, gradually
    curved = ag.gradcheck_report(lambda a: ag.exp(4.0 * a).sum(), x, eps=1e-1, rtol=0.05)
    assert curved.eps_sweep().verdict.kink is None


_cos_off = Primitive("_test_diag_cos_off", np.cos).defvjp(lambda g, ans, x: -1.5 * g * ag.sin(x))
_sin_2nd = Primitive("_test_diag_sin_2nd", np.sin).defvjp(lambda g, ans, x: g * _cos_off(x))


def test_second_order_reports_explain_themselves_too():
    rep = ag.gradcheck_report(lambda a: _sin_2nd(a).sum(), RNG.standard_normal(3), order=2)
    assert ag.gradcheck_report(lambda a: _sin_2nd(a).sum(), RNG.standard_normal(3)).passed
    assert not rep.passed
    assert rep.eps_sweep().verdict.kind == "bug"
    mm = rep.mismatch_map()
    assert mm.pattern == "constant factor" and mm.factor == pytest.approx(1.5, rel=1e-5)
