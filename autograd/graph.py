"""`Graph`: the recorded computation as plain data (tensor nodes, op nodes, edges).

`ag.trace(f, *args)` runs `f` once, records every op (name, shapes, dtypes, module path,
source line, time) and, for a scalar output, the backward pass (gradient shape and norm
reaching each node, in execution order). `Graph.from_tensor(t)` walks an existing graph.
Viz and gradcheck read this structure; they never touch engine internals.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from autograd import engine, mode, scope, tree
from autograd.tensor import Tensor

SMALL = 6  # tensors with at most this many elements show their values


def _summary(arr: np.ndarray) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if arr.size == 0 or arr.dtype.kind not in "fiub":
        return info
    a = arr.astype(np.float64, copy=False)
    finite = np.isfinite(a)
    info["nonfinite"] = int(a.size - finite.sum())
    if arr.size <= SMALL:
        info["value"] = [float(v) for v in a.ravel()]
    if finite.any():
        f = a[finite]
        info.update(min=float(f.min()), mean=float(f.mean()), max=float(f.max()))
    return info


@dataclass
class TensorNode:
    """A value in the graph: an input, a parameter, a constant or an op's output."""

    id: str
    name: str | None
    shape: tuple[int, ...]
    dtype: str
    role: str  # "input" | "param" | "const" | "leaf" | "intermediate" | "output"
    requires_grad: bool
    stats: dict[str, Any] = field(default_factory=dict)
    grad: dict[str, Any] | None = None  # {"shape", "norm", "nonfinite"} after backward
    kind: str = "tensor"


@dataclass
class OpNode:
    """One recorded op: its inputs and output (tensor ids) and where it was made."""

    id: str
    op: str
    inputs: list[str | None]
    output: str
    module: str | None = None
    location: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    forward_time: float | None = None
    backward_time: float | None = None
    backward_step: int | None = None
    saved_bytes: int = 0
    # per input: {"shape", "norm", "nonfinite"} of the vjp sent to it, plus "total_norm" and
    # "arrival" (the gradient accumulated in that input so far, and how many have arrived)
    grads_in: list[dict[str, Any] | None] = field(default_factory=list)
    kind: str = "op"


@dataclass
class Edge:
    """Data flow: tensor -> op (input `index`) or op -> tensor (its output)."""

    src: str
    dst: str
    index: int = 0


def _grad_info(g: Tensor | None) -> dict[str, Any] | None:
    if g is None:
        return None
    a = g.data.astype(np.float64, copy=False)
    finite = np.isfinite(a)
    norm = float(np.sqrt(np.sum(a[finite] ** 2))) if finite.any() else 0.0
    return {"shape": tuple(g.shape), "norm": norm, "nonfinite": int(a.size - finite.sum())}


def _param_repr(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array{tuple(v.shape)}" if v.size > 4 else np.array2string(v, separator=",")
    if isinstance(v, tuple) and any(isinstance(i, np.ndarray) for i in v):
        return "(" + ", ".join(_param_repr(i) for i in v) + ")"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


class Graph:
    """Recorded forward (and optionally backward) pass as nodes and edges."""

    def __init__(self) -> None:
        self.tensors: dict[str, TensorNode] = {}
        self.ops: dict[str, OpNode] = {}
        self.edges: list[Edge] = []
        self.outputs: list[str] = []
        self.backward_order: list[str] = []
        self.has_backward = False
        # set when the graph was kept by `ag.record_on_error()`: what failed, where, and why
        self.error: dict[str, Any] | None = None
        # module path -> the first line of the module's repr (`Linear(in_features=2, ...)`)
        self.modules: dict[str, str] = {}
        # engine records (op id -> (Node, output Tensor)) for per-node checks; not serialized
        self.records: dict[str, tuple[Any, Tensor]] = {}
        self._ids: dict[int, str] = {}
        self._keep: list[Tensor] = []

    # ----- building -----

    def _tensor_id(self, t: Tensor, role: str | None = None) -> str:
        key = id(t)
        tid = self._ids.get(key)
        if tid is None:
            tid = f"t{len(self.tensors)}"
            self._ids[key] = tid
            self._keep.append(t)
            if role is None:
                if getattr(t, "is_parameter", False):
                    role = "param"
                elif t.grad_fn is None:
                    role = "leaf" if t.requires_grad else "const"
                else:
                    role = "intermediate"
            self.tensors[tid] = TensorNode(
                id=tid,
                name=t.name,
                shape=tuple(t.shape),
                dtype=str(t.dtype),
                role=role,
                requires_grad=bool(t.requires_grad),
                stats=_summary(t.data),
            )
        elif role is not None and self.tensors[tid].role in ("leaf", "const"):
            self.tensors[tid].role = role
        return tid

    def _add_op(self, node: Any, out: Tensor) -> str:
        oid = f"op{len(self.ops)}"
        inputs = node.inputs or ()
        in_ids = [self._tensor_id(t) if t is not None else None for t in inputs]
        out_id = self._tensor_id(out)
        saved = sum(t.data.nbytes for t in inputs if t is not None)
        meta = node.meta or {}
        self.ops[oid] = OpNode(
            id=oid,
            op=node.prim.name,
            inputs=in_ids,
            output=out_id,
            module=node.module,
            location=node.location,
            params={k: _param_repr(v) for k, v in node.params.items()},
            forward_time=meta.get("forward_time"),
            saved_bytes=int(saved),
        )
        for i, tid in enumerate(in_ids):
            if tid is not None:
                self.edges.append(Edge(tid, oid, i))
        self.edges.append(Edge(oid, out_id, 0))
        self.records[oid] = (node, out)
        self.name_open_modules(node.module)
        return oid

    def name_open_modules(self, mod: str | None) -> None:
        """Remember the title of each open module scope that path `mod` lies in (while
        recording live; a walk after the fact has no open scopes and names nothing)."""
        if not mod:
            return
        for path, owner in scope.open_modules():
            if (owner is not None and path and path not in self.modules
                    and (mod == path or mod.startswith(path + "."))):
                self.modules[path] = module_title(owner)

    @classmethod
    def from_tensor(cls, t: Tensor, backward: bool = False) -> Graph:
        """Walk the graph that produced `t` (it must not have been freed by backward).

        With `backward=True` and a scalar `t` that requires grad, the backward pass is run
        and recorded too, as `trace` does (the graph is retained and no `.grad` is touched).
        """
        g = cls()
        order: list[tuple[Any, Tensor]] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(t, False)]
        while stack:
            cur, done = stack.pop()
            node = cur.grad_fn
            if node is None:
                continue
            if done:
                order.append((node, cur))
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.inputs is None:
                raise RuntimeError(
                    "the graph behind this tensor was freed by backward(); call "
                    "backward(retain_graph=True) or use ag.trace(f, *args) to draw it"
                )
            stack.append((cur, True))
            for inp, e in zip(reversed(node.inputs), reversed(node.edges), strict=True):
                if isinstance(e, engine.Node) and id(e) not in seen:  # the input as it was then
                    stack.append((e.output_of(inp), False))
        for node, out in order:
            g._add_op(node, out)
        g.outputs = [g._tensor_id(t)]
        g.tensors[g.outputs[0]].role = "output"
        if backward and t.requires_grad and t.grad_fn is not None and t.data.size == 1:
            g._record_backward(t)
        else:
            g._collect_grads_from_attributes()
        return g

    def _collect_grads_from_attributes(self) -> None:
        for tid, t in zip(self.tensors, self._keep, strict=True):
            if t.grad is not None:
                self.tensors[tid].grad = _grad_info(t.grad)
                self.has_backward = True

    def backward_observer(self) -> Callable[[Any, Tensor, list[Tensor | None]], None]:
        """A callback for `engine.backward_observers` that records, per recorded op, its
        backward step and time and the gradient it sent to each input."""
        node_to_op: dict[int, str] = {}
        last = [time.perf_counter()]
        totals: dict[str, tuple[np.ndarray, int]] = {}  # gradient accumulated so far per tensor

        def observe(node: Any, g: Tensor, grads_in: list[Tensor | None]) -> None:
            if len(node_to_op) != len(self.records):  # ops recorded since the last call
                node_to_op.update((id(n), oid) for oid, (n, _) in self.records.items())
            oid = node_to_op.get(id(node))
            now = time.perf_counter()
            if oid is not None:
                op = self.ops[oid]
                op.backward_step = len(self.backward_order)
                op.backward_time = now - last[0]
                op.grads_in = [_grad_info(gi) for gi in grads_in]
                for tid, gi, info in zip(op.inputs, grads_in, op.grads_in, strict=True):
                    if tid is None or gi is None or info is None:
                        continue
                    acc, n = totals.get(tid, (None, 0))
                    acc = gi.data.copy() if acc is None else acc + gi.data
                    totals[tid] = (acc, n + 1)
                    total = _grad_info(Tensor(acc))
                    info["total_norm"] = total["norm"] if total else 0.0
                    info["arrival"] = n + 1
                self.backward_order.append(oid)
                self.tensors[op.output].grad = _grad_info(g)
            last[0] = now

        return observe

    def _record_backward(self, out: Tensor) -> None:
        """Run backward (retaining the graph, touching no `.grad`) and record what flowed."""
        leaves = [
            t for tid, t in zip(self.tensors, self._keep, strict=True)
            if t.requires_grad and t.grad_fn is None
        ]
        observe = self.backward_observer()
        engine.backward_observers.append(observe)
        try:
            grads = engine.backward([out], [None], retain_graph=True, inputs=leaves)
        finally:
            engine.backward_observers.remove(observe)
        for t, gr in zip(leaves, grads or [], strict=True):
            self.tensors[self._ids[id(t)]].grad = _grad_info(gr)
        self.has_backward = True

    # ----- reading -----

    @property
    def nodes(self) -> list[TensorNode | OpNode]:
        """Tensor nodes then op nodes, in recording order."""
        return [*self.tensors.values(), *self.ops.values()]

    def parameters_without_gradient_path(self) -> list[str]:
        """Ids of parameters/leaves requiring grad that no output depends on."""
        reach: set[str] = set(self.outputs)
        for op in reversed(list(self.ops.values())):
            if op.output in reach:
                reach.update(i for i in op.inputs if i is not None)
        return [
            tid for tid, tn in self.tensors.items()
            if tn.role in ("param", "input", "leaf") and tn.requires_grad and tid not in reach
        ]

    def first_nonfinite(self) -> dict[str, str | None]:
        """The first op whose output (forward) or gradient (backward) is not finite."""
        fwd = next(
            (o.id for o in self.ops.values() if self.tensors[o.output].stats.get("nonfinite")),
            None,
        )
        bwd = None
        for oid in self.backward_order:
            op = self.ops[oid]
            if any(gi and gi["nonfinite"] for gi in op.grads_in):
                bwd = oid
                break
        return {"forward": fwd, "backward": bwd}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description: nodes, edges, outputs, backward order."""
        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return json.loads(json.dumps(d, default=_json_default))

        return {
            "nodes": [clean(asdict(n)) for n in self.nodes],
            "edges": [asdict(e) for e in self.edges],
            "outputs": list(self.outputs),
            "backward_order": list(self.backward_order),
            "has_backward": self.has_backward,
            "error": clean(self.error) if self.error is not None else None,
            "modules": dict(self.modules),
        }

    def __str__(self) -> str:
        """A jaxpr-like listing: one line per op, `t3:f32[2,3] = matmul t0 t1`."""
        def sig(tid: str | None) -> str:
            if tid is None:
                return "None"
            tn = self.tensors[tid]
            dt = tn.dtype.replace("float", "f").replace("int", "i")
            label = tn.name or tid
            return f"{label}:{dt}[{','.join(map(str, tn.shape))}]"

        ins = [t for t in self.tensors.values() if t.role in ("input", "param", "leaf")]
        lines = ["{ lambda " + " ".join(sig(t.id) for t in ins) + " ."]
        for op in self.ops.values():
            extra = " ".join(f"{k}={v}" for k, v in op.params.items())
            where = f"  # {op.module}" if op.module else ""
            args = " ".join(sig(i) if i in ins else (i or "None") for i in op.inputs)
            lines.append(f"    {sig(op.output)} = {op.op}{'[' + extra + ']' if extra else ''} "
                         f"{args}{where}")
        lines.append("  in (" + ", ".join(self.outputs) + ") }")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Graph {len(self.tensors)} tensors, {len(self.ops)} ops>"


def module_title(module: Any) -> str:
    """First line of a module's repr: `Linear(in_features=2, out_features=64, bias=True)`;
    a container's `Sequential(` becomes `Sequential`."""
    try:
        first = (repr(module).splitlines() or [""])[0]
    except Exception:  # a user's broken __repr__ must not break tracing
        first = ""
    return first[:-1] if first.endswith("(") else first or type(module).__name__


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        v = float(o)
        return v if math.isfinite(v) else str(v)
    if isinstance(o, tuple):
        return list(o)
    return str(o)


def trace(f: Callable[..., Any], *args: Any, backward: bool = True, **kwargs: Any) -> Graph:
    """Run `f(*args, **kwargs)` once and return its recorded `Graph`.

    Floating arrays in `args` (any nest) become inputs that require grad, named after `f`'s
    parameters (`x`, `params.W1`; `arg2` past them or for `*args`). When `f` returns a scalar
    that depends on them, the backward pass is recorded too (without touching any `.grad`).
    """
    g = Graph()
    call_args = []
    names = _arg_names(f, len(args))
    for i, a in enumerate(args):
        leaves, td = tree.flatten(a)
        keys = _leaf_names(a, names[i])
        made = []
        for leaf, name in zip(leaves, keys, strict=True):
            if isinstance(leaf, Tensor):
                t = leaf
            elif isinstance(leaf, (np.ndarray, float, list)):
                arr = np.asarray(leaf)
                t = Tensor(arr, requires_grad=arr.dtype.kind == "f", name=name)
            else:
                made.append(leaf)
                continue
            if t.name is None:
                t.name = name
            g._tensor_id(t, role="input")
            made.append(t)
        call_args.append(tree.unflatten(td, made))

    def observe(node: Any, out: Tensor) -> None:
        node.location = scope.user_location()
        g._add_op(node, out)

    scope.observers().append(observe)
    try:
        with mode.enable_grad():
            result = f(*call_args, **kwargs)
    finally:
        scope.observers().remove(observe)
    outs = [r for r in tree.flatten(result)[0] if isinstance(r, Tensor)]
    g.outputs = [g._tensor_id(r) for r in outs]
    for tid in g.outputs:
        g.tensors[tid].role = "output"
    if (
        backward
        and len(outs) == 1
        and outs[0].requires_grad
        and outs[0].data.size == 1
    ):
        g._record_backward(outs[0])
    return g


def _arg_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of `f`'s first `n` positional parameters; `arg{i}` where it has none."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):  # a builtin or a callable without a signature
        params = []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    named = [p.name for p in params if p.kind in kinds]
    return [named[i] if i < len(named) else f"arg{i}" for i in range(n)]


def _leaf_names(a: Any, prefix: str) -> list[str]:
    """Dotted names for the leaves of a nest, in `tree.flatten` order."""
    if isinstance(a, dict):
        return [n for k in sorted(a, key=repr) for n in _leaf_names(a[k], f"{prefix}.{k}")]
    if isinstance(a, (list, tuple)):
        return [n for i, v in enumerate(a) for n in _leaf_names(v, f"{prefix}.{i}")]
    return [prefix]
