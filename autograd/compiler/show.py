"""`print(step.plan)`: each kernel with the ops it runs, its output buffer and time per call."""

from __future__ import annotations

from typing import Any

from autograd.compiler.trace import Step


def step_label(plan: Any, s: Step) -> str:
    """One step in words: `matmul`, `matmul VJP(1)`, `sum of 2 gradients`, `host step()`."""
    if s.kind == "op":
        return s.prim.name if s.vjp_of is None else f"{s.prim.name} [VJP of {s.vjp_of}]"
    if s.kind == "vjp":
        return f"{s.prim.name} VJP({s.index})"
    if s.kind == "sum":
        return f"sum of {len(s.ins)} gradients"
    if s.kind == "accum":
        return "accumulate .grad"
    if s.kind == "host":
        return f"host {getattr(s.fn, '__qualname__', s.fn)}()"
    return f"read {s.params['kind']}"


def _size(plan: Any, vid: int | None) -> str:
    if vid is None:
        return "-"
    v = plan.values[vid]
    arr = plan.S[vid] if plan.S[vid] is not None else v.array
    if getattr(arr, "shape", None) is None:
        return "-"
    if plan.owns(vid):
        where = "buffer"
    else:  # a view (transpose, broadcast_to) makes no new data array
        where = "view" if getattr(arr, "base", None) is not None else "allocates"
    return f"{tuple(arr.shape)} {arr.dtype} {arr.nbytes / 1024:.1f} KiB {where}"


def describe_plan(plan: Any) -> str:
    """The listing `print(plan)` shows."""
    n = max(plan.timed, 1)
    lines = [
        f"compiled plan: {len(plan.runners)} kernels over {len(plan.steps)} recorded steps, "
        f"{sum(b.nbytes for b in plan.buffers.values()) / 1024:.1f} KiB of reused buffers "
        f"(+ {sum(b.nbytes for b in plan.grad_buffers.values()) / 1024:.1f} KiB of .grad)",
        f"{'#':>4}  {'us/call':>9}  {'kernel':<44} output",
    ]
    for k, item in enumerate(plan.groups):
        # a view of arrays that never change is made when the plan is built, not per call
        us = "once" if k in plan.made_once else f"{plan.times[k] / n * 1e6:.1f}"
        if isinstance(item, Step):
            name, out = step_label(plan, item), item.out
        else:
            name, out = item.label(plan), item.out
        lines.append(f"{k:>4}  {us:>9}  {name:<44} {_size(plan, out)}")
    total = sum(plan.times) / n * 1e6
    lines.append(f"total {total:.1f} us per call (mean of {plan.timed} replays after the first)")
    return "\n".join(lines)
