"""ResNet18/34 (CIFAR variant): torchvision naming, state dict into an equal PyTorch model,
a few training steps on random data, input-shape errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.errors import ShapeError


def test_resnet18_names_and_shapes():
    net = nn.models.ResNet18()
    names = list(net.state_dict())
    for key in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
                "layer2.0.downsample.0.weight", "layer2.0.downsample.1.num_batches_tracked",
                "fc.weight", "fc.bias"):
        assert key in names
    assert "layer1.0.downsample.0.weight" not in names
    assert sum(p.size for p in net.parameters()) == 11_173_962
    assert len(nn.models.ResNet34().layer3) == 6


def test_models_check_their_input_shape():
    with pytest.raises(ShapeError, match=r"ResNet18: expected input of shape \(N, 3, 32, 32\)"):
        nn.models.ResNet18()(ag.randn(1, 3, 28, 28))
    with pytest.raises(ShapeError, match=r"LeNet5: .*\(N, 1, 28, 28\).*input_size=32"):
        nn.models.LeNet5()(ag.randn(1, 1, 32, 32))
    with pytest.raises(ShapeError, match=r"MLP: expected input of shape \(N, 4\)"):
        nn.models.MLP([4, 3])(ag.randn(2, 5))
    with pytest.raises(ShapeError, match="VGG"):
        nn.models.vgg11(width=0.125)(ag.randn(1, 3, 16, 16))


def test_resnet18_trains_on_random_data():
    ag.manual_seed(0)
    net = nn.models.ResNet18(num_classes=10)
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x = ag.randn(4, 3, 32, 32)
    y = ag.tensor(np.array([0, 3, 5, 9]))
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@pytest.mark.torch
def test_resnet18_state_dict_loads_into_torch_with_equal_outputs():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class TorchResNet18(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU()
            cin = 64
            for i, w in enumerate((64, 128, 256, 512)):
                s = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", tnn.Sequential(Block(cin, w, s), Block(w, w, 1)))
                cin = w
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    ag.manual_seed(1)
    ours = nn.models.ResNet18()
    x = ag.randn(2, 3, 32, 32)
    ours(x)  # one training step moves the running stats off their defaults
    ours.eval()
    theirs = TorchResNet18()
    theirs.load_state_dict({k: torch.tensor(np.asarray(v.data))
                            for k, v in ours.state_dict().items()})
    theirs.eval()
    with torch.no_grad():
        want = theirs(torch.tensor(x.data)).numpy()
    np.testing.assert_allclose(ours(x).data, want, rtol=1e-3, atol=1e-4)
