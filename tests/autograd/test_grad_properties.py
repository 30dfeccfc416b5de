"""Property-based gradient checks: random shapes, broadcasting, axes and indices for core ops.

Each property runs gradcheck and gradgradcheck (float64) on a handful of drawn cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

FEW = settings(max_examples=8, deadline=None, derandomize=True)
SEEDS = st.integers(0, 2**32 - 1)


def _values(seed: int, shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0,
            away_from_zero: bool = False) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(lo, hi, shape)
    if away_from_zero:
        x = np.where(np.abs(x) < 0.2, x + np.where(x >= 0, 0.4, -0.4), x)
    return x


def _both_orders(f: Any, *args: Any) -> None:
    assert ag.gradcheck(f, args)
    assert ag.gradgradcheck(f, args)


BINARY = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
    "maximum": ag.maximum,
    "power": lambda a, b: ag.abs(a) ** b,
}


@FEW
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(sorted(BINARY)),
    seed=SEEDS,
)
def test_binary_ops_sum_gradients_back_over_broadcast_dims(shapes: Any, op: str,
                                                          seed: int) -> None:
    a_shape, b_shape = shapes.input_shapes
    a = _values(seed, a_shape, away_from_zero=True)
    b = _values(seed + 1, b_shape, away_from_zero=True)
    _both_orders(BINARY[op], a, b)


REDUCTIONS = {
    "sum": ag.sum,
    "max": ag.max,
    "min": ag.min,
    "prod": ag.prod,
    "logsumexp": ag.logsumexp,
    "norm": ag.norm,
    "mean": ag.mean,
    "var": ag.var,
}


@st.composite
def shape_and_axis(draw: Any) -> tuple[tuple[int, ...], Any]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axis = draw(st.none() | hnp.valid_tuple_axes(len(shape), min_size=1)
                | st.integers(-len(shape), len(shape) - 1))
    return shape, axis


@FEW
@given(case=shape_and_axis(), keepdims=st.booleans(), op=st.sampled_from(sorted(REDUCTIONS)),
       seed=SEEDS)
def test_reductions_over_any_axes(case: Any, keepdims: bool, op: str, seed: int) -> None:
    shape, axis = case
    x = _values(seed, shape, away_from_zero=True)
    _both_orders(lambda t: REDUCTIONS[op](t, axis=axis, keepdims=keepdims), x)


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), data=st.data(), seed=SEEDS)
def test_transpose_and_reshape(shape: tuple[int, ...], data: Any, seed: int) -> None:
    x = _values(seed, shape)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    target = tuple(data.draw(st.permutations(shape))) + (1,)
    _both_orders(lambda t: ag.sin(t.transpose(perm)).reshape(target) * 2.0, x)


@FEW
@given(
    shapes=hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2,
                                             max_side=3),
    seed=SEEDS,
)
def test_matmul_with_vectors_and_broadcast_batches(shapes: Any, seed: int) -> None:
    a_shape, b_shape = shapes.input_shapes
    _both_orders(ag.matmul, _values(seed, a_shape), _values(seed + 1, b_shape))


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data(),
       log=st.booleans(), seed=SEEDS)
def test_softmax_along_any_axis(shape: tuple[int, ...], data: Any, log: bool, seed: int) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    fn = ag.log_softmax if log else ag.softmax
    _both_orders(lambda t: fn(t, axis=axis), _values(seed, shape))


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data(), seed=SEEDS)
def test_basic_and_advanced_indexing(shape: tuple[int, ...], data: Any, seed: int) -> None:
    x = _values(seed, shape)
    basic = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
    _both_orders(lambda t: t[basic] * 3.0, x)
    picks = data.draw(hnp.arrays(np.int64, st.integers(1, 5),
                                 elements=st.integers(-shape[0], shape[0] - 1)))
    _both_orders(lambda t: ag.tanh(t[picks]), x)  # repeated indices accumulate


@FEW
@given(shapes=st.lists(hnp.array_shapes(min_dims=2, max_dims=2, max_side=3), min_size=1,
                       max_size=3), axis=st.sampled_from([0, 1, -1]), seed=SEEDS)
def test_concatenate_and_stack(shapes: list[tuple[int, ...]], axis: int, seed: int) -> None:
    base = shapes[0]
    ax = axis % 2
    fixed = [tuple(base[d] if d != ax else s[d] for d in range(2)) for s in shapes]
    xs = tuple(_values(seed + i, s) for i, s in enumerate(fixed))
    _both_orders(lambda *ts: ag.concatenate(ts, axis=axis), *xs)
    same = tuple(_values(seed + i, base) for i in range(len(shapes)))
    _both_orders(lambda *ts: ag.stack(ts, axis=axis), *same)
