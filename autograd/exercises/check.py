"""Check a learner's `backward(g, cache)`: per-node gradcheck, reference VJP, and an explanation.

The learner's VJP becomes the backward of an `ag.Function` around the exercise's own forward,
so the check is the library's: `gradcheck_graph` checks that node against finite differences
in float64 (its result is what viz paints), `gradcheck_report` gives the mismatch map and the
eps sweep that name what is wrong, and the hidden reference VJP is compared at the same g.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.errors import ShapeError
from autograd.function import Function
from autograd.gradcheck import GraphCheck, NodeCheck, gradcheck_graph, gradcheck_report
from autograd.gradcheck.mismatch import MismatchMap, find_pattern
from autograd.graph import trace
from autograd.ops.shape import sum_to_axes
from autograd.tensor import Tensor
from autograd.user_code import NotPythonFile, exec_file

if TYPE_CHECKING:
    from autograd.exercises.spec import Exercise

_renderer: Callable[[ExerciseResult], Any] | None = None  # set by viz (autograd draws nothing)


def register_renderer(draw: Callable[[ExerciseResult], Any]) -> None:
    """Let a drawing layer (viz) paint results: `draw(result)` returns a graphviz.Digraph."""
    global _renderer
    _renderer = draw


@dataclass
class Finding:
    """The verdict on one gradient the learner returned (dL/dx, dL/dw, ...)."""

    input: str
    passed: bool
    explanation: str = ""
    pattern: str | None = None
    mismatch: MismatchMap | None = None


@dataclass
class ExerciseResult:
    """`status` is "pass", "fail", "todo" (backward not written yet) or "error" (it raised or
    returned the wrong thing); `explain()` says what, `draw()` paints it on the graph."""

    exercise: Exercise
    status: str
    source: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    graph_check: GraphCheck | None = None
    op_id: str | None = None  # the learner's node in graph_check.graph

    @property
    def passed(self) -> bool:
        """The learner's VJP matches finite differences and the reference."""
        return self.status == "pass"

    def _reason(self) -> str:
        if self.status == "pass":
            return "your backward matches finite differences and the reference VJP"
        why = next((f.explanation for f in self.findings if not f.passed), "")
        return why or (self.notes[0] if self.notes else "")

    @property
    def headline(self) -> str:
        """One line: exercise, verdict and the first reason."""
        word = {"pass": "PASS", "fail": "FAIL", "todo": "NOT WRITTEN YET", "error": "ERROR"}
        why = self._reason()
        return f"{self.exercise.name}: {word[self.status]}" + (f": {why}" if why else "")

    def explain(self) -> str:
        """The verdict, one line per gradient (worst entries when wrong) and the notes."""
        lines = [self.headline]
        for f in self.findings:
            lines.append(f"  d{f.input}: " + ("ok" if f.passed else f.explanation))
            if f.mismatch is not None and not f.passed:
                lines.extend("    " + s for s in f.mismatch.summary(3).splitlines()[1:])
        lines.extend(f"  {n}" for n in self.notes if n != self._reason())
        return "\n".join(lines)

    __str__ = explain

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary: exercise, status, per-gradient verdicts, notes."""
        return {"exercise": self.exercise.name, "status": self.status, "source": self.source,
                "findings": [{"input": f.input, "passed": f.passed, "pattern": f.pattern,
                              "explanation": f.explanation} for f in self.findings],
                "notes": list(self.notes)}

    def draw(self) -> Any:
        """The graph with the verdict painted on the learner's node (needs `import viz`)."""
        if _renderer is None:
            raise RuntimeError("drawing an exercise result needs viz: `import viz` first "
                               "(autograd itself draws nothing)")
        return _renderer(self)

    def _repr_html_(self) -> str:
        import html

        text = f"<pre>{html.escape(self.explain())}</pre>"
        if _renderer is None:
            return text + "<p><i>import viz to see the verdict painted on the graph</i></p>"
        try:
            svg = self.draw().pipe(format="svg").decode()
        except Exception as exc:  # no `dot` program: the text verdict still stands
            return text + f"<p><i>(graph not drawn: {html.escape(str(exc))})</i></p>"
        return text + svg


# ----- loading the learner's backward -----

def load_module(path: str | Path) -> ModuleType:
    """Import a learner's file by path (it is their own code; its folder joins sys.path)."""
    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise FileNotFoundError(f"exercise: no such file: {path}")
    try:
        return exec_file(p, "_exercise_")
    except NotPythonFile:
        raise ValueError(f"exercise: cannot import {path}: not a Python file") from None
    except SyntaxError as exc:
        raise ValueError(f"exercise: {path} line {exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # the learner's top-level code raised: say where, in one line
        raise ValueError(f"exercise: importing {path} failed: {type(exc).__name__}: {exc}"
                         f"{_learner_line(exc)}") from None


def _backward_of(ex: Exercise, solution: Any) -> tuple[Callable[..., Any], str]:
    if isinstance(solution, (str, Path)):
        module, where = load_module(solution), str(solution)
    elif isinstance(solution, ModuleType):
        module, where = solution, solution.__name__
    elif callable(solution):
        return solution, getattr(solution, "__qualname__", repr(solution))
    else:
        raise TypeError("exercise check: give a file path, a module or the backward function; "
                        f"got {type(solution).__name__}")
    declared = getattr(module, "EXERCISE", ex.target or ex.name)
    if declared != (ex.target or ex.name):
        raise ValueError(f"{where} is the starter of exercise {declared!r}, not {ex.name!r}")
    fn = getattr(module, "backward", None)
    if not callable(fn):
        raise ValueError(f"{where} defines no function backward(g, cache)")
    return fn, where


# ----- running it -----

class _Failed(Exception):
    """The learner's backward raised or returned the wrong thing: (status, message)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _learner_line(exc: BaseException) -> str:
    """` (line 7 of exercise_relu.py)`: the innermost frame outside autograd and NumPy."""
    skip = (str(Path(__file__).parents[1]), str(Path(np.__file__).parent))
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if not f.filename.startswith(skip)]
    return f" (line {mine[-1].lineno} of {Path(mine[-1].filename).name})" if mine else ""


def _grads(ex: Exercise, backward: Callable[..., Any], g: np.ndarray, cache: Any,
           shapes: list[tuple[int, ...]], notes: list[str] | None = None) -> list[np.ndarray]:
    """Call the learner's backward on copies; return its gradients or raise `_Failed`.
    A write into those copies is noted in `notes` (the engine may share g between nodes)."""
    g_in, cache_in = g.copy(), copy.deepcopy(cache)
    try:
        res = backward(g_in, cache_in)
    except NotImplementedError as exc:
        raise _Failed("todo", f"backward is not written yet ({exc})") from None
    except Exception as exc:
        raise _Failed("error", f"your backward raised {type(exc).__name__}: {exc}"
                      f"{_learner_line(exc)}") from None
    if notes is not None and not (_same(g_in, g) and _same(cache_in, cache)):
        notes.append("note: your backward modified g or the cache in place; the checker "
                     "passed copies, but autograd may share g between nodes")
    names = [f"dL/d{n}" for n in ex.wrt]
    if len(ex.wrt) == 1 and not isinstance(res, (tuple, list)):
        res = (res,)
    if not isinstance(res, (tuple, list)) or len(res) != len(ex.wrt):
        got = f"{len(res)} values" if isinstance(res, (tuple, list)) else type(res).__name__
        raise _Failed("error", f"backward must return {len(ex.wrt)} gradient(s) "
                      f"({', '.join(names)}); it returned {got}")
    out = []
    for name, r, shape, x in zip(names, res, shapes, ex.wrt, strict=True):
        if r is None:
            raise _Failed("error", f"backward returned None for {name}")
        arr = np.asarray(r.data if isinstance(r, Tensor) else r, dtype=np.float64)
        if arr.shape != shape:
            raise _Failed("error", f"{name} has shape {arr.shape}; it must have {x}'s shape "
                          f"{shape}{_sum_hint(arr.shape, shape, x)}")
        if not np.all(np.isfinite(arr)):
            raise _Failed("error", f"{name} contains NaN or inf")
        out.append(arr)
    return out


def _sum_hint(got: tuple[int, ...], want: tuple[int, ...], x: str) -> str:
    """` (sum it over axis (0,): b was broadcast there)` when `got` reduces to `want`."""
    try:
        axes, _ = sum_to_axes(got, want)
    except ShapeError:
        return ""
    return f" (sum it over axis {axes}: {x} was broadcast there)"


def _as_function(ex: Exercise, backward: Callable[..., Any], sample: dict[str, Any],
                 shapes: list[tuple[int, ...]]) -> type[Function]:
    """An `ag.Function` whose forward is the exercise's and whose backward is the learner's."""

    def forward(ctx: Any, *tensors: Tensor) -> Tensor:
        args = {**sample, **{n: t.data for n, t in zip(ex.wrt, tensors, strict=True)}}
        out, ctx.cache = ex.forward(*args.values())
        return Tensor(np.asarray(out, dtype=np.float64))

    def vjp(ctx: Any, g: Tensor) -> tuple[Tensor, ...]:
        gs = _grads(ex, backward, np.asarray(g.data, dtype=np.float64), ctx.cache, shapes)
        return tuple(Tensor(a) for a in gs)

    name = "your_" + "".join(c if c.isalnum() else "_" for c in ex.name)  # YourReluBackward
    return type(name, (Function,), {"forward": staticmethod(forward),
                                    "backward": staticmethod(vjp)})


_PATTERN_TEXT = {
    "sign flip": "sign flipped: yours is exactly minus the true gradient (a - for a +, or "
                 "b - a for a - b)",
    "transposed": "transposed: yours is the true gradient transposed; check which factor you "
                  "transposed and the order of the product",
    "zero row": "zero rows where the true gradient is not: {detail}",
    "zero column": "zero columns where the true gradient is not: {detail}",
}


def describe(pattern: str | None, detail: str, factor: float | None) -> str:
    """A learner-facing sentence for a mismatch pattern from section 2's `find_pattern`."""
    if pattern == "constant factor" and factor is not None:
        why = (" (a term counted twice?)" if abs(factor - 2) < 0.05 else
               " (a missing factor 2, or a 1/2 too many?)" if abs(factor - 0.5) < 0.02 else
               " (a scale such as 1/N or 1/(1-p) missing or doubled?)")
        return f"off by a constant factor {factor:.3g}: yours = {factor:.3g} x the true one{why}"
    if pattern in _PATTERN_TEXT:
        return _PATTERN_TEXT[pattern].format(detail=detail)
    if detail == "analytic is zero everywhere":
        return "your gradient is zero everywhere: did you forget to multiply by g?"
    return "wrong, with no simple pattern (not a transpose, a constant factor or a sign flip)"


def _finding(name: str, k: int, report: Any, mine: np.ndarray, ref: np.ndarray,
             atol: float, rtol: float) -> Finding:
    tol = atol + rtol * float(np.max(np.abs(ref), initial=0.0))
    numeric_ok = report.inputs[k].passed
    if numeric_ok and np.all(np.abs(mine - ref) <= tol):
        return Finding(name, True)
    mm = report.mismatch_map(k)
    pattern, detail, factor = mm.pattern, mm.detail, mm.factor
    if pattern is None:  # the exact reference at the same g can still name it
        pattern, detail, factor, _ = find_pattern(mine, ref, atol, rtol)
        detail = detail or mm.detail
    return Finding(name, False, describe(pattern, detail, factor), pattern, mm)


def check(ex: Exercise, solution: Any, *, seed: int = 0, eps: float = 1e-6, atol: float = 1e-5,
          rtol: float = 1e-3) -> ExerciseResult:
    """Check `solution` (file path, module or `backward(g, cache)`) against exercise `ex`."""
    backward, where = _backward_of(ex, solution)
    sample = ex.inputs(seed)
    xs = tuple(np.asarray(sample[n], dtype=np.float64) for n in ex.wrt)
    shapes = [x.shape for x in xs]
    out, cache = ex.forward(*sample.values())
    out = np.asarray(out)
    # NOTE: the checks draw from seed + 1, the inputs from seed: the same draws would make
    # a (M, K) input equal to the (M, K) projection vector and hide a transpose
    check_seed = seed + 1
    rng = np.random.default_rng(check_seed)
    g = np.ones(()) if out.ndim == 0 else rng.standard_normal(out.shape)
    fn = _as_function(ex, backward, sample, shapes)
    result = ExerciseResult(ex, "pass", where)
    try:
        mine = _grads(ex, backward, g, cache, shapes, result.notes)
        ref = [np.asarray(r, dtype=np.float64) for r in _tuple(ex.reference(g, cache))]

        def loss(*ts: Tensor) -> Tensor:
            y = fn.apply(*ts)
            return y if out.ndim == 0 else (y * Tensor(g, name="g")).sum()

        graph_check = gradcheck_graph(loss, xs, eps, atol, rtol, seed=check_seed)
        report = gradcheck_report(lambda *ts: fn.apply(*ts), xs, eps, atol, rtol,
                                  seed=check_seed)
    except _Failed as exc:  # raised on the first call, or only on a later g (nondeterminism)
        result.status = exc.status
        result.notes.insert(0, str(exc))
        _paint_unchecked(result, fn, xs)
        return result
    result.findings = [_finding(n, k, report, m, r, atol, rtol)
                       for k, (n, m, r) in enumerate(zip(ex.wrt, mine, ref, strict=True))]
    oid = _own_node(graph_check, fn.__name__)
    node = graph_check.nodes[oid]
    if any(not f.passed for f in result.findings) or node.status == "fail":
        result.status = "fail"
        verdict = report.eps_sweep().verdict
        if verdict.kind != "pass":
            result.notes.append(f"eps sweep: {verdict.kind}: {verdict.explanation}")
        node.status = "fail"
        node.problems = [f"d{f.input}: {f.explanation}" for f in result.findings if not f.passed]
    _name_inputs(graph_check, oid, ex.wrt)
    result.graph_check = GraphCheck(graph_check.graph, {oid: node})
    result.op_id = oid
    return result


def _tuple(res: Any) -> tuple[Any, ...]:
    return tuple(res) if isinstance(res, (tuple, list)) else (res,)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) if np.isscalar(a) else True


def _own_node(gc: GraphCheck, op_name: str) -> str:
    return next(oid for oid, op in gc.graph.ops.items() if op.op == op_name)


def _name_inputs(gc: GraphCheck, oid: str, names: tuple[str, ...]) -> None:
    """Inputs are traced as arg0, arg1 ...: show the exercise's own names (and hide the
    Function's internal layout parameters on the learner's node)."""
    gc.graph.ops[oid].params = {}
    for tn in gc.graph.tensors.values():
        if tn.name and tn.name.startswith("arg") and tn.name[3:].isdigit():
            tn.name = names[int(tn.name[3:])]


def _paint_unchecked(result: ExerciseResult, fn: type[Function], xs: tuple[Any, ...]) -> None:
    """A todo/error result still gets a graph (forward only) with the learner's node failed."""
    graph = trace(lambda *ts: fn.apply(*ts), *xs, backward=False)
    oid = _own_node(GraphCheck(graph, {}), fn.__name__)
    node = NodeCheck(oid, fn.__name__, "fail", problems=list(result.notes))
    gc = GraphCheck(graph, {oid: node})
    _name_inputs(gc, oid, result.exercise.wrt)
    result.graph_check, result.op_id = gc, oid
