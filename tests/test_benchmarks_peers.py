"""benchmarks.peers: the PyTorch twins of the ResNet-18 and TransformerLM workloads have the
layout of tracegrad's models (same state-dict names and shapes, hence the same work)."""

from __future__ import annotations

import pytest

from tracegrad.cli.bench import LM, RESNET, lm_data, resnet_data

torch = pytest.importorskip("torch")


def _shapes(state: dict) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items() if "num_batches_tracked" not in k}


@pytest.mark.torch
def test_torch_resnet18_matches_ours_layout() -> None:
    from benchmarks.peers import torch_resnet18
    from nn.models import ResNet18

    ours = ResNet18(num_classes=RESNET["classes"]).state_dict()
    assert _shapes(torch_resnet18(torch).state_dict()) == _shapes(ours)
    x, t = resnet_data()
    assert x.shape == (32, 3, 32, 32) and t.shape == (32,) and t.max() < RESNET["classes"]


@pytest.mark.torch
def test_torch_transformer_lm_parameter_count_matches_ours() -> None:
    from benchmarks.peers import torch_transformer_lm
    from nn.models import TransformerLM

    ours = sum(p.data.size for p in TransformerLM(**LM).parameters())
    theirs = sum(p.numel() for p in torch_transformer_lm(torch).parameters())
    assert theirs == ours
    idx, nxt = lm_data()
    assert idx.shape == nxt.shape == (16, 64)
    assert (idx[:, 1:] == nxt[:, :-1]).all()


@pytest.mark.torch
def test_torch_workload_steps_run() -> None:
    from benchmarks.peers import torch_makers

    step = torch_makers(torch)["transformer_lm_step"]()
    step()
