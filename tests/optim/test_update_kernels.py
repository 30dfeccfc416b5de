"""The one-pass Numba updates of SGD, Adam, RMSprop, Adagrad, Adamax, Adadelta, NAdam, RAdam
and ASGD against the NumPy code they replaced (kept below as the reference), bit for bit, step
for step: float32 and float64, 0-d to 4-d and non-contiguous parameters, every option, and
hyperparameters edited between steps."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

import autograd as ag
import optim
from optim.optimizer import scalar_dtype

# ----- the replaced NumPy updates, one parameter at a time (state in a dict, under the names
# the optimizers use, so that the states are compared too) -----


def ref_sgd(p, g, st, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = g + weight_decay * p if weight_decay != 0 else g
    if momentum != 0:
        buf = st.get("momentum_buffer")
        if buf is None:
            buf = st["momentum_buffer"] = np.array(g, dtype=p.dtype, copy=True)
        else:
            buf *= momentum
            buf += g * (1 - dampening)
        g = g + buf * momentum if nesterov else buf
    p -= g * lr


def ref_adam(p, g, st, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             decoupled=False):
    beta1, beta2 = betas
    if not st:
        st.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p),
                  max_exp_avg_sq=np.zeros_like(p))
    st["step"] += 1
    step, m, v = st["step"], st["exp_avg"], st["exp_avg_sq"]
    if weight_decay != 0:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
    m *= beta1
    m += g * (1 - beta1)
    v *= beta2
    tmp = np.square(g)
    tmp *= 1 - beta2
    v += tmp
    if amsgrad:
        np.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
        denom = np.sqrt(st["max_exp_avg_sq"])
    else:
        denom = np.sqrt(v)
    denom /= math.sqrt(1 - beta2**step)
    denom += eps
    update = m / denom
    update *= lr / (1 - beta1**step)
    p -= update


def ref_rmsprop(p, g, st, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False):
    if not st:
        st.update(square_avg=np.zeros_like(p), grad_avg=np.zeros_like(p),
                  momentum_buffer=np.zeros_like(p))
    g = g + weight_decay * p if weight_decay != 0 else g
    v = st["square_avg"]
    v *= alpha
    v += (1 - alpha) * g * g
    if centered:
        m = st["grad_avg"]
        m *= alpha
        m += (1 - alpha) * g
        avg = np.sqrt(v - m * m) + eps
    else:
        avg = np.sqrt(v) + eps
    if momentum > 0:
        buf = st["momentum_buffer"]
        buf *= momentum
        buf += g / avg
        p -= lr * buf
    else:
        p -= lr * g / avg


def ref_adagrad(p, g, st, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10):
    if not st:
        st.update(step=0, sum=np.full_like(p, initial_accumulator_value))
    st["step"] += 1
    g = g + weight_decay * p if weight_decay != 0 else g
    clr = lr / (1 + (st["step"] - 1) * lr_decay)
    st["sum"] += g * g
    p -= clr * g / (np.sqrt(st["sum"]) + eps)


def ref_adamax(p, g, st, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    if not st:
        st.update(step=0, exp_avg=np.zeros_like(p), exp_inf=np.zeros_like(p))
    st["step"] += 1
    g = g + weight_decay * p if weight_decay != 0 else g
    m, u = st["exp_avg"], st["exp_inf"]
    m += (1 - beta1) * (g - m)
    u *= beta2
    np.maximum(u, np.abs(g) + eps, out=u)
    p -= lr / (1 - beta1 ** st["step"]) * m / u


def ref_adadelta(p, g, st, lr, rho=0.9, eps=1e-6, weight_decay=0.0):
    if not st:
        st.update(square_avg=np.zeros_like(p), acc_delta=np.zeros_like(p))
    g = g + weight_decay * p if weight_decay != 0 else g
    v, u = st["square_avg"], st["acc_delta"]
    v *= rho
    v += (1 - rho) * g * g
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u *= rho
    u += (1 - rho) * delta * delta
    p -= lr * delta


def ref_nadam(p, g, st, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3, decoupled_weight_decay=False):
    beta1, beta2 = betas
    if not st:
        st.update(step=0, mu_product=scalar_dtype()(1.0), exp_avg=np.zeros_like(p),
                  exp_avg_sq=np.zeros_like(p))
    st["step"] += 1
    step, m, v = st["step"], st["exp_avg"], st["exp_avg_sq"]
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    st["mu_product"] = st["mu_product"] * mu
    prod = float(st["mu_product"])
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * g * g
    denom = np.sqrt(v / (1 - beta2**step)) + eps
    p -= lr * (1.0 - mu) / (1.0 - prod) * g / denom
    p -= lr * mu_next / (1.0 - prod * mu_next) * m / denom


def ref_radam(p, g, st, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    if not st:
        st.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
    st["step"] += 1
    step, m, v = st["step"], st["exp_avg"], st["exp_avg_sq"]
    g = g + weight_decay * p if weight_decay != 0 else g
    rho_inf = 2 / (1 - beta2) - 1
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * g * g
    bias_correction2 = 1 - beta2**step
    m_hat = m / (1 - beta1**step)
    rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
    if rho_t > 5.0:
        rect = math.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        adaptive = math.sqrt(bias_correction2) / (np.sqrt(v) + eps)
        p -= m_hat * lr * adaptive * rect
    else:
        p -= m_hat * lr


def ref_asgd(p, g, st, lr, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
    dt = scalar_dtype()
    if not st:
        st.update(step=0, eta=dt(lr), mu=dt(1.0), ax=np.zeros_like(p))
    st["step"] += 1
    eta, mu, step, ax = float(st["eta"]), float(st["mu"]), st["step"], st["ax"]
    g = g + weight_decay * p if weight_decay != 0 else g
    p *= 1 - lambd * eta
    p -= eta * g
    if mu != 1:
        ax += (p - ax) * mu
    else:
        ax[...] = p
    st["eta"], st["mu"] = dt(lr / (1 + lambd * lr * step) ** alpha), dt(1 / max(1, step - t0))


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    (optim.Adam, ref_adam, dict(lr=0.01)),
    (optim.Adam, ref_adam, dict(lr=0.01, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (optim.AdamW, lambda *a, **k: ref_adam(*a, **k, decoupled=True),
     dict(lr=0.01, weight_decay=0.1)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True, momentum=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad,
     dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    (optim.Adamax, ref_adamax, dict(lr=0.02)),
    (optim.Adamax, ref_adamax, dict(lr=0.02, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.01)),
    (optim.Adadelta, ref_adadelta, dict(lr=1.0)),
    (optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.01)),
    (optim.NAdam, ref_nadam, dict(lr=0.01)),
    (optim.NAdam, ref_nadam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.RAdam, ref_radam, dict(lr=0.01)),  # rectified from step 6 on
    (optim.RAdam, ref_radam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.01)),
    (optim.ASGD, ref_asgd, dict(lr=0.1, t0=2)),
    (optim.ASGD, ref_asgd, dict(lr=0.1, lambd=0.1, alpha=0.5, weight_decay=0.01)),
]
SHAPES = [(), (7,), (5, 3), (2, 3, 2, 2)]
STEPS = 7  # RAdam's rectified steps start at the 6th


def _params(dtype, rng):
    """One parameter per shape, plus a non-contiguous one (a strided view of a bigger array);
    small, so that the last bit of each update shows in the parameter."""
    arrays = [(rng.standard_normal(s) * 1e-3).astype(dtype) for s in SHAPES]
    arrays.append((rng.standard_normal((4, 6)) * 1e-3).astype(dtype)[:, ::2])
    return arrays


def _counting(monkeypatch, cls):
    """Replace the kernel `cls`'s update calls by a wrapper that counts its calls."""
    name = "adam" if cls is optim.AdamW else cls.__name__.lower()
    module = importlib.import_module(f"optim.{name}")  # optim.sgd etc. are the functions
    kernel, calls = getattr(module, f"{name}_update"), []

    def counted(*args):
        calls.append(args[0].size)
        return kernel(*args)

    monkeypatch.setattr(module, f"{name}_update", counted)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "ref", "kwargs"), CASES)
def test_kernel_matches_numpy_bit_for_bit(monkeypatch, dtype, cls, ref, kwargs):
    rng = np.random.default_rng(0)
    start = _params(dtype, rng)
    params = [ag.Tensor(a, requires_grad=True) for a in start]
    assert not params[-1].data.flags.c_contiguous  # the NumPy path's case
    expected = [np.array(a, copy=True) for a in start]
    states = [{} for _ in expected]
    opt = cls(params, **kwargs)
    calls = _counting(monkeypatch, cls)
    for step in range(STEPS):
        if step == 3:  # edited between steps: the change must take effect
            opt.param_groups[0]["lr"] = kwargs["lr"] / 2
        lr = opt.param_groups[0]["lr"]
        for p, e, st in zip(params, expected, states, strict=True):
            g = rng.standard_normal(e.shape).astype(dtype)
            p.grad = ag.Tensor(g.copy())
            ref(e, g, st, **{**kwargs, "lr": lr})
        opt.step()
        for p, e, st in zip(params, expected, states, strict=True):
            assert p.data.dtype == dtype
            assert np.array_equal(p.data, e), (cls.__name__, kwargs, step, p.data.shape)
            ours = opt.state[p]
            shared = [k for k, v in st.items() if isinstance(v, np.ndarray) and k in ours]
            assert shared or (cls is optim.SGD and "momentum" not in kwargs)  # state kept
            for k in shared:
                assert np.array_equal(ours[k], st[k]), (cls.__name__, kwargs, step, k)
    # every contiguous parameter took the kernel, but a 0-d one with L2 weight decay: its
    # `grad + wd * p` is a NumPy scalar, not an array
    decoupled = cls is optim.AdamW or kwargs.get("decoupled_weight_decay", False)
    scalar_grad = kwargs.get("weight_decay", 0) != 0 and not decoupled
    assert len(calls) == STEPS * (len(SHAPES) - scalar_grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maximize_and_float64_hyperparameters_match(monkeypatch, dtype):
    """`maximize` negates the gradient before the kernel; a float64 NumPy scalar next to a
    float32 parameter makes NumPy compute in float64, so that case keeps the NumPy path."""
    rng = np.random.default_rng(1)
    start = rng.standard_normal((4, 5)).astype(dtype)
    lr = np.float64(0.01)
    p = ag.Tensor(start.copy(), requires_grad=True)
    opt = optim.Adam([p], lr=lr, maximize=True)
    calls = _counting(monkeypatch, optim.Adam)
    expected, st = start.copy(), {}
    for _ in range(4):
        g = rng.standard_normal(start.shape).astype(dtype)
        p.grad = ag.Tensor(g.copy())
        ref_adam(expected, -g, st, lr=lr)
        opt.step()
        assert np.array_equal(p.data, expected)
    assert len(calls) == (4 if dtype == np.float64 else 0)


def test_division_by_zero_gives_inf_like_numpy():
    """eps=0 and a zero gradient: 0/0 is NaN in NumPy, never a ZeroDivisionError."""
    p = ag.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adagrad([p], lr=0.1, eps=0.0)
    p.grad = ag.Tensor(np.array([0.0, 1.0, 2.0], np.float32))
    expected, st = np.ones(3, np.float32), {}
    with np.errstate(invalid="ignore"):
        ref_adagrad(expected, p.grad.data.copy(), st, lr=0.1, eps=0.0)
        opt.step()
    assert np.array_equal(p.data, expected, equal_nan=True) and np.isnan(p.data[0])


@pytest.mark.parametrize(("cls", "ref", "kwargs"), [
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9)),
    (optim.Adam, ref_adam, dict(lr=0.01, amsgrad=True)),
])
def test_skipped_grads_and_a_state_dict_round_trip_match(cls, ref, kwargs):
    """A parameter without a gradient is left alone for a step; an optimizer rebuilt from the
    state dict mid-run goes on exactly as the NumPy reference does."""
    rng = np.random.default_rng(2)
    start = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    params = [ag.Tensor(a.copy(), requires_grad=True) for a in start]
    expected, states = [a.copy() for a in start], [{} for _ in start]
    opt = cls(params, **kwargs)
    for step in range(6):
        if step == 3:
            saved = opt.state_dict()
            opt = cls(params, **kwargs)
            opt.load_state_dict(saved)
        for i, (p, e, st) in enumerate(zip(params, expected, states, strict=True)):
            if step == 1 and i == 2:
                p.grad = None
                continue
            g = rng.standard_normal(e.shape).astype(np.float32)
            p.grad = ag.Tensor(g.copy())
            ref(e, g, st, **kwargs)
        opt.step()
        for p, e in zip(params, expected, strict=True):
            assert np.array_equal(p.data, e), (cls.__name__, step, p.data.shape)
