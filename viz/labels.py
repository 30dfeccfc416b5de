"""HTML-like labels for data, op and gradient nodes, and the readable VJP of each op.

All user text goes through `escape.html`; the markup around it is fixed here.
"""

from __future__ import annotations

import os
from typing import Any

from autograd.graph import OpNode, TensorNode
from viz.escape import html

# Argument names and the VJP each input receives (`g` is the gradient reaching the output,
# `y` the output). Ops not listed fall back to `vjp[i]`.
VJPS: dict[str, tuple[tuple[str, str], ...]] = {
    "add": (("a", "g"), ("b", "g")),
    "subtract": (("a", "g"), ("b", "−g")),
    "multiply": (("a", "g·b"), ("b", "g·a")),
    "divide": (("a", "g/b"), ("b", "−g·a/b²")),
    "power": (("a", "g·b·a^(b−1)"), ("b", "g·y·ln a")),
    "maximum": (("a", "g·[a≥b]"), ("b", "g·[b>a]")),
    "minimum": (("a", "g·[a≤b]"), ("b", "g·[b<a]")),
    "where": (("cond", "–"), ("a", "g·[cond]"), ("b", "g·[¬cond]")),
    "matmul": (("a", "g @ bᵀ"), ("b", "aᵀ @ g")),
    "linear": (("x", "g @ W"), ("W", "gᵀ @ x"), ("bias", "Σ g")),
    "negative": (("x", "−g"),),
    "identity": (("x", "g"),),
    "astype": (("x", "g (cast back)"),),
    "abs": (("x", "g·sign(x)"),),
    "exp": (("x", "g·y"),),
    "log": (("x", "g/x"),),
    "log1p": (("x", "g/(1+x)"),),
    "sqrt": (("x", "g/(2y)"),),
    "sin": (("x", "g·cos x"),),
    "cos": (("x", "−g·sin x"),),
    "tanh": (("x", "g·(1−y²)"),),
    "sigmoid": (("x", "g·y(1−y)"),),
    "softplus": (("x", "g·σ(x)"),),
    "relu": (("x", "g·[x>0]"),),
    "leaky_relu": (("x", "g·(x>0 ? 1 : α)"),),
    "elu": (("x", "g·(x>0 ? 1 : y+α)"),),
    "clip": (("x", "g·[lo≤x≤hi]"),),
    "sum": (("x", "broadcast g"),),
    "sum_to": (("x", "broadcast g"),),
    "broadcast_to": (("x", "sum g to shape"),),
    "max": (("x", "g at the max"),),
    "min": (("x", "g at the min"),),
    "prod": (("x", "g·y/x"),),
    "norm": (("x", "g·x/y"),),
    "logsumexp": (("x", "g·softmax(x)"),),
    "softmax": (("x", "y·(g − Σg·y)"),),
    "log_softmax": (("x", "g − softmax·Σg"),),
    "reshape": (("x", "reshape g back"),),
    "transpose": (("x", "transpose g back"),),
    "getitem": (("x", "scatter g"),),
    "concatenate": (("x", "slice of g"),),
    "pad": (("x", "crop g"),),
    "conv2d": (("x", "conv_transpose(g, W)"), ("W", "conv(x, g)"), ("bias", "Σ g")),
    "max_pool2d": (("x", "g to each window's max"),),
    "avg_pool2d": (("x", "g spread over window"),),
}


def arg_name(op: str, i: int, n_inputs: int) -> str | None:
    """Name of input `i` of `op` for edge labels (None for unlabelled single inputs)."""
    spec = VJPS.get(op)
    if n_inputs <= 1:
        return None
    if spec is not None and len(spec) > 1 and i < len(spec):
        return spec[i][0]
    return str(i)  # variadic ops (concatenate) and unknown ops: the input position


def vjp_text(op: str, i: int) -> str:
    """The VJP that sends a gradient to input `i` of `op`, e.g. `g @ bᵀ`."""
    spec = VJPS.get(op)
    if spec is not None and len(spec) == 1:
        return spec[0][1]  # unary or variadic: one rule for every input
    return spec[i][1] if spec is not None and i < len(spec) else f"vjp[{i}]"


def backward_name(op: str) -> str:
    """PyTorch-style backward name: `log_softmax` -> `LogSoftmaxBackward`."""
    return "".join(p.capitalize() for p in op.split("_")) + "Backward"


def fmt(v: float | None) -> str:
    """A short number: 4 significant digits, scientific when very small or large."""
    if v is None:
        return "–"
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.2e}"


def fmt_bytes(n: int) -> str:
    """Bytes as B/KB/MB."""
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def fmt_time(s: float | None) -> str:
    """Seconds as ms/µs."""
    if s is None:
        return "–"
    return f"{s * 1e3:.2f} ms" if s >= 1e-3 else f"{s * 1e6:.0f} µs"


def shape_text(shape: tuple[int, ...]) -> str:
    """`(2, 3)`, `()` for scalars."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def row(text: str, size: int = 10, color: str | None = None, bold: bool = False) -> str:
    """One table row of already-escaped text."""
    body = f"<B>{text}</B>" if bold else text
    font = f'<FONT POINT-SIZE="{size}"' + (f' COLOR="{color}"' if color else "") + ">"
    return f"<TR><TD>{font}{body}</FONT></TD></TR>"


def table(rows: list[str]) -> str:
    """Wrap rows in the HTML-like label used by every node."""
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        + "".join(rows)
        + "</TABLE>>"
    )


def tensor_title(tn: TensorNode) -> str:
    """The name shown for a data node: its name, or its role for unnamed inputs/outputs."""
    if tn.name:
        return tn.name
    if tn.role == "const":  # no gradient wanted: a constant, or data such as a batch
        return "const" if len(tn.shape) <= 1 and sum(tn.shape) <= 8 else "data"
    return {"output": "output", "input": "input"}.get(tn.role, "")


def value_text(tn: TensorNode) -> str | None:
    """The value (tiny tensors) or `min · mean · max` summary, or None when unknown."""
    st = tn.stats
    if "value" in st:
        vals = ", ".join(fmt(v) for v in st["value"])
        return vals if len(tn.shape) == 0 else f"[{vals}]"
    if "mean" in st:
        return f"min {fmt(st['min'])} · mean {fmt(st['mean'])} · max {fmt(st['max'])}"
    return None


def tensor_rows(tn: TensorNode, values: bool, size: int = 10) -> list[str]:
    """Name, shape and dtype, and optionally a value summary."""
    rows = []
    title = tensor_title(tn)
    if title:
        rows.append(row(html(title, 60), size + 1, bold=True))
    if tn.role == "error":  # the output of an op that raised: it has no shape or value
        return rows
    rows.append(row(f"{shape_text(tn.shape)} {html(tn.dtype)}", size))
    if values:
        v = value_text(tn)
        if v is not None:
            rows.append(row(html(v), size - 1, "#555555"))
    if tn.stats.get("nonfinite"):
        rows.append(row(f"{tn.stats['nonfinite']} NaN/inf values", size - 1, "#d32f2f", True))
    return rows


def grad_rows(tn: TensorNode, info: dict[str, Any] | None, note: str | None = None,
              made_by: str | None = None) -> list[str]:
    """`∂L/∂name` (or `∂L/∂op(…)` for an unnamed result), the gradient's shape and norm."""
    title = tensor_title(tn) or (f"{made_by}(…)" if made_by else "·")
    rows = [row("∂L/∂" + html(title, 60), 11, bold=True)]
    if info is None:
        rows.append(row(shape_text(tn.shape), 10))
    else:
        rows.append(row(f"{shape_text(tuple(info['shape']))} ‖g‖ = {fmt(info['norm'])}", 10))
        if info.get("nonfinite"):
            rows.append(row(f"{info['nonfinite']} NaN/inf in gradient", 9, "#d32f2f", True))
    if note:
        rows.append(row(html(note), 9, "#444444"))
    return rows


def op_rows(op: OpNode, *, source: bool, timing: bool, backward: bool = False) -> list[str]:
    """Op name (or its backward's name), parameters, and optional source line and timing."""
    rows = []
    if backward:
        title = backward_name(op.op)
        if op.backward_step is not None:
            title += f" #{op.backward_step + 1}"
        rows.append(row(html(title), 11, bold=True))
    else:
        rows.append(row(html(op.op), 11, bold=True))
        shown = [f"{k}={v}" for k, v in op.params.items() if v not in ("None", "False", "()")]
        if shown:
            rows.append(row(html(", ".join(shown), 80), 9, "#37474f"))
    if source and op.location:
        path, _, line = op.location.rpartition(":")
        rows.append(row(html(f"{os.path.basename(path)}:{line}", 80), 9, "#1565c0"))
    if timing:
        if backward:
            rows.append(row(f"bwd {fmt_time(op.backward_time)}", 9, "#6d4c41"))
        else:
            rows.append(row(
                f"fwd {fmt_time(op.forward_time)} · saved {fmt_bytes(op.saved_bytes)}",
                9, "#6d4c41",
            ))
    return rows
