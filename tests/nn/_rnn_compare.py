"""Helpers shared by the recurrent tests: copy torch's weights into ours, run both on the
same leaves, backward a random projection, compare every gradient (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def _pair(tmod, mod):
    """Copy torch's weights into ours (through the state dict, so the keys must agree)."""
    tmod.double()
    assert list(mod.state_dict()) == list(tmod.state_dict())
    mod.load_state_dict({k: v.detach().numpy().copy() for k, v in tmod.state_dict().items()})
    return tmod, mod


def _leaves(*shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ag.Tensor(a, requires_grad=True) for a in arrays])


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _backward_both(tout, out):
    """Backward a random projection of every output, then return both output lists."""
    touts, outs = _flat(tout), _flat(out)
    assert len(touts) == len(outs)
    tl, ol = 0, 0
    for t, o in zip(touts, outs, strict=True):
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-9, atol=1e-12)
        w = rng.standard_normal(tuple(t.shape))
        tl = tl + (t * torch.tensor(w)).sum()
        ol = ol + (o * ag.Tensor(w)).sum()
    tl.backward()
    ol.backward()


def _assert_grads(tmod, mod, tins, ins):
    for (name, tp), (name2, p) in zip(tmod.named_parameters(), mod.named_parameters(),
                                      strict=True):
        assert name == name2
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-8, atol=1e-11,
                                   err_msg=name)
    for t, o in zip(tins, ins, strict=True):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-8, atol=1e-11)
