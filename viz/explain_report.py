"""What `viz.explain_grad` returns: the paths from a parameter to the loss, the gain of each
edge, the op where the gradient collapses and why; as text, as HTML and as plain fields."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from viz.escape import html_text


@dataclass
class EdgeGain:
    """One backward edge: the op's VJP takes the gradient at its output (`grad_out`) to its
    input number `input` (`grad_in`); `gain = grad_in / grad_out` (None when grad_out is 0)."""

    key: str  # stable node key, `module/op#k`
    op: str
    module: str | None
    location: str | None
    input: int
    grad_out: float
    grad_in: float
    gain: float | None
    note: str = ""  # what the op did to the signal: "ReLU mask 62% dead", ...


@dataclass
class GradPath:
    """Edges from the loss down to the parameter, and the product of their gains."""

    edges: list[EdgeGain]
    gain: float


@dataclass
class GradReport:
    """`viz.explain_grad`'s answer. `connected`: some recorded path joins param to the loss;
    `collapsed`: the gradient reaching param is under `COLLAPSE` of its peak on the way;
    `culprit` (an edge of the strongest path) and `reason` say where and why; `cuts` lists
    what cut derived tensors from the graph (detach, no_grad, non-differentiable ops, branches
    that never reach the loss) when the loss was given as a function."""

    param: str
    loss: float | None
    connected: bool
    param_grad: float | None = None  # norm of d loss / d param
    peak: float | None = None  # largest gradient norm met on the paths
    peak_key: str | None = None
    collapsed: bool = False
    culprit: EdgeGain | None = None
    reason: str = ""
    cuts: list[str] = field(default_factory=list)
    paths: list[GradPath] = field(default_factory=list)
    n_paths: int = 0
    edges: list[EdgeGain] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """`cut`, `vanishing` or `ok`."""
        if not self.connected:
            return "cut"
        return "vanishing" if self.collapsed else "ok"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the explorer embeds this)."""
        d = asdict(self)
        d["verdict"] = self.verdict
        return _finite(d)

    def summary(self) -> list[str]:
        """The headline lines: verdict, gradient reaching param, culprit and reason."""
        lines = [f"explain_grad({self.param}): {self.verdict.upper()}"
                 + (f"   (loss {_num(self.loss)})" if self.loss is not None else "")]
        if self.connected:
            lines.append(f"||d loss / d param|| = {_num(self.param_grad)}, "
                         f"{_num(_ratio(self.param_grad, self.peak))} of its peak "
                         f"{_num(self.peak)} (at {self.peak_key})")
        if self.culprit is not None:
            c = self.culprit
            where = f" at {c.location}" if c.location else ""
            lines.append(f"culprit: {c.op} ({c.key}{where})")
        if self.reason:
            lines.append(f"why: {self.reason}")
        lines += [f"cut: {c}" for c in self.cuts if c not in self.reason]
        return lines

    def __str__(self) -> str:
        lines = self.summary()
        if self.paths:
            more = (f"; the {len(self.paths)} strongest are shown"
                    if self.n_paths > len(self.paths) else "")
            lines.append(f"{self.n_paths} path{'s' if self.n_paths != 1 else ''} from "
                         f"{self.param} to the loss{more}")
        head = f"  {'op (key)':<34} {'in':>2} {'|g out|':>9} {'|g in|':>9} {'gain':>9}  note"
        for k, p in enumerate(self.paths):
            lines.append(f"path {k + 1}: total gain {_num(p.gain)}")
            lines.append(head)
            for e in p.edges:
                mark = "*" if e is self.culprit or _same(e, self.culprit) else " "
                lines.append(f"{mark} {e.key[:34]:<34} {e.input:>2} {_num(e.grad_out):>9} "
                             f"{_num(e.grad_in):>9} {_num(e.gain):>9}  {e.note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A headline and one table per path, gains below 1/2 shaded, the culprit in bold."""
        out = ["<div class='tg-explain'>"]
        out += [f"<div>{html_text(s)}</div>" for s in self.summary()]
        if self.n_paths > len(self.paths):
            out.append(f"<div>{self.n_paths} paths; the {len(self.paths)} strongest are "
                       "shown</div>")
        for k, p in enumerate(self.paths):
            out.append(f"<p><b>path {k + 1}</b>: total gain {_num(p.gain)}</p><table>"
                       "<tr><th>op (key)</th><th>input</th><th>|g out|</th><th>|g in|</th>"
                       "<th>gain</th><th>note</th></tr>")
            for e in p.edges:
                bold = " style='font-weight:bold'" if _same(e, self.culprit) else ""
                shade = (" style='background:#fdd'" if e.gain is not None and e.gain < 0.5
                         else "")
                out.append(f"<tr{bold}><td>{html_text(e.key)}</td><td>{e.input}</td>"
                           f"<td>{_num(e.grad_out)}</td><td>{_num(e.grad_in)}</td>"
                           f"<td{shade}>{_num(e.gain)}</td><td>{html_text(e.note)}</td></tr>")
            out.append("</table>")
        out.append("</div>")
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<GradReport {self.param}: {self.verdict}, {self.n_paths} paths>"


def _same(a: EdgeGain | None, b: EdgeGain | None) -> bool:
    return a is not None and b is not None and (a.key, a.input) == (b.key, b.input)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _num(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.2e}"


def _finite(o: Any) -> Any:
    """Infinities and NaN as strings, so the dict is strict JSON."""
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_finite(v) for v in o]
    return o
