"""`.safetensors` checkpoints (issue 18 part 2): round trips, PyTorch interop, hostile files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from nn.serialization import CheckpointError

st = pytest.importorskip("safetensors.numpy")


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_round_trip_keeps_the_nest(tmp_path: Path) -> None:
    obj = {"model": {"0.weight": np.ones((2, 3), np.float32)}, "state": {0: {"m": np.arange(3)}},
           "epoch": 3, "lr": (0.1, [1, "two", None]), "flag": True, "x": np.float64(2.5)}
    nn.save(obj, tmp_path / "c.safetensors")
    back = nn.load(tmp_path / "c.safetensors")
    assert back["epoch"] == 3 and back["lr"] == (0.1, [1, "two", None]) and back["flag"] is True
    assert isinstance(back["x"], np.float64) and back["x"] == 2.5
    np.testing.assert_array_equal(back["state"][0]["m"], np.arange(3))
    assert back["model"]["0.weight"].dtype == np.float32


def test_flat_names_and_metadata_are_pytorch_style(tmp_path: Path) -> None:
    model, path = _net(), tmp_path / "m.safetensors"
    nn.save(model.state_dict(), path)
    flat = st.load_file(str(path))
    assert sorted(flat) == sorted(model.state_dict())
    (n,) = struct.unpack("<Q", path.read_bytes()[:8])
    meta = json.loads(path.read_bytes()[8 : 8 + n])["__metadata__"]
    assert meta["format"] == "tracegrad-checkpoint" and meta["dtype"] == "float32"
    assert "tracegrad" in meta


def test_optimizer_state_round_trips(tmp_path: Path) -> None:
    model = _net()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    nn.functional.mse_loss(model(ag.randn(5, 4)), ag.zeros(5, 3)).backward()
    opt.step()
    nn.save({"opt": opt.state_dict()}, tmp_path / "o.safetensors")
    fresh = optim.Adam(_net().parameters(), lr=1e-2)
    fresh.load_state_dict(nn.load(tmp_path / "o.safetensors")["opt"])
    assert fresh.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_names_that_collide_when_flattened_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="also the name of another value"):
        nn.save({"a.b": np.ones(1), "a": {"b": np.zeros(1)}}, tmp_path / "x.safetensors")
    assert not list(tmp_path.iterdir())


def test_a_file_from_another_tool_loads_flat(tmp_path: Path) -> None:
    st.save_file({"w": np.ones(2, np.float32)}, str(tmp_path / "f.safetensors"))
    back = nn.load(tmp_path / "f.safetensors")
    assert list(back) == ["w"] and back["w"].dtype == np.float32


def _valid(tmp_path: Path) -> bytes:
    st.save_file({"a": np.ones(4, np.float32), "b": np.zeros(2, np.float64)},
                 str(tmp_path / "v.safetensors"))
    return (tmp_path / "v.safetensors").read_bytes()


def _with_header(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda v: v[:5], "no header"),
        (lambda v: struct.pack("<Q", 10**6) + v[8:], "header claims 1000000 bytes"),
        (lambda v: struct.pack("<Q", 2**40) + v[8:], "over the"),
        (lambda v: v[:-3], "truncated file"),
        (lambda v: _with_header({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                                b"\0" * 12), "overlaps"),
        (lambda v: _with_header({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}},
                                b"\0" * 4), "dtype 'BF16'"),
        (lambda v: _with_header({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
                                b"\0" * 8), "needs 12 bytes"),
        (lambda v: _with_header({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}},
                                b"\0" * 4), "bad shape"),
        (lambda v: struct.pack("<Q", 4) + b"{{{{", "corrupt safetensors header"),
    ],
)
def test_hostile_files_are_clear_errors(tmp_path: Path, make, words) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(make(_valid(tmp_path)))
    with pytest.raises(CheckpointError, match=words) as info:
        nn.load(path)
    assert str(path) in str(info.value)


def test_a_failed_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "keep.safetensors"
    nn.save({"w": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError):
        nn.save({"w": np.ones(2, np.complex64)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.safetensors"]


@pytest.mark.torch
def test_state_dict_round_trips_through_pytorch(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    ours = _net()
    nn.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    theirs.load_state_dict(load_file(str(tmp_path / "ours.safetensors")))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(ag.tensor(x)).data, want, rtol=1e-6, atol=1e-6)

    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(0.5)
    save_file(theirs.state_dict(), str(tmp_path / "theirs.safetensors"))
    back = _net()
    back.load_state_dict(nn.load(tmp_path / "theirs.safetensors"))
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(back(ag.tensor(x)).data, want, rtol=1e-6, atol=1e-6)
