"""How long viz takes to turn a large graph into DOT text (no layout): prints, asserts nothing.

    python -m benchmarks.bench_viz [n_ops]

A chain of `n_ops` small ops inside 100 modules gives about 2*n_ops graph nodes (tensors and
ops); the issue's target is a 10,000-node graph in under a few seconds.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import autograd as ag
import viz


def chain(n_ops: int) -> ag.Graph:
    """`n_ops` alternating tanh/multiply ops, split over 100 module scopes, scalar output."""

    def f(x):
        per = max(1, n_ops // 100)
        for i in range(n_ops - 1):
            with ag.module_scope(f"block{i // per}"):
                x = ag.tanh(x) if i % 2 else x * 0.9
        return x.sum()

    return ag.trace(f, np.ones(4))


def timed(label: str, fn) -> object:
    start = time.perf_counter()
    out = fn()
    print(f"{label:<48} {time.perf_counter() - start:7.3f} s")
    return out


def main(n_ops: int = 5000) -> None:
    g = timed(f"trace {n_ops} ops", lambda: chain(n_ops))
    print(f"graph: {len(g.tensors)} tensors + {len(g.ops)} ops = {len(g.nodes)} nodes")
    for mode in ("forward", "both"):
        dot = timed(f"draw mode={mode} -> DOT text",
                    lambda m=mode: viz.draw(g, m, max_nodes=100_000).source)
        print(f"  {len(dot) / 1e6:.1f} MB of DOT")
    timed("draw mode=both, depth=1 (one box per module)",
          lambda: viz.draw(g, "both", depth=1).source)
    timed("draw mode=both, collapse_repeats=True",
          lambda: viz.draw(g, "both", collapse_repeats=True).source)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
