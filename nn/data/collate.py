"""`default_collate` and `default_convert` (PyTorch rules): samples -> one batch of Tensors.

Collation runs in two stages so that worker processes send plain ndarrays: `collate_arrays`
stacks a list of samples field by field into ndarrays (recursing into tuples, lists, named
tuples and dicts; numbers become arrays, strings stay lists), and `to_tensors` turns every
numeric ndarray leaf of the result into an `autograd.Tensor`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["default_collate", "default_convert", "collate_arrays", "to_tensors"]


def _as_array(x: Any) -> np.ndarray:
    """An ndarray view of `x`: a Tensor's `.data`, or `np.asarray(x)`."""
    if isinstance(x, np.ndarray):
        return x
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):
        return data
    return np.asarray(x)


def _is_array_like(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic)) or isinstance(getattr(x, "data", None),
                                                                 np.ndarray)


def _stack(samples: Sequence[Any], where: str) -> np.ndarray:
    try:
        return np.stack([_as_array(s) for s in samples])
    except ValueError as e:
        shapes = sorted({str(np.shape(_as_array(s))) for s in samples})
        raise ValueError(
            f"default_collate: cannot stack {where} of the batch (shapes {shapes}): {e}"
        ) from e


def collate_arrays(batch: Sequence[Any], where: str = "the samples") -> Any:
    """Stack a list of samples into ndarrays with the samples' structure (stage one)."""
    if len(batch) == 0:
        raise ValueError("default_collate: empty batch")
    elem = batch[0]
    if _is_array_like(elem):
        return _stack(batch, where)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, bool):
        return np.array(batch, dtype=np.bool_)
    if isinstance(elem, numbers.Integral):
        return np.array(batch, dtype=np.int64)
    if isinstance(elem, numbers.Real):
        return np.array(batch, dtype=np.float64)
    if isinstance(elem, Mapping):
        out = {key: collate_arrays([d[key] for d in batch], f"key {key!r}") for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # named tuple
        columns = zip(*batch, strict=True)
        return type(elem)(*(collate_arrays(list(f), f"field {name!r}")
                            for name, f in zip(elem._fields, columns, strict=True)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(s) != size for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = zip(*batch, strict=True)
        fields = [collate_arrays(list(f), f"field {k}") for k, f in enumerate(columns)]
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def to_tensors(tree: Any) -> Any:
    """Every numeric ndarray leaf of `tree` as an `autograd.Tensor` (stage two)."""
    import autograd as ag  # lazy: the data pipeline depends on the core only here

    def convert(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "biufc":
                return x
            return ag.tensor(np.ascontiguousarray(x))
        if isinstance(x, Mapping):
            out = {k: convert(v) for k, v in x.items()}
            try:
                return type(x)(out)
            except TypeError:
                return out
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*(convert(v) for v in x))
        if isinstance(x, (tuple, list)):
            return type(x)(convert(v) for v in x)
        return x

    return convert(tree)


def default_collate(batch: Sequence[Any]) -> Any:
    """Samples -> one batch: `[(x0, y0), (x1, y1)] -> (X, Y)` as Tensors, recursing into
    tuples, lists, named tuples and dicts; Python ints -> int64, floats -> float64, strings
    stay a list (PyTorch's rules; tuples stay tuples)."""
    return to_tensors(collate_arrays(batch))


def default_convert(data: Any) -> Any:
    """One sample without batching (`batch_size=None`): ndarrays -> Tensors, rest as is."""
    if isinstance(data, np.generic):
        return to_tensors(np.asarray(data))
    return to_tensors(data)
