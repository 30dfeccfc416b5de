"""A dozen short programs from PyTorch's own tutorials, run twice with only `torch` bound
differently: to PyTorch (when installed) and to `autograd`. Values and gradients must agree.

Sources (text adapted only where a tutorial prints instead of returning): the 60-minute
blitz (tensors, autograd, neural networks), "Learning PyTorch with Examples" (tensors,
autograd, custom autograd Function, nn, optim, custom nn Module, dynamic control flow), the
autograd mechanics notes (in-place and retain_grad) and micrograd's torch-checked tests.
Each snippet ends by binding `out`: a list of arrays to compare.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import autograd

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

SNIPPETS = {
    # blitz: tensors
    "blitz_tensors": """
        data = [[1, 2], [3, 4]]
        x_data = torch.tensor(data)
        x_ones = torch.ones_like(x_data)
        x_rand = torch.rand_like(x_data, dtype=torch.float)
        tensor = torch.ones(4, 4)
        tensor[:, 1] = 0
        t1 = torch.cat([tensor, tensor, tensor], dim=1)
        y1 = tensor @ tensor.T
        y2 = tensor.matmul(tensor.T)
        z1 = tensor * tensor
        agg = tensor.sum()
        tensor.add_(5)
        out = [x_ones, t1, y1, y2, z1, agg, tensor, torch.tensor(x_rand.shape)]
    """,
    # blitz: autograd
    "blitz_autograd": """
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3 * a ** 3 - b ** 2
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        out = [Q.detach(), a.grad, b.grad, 9 * a ** 2 == a.grad, -2 * b == b.grad]
    """,
    # autograd tutorial: a one-layer net with binary cross-entropy
    "autograd_bce": """
        x = torch.ones(5)
        y = torch.zeros(3)
        w = torch.tensor(np.linspace(-1, 1, 15).reshape(5, 3), requires_grad=True)
        b = torch.tensor(np.linspace(0, 0.3, 3), requires_grad=True)
        z = torch.matmul(x.double(), w) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y.double())
        loss.backward()
        with torch.no_grad():
            z2 = torch.matmul(x.double(), w) + b
        out = [loss.detach(), w.grad, b.grad, torch.tensor(z2.requires_grad)]
    """,
    # Learning PyTorch with Examples: polynomial fit, tensors and manual gradients
    "examples_tensors": """
        dtype = torch.float64
        x = torch.linspace(-3.14159, 3.14159, 200, dtype=dtype)
        y = torch.sin(x)
        a, b, c, d = (torch.tensor(v, dtype=dtype) for v in (0.1, -0.2, 0.3, 0.05))
        learning_rate = 1e-6
        for t in range(200):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum().item()
            grad_y_pred = 2.0 * (y_pred - y)
            a = a - learning_rate * grad_y_pred.sum()
            b = b - learning_rate * (grad_y_pred * x).sum()
            c = c - learning_rate * (grad_y_pred * x ** 2).sum()
            d = d - learning_rate * (grad_y_pred * x ** 3).sum()
        out = [a, b, c, d, torch.tensor(loss)]
    """,
    # ... with autograd
    "examples_autograd": """
        dtype = torch.float64
        x = torch.linspace(-3.14159, 3.14159, 200, dtype=dtype)
        y = torch.sin(x)
        a, b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True)
                      for v in (0.1, -0.2, 0.3, 0.05))
        for t in range(100):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with torch.no_grad():
                for p in (a, b, c, d):
                    p -= 1e-6 * p.grad
                    p.grad = None
        out = [a.detach(), b.detach(), c.detach(), d.detach(), loss.detach()]
    """,
    # ... defining new autograd Functions (Legendre polynomial P3)
    "examples_function": """
        class LegendrePolynomial3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        x = torch.linspace(-1.0, 1.0, 50, dtype=torch.float64)
        a = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
        c = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        P3 = LegendrePolynomial3.apply
        y_pred = a + P3(c * x)
        loss = (y_pred - torch.sin(x)).pow(2).sum()
        loss.backward()
        out = [loss.detach(), a.grad, c.grad]
    """,
    # ... nn
    "examples_nn": """
        x = torch.linspace(-1.0, 1.0, 40, dtype=torch.float64)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.3]], dtype=torch.float64))
            model[0].bias.fill_(0.05)
        loss_fn = torch.nn.MSELoss(reduction='sum')
        for t in range(30):
            y_pred = model(xx)
            loss = loss_fn(y_pred, torch.sin(x))
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= 1e-3 * param.grad
        out = [model[0].weight.detach(), model[0].bias.detach(), loss.detach()]
    """,
    # ... optim (RMSprop)
    "examples_optim": """
        x = torch.linspace(-1.0, 1.0, 40, dtype=torch.float64)
        xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.3]], dtype=torch.float64))
            model[0].bias.zero_()
        loss_fn = torch.nn.MSELoss(reduction='sum')
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
        for t in range(30):
            loss = loss_fn(model(xx), torch.sin(x))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        out = [model[0].weight.detach(), model[0].bias.detach(), loss.detach()]
    """,
    # ... custom nn Module with dynamic control flow
    "examples_dynamic": """
        class DynamicNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.tensor(0.1, dtype=torch.float64))
                self.b = torch.nn.Parameter(torch.tensor(-0.2, dtype=torch.float64))
                self.e = torch.nn.Parameter(torch.tensor(0.05, dtype=torch.float64))

            def forward(self, x, k):
                y = self.a + self.b * x
                for exp in range(4, k):
                    y = y + self.e * x ** exp
                return y

        x = torch.linspace(-1.0, 1.0, 30, dtype=torch.float64)
        model = DynamicNet()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        for t in range(20):
            loss = (model(x, 4 + t % 3) - torch.sin(x)).pow(2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        out = [model.a.detach(), model.b.detach(), model.e.detach()]
    """,
    # blitz: neural networks (the graph walk included)
    "blitz_nn": """
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = torch.nn.Conv2d(1, 6, 5)
                self.conv2 = torch.nn.Conv2d(6, 16, 5)
                self.fc1 = torch.nn.Linear(16 * 5 * 5, 120)
                self.fc2 = torch.nn.Linear(120, 84)
                self.fc3 = torch.nn.Linear(84, 10)

            def forward(self, input):
                c1 = torch.nn.functional.relu(self.conv1(input))
                s2 = torch.nn.functional.max_pool2d(c1, (2, 2))
                c3 = torch.nn.functional.relu(self.conv2(s2))
                s4 = torch.nn.functional.max_pool2d(c3, 2)
                s4 = torch.flatten(s4, 1)
                f5 = torch.nn.functional.relu(self.fc1(s4))
                f6 = torch.nn.functional.relu(self.fc2(f5))
                return self.fc3(f6)

        net = Net().double()
        rng = np.random.default_rng(0)
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(torch.tensor(rng.uniform(-0.2, 0.2, tuple(p.shape))))
        input = torch.tensor(rng.standard_normal((1, 1, 32, 32)))
        target = torch.tensor(rng.standard_normal(10)).view(1, -1)
        criterion = torch.nn.MSELoss()
        output = net(input)
        loss = criterion(output, target)
        names = [type(loss.grad_fn).__name__ if not isinstance(loss.grad_fn, str) else 0]
        walk = loss.grad_fn.next_functions[0][0]
        net.zero_grad()
        loss.backward()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        optimizer.zero_grad()
        loss = criterion(net(input), target)
        loss.backward()
        optimizer.step()
        out = [output.detach(), net.conv1.bias.grad, net.fc3.weight.detach(),
               torch.tensor(len(list(net.parameters()))), torch.tensor(walk is not None)]
    """,
    # autograd notes: in-place ops and retain_grad
    "inplace_retain_grad": """
        x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y *= 3
        h = y.clone()
        h += torch.tanh(h)
        s = h.sum() + (y ** 2).mean()
        s.backward()
        out = [x.grad, y.grad, h.detach()]
    """,
    # micrograd's test_sanity_check / test_more_ops, checked against torch
    "micrograd_more_ops": """
        a = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        c = a + b
        d = a * b + b ** 3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e ** 2
        g = f / 2.0
        g = g + 10.0 / f
        g.backward()
        out = [g.detach(), a.grad, b.grad]
    """,
}


def _run(lib: object, src: str) -> list[np.ndarray]:
    scope = {"torch": lib, "np": np}
    if lib is torch:
        torch.manual_seed(0)
    else:
        autograd.manual_seed(0)
    exec(compile(textwrap.dedent(src), "<snippet>", "exec"), scope)
    return [np.asarray(o.detach().numpy() if hasattr(o, "detach") else o, dtype=float)
            for o in scope["out"]]


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tutorial_snippet_matches_pytorch(name: str) -> None:
    want = _run(torch, SNIPPETS[name])
    got = _run(autograd, SNIPPETS[name])
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.shape == w.shape, (name, k)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8, err_msg=f"{name} output {k}")
