"""`record_on_error()`: keep the graph recorded so far when a forward op or a VJP fails.

Inside `with ag.record_on_error():` every op is recorded into an `ag.Graph` (as `ag.trace`
does) and backward records what reached each op. When an op's forward raises, a VJP raises
or returns a gradient of the wrong shape, or a VJP sends NaN/inf, the graph is kept with the
failing op marked (`Graph.error`): `ag.last_error_graph()` returns it and
`viz.last_error_graph()` draws it. The exception itself propagates unchanged. The engine
calls `op_failed`, `vjp_failed` and `vjp_returned` only while `active` is non-empty, so
nothing is paid when no recording is open.
"""

from __future__ import annotations

import sys
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import mode, scope
from autograd.errors import describe
from autograd.tensor import Tensor

if TYPE_CHECKING:
    from autograd.graph import Graph

MAX_OPS = 20_000  # a recording past this many ops restarts, so a long loop stays bounded

active: list[ErrorRecording] = []  # open recordings, innermost last (the engine checks it)
_last: list[Graph] = []  # the latest error graph


class _Failure:
    """What failed, noted by the engine's hooks while the exception is still in flight."""

    def __init__(self, exc: BaseException, phase: str, info: dict[str, Any]) -> None:
        self.exc = exc
        self.phase = phase
        self.info = info


class ErrorRecording:
    """An open `record_on_error()` block: its graph so far and the failure, if any."""

    def __init__(self) -> None:
        self.graph: Graph = _new_graph()
        self.failure: _Failure | None = None
        self.restarts = 0
        self._bw = self.graph.backward_observer()

    # ----- recording -----

    def _observe(self, node: Any, out: Tensor) -> None:
        if not mode.is_grad_enabled():  # ops run by VJPs inside backward are not the model's
            return
        if len(self.graph.ops) >= MAX_OPS:
            self.graph = _new_graph()
            self._bw = self.graph.backward_observer()
            self.restarts += 1
        node.location = scope.user_location()
        self.graph._add_op(node, out)

    def _observe_backward(self, node: Any, g: Tensor, grads_in: list[Tensor | None]) -> None:
        self._bw(node, g, grads_in)
        self.graph.has_backward = True

    def __enter__(self) -> ErrorRecording:
        from autograd import engine

        scope.observers().append(self._observe)
        engine.backward_observers.append(self._observe_backward)
        active.append(self)
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from autograd import engine

        active.remove(self)
        scope.observers().remove(self._observe)
        engine.backward_observers.remove(self._observe_backward)
        failure = self.failure
        if (exc is not None and failure is not None and failure.phase != "nonfinite"
                and not _caused_by(exc, failure.exc)):
            failure = None  # an earlier failure the code caught and moved past
        if exc is None and (failure is None or failure.phase != "nonfinite"):
            return
        if exc is not None and failure is None and not self.graph.ops:
            return  # nothing was recorded: no graph to keep
        try:
            _last[:] = [self._finish(exc, failure)]
        except Exception as bug:  # never let the recording hide the user's own exception
            warnings.warn(f"record_on_error could not keep the graph: {bug!r}", stacklevel=2)
        # returning None lets the exception propagate as it was (type, message, traceback)

    # ----- the kept graph -----

    def _finish(self, exc: BaseException | None, failure: _Failure | None) -> Graph:
        g = self.graph
        info: dict[str, Any] = {"phase": "error", "op": None}
        if failure is not None:
            info = {"phase": failure.phase, **failure.info}
        shown = exc if exc is not None else failure.exc if failure is not None else None
        if shown is not None:
            info["type"] = type(shown).__name__
            info["message"] = str(shown)
            info.setdefault("raised_at", _raised_at(shown))
        if self.restarts:
            info["note"] = (f"the recording restarted {self.restarts} time(s) after "
                            f"{MAX_OPS} ops; this is the latest part")
        if failure is not None and failure.phase == "forward":
            info["op"] = _add_failed_op(g, info)
        _leaf_grads(g)
        g.error = info
        return g


def _leaf_grads(g: Graph) -> None:
    """What reached each leaf before backward stopped (leaves accumulate only at its end)."""
    made = {op.output for op in g.ops.values()}
    for oid in g.backward_order:
        op = g.ops[oid]
        for tid, info in zip(op.inputs, op.grads_in, strict=False):
            if tid is not None and info is not None and tid not in made:
                g.tensors[tid].grad = {"shape": info["shape"], "nonfinite": info["nonfinite"],
                                       "norm": info.get("total_norm", info["norm"])}


def _new_graph() -> Graph:
    from autograd.graph import Graph

    return Graph()


def record_on_error() -> ErrorRecording:
    """Record every op inside the block; if one fails, keep the graph up to it.

    >>> with ag.record_on_error():        # doctest: +SKIP
    ...     loss = model(x).sum()         # a shape mismatch deep inside raises as usual,
    ...     loss.backward()               # and so does a failing VJP
    >>> viz.last_error_graph()            # doctest: +SKIP

    The failing op is drawn outlined with its input shapes, the exception and the user's
    `file:line`; the exception propagates unchanged. A VJP that sends NaN/inf raises nothing
    (unless `ag.detect_anomaly()` is on) but keeps its graph too, with a RuntimeWarning.
    Run the forward pass inside the block: ops run before it, or under `no_grad()`, are not
    recorded (a failing op there is still shown, with its inputs). The graph is held until
    the next failure; past `MAX_OPS` ops a recording restarts, so a long loop stays bounded.
    """
    return ErrorRecording()


def last_error_graph() -> Graph | None:
    """The graph kept by the latest failure inside `record_on_error()` (None if none yet)."""
    return _last[0] if _last else None


# ----- hooks the engine calls while `active` is non-empty -----


def op_failed(prim: Any, inputs: tuple[Tensor | None, ...], params: dict[str, Any],
              exc: BaseException) -> None:
    """An op's forward (or its shape check) raised `exc` on `inputs`."""
    info = {
        "op_name": prim.name,
        "tensors": inputs,
        "params": params,
        "module": scope.current_module_path(),
        "location": scope.user_location(),
        "inputs": [describe(t) for t in inputs],
    }
    for rec in active:
        rec.graph.name_open_modules(info["module"])
        rec.failure = _Failure(exc, "forward", info)


def vjp_failed(node: Any, i: int, g: Tensor, returned: Any, exc: BaseException) -> None:
    """The VJP of `node` for input `i`, given the gradient `g` of its output, raised `exc`
    (or returned `returned`, which did not fit the input)."""
    detail = f"its VJP for input {i} raised {type(exc).__name__}"
    inp = node.inputs[i] if node.inputs is not None else None
    if returned is not None and inp is not None:
        shape = tuple(np.shape(returned.data if isinstance(returned, Tensor) else returned))
        if shape != tuple(inp.shape):
            detail = (f"its VJP for input {i} returned a gradient of shape {shape}; "
                      f"the input has shape {tuple(inp.shape)}")
    _note_backward(node, i, exc, "backward", detail, g)


def vjp_returned(node: Any, i: int, gi: Tensor) -> None:
    """Check a VJP's result for NaN/inf; the first such one is kept as the failure."""
    data = gi.data
    if data.dtype.kind not in "fc" or np.isfinite(data).all():
        return
    if any(rec.failure is not None for rec in active):
        return
    kind = "nan" if np.isnan(data).any() else "inf"
    detail = f"its VJP sent {kind} values to input {i}"
    exc = RuntimeWarning(f"{node.backward_name} returned {kind} values for input {i} of "
                       f"{node.prim.name}")
    _note_backward(node, i, exc, "nonfinite", detail)
    warnings.warn(f"{exc} (viz.last_error_graph() shows where)", RuntimeWarning,
                  stacklevel=_outside_depth())


def _note_backward(node: Any, i: int, exc: BaseException, phase: str, detail: str,
                   g: Tensor | None = None) -> None:
    from autograd.graph import _grad_info

    for rec in active:
        oid = next((o for o, (n, _) in rec.graph.records.items() if n is node), None)
        info: dict[str, Any] = {"op": oid, "input": i, "detail": detail,
                                "op_name": node.prim.name, "location": node.location}
        if oid is not None:
            graph = rec.graph
            info["inputs"] = [
                f"{graph.tensors[t].dtype} {graph.tensors[t].shape}" if t else "None"
                for t in graph.ops[oid].inputs
            ]
            if g is not None:  # the gradient that reached the failing op's output
                graph.tensors[graph.ops[oid].output].grad = _grad_info(g)
        rec.failure = _Failure(exc, phase, info)


# ----- helpers -----


def _caused_by(exc: BaseException, origin: BaseException) -> bool:
    """Whether `origin` is `exc` or in its chain of causes (ValueError -> ShapeError)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if cur is origin:
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def _raised_at(exc: BaseException) -> str | None:
    """`file:line` of the innermost frame of the traceback in the user's own code."""
    where = None
    tb = exc.__traceback__
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if scope.is_user_file(fname):
            where = f"{fname}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def _outside_depth() -> int:
    """`stacklevel` that points a warning at the first frame outside tracegrad."""
    frame, level = sys._getframe(1), 1
    while frame is not None and not scope.is_user_file(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def _add_failed_op(g: Graph, info: dict[str, Any]) -> str:
    """Add the op that raised in its forward, with its inputs and a placeholder output."""
    from autograd.graph import Edge, OpNode, _param_repr

    in_ids = [g._tensor_id(t) if t is not None else None for t in info["tensors"]]
    placeholder = Tensor(np.zeros(0, dtype=np.float32))
    out_id = g._tensor_id(placeholder, role="error")
    tn = g.tensors[out_id]
    tn.name, tn.shape, tn.dtype, tn.stats = "not computed", (), "", {}
    oid = f"op{len(g.ops)}"
    g.ops[oid] = OpNode(
        id=oid,
        op=info["op_name"],
        inputs=in_ids,
        output=out_id,
        module=info["module"],
        location=info["location"],
        params={k: _param_repr(v) for k, v in info["params"].items()},
    )
    for k, tid in enumerate(in_ids):
        if tid is not None:
            g.edges.append(Edge(tid, oid, k))
    g.edges.append(Edge(oid, out_id, 0))
    for key in ("tensors", "params"):
        info.pop(key, None)
    return oid

