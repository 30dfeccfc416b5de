"""Every primitive family; importing this fills the registry and the Tensor methods."""

from autograd.ops import conv, elementwise, linalg, methods, reduce, shape, softmax  # noqa: F401
