"""Each optimizer against a NumPy re-implementation of its published update rule, step for
step; plus parameter groups, validation, zero_grad, closures and state dicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import optim

# ----- the test problem: f(p) = sum(a * p**2 / 2 + sin(p)), grad = a * p + cos(p) -----

A = np.array([[0.5, 2.0, 1.0], [3.0, 0.2, 1.5]])
P0 = [np.array([[1.0, -2.0, 0.5], [0.3, 1.7, -0.9]]), np.array([0.8, -1.1])]
A_LIST = [A, np.array([1.0, 4.0])]
STEPS = 8


def grad_np(i: int, p: np.ndarray) -> np.ndarray:
    return A_LIST[i] * p + np.cos(p)


def run_ours(cls, kwargs, steps=STEPS, dtype=np.float64):
    params = [ag.Tensor(p.astype(dtype), requires_grad=True) for p in P0]
    opt = cls(params, **kwargs)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss = sum(((ag.Tensor(a.astype(dtype)) * p * p) * 0.5 + ag.sin(p)).sum()
                   for a, p in zip(A_LIST, params, strict=True))
        loss.backward()
        opt.step()
        traj.append([p.data.copy() for p in params])
    return traj, opt, params


# ----- NumPy references, written from the published algorithms (PyTorch docs pseudocode) -----


def ref_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    ps = [p.copy() for p in P0]
    bufs = [None, None]
    traj = []
    for t in range(1, STEPS + 1):
        for i in range(2):
            g = grad_np(i, ps[i]) + weight_decay * ps[i]
            if momentum:
                bufs[i] = g if t == 1 else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            ps[i] = ps[i] - lr * g
        traj.append([p.copy() for p in ps])
    return traj


def ref_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    ps = [p.copy() for p in P0]
    sums = [np.full_like(p, initial_accumulator_value) for p in P0]
    traj = []
    for t in range(1, STEPS + 1):
        for i in range(2):
            g = grad_np(i, ps[i]) + weight_decay * ps[i]
            lr_t = lr / (1 + (t - 1) * lr_decay)
            sums[i] = sums[i] + g**2
            ps[i] = ps[i] - lr_t * g / (np.sqrt(sums[i]) + eps)
        traj.append([p.copy() for p in ps])
    return traj


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    ps = [p.copy() for p in P0]
    v = [np.zeros_like(p) for p in P0]
    gavg = [np.zeros_like(p) for p in P0]
    buf = [np.zeros_like(p) for p in P0]
    traj = []
    for _ in range(STEPS):
        for i in range(2):
            g = grad_np(i, ps[i]) + weight_decay * ps[i]
            v[i] = alpha * v[i] + (1 - alpha) * g**2
            v_tilde = v[i]
            if centered:
                gavg[i] = alpha * gavg[i] + (1 - alpha) * g
                v_tilde = v_tilde - gavg[i] ** 2
            if momentum > 0:
                buf[i] = momentum * buf[i] + g / (np.sqrt(v_tilde) + eps)
                ps[i] = ps[i] - lr * buf[i]
            else:
                ps[i] = ps[i] - lr * g / (np.sqrt(v_tilde) + eps)
        traj.append([p.copy() for p in ps])
    return traj


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             decoupled=False):
    """Kingma & Ba Algorithm 1 (bias-corrected m_hat, v_hat); AMSGrad keeps max(v);
    AdamW (Loshchilov & Hutter) shrinks p by lr * wd instead of adding wd * p to g."""
    b1, b2 = betas
    ps = [p.copy() for p in P0]
    m = [np.zeros_like(p) for p in P0]
    v = [np.zeros_like(p) for p in P0]
    vmax = [np.zeros_like(p) for p in P0]
    traj = []
    for t in range(1, STEPS + 1):
        for i in range(2):
            g = grad_np(i, ps[i])
            if decoupled:
                ps[i] = ps[i] - lr * weight_decay * ps[i]
            else:
                g = g + weight_decay * ps[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            m_hat = m[i] / (1 - b1**t)
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                v_hat = vmax[i] / (1 - b2**t)
            else:
                v_hat = v[i] / (1 - b2**t)
            ps[i] = ps[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        traj.append([p.copy() for p in ps])
    return traj


CASES = [
    ("sgd", optim.SGD, dict(lr=0.1), ref_sgd),
    ("sgd-momentum", optim.SGD, dict(lr=0.05, momentum=0.9), ref_sgd),
    ("sgd-dampening", optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3), ref_sgd),
    ("sgd-nesterov", optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), ref_sgd),
    ("sgd-wd", optim.SGD, dict(lr=0.05, momentum=0.5, weight_decay=0.1), ref_sgd),
    ("adagrad", optim.Adagrad, dict(lr=0.3), ref_adagrad),
    ("adagrad-decay", optim.Adagrad,
     dict(lr=0.3, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2), ref_adagrad),
    ("rmsprop", optim.RMSprop, dict(lr=0.01), ref_rmsprop),
    ("rmsprop-momentum", optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.8), ref_rmsprop),
    ("rmsprop-centered", optim.RMSprop, dict(lr=0.01, centered=True, weight_decay=0.1),
     ref_rmsprop),
    ("rmsprop-centered-momentum", optim.RMSprop,
     dict(lr=0.01, alpha=0.95, centered=True, momentum=0.5), ref_rmsprop),
    ("adam", optim.Adam, dict(lr=0.1), ref_adam),
    ("adam-wd", optim.Adam, dict(lr=0.1, betas=(0.8, 0.99), weight_decay=0.1), ref_adam),
    ("adam-amsgrad", optim.Adam, dict(lr=0.1, amsgrad=True, eps=1e-6), ref_adam),
]
ADAMW_CASES = [
    ("adamw", dict(lr=0.1, weight_decay=0.1)),
    ("adamw-amsgrad", dict(lr=0.1, weight_decay=0.05, amsgrad=True)),
]


def assert_traj_close(ours, ref, rtol=1e-9, atol=1e-12):
    assert len(ours) == len(ref)
    for step, (a, b) in enumerate(zip(ours, ref, strict=True)):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol,
                                       err_msg=f"step {step + 1}, param {i}")


@pytest.mark.parametrize("name,cls,kwargs,ref", CASES, ids=[c[0] for c in CASES])
def test_matches_numpy_reference(name, cls, kwargs, ref):
    ours, _, _ = run_ours(cls, kwargs)
    assert_traj_close(ours, ref(**kwargs))
    assert not np.allclose(ours[-1][0], P0[0])  # it moved


@pytest.mark.parametrize("name,kwargs", ADAMW_CASES, ids=[c[0] for c in ADAMW_CASES])
def test_adamw_matches_decoupled_reference(name, kwargs):
    ours, _, _ = run_ours(optim.AdamW, kwargs)
    assert_traj_close(ours, ref_adam(decoupled=True, **kwargs))
    coupled, _, _ = run_ours(optim.Adam, kwargs)
    assert not np.allclose(ours[-1][0], coupled[-1][0])  # decoupled != coupled decay


def test_adamw_default_weight_decay_is_pytorchs():
    w = ag.tensor([1.0], requires_grad=True)
    assert optim.AdamW([w]).defaults["weight_decay"] == 1e-2
    assert optim.Adam([w]).defaults["weight_decay"] == 0.0


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW])
def test_float32_stays_float32_and_no_graph(cls):
    traj, opt, params = run_ours(cls, dict(lr=0.01, **({"momentum": 0.9} if cls is optim.SGD
                                                       else {})), steps=3, dtype=np.float32)
    for p in params:
        assert p.dtype == np.float32 and p.is_leaf and p.grad_fn is None
        for s in opt.state.get(p, {}).values():
            if isinstance(s, np.ndarray):
                assert s.dtype == np.float32
    ref, _, _ = run_ours(cls, dict(lr=0.01, **({"momentum": 0.9} if cls is optim.SGD
                                               else {})), steps=3)
    np.testing.assert_allclose(traj[-1][0], ref[-1][0], rtol=1e-4, atol=1e-5)


# ----- optional oracle: PyTorch itself -----

TORCH_NAMES = {optim.SGD: "SGD", optim.Adagrad: "Adagrad", optim.RMSprop: "RMSprop",
               optim.Adam: "Adam", optim.AdamW: "AdamW"}


@pytest.mark.torch
@pytest.mark.parametrize(
    "cls,kwargs",
    [(c[1], c[2]) for c in CASES] + [(optim.AdamW, k) for _, k in ADAMW_CASES],
    ids=[c[0] for c in CASES] + [n for n, _ in ADAMW_CASES],
)
def test_matches_torch(cls, kwargs):
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in P0]
    topt = getattr(torch.optim, TORCH_NAMES[cls])(tparams, **kwargs)
    tA = [torch.tensor(a) for a in A_LIST]
    ref = []
    for _ in range(STEPS):
        topt.zero_grad()
        loss = sum((a * p * p * 0.5 + torch.sin(p)).sum() for a, p in zip(tA, tparams, strict=True))
        loss.backward()
        topt.step()
        ref.append([p.detach().numpy().copy() for p in tparams])
    ours, opt, params = run_ours(cls, kwargs)
    assert_traj_close(ours, ref, rtol=1e-10, atol=1e-12)
    # the state dicts carry the same names and values
    tsd, sd = topt.state_dict(), opt.state_dict()
    assert tsd["state"].keys() == sd["state"].keys()
    for k, tstate in tsd["state"].items():
        assert set(tstate) == set(sd["state"][k])
        for name, tv in tstate.items():
            np.testing.assert_allclose(np.asarray(sd["state"][k][name], dtype=np.float64),
                                       tv.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert [g["params"] for g in tsd["param_groups"]] == [g["params"] for g in sd["param_groups"]]


# ----- groups, validation, zero_grad, closure -----


def _w(*shape):
    return ag.Tensor(np.ones(shape), requires_grad=True)


def test_param_groups_override_defaults_and_update_independently():
    a, b = _w(2), _w(2)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[1]["momentum"] == 0.0
    a.grad = ag.Tensor(np.ones(2))
    b.grad = ag.Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.0)


def test_add_param_group_and_duplicate_detection():
    a, b = _w(2), _w(3)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: optim.SGD(p, lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda p: optim.SGD(p, lr=float("nan")), "Invalid learning rate: nan"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1e-3), "Invalid weight_decay"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
         "zero dampening"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
        (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value"),
        (lambda p: optim.AdamW(p, lr="0.1"), "Invalid learning rate: 0.1"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), "Invalid lr_decay value"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value"),
        (lambda p: optim.RMSprop(p, momentum=-0.1), "Invalid momentum value"),
    ],
)
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([_w(2)])


def test_invalid_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(_w(2), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([ag.Tensor(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([_w(2) * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({_w(2)}, lr=0.1)


def test_generator_params_accepted():
    ws = [_w(2), _w(3)]
    opt = optim.SGD((w for w in ws), lr=0.1)
    assert opt.param_groups[0]["params"] == ws


def test_zero_grad_to_none_and_to_zeros():
    w = _w(3)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad_obj = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad_obj and np.all(w.grad.data == 0)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, 2.0)  # accumulated onto zeros
    opt.zero_grad()
    assert w.grad is None


def test_params_without_grad_are_skipped():
    a, b = _w(2), _w(2)
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.grad is None and np.all(b.data == 1.0) and b not in opt.state
    assert opt.state[a]["step"] == 1 and not np.allclose(a.data, 1.0)


def test_closure_is_called_with_grad_enabled_and_returned():
    w = _w(2)
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        calls.append(ag.is_grad_enabled())
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and float(loss) == 2.0
    np.testing.assert_allclose(w.data, 0.5)


def test_step_bumps_version_so_stale_graphs_fail():
    w = _w(2)
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    w.grad = ag.Tensor(np.ones(2))
    opt.step()
    with pytest.raises(RuntimeError, match="version"):
        y.backward()


# ----- state dicts -----


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        sum((p * p * p).sum() - p.sum() for p in params).backward()
        opt.step()


@pytest.mark.parametrize(
    "cls,kwargs",
    [(optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)), (optim.Adagrad, dict(lr=0.1)),
     (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
     (optim.Adam, dict(lr=0.05, amsgrad=True)), (optim.AdamW, dict(lr=0.05))],
)
def test_state_dict_roundtrip_through_nn_save(cls, kwargs, tmp_path):
    serialization = pytest.importorskip("nn.serialization")
    params = [ag.Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True),
              ag.Tensor(np.array([0.5, -0.25]), requires_grad=True)]
    opt = cls(params, **kwargs)
    _train(opt, params, 3)
    path = tmp_path / "opt.npz"
    serialization.save(opt.state_dict(), path)
    clone = [ag.Tensor(p.data.copy(), requires_grad=True) for p in params]
    opt2 = cls(clone, lr=123.0)  # hyperparameters come from the state dict
    opt2.load_state_dict(serialization.load(path))
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    _train(opt, params, 3)
    _train(opt2, clone, 3)
    for p, q in zip(params, clone, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_layout_and_independence():
    a, b = _w(2), _w(3)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    _train(opt, [a, b], 1)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"]) == {0, 1} and set(sd["state"][1]) == {"momentum_buffer"}
    saved = sd["state"][0]["momentum_buffer"].copy()
    _train(opt, [a, b], 2)
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], saved)


def test_load_state_dict_errors():
    a, b = _w(2), _w(3)
    opt = optim.Adam([a, b], lr=0.1)
    _train(opt, [a, b], 1)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="2 parameters; optimizer's group has 1"):
        optim.Adam([_w(2)]).load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        optim.Adam([_w(3), _w(2)]).load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optim.Adam([a]).load_state_dict({"state": {}})
    bad = opt.state_dict()
    bad["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam([a, b]).load_state_dict(bad)


def test_repr_lists_groups():
    text = repr(optim.SGD([_w(1)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text


def test_full_batch_gd_converges_on_quadratic():
    # f(w) = |w - c|^2 / 2 with lr=1 lands on c in one step (sanity for the whole path)
    c = np.array([3.0, -1.0])
    w = ag.Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    (((w - ag.Tensor(c)) ** 2).sum() * 0.5).backward()
    opt.step()
    np.testing.assert_allclose(w.data, c)
    assert math.isclose(float(((w - ag.Tensor(c)) ** 2).sum()), 0.0, abs_tol=1e-12)
