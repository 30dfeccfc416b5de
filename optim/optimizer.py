"""`Optimizer`: parameter groups, per-parameter state, validation and state dicts (PyTorch rules).

A subclass validates its hyperparameters in `_check_group` and does one update of a group in
`_update_group`; the math itself lives in a pure function on ndarrays (`sgd`, `adam`, ...),
which runs each contiguous float parameter's update as one Numba pass (autograd.kernels'
optim_update) and any other as the NumPy passes that pass matches bit for bit.
Updates run on `p.data` in place under `no_grad`, so a step records nothing in the graph.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.compiler.host import host_step

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs; use a list instead"
)


class _Required:
    """Sentinel for a hyperparameter with no default (must be given in the group)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def check_number(name: str, value: Any, low: float = 0.0, high: float | None = None,
                 low_inclusive: bool = True, high_inclusive: bool = False) -> None:
    """Raise ValueError("Invalid <name>: <value>") unless `value` is a real number in range."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = not math.isnan(v)
        ok = ok and (v >= low if low_inclusive else v > low)
        if high is not None:
            ok = ok and (v <= high if high_inclusive else v < high)
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


def scalar_dtype() -> type:
    """dtype of scalar state such as NAdam's mu product: float64 only when it is the default
    dtype, otherwise float32 (as PyTorch keeps it, so that trajectories match bit for bit)."""
    return np.float64 if np.dtype(ag.get_default_dtype()) == np.float64 else np.float32


def bump_version(p: Tensor) -> None:
    """Mark `p` as modified in place, so a stale graph that saved it fails loudly in backward."""
    vbox = getattr(p, "_vbox", None)
    if vbox is not None:
        vbox[0] += 1


def _as_array(value: Any) -> Any:
    """ndarray behind a Tensor/array leaf (copied), other leaves as they are."""
    if isinstance(value, Tensor):
        return np.array(value.data, copy=True)
    if isinstance(value, np.ndarray):
        return value.copy()
    return copy.deepcopy(value)


class Optimizer:
    """Base class of all optimizers: holds `param_groups` and `state`, steps each group.

    `params` is an iterable of Tensors, or of dicts `{"params": [...], "lr": ...}` whose keys
    override `defaults` for that group. `state[p]` is a dict per parameter, filled lazily.
    Subclasses set `defaults`, validate in `_check_group` and update in `_update_group`.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----- groups -----

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with optional per-group hyperparameters), e.g. when
        unfreezing layers during fine-tuning."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("param_group must have a 'params' key")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but parameter {i} is a "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i})")
            if not p.requires_grad:
                raise ValueError(f"parameter {i} does not require grad; nothing to optimize")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer got the same parameter more than once in a group")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate one group's hyperparameters; subclasses raise ValueError("Invalid ...")."""
        check_number("learning rate", group["lr"])

    # ----- stepping -----

    @host_step  # ag.compile replays the whole reset
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's `.grad`: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad.detach() if p.grad.grad_fn is not None else p.grad
                    if g.data.flags.writeable:
                        g.data[...] = 0
                    else:
                        g.data = np.zeros_like(g.data)
                    p.grad = g

    @host_step  # ag.compile replays the whole update (kernels or NumPy on .data, in place)
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return `closure()` if one is given.

        `closure` re-evaluates the model and returns the loss (it runs with grad enabled).
        """
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        with ag.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update_group")

    def _params_with_grad(self, group: dict[str, Any]) -> list[tuple[Tensor, np.ndarray, dict]]:
        """(param, grad ndarray, state dict) for each parameter of `group` with a gradient.

        With `group["maximize"]` the gradient comes negated, so every rule ascends.
        """
        out = []
        maximize = bool(group.get("maximize", False))
        state = self.state
        for p in group["params"]:
            if p.grad is None:
                continue
            data = p.data
            grad = -p.grad.data if maximize else p.grad.data
            if grad.shape != data.shape:
                raise ValueError(
                    f"gradient shape {grad.shape} does not match parameter shape {data.shape}"
                )
            if not data.flags.writeable:  # e.g. made from a broadcast view: give it its own
                p.data = np.array(data, copy=True)
            s = state.get(p)
            if s is None:
                s = state[p] = {}
            out.append((p, grad, s))
        return out

    # ----- state dicts -----

    def state_dict(self) -> dict[str, Any]:
        """`{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`.

        Parameters are replaced by their position across all groups, as PyTorch does, and
        arrays are copied, so the result can be kept or saved with `nn.save`.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {
            index[id(p)]: {k: _as_array(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index and s
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict made by `state_dict()` (or `nn.load` of a saved one) into this optimizer.

        Group hyperparameters are replaced; state arrays are copied, checked against each
        parameter's shape and cast to its dtype (the step counter is kept as is).
        """
        if not isinstance(state_dict, dict) or {"state", "param_groups"} - state_dict.keys():
            raise ValueError("optimizer state dict must have 'state' and 'param_groups' keys")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups; "
                f"optimizer has {len(self.param_groups)}"
            )
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group {i} with "
                    f"{len(s['params'])} parameters; optimizer's group has {len(g['params'])}"
                )
        id_map: dict[int, Tensor] = {}
        for g, s in zip(self.param_groups, saved_groups, strict=True):
            for idx, p in zip(s["params"], g["params"], strict=True):
                id_map[int(idx)] = p
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, pstate in state_dict["state"].items():
            k = int(key)
            if k not in id_map:
                raise ValueError(f"loaded state dict has state for unknown parameter index {k}")
            p = id_map[k]
            new_state[p] = {name: self._cast_state(name, v, p) for name, v in pstate.items()}
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups, strict=True):
            group = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            if "betas" in group and isinstance(group["betas"], list):
                group["betas"] = tuple(group["betas"])
            group["params"] = g["params"]
            for name, default in self.defaults.items():
                group.setdefault(name, default)
            self._check_group(group)
            new_groups.append(group)
        self.param_groups = new_groups
        self.state = new_state

    @staticmethod
    def _cast_state(name: str, value: Any, p: Tensor) -> Any:
        arr = value.data if isinstance(value, Tensor) else value
        if not isinstance(arr, np.ndarray):
            return copy.deepcopy(arr)
        if name == "step" or arr.ndim == 0:
            return arr.item() if name == "step" else arr.copy()
        if arr.shape != p.data.shape:
            raise ValueError(
                f"loaded state '{name}' has shape {arr.shape}; its parameter has shape "
                f"{p.data.shape}"
            )
        return arr.astype(p.data.dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
