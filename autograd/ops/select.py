"""Values picked along one axis by an index array, and the scatter that routes their gradient.

`max(dim)`, `sort`, `topk`, `kthvalue`, `median`, `mode` and `cummax` all return values
chosen by indices; their gradient goes to exactly the chosen elements (as PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.registry import primitive


def _full_index(index: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """Open-grid index tuple that picks `index` along `axis` and every position elsewhere."""
    grids = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grids[axis] = index
    return tuple(grids)


@primitive("select_along", saves=())
def select_along(x: np.ndarray, *, index: np.ndarray, axis: int) -> np.ndarray:
    """x[..., index, ...] along `axis` (NumPy's take_along_axis); `index` has x's rank."""
    return np.take_along_axis(x, index, axis=axis)


select_along.defvjp(
    lambda g, ans, x, index, axis: scatter_along(g, shape=x.shape, index=index, axis=axis)
)


@primitive("scatter_along", saves=())
def scatter_along(g: np.ndarray, *, shape: tuple[int, ...], index: np.ndarray,
                  axis: int) -> np.ndarray:
    """Zeros of `shape` with `g` added at `index` along `axis` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, _full_index(index, axis), g)
    return out


def _scatter_vjp(g: Any, ans: Any, x: Any, shape: Any, index: np.ndarray, axis: int) -> Any:
    return select_along(g, index=index, axis=axis)


scatter_along.defvjp(_scatter_vjp)
