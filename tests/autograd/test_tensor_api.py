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


def test_size_is_numpy_count_and_torch_call() -> None:
    x = ag.zeros(2, 3)
    assert x.size == 6 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)
    assert x.numel() == 6 and x.dim() == 2 and x.element_size() == 4


def test_to_and_casts() -> None:
    x = ag.tensor([1.5, -2.5], requires_grad=True)
    for y in (x.to(ag.float64), x.double(), x.to(dtype=ag.double, device="cpu"),
              x.to(ag.zeros(1, dtype=np.float64)), x.type_as(ag.zeros(1, dtype=np.float64))):
        assert y.dtype == np.float64 and y.requires_grad
    x.double().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])
    assert x.dtype == np.float32 and x.grad.dtype == np.float32
    assert x.to("cpu") is x and x.cpu() is x and x.float() is x
    for y, dt in ((x.long(), np.int64), (x.int(), np.int32), (x.bool(), np.bool_)):
        assert y.dtype == dt and not y.requires_grad
    assert x.is_floating_point() and not x.long().is_floating_point()
    with pytest.raises(RuntimeError, match="CPU only; got device 'cuda:0'"):
        x.to("cuda:0")
    with pytest.raises(RuntimeError, match="'cuda'"):
        ag.device("cuda")
    with pytest.raises(TypeError, match="half"):
        x.half()
    assert repr(ag.device("cpu")) == "device(type='cpu')" and x.device.type == "cpu"
    assert ag.cuda.is_available() is False and "CPU only" in ag.cuda.__doc__
    ag.set_default_device("cpu")
    assert (ag.float, ag.double, ag.long, ag.int, ag.half) == (
        np.float32, np.float64, np.int64, np.int32, np.float16)


@pytest.mark.torch
def test_methods_match_torch() -> None:
    torch = pytest.importorskip("torch")
    a = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    b = np.array([[2.0, 0.5, -2.0], [1.0, 3.0, 2.0]])
    cases = {
        "add-alpha": lambda x, y: x.add(y, alpha=2.5),
        "sub-alpha": lambda x, y: x.sub(y, alpha=-1.5),
        "mul": lambda x, y: x.mul(y),
        "div": lambda x, y: x.div(y),
        "div-floor": lambda x, y: x.div(y, rounding_mode="floor"),
        "div-trunc": lambda x, y: x.div(y, rounding_mode="trunc"),
        "pow": lambda x, y: x.abs().pow(y),
        "clone": lambda x, y: x.clone() * y,
        "contiguous": lambda x, y: x.t().contiguous() if hasattr(x, "t") else x.T.contiguous(),
    }
    for name, fn in cases.items():
        xs = [ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)]
        ts = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
        ours, theirs = fn(*xs), fn(*ts)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), err_msg=name)
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        for u, t in zip(xs, ts, strict=True):
            if t.grad is None:
                assert u.grad is None or not np.any(u.grad.data), name
            else:
                np.testing.assert_allclose(u.grad.data, t.grad.numpy(), err_msg=name)
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        np.testing.assert_array_equal(getattr(ag.tensor(a), op)(ag.tensor(b)).data,
                                      getattr(torch.tensor(a), op)(torch.tensor(b)).numpy())


def test_new_factories_keep_dtype() -> None:
    x = ag.tensor([1.0, 2.0], dtype=np.float64)
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2,)).dtype == np.float64
    assert x.new_ones(3).data.tolist() == [1.0, 1.0, 1.0]
    assert x.new_full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert x.new_empty(4).shape == (4,)
    t = x.new_tensor([1, 2])
    assert t.dtype == np.float64 and t.data.tolist() == [1.0, 2.0]
    assert x.new_zeros(2, dtype=ag.int64).dtype == np.int64


@pytest.mark.torch
def test_grad_fn_names_and_next_functions_like_torch() -> None:
    torch = pytest.importorskip("torch")
    for lib in (ag, torch):
        w = lib.tensor(np.ones((2, 2)), requires_grad=True)
        loss = ((w * 2.0) @ w).sum()
        mm = loss.grad_fn.next_functions[0][0]
        mul = mm.next_functions[0][0]
        acc = mul.next_functions[0][0]
        assert loss.grad_fn.name() == "SumBackward0"
        assert mm.name() == "MmBackward0" and mul.name() == "MulBackward0"
        assert acc.name().endswith("AccumulateGrad") and acc.variable is w
        assert mul.next_functions[1][0] is None


_DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
_SCALARS = [True, 3, 2.5]


@pytest.mark.torch
@pytest.mark.parametrize("dt", _DTYPES)
def test_promotion_with_python_scalars_and_zero_dim_matches_torch(dt: str) -> None:
    torch = pytest.importorskip("torch")
    a = np.array([1, 0, 1]).astype(dt)
    for s in _SCALARS:
        ours = (ag.tensor(a) + s).dtype
        theirs = torch.result_type(torch.tensor(a), s)
        assert str(ours) == str(theirs).replace("torch.", ""), (dt, s)
    for zdt in ("float32", "float64"):
        if np.dtype(dt).kind != "f":
            continue
        z = np.array(2.0, dtype=zdt)
        ours = (ag.tensor(a) * ag.tensor(z)).dtype
        theirs = torch.result_type(torch.tensor(a), torch.tensor(z))
        assert str(ours) == str(theirs).replace("torch.", ""), (dt, zdt)


@pytest.mark.torch
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_promotion_between_dimensioned_tensors_matches_torch(op: str) -> None:
    torch = pytest.importorskip("torch")
    ops = {"add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: x - y,
           "mul": lambda lib, x, y: x * y, "div": lambda lib, x, y: x / y,
           "pow": lambda lib, x, y: x ** y}
    call = ops.get(op) or (lambda lib, x, y: getattr(lib, op)(x, y))
    for da in _DTYPES:
        for db in _DTYPES:
            a, b = np.array([1, 2, 1]).astype(da), np.array([1, 1, 2]).astype(db)
            try:
                theirs = call(torch, torch.tensor(a), torch.tensor(b)).dtype
            except RuntimeError:
                continue  # torch refuses this pair (e.g. bool - bool)
            ours = call(ag, ag.tensor(a), ag.tensor(b)).dtype
            assert str(ours) == str(theirs).replace("torch.", ""), (op, da, db)
