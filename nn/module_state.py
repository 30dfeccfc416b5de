"""A `Module`'s state dict (parameters and persistent buffers by dotted name), loading one
back with every problem reported at once, and `functional_call` (a call with some of those
tensors swapped); `ModuleState` is a mixin of `nn.module.Module`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from autograd import mode
from autograd.tensor import Tensor
from nn.serialization import check_state_dict_compat, format_state_dict_errors

if TYPE_CHECKING:
    from nn.module import Module


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped: keys missing from / unknown to the model."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _as_array(value: Any) -> np.ndarray:
    """A state-dict value as an ndarray (Tensor, ndarray, NumPy scalar or torch tensor)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, Tensor):
        return value.data
    detach = getattr(value, "detach", None)  # a torch.Tensor, without importing torch
    if detach is not None and hasattr(value, "numpy"):
        return np.asarray(detach().cpu().numpy())
    return np.asarray(value)


class ModuleState:
    """`state_dict` and `load_state_dict` of `Module`."""

    def _state_items(self, keep_vars: bool) -> Iterator[tuple[str, Tensor]]:
        for prefix, mod in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    yield dot + name, p if keep_vars else p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    yield dot + name, b if keep_vars else b.detach()

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (detached Tensors sharing data)."""
        return OrderedDict((prefix + k, v) for k, v in self._state_items(keep_vars))

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values (Tensors, ndarrays, torch tensors) into parameters and buffers.

        Every problem (missing, unexpected, mis-shaped keys) is collected and raised in one
        `RuntimeError("Error(s) in loading state_dict for Net: ...")` before anything is
        copied. With `strict=False` missing/unexpected keys are skipped and returned.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        targets = dict(self._state_items(keep_vars=True))
        loaded = {k: _as_array(v) for k, v in state_dict.items()}
        lines = check_state_dict_compat(targets, loaded, strict=strict, check_dtype=False)
        if lines:
            raise RuntimeError(format_state_dict_errors(lines, type(self).__name__))
        for key, target in targets.items():
            if key in loaded:
                with mode.no_grad():
                    target.copy_(loaded[key])
        missing = [k for k in targets if k not in loaded]
        unexpected = [k for k in loaded if k not in targets]
        return IncompatibleKeys(missing, unexpected)


@contextmanager
def _swapped(module: Module, tensors: Mapping[str, Any]) -> Iterator[None]:
    saved = []
    try:
        for key, value in tensors.items():
            owner_path, _, attr = key.rpartition(".")
            owner = module.get_submodule(owner_path)
            table = owner._parameters if attr in owner._parameters else owner._buffers
            if attr not in table:
                raise KeyError(f"functional_call: {type(module).__name__} has no tensor {key!r}")
            if not isinstance(value, Tensor):
                value = Tensor(np.asarray(value))
            saved.append((owner, table, attr, table[attr]))
            table[attr] = value
            owner.__dict__[attr] = value
        yield
    finally:
        for owner, table, attr, old in reversed(saved):
            table[attr] = old
            owner.__dict__[attr] = old


def functional_call(
    module: Module, tensors: Mapping[str, Any], args: Any = (), kwargs: Any = None
) -> Any:
    """Call `module` with some parameters/buffers replaced by `tensors` (by dotted name).

    The replacements may be any Tensors (e.g. ones being differentiated by `ag.grad` or
    `ag.gradcheck`); the module's own parameters are restored afterwards.
    """
    if not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors):
        return module(*args, **(kwargs or {}))
