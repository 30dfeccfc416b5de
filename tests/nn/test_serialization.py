"""nn.serialization: round trips, no pickle (RELIABILITY 27), atomic save (RELIABILITY 28)."""

from __future__ import annotations

import math
import pickle
import zipfile

import numpy as np
import pytest

from nn import serialization as ser
from nn.serialization import CheckpointError, check_state_dict_compat, load, save

PICKLED = "checkpoint contains pickled data; refusing to load"


class FakeTensor:
    """Anything with an ndarray `.data` is saved as that array."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


def optimizer_like_state() -> dict:
    return {
        "model": {
            "fc.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
            "fc.bias": FakeTensor(np.ones(3, dtype=np.float64)),
            "bn.num_batches_tracked": np.int64(7),
        },
        "optim": {
            "state": {
                0: {"step": 3, "exp_avg": np.zeros(4), "exp_avg_sq": np.full(4, 0.5)},
                1: {"step": 3, "momentum_buffer": None},
            },
            "param_groups": [
                {
                    "lr": 1e-3,
                    "betas": (0.9, 0.999),
                    "eps": 1e-8,
                    "amsgrad": False,
                    "params": [0, 1],
                    "name": "all",
                }
            ],
        },
        "epoch": 12,
        "best": float("inf"),
        "nan": float("nan"),
        "tiny": 5e-324,
        "masks": [np.array([True, False]), np.array([1 + 2j], dtype=np.complex64)],
        "weird/key%with.dots": np.arange(3, dtype=np.uint8),
        "unicode ключ": "значение",
        "": np.zeros((0, 2), dtype=np.int16),
    }


def assert_same(a, b, where="root"):
    assert type(a) is type(b) or (isinstance(a, FakeTensor) and isinstance(b, np.ndarray)), (
        where,
        type(a),
        type(b),
    )
    if isinstance(a, FakeTensor):
        a = a.data
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


def test_round_trip_preserves_structure_exactly(tmp_path):
    obj = optimizer_like_state()
    path = tmp_path / "ckpt.npz"
    save(obj, path)
    back = load(path)
    expected = dict(obj)
    expected["model"] = dict(obj["model"], **{"fc.bias": obj["model"]["fc.bias"].data})
    assert_same(expected, back)
    assert list(back["optim"]["state"]) == [0, 1]  # int keys stay ints
    assert isinstance(back["optim"]["param_groups"][0]["betas"], tuple)
    assert isinstance(back["model"]["bn.num_batches_tracked"], np.int64)
    assert back["tiny"] == 5e-324


@pytest.mark.parametrize("obj", [np.arange(5.0), [1, 2.5, None], {"a": {}}, {}, 3, "s"])
def test_round_trip_other_roots(tmp_path, obj):
    save(obj, tmp_path / "x")
    assert_same(obj, load(tmp_path / "x"))


def test_autograd_tensors_are_saved_as_their_data(tmp_path):
    import autograd as ag

    w = ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    save({"w": w, "b": ag.tensor(np.zeros(2))}, tmp_path / "c")
    back = load(tmp_path / "c")
    assert type(back["w"]) is np.ndarray and back["w"].dtype == np.float32
    np.testing.assert_array_equal(back["w"], w.data)


def test_path_used_as_given_and_compressed(tmp_path):
    path = tmp_path / "model.ckpt"
    save({"w": np.zeros((100, 100))}, path, compress=True)
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]
    assert path.stat().st_size < 10_000
    np.testing.assert_array_equal(load(str(path))["w"], np.zeros((100, 100)))


def test_archive_never_contains_pickle(tmp_path):
    path = tmp_path / "c.npz"
    save(optimizer_like_state(), path)
    with np.load(path, allow_pickle=False) as npz:  # every entry readable without pickle
        for k in npz.files:
            assert npz[k].dtype != object


def test_plain_npz_loads_as_flat_dict(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.ones(2), b=np.arange(3))
    back = load(path)
    assert sorted(back) == ["a", "b"]


# --------------------------------------------------------------------- case 27: refusals


@pytest.mark.parametrize(
    "value, what",
    [
        (np.array([{"a": 1}, None], dtype=object), "object"),
        (np.array(["a", "b"]), "<U1"),
        (np.zeros(2, dtype=[("x", "f4"), ("y", "i4")]), "dtype"),
        (object(), "object"),
        ({1.5: np.ones(1)}, "key 1.5"),
        (FakeTensor(np.array([None], dtype=object)), "object"),
    ],
)
def test_save_refuses_unsupported_values_naming_the_key(tmp_path, value, what):
    path = tmp_path / "c.npz"
    with pytest.raises(CheckpointError, match="layer.w") as info:
        save({"layer": {"w": value}}, path)
    assert what in str(info.value)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_cycles(tmp_path):
    d: dict = {"a": 1}
    d["self"] = d
    with pytest.raises(CheckpointError, match="contains itself"):
        save(d, tmp_path / "c")


def test_load_refuses_object_array_in_npz(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.ones(2), evil=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match=PICKLED):
        load(path)


def test_load_refuses_pickle_file(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"w": np.ones(2)}))
    with pytest.raises(ValueError, match=PICKLED):
        load(path)


def test_load_refuses_object_array_in_our_format(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save({"w": np.ones(2)}, path)
    # rewrite the one entry as a pickled object array, keeping the manifest
    with zipfile.ZipFile(path) as zf:
        manifest = zf.read(ser.MANIFEST + ".npy")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(ser.MANIFEST + ".npy", manifest)
        with zf.open("data/w.npy", "w") as f:
            np.lib.format.write_array(f, np.array([1, None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=PICKLED):
        load(path)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_file_gives_checkpoint_error(tmp_path, cut):
    path = tmp_path / "c.npz"
    save({"w": np.random.default_rng(0).standard_normal((64, 64))}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(CheckpointError, match=str(path)):
        load(path)


def test_corrupt_bytes_give_checkpoint_error(tmp_path):
    path = tmp_path / "c.npz"
    save({"w": np.arange(1000.0)}, path, compress=True)
    data = bytearray(path.read_bytes())
    for i in range(100, 400):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=str(path)):
        load(path)


@pytest.mark.parametrize(
    "payload",
    [b"", b"hello world, not a checkpoint", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100],
)
def test_foreign_file_gives_checkpoint_error(tmp_path, payload):
    path = tmp_path / "foreign.bin"
    path.write_bytes(payload)
    with pytest.raises(CheckpointError, match="not a tracegrad checkpoint"):
        load(path)


def test_single_npy_file_is_explained(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.ones(3))
    with pytest.raises(CheckpointError, match="single .npy array"):
        load(path)


def test_oversized_npy_header_gives_checkpoint_error(tmp_path):
    path = tmp_path / "big.npz"
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), " + " " * 200_000 + "}\n"
    body = b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header.encode() + b"\0" * 8
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", body)
    with pytest.raises(CheckpointError, match="truncated or corrupt.*Header info length") as e:
        load(path)
    assert str(path) in str(e.value)


def test_header_declaring_huge_shape_gives_checkpoint_error(tmp_path):
    path = tmp_path / "huge.npz"
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000,), }"
    header += " " * (63 - len(header) % 64) + "\n"
    body = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 8
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", body)
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load(path)


def test_corrupt_manifest_gives_checkpoint_error(tmp_path):
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open(ser.MANIFEST + ".npy", "w") as f:
            blob = np.frombuffer(
                b'{"format": "tracegrad-checkpoint", "version": 1, "root": {"t"', dtype=np.uint8
            )
            np.lib.format.write_array(f, blob, allow_pickle=False)
    with pytest.raises(CheckpointError, match="manifest"):
        load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.npz")


# --------------------------------------------------------------------- case 28: atomic save


def _tmp_leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name != "ckpt.npz"]


@pytest.mark.parametrize("fail_at", [0, 1, 3])
def test_failed_save_leaves_old_checkpoint_byte_identical(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(4), "step": 1}, path)
    before = path.read_bytes()

    real_write = ser._write_array
    calls = {"n": 0}

    def flaky_write(zf, name, arr):
        if calls["n"] == fail_at:
            raise OSError("disk full (injected)")
        calls["n"] += 1
        real_write(zf, name, arr)

    monkeypatch.setattr(ser, "_write_array", flaky_write)
    new_state = {"w": np.zeros(4), "b": np.zeros(2), "c": np.zeros(3), "d": np.zeros(1)}
    with pytest.raises(OSError, match="injected"):
        save(new_state, path)
    assert path.read_bytes() == before
    assert _tmp_leftovers(tmp_path) == []
    monkeypatch.undo()
    assert load(path)["step"] == 1


def test_interrupt_during_fsync_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(4)}, path)
    before = path.read_bytes()

    def boom(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(ser.os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.zeros(4)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _tmp_leftovers(tmp_path) == []


def test_target_never_seen_half_written(tmp_path, monkeypatch):
    """While the archive is being written, the target still holds the complete old file."""
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(4)}, path)
    before = path.read_bytes()
    real_write = ser._write_array
    seen = []

    def watching_write(zf, name, arr):
        seen.append(path.read_bytes() == before)
        real_write(zf, name, arr)

    monkeypatch.setattr(ser, "_write_array", watching_write)
    save({"w": np.zeros(4), "v": np.zeros(3)}, path)
    assert seen and all(seen)
    np.testing.assert_array_equal(load(path)["v"], np.zeros(3))
    assert _tmp_leftovers(tmp_path) == []


def test_save_into_missing_directory_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        save({"w": np.ones(1)}, tmp_path / "no" / "such" / "c.npz")


# --------------------------------------------------------------------- state-dict compat


def test_compat_lists_every_problem_pytorch_style():
    expected = {"fc.weight": np.zeros((10, 4)), "fc.bias": np.zeros(10), "bn.w": np.zeros(3)}
    loaded = {
        "fc.weight": np.zeros((10, 5)),
        "fc.bias": np.zeros(10, dtype=np.float32),
        "extra": np.zeros(1),
    }
    lines = check_state_dict_compat(expected, loaded)
    assert lines == [
        'Missing key(s) in state_dict: "bn.w".',
        'Unexpected key(s) in state_dict: "extra".',
        "size mismatch for fc.weight: copying a param with shape (10, 5) from checkpoint, "
        "the shape in current model is (10, 4).",
        "dtype mismatch for fc.bias: copying a param with dtype float32 from checkpoint, "
        "the dtype in current model is float64.",
    ]
    msg = ser.format_state_dict_errors(lines, "Net")
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\t")


def test_compat_clean_and_non_strict():
    exp = {"w": FakeTensor(np.zeros((2, 2), np.float32))}
    assert check_state_dict_compat(exp, {"w": np.ones((2, 2), np.float32)}) == []
    assert (
        check_state_dict_compat(
            exp, {"w": np.ones((2, 2)), "x": 1}, strict=False, check_dtype=False
        )
        == []
    )
