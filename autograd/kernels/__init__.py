"""Numba CPU kernels on plain ndarrays: matmul, conv2d, pooling (forward and backward), the
vanilla RNN recurrence (``rnn``), one-pass small steps (``small_ops``), the row kernels of
``rows`` (softmax, NLL targets, pick: jitted functions whose callers in autograd.ops check
layouts and dtypes) and the optimizers' per-parameter updates (``optim_update``).

Every public function validates shapes and dtypes in Python (ValueError/TypeError naming the
op and the shapes), makes its inputs C-contiguous, promotes mixed float32/float64 to float64,
then calls ``@njit(cache=True)`` code (IEEE semantics: no fast-math flag but FMA contraction
in the fused epilogue). Products run single-threaded BLAS on the kernel workers, never NumPy's
threaded BLAS (see ``matmul``). The optimizer updates skip those checks, which would cost more
than their work: callers pass the views and scalars ``optim_update.flat`` and ``.scalars``
give. Nothing here imports tracegrad.
"""

from ._runtime import clear_workspaces, workspace
from .compiling import compile_count
from .conv import (
    conv2d_backward_bias,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    conv2d_output_shape,
)
from .matmul import linear, linear_call, matmul, product_call
from .optim_update import (
    adadelta_update,
    adagrad_update,
    adam_update,
    adamax_update,
    asgd_update,
    nadam_update,
    radam_update,
    rmsprop_update,
    sgd_update,
)
from .pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
    pool2d_output_shape,
)
from .small_ops import (
    relu_grad_call,
    sum_all_call,
    sum_leading_call,
)
from .warmup import warmup

__all__ = [
    "adadelta_update",
    "adagrad_update",
    "adam_update",
    "adamax_update",
    "asgd_update",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "clear_workspaces",
    "compile_count",
    "conv2d_backward_bias",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_forward",
    "conv2d_output_shape",
    "linear",
    "linear_call",
    "matmul",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "nadam_update",
    "pool2d_output_shape",
    "product_call",
    "radam_update",
    "relu_grad_call",
    "rmsprop_update",
    "sgd_update",
    "sum_all_call",
    "sum_leading_call",
    "warmup",
    "workspace",
]
