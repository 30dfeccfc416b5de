"""Checkpoints in the safetensors format, beside .npz (`nn.save`/`nn.load` pick it by suffix).

A state dict is stored under PyTorch's flat, dotted names (`fc.weight`, `state.0.exp_avg`),
so `safetensors.torch.load_file` reads it straight into a PyTorch model; tracegrad's JSON
manifest rides in the header's `__metadata__` so `nn.load` rebuilds the exact nest (int keys,
tuples, Python scalars). The header is checked by hand before the `safetensors` package reads
anything: a truncated header, a header that claims more bytes than the file has, offsets that
overlap or leave gaps, a size that does not match its shape, or a dtype NumPy cannot hold is
a `CheckpointError` naming the file, and nothing is half-loaded. Writes are atomic.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from nn.serialization import (
    FORMAT,
    CheckpointError,
    _Flattener,
    atomic_write,
    build_from_manifest,
    manifest_json,
)

__all__ = ["save", "load", "read_header"]

_MANIFEST_KEY = "tracegrad_manifest"
_MAX_HEADER = 100 * 2**20  # the safetensors package's own limit
# safetensors dtype names NumPy can hold, with their item sizes
_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "U16": np.uint16, "I16": np.int16,
    "U32": np.uint32, "I32": np.int32, "U64": np.uint64, "I64": np.int64,
    "F16": np.float16, "F32": np.float32, "F64": np.float64,
}


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise ImportError(
            "saving or loading .safetensors needs the `safetensors` package: "
            "pip install safetensors (or tracegrad[safetensors])"
        ) from exc
    return safetensors.numpy


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tracegrad")
    except Exception:  # a source checkout that is not installed
        return "source"


def save(obj: Any, path: Path) -> None:
    """Write the nest `obj` as `path` (.safetensors), atomically."""
    st = _safetensors_numpy()
    flat = _Flattener(dotted=True)
    root = flat.node(obj, "", "")
    for name, arr in flat.arrays.items():
        if arr.dtype.kind == "c":
            raise CheckpointError(f"cannot save {name!r}: safetensors has no complex dtype "
                                  f"({arr.dtype}); use a .npz path")
    floats = sorted({str(a.dtype) for a in flat.arrays.values() if a.dtype.kind == "f"})
    metadata = {
        "format": FORMAT,
        "tracegrad": _version(),
        "dtype": floats[0] if len(floats) == 1 else ",".join(floats) or "none",
        _MANIFEST_KEY: manifest_json(root),
    }
    arrays = {k: np.require(v, requirements="C") for k, v in flat.arrays.items()}  # keeps 0-d
    blob = st.save(arrays, metadata=metadata)
    atomic_write(path, lambda f: f.write(blob))


def read_header(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The tensor entries and metadata of a safetensors file, every field checked."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path}: truncated safetensors file ({size} bytes, no header)")
        (n,) = struct.unpack("<Q", head)
        if n > _MAX_HEADER:
            raise CheckpointError(f"{path}: safetensors header claims {n} bytes (over the "
                                  f"{_MAX_HEADER}-byte limit)")
        if 8 + n > size:
            raise CheckpointError(f"{path}: safetensors header claims {n} bytes but the file "
                                  f"has {size - 8} after the length")
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(f"{path}: corrupt safetensors header ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: corrupt safetensors header (not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise CheckpointError(f"{path}: corrupt safetensors metadata (must map str to str)")
    data_len = size - 8 - n
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise CheckpointError(f"{path}: tensor {name!r}: entry is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _DTYPES:
            raise CheckpointError(f"{path}: tensor {name!r} has dtype {dtype!r}, which "
                                  f"tracegrad does not support ({', '.join(_DTYPES)})")
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise CheckpointError(f"{path}: tensor {name!r} has a bad shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"{path}: tensor {name!r} has bad data_offsets {offsets!r}")
        want = int(np.prod(shape, dtype=np.int64)) * np.dtype(_DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != want:
            raise CheckpointError(f"{path}: tensor {name!r} of shape {tuple(shape)} {dtype} "
                                  f"needs {want} bytes, its offsets span {offsets[1] - offsets[0]}")
        if offsets[1] > data_len:
            raise CheckpointError(f"{path}: tensor {name!r} ends at byte {offsets[1]} of a "
                                  f"{data_len}-byte data section (truncated file?)")
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    end = 0
    for start, stop, name in spans:
        if start < end:
            raise CheckpointError(f"{path}: tensor {name!r} overlaps the tensor before it "
                                  f"(offsets {start}..{stop}, previous ends at {end})")
        end = stop
    return header, metadata


def load(path: Path) -> Any:
    """Read a .safetensors file: tracegrad's nest when it carries the manifest, else a flat
    dict of arrays (a file written by PyTorch or any other tool)."""
    st = _safetensors_numpy()
    _, metadata = read_header(path)
    try:
        arrays = st.load_file(str(path))
    except Exception as e:  # the package's own SafetensorError and friends
        raise CheckpointError(f"{path}: unreadable safetensors file ({e})") from e
    manifest = metadata.get(_MANIFEST_KEY)
    if manifest is None:
        return dict(arrays)
    return build_from_manifest(manifest.encode("ascii", "replace"), dict(arrays), path)
