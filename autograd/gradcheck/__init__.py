"""Compare analytic gradients with finite differences, in float64 (PyTorch's gradcheck).

- `numerical_grad(f, *args)`: central differences of a scalar function, same nest as args.
- `gradcheck` / `gradgradcheck`: full-Jacobian (or `fast_mode` random-projection) checks of
  first / second derivatives; a mismatch raises `GradcheckError` naming the input, the worst
  element and both values. `gradcheck_report` returns the per-input numbers instead.
- `report.eps_sweep()`: rerun at eps = 1e-2 ... 1e-10 and say why it failed (a VJP bug, an
  eps/precision problem or a kink); `report.mismatch_map(i)`: |analytic - numerical| in the
  input's shape, with the pattern it shows (zero row/column, transposed, factor, sign flip).
- `gradcheck_graph(f, inputs)`: trace `f` once and check every recorded op's own VJP at the
  values it saw, so a whole-function mismatch can be pinned to the op that causes it.
"""

from autograd.gradcheck.check import (
    GradcheckError,
    GradcheckReport,
    GradcheckWarning,
    InputReport,
    NondifferentiableWarning,
    check_grads,
    gradcheck,
    gradcheck_report,
    gradgradcheck,
)
from autograd.gradcheck.diagnose import EpsSweep, Kink, Verdict
from autograd.gradcheck.mismatch import MismatchMap
from autograd.gradcheck.nodes import GraphCheck, NodeCheck, gradcheck_graph
from autograd.gradcheck.numeric import numerical_grad

__all__ = [
    "EpsSweep",
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "GraphCheck",
    "InputReport",
    "Kink",
    "MismatchMap",
    "NodeCheck",
    "NondifferentiableWarning",
    "Verdict",
    "check_grads",
    "gradcheck",
    "gradcheck_graph",
    "gradcheck_report",
    "gradgradcheck",
    "numerical_grad",
]
