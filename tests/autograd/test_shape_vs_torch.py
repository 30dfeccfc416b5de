"""Shape, index, masking and movement ops against PyTorch: values and gradients in float64,
written the same way in both libraries (only `torch` renamed to `ag`)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

IDX = np.array([[0, 2, 1], [1, 0, 0]])
MASK = np.array([[True, False, True], [False, False, True]])

# name -> (input shapes, f(lib, *tensors)) with `lib` either autograd or torch
CASES = {
    "permute": ([(2, 3, 4)], lambda L, x: x.permute(2, 0, 1)),
    "view": ([(2, 3, 4)], lambda L, x: x.view(4, -1)),
    "reshape_as": ([(2, 6), (3, 4)], lambda L, x, y: x.reshape_as(y) * y),
    "expand": ([(3, 1)], lambda L, x: x.expand(3, 4)),
    "expand_as": ([(1, 4), (3, 4)], lambda L, x, y: x.expand_as(y) * y),
    "repeat": ([(2, 3)], lambda L, x: x.repeat(2, 1, 3)),
    "unsqueeze": ([(2, 3)], lambda L, x: x.unsqueeze(-1)),
    "squeeze_dim": ([(2, 1, 3)], lambda L, x: x.squeeze(1)),
    "squeeze_non1": ([(2, 3)], lambda L, x: x.squeeze(0)),
    "flatten": ([(2, 3, 4)], lambda L, x: x.flatten(1)),
    "unflatten": ([(2, 12)], lambda L, x: x.unflatten(1, (3, 4))),
    "movedim": ([(2, 3, 4)], lambda L, x: x.movedim(0, -1)),
    "swapaxes": ([(2, 3, 4)], lambda L, x: x.swapaxes(0, 2)),
    "transpose2": ([(2, 3, 4)], lambda L, x: x.transpose(0, 1)),
    "mT": ([(2, 3, 4)], lambda L, x: x.mT),
    "narrow": ([(4, 5)], lambda L, x: x.narrow(1, 1, 3)),
    "chunk": ([(4, 6)], lambda L, x: L.cat(x.chunk(3, dim=1)[::-1], dim=1)),
    "split_size": ([(5, 4)], lambda L, x: x.split(2, dim=0)[-1]),
    "split_list": ([(5, 4)], lambda L, x: L.cat(x.split([1, 4], dim=0)[::-1])),
    "unbind": ([(3, 4)], lambda L, x: L.stack(x.unbind(1)[::-1], dim=0)),
    "cat": ([(2, 3), (1, 3)], lambda L, x, y: L.cat([x, y], dim=0)),
    "stack": ([(2, 3), (2, 3)], lambda L, x, y: L.stack([x, y], dim=2)),
    "gather": ([(2, 3)], lambda L, x: x.gather(1, L.tensor(IDX))),
    "scatter_add": ([(2, 3), (2, 3)],
                    lambda L, x, y: x.scatter_add(1, L.tensor(IDX), y)),
    "index_select": ([(4, 3)], lambda L, x: x.index_select(0, L.tensor([3, 0, 3]))),
    "index_add": ([(4, 3), (2, 3)],
                  lambda L, x, y: x.index_add(0, L.tensor([1, 1]), y, alpha=2.0)),
    "masked_fill": ([(2, 3)], lambda L, x: x.masked_fill(L.tensor(MASK), 0.5)),
    "masked_select": ([(2, 3)], lambda L, x: x.masked_select(L.tensor(MASK))),
    "tril": ([(3, 4)], lambda L, x: x.tril(diagonal=1)),
    "triu": ([(2, 3, 3)], lambda L, x: L.triu(x, -1)),
    "where_scalar": ([(2, 3)], lambda L, x: L.where(L.tensor(MASK), x, 0.0)),
    "take_along_dim": ([(2, 3)], lambda L, x: L.take_along_dim(x, L.tensor(IDX), dim=1)),
    "flip": ([(2, 3, 4)], lambda L, x: x.flip(0, 2)),
    "roll": ([(3, 4)], lambda L, x: x.roll(shifts=(1, -2), dims=(0, 1))),
    "repeat_interleave": ([(2, 3)], lambda L, x: x.repeat_interleave(2, dim=1)),
    "tile": ([(2, 3)], lambda L, x: x.tile((2, 2))),
    "diag": ([(4,)], lambda L, x: L.diag(x, 1)),
    "diagonal": ([(3, 4)], lambda L, x: x.diagonal(offset=1)),
    "diag_embed": ([(2, 3)], lambda L, x: L.diag_embed(x)),
    "unfold": ([(2, 7)], lambda L, x: x.unfold(1, 3, 2)),
}


def _torch_or_ag(lib, arrays):
    if lib is torch:
        return [torch.tensor(a, requires_grad=True) for a in arrays]
    return [ag.tensor(a, requires_grad=True) for a in arrays]


class _Torch:
    """`torch` with `tensor()` that keeps int64 / bool like numpy arrays do."""

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def tensor(a):
        return torch.as_tensor(np.asarray(a))


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name: str) -> None:
    shapes, f = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = _torch_or_ag(ag, arrays)
    theirs = _torch_or_ag(torch, arrays)
    out, want = f(ag, *ours), f(_Torch(), *theirs)
    np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = rng.standard_normal(tuple(want.shape))
    (out * ag.tensor(weights)).sum().backward()
    (want * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        got = np.zeros_like(a.data) if a.grad is None else a.grad.data
        np.testing.assert_allclose(got, b.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_pad_modes_match_torch() -> None:
    import nn.functional as F

    x = np.random.default_rng(1).standard_normal((1, 2, 4, 5))
    for mode, pad in [("constant", (1, 2, 0, 1)), ("reflect", (2, 1, 1, 2)),
                      ("replicate", (1, 1, 2, 0)), ("circular", (1, 2, 1, 1)),
                      ("constant", (-1, 1, 1, -2))]:
        ours = F.pad(ag.tensor(x, requires_grad=True), pad, mode=mode)
        want = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode)
        np.testing.assert_allclose(ours.data, want.numpy(), rtol=0, atol=0)


def test_factories_follow_torch_dtypes_and_shapes() -> None:
    assert ag.arange(5).dtype == np.int64 and ag.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_allclose(ag.linspace(0, 1, 5).data, torch.linspace(0, 1, 5).numpy())
    np.testing.assert_allclose(ag.logspace(0, 2, 3).data, torch.logspace(0, 2, 3).numpy(),
                               rtol=1e-6)
    assert ag.zeros(2, 3, dtype=ag.float64).dtype == np.float64
    assert ag.ones((2, 3), requires_grad=True).requires_grad
    assert ag.full((2, 2), 7).data.tolist() == [[7, 7], [7, 7]]
    assert ag.eye(2, 3).shape == (2, 3)
    ag.manual_seed(3)
    a = ag.randint(0, 10, (4,)).data
    ag.manual_seed(3)
    assert (ag.randint(0, 10, (4,)).data == a).all() and a.dtype == np.int64
    assert sorted(ag.randperm(6).data.tolist()) == list(range(6))
    assert ag.randn_like(ag.zeros(2, 3)).shape == (2, 3)
