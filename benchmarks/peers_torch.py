"""The peers benchmark's workloads in PyTorch (see `tracegrad/cli/bench_workloads.py`).

Imported only in PyTorch's own worker processes: nothing here touches PyTorch's settings
(threads, flags), so it runs at its defaults. Each maker returns a zero-argument callable
running one timed unit; a training step runs zero_grad, forward, loss, backward, update.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.cli.bench_workloads import (
    CHAIN_OPS,
    CONV,
    LENET_CONV1,
    LM,
    MLP_SIZES,
    RESNET,
    RNN,
    conv_data,
    lenet_data,
    lm_data,
    mlp_data,
    resnet_data,
    rnn_data,
)

Unit = Callable[[], object]


def torch_lenet5(torch: Any) -> Any:
    """`nn.models.LeNet5(in_channels=1, input_size=28)` in PyTorch, with its state-dict names:
    conv1 padded by 2, ReLU, max pool, fc 400-120-84-10."""
    tnn = torch.nn

    class LeNet5(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2))
            self.flatten = tnn.Flatten()
            self.classifier = tnn.Sequential(OrderedDict(
                fc1=tnn.Linear(400, 120), act1=tnn.ReLU(), fc2=tnn.Linear(120, 84),
                act2=tnn.ReLU(), fc3=tnn.Linear(84, 10)))

        def forward(self, x: Any) -> Any:
            return self.classifier(self.flatten(self.features(x)))

    return LeNet5()


def torch_resnet18(torch: Any) -> Any:
    """The CIFAR ResNet-18 of `nn/models/resnet.py` in PyTorch: 3x3 stem, no max pool, four
    stages of two BasicBlocks (1x1 conv + BN downsample on a shape change), avg pool, fc."""
    tnn, F = torch.nn, torch.nn.functional

    class BasicBlock(tnn.Module):
        def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.conv2 = tnn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or cin != planes:
                self.downsample = tnn.Sequential(
                    tnn.Conv2d(cin, planes, 1, stride=stride, bias=False),
                    tnn.BatchNorm2d(planes))

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet18(tnn.Module):
        def __init__(self, num_classes: int) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            planes = 64
            for i, width in enumerate((64, 128, 256, 512)):
                blocks = [BasicBlock(planes, width, 1 if i == 0 else 2), BasicBlock(width, width)]
                setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
                planes = width
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def forward(self, x: Any) -> Any:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
            return self.fc(self.avgpool(out).flatten(1))

    return ResNet18(RESNET["classes"])


def torch_transformer_lm(torch: Any) -> Any:
    """`nn.models.TransformerLM` in PyTorch: token + learned position embeddings, pre-norm
    `TransformerEncoder` (batch_first) under the causal mask, final LayerNorm, Linear head."""
    tnn = torch.nn
    d = LM["d_model"]

    class TransformerLM(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok_emb = tnn.Embedding(LM["vocab_size"], d)
            self.pos_emb = tnn.Embedding(LM["max_len"], d)
            self.drop = tnn.Dropout(LM["dropout"])
            layer = tnn.TransformerEncoderLayer(d, LM["nhead"], LM["dim_feedforward"],
                                                LM["dropout"], batch_first=True,
                                                norm_first=True)
            self.encoder = tnn.TransformerEncoder(layer, LM["num_layers"],
                                                  enable_nested_tensor=False)
            self.norm = tnn.LayerNorm(d)
            self.head = tnn.Linear(d, LM["vocab_size"])

        def forward(self, idx: Any) -> Any:
            t = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(t))
            mask = tnn.Transformer.generate_square_subsequent_mask(t)
            return self.head(self.norm(self.encoder(self.drop(x), mask=mask, is_causal=True)))

    return TransformerLM()


def torch_makers(torch: Any, batches: Any = None) -> dict[str, Callable[[], Unit]]:
    """The workloads in PyTorch; `batches` (x, t arrays with a leading step axis) feeds
    lenet5_epoch."""
    tnn, F = torch.nn, torch.nn.functional

    def steps(model: Any, opt: Any, data: list[tuple[Any, Any]]) -> Unit:
        def run() -> None:
            for x, t in data:
                opt.zero_grad()
                loss = F.cross_entropy(model(x).reshape(t.shape[0], -1), t)
                loss.backward()
                opt.step()

        return run

    def step(model: Any, opt: Any, x: np.ndarray, t: np.ndarray) -> Unit:
        return steps(model, opt, [(torch.from_numpy(x), torch.from_numpy(t))])

    def scalar_chain() -> Unit:
        x = torch.tensor(0.5, requires_grad=True)

        def run() -> None:
            x.grad = None
            y = x
            for _ in range(CHAIN_OPS // 2):
                y = torch.tanh(y * 1.001)
            y.backward()

        return run

    def mlp_step(batch: int) -> Unit:
        layers: list[Any] = []
        for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
            layers += [tnn.Linear(a, b), tnn.ReLU()]
        model = tnn.Sequential(*layers[:-1])
        return step(model, torch.optim.SGD(model.parameters(), lr=0.01), *mlp_data(batch))

    def rnn() -> Unit:
        model = tnn.RNN(RNN["input"], RNN["hidden"])
        x = torch.from_numpy(rnn_data())

        def run() -> None:
            model.zero_grad()
            model(x)[0].sum().backward()

        return run

    def lenet(data: list[tuple[Any, Any]]) -> Unit:
        model = torch_lenet5(torch)
        return steps(model, torch.optim.Adam(model.parameters(), lr=1e-3), data)

    def conv(spec: dict[str, int]) -> Unit:
        x, w, b = (torch.from_numpy(a).requires_grad_() for a in conv_data(spec))

        def run() -> None:
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b, padding=spec["pad"]).sum().backward()

        return run

    def epoch() -> Unit:
        xs, ts = batches
        return lenet([(torch.from_numpy(x), torch.from_numpy(t)) for x, t in zip(xs, ts,
                                                                                 strict=True)])

    def resnet18_step() -> Unit:
        model = torch_resnet18(torch)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return step(model, opt, *resnet_data())

    def transformer_lm_step() -> Unit:
        model = torch_transformer_lm(torch)
        idx, nxt = lm_data()
        return step(model, torch.optim.Adam(model.parameters(), lr=1e-3), idx, nxt.reshape(-1))

    return {
        "scalar_chain": scalar_chain, "mlp_step_b1": lambda: mlp_step(1),
        "mlp_step": lambda: mlp_step(100), "rnn": rnn,
        "lenet5_step": lambda: lenet([tuple(torch.from_numpy(a) for a in lenet_data())]),
        "conv2d": lambda: conv(CONV), "lenet_conv1": lambda: conv(LENET_CONV1),
        "lenet5_epoch": epoch, "resnet18_step": resnet18_step,
        "transformer_lm_step": transformer_lm_step,
    }
