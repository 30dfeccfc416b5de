"""In-place ops against PyTorch: every operator and method, on non-leaves, views and slices,
with and without earlier consumers, first and second order, float64; plus the regression cases
of issue 14 (they gave wrong answers or false errors before in-place ops kept old versions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd as ag
from autograd import engine

RNG = np.random.default_rng(7)
X = RNG.uniform(0.5, 2.0, (3, 4))
W = RNG.uniform(0.5, 2.0, (3, 4))
C = RNG.uniform(-1.0, 1.0, (3, 4))
MASK = X > 1.2

# name -> fn(y, w, lib): the in-place op(s) on y, spelled the same for tracegrad and torch.
OPS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "iadd": lambda y, w, lib: y.__iadd__(w),
    "iadd-scalar": lambda y, w, lib: y.__iadd__(2.0),
    "isub": lambda y, w, lib: y.__isub__(w),
    "imul": lambda y, w, lib: y.__imul__(w),
    "imul-scalar": lambda y, w, lib: y.__imul__(3.0),
    "itruediv": lambda y, w, lib: y.__itruediv__(w),
    "ipow-scalar": lambda y, w, lib: y.__ipow__(2.0),
    "ipow-tensor": lambda y, w, lib: y.__ipow__(w),
    "add_-alpha": lambda y, w, lib: y.add_(w, alpha=2.0),
    "sub_-alpha": lambda y, w, lib: y.sub_(w, alpha=0.5),
    "mul_": lambda y, w, lib: y.mul_(w),
    "div_": lambda y, w, lib: y.div_(w),
    "div_-floor": lambda y, w, lib: y.div_(w, rounding_mode="floor"),
    "div_-trunc": lambda y, w, lib: y.div_(-w, rounding_mode="trunc"),
    "pow_": lambda y, w, lib: y.pow_(w),
    "clamp_": lambda y, w, lib: y.clamp_(0.8, 1.6),
    "clamp_-min": lambda y, w, lib: y.clamp_(min=1.0),
    "fill_": lambda y, w, lib: y.fill_(2.5),
    "zero_": lambda y, w, lib: y.zero_(),
    "copy_": lambda y, w, lib: y.copy_(w),
    "neg_": lambda y, w, lib: y.neg_(),
    "abs_": lambda y, w, lib: y.abs_(),
    "exp_": lambda y, w, lib: y.exp_(),
    "log_": lambda y, w, lib: y.log_(),
    "sqrt_": lambda y, w, lib: y.sqrt_(),
    "sin_": lambda y, w, lib: y.sin_(),
    "cos_": lambda y, w, lib: y.cos_(),
    "tanh_": lambda y, w, lib: y.tanh_(),
    "sigmoid_": lambda y, w, lib: y.sigmoid_(),
    "relu_": lambda y, w, lib: y.relu_(),
    "twice": lambda y, w, lib: (y.mul_(w), y.add_(y * 2.0)),
    "self-referencing": lambda y, w, lib: y.__iadd__(y * w),
}

# name -> fn(y, w, lib): indexed writes.
SETITEMS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "row": lambda y, w, lib: y.__setitem__(0, w[1] * 2.0),
    "column": lambda y, w, lib: y.__setitem__((slice(None), 1), w[:, 2]),
    "mask-zero": lambda y, w, lib: y.__setitem__(lib.tensor(MASK), 0.0),
    "scalar-element": lambda y, w, lib: y.__setitem__((1, 2), w[0, 0]),
    "index-iadd": lambda y, w, lib: _index_iadd(y, w),
    "slice-imul": lambda y, w, lib: _slice_imul(y, w),
    "fancy": lambda y, w, lib: y.__setitem__(lib.tensor(np.array([2, 0])), w[:2] * 3.0),
}


def _index_iadd(y: Any, w: Any) -> None:
    y[0] += w[2]


def _slice_imul(y: Any, w: Any) -> None:
    y[1:] *= w[:2]


# How the tensor written to is reached from y (a view writes through to y).
TARGETS: dict[str, Callable[[Any], Any]] = {
    "tensor": lambda y: y,
    "row-slice": lambda y: y[1:],
    "column": lambda y: y[:, 1],
    "element": lambda y: y[2],
    "reshape": lambda y: y.reshape(4, 3),
}

# Earlier consumers of y, made before the write.
CONSUMERS: dict[str, Callable[[Any, Any], Any]] = {
    "none": lambda y, c: 0.0,
    "reads-nothing": lambda y, c: (y * c).sum() + y.sum(),
    "reads-y": lambda y, c: (y * y).sum(),
}


def _lib(kind: str) -> Any:
    if kind == "torch":
        return pytest.importorskip("torch")
    return ag


def _leaves(lib: Any) -> tuple[Any, Any, Any]:
    x = lib.tensor(X.copy(), requires_grad=True)
    w = lib.tensor(W.copy(), requires_grad=True)
    return x, w, lib.tensor(C.copy())


def _grads(lib: Any, loss: Any, xs: list[Any], create_graph: bool) -> list[Any]:
    if lib is ag:
        return engine.backward([loss], [None], create_graph=create_graph,
                               retain_graph=create_graph, inputs=xs)
    return list(lib.autograd.grad(loss, xs, create_graph=create_graph, allow_unused=True))


def _run(lib: Any, op: Callable[..., Any], target: Callable[[Any], Any],
         consumer: Callable[[Any, Any], Any], order: int) -> tuple[str, list[Any]]:
    """Build y = 1.5 x, consumers, write, loss; return ("ok", arrays) or ("error", [msg])."""
    x, w, c = _leaves(lib)
    try:
        y = x * 1.5
        early = consumer(y, c)
        op(target(y), w, lib)
        loss = early + (y * c).sum() + (y * y * c).sum()
        grads = _grads(lib, loss, [x, w], create_graph=order == 2)
        out = [y.detach().numpy().copy()]
        if order == 2:
            gx = grads[0]
            total = (gx * gx).sum() if gx is not None and gx.requires_grad else None
            grads = [None, None] if total is None else _grads(lib, total, [x, w], False)
        out += [None if g is None else np.array(g.detach().numpy()) for g in grads]
        return "ok", out
    except RuntimeError as exc:
        return "error", [str(exc)]


def _compare(name: str, ours: tuple[str, list[Any]], theirs: tuple[str, list[Any]]) -> None:
    assert ours[0] == theirs[0], f"{name}: tracegrad {ours}, torch {theirs}"
    if ours[0] == "error":
        assert "inplace" in ours[1][0] or "in-place" in ours[1][0], ours[1][0]
        return
    for k, (a, b) in enumerate(zip(ours[1], theirs[1], strict=True)):
        what = ("value", "grad x", "grad w")[k]
        if b is None or a is None:  # torch says None where no path leads; zeros are the same
            a, b = (np.zeros_like(X) if v is None else v for v in (a, b))
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {what}")


@pytest.mark.torch
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("consumer", list(CONSUMERS))
@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("op", list(OPS))
def test_inplace_op_matches_torch(op: str, target: str, consumer: str, order: int) -> None:
    fn, tgt, cons = OPS[op], TARGETS[target], CONSUMERS[consumer]
    if target != "tensor" and op in ("iadd", "isub", "imul", "itruediv", "ipow-tensor",
                                     "add_-alpha", "sub_-alpha", "mul_", "div_", "pow_",
                                     "copy_", "twice", "self-referencing", "div_-floor",
                                     "div_-trunc"):
        shape = {"row-slice": (2, 4), "column": (3,), "element": (4,), "reshape": (4, 3)}[target]
        fn = _on_part(fn, shape)
    name = f"{op} on {target}, consumer {consumer}, order {order}"
    _compare(name, _run(ag, fn, tgt, cons, order), _run(_lib("torch"), fn, tgt, cons, order))


def _on_part(fn: Callable[..., Any], shape: tuple[int, ...]) -> Callable[..., Any]:
    """The op with `w` cut to the target's shape (a slice of w, so w still gets a gradient)."""
    n = int(np.prod(shape))
    return lambda y, w, lib: fn(y, w.reshape(-1)[:n].reshape(*shape), lib)


@pytest.mark.torch
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("consumer", list(CONSUMERS))
@pytest.mark.parametrize("case", list(SETITEMS))
def test_setitem_matches_torch(case: str, consumer: str, order: int) -> None:
    fn, cons = SETITEMS[case], CONSUMERS[consumer]
    name = f"setitem {case}, consumer {consumer}, order {order}"
    tgt = TARGETS["tensor"]
    _compare(name, _run(ag, fn, tgt, cons, order), _run(_lib("torch"), fn, tgt, cons, order))


@pytest.mark.torch
@pytest.mark.parametrize("op", list(OPS))
def test_inplace_on_leaf_under_no_grad_matches_torch(op: str) -> None:
    torch = _lib("torch")
    results = []
    for lib in (ag, torch):
        x, w, _ = _leaves(lib)
        with lib.no_grad():
            OPS[op](x, w, lib)
        results.append(x.detach().numpy().copy())
        assert x.requires_grad and x.grad_fn is None
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


@pytest.mark.parametrize("op", ["iadd", "mul_", "zero_", "fill_", "copy_", "exp_", "clamp_"])
def test_inplace_on_leaf_requiring_grad_raises(op: str) -> None:
    x, w, _ = _leaves(ag)
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        OPS[op](x, w, ag)
    with pytest.raises(RuntimeError, match="view of a leaf Tensor"):
        OPS[op](x[1:], w[1:], ag)


def test_write_into_a_view_that_is_no_slice_raises() -> None:
    y = ag.tensor(X, requires_grad=True) * 1.0
    v = y.transpose()[:2]  # a strided slice of a transpose: a slice of a full-size view
    v *= 2.0
    with pytest.raises(RuntimeError, match="not supported"):
        ag.broadcast_to(y[0], (2, 4)).__imul__(2.0)


def test_normal_and_uniform_fill_and_cut_the_gradient() -> None:
    ag.manual_seed(0)
    x = ag.tensor(X, requires_grad=True)
    y = x * 2.0
    y[0].normal_()
    y[1].uniform_(-1.0, 1.0)
    assert np.all((y.data[1] >= -1.0) & (y.data[1] <= 1.0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.array([[0.0] * 4, [0.0] * 4, [2.0] * 4]))
    with ag.no_grad():
        x.normal_(3.0, 0.01)
    assert abs(float(x.data.mean()) - 3.0) < 0.05


# ----- regressions of issue 14 (wrong answers / false errors before) -----


def test_self_referencing_add_gives_the_full_gradient() -> None:
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y += y * 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0, 3.0])


def test_functional_grad_of_self_referencing_add() -> None:
    def f(x: ag.Tensor) -> ag.Tensor:
        y = x * 1
        y += y * 2
        return y.sum()

    np.testing.assert_allclose(ag.grad(f)(ag.tensor([1.0, 2.0])).data, [3.0, 3.0])


def test_subtract_mean_and_divide_by_sum_in_place() -> None:
    x = ag.tensor([1.0, 2.0, 4.0], dtype=np.float64, requires_grad=True)
    y = x * 1
    y -= y.mean()
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * (x.data - x.data.mean()))
    x.grad = None
    y = x * 1
    y /= y.sum()
    y[0].backward()
    s = x.data.sum()
    np.testing.assert_allclose(x.grad.data, np.array([1 / s, 0, 0]) - x.data[0] / s**2)


def test_residual_update_in_place() -> None:
    """`h += tanh(W @ h)`: right gradient for h0; W's needs the overwritten h, so it raises."""
    w = ag.tensor([[0.5, -0.2], [0.1, 0.3]], dtype=np.float64)
    h0 = ag.tensor([1.0, -1.0], dtype=np.float64, requires_grad=True)
    h = h0 * 1
    h += ag.tanh(w @ h)
    h.sum().backward()
    a = w.data @ h0.data
    expected = 1 + w.data.T @ (1 - np.tanh(a) ** 2)
    np.testing.assert_allclose(h0.grad.data, expected)
    w.requires_grad_()
    h = h0 * 1
    h += ag.tanh(w @ h)
    with pytest.raises(RuntimeError, match=r"input 1 of MatmulBackward .* is at version 1"):
        h.sum().backward()


def test_earlier_consumer_does_not_see_a_later_add() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([5.0, 5.0], requires_grad=True)
    y = x * 1
    s = y.sum()
    y += w
    s.backward()
    assert w.grad is None
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_scaling_in_place_is_no_false_error() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y *= 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])


def test_overwritten_saved_output_still_raises_naming_the_node() -> None:
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y += 1
    with pytest.raises(RuntimeError, match=r"output 0 of ExpBackward .* is at version 1; "
                                           r"expected version 0"):
        y.sum().backward()


def test_hook_registered_before_write_sees_the_old_value_gradient() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    y *= 3
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])


def test_version_counter_and_views_share_it() -> None:
    y = ag.tensor([1.0, 2.0, 3.0]) * 1
    v = y[1:]
    v.add_(1.0)
    assert y._version == v._version == 1
    np.testing.assert_allclose(y.data, [1.0, 3.0, 4.0])
