"""`pad_nd`: PyTorch's `F.pad` convention (last dim first, negative widths crop, four modes).

`ag.pad` keeps NumPy's `pad_width` convention; `nn.functional.pad` is this function. Built
on `getitem` and the constant `pad` primitive, so gradients of any order come from theirs
(reflect/replicate/circular gather with repeats, whose gradient sums the copies).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops import shape as sh
from autograd.ops.dims import shape_of

_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_nd(input: Any, pad: Sequence[int], mode: str = "constant",  # noqa: A002 - torch's name
           value: float | None = None) -> Any:
    """Pad (or, for negative widths, crop) the last len(pad)//2 dims: (left, right, top, ...)."""
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {sorted(_MODES)}; got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: value= is only for mode='constant'; got mode {mode!r}")
    xs = shape_of(input)
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > len(xs):
        raise ShapeError(f"pad: {len(pad)} pad widths {tuple(pad)} must be even in number and "
                         f"at most twice the rank of the input of shape {xs}")
    widths = [(0, 0)] * len(xs)
    for k in range(len(pad) // 2):
        widths[len(xs) - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    crop = tuple(slice(max(-a, 0), n - max(-b, 0)) for (a, b), n in zip(widths, xs, strict=True))
    out = sh.getitem(input, index=crop) if any(a < 0 or b < 0 for a, b in widths) else input
    grow = [(max(a, 0), max(b, 0)) for a, b in widths]
    if mode == "constant":
        if any(a or b for a, b in grow):
            out = sh.pad(out, pad_width=tuple(grow), value=0.0 if value is None else value)
        return out
    cur = shape_of(out)
    for d, ((a, b), n) in enumerate(zip(grow, cur, strict=True)):
        if not (a or b):
            continue
        limit = n - 1 if mode == "reflect" else (n if mode == "circular" else None)
        if n == 0 or (limit is not None and max(a, b) > limit):
            raise ShapeError(f"pad: {mode} padding ({a}, {b}) of dim {d} needs widths at most "
                             f"{limit} for its size {n}")
        idx = np.pad(np.arange(n), (a, b), mode=_MODES[mode])
        out = sh.getitem(out, index=(slice(None),) * d + (idx,))
    return out


def functional_pad(input: Any, pad: Sequence[int] | None = None,  # noqa: A002 - torch's name
                   mode: str = "constant", value: float | None = None, *,
                   pad_width: Any = None) -> Any:
    """`nn.functional.pad`: torch's `pad=` convention; `pad_width=` keeps NumPy's (ag.pad)."""
    if pad_width is not None:
        if pad is not None:
            raise TypeError("pad: pass pad (torch's order) or pad_width (NumPy's), not both")
        return sh.pad(input, pad_width=pad_width, value=0.0 if value is None else value)
    if pad is None:
        raise TypeError("pad: missing the pad widths (pad=(left, right, ...))")
    return pad_nd(input, pad, mode, value)
