"""Mismatch maps: where, in the input's own shape, an analytic gradient departs from the truth.

Both gradients are of `sum(v * f)` for one fixed v (v = 1 for a scalar f, else a seeded
normal draw), so each has the input's shape: a matrix reads as a heat map, a conv weight
(oc, ic, kh, kw) as an oc x ic grid of kh x kw tiles. `pattern` names the usual bugs: a
missing term ("zero row" / "zero column"), "transposed" (or swapped blocks), "constant
factor" (doubled or halved accumulation) and "sign flip".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from autograd.gradcheck.numeric import perturbed_outputs, probe_rng

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from autograd.gradcheck.check import GradcheckReport


@dataclass
class MismatchMap:
    """|analytic - numerical| of one input, laid out in its shape, and the pattern it shows."""

    label: str
    analytic: np.ndarray
    numerical: np.ndarray
    pattern: str | None = None
    detail: str = ""
    factor: float | None = None  # constant factor: analytic ~ factor * numerical
    lines: list[tuple[int, ...]] = field(default_factory=list)  # zero rows / columns

    @property
    def array(self) -> np.ndarray:
        """The absolute difference, in the input's shape."""
        return np.abs(self.analytic - self.numerical)

    def worst(self, k: int = 5) -> list[tuple[tuple[int, ...], float, float]]:
        """The k largest differences as (index, analytic, numerical), worst first."""
        diff = self.array.reshape(-1)
        order = np.argsort(-diff, kind="stable")[:k]
        shape = self.analytic.shape
        return [(tuple(int(v) for v in np.unravel_index(int(j), shape)) if shape else (),
                 float(self.analytic.reshape(-1)[j]), float(self.numerical.reshape(-1)[j]))
                for j in order]

    def summary(self, k: int = 5) -> str:
        """The pattern line and the k worst entries with both values."""
        lines = [f"{self.label}: pattern: {self.pattern or 'none recognised'}"
                 + (f" ({self.detail})" if self.detail else "")]
        lines += [f"  {idx}: analytic {a:.8g}, numerical {n:.8g}, diff {abs(a - n):.3g}"
                  for idx, a, n in self.worst(k)]
        return "\n".join(lines)

    __str__ = summary

    def plot(self, path: str | None = None) -> Figure:
        """Heat map of |analytic - numerical| (4-D: oc x ic grid of kh x kw tiles)."""
        from matplotlib.figure import Figure

        img = _tiles(self.array)
        fig = Figure(figsize=(max(3.0, min(10.0, 0.4 * img.shape[1] + 2)),
                              max(2.5, min(10.0, 0.4 * img.shape[0] + 1.5))))
        ax = fig.add_subplot()
        shown = ax.imshow(np.ma.masked_invalid(img), cmap="magma", interpolation="nearest")
        fig.colorbar(shown, ax=ax, label="|analytic - numerical|")
        what = self.pattern or "no known pattern"
        ax.set_title(f"{self.label} {self.analytic.shape}: {what}", fontsize=10)
        if self.analytic.ndim == 4:
            ax.set_xlabel("in channel (tiles of kw)")
            ax.set_ylabel("out channel (tiles of kh)")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig


def _tiles(a: np.ndarray) -> np.ndarray:
    """A 2-D image of `a`: as is for 2-D, a row for 0/1-D, tiles separated by NaN otherwise."""
    if a.ndim <= 1:
        return a.reshape(1, -1).astype(float)
    if a.ndim == 2:
        return a.astype(float)
    grid = a.reshape(-1, *a.shape[-3:]) if a.ndim > 4 else a.reshape(1, *a.shape[-3:]) \
        if a.ndim == 3 else a
    oc, ic, kh, kw = grid.shape
    img = np.full((oc * (kh + 1) - 1, ic * (kw + 1) - 1), np.nan)
    for o in range(oc):
        for c in range(ic):
            img[o * (kh + 1): o * (kh + 1) + kh, c * (kw + 1): c * (kw + 1) + kw] = grid[o, c]
    return img


def _close(x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    return bool(x.shape == y.shape and np.all(np.abs(x - y) <= tol))


def _swaps(n: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """Rearrangements of `n` a wrong VJP tends to produce: transposes and swapped halves."""
    out: list[tuple[np.ndarray, str]] = []
    if n.ndim >= 2 and n.shape[-1] == n.shape[-2]:
        out.append((np.swapaxes(n, -1, -2), "analytic equals numerical transposed"))
    if n.ndim >= 3 and n.shape[0] == n.shape[1]:
        out.append((np.swapaxes(n, 0, 1), "the first two axes are swapped"))
    for ax in range(n.ndim):
        if n.shape[ax] >= 2 and n.shape[ax] % 2 == 0:
            out.append((np.roll(n, n.shape[ax] // 2, axis=ax),
                        f"the two halves along axis {ax} are swapped"))
    return out


def _zero_lines(a3: np.ndarray, n3: np.ndarray, tol: float, axis: int) -> list[tuple[int, ...]]:
    """Rows (axis 2) or columns (axis 1) of (B, R, C) where analytic is 0 and numerical not,
    when those lines explain every mismatch; [] otherwise."""
    zero_a = np.all(np.abs(a3) <= tol, axis=axis)
    live_n = np.any(np.abs(n3) > tol, axis=axis)
    lines = zero_a & live_n
    if not lines.any() or lines.all():
        return []
    mask = np.expand_dims(lines, axis)
    if not np.all((np.abs(a3 - n3) <= tol) | mask):
        return []
    return [tuple(int(v) for v in idx) for idx in np.argwhere(lines)]


def find_pattern(a: np.ndarray, n: np.ndarray, atol: float, rtol: float
                 ) -> tuple[str | None, str, float | None, list[tuple[int, ...]]]:
    """(pattern, detail, factor, zero lines) for analytic `a` vs numerical `n` (same shape)."""
    scale = float(np.max(np.abs(n))) if n.size else 0.0
    tol = atol + rtol * scale
    if n.size == 0 or _close(a, n, tol):
        return None, "", None, []
    if not np.any(np.abs(a) > tol):
        return None, "analytic is zero everywhere", None, []
    if _close(a, -n, tol):
        return "sign flip", "analytic = -numerical", -1.0, []
    if a.ndim >= 2:
        a3, n3 = a.reshape(-1, *a.shape[-2:]), n.reshape(-1, *n.shape[-2:])
        lead = a.shape[:-2]
        for axis, name in ((2, "zero row"), (1, "zero column")):
            hits = _zero_lines(a3, n3, tol, axis)
            if hits:
                lines = [(*np.unravel_index(b, lead), r) if lead else (r,) for b, r in hits]
                lines = [tuple(int(v) for v in t) for t in lines]
                what = "rows" if axis == 2 else "columns"
                last = sorted({t[-1] for t in lines})
                every = len(lines) == len(last) * int(np.prod(lead, dtype=int))
                where = (f"{what} {lines}" if not every
                         else f"{what} {last} of every {a.shape[-2]}x{a.shape[-1]} slice"
                         if lead else f"{what} {last}")
                return name, f"analytic is 0 on {where} (a missing term)", None, lines
    nn = float(np.sum(n * n))
    if nn > 0:
        c = float(np.sum(a * n) / nn)
        if abs(c - 1.0) > 10 * rtol and _close(a, c * n, tol * max(1.0, abs(c))):
            return "constant factor", f"analytic = {c:.4g} x numerical", c, []
    for arranged, detail in _swaps(n):
        if _close(a, arranged, tol):
            return "transposed", detail, None, []
    return None, "", None, []


def _pick(report: GradcheckReport, which: int | str | None) -> int:
    labels = [r.label for r in report.inputs]
    if which is None:
        bad = [k for k, r in enumerate(report.inputs) if not r.passed]
        return bad[0] if bad else 0
    if isinstance(which, str):
        if which not in labels:
            raise KeyError(f"mismatch_map: no input labelled {which!r}; inputs are {labels}")
        return labels.index(which)
    if not -len(labels) <= which < len(labels):
        raise IndexError(f"mismatch_map: input {which} out of range for {len(labels)} inputs")
    return which % len(labels)


def mismatch_map(report: GradcheckReport, input: int | str | None = None) -> MismatchMap:  # noqa: A002
    """Analytic vs central-difference gradient of `sum(v * f)` for one input of `report`."""
    problem = report.problem
    if problem is None:
        raise ValueError("mismatch_map needs a report from gradcheck_report (it reruns f)")
    i = _pick(report, input)
    base = problem.evaluate()
    if base.size == 1:
        v = np.ones(1)
    else:
        v = probe_rng(report.seed).standard_normal(base.size)
    x = problem.arrays[i]
    analytic = np.asarray(problem.pullback(v)[i], dtype=np.float64).reshape(x.shape)
    plus, minus = perturbed_outputs(problem.evaluate, x, report.eps)
    numerical = (((plus - minus) @ v) / (2 * report.eps)).reshape(x.shape) if x.size \
        else np.zeros(x.shape)
    pattern, detail, factor, lines = find_pattern(analytic, numerical, report.atol, report.rtol)
    return MismatchMap(problem.labels[i], analytic, numerical, pattern, detail, factor, lines)
