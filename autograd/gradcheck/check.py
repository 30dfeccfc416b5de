"""`gradcheck`, `gradgradcheck` and `gradcheck_report` for user functions (PyTorch semantics).

Inputs may be Tensors, ndarrays, floats or nests of them; every floating leaf is checked
except Tensors with `requires_grad=False`, which are held constant. Everything runs in
float64 unless `keep_dtype=True`. f may return any shape (or a nest of outputs).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import engine, mode, tree
from autograd.errors import DTypeError, ShapeError
from autograd.gradcheck.compare import InputReport, check_problem
from autograd.gradcheck.diagnose import EPS_GRID, EpsSweep, eps_sweep
from autograd.gradcheck.inputs import (
    GradcheckError,
    GradcheckWarning,
    NondifferentiableWarning,
    Prepared,
    flat_values,
    output_leaves,
    precision_note,
    prepare,
)
from autograd.gradcheck.mismatch import MismatchMap, mismatch_map
from autograd.gradcheck.numeric import probe_rng
from autograd.ops.shape import concatenate
from autograd.tensor import Tensor

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "InputReport",
    "NondifferentiableWarning",
    "check_grads",
    "gradcheck",
    "gradcheck_report",
    "gradgradcheck",
]


def _shape(o: Any) -> tuple[int, ...]:
    return tuple(np.shape(o.data if isinstance(o, Tensor) else o))


class _FunctionProblem:
    """The user's f as a `Problem`: one recorded forward, pulled back with `engine.backward`."""

    def __init__(self, f: Callable[..., Any], prep: Prepared, eps: float) -> None:
        self.f, self.prep = f, prep
        self.labels = [prep.labels[k] for k in prep.checked]
        self.arrays = prep.arrays
        call, tensors = prep.call_args(grad=True, copy=True)
        with mode.enable_grad():
            outs = output_leaves(f(*call))
        self.inputs: list[Tensor] = tensors
        self.out_shapes = [_shape(o) for o in outs]
        self.reference = flat_values(outs)
        self.roots: list[tuple[Tensor, int]] = []
        offset = 0
        for o, shape in zip(outs, self.out_shapes, strict=True):
            if isinstance(o, Tensor) and o.requires_grad:
                self.roots.append((o, offset))
            offset += int(np.prod(shape))
        in_bits = max(a.dtype.itemsize for a in self.arrays)
        for j, o in enumerate(outs):
            dt = np.asarray(o.data if isinstance(o, Tensor) else o).dtype
            if dt.itemsize < in_bits:
                what = "f's output" if len(outs) == 1 else f"f's output {j}"
                note = precision_note(dt, eps, f"{what} (computed in {dt} from float64 inputs)")
                if note:
                    warnings.warn(note, GradcheckWarning, stacklevel=4)

    def evaluate(self) -> np.ndarray:
        call, _ = self.prep.call_args(grad=False)
        with mode.no_grad():
            return flat_values(output_leaves(self.f(*call)))

    def pullback(self, v: np.ndarray) -> list[np.ndarray]:
        if not self.roots:
            return [np.zeros_like(x) for x in self.arrays]
        seeds = [
            v[off : off + o.data.size].reshape(o.shape).astype(o.data.dtype)
            for o, off in self.roots
        ]
        try:
            grads = engine.backward(
                [o for o, _ in self.roots], seeds, retain_graph=True, inputs=self.inputs
            )
        except (ShapeError, DTypeError) as exc:
            raise GradcheckError(
                f"backward failed, a VJP returned a gradient of the wrong shape or dtype: {exc}"
            ) from exc
        result = []
        for label, x, g in zip(self.labels, self.arrays, grads or [], strict=True):
            if g is None:
                result.append(np.zeros_like(x, dtype=np.float64))
            elif g.shape != x.shape:
                raise GradcheckError(
                    f"gradient for {label} has shape {g.shape}; expected {x.shape}"
                )
            else:
                result.append(np.asarray(g.data, dtype=np.float64))
        return result


@dataclass
class GradcheckReport:
    """Per-input errors of one check, plus structural problems (zero grad_output, reentrancy).

    `passed` is False on a genuine mismatch or a problem; inputs where f is not
    differentiable at the sampled point pass and are listed in `nondifferentiable`.
    """

    inputs: list[InputReport]
    problems: list[str] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    fast_mode: bool = False
    order: int = 1
    seed: int = 0
    problem: Any = field(default=None, repr=False, compare=False)  # reruns f for diagnoses

    @property
    def passed(self) -> bool:
        """Analytic and numerical derivatives agree (kinks excepted) and no problem was seen."""
        return not self.problems and all(r.passed for r in self.inputs)

    @property
    def failures(self) -> list[InputReport]:
        """Inputs whose gradients genuinely disagree (or could not be computed)."""
        return [r for r in self.inputs if not r.passed]

    @property
    def nondifferentiable(self) -> list[InputReport]:
        """Inputs where f has a kink at the sampled point (one-sided slopes disagree)."""
        return [r for r in self.inputs if r.status == "nondifferentiable"]

    def message(self) -> str:
        """The failure explanation GradcheckError carries (empty when passed)."""
        if self.passed:
            return ""
        what = "gradgradcheck" if self.order == 2 else "gradcheck"
        seen: list[str] = []
        for line in [*self.problems, *(r.message for r in self.failures)]:
            if line not in seen:
                seen.append(line)
        return f"{what} failed:\n" + "\n".join(f"  {line}" for line in seen)

    def table(self) -> str:
        """A fixed-width table: input, shape, max abs err, max rel err, result."""
        names = {"ok": "pass", "mismatch": "FAIL", "nondifferentiable": "pass (kink)",
                 "error": "ERROR"}
        rows = [("input", "shape", "max abs err", "max rel err", "result")]
        rows += [(r.label, str(r.shape), f"{r.max_abs_err:.3g}", f"{r.max_rel_err:.3g}",
                  names.get(r.status, r.status)) for r in self.inputs]
        widths = [max(len(row[c]) for row in rows) for c in range(5)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                 for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        notes = [*self.problems, *(r.message for r in self.inputs if r.status != "ok")]
        return "\n".join(lines + list(dict.fromkeys(notes)))

    __str__ = table

    def eps_sweep(self, eps: tuple[float, ...] = EPS_GRID,
                  projection: bool | None = None) -> EpsSweep:
        """Rerun the check at eps = 1e-2 ... 1e-10: bug, precision problem or kink?"""
        return eps_sweep(self, eps, projection)

    def mismatch_map(self, input: int | str | None = None) -> MismatchMap:  # noqa: A002
        """|analytic - numerical| in the input's own shape (default: first failing input)."""
        return mismatch_map(self, input)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for tools (the CLI, viz)."""
        return {
            "passed": self.passed,
            "order": self.order,
            "fast_mode": self.fast_mode,
            "eps": self.eps,
            "atol": self.atol,
            "rtol": self.rtol,
            "problems": list(self.problems),
            "inputs": [r.to_dict() for r in self.inputs],
        }


def _first_order(f: Callable[..., Any], prep: Prepared) -> Callable[..., Tensor]:
    """`(*xs, *vs) -> concat(vjp(f)(vs) w.r.t. xs)`, recorded so it can be differentiated."""
    n = len(prep.checked)

    def first_order(*xs_vs: Any) -> Tensor:
        xs = [x if x.requires_grad else Tensor(x.data, requires_grad=True) for x in xs_vs[:n]]
        made = list(prep.leaves)
        for k, kind in enumerate(prep.kinds):
            if kind != "other":
                made[k] = Tensor(prep.leaves[k])
        for k, x in zip(prep.checked, xs, strict=True):
            made[k] = x
        with mode.enable_grad():
            outs = output_leaves(f(*tree.unflatten(prep.treedef, made)))
            pairs = [(o, v) for o, v in zip(outs, xs_vs[n:], strict=True)
                     if isinstance(o, Tensor) and o.requires_grad]
            grads = (
                engine.backward([o for o, _ in pairs], [v for _, v in pairs], retain_graph=True,
                                create_graph=True, inputs=xs)
                if pairs else [None] * n
            )
            flat = [g.reshape(-1) if g is not None else Tensor(np.zeros(x.data.size))
                    for g, x in zip(grads or [], xs, strict=True)]
            return concatenate(flat)

    return first_order


def gradcheck_report(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    order: int = 1,
    grad_outputs: Any = None,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    seed: int = 0,
    keep_dtype: bool = False,
) -> GradcheckReport:
    """Run the check behind `gradcheck` (order 1) or `gradgradcheck` (order 2); never raises
    on a mismatch, returns the per-input max abs/rel errors and statuses instead.
    """
    prep = prepare(inputs, eps=eps, keep_dtype=keep_dtype)
    if order == 2:
        call, _ = prep.call_args(grad=False)
        with mode.no_grad():
            outs = output_leaves(f(*call))
        if grad_outputs is None:
            rng = probe_rng(seed)
            vs = [rng.standard_normal(_shape(o)) for o in outs]
        else:
            given = grad_outputs if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
            vs = [np.asarray(getattr(g, "data", g)) for g in given]
        labels = [prep.labels[k] for k in prep.checked]
        labels += ["grad_output"] if len(vs) == 1 else [f"grad_output {i}" for i in range(len(vs))]
        f = _first_order(f, prep)
        prep = prepare(tuple(prep.arrays) + tuple(vs), eps=eps, keep_dtype=keep_dtype,
                       labels=labels)
    elif order != 1:
        raise ValueError(f"gradcheck_report: order must be 1 or 2; got {order}")
    problem = _FunctionProblem(f, prep, eps)
    reports, problems = check_problem(
        problem, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode, nondet_tol=nondet_tol,
        seed=seed, reference=problem.reference,
    )
    return GradcheckReport(reports, problems, eps, atol, rtol, fast_mode, order, seed, problem)


def _conclude(report: GradcheckReport, raise_exception: bool) -> bool:
    for r in report.nondifferentiable:
        warnings.warn(r.message, NondifferentiableWarning, stacklevel=3)
    if report.passed:
        return True
    if raise_exception:
        raise GradcheckError(report.message())
    return False


def gradcheck(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    seed: int = 0,
    keep_dtype: bool = False,
) -> bool:
    """Check f's analytic Jacobian against central differences, in float64.

    Returns True when they agree; otherwise raises `GradcheckError` naming the input, the
    worst element, both values and the errors (or returns False with
    `raise_exception=False`). Where f is not differentiable at the sampled point (relu at
    0, max ties) it warns `NondifferentiableWarning` instead of failing.
    `fast_mode` compares one random projection `v^T J u` per input instead of all of J.

    >>> gradcheck(lambda x: x.tanh() * x, np.array([0.3, -1.2]))  # doctest: +SKIP
    True
    """
    report = gradcheck_report(
        f, inputs, eps, atol, rtol, fast_mode=fast_mode, nondet_tol=nondet_tol, seed=seed,
        keep_dtype=keep_dtype,
    )
    return _conclude(report, raise_exception)


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    fast_mode: bool = False,
    nondet_tol: float = 0.0,
    seed: int = 0,
    keep_dtype: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of `(inputs, v) -> v^T J_f(inputs)`.

    `grad_outputs` (v, one per output of f) defaults to a fixed random array of each
    output's shape; it is differentiated too, as in PyTorch.
    """
    report = gradcheck_report(
        f, inputs, eps, atol, rtol, order=2, grad_outputs=grad_outputs, fast_mode=fast_mode,
        nondet_tol=nondet_tol, seed=seed, keep_dtype=keep_dtype,
    )
    return _conclude(report, raise_exception)


def check_grads(f: Callable[..., Any], *args: Any, order: int = 2, **kw: Any) -> None:
    """gradcheck and (order >= 2) gradgradcheck of `f(*args)`, raising on any mismatch."""
    gradcheck(f, args, **kw)
    if order >= 2:
        gradgradcheck(f, args, **kw)
