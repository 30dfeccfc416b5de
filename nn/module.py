"""`Module`: PyTorch's module contract (registration, traversal, hooks, modes, casting,
state dicts, printing); the containers live in `nn/modules/container.py`.

Parameters, buffers and submodules live in the `_parameters`, `_buffers` and `_modules`
dicts *and* in the instance `__dict__`, so reading `self.weight` in a training loop is a
plain attribute lookup; `__setattr__`/`__delattr__` keep the two in step.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from autograd import mode
from autograd.scope import module_scope
from autograd.tensor import Tensor
from nn.hooks import BackwardHook, RemovableHandle, add_hook
from nn.parameter import Parameter
from nn.serialization import check_state_dict_compat, format_state_dict_errors


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


def _is_dtype(x: Any) -> bool:
    if isinstance(x, (str, Tensor)) or x is None:
        return False
    try:
        np.dtype(x)
    except TypeError:
        return False
    return True


def _float_dtype(x: Any, fn: str) -> np.dtype:
    dt = np.dtype(x)
    if dt.kind != "f":
        raise TypeError(f"{fn}: only floating dtypes are accepted; got {dt}")
    if dt.itemsize < 4:
        raise TypeError(f"{fn}: {dt} is not supported by tracegrad (use float32 or float64)")
    return dt


def _parse_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, np.dtype | None]:
    """(device, dtype) from PyTorch's `Module.to` argument forms."""
    extra = set(kwargs) - {"device", "dtype", "non_blocking", "memory_format"}
    if extra:
        raise TypeError(f"Module.to: unexpected keyword argument {sorted(extra)[0]!r}")
    if len(args) > 3:
        raise TypeError(f"Module.to: takes at most 3 positional arguments; got {len(args)}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        dtype = rest.pop(0).dtype
    elif rest and _is_dtype(rest[0]):
        dtype = rest.pop(0)
    elif rest:
        device = rest.pop(0)
        if rest and _is_dtype(rest[0]):
            dtype = rest.pop(0)
    if rest and not isinstance(rest[0], bool):  # only non_blocking may remain
        raise TypeError(f"Module.to: cannot interpret argument {rest[0]!r}")
    return device, (None if dtype is None else _float_dtype(dtype, "Module.to"))


def _check_device(device: Any, fn: str) -> None:
    """Accept the CPU ("cpu", "cpu:0", an object with `.type == "cpu"`) or None; else raise."""
    if device is None:
        return
    kind = device if isinstance(device, str) else getattr(device, "type", None)
    if not isinstance(kind, str):
        raise TypeError(f"{fn}: expected a device (str or device object); got {device!r}")
    if kind.split(":")[0] != "cpu":
        raise RuntimeError(
            f"{fn}: device {str(device)!r} is not available; tracegrad runs on the CPU only "
            "(use 'cpu')"
        )


class _CallDepth(threading.local):
    depth = 0


_calls = _CallDepth()


class Module:
    """Base class of every layer and model (PyTorch's `nn.Module` contract).

    Subclasses call `super().__init__()` first, assign `Parameter`s, submodules and
    buffers as attributes, and define `forward`; calling the module runs `forward` inside
    `ag.module_scope`, so each recorded op carries its module path (`features.0`).

    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Parameter(np.ones(3))
    ...     def forward(self, x):
    ...         return (x * self.w).sum()
    >>> [name for name, _ in Net().named_parameters()]
    ['w']
    """

    training: bool
    _name: str

    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_pre_hooks"] = {}
        d["_backward_hooks"] = {}
        d["training"] = True
        d["_name"] = ""

    # ----- registration -----

    def _check_init(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")

    def _forget(self, name: str) -> None:
        d = self.__dict__
        d["_parameters"].pop(name, None)
        d["_buffers"].pop(name, None)
        d["_non_persistent"].discard(name)
        d["_modules"].pop(name, None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a `None` placeholder, e.g. a disabled bias) under `name`."""
        self._check_init("parameters")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"parameter name must be a non-empty string without '.'; got {name!r}")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        self._forget(name)
        if param is not None and param.name is None:
            param.name = name
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add non-trainable state (e.g. BatchNorm's running mean); persistent ones are saved."""
        self._check_init("buffers")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.'; got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            if isinstance(tensor, np.ndarray):
                tensor = Tensor(tensor)
            else:
                raise TypeError(
                    f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                    "(Tensor, ndarray or None required)"
                )
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as a child called `name` (its path component in graphs)."""
        self._check_init("child modules")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"module name must be a non-empty string without '.'; got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name)
        if module is not None:
            module.__dict__["_name"] = name
        self._modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            self.register_parameter(name, None)
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            self.add_module(name, None)
        elif "_buffers" in d and name in d["_buffers"]:
            self.register_buffer(name, value, persistent=name not in d["_non_persistent"])
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if "_parameters" in self.__dict__:
            self._forget(name)
        object.__delattr__(self, name)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails (registered names live in __dict__).
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # ----- calling -----

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing "forward"')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The outermost module called is the root: its path component is "".
        calls = _calls
        name = self._name if calls.depth else ""
        calls.depth += 1
        try:
            with module_scope(name, self):
                return self._call_forward(args, kwargs)
        finally:
            calls.depth -= 1

    def _call_forward(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        d = self.__dict__
        for hook, with_kwargs in list(d["_forward_pre_hooks"].values()):
            if with_kwargs:
                new = hook(self, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {new!r}."
                        )
                    args, kwargs = new
            else:
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        hooks = d["_backward_hooks"]
        bw = BackwardHook(self, list(hooks.values())) if hooks else None
        if bw is not None:
            args = bw.setup_inputs(args)
        out = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(d["_forward_hooks"].values()):
            new = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if new is not None:
                out = new
        if bw is not None:
            out = bw.setup_outputs(out)
        return out

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call `hook(module, args, output)` after forward (a returned value replaces the
        output); with `with_kwargs=True`, `hook(module, args, kwargs, output)`."""
        return add_hook(self._forward_hooks, (hook, with_kwargs), prepend)

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call `hook(module, args)` before forward (a returned value replaces args); with
        `with_kwargs=True`, `hook(module, args, kwargs)` may return `(args, kwargs)`."""
        return add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call `hook(module, grad_input, grad_output)` when the gradients with respect to
        the module's tensor inputs are computed; a returned tuple replaces `grad_input`."""
        return add_hook(self._backward_hooks, hook, prepend)

    # ----- traversal -----

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """The direct children."""
        for _, m in self.named_children():
            yield m

    def _named_members(
        self, attr: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, attr).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. `("fc1.weight", p)`; shared ones once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (each shared one once), in registration order."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path `target` ("" is self), e.g. `"features.0"`."""
        mod: Module = self
        for part in target.split(".") if target else []:
            child = mod._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{part}` ({target})")
            mod = child
        return mod

    def _get_member(self, target: str, table: str, what: str) -> Any:
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        members = getattr(mod, table)
        if name not in members or members[name] is None:
            raise AttributeError(f"{type(mod).__name__} has no {what} `{name}` ({target})")
        return members[name]

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path `target`, e.g. `"fc1.weight"`."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path `target`, e.g. `"bn.running_mean"`."""
        return self._get_member(target, "_buffers", "buffer")

    # ----- modes and in-place utilities -----

    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active, BatchNorm uses batch stats) here and below."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode; same as `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` on every parameter (e.g. to freeze a feature extractor)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's `.grad` (to None by default, as PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor(np.zeros_like(p.grad.data))

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every descendant, then on self (e.g. custom init); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move to a device and/or cast floating parameters and buffers, in place.

        Accepts PyTorch's forms: `to(device)`, `to(dtype)`, `to(device, dtype)`,
        `to(tensor)` (its dtype), keywords `device=`, `dtype=`, `non_blocking=`. The only
        device is the CPU ("cpu", "cpu:0", or any object whose `.type` is "cpu"); `None`
        means "leave as is".
        """
        device, dtype = _parse_to(args, kwargs)
        _check_device(device, "Module.to")
        if dtype is not None:
            self._cast(dtype)
        return self

    def _cast(self, dt: np.dtype) -> None:
        for t in [*self.parameters(), *self.buffers()]:
            if t.data.dtype.kind == "f" and t.data.dtype != dt:
                t.data = t.data.astype(dt)
                t._vbox[0] += 1
                if t.grad is not None:
                    t.grad = Tensor(t.grad.data.astype(dt))

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self.to(np.float32)

    def half(self) -> Module:
        """float16 is not supported: the kernels compute in float32/float64."""
        raise TypeError(
            "Module.half: float16 is not supported by tracegrad (kernels run in float32 and "
            "float64); use .float() or .double()"
        )

    def cpu(self) -> Module:
        """Parameters already live in CPU memory; returns self."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """tracegrad runs on the CPU only; always raises."""
        _check_device("cuda" if device is None else f"cuda:{device}", "Module.cuda")
        return self

    # ----- state dicts -----

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

    # ----- printing -----

    def extra_repr(self) -> str:
        """The arguments shown inside this module's repr, e.g. `in_features=4, ...`."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()))


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


# The containers are defined beside the layers; re-exported here for `from nn.module import`.
from nn.modules.container import (  # noqa: E402
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)

__all__ = [
    "IncompatibleKeys",
    "Module",
    "ModuleDict",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "Sequential",
    "functional_call",
]
