"""Every primitive family; importing this fills the registry and the Tensor methods."""

from autograd.ops import (  # noqa: F401
    conv,
    cumulative,
    elementwise,
    linalg,
    math_methods,
    mathfuncs,
    methods,
    reduce,
    select,
    shape,
    softmax,
    sorting,
)
