"""`Dropout`: inverted dropout in training, identity in eval."""

from __future__ import annotations

from autograd.tensor import Tensor
from nn import functional as F
from nn.module import Module


class Dropout(Module):
    """Zero each element with probability p in training and scale the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
