"""Graph engine behaviour: RELIABILITY.md cases 1-12 and the backward() contract."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd as ag


def test_backward_non_scalar_needs_gradient():  # case 1
    x = ag.ones(3, 4, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs; got shape \(3, 4\)"):
        y.backward()


def test_backward_gradient_shape_mismatch():  # case 2
    x = ag.ones(3, requires_grad=True)
    y = x * 2
    msg = r"gradient has shape \(2,\) and output has shape \(3,\)"
    with pytest.raises(RuntimeError, match=msg):
        y.backward(gradient=ag.ones(2))


def test_backward_with_explicit_gradient():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(gradient=np.array([1.0, 0.5, 0.0], dtype=np.float32))
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 0.0])


@pytest.mark.parametrize("make", ["no_grad_leaf", "under_no_grad"])
def test_backward_without_grad_fn(make):  # case 3
    x = ag.ones(3, requires_grad=make == "under_no_grad")
    if make == "under_no_grad":
        with ag.no_grad():
            loss = (x * 2).sum()
    else:
        loss = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        loss.backward()


def test_second_backward_raises_and_retain_graph_accumulates():  # case 4
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    y = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (y.exp()).sum()
    loss.backward(retain_graph=True)
    first = y.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(y.grad.data, 2 * first)


def test_deep_chain_no_recursion_error_and_freed():  # case 5
    x = ag.tensor(1.0, dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001**100_000, rel=1e-9)
    assert 1.000001**100_000 == pytest.approx(1.10517, rel=1e-5)
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


def test_shared_subexpressions():  # case 6
    a = ag.tensor(1.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0
    x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data)
    z = ag.tensor([1.0, 2.0], requires_grad=True)
    (z + z.detach()).sum().backward()
    np.testing.assert_allclose(z.grad.data, [1.0, 1.0])


def test_gradients_share_no_memory():  # case 7
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([3.0, 4.0], requires_grad=True)
    xd, yd = x.data.copy(), y.data.copy()
    up = np.array([1.0, 1.0], dtype=np.float32)
    (x + y).backward(gradient=up)
    assert not np.shares_memory(x.grad.data, y.grad.data)
    assert not np.shares_memory(x.grad.data, up)
    np.testing.assert_array_equal(x.data, xd)
    np.testing.assert_array_equal(y.data, yd)
    np.testing.assert_array_equal(up, [1.0, 1.0])
    x.grad.data += 10
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((1,), (5, 4)), ((4, 1), (1, 4)), ((3,), (2, 3)), ((), (2, 3))],
)
def test_broadcast_gradients_sum_back(sa, sb):  # case 8
    rng = np.random.default_rng(0)
    a = ag.Tensor(rng.standard_normal(sa), requires_grad=True)
    b = ag.Tensor(rng.standard_normal(sb), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    full_b = np.broadcast_to(b.data, np.broadcast_shapes(sa, sb))
    axes = tuple(range(full_b.ndim - len(sa))) + tuple(
        full_b.ndim - len(sa) + i for i, s in enumerate(sa) if s == 1
    )
    expected = full_b.sum(axis=axes).reshape(sa)
    np.testing.assert_allclose(a.grad.data, expected)


def test_python_scalar_and_reductions_broadcast():  # case 8
    x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    (2.0 + x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[3.0, 3.0]])
    t = ag.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    t.mean(axis=(1, 2)).sum().backward()
    np.testing.assert_allclose(t.grad.data, np.full((2, 3, 4), 1 / 12))
    v = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v.sum(axis=-1, keepdims=False).backward()
    np.testing.assert_allclose(v.grad.data, [1.0, 1.0, 1.0])


def test_integer_tensors_cannot_require_grad():  # case 9
    with pytest.raises(RuntimeError, match="Only floating point tensors can require gradients; "
                       "got int64"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="got bool"):
        ag.tensor([True, False]).requires_grad_()
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad
    assert not x.argmax().requires_grad
    assert (x > 1).dtype == np.bool_


def test_inplace_on_saved_tensor_is_detected():  # case 10
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y += 1
    with pytest.raises(RuntimeError, match=r"output 0 of ExpBackward \(float32 \(3,\)\) is at "
                       r"version 1; expected version 0"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises_but_no_grad_works():  # case 10
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        w += 1
    with ag.no_grad():
        w -= 0.5
    np.testing.assert_allclose(w.data, [0.5, 1.5])
    assert w.grad_fn is None and w.requires_grad


def test_inplace_add_on_intermediate_keeps_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y += 1  # add does not need its inputs: backward stays valid
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


class _Loop:
    """A tiny MLP training step with plain tensors."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.w1 = ag.Tensor(rng.standard_normal((8, 16)) * 0.3, requires_grad=True)
        self.w2 = ag.Tensor(rng.standard_normal((16, 1)) * 0.3, requires_grad=True)
        self.x = ag.Tensor(rng.standard_normal((32, 8)))
        self.y = ag.Tensor(rng.standard_normal((32, 1)))

    def step(self) -> float:
        loss = (((self.x @ self.w1).tanh() @ self.w2 - self.y) ** 2).mean()
        loss.backward()
        with ag.no_grad():
            for w in (self.w1, self.w2):
                w -= 0.05 * w.grad
                w.grad = None
        return loss.item()


def _live(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def test_training_memory_stays_flat():  # case 11 and issue 2 "done when"
    loop = _Loop()
    first = loop.step()
    gc.collect()
    nodes0, tensors0 = _live(ag.Node), _live(ag.Tensor)
    for _ in range(1000):
        last = loop.step()
    gc.collect()
    assert last < first
    assert _live(ag.Node) <= nodes0
    assert _live(ag.Tensor) <= tensors0 + 2


def test_graph_freed_by_refcount_without_gc():  # case 11: no Node<->Tensor cycles
    gc.disable()
    try:
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        loss = ((x * 2).exp() + x).sum()
        node = weakref.ref(loss.grad_fn)
        inner = weakref.ref(loss.grad_fn.inputs[0].grad_fn)
        del loss
        assert node() is None and inner() is None
    finally:
        gc.enable()


def test_no_grad_and_enable_grad():  # case 12
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            z = x * 2
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @ag.no_grad()
    def f(t):
        return t * 3

    assert f(x).grad_fn is None


def test_hooks_modify_and_check_shape():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g * 10)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [30.0, 30.0])
    np.testing.assert_allclose(seen[0], [30.0, 30.0])
    z = ag.tensor([1.0, 2.0], requires_grad=True)
    w = z * 2
    w.register_hook(lambda g: ag.ones(3))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(3,\); expected \(2,\)"):
        w.sum().backward()


def test_remove_hook_and_retain_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    remove = y.register_hook(lambda g: g * 0)
    remove()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.data, 2 * y.data)
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_create_graph_second_derivative():
    x = ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = (x**3).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.grad_fn is not None
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_backward_inputs_restricts_accumulation():
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_detach_shares_data_and_cuts_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert d.grad_fn is None and not d.requires_grad
    np.testing.assert_allclose(d.data, [2.0, 4.0])


def test_detect_anomaly_names_forward_op():  # case 18
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        y = ag.log(x).sum()
        msg = r"(?s)Function 'LogBackward' returned inf values in its 0th output.*forward op 'log'"
        with pytest.raises(RuntimeError, match=msg):
            y.backward()
    z = ag.log(x).sum()
    z.backward()  # plain mode propagates, never replaces
    assert np.isinf(x.grad.data[0])


def test_where_double_where_pattern():  # case 18
    x = ag.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    naive = ag.where(x > 0, ag.log(x), 0.0).sum()
    naive.backward()
    assert np.isnan(x.grad.data).any()  # log'(x)*0 at x<0 is nan: documented pitfall
    x.grad = None
    safe_x = ag.where(x > 0, x, 1.0)
    ag.where(x > 0, ag.log(safe_x), 0.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 0.5])


def test_version_counter_views_share():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y.reshape(3, 1)
    z = v.exp()
    y += 1  # y and v share memory, so z's saved output is unaffected but its input is
    np.testing.assert_allclose(v.data.ravel(), y.data)
    z.sum().backward()  # exp saves its output, not its input: still valid
    assert x.grad is not None
