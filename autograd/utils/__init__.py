"""`ag.utils.data` (PyTorch's `torch.utils.data` spelling): the `nn.data` package.

Imported on first access of `ag.utils`, since `nn` itself imports `autograd`.
"""

from nn import data

__all__ = ["data"]
