"""2x2 max and average pooling, forward and backward: ours vs NumPy vs PyTorch CPU.

Run: ``python -m benchmarks.bench_pool [--repeat N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from autograd import kernels
from benchmarks.common import environment_banner, load_torch, measure, print_table

SHAPES = [("LeNet-5 pool1 128x6x28x28", (128, 6, 28, 28)),
          ("LeNet-5 pool2 128x16x10x10", (128, 16, 10, 10)),
          ("VGG 32x64x32x32", (32, 64, 32, 32))]


def numpy_max_pool(x: np.ndarray) -> np.ndarray:
    """2x2 stride-2 max pool by reshaping."""
    N, C, H, W = x.shape
    return x.reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))


def numpy_avg_pool(x: np.ndarray) -> np.ndarray:
    """2x2 stride-2 average pool by reshaping."""
    N, C, H, W = x.shape
    return x.reshape(N, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))


def main() -> None:
    """Print forward and forward+backward tables for max and average pooling."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(environment_banner())
    torch = load_torch()
    rng = np.random.default_rng(0)
    fwd, both = [], []
    for name, shape in SHAPES:
        x = rng.standard_normal(shape).astype(np.float32)
        y, am = kernels.max_pool2d_forward(x, 2)
        gy = rng.standard_normal(y.shape).astype(np.float32)

        def ours_max_fb(x=x, gy=gy):  # type: ignore[no-untyped-def]
            _, am = kernels.max_pool2d_forward(x, 2)
            return kernels.max_pool2d_backward(gy, am, x.shape)

        def ours_avg_fb(x=x, gy=gy):  # type: ignore[no-untyped-def]
            kernels.avg_pool2d_forward(x, 2)
            return kernels.avg_pool2d_backward(gy, x.shape, 2)

        f_max = {"ours": lambda x=x: kernels.max_pool2d_forward(x, 2),
                 "numpy": lambda x=x: numpy_max_pool(x)}
        f_avg = {"ours": lambda x=x: kernels.avg_pool2d_forward(x, 2),
                 "numpy": lambda x=x: numpy_avg_pool(x)}
        fb_max = {"ours": ours_max_fb}
        fb_avg = {"ours": ours_avg_fb}
        if torch is not None:
            F = torch.nn.functional
            tx = torch.from_numpy(x)
            txg = tx.clone().requires_grad_()
            tgy = torch.from_numpy(gy)

            def t_max(tx=tx, F=F):  # type: ignore[no-untyped-def]
                with torch.no_grad():
                    return F.max_pool2d(tx, 2, return_indices=True)

            def t_avg(tx=tx, F=F):  # type: ignore[no-untyped-def]
                with torch.no_grad():
                    return F.avg_pool2d(tx, 2)

            f_max["torch"] = t_max
            f_avg["torch"] = t_avg
            fb_max["torch"] = lambda txg=txg, tgy=tgy, F=F: torch.autograd.grad(
                F.max_pool2d(txg, 2), txg, tgy)
            fb_avg["torch"] = lambda txg=txg, tgy=tgy, F=F: torch.autograd.grad(
                F.avg_pool2d(txg, 2), txg, tgy)
        fwd.append(measure(f"max {name}", 0, f_max, args.repeat, min_time=0.002))
        fwd.append(measure(f"avg {name}", 0, f_avg, args.repeat, min_time=0.002))
        both.append(measure(f"max {name}", 0, fb_max, args.repeat, min_time=0.002))
        both.append(measure(f"avg {name}", 0, fb_avg, args.repeat, min_time=0.002))
    print_table("pooling 2x2 stride 2, forward (float32; GF/s not meaningful)", fwd)
    print_table("pooling 2x2 stride 2, forward + backward (float32)", both)


if __name__ == "__main__":
    main()
