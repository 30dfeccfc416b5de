"""conv2d forward and backward: our kernels vs a NumPy im2col reference vs PyTorch CPU.

Run: ``python -m benchmarks.bench_conv [--repeat N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from autograd import kernels
from benchmarks.common import environment_banner, load_torch, measure, print_table

# name, N, C, H, W, OC, K, stride, padding
SHAPES = [
    ("LeNet-5 conv1 b128 1->6 5x5 p2", 128, 1, 28, 28, 6, 5, 1, 2),
    ("LeNet-5 conv2 b128 6->16 5x5", 128, 6, 14, 14, 16, 5, 1, 0),
    ("VGG 64->64 3x3 p1 32x32 b32", 32, 64, 32, 32, 64, 3, 1, 1),
]


def numpy_conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> np.ndarray:
    """Plain NumPy im2col (sliding_window_view) + one tensordot: the reference baseline."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    y = np.tensordot(win, w, axes=((1, 4, 5), (1, 2, 3)))  # (N, OH, OW, OC)
    return y.transpose(0, 3, 1, 2) + b[None, :, None, None]


def numpy_conv_backward(x, w, gy, pad):  # type: ignore[no-untyped-def]
    """NumPy reference gradients (input, weight, bias)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    gw = np.tensordot(gy, win, axes=((0, 2, 3), (0, 2, 3)))  # (OC, C, KH, KW)
    k = w.shape[2]
    gyp = np.pad(gy, ((0, 0), (0, 0), (k - 1 - pad,) * 2, (k - 1 - pad,) * 2))
    wgin = np.lib.stride_tricks.sliding_window_view(gyp, w.shape[2:], axis=(2, 3))
    gx = np.tensordot(wgin, w[:, :, ::-1, ::-1], axes=((1, 4, 5), (0, 2, 3))).transpose(0, 3, 1, 2)
    return gx, gw, gy.sum((0, 2, 3))


_COLD_START = """
import time
t0 = time.perf_counter()
import numpy as np
from autograd import kernels
kernels.conv2d_forward(np.ones((2, 6, 14, 14), np.float32), np.ones((16, 6, 5, 5), np.float32))
print(time.perf_counter() - t0)
"""


def cold_start_seconds(runs: int = 3) -> float:
    """Median wall time of ``import autograd.kernels`` + one conv call in a new process."""
    times = []
    for _ in range(runs + 1):  # the first run may compile and fill the cache
        out = subprocess.run([sys.executable, "-c", _COLD_START], capture_output=True,
                             text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return sorted(times[1:])[len(times[1:]) // 2]


def _torch_conv2d(*args):  # type: ignore[no-untyped-def]
    import torch

    return torch.nn.functional.conv2d(*args)


def main() -> None:
    """Print forward, backward and forward+backward tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    print(environment_banner())
    torch = load_torch()
    rng = np.random.default_rng(0)
    dtype = np.dtype(args.dtype)

    t0 = time.perf_counter()
    kernels.conv2d_forward(np.ones((1, 1, 4, 4), dtype), np.ones((1, 1, 3, 3), dtype))
    print(f"first conv call in this process (JIT compile or cache load): "
          f"{time.perf_counter() - t0:.3f} s")
    print(f"fresh process, import + first conv call (cache warm; median of 3): "
          f"{cold_start_seconds():.3f} s")

    fwd, bwd, both, bwd_w = [], [], [], []
    for name, N, C, H, W, OC, K, s, p in SHAPES:
        x = rng.standard_normal((N, C, H, W)).astype(dtype)
        w = rng.standard_normal((OC, C, K, K)).astype(dtype)
        b = rng.standard_normal(OC).astype(dtype)
        y = kernels.conv2d_forward(x, w, b, s, p)
        gy = rng.standard_normal(y.shape).astype(dtype)
        flops = 2.0 * N * OC * C * K * K * y.shape[2] * y.shape[3]

        def ours_f(x=x, w=w, b=b, s=s, p=p):  # type: ignore[no-untyped-def]
            return kernels.conv2d_forward(x, w, b, s, p)

        def ours_b(x=x, w=w, gy=gy, s=s, p=p):  # type: ignore[no-untyped-def]
            return (kernels.conv2d_backward_input(gy, w, x.shape, s, p),
                    kernels.conv2d_backward_weight(gy, x, w.shape, s, p),
                    kernels.conv2d_backward_bias(gy))

        def ours_bw(x=x, w=w, gy=gy, s=s, p=p):  # type: ignore[no-untyped-def]
            return (kernels.conv2d_backward_weight(gy, x, w.shape, s, p),
                    kernels.conv2d_backward_bias(gy))

        f_fns = {"ours": ours_f}
        b_fns = {"ours": ours_b}
        fb_fns = {"ours": lambda f=ours_f, g=ours_b: (f(), g())}
        bw_fns = {"ours": lambda f=ours_f, g=ours_bw: (f(), g())}
        if s == 1:
            f_fns["numpy"] = lambda x=x, w=w, b=b, p=p: numpy_conv_forward(x, w, b, p)
            b_fns["numpy"] = lambda x=x, w=w, gy=gy, p=p: numpy_conv_backward(x, w, gy, p)
        if torch is not None:
            tx = torch.from_numpy(x).requires_grad_()
            tw = torch.from_numpy(w).requires_grad_()
            tb = torch.from_numpy(b).requires_grad_()
            tgy = torch.from_numpy(gy)
            tx0 = torch.from_numpy(x)

            def torch_f(tx=tx0, tw=tw, tb=tb, s=s, p=p):  # type: ignore[no-untyped-def]
                with torch.no_grad():
                    return _torch_conv2d(tx, tw, tb, s, p)

            def torch_fb(tx=tx, tw=tw, tb=tb, tgy=tgy, s=s, p=p):  # type: ignore[no-untyped-def]
                return torch.autograd.grad(_torch_conv2d(tx, tw, tb, s, p), (tx, tw, tb), tgy)

            def torch_fbw(tx=tx0, tw=tw, tb=tb, tgy=tgy, s=s, p=p):  # type: ignore[no-untyped-def]
                return torch.autograd.grad(_torch_conv2d(tx, tw, tb, s, p), (tw, tb), tgy)

            f_fns["torch"] = torch_f
            fb_fns["torch"] = torch_fb
            bw_fns["torch"] = torch_fbw
        fwd.append(measure(name, flops, f_fns, args.repeat))
        bwd.append(measure(name, 2 * flops, b_fns, args.repeat))
        both.append(measure(name, 3 * flops, fb_fns, args.repeat))
        bw_fns_flops = 2 * flops
        bwd_w.append(measure(name, bw_fns_flops, bw_fns, args.repeat))
    print_table(f"conv2d forward ({dtype.name})", fwd)
    print_table(f"conv2d backward: input + weight + bias grads ({dtype.name})", bwd)
    print_table(f"conv2d forward + backward, all grads ({dtype.name})", both)
    print_table(f"conv2d forward + backward, weight + bias grads only ({dtype.name})", bwd_w)


if __name__ == "__main__":
    main()
