"""Per-op gradient checks: trace f once, then check each recorded op's own VJPs.

A whole-function mismatch says something is wrong; `gradcheck_graph` says where. Every
recorded op is re-run from its primitive's forward at the values it saw (upcast to
float64), and its VJPs are compared with finite differences of that forward alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import mode
from autograd.errors import ShapeError
from autograd.gradcheck.compare import InputReport, check_problem
from autograd.gradcheck.inputs import GradcheckError, prepare
from autograd.graph import Graph, trace
from autograd.ops.shape import sum_to_axes
from autograd.tensor import Tensor

MAX_FULL = 4096  # Jacobian entries per op above which the automatic mode projects (v^T J u)


@dataclass
class NodeCheck:
    """The verdict for one recorded op: "ok", "fail", "nondifferentiable" or "skipped"."""

    op_id: str
    op: str
    status: str
    inputs: list[InputReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def passed(self) -> bool:
        """False only when this op's VJP disagrees with its forward."""
        return self.status != "fail"

    @property
    def message(self) -> str:
        """What went wrong (or why the op was skipped), one line per finding."""
        lines = [*self.problems, *(r.message for r in self.inputs if r.status != "ok")]
        return "\n".join(dict.fromkeys(lines)) or self.reason


@dataclass
class GraphCheck:
    """The traced `graph` and one `NodeCheck` per op id (as in `graph.ops`)."""

    graph: Graph
    nodes: dict[str, NodeCheck]

    @property
    def failing(self) -> list[str]:
        """Op ids whose VJP is wrong, in recording order."""
        return [oid for oid, c in self.nodes.items() if c.status == "fail"]

    @property
    def passed(self) -> bool:
        """No op failed."""
        return not self.failing

    def status(self, op_id: str) -> str:
        """The status of op `op_id` (viz paints "fail" ops)."""
        return self.nodes[op_id].status

    def table(self) -> str:
        """One line per op: id, name, module, status, max abs/rel error."""
        lines = []
        for oid, c in self.nodes.items():
            errs = [r for r in c.inputs if r.status != "error"]
            ab = max((r.max_abs_err for r in errs), default=0.0)
            rel = max((r.max_rel_err for r in errs), default=0.0)
            mod = self.graph.ops[oid].module or ""
            lines.append(f"{oid:<6} {c.op:<16} {mod:<16} {c.status:<17} {ab:<10.3g} {rel:.3g}")
        head = f"{'op':<6} {'name':<16} {'module':<16} {'status':<17} {'abs err':<10} rel err"
        return "\n".join([head, *lines])

    __str__ = table

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: op id -> {op, status, message}."""
        return {oid: {"op": c.op, "status": c.status, "message": c.message}
                for oid, c in self.nodes.items()}


def _is_float(t: Any) -> bool:
    return isinstance(t, Tensor) and t.data.dtype.kind == "f"


class _NodeProblem:
    """One recorded op as a `Problem`: its primitive's forward and VJPs, nothing else."""

    def __init__(self, oid: str, node: Any) -> None:
        self.prim, self.params = node.prim, dict(node.params)
        self.xs = [
            np.array(t.data, np.float64, order="C") if _is_float(t) else getattr(t, "data", None)
            for t in node.inputs
        ]
        self.missing: list[str] = []
        self.diff: list[int] = []
        for i, t in enumerate(node.inputs):
            if not _is_float(t) or not t.requires_grad:  # only the VJPs backward would run
                continue
            try:
                vjp = self.prim.vjp_for(i)
            except NotImplementedError as exc:
                self.missing.append(str(exc))
                continue
            if vjp is not None:
                self.diff.append(i)
        self.labels = [f"{oid} ({self.prim.name}) input {i}" for i in self.diff]
        self.arrays = [self.xs[i] for i in self.diff]
        self.ans, self.aux = self._forward()
        self.out_shapes = [self.ans.shape]

    def _forward(self) -> tuple[np.ndarray, Any]:
        with mode.no_grad():
            out = self.prim.forward(*self.xs, **self.params)
        aux = None
        if self.prim.has_aux:
            out, aux = out
        return np.asarray(out), aux

    def evaluate(self) -> np.ndarray:
        # NOTE: a copy: view ops (reshape, identity) alias the inputs being perturbed
        return np.array(self._forward()[0], dtype=np.float64).reshape(-1)

    def pullback(self, v: np.ndarray) -> list[np.ndarray]:
        g = Tensor(v.reshape(self.ans.shape).astype(self.ans.dtype))
        ins = [None if x is None else Tensor(x) for x in self.xs]
        kw = self.params if self.aux is None else {**self.params, "aux": self.aux}
        out = []
        with mode.no_grad():
            for i in self.diff:
                gi = self.prim.vjp_for(i)(g, Tensor(self.ans), *ins, **kw)
                arr = np.asarray(gi.data if isinstance(gi, Tensor) else gi, dtype=np.float64)
                shape = self.xs[i].shape
                if arr.shape != shape:
                    try:
                        axes, _ = sum_to_axes(arr.shape, shape)
                    except ShapeError:
                        raise GradcheckError(
                            f"the VJP of {self.prim.name} for input {i} returned shape "
                            f"{arr.shape}, which does not reduce to the input's shape {shape}"
                        ) from None
                    arr = np.sum(arr, axis=axes, keepdims=True).reshape(shape)
                out.append(arr)
        return out


def _check_node(oid: str, node: Any, eps: float, atol: float, rtol: float,
                fast_mode: bool | None, seed: int) -> NodeCheck:
    name = node.prim.name
    if not node.prim.differentiable:
        return NodeCheck(oid, name, "skipped", reason=f"{name} has no gradient")
    problem = _NodeProblem(oid, node)
    if problem.missing:
        return NodeCheck(oid, name, "fail", problems=problem.missing)
    if not problem.diff:
        return NodeCheck(oid, name, "skipped", reason="no input that requires grad has a VJP")
    if not np.array_equal(problem.evaluate(), problem.evaluate(), equal_nan=True):
        return NodeCheck(oid, name, "skipped", reason=f"{name}'s forward is not deterministic")
    fast = fast_mode
    if fast is None:
        fast = problem.ans.size * sum(x.size for x in problem.arrays) > MAX_FULL
    reports, problems = check_problem(
        problem, eps=eps, atol=atol, rtol=rtol, fast_mode=fast, seed=seed
    )
    if problems or any(not r.passed for r in reports):
        status = "fail"
    elif any(r.status == "nondifferentiable" for r in reports):
        status = "nondifferentiable"
    else:
        status = "ok"
    return NodeCheck(oid, name, status, reports, problems)


def gradcheck_graph(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    fast_mode: bool | None = None,
    seed: int = 0,
) -> GraphCheck:
    """Trace `f(*inputs)` once and check every recorded op's VJPs at the values it saw.

    Returns a `GraphCheck`: `.failing` lists the op ids (as in `.graph.ops`) whose VJP
    disagrees with finite differences of that op's forward. `fast_mode=None` uses the full
    Jacobian for small ops and a random projection for large ones.
    """
    prep = prepare(inputs, eps=eps)
    call, _ = prep.call_args(grad=True, copy=True)
    graph = trace(f, *call)
    nodes = {
        oid: _check_node(oid, node, eps, atol, rtol, fast_mode, seed)
        for oid, (node, _) in graph.records.items()
    }
    return GraphCheck(graph, nodes)
