"""Write-the-backward exercises: three attempts at the affine layer's VJP, as a learner makes
them, each checked offline by `ag.exercise("affine").check(...)`.

Expected outcome:
- attempt 1 (dw = g.T @ x) fails: "transposed" for dw, dx and db are ok;
- attempt 2 (db = g, not summed over the batch) is an error naming the axis to sum over;
- attempt 3 (the textbook answer) passes: it matches finite differences and the reference.
The checks are small (a 3x4 batch), so --quick runs the same thing. Plots:
write_the_backward_<n>.png when Graphviz's `dot` is installed (the verdict painted on the
graph: red, red, green).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import numpy as np
from _common import parse

import autograd as ag
import viz


def transposed(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """dw written as g.T @ x: the shapes fit (w is square here), the values are transposed."""
    x, w = cache
    return g @ w.T, g.T @ x, g.sum(axis=0)


def bias_not_summed(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """db = g: forgets that b was broadcast over the batch."""
    x, w = cache
    return g @ w.T, x.T @ g, g


def textbook(g: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """dx = g @ w.T, dw = x.T @ g, db = g summed over the batch."""
    x, w = cache
    return g @ w.T, x.T @ g, g.sum(axis=0)


def main(argv: Sequence[str] | None = None) -> dict:
    """Check the three attempts, print each verdict, draw them; returns the statuses."""
    args = parse(__doc__, argv)
    ex = ag.exercise("affine")
    statuses = []
    for n, attempt in enumerate((transposed, bias_not_summed, textbook), 1):
        result = ex.check(attempt, seed=args.seed)
        print(f"attempt {n}, {attempt.__name__}:\n{result.explain()}\n")
        statuses.append(result.status)
        if shutil.which("dot"):
            viz.render_exercise(result, args.out / f"write_the_backward_{n}.png")
    return {"statuses": statuses}


if __name__ == "__main__":
    main()
