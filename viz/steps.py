"""Step through the backward pass: one SVG per step and an HTML page with a slider.

Frame 0 shows the seed gradient ∂L/∂L = 1 at the output; frame k shows the graph after the
k-th backward op ran: that op highlighted, the gradients it just sent outlined in red, and
each tensor that collects several contributions showing how many have been summed so far.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autograd.graph import Graph
from autograd.tensor import Tensor
from viz import labels as L
from viz.api import as_graph, draw
from viz.escape import script_json
from viz.render import TIMEOUT, write

MAX_STEPS = 300  # frames are laid out one `dot` call each


def describe_step(g: Graph, k: int) -> str:
    """One sentence for frame k (-1 = the seed)."""
    if k < 0:
        out = g.tensors[g.outputs[0]]
        return f"Start: the output's gradient is seeded with ∂L/∂L = 1 (shape {out.shape})."
    op = g.ops[g.backward_order[k]]
    got = op.grads_in and g.tensors[op.output].grad
    sends = []
    for i, (tid, info) in enumerate(zip(op.inputs, op.grads_in, strict=False)):
        if tid is None or info is None:
            continue
        name = L.tensor_title(g.tensors[tid]) or L.arg_name(op.op, i, len(op.inputs)) or "x"
        sends.append(f"{name} ← {L.vjp_text(op.op, i)} (‖·‖ {L.fmt(info['norm'])})")
    head = f"Step {k + 1}/{len(g.backward_order)}: {L.backward_name(op.op)}"
    if got:
        head += f" takes ‖g‖ = {L.fmt(got['norm'])}"
    return head + (" and sends " + "; ".join(sends) if sends else "") + "."


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Backward pass, step by step</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em; }}
#bar {{ display: flex; gap: .6em; align-items: center; }}
#slider {{ flex: 1; }}
#desc {{ margin: .6em 0; min-height: 2.6em; }}
#frame {{ max-width: 100%; border: 1px solid #ddd; }}
</style></head><body>
<h2>Backward pass, step by step</h2>
<div id="bar"><button id="prev">&#9664;</button>
<input id="slider" type="range" min="0" max="{last}" value="0">
<button id="next">&#9654;</button><span id="count"></span></div>
<div id="desc"></div>
<img id="frame" alt="backward step">
<script>
const frames = {frames};
const slider = document.getElementById("slider");
function show(i) {{
  i = Math.max(0, Math.min(frames.length - 1, i));
  slider.value = i;
  document.getElementById("frame").src = frames[i].file;
  document.getElementById("desc").textContent = frames[i].text;
  document.getElementById("count").textContent = (i + 1) + " / " + frames.length;
}}
slider.addEventListener("input", () => show(+slider.value));
document.getElementById("prev").onclick = () => show(+slider.value - 1);
document.getElementById("next").onclick = () => show(+slider.value + 1);
document.addEventListener("keydown", e => {{
  if (e.key === "ArrowLeft") show(+slider.value - 1);
  if (e.key === "ArrowRight") show(+slider.value + 1);
}});
show(0);
</script></body></html>
"""


def backward_steps(
    target: Graph | Tensor,
    folder: str | os.PathLike[str],
    *,
    mode: str = "backward",
    max_steps: int = MAX_STEPS,
    timeout: float = TIMEOUT,
    **draw_kw: Any,
) -> Path:
    """Write `step_0000.svg`... (seed, then one per backward op) and `index.html` into
    `folder`; returns the HTML page's path. Other keywords go to `viz.draw`."""
    g = as_graph(target)
    if not g.has_backward or not g.backward_order:
        raise ValueError(
            "no backward pass was recorded: pass a scalar Tensor that requires grad, or "
            "ag.trace(f, *args) of a function returning a scalar"
        )
    n = len(g.backward_order)
    if n + 1 > max_steps:
        raise ValueError(
            f"the backward pass has {n} steps, over max_steps={max_steps} (one Graphviz "
            "layout each); draw a smaller graph or raise max_steps="
        )
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    frames = []
    for k in range(-1, n):
        name = f"step_{k + 1:04d}.svg"
        dot = draw(g, mode, step=k, **draw_kw)
        write(dot.source, out / name, "svg", timeout=timeout)
        frames.append({"file": name, "text": describe_step(g, k)})
    data = script_json(frames)
    page = out / "index.html"
    page.write_text(_PAGE.format(last=len(frames) - 1, frames=data), encoding="utf-8")
    return page
