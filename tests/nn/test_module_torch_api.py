"""Module's PyTorch surface: `to`, hooks, traversal, state dicts, repr and the containers,
compared with torch where torch defines the answer."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


class _Dev:
    """A device object as `ag.device("cpu")` / `torch.device("cpu")` present it."""

    def __init__(self, kind: str) -> None:
        self.type = kind

    def __str__(self) -> str:
        return self.type


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


# ----------------------------------------------------------------------------- to / casting


def test_to_none_and_cpu_forms_keep_float32() -> None:
    net = _net()
    for arg in (None, "cpu", "cpu:0", _Dev("cpu")):
        assert net.to(arg) is net
        assert all(p.dtype == np.float32 for p in net.parameters()), arg
    net.to(device=None, dtype=None)
    assert net.cpu() is net
    assert net[0].weight.dtype == np.float32


def test_to_dtype_forms() -> None:
    net = _net()
    net.to(np.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    net.to("cpu", np.float32)
    assert all(p.dtype == np.float32 for p in net.parameters())
    net.to(ag.tensor(np.zeros(2, dtype=np.float64)))
    assert net[2].bias.dtype == np.float64
    net.to(dtype=np.float32, device=_Dev("cpu"))
    assert net[2].bias.dtype == np.float32
    assert net.double()[0].weight.dtype == np.float64
    assert net.float()[0].weight.dtype == np.float32


def test_to_casts_grads_and_buffers() -> None:
    bn = nn.BatchNorm1d(3)
    bn.weight.grad = ag.tensor(np.ones(3, dtype=np.float32))
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.weight.grad.dtype == np.float64


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps", _Dev("cuda")])
def test_to_unavailable_device_names_it(device: object) -> None:
    with pytest.raises(RuntimeError, match=str(device).split(":")[0]):
        _net().to(device)


def test_cuda_half_and_bad_dtypes_raise_clearly() -> None:
    with pytest.raises(RuntimeError, match="cuda"):
        _net().cuda()
    with pytest.raises(TypeError, match="float16"):
        _net().half()
    with pytest.raises(TypeError, match="int64"):
        _net().to(np.int64)
    with pytest.raises(TypeError, match="keyword"):
        _net().to(devcie="cpu")


# ----------------------------------------------------------------------------- hooks


def test_forward_hooks_handles_prepend_and_kwargs() -> None:
    lin = nn.Linear(3, 2)
    order: list[str] = []
    h1 = lin.register_forward_hook(lambda m, a, o: order.append("a"))
    h2 = lin.register_forward_hook(lambda m, a, o: order.append("b"), prepend=True)
    h3 = lin.register_forward_hook(lambda m, a, kw, o: o * 0.0, with_kwargs=True)
    out = lin(ag.randn(5, 3))
    assert order == ["b", "a"] and np.all(out.data == 0)
    for h in (h1, h2, h3):
        h.remove()
    h1.remove()  # a second remove is harmless
    assert np.any(lin(ag.randn(5, 3)).data != 0) and order == ["b", "a"]


def test_forward_pre_hook_replaces_inputs() -> None:
    lin = nn.Identity()
    h = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2.0,))
    assert lin(ag.tensor([1.0])).item() == 2.0
    h.remove()
    lin.register_forward_pre_hook(
        lambda m, args, kwargs: ((args[0] + 1.0,), kwargs), with_kwargs=True
    )
    assert lin(ag.tensor([1.0])).item() == 2.0


@pytest.mark.torch
def test_full_backward_hook_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    x = rng.standard_normal((4, 3))

    def run(lib: object, mk: object, lin: object) -> tuple[list, np.ndarray]:
        seen: list = []

        def hook(m: object, gin: tuple, gout: tuple) -> tuple:
            seen.append(([None if g is None else g.detach().numpy() for g in gin],
                         [g.detach().numpy() for g in gout]))
            return (gin[0] * 3.0,)

        lin.register_full_backward_hook(hook)
        xt = mk(x)
        (lin(xt) ** 2).sum().backward()
        return seen, xt.grad.detach().numpy()

    tl = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(w))
        tl.bias.copy_(torch.tensor(b))
    ol = nn.Linear(3, 2).double()
    ol.load_state_dict({"weight": w, "bias": b})
    t_seen, t_grad = run(torch, lambda a: torch.tensor(a, requires_grad=True), tl)
    o_seen, o_grad = run(ag, lambda a: ag.tensor(a, requires_grad=True), ol)
    assert len(t_seen) == len(o_seen) == 1
    np.testing.assert_allclose(o_seen[0][0][0], t_seen[0][0][0], rtol=1e-12)
    np.testing.assert_allclose(o_seen[0][1][0], t_seen[0][1][0], rtol=1e-12)
    np.testing.assert_allclose(o_grad, t_grad, rtol=1e-12)  # the hook's replacement flowed on


def test_full_backward_hook_without_input_grads_and_removal() -> None:
    lin = nn.Linear(3, 2)
    calls: list = []
    h = lin.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go[0].shape)))
    lin(ag.randn(4, 3)).sum().backward()
    assert calls == [((None,), (4, 2))]
    h.remove()
    lin(ag.randn(4, 3)).sum().backward()
    assert len(calls) == 1


def test_full_backward_hook_two_inputs() -> None:
    class Mul(nn.Module):
        def forward(self, a: ag.Tensor, b: ag.Tensor) -> ag.Tensor:
            return a * b

    m = Mul()
    got: list = []
    m.register_full_backward_hook(lambda mod, gi, go: got.append(gi))
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0])
    m(a, b).sum().backward()
    assert got[0][1] is None
    np.testing.assert_allclose(got[0][0].data, [3.0, 4.0])
    np.testing.assert_allclose(a.grad.data, [3.0, 4.0])


# ----------------------------------------------------------------------------- traversal, state


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("steps", ag.zeros(1))
        self.register_buffer("scratch", ag.zeros(2), persistent=False)
        self.register_parameter("scale", nn.Parameter(ag.ones(1)))

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.fc(x) * self.scale

    def extra_repr(self) -> str:
        return "custom=1"


def test_buffers_non_persistent_and_state_dict() -> None:
    blk = _Block()
    assert [n for n, _ in blk.named_buffers()] == ["steps", "scratch"]
    sd = blk.state_dict(prefix="m.")
    assert list(sd) == ["m.scale", "m.steps", "m.fc.weight", "m.fc.bias"]  # torch's order
    assert sd["m.scale"].requires_grad is False
    assert blk.state_dict(keep_vars=True)["scale"] is blk.scale
    res = blk.load_state_dict({"fc.weight": np.ones((2, 2)), "extra": np.ones(1)}, strict=False)
    assert isinstance(res, nn.IncompatibleKeys)
    assert res.missing_keys == ["scale", "steps", "fc.bias"]
    assert res.unexpected_keys == ["extra"]
    assert np.all(blk.fc.weight.data == 1)
    with pytest.raises(RuntimeError, match="Missing key"):
        blk.load_state_dict({"fc.weight": np.ones((2, 2))})


def test_named_modules_children_get_submodule_and_parameter() -> None:
    shared = nn.Linear(2, 2)
    net = nn.Sequential(OrderedDict(a=shared, b=nn.Sequential(shared, nn.ReLU())))
    assert [n for n, _ in net.named_modules()] == ["", "a", "b", "b.1"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == [
        "", "a", "b", "b.0", "b.1"]
    assert [n for n, _ in net.named_modules(prefix="net")][:2] == ["net", "net.a"]
    assert [n for n, _ in net.named_children()] == ["a", "b"]
    assert net.get_submodule("b.1").__class__ is nn.ReLU
    assert net.get_parameter("b.0.weight") is shared.weight
    assert net.get_buffer is not None
    with pytest.raises(AttributeError, match="zz"):
        net.get_submodule("b.zz")
    with pytest.raises(AttributeError, match="nope"):
        net.get_parameter("a.nope")
    assert len(list(net.parameters())) == 2
    assert len(list(net.parameters(recurse=False))) == 0


def test_modes_apply_requires_grad_zero_grad() -> None:
    net = _net()
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    seen: list[str] = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(ag.randn(2, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ----------------------------------------------------------------------------- containers


def test_module_list_and_dict_methods() -> None:
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.append(nn.Sigmoid()).extend([nn.Identity()])
    ml.insert(0, nn.Linear(1, 1))
    assert [type(m).__name__ for m in ml] == ["Linear", "ReLU", "Tanh", "Sigmoid", "Identity"]
    assert [type(m).__name__ for m in ml[1:3]] == ["ReLU", "Tanh"]
    assert isinstance(ml[-1], nn.Identity) and len(ml) == 5
    assert isinstance(ml.pop(0), nn.Linear) and list(ml._modules) == ["0", "1", "2", "3"]
    del ml[0]
    assert type(ml[0]).__name__ == "Tanh"
    with pytest.raises(IndexError, match="ModuleList"):
        ml[7]
    md = nn.ModuleDict({"a": nn.ReLU()})
    md.update([("b", nn.Linear(2, 3))])
    md["c"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md
    assert [k for k, _ in md.items()] == ["a", "b", "c"] and len(list(md.values())) == 3
    assert isinstance(md.pop("a"), nn.ReLU) and len(md) == 2
    assert [n for n, _ in md.named_parameters()] == ["b.weight", "b.bias"]
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    seq.insert(1, nn.Identity())
    del seq[0]
    assert [type(m).__name__ for m in seq] == ["Identity", "Tanh"]


def test_parameter_list_and_dict() -> None:
    pl = nn.ParameterList([nn.Parameter(ag.ones(2)), ag.zeros(3)])
    pl.append(ag.ones((2, 2)))
    assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert pl[-1].shape == (2, 2) and len(pl[:2]) == 2
    pd = nn.ParameterDict({"w": ag.ones(2)})
    pd.update([("b", ag.zeros(1))])
    pd["c"] = nn.Parameter(ag.ones(1))
    assert list(pd.keys()) == ["w", "b", "c"] and isinstance(pd["b"], nn.Parameter)
    assert pd.get("zz") is None and "c" in pd
    assert pd.pop("w").shape == (2,) and len(pd) == 2
    assert [n for n, _ in pd.named_parameters()] == ["b", "c"]
    assert pd.setdefault("d", ag.ones(1)) is pd["d"]
    net = nn.Module()
    net.pl = pl
    assert [n for n, _ in net.named_parameters()] == ["pl.0", "pl.1", "pl.2"]


# ----------------------------------------------------------------------------- repr vs torch


def _build(lib: object) -> object:
    class Block(lib.Module):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            super().__init__()
            self.fc = lib.Linear(4, 4)

        def extra_repr(self) -> str:
            return "width=4"

    class Empty(lib.Module):  # type: ignore[name-defined, misc]
        pass

    class Net(lib.Module):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            super().__init__()
            self.features = lib.Sequential(
                lib.Conv2d(1, 4, 3), lib.ReLU(), lib.Dropout(0.25), lib.Flatten()
            )
            self.blocks = lib.ModuleList([Block(), Block(), Block(), lib.Linear(4, 2)])
            self.heads = lib.ModuleDict({"cls": lib.Linear(4, 3), "act": lib.Tanh()})
            self.empty = Empty()
            self.named = lib.Sequential(OrderedDict(first=lib.Sigmoid(), second=lib.Identity()))
            self.loss = lib.CrossEntropyLoss()

    return Net()


@pytest.mark.torch
def test_repr_matches_torch_on_a_nested_model() -> None:
    torch = pytest.importorskip("torch")
    assert repr(_build(nn)) == repr(_build(torch.nn))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(nn.MSELoss(reduction="sum")) == repr(torch.nn.MSELoss(reduction="sum"))


def test_parameter_list_repr_follows_torch_layout() -> None:
    pl = nn.ParameterList([nn.Parameter(ag.ones((2, 3)))])
    assert repr(pl) == "ParameterList(  (0): Parameter containing: [float32 of size 2x3])"


def test_loss_module_call_goes_through_hooks() -> None:
    loss = nn.MSELoss()
    seen: list[float] = []
    loss.register_forward_hook(lambda m, a, o: seen.append(o.item()))
    out = loss(ag.tensor([1.0, 3.0]), ag.tensor([1.0, 1.0]))
    assert seen == [out.item()] == [F.mse_loss(ag.tensor([1.0, 3.0]), ag.tensor([1.0, 1.0])).item()]
