"""Calling a `Module`: `forward` runs inside the module's scope (the path its recorded ops
carry), with the forward pre-hooks, forward hooks and full backward hooks around it; a
mixin of `nn.module.Module`, which owns the hook tables."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from autograd.scope import module_scope
from nn.hooks import BackwardHook, RemovableHandle, add_hook


class _CallDepth(threading.local):
    depth = 0


_calls = _CallDepth()


class ModuleHooks:
    """`__call__` and the `register_*_hook` methods of `Module`."""

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
