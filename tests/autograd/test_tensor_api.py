"""The PyTorch Tensor surface owned by the engine: dtype refusals, casts, devices, methods,
`size()`, grad_fn names and next_functions; values compared with torch where it applies."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.errors import DTypeError


@pytest.mark.parametrize("make", [
    lambda: ag.tensor([1.0 + 2j, 3.0], requires_grad=True),
    lambda: ag.tensor(np.ones(2, np.complex64)).requires_grad_(),
])
def test_complex_requires_grad_is_refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DTypeError, match=r"complex(64|128).*complex autodiff is not supported"):
        make()


@pytest.mark.parametrize("data", [[1, "a"], "abc", np.array([1, None], dtype=object)])
def test_non_numeric_data_is_refused_naming_the_dtype(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="dtype"):
        ag.tensor(data)
