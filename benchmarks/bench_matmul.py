"""matmul and fused linear: our kernels vs NumPy (BLAS) vs PyTorch CPU.

Run: ``python -m benchmarks.bench_matmul [--repeat N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from autograd import kernels
from autograd.kernels.matmul import ACTIVATIONS, _epilogue
from benchmarks.common import environment_banner, load_torch, measure, print_table

SIZES = [64, 128, 256, 512, 1024, 2048]


def main() -> None:
    """Print square matmul and fused linear (bias + activation) tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    print(environment_banner())
    torch = load_torch()
    rng = np.random.default_rng(0)
    dtype = np.dtype(args.dtype)
    rows = []
    for n in SIZES:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        fns = {"ours": lambda a=a, b=b: kernels.matmul(a, b),
               "numpy": lambda a=a, b=b: np.matmul(a, b)}
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda ta=ta, tb=tb: torch.matmul(ta, tb)
        rows.append(measure(f"{n}x{n} @ {n}x{n}", 2.0 * n**3, fns, args.repeat,
                            min_time=0.002))
    print_table(f"matmul ({dtype.name})", rows)

    rows = []
    for batch, fin, fout in [(128, 784, 512), (256, 1024, 1024), (1024, 1024, 1024),
                             (4096, 512, 512)]:
        x = rng.standard_normal((batch, fin)).astype(dtype)
        w = rng.standard_normal((fout, fin)).astype(dtype)
        bias = rng.standard_normal(fout).astype(dtype)

        def numpy_linear(x=x, w=w, bias=bias):  # type: ignore[no-untyped-def]
            y = x @ w.T
            y += bias
            return np.tanh(y, out=y)

        fns = {"ours": lambda x=x, w=w, bias=bias: kernels.linear(x, w, bias, "tanh"),
               "numpy": numpy_linear}
        if torch is not None:
            tx, tw, tbias = (torch.from_numpy(v) for v in (x, w, bias))
            fns["torch"] = lambda tx=tx, tw=tw, tbias=tbias: torch.tanh(
                torch.nn.functional.linear(tx, tw, tbias))
        rows.append(measure(f"tanh(x@W.T+b) {batch}x{fin}->{fout}", 2.0 * batch * fin * fout,
                            fns, args.repeat, min_time=0.002))
    print_table(f"linear + bias + tanh, fused vs separate passes ({dtype.name})", rows)

    # The epilogue alone, on an output y already in memory: our one fused pass against
    # NumPy's two (y += b, then tanh), both in place on the calling thread.
    rows = []
    for batch, fout in [(128, 512), (1024, 1024), (4096, 512)]:
        y = rng.standard_normal((batch, fout)).astype(dtype)
        bias = rng.standard_normal(fout).astype(dtype)

        def numpy_epilogue(y=y, bias=bias):  # type: ignore[no-untyped-def]
            y += bias
            return np.tanh(y, out=y)

        fns = {"ours": lambda y=y, bias=bias: _epilogue(y, bias, ACTIVATIONS["tanh"]),
               "numpy": numpy_epilogue}
        if torch is not None:
            ty, tbias = torch.from_numpy(y.copy()), torch.from_numpy(bias)
            fns["torch"] = lambda ty=ty, tbias=tbias: ty.add_(tbias).tanh_()
        rows.append(measure(f"tanh(y+b) in place {batch}x{fout}", 0.0, fns, args.repeat,
                            min_time=0.002))
    print_table(f"bias + tanh epilogue alone, one pass vs two ({dtype.name})", rows)


if __name__ == "__main__":
    main()
