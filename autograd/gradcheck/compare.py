"""The comparison both checks share: analytic VJPs of a `Problem` against finite differences.

A `Problem` is a function of some float64 arrays with a flat float64 output and a pullback
(`v -> v^T J` per input). `gradcheck` builds one for the user's function, `gradcheck_graph`
one per recorded op. `check_problem` runs the structural checks (determinism, zero
grad_output, reentrancy), compares Jacobians (full, or `v^T J u` in fast mode) and tells a
genuine mismatch from a point where f is not differentiable (one-sided slopes disagree).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from autograd.gradcheck.inputs import GradcheckError
from autograd.gradcheck.numeric import directional_outputs, perturbed_outputs, probe_rng

FULL_FALLBACK = 200_000  # locate a fast-mode failure with the full Jacobian up to this size


class Problem(Protocol):
    """What `check_problem` needs: inputs, a flat evaluation and an analytic pullback."""

    labels: list[str]
    arrays: list[np.ndarray]
    out_shapes: list[tuple[int, ...]]

    def evaluate(self) -> np.ndarray: ...

    def pullback(self, v: np.ndarray) -> list[np.ndarray]: ...


@dataclass
class InputReport:
    """How one input's analytic Jacobian compares with the numerical one.

    `status` is "ok", "mismatch", "nondifferentiable" (one-sided derivatives disagree at
    the worst element and the analytic value lies between them) or "error" (not computed).
    `max_rel_err` is relative to max(|numerical|, atol), so structurally zero entries do
    not read as infinite. `index`/`output` locate the worst element when there is one.
    """

    label: str
    shape: tuple[int, ...]
    status: str
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    index: tuple[int, ...] | None = None
    output: str | None = None
    analytic: float | None = None
    numerical: float | None = None
    abs_err: float | None = None
    rel_err: float | None = None
    message: str = ""

    @property
    def passed(self) -> bool:
        """True unless the gradients genuinely disagree or could not be computed."""
        return self.status in ("ok", "nondifferentiable")

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-safe apart from non-finite floats)."""
        return asdict(self)


def _out_label(shapes: list[tuple[int, ...]], row: int) -> str:
    for o, shape in enumerate(shapes):
        size = int(np.prod(shape))
        if row < size:
            idx = tuple(int(i) for i in np.unravel_index(row, shape)) if shape else ()
            return f"output element {idx}" if len(shapes) == 1 else f"output {o} element {idx}"
        row -= size
    return f"output element {row}"


def _rel(err: np.ndarray, num: np.ndarray, atol: float) -> np.ndarray:
    return err / np.maximum(np.abs(num), max(atol, 1e-300))


def _stats(err: np.ndarray, rel: np.ndarray) -> tuple[float, float]:
    if err.size == 0:
        return 0.0, 0.0
    return float(np.max(err)), float(np.max(rel))


def _classify(
    a: np.ndarray, num: np.ndarray, left: np.ndarray, right: np.ndarray, atol: float, rtol: float,
    abs_tol: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(bad, genuine, err, gap) for analytic `a` vs numerical `num` (same shapes).

    `bad` entries are out of tolerance; `genuine` ones are bad and not explained by a kink
    (one-sided slopes that disagree with the analytic value between them). `gap` is the
    one-sided disagreement beyond tolerance (0 where the slopes agree).
    """
    with np.errstate(invalid="ignore"):
        err = np.abs(a - num)
        base = atol if abs_tol is None else abs_tol
        bad = ~(err <= base + rtol * np.abs(num)) & ~(a == num)
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        width = base + rtol * np.maximum(np.abs(left), np.abs(right))
        gap = np.where(hi - lo > width, hi - lo, 0.0)
        kink = (gap > 0) & (a >= lo - width) & (a <= hi + width)
    err = np.where(np.isnan(err), np.inf, err)
    return bad, bad & ~kink, err, np.nan_to_num(gap)


def _describe(
    kind: str, label: str, where: str, a: float, n: float, e: float, r: float,
    lr: tuple[float, float], tol: str,
) -> str:
    if kind == "nondifferentiable":
        return (
            f"{label} is not differentiable at the sampled point: {where} the one-sided "
            f"derivatives are {lr[0]:.8g} (left) and {lr[1]:.8g} (right); analytic {a:.8g} "
            f"lies between them (a subgradient), central difference {n:.8g}. Move the "
            "sample away from the kink to check the gradient there."
        )
    return (
        f"Jacobian mismatch for {label} {where}: analytic {a:.8g}, numerical {n:.8g}, "
        f"abs error {e:.3g}, rel error {r:.3g} ({tol})"
    )


class _Checker:
    def __init__(
        self, problem: Problem, eps: float, atol: float, rtol: float, nondet_tol: float,
        seed: int,
    ) -> None:
        self.p = problem
        self.eps, self.atol, self.rtol, self.nondet_tol = eps, atol, rtol, nondet_tol
        self.rng = probe_rng(seed)
        self.tol = f"atol={atol:g}, rtol={rtol:g}, eps={eps:g}"
        self._rows: list[list[np.ndarray]] | None = None

    def analytic_jacobian(self, i: int, m: int) -> np.ndarray:
        """Row r of input i's Jacobian is the pullback of the r-th unit vector (cached)."""
        if self._rows is None:
            rows = []
            for r in range(m):
                e = np.zeros(m)
                e[r] = 1.0
                rows.append(self.p.pullback(e))
            self._rows = rows
        x = self.p.arrays[i]
        return np.stack([row[i].reshape(-1) for row in self._rows]) if m else np.zeros((0, x.size))

    def full(self, i: int, base: np.ndarray) -> InputReport:
        x, label = self.p.arrays[i], self.p.labels[i]
        m = base.size
        a = self.analytic_jacobian(i, m)
        plus, minus = perturbed_outputs(self.p.evaluate, x, self.eps)
        if x.size == 0 or m == 0:
            return InputReport(label, x.shape, "ok")
        num = ((plus - minus) / (2 * self.eps)).T
        left, right = ((base - minus) / self.eps).T, ((plus - base) / self.eps).T
        bad, genuine, err, gap = _classify(a, num, left, right, self.atol, self.rtol)
        rel = _rel(err, num, self.atol)
        max_abs, max_rel = _stats(err, rel)
        if bad.any():
            status = "mismatch" if genuine.any() else "nondifferentiable"
            pick = genuine if genuine.any() else bad
            row, col = np.unravel_index(int(np.argmax(np.where(pick, err, -1.0))), err.shape)
        else:
            row, col = np.unravel_index(int(np.argmax(gap)), gap.shape)
            e = np.zeros(x.shape)
            e.reshape(-1)[col] = 1.0
            if not (gap[row, col] > 0 and self._kink_persists(x, e, base, row, gap[row, col])):
                return InputReport(label, x.shape, "ok", max_abs, max_rel)
            status = "nondifferentiable"
        idx = tuple(int(v) for v in np.unravel_index(col, x.shape)) if x.ndim else ()
        out = _out_label(self.p.out_shapes, int(row))
        vals = (float(a[row, col]), float(num[row, col]), float(err[row, col]),
                float(rel[row, col]))
        msg = _describe(status, label, f"at element {idx} ({out})", *vals,
                        (float(left[row, col]), float(right[row, col])), self.tol)
        return InputReport(label, x.shape, status, max_abs, max_rel, idx, out, *vals, msg)

    def _kink_persists(
        self, x: np.ndarray, u: np.ndarray, base: np.ndarray, row: int | np.ndarray,
        gap: float,
    ) -> bool:
        """A kink's one-sided gap stays as the step shrinks; a smooth curve's shrinks with it.

        Used only where the gradients agree, to report a silent kink (abs at 0) without
        mistaking strong curvature for one. `row` is an output index or a projection `v`.
        """
        h = self.eps / 10
        plus, minus = directional_outputs(self.p.evaluate, x, u, h)
        slope = (plus - base) / h - (base - minus) / h
        finer = abs(float(slope[row] if np.ndim(row) == 0 else np.dot(slope, row)))
        return finer > 0.5 * gap

    def fast(
        self, i: int, base: np.ndarray, v: np.ndarray, pulled: list[np.ndarray]
    ) -> InputReport:
        x, label = self.p.arrays[i], self.p.labels[i]
        if x.size == 0 or base.size == 0:
            return InputReport(label, x.shape, "ok")
        u = self.rng.standard_normal(x.shape)
        u /= np.linalg.norm(u)
        a = np.array(float(np.sum(pulled[i] * u)))
        plus, minus = directional_outputs(self.p.evaluate, x, u, self.eps)
        num = np.array(float(np.dot((plus - minus) / (2 * self.eps), v)))
        left = np.array(float(np.dot((base - minus) / self.eps, v)))
        right = np.array(float(np.dot((plus - base) / self.eps, v)))
        abs_tol = self.atol * float(np.abs(u).sum() * np.abs(v).sum())
        bad, genuine, err, gap = _classify(a, num, left, right, self.atol, self.rtol, abs_tol)
        rel = _rel(err, num, abs_tol)
        vals = (float(a), float(num), float(err), float(rel))
        if not bad and not (gap > 0 and self._kink_persists(x, u, base, v, float(gap))):
            return InputReport(label, x.shape, "ok", vals[2], vals[3])
        status = "mismatch" if genuine else "nondifferentiable"
        where = "in fast mode (v^T J u for random unit u, v)"
        msg = _describe(status, label, where, *vals, (float(left), float(right)),
                        f"atol={abs_tol:.3g} after scaling by |u|_1 |v|_1, rtol={self.rtol:g}, "
                        f"eps={self.eps:g}")
        if status == "mismatch" and x.size * base.size <= FULL_FALLBACK:
            located = self.full(i, base)
            if located.status == "mismatch":
                located.message = f"{msg}\n  full Jacobian: {located.message}"
                return located
        return InputReport(label, x.shape, status, vals[2], vals[3], None, None, *vals, msg)

    def structural(self, m: int) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
        """Zero grad_output and reentrancy checks; returns problems, v and v^T J."""
        problems: list[str] = []
        for label, g in zip(self.p.labels, self.p.pullback(np.zeros(m)), strict=True):
            live = g[np.isfinite(g) & (g != 0)]
            if live.size:
                problems.append(
                    f"backward ignores grad_output: a zero grad_output gave a non-zero gradient "
                    f"for {label} (max |grad| {float(np.max(np.abs(live))):.3g})"
                )
        v = self.rng.standard_normal(m)
        v /= max(float(np.linalg.norm(v)), 1e-300)
        first, second = self.p.pullback(v), self.p.pullback(v)
        for label, g1, g2 in zip(self.p.labels, first, second, strict=True):
            diff = np.abs(g1 - g2)
            worst = float(np.max(diff)) if diff.size else 0.0
            same = np.array_equal(g1, g2, equal_nan=True)
            if not same and not worst <= self.nondet_tol:
                problems.append(
                    f"backward is not reentrant: two backward calls with the same input and "
                    f"grad_output gave different gradients for {label} (max difference "
                    f"{worst:.3g}, nondet_tol={self.nondet_tol:g})"
                )
        return problems, v, first


def check_problem(
    problem: Problem,
    *,
    eps: float,
    atol: float,
    rtol: float,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    seed: int = 0,
    reference: np.ndarray | None = None,
) -> tuple[list[InputReport], list[str]]:
    """Per-input reports and structural problems for `problem` (see the module docstring).

    `reference` is the output the analytic pass saw; the evaluation must reproduce it.
    """
    chk = _Checker(problem, eps, atol, rtol, nondet_tol, seed)
    base = problem.evaluate()
    again = problem.evaluate()
    for other, what in ((again, "two evaluations"), (reference, "the recorded and a fresh call")):
        if other is not None and not np.array_equal(base, other, equal_nan=True):
            gap = float(np.max(np.abs(base - other))) if base.shape == other.shape else np.inf
            msg = (
                f"f is not deterministic: {what} at the same inputs differ (max {gap:.3g}); "
                "make it deterministic (e.g. seed inside f) before checking gradients"
            )
            return [_error(problem, i, msg) for i in range(len(problem.arrays))], [msg]
    try:
        problems, v, pulled = chk.structural(base.size)
        if fast_mode:
            reports = [chk.fast(i, base, v, pulled) for i in range(len(problem.arrays))]
        else:
            reports = [chk.full(i, base) for i in range(len(problem.arrays))]
    except GradcheckError as exc:
        return [_error(problem, i, str(exc)) for i in range(len(problem.arrays))], [str(exc)]
    return reports, problems


def _error(problem: Problem, i: int, msg: str) -> InputReport:
    return InputReport(problem.labels[i], problem.arrays[i].shape, "error", np.nan, np.nan,
                       message=msg)
