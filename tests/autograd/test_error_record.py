"""`ag.record_on_error()`: the graph up to a failing forward op or VJP is kept, and the
exception propagates exactly as it would without the recording."""

from __future__ import annotations

import traceback
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import viz
from autograd import error_record

HERE = __file__


def _model() -> nn.Sequential:
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(4, 3))  # 8 != 4: mismatch


def _forward_mismatch() -> None:
    _model()(ag.tensor(np.ones((5, 2), np.float32)))  # the line the error graph names


class _WrongShape(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return g.reshape(-1)  # (12,) for a (3, 4) input


class _Raises(_WrongShape):
    @staticmethod
    def backward(ctx, g):
        raise ValueError("my backward is broken")


class _NaN(_WrongShape):
    @staticmethod
    def backward(ctx, g):
        return g * np.nan


def _backward_through(fn: type[ag.Function]) -> None:
    x = ag.tensor(np.ones((3, 4)), requires_grad=True)
    (fn.apply(x.tanh()) * 3.0).sum().backward()


def _catch(f) -> BaseException:
    with pytest.raises(Exception) as info:
        f()
    return info.value


def _recorded(f):
    def run() -> None:
        with ag.record_on_error():
            f()
    return run


def _frames(exc: BaseException, start: str) -> list[tuple[str, int, str]]:
    """Traceback entries from the frame of function `start` inward."""
    tb = [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(exc.__traceback__)]
    names = [n for _, _, n in tb]
    return tb[names.index(start):]


@pytest.mark.parametrize("f", [_forward_mismatch, lambda: _backward_through(_WrongShape),
                               lambda: _backward_through(_Raises)])
def test_the_exception_is_unchanged(f) -> None:
    plain = _catch(f)
    kept = _catch(_recorded(f))
    assert type(kept) is type(plain) and str(kept) == str(plain)
    start = f.__name__ if f.__name__ != "<lambda>" else "_backward_through"
    assert _frames(kept, start) == _frames(plain, start)
    assert ag.last_error_graph() is not None


def test_forward_shape_mismatch_in_sequential_keeps_the_graph_so_far() -> None:
    exc = _catch(_recorded(_forward_mismatch))
    assert isinstance(exc, ag.ShapeError)
    g = ag.last_error_graph()
    err = g.error
    assert err["phase"] == "forward" and err["type"] == "ShapeError"
    assert err["message"] == str(exc)
    op = g.ops[err["op"]]
    assert op.op == "linear" and op.module == "2"
    assert err["inputs"] == ["float32 (5, 8)", "float32 (3, 4)", "float32 (3,)"]
    assert [g.tensors[t].shape for t in op.inputs] == [(5, 8), (3, 4), (3,)]
    line = _forward_mismatch.__code__.co_firstlineno + 1
    assert err["location"] == f"{HERE}:{line}"
    # the two ops that ran before it are there, in their modules
    assert [(o.op, o.module) for o in g.ops.values()][:2] == [("linear", "0"), ("relu", "1")]
    assert g.to_dict()["error"]["op"] == err["op"]  # JSON-safe


def test_backward_that_raises_names_the_op_and_the_users_line() -> None:
    exc = _catch(_recorded(lambda: _backward_through(_Raises)))
    assert type(exc) is ValueError and str(exc) == "my backward is broken"
    g = ag.last_error_graph()
    err = g.error
    assert err["phase"] == "backward" and g.ops[err["op"]].op == "_Raises"
    assert err["inputs"] == ["float64 (3, 4)"]
    assert err["raised_at"] == f"{HERE}:{_Raises.backward.__code__.co_firstlineno + 2}"
    assert err["location"] == f"{HERE}:{_backward_through.__code__.co_firstlineno + 2}"
    # backward ran the two ops after it, and the gradient reaching it is recorded
    ran = [g.ops[o].op for o in g.backward_order]
    assert ran == ["sum", "multiply"]
    assert g.tensors[g.ops[err["op"]].output].grad["shape"] == (3, 4)


def test_backward_returning_a_wrong_shape_says_both_shapes() -> None:
    exc = _catch(_recorded(lambda: _backward_through(_WrongShape)))
    assert isinstance(exc, ag.ShapeError)
    err = ag.last_error_graph().error
    assert err["detail"] == ("its VJP for input 0 returned a gradient of shape (12,); the "
                             "input has shape (3, 4)")


def test_backward_returning_nan_keeps_the_graph_and_warns() -> None:
    with pytest.warns(RuntimeWarning, match="returned nan values for input 0 of _NaN"):
        _recorded(lambda: _backward_through(_NaN))()
    g = ag.last_error_graph()
    assert g.error["phase"] == "nonfinite" and g.ops[g.error["op"]].op == "_NaN"
    # with anomaly detection on, its RuntimeError propagates unchanged and the graph is kept
    with ag.detect_anomaly():
        plain = _catch(lambda: _backward_through(_NaN))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            kept = _catch(_recorded(lambda: _backward_through(_NaN)))
    assert type(kept) is RuntimeError and str(kept).splitlines()[0] == str(plain).splitlines()[0]
    assert ag.last_error_graph().error["phase"] == "nonfinite"


def test_nothing_is_kept_or_hooked_without_an_error() -> None:
    before = ag.last_error_graph()
    with ag.record_on_error() as rec:
        x = ag.tensor(np.ones(3), requires_grad=True)
        (x * 2).sum().backward()
    assert len(rec.graph.ops) == 2 and rec.failure is None
    assert ag.last_error_graph() is before
    assert error_record.active == []
    # a failure the code catches inside the block is not the one that ends it
    with pytest.raises(KeyError), ag.record_on_error():
        y = ag.tensor(np.ones(2), requires_grad=True) * 2.0
        try:
            y @ ag.tensor(np.ones(3))
        except ag.ShapeError:
            pass
        raise KeyError("later")
    g = ag.last_error_graph()
    assert g.error["type"] == "KeyError" and g.error["op"] is None
    assert [o.op for o in g.ops.values()] == ["multiply"]


def test_a_long_recording_restarts_so_memory_stays_bounded(monkeypatch) -> None:
    monkeypatch.setattr(error_record, "MAX_OPS", 3)
    x = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ag.ShapeError), ag.record_on_error() as rec:
        for _ in range(4):
            x = x * 2.0
        x @ ag.tensor(np.ones(2))
    g = ag.last_error_graph()
    assert g is rec.graph and rec.restarts == 1
    assert [o.op for o in g.ops.values()] == ["multiply", "matmul"]  # the latest part
    assert "restarted 1 time(s) after 3 ops" in g.error["note"]
    assert g.error["note"] in viz.last_error_graph().source
