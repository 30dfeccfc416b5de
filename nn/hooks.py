"""Module hooks: removable handles and the full backward hook built on tensor hooks.

`BackwardHook` does what PyTorch's `torch.utils.hooks.BackwardHook` does: around one call
of a module, the tensor inputs pass through one recorded op (so a tensor hook sees the
gradient with respect to all of them at once) and each tensor output through an identity
(so a hook sees its gradient). When the inputs' gradient arrives, every registered
`hook(module, grad_input, grad_output)` runs; a returned tuple replaces `grad_input`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode
from autograd.ops.elementwise import identity
from autograd.ops.shape import concatenate, getitem, reshape
from autograd.tensor import Tensor

_ids = itertools.count()


class RemovableHandle:
    """What `register_*_hook` returns: `.remove()` (or calling it) unregisters the hook."""

    __slots__ = ("_table", "id")

    def __init__(self, table: dict[int, Any]) -> None:
        self._table = table
        self.id = next(_ids)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._table.pop(self.id, None)

    __call__ = remove

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(table: dict[int, Any], entry: Any, prepend: bool) -> RemovableHandle:
    """Store `entry` in the ordered `table` (first when `prepend`) under a new handle."""
    handle = RemovableHandle(table)
    if prepend:
        rest = dict(table)
        table.clear()
        table[handle.id] = entry
        table.update(rest)
    else:
        table[handle.id] = entry
    return handle


def _wants_grad(a: Any) -> bool:
    return isinstance(a, Tensor) and a.requires_grad


class BackwardHook:
    """One module call's wiring for its `register_full_backward_hook` hooks."""

    def __init__(self, module: Any, hooks: list[Callable[..., Any]]) -> None:
        self.module = module
        self.hooks = hooks
        self.n_inputs = 0
        self.n_outputs = 0
        self.grad_outputs: list[Tensor | None] = []
        self.fired = False

    def setup_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Route the tensor arguments through one packing op whose gradient a hook reads."""
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        self.live = [i for i in positions if args[i].requires_grad]
        if not self.live or not mode.is_grad_enabled():
            self.live = []
            return args
        self.slot = {i: k for k, i in enumerate(positions)}
        live = [args[i] for i in self.live]
        self.shapes = [t.shape for t in live]
        self.sizes = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]
        packed = concatenate([reshape(t, shape=(-1,)) for t in live])
        packed.register_hook(self._on_inputs)
        out = list(args)
        start = 0
        for i, shape, n in zip(self.live, self.shapes, self.sizes, strict=True):
            out[i] = reshape(getitem(packed, index=slice(start, start + n)), shape=shape)
            start += n
        return tuple(out)

    def setup_outputs(self, out: Any) -> Any:
        """Route each tensor output through an identity whose gradient a hook records."""
        if not mode.is_grad_enabled():
            return out
        single = isinstance(out, Tensor)
        outs = [out] if single else list(out) if isinstance(out, (tuple, list)) else None
        if outs is None:
            return out
        self.n_outputs = sum(isinstance(o, Tensor) for o in outs)
        self.grad_outputs = [None] * self.n_outputs
        k = 0
        for j, o in enumerate(outs):
            if isinstance(o, Tensor):
                if o.requires_grad:
                    outs[j] = identity(o)
                    outs[j].register_hook(self._output_hook(k))
                k += 1
        if single:
            return outs[0]
        return type(out)(outs)

    def _output_hook(self, k: int) -> Callable[[Tensor], None]:
        def record(g: Tensor) -> None:
            self.grad_outputs[k] = g
            if not self.live:  # no input needs a gradient: torch calls the hook now
                self._run((None,) * self.n_inputs)

        return record

    def _run(self, grad_input: tuple[Tensor | None, ...]) -> tuple[Tensor | None, ...]:
        if self.fired and not self.live:
            return grad_input
        self.fired = True
        grad_output = tuple(self.grad_outputs)
        for hook in self.hooks:
            new = hook(self.module, grad_input, grad_output)
            if new is None:
                continue
            new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
            if len(new) != len(grad_input):
                raise RuntimeError(
                    f"backward hook {getattr(hook, '__name__', hook)!r} of "
                    f"{type(self.module).__name__} returned {len(new)} gradients; expected "
                    f"{len(grad_input)} (one per tensor input)"
                )
            grad_input = new
        return grad_input

    def _on_inputs(self, g: Tensor) -> Tensor:
        grads: list[Tensor | None] = [None] * self.n_inputs
        start = 0
        for i, shape, n in zip(self.live, self.shapes, self.sizes, strict=True):
            grads[self.slot[i]] = reshape(getitem(g, index=slice(start, start + n)), shape=shape)
            start += n
        new = self._run(tuple(grads))
        parts = []
        for i, shape, n in zip(self.live, self.shapes, self.sizes, strict=True):
            gi = new[self.slot[i]]
            if gi is None:
                parts.append(Tensor(np.zeros(n, dtype=g.dtype)))
            else:
                gi = gi if isinstance(gi, Tensor) else Tensor(np.asarray(gi, dtype=g.dtype))
                if gi.shape != shape:
                    raise RuntimeError(
                        f"backward hook of {type(self.module).__name__} returned a gradient "
                        f"of shape {gi.shape} for an input of shape {shape}"
                    )
                parts.append(reshape(gi, shape=(-1,)))
        return concatenate(parts)
