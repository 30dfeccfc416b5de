"""Typed errors at the offending call, and `ag.trace` graphs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autograd as ag


def test_matmul_shape_error_names_shapes():
    a, b = ag.ones(2, 3), ag.ones(4, 5)
    with pytest.raises(ag.ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) are not "
                       r"aligned: 3 \(dim 1\) != 4 \(dim 0\)"):
        a @ b


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ag.ShapeError, match=r"add: .*\(3, 4\), \(3, 5\)"):
        ag.ones(3, 4) + ag.ones(3, 5)
    with pytest.raises(ValueError):  # ShapeError is a ValueError, like NumPy's
        ag.ones(2) * ag.ones(3)


def test_reshape_transpose_axis_errors():
    x = ag.ones(2, 3)
    with pytest.raises(ag.ShapeError, match=r"cannot reshape tensor of shape \(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(ag.ShapeError, match="not a permutation"):
        x.transpose((0, 0))  # a tuple is NumPy axes; two ints swap (torch)
    with pytest.raises(ag.ShapeError, match="axis 2 is out of bounds"):
        x.sum(axis=2)
    with pytest.raises(ag.ShapeError, match="concatenate"):
        ag.concatenate([ag.ones(2, 3), ag.ones(2, 4)], axis=0)


def test_index_error_names_op():
    with pytest.raises(IndexError, match="getitem"):
        ag.ones(3)[5]


def test_item_and_bool_errors():
    with pytest.raises(ValueError, match=r"only one element tensors.*\(2,\)"):
        ag.ones(2).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ag.ones(2))


def test_trace_records_forward_and_backward():
    def f(x, w):
        return ag.tanh(x @ w).sum()

    g = ag.trace(f, np.ones((2, 3)), np.ones((3, 4)) * 0.1)
    ops = [o.op for o in g.ops.values()]
    assert ops == ["matmul", "tanh", "sum"]
    assert len(g.tensors) == 5  # x, w, matmul out, tanh out, sum out
    assert len(g.edges) == 2 + 1 + 1 + 3  # inputs into ops + one edge out of each op
    assert g.has_backward and g.backward_order == ["op2", "op1", "op0"]
    x_id = next(t.id for t in g.tensors.values() if t.name == "x")
    assert g.tensors[x_id].grad["shape"] == (2, 3)
    assert g.tensors[x_id].grad["norm"] > 0
    assert all(o.location and "test_errors_and_trace.py" in o.location for o in g.ops.values())
    d = g.to_dict()
    json.dumps(d)
    assert {n["kind"] for n in d["nodes"]} == {"tensor", "op"}
    text = str(g)
    assert "matmul" in text and "tanh" in text


def test_trace_nested_inputs_and_module_scope():
    def f(p):
        with ag.module_scope("fc1"):
            h = p["x"] * p["w"]
        return h.sum()

    g = ag.trace(f, {"x": np.ones(2), "w": np.ones(2)})
    names = {t.name for t in g.tensors.values() if t.role == "input"}
    assert names == {"p.x", "p.w"}  # named after f's parameter
    assert g.ops["op0"].module == "fc1"


def test_graph_from_tensor_and_unused_parameter():
    a = ag.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = ag.tensor([1.0], requires_grad=True, name="b")
    y = (a * 2).sum()
    g = ag.Graph.from_tensor(y)
    assert [o.op for o in g.ops.values()] == ["multiply", "sum"]

    def f(x, unused):
        return (x * 2).sum()

    g2 = ag.trace(f, np.ones(2), np.ones(2))
    orphan = g2.parameters_without_gradient_path()
    assert [g2.tensors[t].name for t in orphan] == ["unused"]
    assert b.grad is None


def test_trace_marks_first_nonfinite():
    g = ag.trace(lambda x: ag.log(x * 0).sum(), np.ones(2))
    assert g.first_nonfinite()["forward"] == "op1"
