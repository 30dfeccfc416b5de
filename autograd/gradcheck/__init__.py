"""Compare analytic gradients with finite differences, in float64 (PyTorch's gradcheck).

- `numerical_grad(f, *args)`: central differences of a scalar function, same nest as args.
- `gradcheck` / `gradgradcheck`: full-Jacobian (or `fast_mode` random-projection) checks of
  first / second derivatives; a mismatch raises `GradcheckError` naming the input, the worst
  element and both values. `gradcheck_report` returns the per-input numbers instead.
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
from autograd.gradcheck.nodes import GraphCheck, NodeCheck, gradcheck_graph
from autograd.gradcheck.numeric import numerical_grad

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "GraphCheck",
    "InputReport",
    "NodeCheck",
    "NondifferentiableWarning",
    "check_grads",
    "gradcheck",
    "gradcheck_graph",
    "gradcheck_report",
    "gradgradcheck",
    "numerical_grad",
]
