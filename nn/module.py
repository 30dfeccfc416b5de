"""`Module`: PyTorch's container contract (registration, traversal, modes, state dicts) and
the `Sequential`, `ModuleList` and `ModuleDict` containers.

Parameters, buffers and submodules live in the `_parameters`, `_buffers` and `_modules`
dicts *and* in the instance `__dict__`, so reading `self.weight` in a training loop is a
plain attribute lookup; `__setattr__`/`__delattr__` keep the two in step.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from autograd import mode
from autograd.scope import module_scope
from autograd.tensor import Tensor
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
        d["_forward_hooks"] = []
        d["_forward_pre_hooks"] = []
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
            with module_scope(name):
                return self._call_forward(args, kwargs)
        finally:
            calls.depth -= 1

    def _call_forward(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks):
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks):
                new = hook(self, args, out)
                if new is not None:
                    out = new
        return out

    def register_forward_hook(self, hook: Callable[..., Any]) -> Callable[[], None]:
        """Call `hook(module, args, output)` after forward; returns a remover."""
        self._forward_hooks.append(hook)
        return lambda: self._forward_hooks.remove(hook) if hook in self._forward_hooks else None

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> Callable[[], None]:
        """Call `hook(module, args)` before forward (a returned value replaces args)."""
        self._forward_pre_hooks.append(hook)
        return lambda: (
            self._forward_pre_hooks.remove(hook) if hook in self._forward_pre_hooks else None
        )

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
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path `target` ("" is self)."""
        mod: Module = self
        for part in target.split(".") if target else []:
            child = mod._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule {part!r} ({target})")
            mod = child
        return mod

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

    def to(self, dtype: Any) -> Module:
        """Cast floating parameters and buffers (and their grads) to `dtype`, in place."""
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"Module.to only accepts floating dtypes; got {dt}")
        for t in [*self.parameters(), *self.buffers()]:
            if t.data.dtype.kind == "f" and t.data.dtype != dt:
                t.data = t.data.astype(dt)
                t._vbox[0] += 1
                if t.grad is not None:
                    t.grad = Tensor(t.grad.data.astype(dt))
        return self

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self.to(np.float32)

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

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        inner = "\n  ".join(lines)
        return f"{type(self).__name__}(\n  {inner}\n)"

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


# ----- containers -----


class Sequential(Module):
    """Modules applied in order; children are named "0", "1", ... (or by an OrderedDict).

    >>> from nn import Linear, ReLU
    >>> net = Sequential(Linear(4, 8), ReLU(), Linear(8, 2))
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(
                        f"Sequential: argument {i} is a {type(m).__name__}, not a Module"
                    )
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice | str) -> Any:
        if isinstance(idx, str):
            return self._modules[idx]
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        n = len(items)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for Sequential of length {n}")
        return items[idx][1]

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (children "0", "1", ...)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, mods: list[Module]) -> None:
        for name in list(self._modules):
            self._forget(name)
            del self.__dict__[name]
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        if not -len(mods) <= idx < len(mods):
            raise IndexError(f"index {idx} is out of range for ModuleList of length {len(mods)}")
        return mods[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods[idx] = module
        self._renumber(mods)

    def __delitem__(self, idx: int | slice) -> None:
        mods = list(self._modules.values())
        del mods[idx]
        self._renumber(mods)

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of `modules`; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before `index`."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._renumber(mods)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for k, m in (modules or {}).items():
            self.add_module(k, m)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterable[str]:
        """The child names."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The children."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """(name, child) pairs."""
        return self._modules.items()
