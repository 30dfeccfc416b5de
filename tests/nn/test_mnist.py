"""nn.data.MNIST: IDX parsing, MD5 checks, root resolution, download over local HTTP."""

from __future__ import annotations

import gzip
import shutil
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nn.data import MNIST, DataLoader, IDXError, parse_idx, read_idx
from nn.data import transforms as T

MNIST_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]

needs_mnist = pytest.mark.skipif(
    not all((MNIST_DIR / f"{f}.gz").is_file() for f in FILES),
    reason=f"MNIST files not found in {MNIST_DIR}",
)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("TRACEGRAD_DATA", raising=False)
    monkeypatch.delenv("TRACEGRAD_MNIST_MIRROR", raising=False)


@pytest.fixture(scope="module")
def train_set():
    if not MNIST_DIR.is_dir():
        pytest.skip(f"MNIST files not found in {MNIST_DIR}")
    return MNIST(MNIST_DIR, train=True)


# ----------------------------------------------------------------------------- IDX parsing


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    head = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_parse_idx_round_trip_dtypes():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(a)), a)
    b = np.arange(6, dtype=np.int32).reshape(2, 3) - 3
    out = parse_idx(idx_bytes(b, 0x0C))
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, b)
    f = np.linspace(0, 1, 5).astype(np.float32)
    np.testing.assert_array_equal(parse_idx(idx_bytes(f, 0x0D)), f)


@pytest.mark.parametrize(
    "buf, msg",
    [
        (b"\x00\x00", "too short"),
        (b"\x12\x34\x08\x01" + b"\0" * 8, "bad IDX magic number 0x12340801"),
        (b"\x00\x00\x07\x01" + b"\0" * 8, "bad IDX magic"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (struct.pack(">HBBI", 0, 8, 1, 10) + b"\0" * 9, r"truncated: header says shape \(10,\)"),
        (struct.pack(">HBBI", 0, 8, 1, 10) + b"\0" * 11, "trailing bytes"),
    ],
)
def test_parse_idx_errors_are_clear(buf, msg):
    with pytest.raises(IDXError, match=msg):
        parse_idx(buf, "somefile")


def test_read_idx_gz_and_raw(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(a))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), read_idx(tmp_path / "a.gz"))
    (tmp_path / "bad.gz").write_bytes(gzip.compress(idx_bytes(a))[:-10])
    with pytest.raises(IDXError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "bad.gz")


# ----------------------------------------------------------------------------- real data


@needs_mnist
def test_train_set_contents(train_set):
    ds = train_set
    assert len(ds) == 60000
    assert ds.data.shape == (60000, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.dtype == np.int64
    assert np.bincount(ds.targets, minlength=10).tolist() == TRAIN_COUNTS
    img, label = ds[0]
    assert img.shape == (1, 28, 28) and img.dtype == np.float32
    assert 0.0 <= img.min() and img.max() <= 1.0 and img.max() > 0.9
    assert isinstance(label, int) and label == int(ds.targets[0])
    x, t = ds.as_arrays()
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0], img)
    assert ds.as_arrays(flatten=True)[0].shape == (60000, 784)


@needs_mnist
def test_test_set_and_env_root(monkeypatch):
    monkeypatch.setenv("TRACEGRAD_DATA", str(MNIST_DIR))
    ds = MNIST(train=False)
    assert ds.root == MNIST_DIR and len(ds) == 10000
    assert np.bincount(ds.targets).sum() == 10000


@needs_mnist
def test_loader_over_mnist_uses_batch_path(train_set):
    sub_batches = DataLoader(train_set, batch_size=256, shuffle=True, seed=0)
    xb, yb = next(iter(sub_batches))
    assert xb.shape == (256, 1, 28, 28) and xb.data.dtype == np.float32
    assert yb.data.dtype == np.int64
    assert len(sub_batches) == 235


@needs_mnist
def test_transform_applied_per_item_and_per_batch(train_set):
    ds = MNIST(MNIST_DIR, train=False, transform=T.Normalize(0.1307, 0.3081))
    img, _ = ds[3]
    raw = ds.data[3].astype(np.float32)[None] / 255
    np.testing.assert_allclose(img, (raw - 0.1307) / 0.3081, rtol=1e-5)
    xb, _ = ds.get_batch(np.array([3, 4]))
    np.testing.assert_allclose(xb[0], img, rtol=1e-6)
    # a plain callable (no supports_batch) is applied image by image
    ds.transform = lambda im: im * 2
    xb, _ = ds.get_batch(np.array([3]))
    np.testing.assert_allclose(xb[0], raw * 2, rtol=1e-6)


# ----------------------------------------------------------------------------- files


def test_missing_files_error_names_dir_and_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path, train=True)
    msg = str(info.value)
    assert str(tmp_path) in msg
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    assert "TRACEGRAD_DATA" in msg and "download=True" in msg


def test_default_root_is_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / ".cache/tracegrad/mnist")):
        MNIST(train=False)


@needs_mnist
def test_flipped_byte_fails_md5(tmp_path):
    for f in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / f).write_bytes(gzip.decompress((MNIST_DIR / f"{f}.gz").read_bytes()))
    path = tmp_path / "t10k-images-idx3-ubyte"
    data = bytearray(path.read_bytes())
    data[5000] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IDXError, match="MD5 mismatch") as info:
        MNIST(tmp_path, train=False)
    assert str(path) in str(info.value)


# ----------------------------------------------------------------------------- download


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@needs_mnist
def test_download_over_http(tmp_path, monkeypatch, http_mirror):
    base = http_mirror(MNIST_DIR)
    monkeypatch.setattr(MNIST, "mirrors", [_closed_port_url(), base])  # first one is down
    root = tmp_path / "data" / "mnist"
    ds = MNIST(root, train=False, download=True)
    assert len(ds) == 10000
    names = sorted(p.name for p in root.iterdir())
    assert names == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]  # no temp files
    # second call finds the files and does not touch the network
    monkeypatch.setattr(MNIST, "mirrors", [_closed_port_url()])
    assert len(MNIST(root, train=False, download=True)) == 10000


@needs_mnist
def test_download_rejects_corrupt_mirror_and_uses_next(tmp_path, monkeypatch, http_mirror):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        raw = bytearray(gzip.decompress((MNIST_DIR / f"{f}.gz").read_bytes()))
        raw[-1] ^= 0xFF
        (bad / f"{f}.gz").write_bytes(gzip.compress(bytes(raw), compresslevel=1))
    good = tmp_path / "good"
    good.mkdir()
    for f in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        shutil.copy(MNIST_DIR / f"{f}.gz", good)
    monkeypatch.setenv("TRACEGRAD_MNIST_MIRROR", f"{http_mirror(bad)},{http_mirror(good)}")
    monkeypatch.setattr(MNIST, "mirrors", [])  # the env var wins
    root = tmp_path / "root"
    assert len(MNIST(root, train=False, download=True)) == 10000

    # only the corrupt mirror: a clear error, nothing left in root
    root2 = tmp_path / "root2"
    monkeypatch.setenv("TRACEGRAD_MNIST_MIRROR", http_mirror(bad))
    with pytest.raises(RuntimeError, match="MD5 mismatch"):
        MNIST(root2, train=False, download=True)
    assert list(root2.iterdir()) == []


def test_download_offline_error_is_clear(tmp_path, monkeypatch):
    url = _closed_port_url()
    monkeypatch.setattr(MNIST, "mirrors", [url])
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, train=True, download=True)
    msg = str(info.value)
    assert msg.startswith("could not download train-images-idx3-ubyte from " + url)
    assert f"put the files in {tmp_path}" in msg and "TRACEGRAD_DATA" in msg
    assert [p.name for p in tmp_path.iterdir()] == []


def test_download_http_404_is_clear(tmp_path, monkeypatch, http_mirror):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(MNIST, "mirrors", [http_mirror(empty)])
    with pytest.raises(RuntimeError, match="404"):
        MNIST(tmp_path / "root", train=False, download=True)


# ----------------------------------------------------------------------------- hostile mirrors


class _HostileMirror:
    """A real TCP server on 127.0.0.1 that misbehaves in one way (issue 14 case 6)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(4096)
                    self._answer(conn)
                except OSError:
                    pass  # the client hung up, as it should

    def _answer(self, conn: socket.socket) -> None:
        ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        if self.mode == "garbage":
            conn.sendall(b"SSH-2.0-OpenSSH_9.0 not http at all\r\n\r\n")
        elif self.mode == "incomplete":
            conn.sendall(ok + b"Content-Length: 100000\r\n\r\n" + b"\x1f\x8b" + b"x" * 100)
        elif self.mode == "trickle":
            conn.sendall(ok + b"Connection: close\r\n\r\n")
            end = time.monotonic() + 30  # the server's own bound
            while not self.stop.is_set() and time.monotonic() < end:
                conn.sendall(b"x")
                time.sleep(0.5)
        elif self.mode == "flood":
            conn.sendall(ok + b"Connection: close\r\n\r\n")
            block = b"\0" * 65536
            while not self.stop.is_set() and self.sent < 2**30:
                conn.sendall(block)
                self.sent += len(block)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=35)


@pytest.fixture
def hostile():
    made = []

    def make(mode: str) -> _HostileMirror:
        made.append(_HostileMirror(mode))
        return made[-1]

    yield make
    for m in made:
        m.close()


@needs_mnist
@pytest.mark.parametrize("mode", ["garbage", "incomplete", "trickle", "flood"])
def test_a_misbehaving_mirror_is_reported_and_the_next_is_tried(
    tmp_path, monkeypatch, http_mirror, hostile, mode
):
    bad = hostile(mode)
    monkeypatch.setattr(MNIST, "download_deadline", 2.0)
    monkeypatch.setattr(MNIST, "mirrors", [bad.url, http_mirror(MNIST_DIR)])
    root = tmp_path / "root"
    ds = MNIST(root, train=False, download=True)
    assert len(ds) == 10000
    assert sorted(p.name for p in root.iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    if mode == "flood":  # streamed with a cap, not buffered whole: stopped near the cap
        assert bad.sent < 64 * 2**20


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("garbage", "BadStatusLine"),
        ("incomplete", "IncompleteRead"),
        ("trickle", "did not finish within 1.5 s"),
        ("flood", "exceeds the expected size"),
    ],
)
def test_a_misbehaving_mirror_alone_gives_a_clear_error(
    tmp_path, monkeypatch, hostile, mode, words
):
    bad = hostile(mode)
    monkeypatch.setattr(MNIST, "download_deadline", 1.5)
    monkeypatch.setattr(MNIST, "mirrors", [bad.url])
    with pytest.raises(RuntimeError, match=words) as info:
        MNIST(tmp_path, train=False, download=True)
    assert bad.url in str(info.value)
    assert list(tmp_path.iterdir()) == []
