"""CIFAR-10 from its binary version (`cifar-10-binary.tar.gz`); tracegrad never unpickles.

Each `.bin` batch in `cifar-10-batches-bin/` is a run of 3073-byte records: one label byte,
then 1024 red, 1024 green and 1024 blue bytes of a row-major 32x32 image; `batches.meta.txt`
lists the class names, one per line. The archive's MD5 (c32a1d4ab5d03f1284b67883e8d87530) is
the one torchvision publishes for it (`torchvision.datasets.CIFAR10`'s binary counterpart,
https://www.cs.toronto.edu/~kriz/cifar.html). `download=True` streams the archive with
`nn.data.download.fetch` (size cap, deadline, next mirror on any failure incl. a wrong MD5 or
an unsafe member), then extracts it member by member into a temp folder inside `root` and
renames that folder into place, so a half-extracted set is never seen.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import numpy as np

from .dataset import Dataset, _check_index
from .download import DownloadError, fetch

__all__ = ["CIFAR10", "CIFARError"]

_RECORD = 1 + 3 * 32 * 32


class CIFARError(ValueError):
    """A CIFAR file is malformed (truncated batch, bad label), fails its MD5, or is unsafe."""


def _default_root() -> Path:
    env = os.environ.get("TRACEGRAD_DATA")
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "tracegrad"
    return base / "cifar10"


def read_cifar_bin(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch -> images uint8 (N, 32, 32, 3) HWC and labels int64 (N,)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % _RECORD:
        raise CIFARError(
            f"{path}: size {raw.size} is not a multiple of {_RECORD} (1 label byte + 3072 "
            "pixel bytes per record); the file is truncated or not a CIFAR-10 binary batch"
        )
    rec = raw.reshape(-1, _RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.size and labels.max() > 9:
        raise CIFARError(f"{path}: label {int(labels.max())} is out of range 0..9")
    images = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


class CIFAR10(Dataset):
    """CIFAR-10: `ds[i] == (image float32 (3, 32, 32) in [0, 1], label int)`.

    As `nn.data.MNIST`, items are CHW float arrays (not PIL images); `transform` sees that
    array, `target_transform` the label. `.data` is uint8 (N, 32, 32, 3) HWC like torchvision,
    `.targets` a list of ints, `.classes` the names from `batches.meta.txt`.
    """

    base_folder: ClassVar[str] = "cifar-10-batches-bin"
    filename: ClassVar[str] = "cifar-10-binary.tar.gz"
    tgz_md5: ClassVar[str] = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list: ClassVar[list[str]] = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list: ClassVar[list[str]] = ["test_batch.bin"]
    meta_file: ClassVar[str] = "batches.meta.txt"
    #: Base URLs tried in order; each must serve `cifar-10-binary.tar.gz`.
    mirrors: ClassVar[list[str]] = ["https://www.cs.toronto.edu/~kriz/"]
    max_bytes: ClassVar[int] = 180 * 2**20  # the genuine archive is 170,052,171 bytes
    download_timeout: ClassVar[float] = 30.0  # seconds per socket wait
    download_deadline: ClassVar[float] = 1800.0  # seconds for the whole archive

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else _default_root()
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        folder = self.root / self.base_folder
        names = (self.train_list if self.train else self.test_list) + [self.meta_file]
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise FileNotFoundError(
                f"CIFAR10 files not found in {folder}: missing {', '.join(missing)}. Extract "
                f"{self.filename} into {self.root}, pass root=..., set TRACEGRAD_DATA, or use "
                "download=True"
            )
        parts = [read_cifar_bin(folder / n) for n in names[:-1]]
        self.data: np.ndarray = np.concatenate([p[0] for p in parts])
        self.targets: list[int] = np.concatenate([p[1] for p in parts]).tolist()
        self._targets = np.asarray(self.targets, dtype=np.int64)
        meta = (folder / self.meta_file).read_text(encoding="utf-8").splitlines()
        self.classes: list[str] = [c.strip() for c in meta if c.strip()]
        self.class_to_idx: dict[str, int] = {c: i for i, c in enumerate(self.classes)}

    # ------------------------------------------------------------------ download

    def _complete(self) -> bool:
        folder = self.root / self.base_folder
        names = self.train_list + self.test_list + [self.meta_file]
        return all((folder / n).is_file() for n in names)

    def _check_archive(self, path: Path, name: str) -> None:
        """Reject an archive whose MD5 is wrong or with any member unsafe to extract."""
        h = hashlib.md5()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != self.tgz_md5:
            raise CIFARError(
                f"{name}: MD5 mismatch of the archive: expected {self.tgz_md5}, got "
                f"{h.hexdigest()}; not the genuine {self.filename}"
            )
        try:
            with tarfile.open(path, "r:gz") as tar:
                for member in tar.getmembers():
                    self._check_member(member, name)
        except (tarfile.TarError, OSError, EOFError) as e:
            raise CIFARError(f"{name}: corrupt or truncated tar.gz archive: {e}") from e

    def _check_member(self, member: tarfile.TarInfo, name: str) -> None:
        p = PurePosixPath(member.name)
        bad = (
            "an absolute path"
            if p.is_absolute() or member.name.startswith("\\")
            else "a '..' component"
            if ".." in p.parts
            else "a link"
            if member.issym() or member.islnk()
            else "not a regular file or folder"
            if not (member.isfile() or member.isdir())
            else f"outside {self.base_folder}/"
            if p.parts[:1] != (self.base_folder,)
            else None
        )
        if bad is not None:
            raise CIFARError(f"{name}: refusing unsafe tar member {member.name!r} ({bad})")

    def _extract(self, archive: Path) -> None:
        """Extract the checked archive into a temp folder in root, then rename it into place."""
        tmp = Path(tempfile.mkdtemp(prefix=".cifar10-", dir=self.root))
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar.getmembers():
                    self._check_member(member, str(archive))
                    dest = tmp.joinpath(*PurePosixPath(member.name).parts)
                    if member.isdir():
                        dest.mkdir(parents=True, exist_ok=True)
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None  # a regular file always has content
                    with src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out)
            final = self.root / self.base_folder
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp / self.base_folder, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def download(self) -> None:
        """Fetch and extract the archive into `root` unless all batches are already there."""
        if self._complete():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        archive = self.root / self.filename
        if archive.is_file():  # fetched before but not extracted: use it if it checks out
            try:
                self._check_archive(archive, str(archive))
            except CIFARError:
                archive.unlink()
            else:
                self._extract_checked(archive)
                return
        if not self.mirrors:
            raise RuntimeError("CIFAR10.download: no mirrors configured (CIFAR10.mirrors is empty)")
        errors = []
        for base in self.mirrors:
            url = f"{base if base.endswith('/') else base + '/'}{self.filename}"
            try:
                fetch(
                    url,
                    archive,
                    max_bytes=self.max_bytes,
                    timeout=self.download_timeout,
                    deadline=self.download_deadline,
                    check=lambda tmp, url=url: self._check_archive(tmp, url),
                )
            except (DownloadError, CIFARError) as e:
                errors.append(str(e) if str(e).startswith(url) else f"{url}: {e}")
                continue
            break
        else:
            raise RuntimeError(
                f"could not download {self.filename} from {', '.join(self.mirrors)} "
                f"({'; '.join(errors)}); extract it into {self.root} yourself or set "
                "TRACEGRAD_DATA (mirrors: CIFAR10.mirrors)"
            )
        self._extract_checked(archive)

    def _extract_checked(self, archive: Path) -> None:
        self._extract(archive)
        if not self._complete():
            raise CIFARError(
                f"{archive}: the archive lacks some of {self.train_list + self.test_list} or "
                f"{self.meta_file} under {self.base_folder}/"
            )

    # ------------------------------------------------------------------ access

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        i = _check_index(index, len(self), "CIFAR10")
        img: Any = self.data[i].transpose(2, 0, 1).astype(np.float32) / np.float32(255.0)
        target: Any = self.targets[i]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """Images (B, 3, 32, 32) float32 and labels (B,) int64 at `indices`, vectorized.

        A transform marked `supports_batch` sees the whole batch; any other, image by image.
        """
        imgs = self.data[indices].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255.0)
        targets = self._targets[indices]
        if self.transform is not None:
            if getattr(self.transform, "supports_batch", False):
                imgs = np.asarray(self.transform(imgs))
            else:
                imgs = np.stack([np.asarray(self.transform(im)) for im in imgs])
        if self.target_transform is not None:
            targets = np.asarray([self.target_transform(int(t)) for t in targets])
        return imgs, targets

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"CIFAR10(split={split}, n={len(self)}, root={str(self.root)!r})"
