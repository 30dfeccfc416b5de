"""Fusion: elementwise runs become one generated kernel, bit-equal to eager, on reused buffers."""

from __future__ import annotations

import tracemalloc

import numpy as np

import autograd as ag
from autograd.compiler.fuse import Kernel, cache_dir


def _chain(x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
    z = ag.relu(x * y + x) - x / 2.0
    return ag.maximum(z, x * 0.25).abs().sum()


def _inputs(n: int, seed: int) -> tuple[ag.Tensor, ag.Tensor]:
    rng = np.random.default_rng(seed)
    return (ag.tensor(rng.standard_normal((n, n))), ag.tensor(rng.standard_normal((n,))))


def test_chain_is_one_kernel_with_the_eager_bits() -> None:
    step = ag.compile(_chain)
    for seed in range(4):
        x, y = _inputs(8, seed)
        assert step(x, y).data == _chain(x, y).data  # bit for bit
    kernels = [g for g in step.plan.groups if isinstance(g, Kernel)]
    assert len(kernels) == 1
    names = [s.prim.name for s in kernels[0].steps]
    assert names == ["multiply", "add", "relu", "divide", "subtract", "multiply", "maximum", "abs"]
    assert kernels[0].outs == [kernels[0].steps[-1].out]  # intermediates never hit memory
    assert any(p.name.startswith("fused_") for p in cache_dir().iterdir())
    text = str(step.plan)
    assert "fused[multiply, add, relu" in text and "us/call" in text and "KiB" in text


def test_gradient_sums_are_fused_too() -> None:
    def f(x: ag.Tensor) -> ag.Tensor:
        (x * x + x * 3.0 + ag.sin(x)).sum().backward()
        return x.grad

    step = ag.compile(f)
    for seed in range(3):
        x = ag.tensor(np.random.default_rng(seed).standard_normal(5), requires_grad=True)
        want = f(ag.tensor(x.data, requires_grad=True)).data
        np.testing.assert_array_equal(step(x).data, want)
    fused = [s.kind for g in step.plan.groups if isinstance(g, Kernel) for s in g.steps]
    assert "sum" in fused


def test_steady_state_replay_allocates_no_arrays() -> None:
    step = ag.compile(_chain)
    batches = [_inputs(256, seed) for seed in range(6)]  # 512 KiB per (256, 256) array
    for x, y in batches[:3]:
        step(x, y)
    buffers = {k: id(b) for k, b in step.plan.buffers.items()}

    def peak(fn, x, y) -> int:
        tracemalloc.start()
        fn(x, y)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    eager = peak(_chain, *batches[3])
    compiled = max(peak(step, x, y) for x, y in batches[4:])
    assert eager > 2 * 512 * 1024  # eager makes an array per op (a few alive at once)
    assert compiled < 64 * 1024  # the replay writes into its buffer; only the 0-d sum is new
    assert {k: id(b) for k, b in step.plan.buffers.items()} == buffers


def test_a_second_process_loads_the_kernel_from_the_disk_cache(tmp_path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, autograd as ag\n"
        "from autograd.compiler import fuse\n"
        "f = ag.compile(lambda x: ag.relu(x * 2.0 + x) - x)\n"
        "for _ in range(3): f(ag.ones(3))\n"
        "k = [g for g in f.plan.groups if isinstance(g, fuse.Kernel)][0]\n"
        "d = fuse.load(k.source)\n"
        "print(len(d.stats.cache_hits), len(d.stats.cache_misses))\n"
    )
    env = {**os.environ, "TRACEGRAD_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       check=True).stdout.split()
        for _ in range(2)
    ]
    assert runs[0] == ["0", "1"]  # compiled in the first process
    assert runs[1] == ["1", "0"]  # loaded from disk in the second
    assert list((tmp_path / "fused" / "__pycache__").glob("fused_*.nbi"))
