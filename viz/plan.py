"""`viz.draw(step.plan)`: a compiled plan as a picture, fused kernels as clusters.

Each recorded step is a node (forward ops white, VJPs grey, host steps and gradient
accumulation as notes); every fused kernel is a cluster around the ops it absorbed, titled
with its number in `print(step.plan)`, so a learner sees what fusion did. Edges follow the
values from the step that made them to the steps that read them.
"""

from __future__ import annotations

from typing import Any

import graphviz

from autograd.compiler.fuse import Kernel
from autograd.compiler.plan import Plan
from autograd.compiler.show import step_label
from autograd.compiler.trace import Step, is_ref

_FILL = {"op": "white", "vjp": "#e8e8e8", "sum": "#e8e8e8", "host": "#fff3cd",
         "accum": "#fff3cd", "read": "#f8d7da"}


def _shape(plan: Plan, vid: int | None) -> str:
    if vid is None:
        return ""
    shape = plan.values[vid].shape
    return "" if shape is None else str(tuple(shape))


def _reads(s: Step) -> list[int]:
    found: list[int] = []

    def refs(obj: Any) -> None:
        if is_ref(obj):
            found.append(obj.vid)
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                refs(o)
        elif isinstance(obj, dict):
            for o in obj.values():
                refs(o)

    if s.kind == "host":
        refs(s.args)
        refs(s.kwargs)
        return found
    found += [v for v in s.ins if v is not None]
    found += [v for _, _, v in s.dyn]
    if s.kind in ("vjp", "accum"):
        found.append(s.grad)
    if s.kind == "vjp":
        found.append(s.ans)
    return found


def _made(s: Step) -> list[int]:
    if s.kind == "host":
        return ([s.out] if s.out is not None else []) + list(s.ins)
    return [s.out] if s.out is not None else []


def draw_plan(plan: Plan, *, title: str | None = None, rankdir: str = "TB") -> graphviz.Digraph:
    """The plan as a `graphviz.Digraph`: steps as nodes, fused kernels as clusters."""
    dot = graphviz.Digraph(name="plan", format="svg")
    dot.attr(rankdir=rankdir, fontname="Helvetica", fontsize="11",
             label=title or f"compiled plan: {len(plan.runners)} kernels, "
             f"{len(plan.steps)} steps", labelloc="t")
    dot.attr("node", fontname="Helvetica", fontsize="10", style="filled")
    maker: dict[int, str] = {}
    for k, item in enumerate(plan.groups):
        steps = item.steps if isinstance(item, Kernel) else [item]
        target = dot
        if isinstance(item, Kernel):
            target = graphviz.Digraph(name=f"cluster_k{k}")
            target.attr(label=f"kernel {k}: fused, {len(steps)} ops", style="filled,rounded",
                        fillcolor="#dbeafe", color="#2563eb", fontcolor="#1e3a8a")
        for n, s in enumerate(steps):
            nid = f"s{k}_{n}"
            shape = "note" if s.kind in ("host", "accum") else "box"
            label = f"{step_label(plan, s)}\n{_shape(plan, s.out)}".strip()
            fill = _FILL["vjp"] if s.vjp_of is not None else _FILL[s.kind]
            target.node(nid, label, shape=shape, fillcolor=fill)
            for v in _reads(s):
                src = maker.get(v)
                if src is None:
                    src = f"v{v}"
                    val = plan.values[v]
                    what = "input" if val.kind == "input" else (
                        "param" if val.tensor is not None and val.tensor.requires_grad
                        else "state")
                    dot.node(src, f"{what} {_shape(plan, v)}", shape="ellipse",
                             fillcolor="#d1fae5", fontsize="9")
                    maker[v] = src
                dot.edge(src, nid)
            for v in _made(s):
                maker[v] = nid
        if isinstance(item, Kernel):
            dot.subgraph(target)
    return dot


def is_plan(target: Any) -> bool:
    """Whether `viz.draw` was given a compiled plan (`step.plan`)."""
    return isinstance(target, Plan)
