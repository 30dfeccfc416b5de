"""tracegrad's autograd: tensors that record their ops, reverse-mode differentiation,
functions as models (`grad`, `jacobian`, `hessian`), tracing and gradient checking.

NOTE: this import name is shared with HIPS autograd; do not install both in one environment.
"""

from autograd import ops as _ops  # noqa: F401 - fills the registry and Tensor methods
from autograd.creation import (  # PyTorch's factories
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
from autograd.engine import Node
from autograd.errors import DTypeError, ShapeError
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
from autograd.ops.linalg import linear, matmul
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
concat = cat
moveaxis = movedim
swapdims = swapaxes

__all__ = [name for name in dir() if not name.startswith("_")]
