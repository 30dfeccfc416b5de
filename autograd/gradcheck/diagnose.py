"""Bug or noise? Rerun a gradient check over a grid of eps and say why it failed.

`eps_sweep(report)` compares the analytic Jacobian (computed once) with central
differences at eps = 1e-2 ... 1e-10 and gives a `Verdict`: "pass", "precision" (some eps
passes: the VJP is right, the step was not), "bug" (no eps passes: the error plateaus) or
"kink" (the one-sided slopes split once eps exceeds the distance to a non-differentiable
point; that distance is found by bisecting the step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from autograd.gradcheck.compare import FULL_FALLBACK, Problem
from autograd.gradcheck.numeric import directional_outputs, perturbed_outputs, probe_rng

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from autograd.gradcheck.check import GradcheckReport

EPS_GRID = tuple(10.0**-k for k in range(2, 11))
SPLIT = 0.02  # a kink's one-sided slopes differ by a sizeable fraction of the slope itself
FASTER = 100.0  # ... and that split vanishes this much faster than eps when eps drops below it
ROUNDING = 4 * float(np.finfo(np.float64).eps)  # relative rounding of one evaluation of f


@dataclass
class Kink:
    """Where the one-sided slopes split: input, element, output row and distance to the kink."""

    label: str
    index: tuple[int, ...]
    distance: float


@dataclass
class Verdict:
    """The sweep's conclusion: `kind` is "pass", "precision", "bug" or "kink"."""

    kind: str
    explanation: str
    eps: float | None = None  # precision: the eps that works best
    distance: float | None = None  # kink: estimated distance from the input to the kink
    kink: Kink | None = None

    def __str__(self) -> str:
        return f"verdict: {self.kind}: {self.explanation}"


@dataclass
class EpsSweep:
    """Errors of one check at each eps: rows eps -> max abs / max rel error per input.

    `ratio[e, i]` is input i's worst error over its tolerance (atol + rtol |numerical|) at
    `eps[e]`; <= 1 passes. `mode` is "full" (every Jacobian entry) or "projection" (v^T J u).
    """

    eps: list[float]
    labels: list[str]
    abs_err: np.ndarray
    rel_err: np.ndarray
    ratio: np.ndarray
    atol: float
    rtol: float
    check_eps: float
    mode: str
    verdict: Verdict = field(default_factory=lambda: Verdict("pass", ""))

    @property
    def passes(self) -> np.ndarray:
        """Per eps: every input within tolerance."""
        return np.all(self.ratio <= 1.0, axis=1)

    @property
    def rows(self) -> list[tuple[float, list[tuple[float, float]]]]:
        """`[(eps, [(max abs err, max rel err) per input]), ...]`, largest eps first."""
        return [(e, [(float(a), float(r)) for a, r in zip(self.abs_err[k], self.rel_err[k],
                                                           strict=True)])
                for k, e in enumerate(self.eps)]

    def table(self) -> str:
        """Fixed-width table: eps, then max abs / rel error per input, pass/FAIL; the verdict."""
        head = ["eps"] + [f"{lab} {what}" for lab in self.labels for what in ("abs", "rel")]
        lines = [head + ["result"]]
        for k, e in enumerate(self.eps):
            cells = [f"{e:.0e}"]
            for i in range(len(self.labels)):
                cells += [f"{self.abs_err[k, i]:.3g}", f"{self.rel_err[k, i]:.3g}"]
            mark = " <- check" if np.isclose(e, self.check_eps, rtol=1e-9, atol=0) else ""
            lines.append(cells + [("pass" if self.passes[k] else "FAIL") + mark])
        widths = [max(len(row[c]) for row in lines) for c in range(len(head) + 1)]
        out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
               for row in lines]
        out.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([*out, str(self.verdict)])

    __str__ = table

    def plot(self, path: str | None = None) -> Figure:
        """Worst error / tolerance per input against eps (log-log), line at 1 = tolerance."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.add_subplot()
        for i, lab in enumerate(self.labels):
            ax.loglog(self.eps, np.maximum(self.ratio[:, i], 1e-300), "o-", label=lab)
        ax.axhline(1.0, color="k", ls="--", lw=1, label="tolerance")
        ax.axvline(self.check_eps, color="grey", ls=":", lw=1, label=f"eps={self.check_eps:g}")
        if self.verdict.distance:
            ax.axvline(self.verdict.distance, color="r", ls=":", lw=1, label="kink distance")
        ax.set_xlabel("eps")
        ax.set_ylabel(f"max |analytic - numerical| / (atol + rtol |numerical|)\n"
                      f"(atol={self.atol:g}, rtol={self.rtol:g})")
        ax.set_title(f"{self.verdict.kind}: error against eps", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig


@dataclass
class _Slopes:
    """One input at one eps: one-sided gap, gap beyond tolerance, slope scale, check passed."""

    gap: np.ndarray
    split: np.ndarray
    scale: np.ndarray
    ok: np.ndarray


class _Sweeper:
    """Analytic Jacobians once, then numerical ones (or projections) at any eps."""

    def __init__(self, problem: Problem, atol: float, rtol: float, seed: int,
                 projection: bool) -> None:
        self.p, self.atol, self.rtol = problem, atol, rtol
        self.base = problem.evaluate()
        self.full = not projection
        m = self.base.size
        rng = probe_rng(seed)
        if self.full:
            rows = [problem.pullback(np.eye(1, m, r)[0]) for r in range(m)]
            self.jac = [np.stack([row[i].reshape(-1) for row in rows]) if m
                        else np.zeros((0, x.size)) for i, x in enumerate(problem.arrays)]
        else:
            v = rng.standard_normal(m)
            self.v = v / max(float(np.linalg.norm(v)), 1e-300)
            pulled = problem.pullback(self.v)
            self.us = [u / max(float(np.linalg.norm(u)), 1e-300)
                       for u in (rng.standard_normal(x.shape) for x in problem.arrays)]
            self.jac = [np.array([[float(np.sum(g * u))]]) for g, u in zip(pulled, self.us,
                                                                          strict=True)]

    def slopes(self, i: int, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(central, left, right) differences of input i at eps, shaped like its Jacobian."""
        x = self.p.arrays[i]
        if self.full:
            plus, minus = perturbed_outputs(self.p.evaluate, x, eps)
            if x.size == 0 or self.base.size == 0:
                empty = np.zeros((self.base.size, x.size))
                return empty, empty, empty
            b = self.base
            return ((plus - minus) / (2 * eps)).T, ((b - minus) / eps).T, ((plus - b) / eps).T
        plus, minus = directional_outputs(self.p.evaluate, x, self.us[i], eps)
        dot = np.dot
        b = self.base
        return (np.array([[dot((plus - minus) / (2 * eps), self.v)]]),
                np.array([[dot((b - minus) / eps, self.v)]]),
                np.array([[dot((plus - b) / eps, self.v)]]))

    def split(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """How far the one-sided slopes differ beyond tolerance (0 where they agree)."""
        gap = np.abs(right - left)
        width = self.atol + self.rtol * np.maximum(np.abs(left), np.abs(right))
        return np.where(gap > width, gap, 0.0)

    def element_split(self, i: int, col: int, row: int, h: float) -> bool:
        """Do input i element col's one-sided slopes (output row) split at step h?"""
        x = self.p.arrays[i]
        u = np.zeros(x.shape)
        u.reshape(-1)[col] = 1.0
        plus, minus = directional_outputs(self.p.evaluate, x, u, h)
        left = (self.base[row] - minus[row]) / h
        right = (plus[row] - self.base[row]) / h
        return bool(self.split(np.array(left), np.array(right)) > 0)

    def distance(self, i: int, col: int, row: int, lo: float, hi: float) -> float:
        """Bisect log(step) between an agreeing `lo` and a splitting `hi`: the kink distance."""
        for _ in range(40):
            mid = float(np.sqrt(lo * hi))
            if self.element_split(i, col, row, mid):
                hi = mid
            else:
                lo = mid
            if hi / lo < 1.001:
                break
        return float(np.sqrt(lo * hi))


def _find_kink(sw: _Sweeper, eps: list[float], curves: list[list[_Slopes]]) -> Kink | None:
    """The nearest kink: an entry whose one-sided slopes split by a sizeable fraction at one
    eps while one or two decades down the check passes and the split has shrunk 100x faster
    than a smooth curve's (which shrinks in proportion to eps). Looking no further down keeps
    a gap that rounding happens to cancel at a tiny eps from reading as a kink, and so does
    asking that the faster shrink be visible above f's rounding noise at the smaller eps."""
    best: Kink | None = None
    for i, x in enumerate(sw.p.arrays):
        done = np.zeros(curves[0][i].gap.shape, bool)
        for k in range(len(eps) - 1):
            hi = curves[k][i]
            big = (hi.split > SPLIT * hi.scale) & ~done
            for j in range(k + 1, min(k + 3, len(eps))):
                lo = curves[j][i]
                shrink = eps[j] / eps[k] / FASTER
                noise = ROUNDING * np.abs(sw.base)[:, None] / eps[j]  # f's rounding, per row
                hit = big & lo.ok & (lo.gap < hi.gap * shrink) & (hi.gap * shrink > noise)
                for row, col in zip(*np.nonzero(hit), strict=True):
                    d = sw.distance(i, int(col), int(row), eps[j], eps[k])
                    if best is None or d < best.distance:
                        idx = tuple(int(v) for v in np.unravel_index(int(col), x.shape))
                        best = Kink(sw.p.labels[i], idx, d)
                done |= hit
                big &= ~hit
    return best


def _verdict(sweep: EpsSweep, report: GradcheckReport, kink: Kink | None) -> Verdict:
    ratio = np.max(sweep.ratio, axis=1)
    passes = sweep.passes
    at = int(np.argmin(np.abs(np.log(np.asarray(sweep.eps) / sweep.check_eps))))
    clean = report.passed and not report.nondifferentiable
    note = (f" (a kink {kink.distance:.2g} away from {kink.label} element {kink.index}: "
            f"steps above that straddle it)" if kink else "")
    if clean and passes[at]:
        return Verdict("pass", f"analytic and numerical derivatives agree at eps="
                               f"{sweep.check_eps:g}{note}", kink=kink)
    if not passes.any() and report.passed and report.nondifferentiable:
        return Verdict("kink", (
            f"non-differentiable point: the one-sided slopes split at every eps down to "
            f"{sweep.eps[-1]:g}, so the kink is closer than that; sample away from it"))
    if not passes.any():
        lo, hi = float(np.min(ratio)), float(np.max(ratio))
        worst = int(np.argmax(np.max(sweep.ratio, axis=0)))
        flat = "a flat plateau" if hi <= 10 * lo else "no eps within tolerance"
        span = f"~{lo:.3g}x" if hi <= 1.1 * lo else f"{lo:.3g}x-{hi:.3g}x"
        return Verdict("bug", (
            f"a real VJP bug: {flat}, the error stays {span} the tolerance at "
            f"every eps from {sweep.eps[0]:g} to {sweep.eps[-1]:g} (worst: "
            f"{sweep.labels[worst]}, rel error ~{float(np.median(sweep.rel_err[:, worst])):.3g})"
            + note), kink=kink)
    if kink is not None:
        return Verdict("kink", (
            f"non-differentiable point: {kink.label} element {kink.index} is "
            f"~{kink.distance:.2g} from a kink; central differences with eps above that "
            f"straddle it and the one-sided slopes split. Use eps < {kink.distance:.1g} or "
            "sample away from the kink"), distance=kink.distance, kink=kink)
    good = [k for k in range(len(sweep.eps)) if passes[k]]
    pick = min(good, key=lambda k: ratio[k])
    cause = ("truncation error dominates: the error grows with eps"
             if sweep.eps[pick] < sweep.check_eps else
             "rounding error dominates: the error grows as eps shrinks")
    span = f"{sweep.eps[good[-1]]:g}..{sweep.eps[good[0]]:g}"
    return Verdict("precision", (
        f"eps/precision problem, not a VJP bug: at eps={sweep.check_eps:g} the error is "
        f"{ratio[at]:.3g}x the tolerance ({cause}); eps={sweep.eps[pick]:g} passes "
        f"(passing eps: {span})"), eps=sweep.eps[pick])


def eps_sweep(report: GradcheckReport, eps: tuple[float, ...] = EPS_GRID,
              projection: bool | None = None) -> EpsSweep:
    """Rerun `report`'s check at each eps (plus its own) and explain the failure.

    `projection` compares one `v^T J u` per input instead of every Jacobian entry (cheap, but
    no kink search); by default it is used for fast-mode reports and Jacobians over 200,000
    entries.
    """
    problem = report.problem
    if problem is None:
        raise ValueError("eps_sweep needs a report from gradcheck_report (it reruns f)")
    grid = sorted({*eps, report.eps}, reverse=True)
    if projection is None:
        m = problem.evaluate().size
        projection = report.fast_mode or any(x.size * m > FULL_FALLBACK for x in problem.arrays)
    sw = _Sweeper(problem, report.atol, report.rtol, report.seed, projection)
    n = len(problem.arrays)
    abs_err, rel_err, ratio = (np.zeros((len(grid), n)) for _ in range(3))
    curves: list[list[_Slopes]] = []
    for k, e in enumerate(grid):
        curves.append([])
        for i in range(n):
            a = sw.jac[i]
            num, left, right = sw.slopes(i, e)
            with np.errstate(invalid="ignore", divide="ignore"):
                err = np.nan_to_num(np.abs(a - num), nan=np.inf)
                tol = report.atol + report.rtol * np.abs(num)
                r = np.where(err == 0, 0.0, err / np.maximum(tol, 1e-300))
            if err.size:
                abs_err[k, i] = float(np.max(err))
                rel_err[k, i] = float(np.max(err / np.maximum(np.abs(num), max(report.atol,
                                                                                  1e-300))))
                ratio[k, i] = float(np.max(r))
            curves[k].append(_Slopes(np.abs(right - left), sw.split(left, right),
                                     np.maximum(np.abs(left), np.abs(right)), r <= 1.0))
    labels = list(problem.labels)
    sweep = EpsSweep(grid, labels, abs_err, rel_err, ratio, report.atol, report.rtol,
                     report.eps, "full" if sw.full else "projection")
    kink = _find_kink(sw, grid, curves) if sw.full else None
    sweep.verdict = _verdict(sweep, report, kink)
    return sweep

