"""How things look: node styles per role, the gradient-heat colour scale and its legend."""

from __future__ import annotations

import math
from typing import Any

FONT = "Helvetica"

# Data nodes by role (forward view). Parameters get a double border so they stand out.
ROLE_STYLE: dict[str, dict[str, str]] = {
    "input": {"fillcolor": "#dbe9f6", "color": "#2c6fad", "style": "rounded,filled"},
    "leaf": {"fillcolor": "#dbe9f6", "color": "#2c6fad", "style": "rounded,filled"},
    "param": {"fillcolor": "#dff2dc", "color": "#2f7d32", "style": "filled", "peripheries": "2"},
    "const": {"fillcolor": "#f2f2f2", "color": "#9e9e9e", "style": "rounded,filled,dashed"},
    "intermediate": {"fillcolor": "#ffffff", "color": "#616161", "style": "rounded,filled"},
    "output": {"fillcolor": "#fff1c1", "color": "#b8860b", "style": "rounded,filled,bold"},
    "error": {"fillcolor": "#ffffff", "color": "#d32f2f", "fontcolor": "#d32f2f",
              "style": "rounded,filled,dashed"},  # the output an op failed to compute
}
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#eceff1", "color": "#546e7a"}
BACKWARD_OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#fbe9e7",
                     "color": "#bf360c"}
MODULE_BOX_STYLE = {"shape": "box3d", "style": "filled", "fillcolor": "#e8eaf6",
                    "color": "#3949ab"}
REPEAT_BOX_STYLE = {"shape": "box", "style": "filled,dashed", "fillcolor": "#f3e5f5",
                    "color": "#6a1b9a"}
NO_GRAD_STYLE = {"fillcolor": "#fafafa", "color": "#bdbdbd", "fontcolor": "#9e9e9e",
                 "style": "rounded,filled,dotted"}
FORWARD_EDGE = {"color": "#455a64"}
BACKWARD_EDGE = {"color": "#bf360c", "fontcolor": "#bf360c", "dir": "back"}

# Marks for what needs attention: the op that raised, failing checks, first non-finite value,
# untrainable params.
ALERT = "#d32f2f"
WARN = "#ef6c00"
FAILED_CHECK_STYLE = {"fillcolor": "#ffcdd2", "color": ALERT, "penwidth": "3"}
PASS = "#2e7d32"
PASSED_CHECK_STYLE = {"fillcolor": "#c8e6c9", "color": PASS, "penwidth": "3"}
NONFINITE_STYLE = {"color": ALERT, "penwidth": "4", "peripheries": "2"}
ERROR_STYLE = {"fillcolor": "#ffebee", "color": ALERT, "penwidth": "4", "peripheries": "2"}
UNTRAINED_STYLE = {"color": WARN, "penwidth": "3", "style": "filled,dashed"}

# Heat: log10 of the gradient norm on a diverging scale centred on 1. Blue fades in as
# gradients vanish, red as they explode; grey is an exactly zero gradient.
HEAT_RANGE = (-8.0, 8.0)
_HEAT_STOPS = [
    (-8.0, (8, 48, 107)),
    (-6.0, (33, 102, 172)),
    (-4.0, (67, 147, 195)),
    (-2.0, (146, 197, 222)),
    (-0.5, (247, 247, 247)),
    (0.5, (247, 247, 247)),
    (2.0, (244, 165, 130)),
    (4.0, (214, 96, 77)),
    (6.0, (178, 24, 43)),
    (8.0, (103, 0, 31)),
]
ZERO_GRAD_COLOR = "#cfd8dc"


def _rgb(c: tuple[float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(v) for v in c))


def heat_color(norm: float | None, heat_range: tuple[float, float] = HEAT_RANGE) -> str:
    """Fill colour for a gradient of this norm (`None` or 0 -> grey)."""
    if norm is None or norm == 0.0 or not math.isfinite(norm):
        return ZERO_GRAD_COLOR if norm is not None and norm == 0.0 else "#ffffff"
    lo, hi = heat_range
    x = (math.log10(norm) - lo) / (hi - lo)  # position in [0, 1] on the legend
    x = min(max(x, 0.0), 1.0)
    v = HEAT_RANGE[0] + x * (HEAT_RANGE[1] - HEAT_RANGE[0])
    for (a, ca), (b, cb) in zip(_HEAT_STOPS, _HEAT_STOPS[1:], strict=False):
        if v <= b:
            t = 0.0 if b == a else (v - a) / (b - a)
            return _rgb(tuple(p + t * (q - p) for p, q in zip(ca, cb, strict=True)))
    return _rgb(_HEAT_STOPS[-1][1])


def text_color(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (#rrggbb)."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def heat_legend_label(heat_range: tuple[float, float] = HEAT_RANGE) -> str:
    """HTML-like label: the heat scale, one swatch per power of ten, with its meaning."""
    lo, hi = heat_range
    step = max(1, round((hi - lo) / 8))
    exps = list(range(math.ceil(lo), math.floor(hi) + 1, step))
    cells = "".join(
        f'<TD BGCOLOR="{heat_color(10.0**e, heat_range)}" WIDTH="34">'
        f'<FONT POINT-SIZE="9" COLOR="{text_color(heat_color(10.0**e, heat_range))}">'
        f"1e{e:+d}</FONT></TD>"
        for e in exps
    )
    n = len(exps) + 1
    return (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        f'<TR><TD COLSPAN="{n}"><B>gradient norm ‖∂L/∂x‖ (log scale)</B></TD></TR>'
        f'<TR>{cells}<TD BGCOLOR="{ZERO_GRAD_COLOR}" WIDTH="34">'
        '<FONT POINT-SIZE="9">0</FONT></TD></TR>'
        f'<TR><TD COLSPAN="{n}"><FONT POINT-SIZE="9">'
        "blue: vanishing · white: about 1 · red: exploding</FONT></TD></TR></TABLE>>"
    )


def merge(*styles: dict[str, Any]) -> dict[str, str]:
    """Later styles override earlier ones; values become strings for graphviz."""
    out: dict[str, str] = {}
    for s in styles:
        out.update({k: str(v) for k, v in s.items()})
    return out
