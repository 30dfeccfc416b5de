"""Named tuples that PyTorch's selecting ops return (`values`, `indices`), one type per op."""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _make(name: str, fields: tuple[str, ...] = ("values", "indices")) -> Any:
    cls = namedtuple(name, fields)  # noqa: PYI024 - a plain tuple subclass, as torch.return_types
    cls.__module__ = __name__
    cls.__doc__ = f"Result of {name}: a tuple ({', '.join(fields)}), as torch.return_types.{name}."
    return cls


max = _make("max")  # noqa: A001
min = _make("min")  # noqa: A001
aminmax = _make("aminmax", ("min", "max"))
sort = _make("sort")
topk = _make("topk")
kthvalue = _make("kthvalue")
median = _make("median")
mode = _make("mode")
cummax = _make("cummax")
cummin = _make("cummin")
