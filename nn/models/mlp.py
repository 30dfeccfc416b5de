"""`MLP`: Linear layers with an activation, optional BatchNorm1d and Dropout between them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd.errors import ShapeError
from autograd.tensor import Tensor
from nn.module import Module, Sequential
from nn.modules.activation import ACTIVATIONS
from nn.modules.dropout import Dropout
from nn.modules.linear import Linear
from nn.modules.normalization import BatchNorm1d


def make_activation(activation: str | Callable[[], Module]) -> Module:
    """An activation module from its name ("relu", "tanh", ...) or a zero-argument factory."""
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}"
            )
        return ACTIVATIONS[activation]()
    module = activation()
    if not isinstance(module, Module):
        raise TypeError(f"activation factory returned {type(module).__name__}, not a Module")
    return module


class MLP(Sequential):
    """Multi-layer perceptron over `sizes = [in, hidden..., out]`.

    Each hidden block is Linear -> [BatchNorm1d] -> activation -> [Dropout]; the last layer
    is a plain Linear (logits). Children are numbered like any Sequential.

    >>> MLP([784, 128, 10], activation="relu", dropout=0.1)  # doctest: +SKIP
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Callable[[], Module] = "relu",
        dropout: float = 0.0,
        batchnorm: bool = False,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or any(int(s) <= 0 for s in sizes):
            raise ValueError(f"MLP: sizes must list at least 2 positive widths; got {sizes}")
        layers: list[Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(a, b))
            if i < len(sizes) - 2:
                if batchnorm:
                    layers.append(BatchNorm1d(b))
                layers.append(make_activation(activation))
                if dropout:
                    layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.sizes = sizes

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1 or x.shape[-1] != self.sizes[0]:
            raise ShapeError(
                f"MLP: expected input of shape (N, {self.sizes[0]}); got {tuple(x.shape)} "
                "(flatten images with x.reshape(len(x), -1) or build the MLP with sizes[0] = "
                "the feature count)"
            )
        return super().forward(x)
