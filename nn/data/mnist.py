"""MNIST from IDX files (raw or gzipped), checked against the published MD5 sums.

Files are looked for in `root`, else `$TRACEGRAD_DATA`, else `~/.cache/tracegrad/mnist`.
`download=True` fetches missing files from `MNIST.mirrors` (or `$TRACEGRAD_MNIST_MIRROR`,
a comma-separated list of base URLs), streamed to a temp file with a size cap (the file's
uncompressed size) and an overall deadline per file (`download_deadline`), verifying the
decompressed content (or, with `md5_of = "gz"`, the `.gz` file itself) before an atomic
rename into place. A mirror that fails in any way
(HTTP error, cut-off body, non-HTTP bytes, trickle, flood, wrong MD5) is reported and the
next one is tried.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .dataset import Dataset, _check_index
from .download import DownloadError, fetch

__all__ = ["MNIST", "IDXError", "parse_idx", "read_idx", "default_root"]

# dtype code (third magic byte) -> big-endian dtype, per the IDX format description
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """A file is not valid IDX data (bad magic, truncated, wrong shape) or fails its MD5."""


def default_root() -> Path:
    """Where MNIST lives when no root is given: `$TRACEGRAD_DATA` or ~/.cache/tracegrad/mnist."""
    env = os.environ.get("TRACEGRAD_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "tracegrad" / "mnist"


def parse_idx(buf: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode one IDX file's bytes into an array (native byte order); `name` is for errors."""
    if len(buf) < 4:
        raise IDXError(f"{name}: {len(buf)} bytes is too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", buf[:4])
    if zero != 0 or code not in _IDX_DTYPES:
        raise IDXError(
            f"{name}: bad IDX magic number 0x{buf[:4].hex()} (expected 0x0000 then a dtype "
            f"code in {sorted(hex(c) for c in _IDX_DTYPES)}); is this an MNIST file?"
        )
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise IDXError(f"{name}: truncated IDX header ({len(buf)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", buf[4:header])
    dtype = _IDX_DTYPES[code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(buf) != expected:
        what = "truncated" if len(buf) < expected else "has trailing bytes"
        raise IDXError(
            f"{name}: IDX file {what}: header says shape {tuple(dims)} ({expected} bytes), "
            f"file has {len(buf)} bytes"
        )
    arr = np.frombuffer(buf, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def _decompress(raw: bytes, name: str) -> bytes:
    """gunzip `raw` when it carries the gzip magic, else return it as is."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise IDXError(f"{name}: corrupt or truncated gzip data: {e}") from e


def read_idx(path: str | os.PathLike[str], md5: str | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw); with `md5`, verify the decompressed content first."""
    path = Path(path)
    content = _decompress(path.read_bytes(), str(path))
    if md5 is not None:
        _verify_md5(content, md5, str(path))
    return parse_idx(content, str(path))


def _verify_md5(
    content: bytes, expected: str, name: str, what: str = "the decompressed content"
) -> None:
    got = hashlib.md5(content).hexdigest()
    if got != expected:
        raise IDXError(
            f"{name}: MD5 mismatch of {what}: expected {expected}, got {got}; "
            "the file is corrupt or not the genuine file - delete it and download it again"
        )


class MNIST(Dataset):
    """The MNIST digits: `ds[i] == (image float32 (1, 28, 28) in [0, 1], label int)`.

    `.data` holds the uint8 images (N, 28, 28), `.targets` the int64 labels; `as_arrays()`
    returns the whole set as float arrays for full-batch training. `transform` is applied to
    each (1, 28, 28) image, `target_transform` to each label.

    `md5_of` says what the MD5s in `resources` are of: "content" (the decompressed IDX bytes,
    so raw and gzipped copies both verify) or "gz" (the `.gz` file as published; a raw copy
    a user decompressed by hand cannot be checked against it and is read unverified).
    """

    resources: ClassVar[dict[bool, tuple[tuple[str, str], tuple[str, str]]]] = {
        True: (
            ("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb"),
            ("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624"),
        ),
        False: (
            ("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea"),
            ("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637"),
        ),
    }
    md5_of: ClassVar[str] = "content"
    #: Environment variable holding comma-separated mirror base URLs that override `mirrors`.
    mirror_env: ClassVar[str] = "TRACEGRAD_MNIST_MIRROR"
    #: Base URLs tried in order; each must serve `<name>.gz`. `$TRACEGRAD_MNIST_MIRROR` wins.
    mirrors: ClassVar[list[str]] = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ]
    download_timeout: ClassVar[float] = 30.0  # seconds per socket wait
    download_deadline: ClassVar[float] = 600.0  # seconds for one whole file
    #: Uncompressed sizes in bytes: no genuine copy (gzipped or raw) is larger.
    sizes: ClassVar[dict[str, int]] = {
        "train-images-idx3-ubyte": 47_040_016,
        "train-labels-idx1-ubyte": 60_008,
        "t10k-images-idx3-ubyte": 7_840_016,
        "t10k-labels-idx1-ubyte": 10_008,
    }
    classes: ClassVar[list[str]] = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        download: bool = False,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else self._default_root()
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        (img_name, img_md5), (lbl_name, lbl_md5) = self.resources[self.train]
        if download:
            self.download()
        images = self._load(img_name, img_md5)
        labels = self._load(lbl_name, lbl_md5)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise IDXError(
                f"{img_name}: expected uint8 images (N, 28, 28), got {images.dtype} {images.shape}"
            )
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise IDXError(
                f"{lbl_name}: expected {images.shape[0]} labels, got shape {labels.shape}"
            )
        self.data: np.ndarray = images
        self.targets: np.ndarray = labels.astype(np.int64)

    # ------------------------------------------------------------------ files

    @classmethod
    def _default_root(cls) -> Path:
        return default_root()

    def _verify(self, raw: bytes, md5: str, name: str, downloaded: bool = False) -> bytes:
        """Check a file's bytes against `md5` as `md5_of` says; return the decompressed bytes."""
        if self.md5_of == "gz":
            if downloaded or raw[:2] == b"\x1f\x8b":
                _verify_md5(raw, md5, name, "the .gz file")
            return _decompress(raw, name)
        content = _decompress(raw, name)
        _verify_md5(content, md5, name)
        return content

    def _find(self, name: str) -> Path | None:
        for candidate in (self.root / name, self.root / f"{name}.gz"):
            if candidate.is_file():
                return candidate
        return None

    def _missing_error(self, names: list[str]) -> FileNotFoundError:
        expected = ", ".join(f"{n}[.gz]" for n in names)
        return FileNotFoundError(
            f"{type(self).__name__} files not found in {self.root}: missing {expected}. Put the "
            "files there (gzipped or not), pass root=..., set TRACEGRAD_DATA, or use download=True"
        )

    def _load(self, name: str, md5: str) -> np.ndarray:
        path = self._find(name)
        if path is None:
            names = [n for n, _ in self.resources[self.train]]
            missing = [n for n in names if self._find(n) is None]
            raise self._missing_error(missing)
        return parse_idx(self._verify(path.read_bytes(), md5, str(path)), str(path))

    @classmethod
    def _mirror_list(cls) -> list[str]:
        env = os.environ.get(cls.mirror_env)
        bases = [b.strip() for b in env.split(",") if b.strip()] if env else list(cls.mirrors)
        return [b if b.endswith("/") else b + "/" for b in bases]

    def download(self) -> None:
        """Fetch this split's missing files into `root`, verified, written atomically."""
        mirrors = self._mirror_list()
        if not mirrors:
            who = type(self).__name__
            raise RuntimeError(f"{who}.download: no mirrors configured ({who}.mirrors is empty)")
        for name, md5 in self.resources[self.train]:
            if self._find(name) is not None:
                continue
            self.root.mkdir(parents=True, exist_ok=True)
            errors = []
            for base in mirrors:
                url = f"{base}{name}.gz"

                def verify(tmp: Path, url: str = url, md5: str = md5) -> None:
                    self._verify(tmp.read_bytes(), md5, url, downloaded=True)

                staged = self.root / f"{name}.download"
                try:
                    fetch(
                        url,
                        staged,
                        max_bytes=self.sizes.get(name, 64 * 2**20) + 4096,
                        timeout=self.download_timeout,
                        deadline=self.download_deadline,
                        check=verify,
                    )
                except (DownloadError, IDXError) as e:
                    errors.append(str(e) if str(e).startswith(url) else f"{url}: {e}")
                    continue
                with open(staged, "rb") as f:
                    gz = f.read(2) == b"\x1f\x8b"
                os.replace(staged, self.root / (f"{name}.gz" if gz else name))
                break
            else:
                tried = "; ".join(errors)
                raise RuntimeError(
                    f"could not download {name} from {', '.join(mirrors)} ({tried}); put the "
                    f"files in {self.root} or set TRACEGRAD_DATA (mirrors: "
                    f"{type(self).__name__}.mirrors or {self.mirror_env})"
                )

    # ------------------------------------------------------------------ access

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        i = _check_index(index, len(self), type(self).__name__)
        img: Any = (self.data[i].astype(np.float32) / np.float32(255.0))[None]
        target: Any = int(self.targets[i])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """Images (B, 1, 28, 28) float32 and labels (B,) int64 at `indices`, vectorized.

        A transform marked `supports_batch` (all of `nn.data.transforms`) sees the whole
        batch; any other transform is applied image by image.
        """
        imgs = self.data[indices].astype(np.float32)[:, None] / np.float32(255.0)
        targets = self.targets[indices]
        if self.transform is not None:
            if getattr(self.transform, "supports_batch", False):
                imgs = np.asarray(self.transform(imgs))
            else:
                imgs = np.stack([np.asarray(self.transform(im)) for im in imgs])
        if self.target_transform is not None:
            targets = np.asarray([self.target_transform(int(t)) for t in targets])
        return imgs, targets

    def as_arrays(self, flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The whole split: images float32 (N, 1, 28, 28) in [0, 1] (or (N, 784)), labels int64.

        No transform is applied.
        """
        x = self.data.astype(np.float32) / np.float32(255.0)
        x = x.reshape(len(self), 784) if flatten else x[:, None]
        return x, self.targets

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split}, n={len(self)}, root={str(self.root)!r})"
