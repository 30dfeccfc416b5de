"""nn.init: distributions, bounds, gains and fans as PyTorch; layer defaults; seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def test_gains():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_and_errors():
    assert init._calculate_fan_in_and_fan_out(ag.zeros(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ag.zeros(5))
    with pytest.raises(ValueError, match="Mode 'fan_avg' not supported"):
        init.kaiming_normal_(ag.zeros(3, 3), mode="fan_avg")


def test_fill_in_place_keeps_dtype_and_identity():
    t = ag.zeros(3, 4)
    assert init.constant_(t, 2.5) is t and np.all(t.data == 2.5) and t.dtype == np.float32
    init.zeros_(t)
    assert np.all(t.data == 0)
    init.ones_(t)
    assert np.all(t.data == 1)
    # parameters requiring grad are filled without recording
    p = nn.Parameter(np.zeros((2, 2)))
    init.normal_(p)
    assert p.grad_fn is None and p.is_leaf


def test_uniform_and_normal_statistics():
    t = ag.zeros(200, 500, dtype=np.float64)
    init.uniform_(t, -2, 3)
    assert t.data.min() >= -2 and t.data.max() < 3
    assert abs(t.data.mean() - 0.5) < 0.02
    init.normal_(t, 1.0, 0.5)
    assert abs(t.data.mean() - 1.0) < 0.01 and abs(t.data.std() - 0.5) < 0.01


@pytest.mark.parametrize("fan_in, fan_out", [(300, 100), (50, 400)])
def test_xavier_and_kaiming_scales(fan_in, fan_out):
    w = ag.zeros(fan_out, fan_in, dtype=np.float64)
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.95 * bound
    init.xavier_normal_(w)
    assert w.data.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.03)
    init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.95 * bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.03)


def test_seeded_reproducibility():
    ag.manual_seed(7)
    a = nn.Linear(5, 4).weight.data.copy()
    ag.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(5, 4).weight.data, a)


def test_layer_defaults_as_pytorch():
    lin = nn.Linear(300, 200)
    bound = 1 / math.sqrt(300)  # kaiming_uniform(a=sqrt(5)) gives exactly 1/sqrt(fan_in)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.weight.data).max() > 0.95 * bound
    assert np.abs(lin.bias.data).max() <= bound
    conv = nn.Conv2d(4, 8, 3)
    b = 1 / math.sqrt(4 * 9)
    assert np.abs(conv.weight.data).max() <= b and np.abs(conv.bias.data).max() <= b
    bn = nn.BatchNorm2d(3)
    assert np.all(bn.weight.data == 1) and np.all(bn.bias.data == 0)
    assert np.all(bn.running_var.data == 1) and bn.num_batches_tracked.dtype == np.int64
    gru = nn.GRU(3, 16)
    assert all(np.abs(p.data).max() <= 0.25 for p in gru.parameters())
