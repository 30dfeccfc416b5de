"""PyTorch's Tensor methods beside NumPy's: dtype/device casts, `size()`, `new_*`, arithmetic
methods with torch's keywords (`alpha=`, `rounding_mode=`), `clone`, comparisons by name."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops import elementwise as ew
from autograd.registry import primitive
from autograd.tensor import Tensor


@primitive("divide_rounded", saves=())
def divide_rounded(x: np.ndarray, y: np.ndarray, *, rounding_mode: str) -> np.ndarray:
    """x / y rounded toward zero ("trunc") or down ("floor"); its gradient is zero (torch)."""
    q = np.true_divide(x, y)
    rounded = np.trunc(q) if rounding_mode == "trunc" else np.floor(q)
    if q.dtype.kind == "f" and np.result_type(x, y).kind in "iub":
        return rounded.astype(np.result_type(x, y))
    return rounded.astype(q.dtype, copy=False)


def _zero_vjp(g: Any, ans: Any, x: Any, y: Any, rounding_mode: str) -> Any:
    return g * 0.0


divide_rounded.defvjp(_zero_vjp, _zero_vjp)


def div(self: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """`self / other`; `rounding_mode` "trunc" or "floor" rounds the quotient as torch.div."""
    if rounding_mode is None:
        return ew.divide(self, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    return divide_rounded(self, other, rounding_mode=rounding_mode)
