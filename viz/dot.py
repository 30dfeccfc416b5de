"""`Plan` -> `graphviz.Digraph`: the forward view, the backward view (gradient flow, mirrored
so it lines up with the forward one) or both side by side, inside module clusters.

The backward view declares every edge in the forward direction with `dir=back`, so Graphviz
ranks `∂L/∂x` exactly where it ranks `x` and draws arrows flowing back toward the inputs;
with `newrank=true` each pair is also pinned to one rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz

from autograd.graph import OpNode
from viz import labels as L
from viz import style as S
from viz.escape import html
from viz.layout import Group, Plan

EDGE_LABEL_LIMIT = 400  # edge labels are dropped above this many drawn nodes (layout cost)
MAX_ORDERED_INPUTS = 3  # up to this many inputs share a row in argument order (more: dot's own)
_CURRENT = {"fillcolor": "#ffeb3b", "color": "#f57f17", "penwidth": "3"}
_PENDING = {"fillcolor": "#fafafa", "color": "#cfd8dc", "fontcolor": "#b0bec5",
            "style": "filled,dotted"}


@dataclass
class Marks:
    """What to flag: failing (and, when asked, passing) per-node checks, the first non-finite
    op, untrainable leaves."""

    checks: dict[str, list[str]] = field(default_factory=dict)  # op id -> lines to show
    passed: dict[str, list[str]] = field(default_factory=dict)  # op id -> lines (painted green)
    nonfinite: dict[str, str | None] = field(default_factory=dict)  # forward/backward op id
    untrained: set[str] = field(default_factory=set)
    errors: dict[str, list[str]] = field(default_factory=dict)  # op id -> why it raised


@dataclass
class Options:
    """Drawing switches shared by `viz.draw`, `viz.render` and `viz.backward_steps`."""

    values: bool = True
    heat: bool = True
    heat_range: tuple[float, float] = S.HEAT_RANGE
    source: bool = False
    timing: bool = False
    edge_labels: bool = True
    step: int | None = None  # backward step to show (step-through); None = finished
    title: str | None = None
    rankdir: str = "TB"  # "TB" top to bottom, "LR" left to right (long chains)


class _Builder:
    def __init__(self, plan: Plan, opts: Options, marks: Marks) -> None:
        self.p, self.g, self.o, self.m = plan, plan.graph, opts, marks
        self.ids: dict[str, str] = {}
        self.nodes: dict[tuple[str, str | None], list[tuple[str, dict[str, str]]]] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.arrivals = self._arrivals() if opts.step is not None else {}

    def nid(self, side: str, unit: str) -> str:
        if unit not in self.ids:
            self.ids[unit] = f"n{len(self.ids)}"
        return f"{side}{self.ids[unit]}"

    def add(self, side: str, unit: str, label: str, attrs: dict[str, str]) -> None:
        key = (side, self.p.cluster.get(unit))
        self.nodes.setdefault(key, []).append((self.nid(side, unit), {"label": label, **attrs}))

    # ----- forward view -----

    def forward(self, heat: bool) -> None:
        g, m = self.g, self.m
        bad_fwd = g.ops[m.nonfinite["forward"]].output if m.nonfinite.get("forward") else None
        for tid in self.p.tensors:
            tn = g.tensors[tid]
            rows = L.tensor_rows(tn, self.o.values)
            st = dict(S.ROLE_STYLE.get(tn.role, S.ROLE_STYLE["intermediate"]), shape="box")
            if heat and tn.grad is not None:
                fill = S.heat_color(tn.grad["norm"], self.o.heat_range)
                st.update(fillcolor=fill, fontcolor=S.text_color(fill))
                rows.append(L.row(f"‖∂L/∂·‖ = {L.fmt(tn.grad['norm'])}", 9))
            st.update(self._tensor_alerts(tid, rows, bad_fwd))
            self.add("f", tid, L.table(rows), S.merge(st))
        for oid in self.p.ops:
            op = g.ops[oid]
            rows = L.op_rows(op, source=self.o.source, timing=self.o.timing)
            st = dict(S.OP_STYLE)
            st.update(self._op_alerts(oid, rows, backward=False))
            self.add("f", oid, L.table(rows), S.merge(st))
        for gid, grp in self.p.groups.items():
            st = self._group_style(grp)
            norms = [g.tensors[t].grad["norm"] for t in grp.params if g.tensors[t].grad]
            if heat and norms:
                fill = S.heat_color(max(norms), self.o.heat_range)
                st.update(fillcolor=fill, fontcolor=S.text_color(fill))
            label = self._group_label(grp, backward=False, grads=heat)
            self.add("f", gid, label, st)
        for s, d, idx in self.p.edges:
            attrs = dict(S.FORWARD_EDGE)
            if self.o.edge_labels and idx is not None and d in g.ops:
                name = L.arg_name(g.ops[d].op, idx, len(g.ops[d].inputs))
                if name:
                    attrs["label"] = f'<<FONT POINT-SIZE="9">{html(name)}</FONT>>'
            self.edges.append((self.nid("f", s), self.nid("f", d), attrs))

    def _tensor_alerts(self, tid: str, rows: list[str], bad_fwd: str | None) -> dict[str, str]:
        st: dict[str, str] = {}
        if tid in self.m.untrained:
            role = self.g.tensors[tid].role
            msg = "this layer will not train" if role == "param" else "no gradient reaches it"
            rows.append(L.row(f"⚠ no path to the output: {msg}", 9, S.WARN, bold=True))
            st.update(S.UNTRAINED_STYLE)
        if tid == bad_fwd:
            rows.append(L.row("⚠ first NaN/inf (forward)", 9, S.ALERT, bold=True))
            st.update(S.NONFINITE_STYLE)
        return st

    def _op_alerts(self, oid: str, rows: list[str], backward: bool) -> dict[str, str]:
        st: dict[str, str] = {}
        nf = self.m.nonfinite
        if oid in self.m.errors:
            rows.extend(L.row(html(line, 120), 9, S.ALERT, bold=k == 0)
                        for k, line in enumerate(self.m.errors[oid]))
            st.update(S.ERROR_STYLE)
        if oid in self.m.checks:
            rows.append(L.row("✗ local vjp ≠ finite differences", 9, S.ALERT, bold=True))
            rows.extend(L.row(html(line, 120), 9, S.ALERT) for line in self.m.checks[oid])
            st.update(S.FAILED_CHECK_STYLE)
        elif oid in self.m.passed:
            rows.append(L.row("✓ local vjp = finite differences", 9, S.PASS, bold=True))
            rows.extend(L.row(html(line, 120), 9, S.PASS) for line in self.m.passed[oid])
            st.update(S.PASSED_CHECK_STYLE)
        if not backward and oid == nf.get("forward"):
            rows.append(L.row("⚠ first NaN/inf (forward)", 9, S.ALERT, bold=True))
            st.update(S.NONFINITE_STYLE)
        if oid == nf.get("backward") and (backward or self.o.step is None):
            rows.append(L.row("⚠ first NaN/inf in backward: sends a non-finite gradient",
                              9, S.ALERT, bold=True))
            st.update(S.NONFINITE_STYLE)
        return st

    # ----- groups (collapsed modules, repeated blocks) -----

    def _group_label(self, grp: Group, backward: bool, grads: bool = False) -> str:
        g = self.g
        if grp.kind == "module":
            title = g.modules.get(grp.title)
            head = ("∂ " if backward else "") + html(
                f"{grp.title}: {title}" if title else grp.title, 90)
        else:
            head = f"× {grp.repeats} more repeats" + (f" in {html(grp.title, 60)}"
                                                      if grp.title else "")
        rows = [L.row(head, 11, bold=True)]
        names = grp.block or [g.ops[o].op for o in grp.ops]
        seen = list(dict.fromkeys(names))
        summary = " → ".join(seen[:5]) + (f" (+{len(seen) - 5})" if len(seen) > 5 else "")
        prefix = ("block: " if grp.kind == "repeat"
                  else f"{len(grp.ops)} ops: " if len(grp.ops) > 1 else "")
        rows.append(L.row(html(prefix + summary, 120), 9))
        for tid in grp.params:
            tn = g.tensors[tid]
            name = html(grp.param_names.get(tid) or L.tensor_title(tn) or tid, 60)
            norm = L.fmt(tn.grad["norm"]) if tn.grad else "none"
            if backward:
                rows.append(L.row(f"∂L/∂{name} ‖g‖ = {norm}", 9))
            else:
                extra = f" ‖∂L/∂·‖ {norm}" if grads else ""
                rows.append(L.row(f"{name} {L.shape_text(tn.shape)}{extra}", 9))
        failing = [o for o in grp.ops if o in self.m.checks]
        if failing:
            bad = ", ".join(dict.fromkeys(g.ops[o].op for o in failing))
            rows.append(L.row(html(f"✗ check failed inside: {bad}"), 9, S.ALERT, bold=True))
        nf = {self.m.nonfinite.get("forward"), self.m.nonfinite.get("backward")} - {None}
        if nf & set(grp.ops):
            rows.append(L.row("⚠ first NaN/inf is inside", 9, S.ALERT, bold=True))
        return L.table(rows)

    def _group_style(self, grp: Group) -> dict[str, str]:
        st = dict(S.MODULE_BOX_STYLE if grp.kind == "module" else S.REPEAT_BOX_STYLE)
        if any(o in self.m.checks for o in grp.ops):
            st.update(S.FAILED_CHECK_STYLE)
        return S.merge(st)

    # ----- backward view -----

    def _arrivals(self) -> dict[str, list[tuple[int, float]]]:
        """tensor id -> [(backward step, accumulated norm after it)], in step order."""
        out: dict[str, list[tuple[int, float]]] = {}
        for oid in self.g.backward_order:
            op = self.g.ops[oid]
            for tid, info in zip(op.inputs, op.grads_in, strict=False):
                if tid is not None and info is not None:
                    total = info.get("total_norm", info["norm"])
                    out.setdefault(tid, []).append((op.backward_step, total))
        for tid in self.g.outputs:
            tn = self.g.tensors[tid]
            if tn.grad is not None:
                out[tid] = [(-1, tn.grad["norm"])]
        return out

    def _in_backward(self, unit: str) -> bool:
        g = self.g
        if unit in g.tensors:
            return g.tensors[unit].requires_grad
        ops = self.p.groups[unit].ops if unit in self.p.groups else [unit]
        return any(g.tensors[g.ops[o].output].requires_grad for o in ops)

    def _step_state(self, steps: list[int | None]) -> str:
        """'off' (never ran), 'pending', 'current' or 'done' for ops with these steps."""
        k = self.o.step
        ran = [s for s in steps if s is not None]
        if not ran:
            return "off"
        if k is None:
            return "done"
        if k in ran:
            return "current"
        return "done" if min(ran) < k else "pending"

    def backward(self) -> None:
        g, has_bw = self.g, self.g.has_backward
        for tid in self.p.tensors:
            if self._in_backward(tid):
                self.add("b", tid, *self._grad_node(tid, has_bw))
        for oid in self.p.ops:
            if not self._in_backward(oid):
                continue
            op = g.ops[oid]
            rows = L.op_rows(op, source=self.o.source, timing=self.o.timing, backward=True)
            st = dict(S.BACKWARD_OP_STYLE)
            state = self._step_state([op.backward_step]) if has_bw else "done"
            if state == "off" and oid not in self.m.errors:
                why = ("not reached: backward stopped at the error" if g.error
                       else "not on the path to the output")
                rows.append(L.row(why, 9, "#9e9e9e"))
                st.update(S.NO_GRAD_STYLE)
            st.update(self._op_alerts(oid, rows, backward=True))
            st.update(self._step_style(state))
            self.add("b", oid, L.table(rows), S.merge(st))
        for gid, grp in self.p.groups.items():
            if self._in_backward(gid):
                st = self._group_style(grp)
                steps = [g.ops[o].backward_step for o in grp.ops]
                st.update(self._step_style(self._step_state(steps) if has_bw else "done"))
                self.add("b", gid, self._group_label(grp, backward=True), st)
        for s, d, idx in self.p.edges:
            if self._in_backward(s) and self._in_backward(d):
                self.edges.append((self.nid("b", s), self.nid("b", d), self._bw_edge(s, d, idx)))

    def _step_style(self, state: str) -> dict[str, str]:
        if self.o.step is None:
            return {}
        return {"current": _CURRENT, "pending": _PENDING}.get(state, {})

    def _bw_edge(self, s: str, d: str, idx: int | None) -> dict[str, str]:
        attrs = dict(S.BACKWARD_EDGE)
        k = self.o.step
        if idx is None:  # ∂y -> the op that made y: runs when that op's backward runs
            src = self.g.ops.get(s)
            if k is not None and src is not None and (src.backward_step is None
                                                      or src.backward_step > k):
                attrs.update(color="#e0e0e0")
            return attrs
        op: OpNode | None = self.g.ops.get(d)
        if op is None:
            return attrs
        ran = k is None or (op.backward_step is not None and op.backward_step <= k)
        info = op.grads_in[idx] if idx < len(op.grads_in) and ran else None
        if self.o.edge_labels:
            text = html(L.vjp_text(op.op, idx))
            if info is not None:
                text += f"<BR/>‖·‖ {L.fmt(info['norm'])}"
            attrs["label"] = f'<<FONT POINT-SIZE="9">{text}</FONT>>'
        if k is not None:
            if op.backward_step == k:
                attrs.update(color=S.ALERT, penwidth="2.5")
            elif not ran:
                attrs.update(color="#e0e0e0", fontcolor="#bdbdbd")
        return attrs

    def _grad_node(self, tid: str, has_bw: bool) -> tuple[str, dict[str, str]]:
        tn = self.g.tensors[tid]
        st = dict(S.ROLE_STYLE.get(tn.role, S.ROLE_STYLE["intermediate"]), shape="box")
        st["fillcolor"] = "#ffffff"
        info, note = tn.grad, None
        if self.o.step is not None:
            info, note, extra = self._grad_at_step(tid)
            st.update(extra)
        if has_bw and info is None:
            st.update(S.NO_GRAD_STYLE)
            note = note or "no gradient"
        elif info is not None and self.o.heat:
            fill = S.heat_color(info["norm"], self.o.heat_range)
            st.update(fillcolor=fill, fontcolor=S.text_color(fill))
        src = self.p.producer.get(tid)
        rows = L.grad_rows(tn, info, note, self.g.ops[src].op if src else None)
        if tid in self.m.untrained:
            msg = "this layer will not train" if tn.role == "param" else "no gradient reaches it"
            rows.append(L.row(f"⚠ no path to the output: {msg}", 9, S.WARN, bold=True))
            st.update(S.UNTRAINED_STYLE)
        return L.table(rows), S.merge(st)

    def _grad_at_step(self, tid: str) -> tuple[dict | None, str | None, dict[str, str]]:
        tn, k = self.g.tensors[tid], self.o.step
        arr = self.arrivals.get(tid, [])
        got = [a for a in arr if a[0] <= k]
        if not arr:
            return None, None, {}
        if not got:
            return None, "waiting for its gradient", dict(_PENDING)
        info = {"shape": tn.shape, "norm": got[-1][1], "nonfinite": 0}
        extra: dict[str, str] = {}
        if got[-1][0] == k:
            extra = {"color": S.ALERT, "penwidth": "3"}
        if len(got) < len(arr):
            extra["style"] = "rounded,filled,dashed"
            return info, f"{len(got)} of {len(arr)} contributions summed so far", extra
        if len(arr) > 1:
            return info, f"all {len(arr)} contributions summed", extra
        return info, None, extra

    # ----- output -----

    def align(self) -> list[tuple[str, str]]:
        """Pairs (forward node, its gradient node) to pin to one rank in 'both' mode."""
        fwd = {n for items in (v for (side, _), v in self.nodes.items() if side == "f")
               for n, _ in items}
        return [(self.nid("f", u), self.nid("b", u)) for u in [*self.p.tensors, *self.p.ops]
                if self.nid("f", u) in fwd and self._in_backward(u)]

    def digraph(self, sides: list[str], legend: bool) -> graphviz.Digraph:
        dot = graphviz.Digraph(name="tracegrad", format="svg")
        dot.attr(rankdir=self.o.rankdir, newrank="true", nodesep="0.25", ranksep="0.35",
                 fontname=S.FONT, compound="true")
        dot.attr("node", fontname=S.FONT, fontsize="10", margin="0.08,0.04")
        dot.attr("edge", fontname=S.FONT, fontsize="9", arrowsize="0.7")
        if self.o.title:
            dot.attr(label=f"<<B>{html(self.o.title)}</B>>", labelloc="t", fontsize="14")
        tree: dict[str | None, set[str]] = {}
        for _, path in self.nodes:
            while path is not None:
                parent = path.rpartition(".")[0] or None
                tree.setdefault(parent, set()).add(path)
                path = parent
        titles = {"f": "forward pass", "b": "backward pass (gradients flow up)"}
        for side in sides:
            if len(sides) == 1:
                self._emit(dot, side, None, tree)
                dot.body.extend(self._input_order(side))
                continue
            c = graphviz.Digraph(name=f"cluster_{side}")
            c.attr(label=f"<<B>{titles[side]}</B>>", style="rounded", color="#90a4ae",
                   fontsize="13")
            self._emit(c, side, None, tree)
            if side == "f":  # the backward side mirrors it through the rank pairs
                c.body.extend(self._input_order(side))
            dot.subgraph(c)
        for src, dst, attrs in self.edges:
            dot.edge(src, dst, **attrs)
        if len(sides) == 2:  # ids are viz's own (`fn3`), so plain text is safe here
            dot.body.extend(f"\t{{rank=same; {a}; {b}}}\n" for a, b in self.align())
        if legend:
            dot.node("legend", label=S.heat_legend_label(self.o.heat_range), shape="plaintext")
        return dot

    def _input_order(self, side: str) -> list[str]:
        """The traced function's inputs on one rank, left to right in argument order (an
        invisible chain x -> w -> b) on `side`; ids are viz's own, so plain text is safe."""
        g = self.g
        units = [t for t in self.p.tensors if g.tensors[t].role == "input"
                 and t not in self.p.producer and (side == "f" or self._in_backward(t))]
        if not 2 <= len(units) <= MAX_ORDERED_INPUTS:
            return []
        chain = " -> ".join(self.nid(side, u) for u in units)
        return [f"\t{{rank=same; {chain} [style=invis]}}\n"]

    def _emit(self, dot: graphviz.Digraph, side: str, path: str | None,
              tree: dict[str | None, set[str]]) -> None:
        for nid, attrs in self.nodes.get((side, path), []):
            dot.node(nid, **attrs)
        for child in sorted(tree.get(path, ())):
            if not any(k[0] == side and _under(k[1], child) for k in self.nodes):
                continue
            # NOTE: a standalone Digraph, not `with dot.subgraph(name=...)`, which copies the
            # parent's whole body on entry (quadratic on large graphs)
            c = graphviz.Digraph(name=f"cluster_{side}_{self.nid('m', child)}")
            title = self.g.modules.get(child)
            label = f"{child}: {title}" if title else child
            c.attr(label=f"<<B>{html(label, 90)}</B>>", style="rounded,dashed",
                   color="#7986cb", fontcolor="#283593", fontsize="11", labeljust="l")
            self._emit(c, side, child, tree)
            dot.subgraph(c)


def _under(path: str | None, prefix: str) -> bool:
    return path is not None and (path == prefix or path.startswith(prefix + "."))


def build(plan: Plan, mode: str, opts: Options, marks: Marks) -> graphviz.Digraph:
    """Draw `plan` in `mode` ("forward", "backward" or "both")."""
    b = _Builder(plan, opts, marks)
    sides = {"forward": ["f"], "backward": ["b"], "both": ["f", "b"]}[mode]
    if "f" in sides:
        b.forward(heat=opts.heat and mode == "forward")
    if "b" in sides:
        b.backward()
    legend = opts.heat and plan.graph.has_backward
    return b.digraph(sides, legend)
