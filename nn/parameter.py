"""`Parameter`: a leaf Tensor that a Module registers as trainable state."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.tensor import Tensor, get_default_dtype


class Parameter(Tensor):
    """A Tensor that `Module.__setattr__` registers (and graphs mark as a parameter).

    Wrapping a Tensor or ndarray shares its data, as `torch.nn.Parameter` does; Python numbers
    and lists become the default float dtype.

    >>> w = Parameter(np.zeros((3, 2)))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    __slots__ = ()
    is_parameter = True

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (self.data, self.requires_grad))
