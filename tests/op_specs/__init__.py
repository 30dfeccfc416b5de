"""The op table: every differentiable op declares sample inputs, a domain and a NumPy reference.

One `OpSpec` per op (or per public function built from ops). `tests/autograd/
test_op_registry.py` runs, for every sample: forward vs the reference, `gradcheck`,
`gradgradcheck` and fast mode, all in float64, and fails when a registered primitive or a
public function has no spec.

Sample arguments, by position:
- a tuple of ints is a shape: a random float64 array drawn from the spec's domain;
- a float ndarray is used as given (edge values);
- `Const(x)` is a float input held constant (a Tensor with requires_grad=False);
- anything else (bool masks, int indices, None) is passed through and never differentiated.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd as ag

Domain = tuple[float, float]


@dataclass(frozen=True)
class Const:
    """A floating argument that is not differentiated (targets, fixed exponents)."""

    value: Any


@dataclass(frozen=True)
class Sample:
    """Positional arguments (shapes, arrays, Consts, pass-through values) and keywords."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    desc: str = ""


def S(*args: Any, desc: str = "", **kwargs: Any) -> Sample:
    """Shorthand for a `Sample`."""
    return Sample(tuple(args), dict(kwargs), desc)


def _is_shape(a: Any) -> bool:
    return isinstance(a, tuple) and all(isinstance(d, int) for d in a)


@dataclass(frozen=True)
class OpSpec:
    """How to test one op: what it covers, how to call it, samples, domain, reference.

    `covers` names registry primitives (`"add"`) and public functions (`"ag.mean"`,
    `"F.mse_loss"`). `domain` is one (lo, hi) for all generated inputs or one per
    position; generated values keep 0.1 away from every point in `avoid` (kinks, poles).
    `ref(*arrays, **kwargs)` is the NumPy forward; `order=1` skips gradgradcheck, and
    `fast_gradgrad` checks second order through `v^T J u` instead of the full Jacobian.
    """

    name: str
    covers: tuple[str, ...]
    fn: Callable[..., Any]
    samples: Sequence[Sample]
    ref: Callable[..., Any] | None = None
    domain: Domain | tuple[Domain, ...] = (-2.0, 2.0)
    avoid: tuple[float, ...] = ()
    order: int = 2
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    requires: str | None = None  # module that must import for the spec to run
    fast_gradgrad: bool = False  # second order by random projection (slow kernel calls)

    def domain_of(self, pos: int) -> Domain:
        """The (lo, hi) range for generated argument `pos`."""
        d = self.domain
        return d[pos] if isinstance(d[0], tuple) else d  # type: ignore[return-value]

    def materialize(self, k: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Sample `k` as concrete arguments, drawn from a generator seeded by (name, k)."""
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/{k}".encode()))
        sample = self.samples[k]
        args: list[Any] = []
        for pos, a in enumerate(sample.args):
            held = isinstance(a, Const)
            raw = a.value if held else a
            if _is_shape(raw):
                lo, hi = self.domain_of(pos)
                x = rng.uniform(lo, hi, raw)
                for p in self.avoid:
                    near = np.abs(x - p) < 0.1
                    x = np.where(near, x + np.where(x >= p, 0.2, -0.2), x)
                raw = x
            elif isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
                raw = raw.astype(np.float64)
            args.append(ag.Tensor(raw) if held else raw)
        return tuple(args), dict(sample.kwargs)

    def case_ids(self) -> list[str]:
        """pytest ids: `name-k-desc`."""
        return [f"{self.name}-{k}{'-' + s.desc if s.desc else ''}"
                for k, s in enumerate(self.samples)]


def plain(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Arguments with Const Tensors unwrapped to arrays (for NumPy references)."""
    return tuple(a.data if isinstance(a, ag.Tensor) else a for a in args)
