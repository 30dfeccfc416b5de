"""Checkpoints as NumPy .npz archives with a JSON manifest: no pickle, atomic writes.

`save(obj, path)` stores a state dict: a nest of dicts (str or int keys), lists and tuples
whose leaves are arrays (ndarray, or a Tensor/anything whose `.data` is an ndarray), NumPy
scalars, int, float, bool, str or None. Each array becomes one `.npy` entry of the archive,
named by its key path (`data/fc.weight`, `data/state/#0/exp_avg`, `data/groups/[0]` ...):
str keys are percent-escaped (so they never contain `/`, `#`, `[` or `]`), int keys are
written `#<n>` and list positions `[<i>]`, which makes the naming injective. The nest itself
and the Python scalars live in a JSON manifest stored as a uint8 array entry.

`load(path)` rebuilds the nest exactly: int keys stay ints, tuples stay tuples, floats keep
every bit (NaN and inf included), NumPy scalars stay NumPy scalars. Tensors come back as
ndarrays (their `.data`); `Module.load_state_dict` copies them into parameters. A plain
.npz of arrays written by `np.savez` (no manifest) loads as a flat dict of its arrays.

Safety: only bool/int/uint/float/complex arrays are written, never with pickle; `load`
reads with `allow_pickle=False` and refuses anything pickled. The file is written to a
temporary file in the same directory, fsynced and renamed over `path`, so a crash leaves
either the old checkpoint or the new one, never a mix; temporary files left by a killed save
carry its pid and are removed by the next save or load of the same path. `path` is used
exactly as given: no `.npz` suffix is appended. Nests deeper than `MAX_DEPTH` and keys whose
entry names exceed the zip format's 65,535 bytes are refused with `CheckpointError`.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

__all__ = [
    "CheckpointError",
    "save",
    "load",
    "check_state_dict_compat",
    "format_state_dict_errors",
]

FORMAT = "tracegrad-checkpoint"
VERSION = 1
MANIFEST = "__tracegrad_manifest__"
_ROOT = "data"
_ALLOWED_KINDS = "biufc"  # bool, signed, unsigned, float, complex
_MAX_MANIFEST_BYTES = 64 * 2**20
_PICKLED = "checkpoint contains pickled data; refusing to load"
MAX_DEPTH = 100  # nesting levels of dicts/lists/tuples a checkpoint may hold
_MAX_ENTRY_BYTES = 65_535 - len(".npy")  # the zip format's limit on a member name


class CheckpointError(ValueError):
    """A checkpoint cannot be written or read: unsupported value, corrupt or foreign file."""


# ----------------------------------------------------------------------------- save


def _array_of(obj: Any) -> np.ndarray | None:
    """The ndarray behind obj (an ndarray, or a Tensor-like whose `.data` is one), else None."""
    if isinstance(obj, np.ndarray):
        return obj
    data = getattr(obj, "data", None)
    if isinstance(data, np.ndarray) and not isinstance(obj, (np.generic, memoryview)):
        return data
    return None


def _check_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject or dtype.fields is not None:
        raise CheckpointError(
            f"cannot save {where!r}: dtype {dtype} is not supported (only bool, integer, "
            "float and complex arrays are stored; object arrays would need pickle)"
        )


def _escape(key: str) -> str:
    return quote(key, safe="")


class _Flattener:
    """Walk a nest into (manifest node, {entry name: array}).

    `dotted=False` names entries as the .npz archive does (`data/fc.weight`, `#0`, `[0]`,
    injective); `dotted=True` as PyTorch's flat state dicts (`fc.weight`, `state.0.exp_avg`),
    which safetensors files use, refusing two values that would get the same name.
    """

    def __init__(self, dotted: bool = False) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()
        self.dotted = dotted

    def _join(self, entry: str, part: str) -> str:
        if not self.dotted:
            return f"{entry}/{part}"
        return f"{entry}.{part}" if entry else part

    def node(self, obj: Any, entry: str, where: str, depth: int = 0) -> dict[str, Any]:
        # NumPy scalars first (np.float64 is a float subclass), then bool (an int subclass)
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, np.generic):
            _check_dtype(obj.dtype, where)
            self.arrays[self._entry(entry, where)] = np.asarray(obj)
            return {"t": "scalar", "entry": entry}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": int(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": float(obj).hex()}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        arr = _array_of(obj)
        if arr is not None:
            _check_dtype(arr.dtype, where)
            self.arrays[self._entry(entry, where)] = arr
            return {"t": "array", "entry": entry}
        if isinstance(obj, (Mapping, list, tuple)):
            if id(obj) in self._active:
                raise CheckpointError(f"cannot save {where!r}: the structure contains itself")
            if depth >= MAX_DEPTH:
                raise CheckpointError(
                    f"cannot save {where[:80]!r}...: nested deeper than {MAX_DEPTH} levels"
                )
            self._active.add(id(obj))
            try:
                return self._container(obj, entry, where, depth + 1)
            finally:
                self._active.discard(id(obj))
        raise CheckpointError(
            f"cannot save {where!r}: values of type {type(obj).__name__} are not supported "
            "(use arrays, Tensors, int, float, bool, str, None, and dicts/lists/tuples of them)"
        )

    def _entry(self, entry: str, where: str) -> str:
        if entry in self.arrays:
            raise CheckpointError(
                f"cannot save {where!r}: its flat name {entry!r} is also the name of another "
                "value (safetensors files store one flat, dotted name per array)"
            )
        if len(entry.encode()) > _MAX_ENTRY_BYTES:
            raise CheckpointError(
                f"cannot save {where[:60]!r}...: its key path is {len(entry.encode())} bytes "
                f"once escaped; the archive format allows {_MAX_ENTRY_BYTES}"
            )
        return entry

    def _container(self, obj: Any, entry: str, where: str, depth: int) -> dict[str, Any]:
        if isinstance(obj, Mapping):
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, int, np.integer)):
                    raise CheckpointError(
                        f"cannot save {where!r}: dict key {k!r} of type {type(k).__name__} is "
                        "not supported (only str and int keys)"
                    )
                if isinstance(k, str):
                    key, part = ["s", k], k if self.dotted else _escape(k)
                else:  # escaped str keys never hold '#', so '#<n>' cannot clash with one
                    key, part = ["i", int(k)], str(int(k)) if self.dotted else f"#{int(k)}"
                sub = f"{where}.{k}" if where else str(k)
                items.append([key, self.node(v, self._join(entry, part), sub, depth)])
            return {"t": "dict", "items": items}
        kind = "list" if isinstance(obj, list) else "tuple"
        return {
            "t": kind,
            "items": [
                self.node(v, self._join(entry, str(i) if self.dotted else f"[{i}]"),
                          f"{where}[{i}]", depth)
                for i, v in enumerate(obj)
            ],
        }


def _write_array(zf: zipfile.ZipFile, name: str, arr: np.ndarray) -> None:
    """Write one array as `<name>.npy` into the archive, refusing pickle."""
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def manifest_json(root: dict[str, Any]) -> str:
    """The JSON manifest text for a flattened nest (`root` from `_Flattener.node`)."""
    return json.dumps({"format": FORMAT, "version": VERSION, "root": root},
                      ensure_ascii=True, allow_nan=False)


def save(obj: Any, path: str | os.PathLike[str], compress: bool = False) -> None:
    """Write the state dict `obj` to `path` atomically, without pickle.

    A path ending in `.safetensors` is written in that format (see `nn.safetensors_io`);
    any other as an .npz archive with a JSON manifest. Every value is validated before
    anything touches the disk; on any failure the previous file at `path` is left
    byte-identical and no temporary file remains.

    >>> save({"w": np.ones(3), "step": 5}, "ckpt.npz")  # doctest: +SKIP
    """
    path = Path(os.fspath(path))
    if path.suffix == ".safetensors":
        from nn import safetensors_io

        safetensors_io.save(obj, path)
        return
    flat = _Flattener()
    root = flat.node(obj, _ROOT, "")
    blob = manifest_json(root).encode("ascii")
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED

    def write(f: Any) -> None:
        with zipfile.ZipFile(f, mode="w", compression=compression, allowZip64=True) as zf:
            _write_array(zf, MANIFEST, np.frombuffer(blob, dtype=np.uint8))
            for name, arr in flat.arrays.items():
                _write_array(zf, name, arr)

    atomic_write(path, write)


def atomic_write(path: Path, write: Any) -> None:
    """Call `write(file)` on a temp file beside `path`, fsync, then rename it over `path`."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot save checkpoint to {path}: {directory} is not a directory")
    remove_stale_temps(path)
    tmp = str(directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete temporary files a killed `save` of `path` left behind (their pid is gone)."""
    removed = []
    directory = path.parent if str(path.parent) else Path(".")
    try:
        candidates = list(directory.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        middle = tmp.name[len(path.name) + 2 : -len(".tmp")].split(".")
        if len(middle) != 2 or not middle[0].isdigit():
            continue
        pid = int(middle[0])
        if pid != os.getpid() and not _pid_alive(pid):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed


def glob_escape(name: str) -> str:
    """`name` with glob metacharacters made literal."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ----------------------------------------------------------------------------- load


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    """Read one .npy member: check its header (objects, declared size) first, never unpickle."""
    member = info.filename
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise CheckpointError(f"{path}: entry {member!r} has unsupported .npy version")
        if dtype.hasobject:
            raise CheckpointError(f"{_PICKLED} ({path}: entry {member!r} is an object array)")
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if declared > info.file_size:
            raise CheckpointError(
                f"{path}: entry {member!r} is truncated or corrupt: its header declares "
                f"shape {shape} of {dtype} ({declared} bytes) but the entry holds "
                f"{info.file_size} bytes"
            )
    with zf.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


class _Builder:
    def __init__(self, arrays: dict[str, np.ndarray], path: Path) -> None:
        self.arrays = arrays
        self.path = path

    def bad(self, why: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: corrupt checkpoint manifest: {why}")

    def build(self, node: Any, depth: int = 0) -> Any:
        if not isinstance(node, dict) or "t" not in node:
            raise self.bad(f"node {node!r:.80} is not an object with a type")
        t = node["t"]
        if t == "none":
            return None
        if t in ("bool", "int", "str"):
            v = node.get("v")
            want = {"bool": bool, "int": int, "str": str}[t]
            if type(v) is not want:
                raise self.bad(f"{t} node holds {type(v).__name__}")
            return v
        if t == "float":
            try:
                return float.fromhex(node["v"])
            except (KeyError, TypeError, ValueError) as e:
                raise self.bad(f"float node {node!r:.80}") from e
        if t in ("array", "scalar"):
            entry = node.get("entry")
            if entry not in self.arrays:
                raise self.bad(f"entry {entry!r} is listed but not in the archive")
            arr = self.arrays[entry]
            if t == "scalar":
                if arr.ndim != 0:
                    raise self.bad(f"scalar entry {entry!r} has shape {arr.shape}")
                return arr[()]
            return arr
        if t in ("list", "tuple", "dict") and depth >= MAX_DEPTH:
            raise self.bad(f"nested deeper than {MAX_DEPTH} levels")
        if t in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self.bad(f"{t} node without items")
            out = [self.build(v, depth + 1) for v in items]
            return out if t == "list" else tuple(out)
        if t == "dict":
            items = node.get("items")
            if not isinstance(items, list):
                raise self.bad("dict node without items")
            result: dict[Any, Any] = {}
            for item in items:
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)):
                    raise self.bad(f"dict item {item!r:.80}")
                (kind, key), value = item[0], item[1]
                if not ((kind == "s" and type(key) is str) or (kind == "i" and type(key) is int)):
                    raise self.bad(f"dict key {item[0]!r:.80}")
                result[key] = self.build(value, depth + 1)
            return result
        raise self.bad(f"unknown node type {t!r:.40}")


def _sniff(head: bytes, path: Path) -> None:
    """Refuse pickles and non-zip files early with a message that says what the file is."""
    if head[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
        raise CheckpointError(f"{_PICKLED} ({path} is a pickle file)")
    if head.startswith(b"\x93NUMPY"):
        raise CheckpointError(
            f"{path}: is a single .npy array, not a checkpoint archive (use np.load)"
        )
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise CheckpointError(
            f"{path}: not a tracegrad checkpoint (not an .npz/zip archive; starts with "
            f"{head[:8]!r})"
        )


def _read_archive(fh: Any, path: Path) -> dict[str, np.ndarray]:
    """All arrays of the zip archive open in `fh`, every failure turned into CheckpointError."""
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            others = [i.filename for i in infos if not i.filename.endswith(".npy")]
            if others:
                raise CheckpointError(
                    f"{path}: not a tracegrad checkpoint (unexpected archive members {others[:3]})"
                )
            for i in infos:
                if i.filename == MANIFEST + ".npy" and i.file_size > _MAX_MANIFEST_BYTES:
                    raise CheckpointError(f"{path}: manifest is implausibly large; refusing it")
            return {i.filename[: -len(".npy")]: _read_entry(zf, i, path) for i in infos}
    except CheckpointError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        zlib.error,
        OverflowError,
        MemoryError,
        ValueError,
        KeyError,
        NotImplementedError,
    ) as e:
        text = str(e)
        if isinstance(e, ValueError) and (
            "Object arrays cannot be loaded" in text or "pickled data" in text
        ):
            raise CheckpointError(f"{_PICKLED} ({path})") from e
        raise CheckpointError(
            f"{path}: truncated or corrupt checkpoint ({type(e).__name__}: {e})"
        ) from e


def load(path: str | os.PathLike[str]) -> Any:
    """Read a checkpoint written by `save` (or a plain `np.savez` archive) without pickle.

    Raises `CheckpointError` (a ValueError) naming the path for truncated, corrupt or foreign
    files, and `ValueError("checkpoint contains pickled data; refusing to load")` for
    pickles or object arrays.
    """
    path = Path(os.fspath(path))
    remove_stale_temps(path)
    if path.suffix == ".safetensors":
        from nn import safetensors_io

        return safetensors_io.load(path)
    with open(path, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise CheckpointError(f"{path}: not a regular file")
        _sniff(fh.read(8), path)
        fh.seek(0)
        arrays = _read_archive(fh, path)
    if MANIFEST not in arrays:
        return arrays  # a plain np.savez archive: its arrays by name
    blob = arrays.pop(MANIFEST)
    if blob.dtype != np.uint8 or blob.ndim != 1:
        raise CheckpointError(f"{path}: corrupt checkpoint manifest (entry has dtype "
                              f"{blob.dtype} and shape {blob.shape})")
    return build_from_manifest(blob.tobytes(), arrays, path)


def build_from_manifest(blob: bytes, arrays: dict[str, np.ndarray], path: Path) -> Any:
    """Rebuild the saved nest from its JSON manifest and the arrays it names."""
    try:
        manifest = json.loads(blob.decode("ascii"))
    except RecursionError:
        raise CheckpointError(
            f"{path}: corrupt checkpoint manifest (nested deeper than {MAX_DEPTH} levels)"
        ) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint manifest ({e})") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a tracegrad checkpoint (unknown manifest format)")
    if manifest.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {manifest.get('version')!r} is not supported "
            f"by this tracegrad (reads version {VERSION})"
        )
    return _Builder(arrays, path).build(manifest.get("root"))


# ----------------------------------------------------------------------------- compat


def _shape_dtype(value: Any) -> tuple[tuple[int, ...], np.dtype | None]:
    arr = _array_of(value)
    if arr is not None:
        return tuple(arr.shape), arr.dtype
    if isinstance(value, np.generic):
        return (), value.dtype
    return tuple(np.shape(value)), None


def check_state_dict_compat(
    expected: Mapping[str, Any],
    loaded: Mapping[str, Any],
    strict: bool = True,
    check_dtype: bool = True,
) -> list[str]:
    """PyTorch-style problems loading `loaded` into a model whose state is `expected`.

    Returns message lines, empty when compatible: "Missing key(s) in state_dict: ...",
    "Unexpected key(s) in state_dict: ..." (both only when `strict`), one
    "size mismatch for k: ..." per shape difference and, with `check_dtype`, one
    "dtype mismatch for k: ..." per dtype difference. `Module.load_state_dict` raises with
    all of them at once (see `format_state_dict_errors`) before copying anything.

    >>> check_state_dict_compat({"fc.weight": np.zeros((10, 4))}, {"fc.weight": np.zeros((10, 5))})
    ['size mismatch for fc.weight: copying a param with shape (10, 5) from checkpoint, the shape in current model is (10, 4).']
    """  # noqa: E501
    lines = []
    if strict:
        missing = [k for k in expected if k not in loaded]
        unexpected = [k for k in loaded if k not in expected]
        if missing:
            keys = ", ".join(f'"{k}"' for k in missing)
            lines.append(f"Missing key(s) in state_dict: {keys}.")
        if unexpected:
            keys = ", ".join(f'"{k}"' for k in unexpected)
            lines.append(f"Unexpected key(s) in state_dict: {keys}.")
    for k, want in expected.items():
        if k not in loaded:
            continue
        want_shape, want_dtype = _shape_dtype(want)
        got_shape, got_dtype = _shape_dtype(loaded[k])
        if want_shape != got_shape:
            lines.append(
                f"size mismatch for {k}: copying a param with shape {got_shape} from "
                f"checkpoint, the shape in current model is {want_shape}."
            )
        elif check_dtype and want_dtype is not None and got_dtype is not None:
            if want_dtype != got_dtype:
                lines.append(
                    f"dtype mismatch for {k}: copying a param with dtype {got_dtype} from "
                    f"checkpoint, the dtype in current model is {want_dtype}."
                )
    return lines


def format_state_dict_errors(lines: list[str], name: str = "Module") -> str:
    """Join `check_state_dict_compat` lines into PyTorch's one error message for `name`."""
    body = "\n\t".join(lines)
    return f"Error(s) in loading state_dict for {name}:\n\t{body}"
