"""tracegrad's autograd: tensors that record their ops, reverse-mode differentiation,
functions as models (`grad`, `jacobian`, `hessian`), tracing and gradient checking.

NOTE: this import name is shared with HIPS autograd; do not install both in one environment.
"""

from autograd import ops as _ops  # noqa: F401 - fills the registry and Tensor methods
from autograd.creation import (
    arange,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randn,
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
    where,
)
from autograd.ops.linalg import linear, matmul
from autograd.ops.reduce import argmax, argmin, logsumexp, max, mean, min, norm, prod, std, sum, var
from autograd.ops.rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from autograd.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    pad,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
)
from autograd.ops.softmax import log_softmax, softmax
from autograd.random import get_generator, manual_seed
from autograd.registry import REGISTRY, Primitive, primitive
from autograd.scope import module_scope
from autograd.tensor import Tensor, get_default_dtype, set_default_dtype

abs = absolute  # noqa: A001 - NumPy's name

__all__ = [name for name in dir() if not name.startswith("_")]
