"""viz.explain_grad: paths, edge gains and the named culprit, on small graphs whose answer is
known (a dead ReLU, a saturated sigmoid, detach, no_grad, an integer cast, a lost branch)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autograd as ag
import viz


def _w(values: list[float] | np.ndarray) -> ag.Tensor:
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name="w")


def test_gains_are_gradient_norm_ratios() -> None:
    w = _w([1.0, -2.0, 3.0])
    x = ag.tensor(np.array([0.5, 0.25, 2.0]))
    r = viz.explain_grad((ag.tanh(w * x) * 3.0).sum(), w)
    assert r.connected and r.n_paths == 1 and r.verdict == "ok"
    edges = r.paths[0].edges
    assert [e.op for e in edges] == ["sum", "multiply", "tanh", "multiply"]
    slope = 1 - np.tanh(w.data * x.data) ** 2
    expect = np.linalg.norm(3.0 * slope * x.data)
    assert r.param_grad == pytest.approx(expect)
    tanh = edges[2]
    assert tanh.gain == pytest.approx(np.linalg.norm(3 * slope) / np.linalg.norm([3.0] * 3))
    assert np.prod([e.gain for e in edges]) == pytest.approx(r.paths[0].gain)
    assert w.grad is None  # explaining touches no .grad


def test_dead_relu_is_the_culprit() -> None:
    w = _w([-3.0, -1.0, -2.0, 0.5])
    r = viz.explain_grad(lambda: ag.relu(w - 1.0).sum(), w)
    assert r.verdict == "vanishing" and r.param_grad == 0
    assert r.culprit is not None and r.culprit.op == "relu"
    assert "100% dead" in r.reason and "test_explain.py" in (r.culprit.location or "")
    w2 = _w([-3.0, 2.0, -2.0, 0.5])
    r2 = viz.explain_grad(ag.relu(w2).sum(), w2)
    assert r2.verdict == "ok" and "50% dead" in r2.paths[0].edges[1].note


def test_saturated_sigmoid_chain_vanishes() -> None:
    w = _w(np.full(8, 1.0))
    h = w
    for _ in range(4):
        h = ag.sigmoid(h * 6.0 - 1.0)  # inputs near 5: slope 0.007
    r = viz.explain_grad((h * 1.0).sum(), w)
    assert r.collapsed and r.culprit is not None and r.culprit.op == "sigmoid"
    assert "4 sigmoid ops" in r.reason and "saturated" in r.reason and "|x| > 4" in r.reason
    text = str(r)
    assert "VANISHING" in text and "culprit: sigmoid" in text and "* " in text


def test_paths_are_capped_and_counted() -> None:
    w = _w([0.3, 0.7])
    h = w
    for _ in range(6):  # each layer doubles the number of paths
        h = h * 1.5 + ag.tanh(h)
    r = viz.explain_grad(h.sum(), w, max_paths=5)
    assert r.n_paths == 2 ** 6 and len(r.paths) == 5
    gains = [p.gain for p in r.paths]
    assert gains == sorted(gains, reverse=True)
    assert "64 paths" in str(r) and "the 5 strongest are shown" in str(r)
    assert len({(e.key, e.input) for e in r.edges}) == len(r.edges) == 6 * 4 + 1  # mul, tanh, add 2


def test_detach_no_grad_and_lost_branch_are_named() -> None:
    w = _w([0.5, 1.5])
    x = ag.tensor(np.array([2.0, 3.0]))
    b = ag.tensor(1.0, requires_grad=True)

    def detached() -> ag.Tensor:
        return ((w * x).detach() * x).sum() * b

    r = viz.explain_grad(detached, w)
    assert r.verdict == "cut" and "cut by detach" in r.reason

    def under_no_grad() -> ag.Tensor:
        h = w * x
        with ag.no_grad():
            k = ag.exp(h)
        return (k * x).sum() * b

    r = viz.explain_grad(under_no_grad, w)
    assert r.verdict == "cut" and "exp" in r.reason and "no_grad" in r.reason

    def lost_branch() -> ag.Tensor:
        ag.tanh(w * 2.0)  # computed, never used by the loss
        return (w * x).sum()

    r = viz.explain_grad(lost_branch, w)
    assert r.verdict == "ok" and any("tanh" in c and "never reaches the loss" in c
                                     for c in r.cuts)
    # the loss as a Tensor: the graph alone shows a direct detach of param
    r = viz.explain_grad((w.detach() * b).sum(), w)
    assert r.verdict == "cut" and "param.detach()" in r.reason


def test_integer_cast_rounds_the_gradient_away() -> None:
    w = _w([0.5, 0.25])
    x = ag.tensor(np.array([0.3, 0.6]))
    r = viz.explain_grad(lambda: ((w * 4.0).astype("int64") * x).sum(), w)
    assert r.verdict == "vanishing" and "integer" in r.reason and r.param_grad == 0


def test_report_renders_and_serialises() -> None:
    w = _w([1.0, 2.0])
    r = viz.explain_grad(ag.sigmoid(w * 3.0).sum(), w)
    html = r._repr_html_()
    assert "<table>" in html and "sigmoid" in html
    d = json.loads(json.dumps(r.to_dict()))
    assert d["verdict"] == r.verdict and d["paths"][0]["edges"][0]["op"] == "sum"


def test_bad_input_is_refused() -> None:
    w = _w([1.0, 2.0])
    with pytest.raises(ValueError, match="scalar"):
        viz.explain_grad(w * 2.0, w)
    with pytest.raises(TypeError, match="param must be a Tensor"):
        viz.explain_grad((w * 2).sum(), np.ones(2))
    with pytest.raises(ValueError, match="max_paths"):
        viz.explain_grad((w * 2).sum(), w, max_paths=0)
    loss = (w * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        viz.explain_grad(loss, w)


def test_an_intermediate_tensor_can_be_explained() -> None:
    w = _w([0.5, -1.0])
    h = ag.tanh(w * 3.0)
    r = viz.explain_grad((h * h).sum(), h, name="h")
    assert r.connected and r.n_paths == 2  # both operands of h * h
    assert r.param_grad == pytest.approx(np.linalg.norm(2 * h.data))
    assert all(e.op != "tanh" for p in r.paths for e in p.edges)  # the walk stops at h
