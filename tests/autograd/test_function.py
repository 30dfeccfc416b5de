"""`ag.Function` against a `torch.autograd.Function` written the same way."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def _classes(base):  # type: ignore[no-untyped-def]
    class MyExp(base):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            y = x.exp()
            ctx.save_for_backward(x)
            return y

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (x,) = ctx.saved_tensors
            return g * x.exp()

    class StraightClamp(base):
        @staticmethod
        def forward(ctx, x, lo, hi):  # type: ignore[no-untyped-def]
            ctx.lo = lo
            assert ctx.needs_input_grad == (True, False, False)
            return x.clamp(lo, hi) if hasattr(x, "clamp") else x.clip(lo, hi)

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return g, None, None

    class ScaleShift(base):  # two outputs, plus an integer output marked non-differentiable
        @staticmethod
        def forward(ctx, x, w):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(x, w)
            idx = (x > 0).long() if hasattr(x, "long") else (x > 0).astype(np.int64)
            ctx.mark_non_differentiable(idx)
            return x * w, x + w * w, idx

        @staticmethod
        def backward(ctx, ga, gb, gidx):  # type: ignore[no-untyped-def]
            x, w = ctx.saved_tensors
            return ga * w + gb, ga * x + gb * 2 * w

    return MyExp, StraightClamp, ScaleShift


X = np.array([[0.5, -1.2, 2.0], [0.3, 1.1, -0.4]])
W = np.array([[1.5, 0.2, -0.7], [2.0, -1.0, 0.6]])


def _run(lib, base):  # type: ignore[no-untyped-def]
    my_exp, clamp, two = _classes(base)
    x = lib.tensor(X.copy(), requires_grad=True)
    w = lib.tensor(W.copy(), requires_grad=True)
    e = my_exp.apply(x)
    c = clamp.apply(x * 2, -1.0, 1.5)
    a, b, idx = two.apply(x, w)
    loss = (e * e).sum() + (c * w).sum() + (a * b).sum() + idx.sum() * 0
    gx, gw = (ag.engine.backward([loss], [None], create_graph=True, retain_graph=True,
                                 inputs=[x, w]) if lib is ag else
              lib.autograd.grad(loss, [x, w], create_graph=True))
    second = (ag.engine.backward([(gx * gx).sum()], [None], inputs=[x, w]) if lib is ag else
              lib.autograd.grad((gx * gx).sum(), [x, w]))
    values = [t.detach().numpy() for t in (e, c, a, b, idx)]
    return values, [gx.detach().numpy(), gw.detach().numpy()], [t.detach().numpy() for t in second]


@pytest.mark.torch
def test_function_matches_torch_first_and_second_order() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _run(ag, ag.Function), _run(torch, torch.autograd.Function)
    for group_a, group_b in zip(ours, theirs, strict=True):
        for a, b in zip(group_a, group_b, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_function_node_is_named_checked_and_drawn() -> None:
    my_exp, _, two = _classes(ag.Function)
    x = ag.tensor(X, requires_grad=True)
    y = my_exp.apply(x)
    assert y.grad_fn.name == "MyExp" and y.grad_fn.name() == "MyExpBackward"
    assert "MyExp" in repr(y)
    report = ag.gradcheck_graph(lambda t: (my_exp.apply(t) * 2.0).sum(), (X,))
    assert report.passed, report
    graph = ag.trace(lambda t, u: two.apply(t, u)[0].sum(), X, W)
    assert "ScaleShift" in {op.op for op in graph.ops.values()}
    _, _, idx = two.apply(x, x)
    assert not idx.requires_grad and idx.dtype == np.int64


def test_saved_tensor_modified_in_place_raises() -> None:
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Square.apply(h)
    assert y.grad_fn.name == "Square"
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    h += 1.0
    with pytest.raises(RuntimeError, match=r"input 0 of SquareBackward .* is at version 1"):
        y.sum().backward()
