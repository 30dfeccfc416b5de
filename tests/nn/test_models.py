"""nn.models: layouts, parameter counts, output shapes, module paths, and a short LeNet5 run
on real MNIST."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn

REPO = Path(__file__).resolve().parents[2]
MNIST = REPO.parent / "shared" / "data" / "mnist"


def _has_conv() -> bool:
    try:
        import autograd.ops.conv  # noqa: F401
    except ImportError:
        return False
    return True


needs_conv = pytest.mark.skipif(not _has_conv(), reason="autograd.ops.conv not landed yet")


def test_mlp_layout_options_and_learning():
    mlp = nn.models.MLP([4, 16, 8, 3], activation="tanh", dropout=0.1, batchnorm=True)
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Dropout",
                     "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    assert mlp(ag.randn(5, 4)).shape == (5, 3)
    assert type(nn.models.MLP([2, 3, 1], activation=lambda: nn.LeakyReLU(0.2))[1]).__name__ == (
        "LeakyReLU")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.models.MLP([2, 2, 2], activation="swish")
    with pytest.raises(ValueError, match="at least 2 positive widths"):
        nn.models.MLP([3])
    # fits the spiral data set
    ag.manual_seed(0)
    data = nn.data.make_spiral()
    x, y = ag.Tensor(data[0].astype(np.float32)), ag.Tensor(data[1])
    model = nn.models.MLP([2, 32, 32, 3])
    for _ in range(200):
        loss = nn.functional.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in model.parameters():
                p -= 1.0 * p.grad
    acc = (model(x).data.argmax(1) == y.data).mean()
    assert acc > 0.9


def test_lenet5_layout_matches_1998_paper():
    net = nn.models.LeNet5()
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes == {
        "features.0.weight": (6, 1, 5, 5), "features.0.bias": (6,),
        "features.3.weight": (16, 6, 5, 5), "features.3.bias": (16,),
        "classifier.fc1.weight": (120, 400), "classifier.fc1.bias": (120,),
        "classifier.fc2.weight": (84, 120), "classifier.fc2.bias": (84,),
        "classifier.fc3.weight": (10, 84), "classifier.fc3.bias": (10,),
    }
    assert sum(p.size for p in net.parameters()) == 61706
    classic = nn.models.LeNet5(classic=True)
    assert [type(m).__name__ for m in classic.features] == [
        "Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d"]
    assert nn.models.LeNet5(input_size=32).features[0].padding == (0, 0)  # the 1998 layout
    assert nn.models.LeNet5().features[0].padding == (2, 2)  # 28x28 MNIST as is


def test_vgg_and_alexnet_configs():
    vgg = nn.models.vgg11(width=0.125)
    convs = [m for m in vgg.features if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 32, 64, 64, 64, 64]
    assert len([m for m in nn.models.vgg16().features if isinstance(m, nn.Conv2d)]) == 13
    assert any(isinstance(m, nn.BatchNorm2d) for m in nn.models.VGG([8, "M"], batchnorm=True,
                                                                    input_size=8).features)
    with pytest.raises(ValueError, match="unknown config 'vgg12'"):
        nn.models.VGG("vgg12")
    alex = nn.models.AlexNet(width=0.25, hidden=64)
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in alex.features) == 2
    assert alex.classifier[1].in_features == 64 * 4 * 4
    with pytest.raises(ValueError, match="multiple of 8"):
        nn.models.AlexNet(input_size=30)


@needs_conv
def test_conv_models_forward_shapes_and_paths():
    x = ag.randn(2, 3, 32, 32)
    assert nn.models.vgg11(width=0.125, hidden=32)(x).shape == (2, 10)
    assert nn.models.AlexNet(width=0.125, hidden=32, num_classes=5)(x).shape == (2, 5)
    net = nn.models.LeNet5()
    g = ag.trace(lambda a: net(a).sum(), ag.randn(1, 1, 28, 28))
    modules = {op.module for op in g.ops.values()}
    assert {"features.0", "features.2", "classifier.fc1", "classifier.fc3"} <= modules


@needs_conv
@pytest.mark.slow
def test_lenet5_learns_real_mnist_quickly():
    if not (MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST not found in {MNIST}")
    spec = importlib.util.spec_from_file_location(
        "train_lenet5_mnist", REPO / "examples" / "train_lenet5_mnist.py")
    ex = importlib.util.module_from_spec(spec)  # the example's own preprocessing
    spec.loader.exec_module(ex)

    ag.manual_seed(0)
    x, y = ex.load_split(MNIST, True, 3000)
    xt, yt = ex.load_split(MNIST, False, 1000)
    model = nn.models.LeNet5(input_size=32)  # the example pads MNIST to 32x32
    params = list(model.parameters())
    vel = [np.zeros_like(p.data) for p in params]
    for _ in range(2):
        order = ag.get_generator().permutation(len(x))
        for i in range(0, len(x), 32):
            idx = order[i:i + 32]
            loss = nn.functional.cross_entropy(model(ag.Tensor(x[idx])), ag.Tensor(y[idx]))
            model.zero_grad()
            loss.backward()
            for p, v in zip(params, vel, strict=True):
                v *= 0.9
                v -= 0.03 * p.grad.data
                p.data += v
    assert ex.evaluate(model, xt, yt) >= 0.85  # 3000 images x 2 epochs (~0.9); chance 0.1
