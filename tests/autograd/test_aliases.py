"""PyTorch keyword spellings (`dim`, `keepdim`) beside NumPy's, on primitives and functions."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.aliases import torch_names


def test_primitive_takes_dim_and_keepdim() -> None:
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(ag.sum(x, dim=1).data, [3.0, 12.0])
    assert ag.sum(x, dim=0, keepdim=True).shape == (1, 3)


def test_both_spellings_raise() -> None:
    with pytest.raises(TypeError, match="both 'axis' and its alias 'dim'"):
        ag.sum(ag.tensor([1.0]), dim=0, axis=0)


def test_unknown_keyword_names_op_and_keyword() -> None:
    with pytest.raises(TypeError, match=r"sum\(\) got an unexpected keyword argument 'foo'"):
        ag.sum(ag.tensor([1.0]), foo=1)


def test_decorated_function_maps_both_ways() -> None:
    @torch_names
    def f(x: int, dim: int = 0, keepdim: bool = False) -> tuple[int, bool]:
        return dim, keepdim

    @torch_names
    def g(x: int, axis: int = 0) -> int:
        return axis

    assert f(0, axis=2, keepdims=True) == (2, True)
    assert g(0, dim=3) == 3
    with pytest.raises(TypeError):
        g(0, dim=1, axis=1)


def test_shape_error_is_runtime_error() -> None:
    with pytest.raises(RuntimeError):
        ag.tensor(np.ones((2, 3))) @ ag.tensor(np.ones((2, 3)))
    assert issubclass(ag.DTypeError, TypeError) and issubclass(ag.DTypeError, RuntimeError)
