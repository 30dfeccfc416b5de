"""Every registered op, checked the same way: forward vs NumPy, gradcheck, gradgradcheck.

The specs live in `tests/op_specs/`. Adding a differentiable primitive (or a public
function in `ag` / `nn.functional`) without a spec fails `test_every_*_has_a_spec`.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.op_specs` is imported as a package from the repo root
    sys.path.insert(0, str(ROOT))

import autograd as ag  # noqa: E402
from autograd import tree  # noqa: E402
from autograd.registry import REGISTRY, Primitive  # noqa: E402
from tests.op_specs import OpSpec, plain  # noqa: E402

SPEC_MODULES = (
    "tests.op_specs.core",
    "tests.op_specs.conv",
    "tests.op_specs.nn",
    # one module per area of the PyTorch-surface work (a missing one is skipped):
    "tests.op_specs.engine",
    "tests.op_specs.math",
    "tests.op_specs.indexing",
    "tests.op_specs.activation",
    "tests.op_specs.linalg",
    "tests.op_specs.layers",
    "tests.op_specs.recurrent",
    "tests.op_specs.compile",
)
PUBLIC_MODULES = {"ag": "autograd", "F": "nn.functional"}


def _load_specs() -> list[OpSpec]:
    specs: list[OpSpec] = []
    for name in SPEC_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that family's spec module is not written yet
                continue
            raise
        specs.extend(module.SPECS)
    return specs


SPECS = _load_specs()
CASES = [pytest.param(spec, k, id=cid) for spec in SPECS for k, cid in enumerate(spec.case_ids())]


def _ready(spec: OpSpec) -> None:
    if spec.requires is not None:
        pytest.importorskip(spec.requires)


def _leaves(out: Any) -> list[np.ndarray]:
    return [np.asarray(o.data if isinstance(o, ag.Tensor) else o)
            for o in tree.flatten(out)[0]]


@pytest.mark.parametrize(("spec", "k"), CASES)
def test_forward_matches_numpy(spec: OpSpec, k: int) -> None:
    _ready(spec)
    if spec.ref is None:
        pytest.skip(f"{spec.name} has no NumPy reference")
    args, kwargs = spec.materialize(k)
    got = _leaves(spec.fn(*args, **kwargs))
    want = _leaves(spec.ref(*plain(args), **kwargs))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("spec", "k"), CASES)
def test_gradcheck(spec: OpSpec, k: int) -> None:
    _ready(spec)
    args, kwargs = spec.materialize(k)
    assert ag.gradcheck(lambda *a: spec.fn(*a, **kwargs), args, spec.eps, spec.atol, spec.rtol)


@pytest.mark.parametrize(("spec", "k"), CASES)
def test_gradgradcheck(spec: OpSpec, k: int) -> None:
    _ready(spec)
    if spec.order < 2:
        pytest.skip(f"{spec.name}: first order only")
    args, kwargs = spec.materialize(k)
    assert ag.gradgradcheck(
        lambda *a: spec.fn(*a, **kwargs), args, None, spec.eps, spec.atol, spec.rtol,
        fast_mode=spec.fast_gradgrad,
    )


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_fast_mode_and_per_op_check_agree(spec: OpSpec) -> None:
    _ready(spec)
    args, kwargs = spec.materialize(len(spec.samples) - 1)
    f = lambda *a: spec.fn(*a, **kwargs)  # noqa: E731
    assert ag.gradcheck(f, args, spec.eps, spec.atol, spec.rtol, fast_mode=True)
    if spec.eps == 1e-6:  # per-op checks run at the default step
        check = ag.gradcheck_graph(f, args)
        assert check.passed, check.table()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_spec_records_the_primitives_it_covers(spec: OpSpec) -> None:
    _ready(spec)
    args, kwargs = spec.materialize(0)
    graph = ag.trace(lambda *a: spec.fn(*a, **kwargs), *args, backward=False)
    recorded = {op.op for op in graph.ops.values()}
    claimed = {c for c in spec.covers if "." not in c}
    assert claimed <= recorded, f"{spec.name} claims {claimed - recorded} but never records it"


def _covered() -> set[str]:
    return {c for spec in SPECS for c in spec.covers}


def _import_all_ops() -> None:
    """Import every module that registers primitives, so the registry is complete."""
    import nn  # noqa: F401

    for name in ("autograd.ops.conv",):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def test_every_differentiable_primitive_has_a_spec() -> None:
    _import_all_ops()
    missing = sorted(
        name for name, prim in REGISTRY.items()
        if prim.differentiable and not name.startswith("_test_") and name not in _covered()
    )
    assert not missing, f"primitives without an OpSpec in tests/op_specs: {missing}"


def _public_functions(prefix: str, module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    found = []
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, Primitive):
            continue  # covered by the primitive check
        home = getattr(obj, "__module__", "") or ""
        ours = home.startswith("autograd.ops") if prefix == "ag" else home == module_name
        if inspect.isfunction(obj) and ours:
            found.append(f"{prefix}.{name}")
    return found


@pytest.mark.parametrize("prefix", sorted(PUBLIC_MODULES))
def test_every_public_op_function_has_a_spec(prefix: str) -> None:
    module_name = PUBLIC_MODULES[prefix]
    pytest.importorskip(module_name)
    _import_all_ops()
    missing = sorted(set(_public_functions(prefix, module_name)) - _covered())
    assert not missing, f"public functions without an OpSpec in tests/op_specs: {missing}"
