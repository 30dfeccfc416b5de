"""nn.data.FashionMNIST and nn.data.CIFAR10: tiny genuine-format files served over local HTTP."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest

from nn.data import CIFAR10, DataLoader, FashionMNIST, IDXError, datasets
from nn.data.cifar import CIFARError

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SPLITS = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("TRACEGRAD_DATA", raising=False)
    monkeypatch.delenv("TRACEGRAD_FASHION_MNIST_MIRROR", raising=False)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# ----------------------------------------------------------------------------- FashionMNIST


def idx_gz(arr: np.ndarray) -> bytes:
    """A gzipped IDX file of uint8 `arr`, as Zalando publishes them."""
    head = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return gzip.compress(head + arr.astype(np.uint8).tobytes(), mtime=0)


def fashion_mirror(folder: Path, seed: int) -> dict[bool, tuple[np.ndarray, np.ndarray, str, str]]:
    """Write both splits (5 train, 3 test images) into `folder`; return arrays and gz MD5s."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    out = {}
    for train, n in ((True, 5), (False, 3)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        img_gz, lbl_gz = idx_gz(images), idx_gz(labels)
        img_name, lbl_name = SPLITS[train]
        (folder / f"{img_name}.gz").write_bytes(img_gz)
        (folder / f"{lbl_name}.gz").write_bytes(lbl_gz)
        out[train] = (images, labels, md5(img_gz), md5(lbl_gz))
    return out


def patch_fashion_md5s(monkeypatch, files) -> None:
    resources = {
        train: ((SPLITS[train][0], files[train][2]), (SPLITS[train][1], files[train][3]))
        for train in (True, False)
    }
    monkeypatch.setattr(FashionMNIST, "resources", resources)


def test_fashion_download_round_trips(tmp_path, monkeypatch, http_mirror):
    files = fashion_mirror(tmp_path / "mirror", seed=0)
    patch_fashion_md5s(monkeypatch, files)
    monkeypatch.setattr(FashionMNIST, "mirrors", [http_mirror(tmp_path / "mirror")])
    root = tmp_path / "root"
    ds = FashionMNIST(root, train=True, download=True)
    images, labels, _, _ = files[True]
    assert len(ds) == 5 and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels)
    assert ds.classes[0] == "T-shirt/top" and ds.classes[9] == "Ankle boot"
    assert len(ds.classes) == 10
    img, label = ds[4]
    assert img.shape == (1, 28, 28) and img.dtype == np.float32
    np.testing.assert_allclose(img[0], images[4] / 255.0, rtol=1e-6)
    assert label == int(labels[4])
    assert sorted(p.name for p in root.iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]
    test = FashionMNIST(root, train=False, download=True)
    np.testing.assert_array_equal(test.data, files[False][0])
    assert repr(test).startswith("FashionMNIST(split=test, n=3")
    assert datasets.FashionMNIST is FashionMNIST


def test_fashion_constructor_is_torchvisions(tmp_path, monkeypatch, http_mirror):
    files = fashion_mirror(tmp_path / "mirror", seed=1)
    patch_fashion_md5s(monkeypatch, files)
    monkeypatch.setattr(FashionMNIST, "mirrors", [http_mirror(tmp_path / "mirror")])
    # positional (root, train, transform, target_transform), then download=
    ds = FashionMNIST(tmp_path / "root", False, lambda im: im * 2, lambda t: t + 100, True)
    img, label = ds[0]
    np.testing.assert_allclose(img[0], files[False][0][0].astype(np.float64) * 2 / 255.0, rtol=1e-6)
    assert label == int(files[False][1][0]) + 100


def test_fashion_wrong_gz_md5_rejected_and_next_mirror_used(tmp_path, monkeypatch, http_mirror):
    good = fashion_mirror(tmp_path / "good", seed=0)
    fashion_mirror(tmp_path / "bad", seed=7)  # valid files, other content: MD5 differs
    patch_fashion_md5s(monkeypatch, good)
    urls = [http_mirror(tmp_path / "bad"), http_mirror(tmp_path / "good")]
    monkeypatch.setenv("TRACEGRAD_FASHION_MNIST_MIRROR", ",".join(urls))
    ds = FashionMNIST(tmp_path / "root", train=True, download=True)
    np.testing.assert_array_equal(ds.data, good[True][0])

    monkeypatch.setenv("TRACEGRAD_FASHION_MNIST_MIRROR", urls[0])
    root2 = tmp_path / "root2"
    with pytest.raises(RuntimeError, match="MD5 mismatch of the .gz file") as info:
        FashionMNIST(root2, train=True, download=True)
    assert urls[0] in str(info.value) and "TRACEGRAD_FASHION_MNIST_MIRROR" in str(info.value)
    assert list(root2.iterdir()) == []


def test_fashion_local_gz_checked_against_gz_md5(tmp_path, monkeypatch):
    good = fashion_mirror(tmp_path / "good", seed=0)
    patch_fashion_md5s(monkeypatch, good)
    root = tmp_path / "root"
    root.mkdir()
    name = SPLITS[False][0]
    (root / f"{name}.gz").write_bytes(
        gzip.compress((tmp_path / "good" / f"{name}.gz").read_bytes())
    )
    (root / f"{SPLITS[False][1]}.gz").write_bytes(
        (tmp_path / "good" / f"{SPLITS[False][1]}.gz").read_bytes()
    )
    with pytest.raises(IDXError, match="MD5 mismatch of the .gz file"):
        FashionMNIST(root, train=False)


def test_fashion_default_root_and_missing_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(train=True)
    msg = str(info.value)
    assert msg.startswith(
        f"FashionMNIST files not found in {tmp_path / '.cache/tracegrad/fashion-mnist'}"
    )
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    monkeypatch.setenv("TRACEGRAD_DATA", str(tmp_path / "d"))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "d" / "fashion-mnist")):
        FashionMNIST(train=False)


# ----------------------------------------------------------------------------- CIFAR10

BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]


def cifar_records(rng: np.random.Generator, n: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """`n` binary records and the HWC images / labels they encode."""
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    planes = images.transpose(0, 3, 1, 2).reshape(n, 3072)  # R plane, G plane, B plane
    return np.concatenate([labels[:, None], planes], axis=1).tobytes(), images, labels


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def cifar_archive(path: Path, seed: int = 0, extra=None) -> dict[str, np.ndarray]:
    """Write a tiny cifar-10-binary.tar.gz (2 images per train batch, 3 test) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train_x, train_y = [], []
    with tarfile.open(path, "w:gz") as tar:
        folder = tarfile.TarInfo("cifar-10-batches-bin")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name in BATCHES:
            data, x, y = cifar_records(rng, 3 if name == "test_batch.bin" else 2)
            add_member(tar, f"cifar-10-batches-bin/{name}", data)
            if name == "test_batch.bin":
                test_x, test_y = x, y
            else:
                train_x.append(x)
                train_y.append(y)
        add_member(
            tar, "cifar-10-batches-bin/batches.meta.txt", ("\n".join(CLASSES) + "\n\n").encode()
        )
        if extra is not None:
            extra(tar)
    return {
        "train_x": np.concatenate(train_x),
        "train_y": np.concatenate(train_y),
        "test_x": test_x,
        "test_y": test_y,
        "md5": md5(path.read_bytes()),
    }


def test_cifar_download_round_trips(tmp_path, monkeypatch, http_mirror):
    want = cifar_archive(tmp_path / "mirror" / "cifar-10-binary.tar.gz")
    monkeypatch.setattr(CIFAR10, "tgz_md5", want["md5"])
    monkeypatch.setattr(CIFAR10, "mirrors", [http_mirror(tmp_path / "mirror")])
    root = tmp_path / "root"
    ds = CIFAR10(root, train=True, download=True)
    assert ds.data.shape == (10, 32, 32, 3) and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data, want["train_x"])
    assert ds.targets == want["train_y"].tolist() and isinstance(ds.targets[0], int)
    assert ds.classes == CLASSES and ds.class_to_idx["truck"] == 9
    img, label = ds[3]
    assert img.shape == (3, 32, 32) and img.dtype == np.float32
    np.testing.assert_allclose(img, want["train_x"][3].transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert 0.0 <= img.min() and img.max() <= 1.0
    assert label == int(want["train_y"][3])
    # a red pixel of the first record is the byte right after its label
    raw = (root / "cifar-10-batches-bin" / "data_batch_1.bin").read_bytes()
    assert ds.data[0, 0, 0, 0] == raw[1] and ds.data[0, 0, 1, 0] == raw[2]
    assert ds.data[0, 0, 0, 1] == raw[1 + 1024] and ds.data[0, 0, 0, 2] == raw[1 + 2048]
    assert sorted(p.name for p in root.iterdir()) == [
        "cifar-10-batches-bin",
        "cifar-10-binary.tar.gz",
    ]

    monkeypatch.setattr(CIFAR10, "mirrors", [])  # already there: no network needed
    test = CIFAR10(root, train=False, download=True)
    np.testing.assert_array_equal(test.data, want["test_x"])
    assert test.targets == want["test_y"].tolist()
    assert datasets.CIFAR10 is CIFAR10


def test_cifar_transform_and_loader(tmp_path, monkeypatch, http_mirror):
    want = cifar_archive(tmp_path / "mirror" / "cifar-10-binary.tar.gz")
    monkeypatch.setattr(CIFAR10, "tgz_md5", want["md5"])
    monkeypatch.setattr(CIFAR10, "mirrors", [http_mirror(tmp_path / "mirror")])
    ds = CIFAR10(tmp_path / "root", True, lambda im: im - 0.5, None, True)
    img, _ = ds[0]
    np.testing.assert_allclose(img, want["train_x"][0].transpose(2, 0, 1) / 255.0 - 0.5, atol=1e-6)
    xb, yb = next(iter(DataLoader(ds, batch_size=4, shuffle=False)))
    assert xb.shape == (4, 3, 32, 32) and xb.data.dtype == np.float32
    np.testing.assert_allclose(xb.data[1], ds[1][0], rtol=1e-6)
    np.testing.assert_array_equal(yb.data, want["train_y"][:4])


def test_cifar_wrong_md5_rejected_and_next_mirror_used(tmp_path, monkeypatch, http_mirror):
    cifar_archive(tmp_path / "bad" / "cifar-10-binary.tar.gz", seed=5)
    want = cifar_archive(tmp_path / "good" / "cifar-10-binary.tar.gz", seed=0)
    monkeypatch.setattr(CIFAR10, "tgz_md5", want["md5"])
    bad = http_mirror(tmp_path / "bad")
    monkeypatch.setattr(CIFAR10, "mirrors", [bad, http_mirror(tmp_path / "good")])
    ds = CIFAR10(tmp_path / "root", train=False, download=True)
    np.testing.assert_array_equal(ds.data, want["test_x"])

    monkeypatch.setattr(CIFAR10, "mirrors", [bad])
    root2 = tmp_path / "root2"
    with pytest.raises(RuntimeError, match="MD5 mismatch of the archive") as info:
        CIFAR10(root2, train=False, download=True)
    assert bad in str(info.value)
    assert list(root2.iterdir()) == []


def _dotdot(tar):
    add_member(tar, "../evil", b"pwned")


def _absolute(tar):
    add_member(tar, "/tmp/tracegrad-evil-abs", b"pwned")


def _symlink(tar):
    info = tarfile.TarInfo("cifar-10-batches-bin/link")
    info.type = tarfile.SYMTYPE
    info.linkname = "../../evil"
    tar.addfile(info)


def _outside(tar):
    add_member(tar, "elsewhere/evil", b"pwned")


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (_dotdot, r"'\.\./evil' \(a '\.\.' component\)"),
        (_absolute, r"'/tmp/tracegrad-evil-abs' \(an absolute path\)"),
        (_symlink, r"'cifar-10-batches-bin/link' \(a link\)"),
        (_outside, r"'elsewhere/evil' \(outside cifar-10-batches-bin/\)"),
    ],
)
def test_cifar_hostile_tar_is_refused(tmp_path, monkeypatch, http_mirror, extra, words):
    evil = cifar_archive(tmp_path / "evil" / "cifar-10-binary.tar.gz", extra=extra)
    monkeypatch.setattr(CIFAR10, "tgz_md5", evil["md5"])  # genuine MD5: only the members are bad
    monkeypatch.setattr(CIFAR10, "mirrors", [http_mirror(tmp_path / "evil")])
    root = tmp_path / "a" / "root"
    with pytest.raises(RuntimeError, match="refusing unsafe tar member " + words):
        CIFAR10(root, train=True, download=True)
    assert list(root.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["root"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "evil"]
    assert not Path("/tmp/tracegrad-evil-abs").exists()


def test_cifar_truncated_batch_is_a_clear_error(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    data, _, _ = cifar_records(np.random.default_rng(0), 3)
    (folder / "test_batch.bin").write_bytes(data[:-5])
    (folder / "batches.meta.txt").write_text("\n".join(CLASSES))
    with pytest.raises(CIFARError, match=r"test_batch.bin: size 9214 is not a multiple of 3073"):
        CIFAR10(tmp_path, train=False)


def test_cifar_missing_files_error_names_folder_and_files(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(tmp_path, train=True)
    msg = str(info.value)
    assert str(tmp_path / "cifar-10-batches-bin") in msg
    assert all(f"data_batch_{i}.bin" in msg for i in range(1, 6)) and "batches.meta.txt" in msg
    assert "download=True" in msg and "cifar-10-binary.tar.gz" in msg
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "home/.cache/tracegrad/cifar10")):
        CIFAR10(train=False)


def test_cifar_archive_left_in_root_is_verified_then_extracted(tmp_path, monkeypatch, http_mirror):
    evil = cifar_archive(tmp_path / "evil" / "cifar-10-binary.tar.gz", extra=_dotdot)
    good = cifar_archive(tmp_path / "good" / "cifar-10-binary.tar.gz")
    monkeypatch.setattr(CIFAR10, "tgz_md5", evil["md5"])
    monkeypatch.setattr(CIFAR10, "mirrors", [http_mirror(tmp_path / "evil")])
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match="refusing unsafe tar member"):
        CIFAR10(root, train=False, download=True)
    # a verified archive already in root is extracted without the network
    (root / "cifar-10-binary.tar.gz").write_bytes(
        (tmp_path / "good" / "cifar-10-binary.tar.gz").read_bytes()
    )
    monkeypatch.setattr(CIFAR10, "tgz_md5", good["md5"])
    monkeypatch.setattr(CIFAR10, "mirrors", [])
    np.testing.assert_array_equal(CIFAR10(root, train=False, download=True).data, good["test_x"])


def test_cifar_label_out_of_range_is_a_clear_error(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    data, _, _ = cifar_records(np.random.default_rng(0), 2)
    (folder / "test_batch.bin").write_bytes(bytes([12]) + data[1:])
    (folder / "batches.meta.txt").write_text("\n".join(CLASSES))
    with pytest.raises(CIFARError, match="test_batch.bin: label 12 is out of range 0..9"):
        CIFAR10(tmp_path, train=False)
