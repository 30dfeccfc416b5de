"""tracegrad's autograd: tensors that record their ops, reverse-mode differentiation,
functions as models (`grad`, `jacobian`, `hessian`), tracing and gradient checking.

NOTE: this import name is shared with HIPS autograd; do not install both in one environment.
"""

from autograd import accelerator, linalg
from autograd import inplace as _inplace  # noqa: F401 - in-place Tensor methods
from autograd import ops as _ops  # noqa: F401 - fills the registry and Tensor methods
from autograd import tensor_api as _tensor_api  # noqa: F401 - torch's Tensor methods
from autograd.accelerator import backends
from autograd.checkpoint import load, save
from autograd.compiler import CompileError, compile  # noqa: A004 - torch's name
from autograd.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from autograd.dtypes import (
    bool_,
    cuda,
    device,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_device,
    uint8,
)
from autograd.dtypes import float as float  # noqa: A004, PLC0414 - torch's name
from autograd.dtypes import int as int  # noqa: A004, PLC0414 - torch's name
from autograd.engine import Node
from autograd.error_record import last_error_graph, record_on_error
from autograd.errors import DTypeError, ShapeError
from autograd.exercises import exercise
from autograd.function import Function, FunctionCtx
from autograd.functional import grad, hessian, jacobian, value_and_grad
from autograd.gradcheck import (
    GradcheckError,
    GradcheckReport,
    GradcheckWarning,
    GraphCheck,
    NodeCheck,
    NondifferentiableWarning,
    gradcheck,
    gradcheck_graph,
    gradcheck_report,
    gradgradcheck,
    numerical_grad,
)
from autograd.graph import Edge, Graph, OpNode, TensorNode, trace
from autograd.mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.ops.activation import (
    celu,
    erf,
    erfc,
    erfinv,
    hardshrink,
    prelu,
    rrelu,
    selu,
    threshold,
)
from autograd.ops.dims import (  # PyTorch's shape functions (rebinds split/squeeze/transpose/...)
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_tensors,
    cat,
    chunk,
    dstack,
    flatten,
    hstack,
    movedim,
    narrow,
    permute,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    tile,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from autograd.ops.einsum import einsum
from autograd.ops.elementwise import (
    absolute,
    clip,
    cos,
    elu,
    exp,
    identity,
    isfinite,
    isnan,
    leaky_relu,
    log,
    log1p,
    maximum,
    minimum,
    relu,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    tanh,
)
from autograd.ops.index import (
    argwhere,
    gather,
    index_add,
    index_fill,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    one_hot,
    scatter,
    scatter_add,
    scatter_reduce,
    take_along_dim,
    tril,
    triu,
    where,
)
from autograd.ops.linalg import (
    addmm,
    addmv,
    baddbmm,
    bmm,
    dot,
    ger,
    linear,
    matmul,
    mm,
    mv,
    outer,
    vdot,
)
from autograd.ops.linalg_decomp import det, logdet, slogdet
from autograd.ops.linalg_decomp import inv as inverse
from autograd.ops.linalg_norm import cdist
from autograd.ops.math_exports import *  # noqa: F403 - math, reductions, scans, sorting
from autograd.ops.movement import (
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    meshgrid,
    repeat_interleave,
    roll,
)
from autograd.ops.reduce import argmax, argmin, logsumexp, max, mean, min, norm, prod, std, sum, var
from autograd.ops.rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from autograd.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    pad,
    reshape,
)
from autograd.ops.softmax import log_softmax, softmax
from autograd.random import Generator, get_generator, manual_seed
from autograd.registry import REGISTRY, Primitive, primitive
from autograd.scope import module_scope
from autograd.tensor import Tensor, get_default_dtype, set_default_dtype

abs = absolute  # noqa: A001 - NumPy's name
bool = bool_  # noqa: A001 - torch's name
concat = cat
moveaxis = movedim
swapdims = swapaxes

__all__ = [name for name in dir() if not name.startswith("_")]


# `import autograd as torch` then `torch.nn`, `torch.optim`, `torch.utils.data`: the packages
# above this one, loaded on first use (they import autograd, so never at import time).
_LAZY = {"utils": "autograd.utils", "nn": "nn", "optim": "optim", "autograd": "autograd.function"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(_LAZY[name])
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
