"""`compare`: one op on tracegrad and on PyTorch, values and input gradients (tests only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def compare(ag_fn: Callable[..., Any], torch_fn: Callable[..., Any], *arrays: np.ndarray,
            grad: bool = True, atol: float = 1e-10) -> None:
    """Same forward and same input gradients (for a random upstream gradient) as torch."""
    xs = [ag.Tensor(a.copy(), requires_grad=grad) for a in arrays]
    ts = [torch.tensor(a.copy(), requires_grad=grad) for a in arrays]
    out, tout = ag_fn(*xs), torch_fn(*ts)
    outs = list(out) if isinstance(out, tuple) else [out]
    touts = list(tout) if isinstance(tout, tuple) else [tout]
    assert len(outs) == len(touts)
    for o, t in zip(outs, touts, strict=True):
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-7, atol=atol)
        assert o.shape == tuple(t.shape)
    if not grad or not touts[0].requires_grad:
        return
    up = RNG.standard_normal(touts[0].shape)
    outs[0].backward(ag.Tensor(up))
    touts[0].backward(torch.tensor(up))
    for x, t in zip(xs, ts, strict=True):
        want = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        got = x.grad.data if x.grad is not None else np.zeros(x.shape)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
