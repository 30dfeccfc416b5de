"""Every optimizer step for step against PyTorch (optional oracle) and, for the new ones,
against NumPy versions of the published rules (torch.optim docs' algorithm boxes); LBFGS on
Rosenbrock and least squares; maximize; state dict round trips; validation messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import optim

SHAPES = [(3, 4), (5,)]
STEPS = 25


def initial_params() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=s) for s in SHAPES]


def grad_of(p: np.ndarray, maximize: bool = False) -> np.ndarray:
    """Gradient of the fixed loss f = sum(p**4 / 4 - p**2 + sin(3 p) / 2) (non-convex, smooth);
    of -f when maximizing, so that every run converges."""
    g = p**3 - 2 * p + 1.5 * np.cos(3 * p)
    return -g if maximize else g


def run_ours(name: str, kwargs: dict, dtype=np.float64, steps: int = STEPS):
    params = [ag.tensor(p.astype(dtype), requires_grad=True) for p in initial_params()]
    opt = getattr(optim, name)(params, **kwargs)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            g = grad_of(p.data.astype(np.float64), kwargs.get("maximize", False))
            p.grad = ag.tensor(g.astype(dtype))
        opt.step()
        traj.append([p.data.copy() for p in params])
    return traj


def run_torch(torch, name: str, kwargs: dict, dtype=np.float64, steps: int = STEPS):
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    params = [torch.tensor(p.astype(dtype), dtype=tdt, requires_grad=True)
              for p in initial_params()]
    opt = getattr(torch.optim, name)(params, **kwargs)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            g = grad_of(p.detach().numpy().astype(np.float64), kwargs.get("maximize", False))
            g = g.astype(dtype)
            p.grad = torch.tensor(g, dtype=tdt)
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return traj


CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.02, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True, eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.05, maximize=True, eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.7, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.3, maximize=True)),
    ("Adamax", dict(lr=0.02)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.02)),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.02)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.02)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.01, t0=3, maximize=True)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_matches_torch_step_for_step(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    tol = 1e-10 if dtype == np.float64 else 1e-6
    ours = run_ours(name, kwargs, dtype)
    theirs = run_torch(torch, name, kwargs, dtype)
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for pa, pb in zip(a, b, strict=True):
            assert pa.dtype == pb.dtype
            np.testing.assert_allclose(pa, pb, rtol=tol, atol=tol, err_msg=f"step {step + 1}")


# ----- NumPy references written from the docs' algorithm boxes (no torch needed) -----


def ref_run(update, state_init, maximize, steps=STEPS):
    ps = initial_params()
    states = [state_init(p) for p in ps]
    traj = []
    for t in range(1, steps + 1):
        for i, p in enumerate(ps):
            ps[i] = update(p, grad_of(p, maximize), states[i], t)
        traj.append([p.copy() for p in ps])
    return traj


def ref_adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    def update(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p
        s["v"] = s["v"] * rho + g * g * (1 - rho)
        dx = np.sqrt(s["u"] + eps) / np.sqrt(s["v"] + eps) * g
        s["u"] = s["u"] * rho + dx * dx * (1 - rho)
        return p - lr * dx

    return ref_run(update, lambda p: {"v": np.zeros_like(p), "u": np.zeros_like(p)}, maximize)


def ref_adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas

    def update(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["u"] = np.maximum(b2 * s["u"], np.abs(g) + eps)
        return p - lr * s["m"] / ((1 - b1**t) * s["u"])

    return ref_run(update, lambda p: {"m": np.zeros_like(p), "u": np.zeros_like(p)}, maximize)


def ref_nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas

    def update(p, g, s, t):
        g = -g if maximize else g
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        s["prod"] *= mu_t
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = mu_next * s["m"] / (1 - s["prod"] * mu_next) + (1 - mu_t) * g / (1 - s["prod"])
        v_hat = s["v"] / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)

    def init(p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p), "prod": 1.0}

    return ref_run(update, init, maximize)


def ref_radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    rho_inf = 2 / (1 - b2) - 1

    def update(p, g, s, t):
        g = -g if maximize else g
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1**t)
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            l_t = math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + eps)
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            return p - lr * m_hat * l_t * r_t
        return p - lr * m_hat

    return ref_run(update, lambda p: {"m": np.zeros_like(p), "v": np.zeros_like(p)}, maximize)


def ref_asgd(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False):
    def update(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p
        p = p * (1 - lambd * s["eta"]) - s["eta"] * g
        s["ax"] = s["ax"] + s["mu"] * (p - s["ax"]) if s["mu"] != 1 else p.copy()
        s["eta"] = lr / (1 + lambd * lr * t) ** alpha
        s["mu"] = 1 / max(1, t - t0)
        return p

    return ref_run(update, lambda p: {"eta": lr, "mu": 1.0, "ax": np.zeros_like(p)}, maximize)


@pytest.fixture
def float64_default():
    """float64 default dtype, so scalar state (NAdam's mu product, ASGD's eta) is exact."""
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    yield
    ag.set_default_dtype(old)


REFS = {"Adadelta": ref_adadelta, "Adamax": ref_adamax, "NAdam": ref_nadam,
        "RAdam": ref_radam, "ASGD": ref_asgd}
REF_CONFIGS = [(n, k) for n, k in CONFIGS if n in REFS]


@pytest.mark.parametrize(("name", "kwargs"), REF_CONFIGS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(REF_CONFIGS)])
def test_matches_published_rule(name, kwargs, float64_default):
    ours = run_ours(name, kwargs)
    ref = REFS[name](**kwargs)
    for step, (a, b) in enumerate(zip(ours, ref, strict=True)):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}")


def test_maximize_ascends_what_minimize_descends():
    down = run_ours("Adam", dict(lr=0.01), steps=5)
    params = [ag.tensor(p, requires_grad=True) for p in initial_params()]
    opt = optim.Adam(params, lr=0.01, maximize=True)
    for _ in range(5):
        for p in params:
            p.grad = ag.tensor(-grad_of(p.data))
        opt.step()
    for a, p in zip(down[-1], params, strict=True):
        np.testing.assert_allclose(p.data, a, rtol=1e-12)


# ----- state dicts and validation -----


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    full = run_ours(name, kwargs, steps=12)
    params = [ag.tensor(p, requires_grad=True) for p in initial_params()]
    opt = getattr(optim, name)(params, **kwargs)

    def steps(o, ps, n):
        for _ in range(n):
            for p in ps:
                p.grad = ag.tensor(grad_of(p.data, kwargs.get("maximize", False)))
            o.step()

    steps(opt, params, 6)
    saved = opt.state_dict()
    fresh = [ag.tensor(p.data.copy(), requires_grad=True) for p in params]
    other = getattr(optim, name)(fresh, lr=123.0)
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    steps(opt, params, 1)  # the saved dict must not alias the live state
    steps(other, fresh, 6)
    for a, p in zip(full[-1], fresh, strict=True):
        np.testing.assert_allclose(p.data, a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "LBFGS"])
def test_negative_learning_rate_is_named(name):
    w = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        getattr(optim, name)([w], lr=-1)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(eps=-1), "Invalid epsilon value: -1"),
    ("ASGD", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("LBFGS", dict(line_search_fn="armijo"), "Invalid line_search_fn"),
    ("LBFGS", dict(history_size=0), "Invalid history_size: 0"),
])
def test_bad_options_are_named(name, kwargs, message):
    w = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([w], **kwargs)


# ----- LBFGS -----


def rosenbrock(xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


LS_RNG = np.random.default_rng(3)
LS_A = LS_RNG.normal(size=(12, 4))
LS_B = LS_RNG.normal(size=12)


def least_squares(w, b, mat, rhs):
    r = mat @ w + b - rhs
    return (r * r).sum()


def lbfgs_ours(problem, kwargs, calls):
    if problem == "rosenbrock":
        params = [ag.tensor(np.array([-1.5, 2.0]), requires_grad=True)]

        def f():
            return rosenbrock(params[0])
    else:
        params = [ag.tensor(np.zeros(4), requires_grad=True),
                  ag.tensor(np.zeros(1), requires_grad=True)]
        mat, rhs = ag.tensor(LS_A), ag.tensor(LS_B)

        def f():
            return least_squares(params[0], params[1], mat, rhs)
    opt = optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss

    traj, losses = [], []
    for _ in range(calls):
        losses.append(float(opt.step(closure)))
        traj.append(np.concatenate([p.data.ravel() for p in params]))
    return traj, losses, opt


def lbfgs_torch(torch, problem, kwargs, calls):
    if problem == "rosenbrock":
        params = [torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)]

        def f():
            return rosenbrock(params[0])
    else:
        params = [torch.zeros(4, dtype=torch.float64, requires_grad=True),
                  torch.zeros(1, dtype=torch.float64, requires_grad=True)]
        mat, rhs = torch.tensor(LS_A), torch.tensor(LS_B)

        def f():
            return least_squares(params[0], params[1], mat, rhs)
    opt = torch.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss

    traj, losses = [], []
    for _ in range(calls):
        losses.append(float(opt.step(closure)))
        traj.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return traj, losses, opt


LBFGS_CASES = [
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(lr=0.1, max_iter=10)),
    ("rosenbrock", dict(line_search_fn="strong_wolfe", history_size=3, max_iter=1)),
    ("rosenbrock", dict(lr=0.1, history_size=2, max_iter=3)),
    ("least_squares", dict()),
    ("least_squares", dict(line_search_fn="strong_wolfe", history_size=2, max_iter=5)),
]


@pytest.mark.torch
@pytest.mark.parametrize(("problem", "kwargs"), LBFGS_CASES)
def test_lbfgs_matches_torch(problem, kwargs):
    torch = pytest.importorskip("torch")
    ours, our_losses, opt = lbfgs_ours(problem, kwargs, 6)
    theirs, their_losses, topt = lbfgs_torch(torch, problem, kwargs, 6)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10, atol=1e-12)
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step() call {step}")
    ours_state = next(iter(opt.state.values()))
    their_state = next(iter(topt.state.values()))
    assert ours_state["func_evals"] == their_state["func_evals"]
    assert ours_state["n_iter"] == their_state["n_iter"]


def test_lbfgs_converges_without_torch():
    traj, losses, _ = lbfgs_ours("rosenbrock", dict(line_search_fn="strong_wolfe"), 8)
    np.testing.assert_allclose(traj[-1], [1.0, 1.0], atol=1e-5)
    assert losses[-1] < 1e-9 < losses[0]
    kwargs = dict(line_search_fn="strong_wolfe", tolerance_change=1e-14)
    traj, _, _ = lbfgs_ours("least_squares", kwargs, 3)
    design = np.hstack([LS_A, np.ones((12, 1))])
    exact = np.linalg.lstsq(design, LS_B, rcond=None)[0]
    np.testing.assert_allclose(traj[-1], exact, atol=1e-6)


def test_lbfgs_rules():
    w = ag.tensor([1.0], requires_grad=True)
    v = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [v]}])
    opt = optim.LBFGS([w])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [v]})
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    assert opt.param_groups[0]["max_eval"] == 25


def test_lbfgs_state_dict_resumes():
    _, losses, opt = lbfgs_ours("rosenbrock", dict(line_search_fn="strong_wolfe"), 2)
    saved = opt.state_dict()
    params = [ag.tensor(opt.param_groups[0]["params"][0].data.copy(), requires_grad=True)]
    other = optim.LBFGS(params, line_search_fn="strong_wolfe")
    other.load_state_dict(saved)

    def closure():
        other.zero_grad()
        loss = rosenbrock(params[0])
        loss.backward()
        return loss

    other.step(closure)
    full, _, _ = lbfgs_ours("rosenbrock", dict(line_search_fn="strong_wolfe"), 3)
    np.testing.assert_allclose(params[0].data, full[-1], rtol=1e-12)


# ----- parameter groups -----

GROUP_CASES = [
    ("SGD", dict(lr=0.02, momentum=0.9), dict(lr=0.05, nesterov=True, momentum=0.5)),
    ("Adam", dict(lr=0.01), dict(lr=0.03, amsgrad=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01), dict(centered=True, momentum=0.3)),
    ("NAdam", dict(lr=0.01), dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.2)),
    ("Adadelta", dict(), dict(rho=0.5)),
]


def run_groups(lib, name, defaults, second, tensor, grad_to, numpy_of, lr_change):
    a, b = (tensor(p) for p in initial_params())
    opt = getattr(lib, name)([{"params": [a]}, {"params": [b], **second}], **defaults)
    traj = []
    for step in range(STEPS):
        if step == 10:
            opt.param_groups[0]["lr"] = lr_change
        opt.zero_grad()
        for p in (a, b):
            p.grad = grad_to(grad_of(numpy_of(p)))
        opt.step()
        traj.append([numpy_of(a).copy(), numpy_of(b).copy()])
    return traj, opt


@pytest.mark.torch
@pytest.mark.parametrize(("name", "defaults", "second"), GROUP_CASES,
                         ids=[c[0] for c in GROUP_CASES])
def test_parameter_groups_match_torch(name, defaults, second):
    torch = pytest.importorskip("torch")
    ours, opt = run_groups(optim, name, defaults, second,
                           lambda p: ag.tensor(p, requires_grad=True), ag.tensor,
                           lambda p: p.data, 0.004)
    theirs, topt = run_groups(torch.optim, name, defaults, second,
                              lambda p: torch.tensor(p, requires_grad=True), torch.tensor,
                              lambda p: p.detach().numpy(), 0.004)
    for a, b in zip(ours, theirs, strict=True):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-10)
    ours_groups = opt.state_dict()["param_groups"]
    their_groups = topt.state_dict()["param_groups"]
    for g, tg in zip(ours_groups, their_groups, strict=True):
        assert g["params"] == tg["params"]
        for key in g:
            assert g[key] == tg[key], key


def test_group_options_and_validation():
    a = ag.tensor(np.ones(2), requires_grad=True)
    b = ag.tensor(np.ones(3), requires_grad=True)
    c = ag.tensor(np.ones(1), requires_grad=True)
    opt = optim.RAdam([{"params": [a]}, {"params": b, "lr": 0.1}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [c, a]})
    with pytest.raises(ValueError, match="Invalid learning rate: -2"):
        opt.add_param_group({"params": [c], "lr": -2})
    opt.add_param_group({"params": [c], "eps": 1e-3})
    assert opt.param_groups[2]["eps"] == 1e-3 and opt.param_groups[2]["lr"] == 0.01
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1], [2]]


def test_zero_grad_to_none_or_zeros():
    a = ag.tensor(np.ones(2), requires_grad=True)
    opt = optim.Adamax([a])
    a.grad = ag.tensor(np.full(2, 3.0))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert a.grad is None
    opt.step()  # no gradient: nothing moves, no state
    np.testing.assert_array_equal(a.data, [1.0, 1.0])
    assert not opt.state.get(a)
