"""Compile every kernel ahead of use: each conv2d layout, pooling, products, rows, the
optimizer updates, per dtype.

Numba compiles a kernel on its first call for each argument type and caches the machine code
on disk, so a cold cache makes the first batch of a run wait for the compiler. ``warmup`` runs
each kernel once on small inputs chosen to take every code path (the four conv2d layouts, the
2x2 and general pooling kernels, threaded and fused products, the classifier head's row
kernels) so later runs start warm. On a warm cache it only loads the cached code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .compiling import compile_count
from .conv import conv2d_backward_input, conv2d_backward_weight, conv2d_forward
from .matmul import linear, matmul
from .optim_update import (
    adadelta_update,
    adagrad_update,
    adam_update,
    adamax_update,
    asgd_update,
    nadam_update,
    radam_update,
    rmsprop_update,
    scalars,
    sgd_update,
)
from .pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from .rnn import elman_backward, elman_forward
from .rows import (
    log_softmax_rows,
    log_softmax_vjp_rows,
    nll_targets,
    pick_rows,
    softmax_rows,
    softmax_vjp_rows,
    unpick_rows,
)
from .small_ops import relu_grad_call, sum_all_call, sum_leading_call

__all__ = ["warmup"]

# (name, input shape (N, C, H, W), weight shape, stride, padding): one conv2d per layout (see
# conv._mode; the NHWC part of the input gradient also serves stride-1 layers of many channels)
_CONV_LAYOUTS = (
    ("conv2d padded grid (few channels, stride 1)", (2, 1, 6, 6), (3, 1, 3, 3), 1, 1),
    ("conv2d implicit GEMM (stride 1)", (2, 4, 6, 6), (4, 4, 3, 3), 1, 1),
    ("conv2d im2col (few channels, stride 2)", (2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
    ("conv2d NHWC im2row (many channels)", (2, 16, 7, 7), (4, 16, 3, 3), 2, 1),
)


def _conv(dtype: np.dtype, x_shape: tuple, w_shape: tuple, stride: int, padding: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    y = conv2d_forward(x, w, np.zeros(w_shape[0], dtype), stride, padding)
    conv2d_backward_input(y, w, x.shape, stride, padding)
    conv2d_backward_weight(y, x, w.shape, stride, padding)


def _pool(dtype: np.dtype, kernel: int, stride: int, padding: int) -> None:
    x = np.random.default_rng(0).standard_normal((2, 8, 48, 48)).astype(dtype)  # threaded size
    y, am = max_pool2d_forward(x, kernel, stride, padding)
    max_pool2d_backward(y, am, x.shape)
    a = avg_pool2d_forward(x, kernel, stride, padding)
    avg_pool2d_backward(a, x.shape, kernel, stride, padding)


def _products(dtype: np.dtype) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64, 64)).astype(dtype), rng.standard_normal((2, 64, 96))
    matmul(a, b.astype(dtype))  # batched: one block per worker
    matmul(a[0], b[0].astype(dtype))  # one product above OpenBLAS's own serial size
    w, bias = rng.standard_normal((96, 64)).astype(dtype), np.zeros(96, dtype)
    linear(a[0], w, bias, "relu")  # fused bias + activation on the workers
    linear(a[0, :4, :8], w[:, :8], bias, "tanh")  # small: NumPy product, fused epilogue


def _small(dtype: np.dtype) -> None:
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(dtype)
    relu_grad_call(np.empty_like(x), x, x)()
    sum_leading_call(np.empty(4, dtype), x)()
    sum_all_call(np.empty((), dtype), x)()


def _elman(dtype: np.dtype) -> None:
    rng = np.random.default_rng(0)
    xp, h0 = rng.standard_normal((8, 64, 32)).astype(dtype), np.zeros((64, 32), dtype)
    w, b = rng.standard_normal((32, 32)).astype(dtype), np.zeros(32, dtype)
    for relu in (False, True):  # 2 x 8 x 64 x 32^2 flops: split over the workers
        out = elman_forward(xp, h0, w, b, relu, False)
        elman_backward(out, out, w, np.empty((32, 8 * 64), dtype).T.reshape(8, 64, 32), relu,
                       False)
        elman_backward(out, out, w, np.empty_like(out), relu, False)


def _rows(dtype: np.dtype) -> None:
    x = np.random.default_rng(0).standard_normal((3, 200)).astype(dtype)  # rows split in sums
    ans, out = np.empty_like(x), np.empty_like(x)
    for forward, vjp in ((log_softmax_rows, log_softmax_vjp_rows),
                         (softmax_rows, softmax_vjp_rows)):
        forward(x, ans)
        vjp(x, ans, out)
    t, safe = np.array([1, -100, 2]), np.empty(3, np.int64)
    wt, keep, total = np.empty(3, dtype), np.empty(3, dtype), np.empty(1, dtype)
    for w in (None, np.ones(200, dtype)):
        nll_targets(t, w, 200, -100, safe, wt, keep, total)
    pick_rows(x, safe, wt)
    unpick_rows(wt, safe, out)


def _optim_updates(dtype: np.dtype) -> None:
    p, g, a, b, c = (np.full(4, 0.5, dtype) for _ in range(5))
    consts = scalars(dtype, *[0.1] * 8)  # the most any kernel reads (RAdam)
    sgd_update(p, g, a, consts, True, False, True)
    adam_update(p, g, a, b, c, consts, True)
    rmsprop_update(p, g, a, b, c, consts, True, True)
    adagrad_update(p, g, a, consts)
    adamax_update(p, g, a, b, consts)
    adadelta_update(p, g, a, b, consts)
    nadam_update(p, g, a, b, consts)
    radam_update(p, g, a, b, consts, True)
    asgd_update(p, g, a, consts, True)


def _cases(dtype: np.dtype) -> list[tuple[str, Callable[[], None]]]:
    cases: list[tuple[str, Callable[[], None]]] = [
        (name, lambda x=x, w=w, s=s, p=p: _conv(dtype, x, w, s, p))
        for name, x, w, s, p in _CONV_LAYOUTS
    ]
    cases.append(("pooling 2x2 stride 2", lambda: _pool(dtype, 2, 2, 0)))
    cases.append(("pooling general windows", lambda: _pool(dtype, 3, 2, 1)))
    cases.append(("matmul and linear", lambda: _products(dtype)))
    cases.append(("ReLU gradient and bias sums", lambda: _small(dtype)))
    cases.append(("vanilla RNN recurrence", lambda: _elman(dtype)))
    cases.append(("softmax rows, NLL targets and pick", lambda: _rows(dtype)))
    cases.append(("optimizer updates", lambda: _optim_updates(dtype)))
    return cases


def warmup(dtypes: Sequence[str] = ("float32", "float64")) -> Iterator[tuple[str, float, int]]:
    """Run every kernel once per dtype; yields (what ran, seconds, kernels compiled for it)."""
    for name in dtypes:
        dtype = np.dtype(name)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"warmup: dtype must be float32 or float64, got {name!r}")
        for what, case in _cases(dtype):
            before, t0 = compile_count(), time.perf_counter()
            case()
            yield f"{what}, {dtype.name}", time.perf_counter() - t0, compile_count() - before
