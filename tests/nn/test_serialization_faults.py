"""Checkpoint faults found by attack (issue 14 cases 4 and 7): key collisions, deep nests,
huge keys, and temporary files left by a save killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn.serialization import MANIFEST, MAX_DEPTH, CheckpointError

ROOT = Path(__file__).resolve().parents[2]

# Every prefix and escape the encoding uses, mixed into random str keys.
_TRICKY = ["#0", "%230", "#", "%23", "[0]", "%5B0%5D", "[", "%5B", "0", "%", "/", "a/b", ""]
_keys = st.one_of(
    st.integers(-3, 3),
    st.sampled_from(_TRICKY),
    st.text(alphabet="#%[]/0a5B2", max_size=5),
)


def test_int_and_hash_string_keys_stay_apart(tmp_path: Path) -> None:
    a, b = np.zeros(2), np.ones(2)
    nn.save({0: a, "#0": b, "%230": b + 1}, tmp_path / "c.npz")
    back = nn.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(back[0], a)
    np.testing.assert_array_equal(back["#0"], b)
    np.testing.assert_array_equal(back["%230"], b + 1)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_keys, st.integers(0, 1000), min_size=1, max_size=8))
def test_key_encoding_is_injective(tmp_path_factory: pytest.TempPathFactory, d: dict) -> None:
    path = tmp_path_factory.mktemp("k") / "c.npz"
    obj = {k: np.array([v]) for k, v in d.items()}
    obj["nested"] = [{k: np.array([v, v]) for k, v in d.items()}]
    nn.save(obj, path)
    back = nn.load(path)
    assert set(back) == set(obj)
    for k, v in d.items():
        np.testing.assert_array_equal(back[k], [v])
        np.testing.assert_array_equal(back["nested"][0][k], [v, v])


def _deep(n: int) -> dict:
    node: dict = {"leaf": np.ones(1)}
    for _ in range(n):
        node = {"x": node}
    return node


def test_too_deep_a_nest_is_refused_at_save(tmp_path: Path) -> None:
    nn.save(_deep(MAX_DEPTH - 2), tmp_path / "ok.npz")
    assert nn.load(tmp_path / "ok.npz") is not None
    with pytest.raises(CheckpointError, match="nested deeper than"):
        nn.save(_deep(5000), tmp_path / "deep.npz")
    assert not list(tmp_path.glob(".deep.npz*"))


def test_a_manifest_nested_5000_deep_is_refused_at_load(tmp_path: Path) -> None:
    root = '{"t": "list", "items": [' * 5000 + '{"t": "none"}' + "]}" * 5000
    blob = '{"format": "tracegrad-checkpoint", "version": 1, "root": ' + root + "}"
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w") as zf, zf.open(MANIFEST + ".npy", "w") as f:
        np.lib.format.write_array(f, np.frombuffer(blob.encode(), dtype=np.uint8))
    with pytest.raises(CheckpointError, match="nested deeper than"):
        nn.load(path)


def test_a_70000_character_key_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="key path is .* bytes"):
        nn.save({"k" * 70_000: np.ones(1)}, tmp_path / "long.npz")
    assert not list(tmp_path.iterdir())


_SAVER = """
import sys, numpy as np, nn
big = np.ones(8_000_000)
while True:
    nn.save({"w": big}, sys.argv[1])
"""


def test_temp_files_of_a_killed_save_are_cleaned_by_the_next_save(tmp_path: Path) -> None:
    target = tmp_path / "ckpt.npz"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(target)], env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".ckpt.npz.*.tmp")) and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stale = list(tmp_path.glob(".ckpt.npz.*.tmp"))
    assert stale, "the killed saver left no temporary file to clean"
    nn.save({"w": np.zeros(3)}, target)
    assert not list(tmp_path.glob(".ckpt.npz.*.tmp"))
    np.testing.assert_array_equal(nn.load(target)["w"], np.zeros(3))


def test_temp_files_of_a_live_process_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "c.npz"
    mine = tmp_path / f".c.npz.{os.getppid()}.abcd.tmp"  # the parent process is alive
    mine.write_bytes(b"in progress")
    nn.save({"w": np.zeros(1)}, target)
    assert mine.exists()


def test_numpy_float64_scalars_stay_numpy_scalars(tmp_path: Path) -> None:
    nn.save({"x": np.float64(2.5), "y": 2.5}, tmp_path / "s.npz")
    back = nn.load(tmp_path / "s.npz")
    assert type(back["x"]) is np.float64 and type(back["y"]) is float
