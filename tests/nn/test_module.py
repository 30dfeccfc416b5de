"""nn.Module contract: registration, traversal, modes, zero_grad, state dicts, module paths."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))

    def forward(self, x):
        return self.fc2(self.act(self.bn(self.fc1(x)))) * self.scale


def test_registration_and_traversal_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                     "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "act", "fc2"]
    assert [n for n, _ in net.named_buffers()] == [
        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"
    ]
    assert all(p.is_parameter and p.requires_grad for p in net.parameters())
    assert net.fc1.weight.name == "weight"
    assert len(list(net.parameters(recurse=False))) == 1


def test_shared_parameter_listed_once_and_reassignment_replaces():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    net[1].weight = net[0].weight
    assert len(list(net.parameters())) == 3
    net[1].bias = None
    assert "1.bias" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        net[0].weight = ag.ones(2, 2)


def test_assign_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_missing_attribute_and_forward():
    m = nn.Module()
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        _ = m.nope
    with pytest.raises(NotImplementedError, match="missing \"forward\""):
        m(1)


def test_delattr_unregisters():
    lin = nn.Linear(2, 2)
    del lin.bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_train_eval_propagate_and_return_self():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")


def test_zero_grad_set_to_none_and_zeros():
    net = Net()
    net(ag.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip_and_sharing():
    a, b = Net(), Net()
    a(ag.randn(6, 4))  # moves running stats
    sd = a.state_dict()
    assert list(sd)[:3] == ["scale", "fc1.weight", "fc1.bias"]
    assert "bn.num_batches_tracked" in sd and int(sd["bn.num_batches_tracked"].item()) == 1
    assert not sd["fc1.weight"].requires_grad
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.data, sd[k].data)
    # load copies: the source is not aliased
    b.fc1.weight.data[...] = 0
    assert np.any(a.fc1.weight.data != 0)


def test_load_state_dict_accepts_ndarrays_and_casts_dtype():
    lin = nn.Linear(3, 2)
    w = np.arange(6, dtype=np.float64).reshape(2, 3)
    lin.load_state_dict({"weight": w, "bias": np.zeros(2)})
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.data, w.astype(np.float32))


def test_load_state_dict_reports_every_problem_and_applies_nothing():
    net = Net()
    before = net.fc1.weight.data.copy()
    sd = {k: v.data.copy() for k, v in net.state_dict().items()}
    sd["fc1.weight"] = np.zeros((8, 4), np.float32)
    sd["fc2.weight"] = np.zeros((3, 9), np.float32)
    del sd["fc2.bias"]
    sd["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    assert "size mismatch for fc2.weight: copying a param with shape (3, 9)" in msg
    np.testing.assert_array_equal(net.fc1.weight.data, before)


def test_load_state_dict_non_strict_returns_keys_but_checks_shapes():
    net = Net()
    sd = {"fc1.weight": np.ones((8, 4), np.float32), "junk": np.zeros(2)}
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert unexpected == ["junk"] and "fc1.bias" in missing
    np.testing.assert_array_equal(net.fc1.weight.data, 1)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        net.load_state_dict({"fc1.weight": np.ones((4, 4))}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])


def test_save_load_round_trip(tmp_path):
    a, b = Net(), Net()
    path = tmp_path / "net.npz"
    nn.save(a.state_dict(), path)
    b.load_state_dict(nn.load(path))
    x = ag.randn(4, 4)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_module_paths_recorded_on_ops():
    model = nn.Sequential(OrderedDict(
        features=nn.Sequential(nn.Linear(4, 5), nn.ReLU()),
        classifier=nn.Sequential(OrderedDict(fc1=nn.Linear(5, 3))),
    ))
    g = ag.trace(lambda x: model(x).sum(), ag.randn(2, 4))
    modules = {op.op: op.module for op in g.ops.values()}
    assert modules["linear"] in ("features.0", "classifier.fc1")
    assert {op.module for op in g.ops.values()} >= {"features.0", "features.1", "classifier.fc1"}
    # a child called on its own is a root: its ops get no path
    g2 = ag.trace(lambda x: model.classifier.fc1(x).sum(), ag.randn(2, 5))
    assert {op.module for op in g2.ops.values() if op.op == "linear"} == {None}


def test_sequential_and_modulelist_containers():
    seq = nn.Sequential(OrderedDict(a=nn.Linear(2, 3), b=nn.Tanh()))
    assert isinstance(seq[0], nn.Linear) and seq["b"] is seq[1] and len(seq) == 2
    assert isinstance(seq[:1], nn.Sequential) and len(seq[:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert seq(ag.randn(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError):
        seq[5]
    with pytest.raises(TypeError, match="argument 0 is a int"):
        nn.Sequential(3)
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.insert(0, nn.Linear(2, 2))
    del ml[1]
    assert [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert len(list(ml.parameters())) == 6 and ml[0].weight.shape == (2, 2)
    md = nn.ModuleDict({"enc": nn.Linear(2, 2)})
    assert "enc" in md and [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias"]


def test_repr_like_pytorch():
    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Dropout(0.2))
    assert repr(net) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=False)\n"
        "  (1): Dropout(p=0.2, inplace=False)\n)"
    )
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.Parameter(np.zeros(1))).startswith("Parameter containing:")


def test_forward_hooks_and_functional_call():
    lin = nn.Linear(3, 2)
    seen = []
    remove = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    lin(ag.randn(4, 3))
    remove()
    lin(ag.randn(4, 3))
    assert seen == [(4, 2)]
    w = ag.zeros(2, 3, requires_grad=True)
    out = nn.functional_call(lin, {"weight": w}, ag.ones(1, 3))
    np.testing.assert_allclose(out.data[0], lin.bias.data)
    out.sum().backward()
    assert w.grad is not None and lin.weight.grad is None
    assert isinstance(lin.weight, nn.Parameter)


def test_to_double_casts_in_place_and_keeps_identity():
    lin = nn.Linear(2, 2)
    w = lin.weight
    lin.double()
    assert lin.weight is w and w.dtype == np.float64
    assert lin(ag.Tensor(np.ones((1, 2)))).dtype == np.float64


def test_requires_grad_and_apply():
    net = Net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 2


def test_train_step_reduces_loss():
    ag.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    x = ag.randn(64, 2)
    y = x[:, :1] * x[:, 1:]
    losses = []
    for _ in range(200):
        loss = nn.MSELoss()(net(x), y)
        net.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in net.parameters():
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


def test_nn_exports_every_layer_class_once_and_each_name_resolves() -> None:
    import importlib
    import inspect
    import pkgutil

    defined = set()
    for info in pkgutil.iter_modules(nn.modules.__path__):
        mod = importlib.import_module(f"nn.modules.{info.name}")
        defined |= {name for name, obj in vars(mod).items()
                    if inspect.isclass(obj) and issubclass(obj, nn.Module)
                    and obj.__module__ == mod.__name__ and not name.startswith("_")}
    assert defined == set(nn.modules.__all__)
    assert set(nn.modules.__all__) <= set(nn.__all__)
    assert len(nn.__all__) == len(set(nn.__all__))
    star: dict = {}
    exec("from nn import *", star)  # what `from nn import *` binds
    assert {k for k in star if k != "__builtins__"} == set(nn.__all__)
    assert nn.Linear is nn.modules.Linear and nn.Module is nn.module.Module
