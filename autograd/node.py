"""`Node`: one recorded op (primitive, inputs, parameters, saved versions, edges) and the
names PyTorch gives such nodes (`MulBackward0`, `AccumulateGrad`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autograd import scope
from autograd.tensor import Tensor

if TYPE_CHECKING:
    from autograd.registry import Primitive

_scope = scope._scope  # read directly: a Node is made per recorded op


class _OpName(str):
    """An op's name (`"matmul"`) that, called as torch's `grad_fn.name()`, gives `MmBackward0`."""

    __slots__ = ()

    def __call__(self) -> str:
        return torch_backward_name(str(self))


class Node:
    """One recorded op: primitive, inputs, parameters, and what backward needs."""

    __slots__ = (
        "prim",
        "inputs",
        "params",
        "aux",
        "versions",
        "out_version",
        "module",
        "location",
        "stack",
        "freed",
        "meta",
        "edges",
        "snap",
        "__weakref__",
    )

    def __init__(
        self,
        prim: Primitive,
        inputs: tuple[Tensor | None, ...],
        params: dict[str, Any],
        aux: Any,
        out: Tensor,
    ) -> None:
        self.prim = prim
        self.inputs: tuple[Tensor | None, ...] | None = inputs
        self.params = params
        self.aux = aux
        versions = []
        edges: list[Node | Tensor | None] = []
        for t in inputs:
            if t is None:
                versions.append(0)
                edges.append(None)
                continue
            version = t._vbox[0]
            versions.append(version)
            if not t.requires_grad:
                edges.append(None)
                continue
            gf = t.grad_fn
            if gf is None:
                edges.append(t)  # a leaf: its gradient is accumulated into it
                continue
            if gf.out_version != version and t._view is not None:
                from autograd.inplace import refresh_view

                gf = refresh_view(t)  # a view whose base changed in place since
            edges.append(gf)
        self.versions = tuple(versions)
        # What each input was made by *now*: an in-place op later repoints the Python object
        # at a new node, but this node keeps the value it read (PyTorch's edges).
        self.edges: tuple[Node | Tensor | None, ...] = tuple(edges)
        self.snap: Tensor | None = None  # this node's output once an in-place op replaced it
        self.out_version = out._vbox[0]
        mods = _scope.modules
        self.module = (mods[-1] or None) if mods else None  # scope.current_module_path()
        self.location: str | None = None
        self.stack: list[str] | None = None
        self.freed = False
        self.meta: dict[str, Any] | None = None

    @property
    def name(self) -> _OpName:
        """The primitive's name, e.g. `matmul`; called, torch's `grad_fn.name()`: `MmBackward0`."""
        return _OpName(self.prim.name)

    @property
    def backward_name(self) -> str:
        """tracegrad's name of this node's backward, e.g. `ExpBackward` (used in messages)."""
        return "".join(p.capitalize() for p in self.prim.name.split("_")) + "Backward"

    def torch_name(self) -> str:
        """PyTorch's class name for this node, e.g. `MulBackward0` (`grad_fn.name()` in torch)."""
        return torch_backward_name(self.prim.name)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """`((node_or_AccumulateGrad_or_None, 0), ...)` per input, as torch's grad_fn has."""
        return tuple(
            (AccumulateGrad(e) if isinstance(e, Tensor) else e, 0) for e in self.edges
        )

    def output_of(self, t: Tensor) -> Tensor:
        """This node's output tensor given `t`, the input that an edge to this node came with."""
        return t if t.grad_fn is self or self.snap is None else self.snap

    def release(self) -> None:
        """Drop saved tensors so memory is returned after backward."""
        self.inputs = None
        self.aux = None
        self.freed = True

    def __repr__(self) -> str:
        return f"<{self.torch_name()} ({self.prim.name}){' (freed)' if self.freed else ''}>"


class AccumulateGrad:
    """The node torch shows for a leaf in `next_functions`; `.variable` is the leaf."""

    __slots__ = ("variable",)
    next_functions: tuple[tuple[Any, int], ...] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


# PyTorch's grad_fn class names where they differ from `<CamelCaseName>Backward0`.
TORCH_NAMES: dict[str, str] = {
    "multiply": "MulBackward0",
    "subtract": "SubBackward0",
    "divide": "DivBackward0",
    "power": "PowBackward0",
    "negative": "NegBackward0",
    "matmul": "MmBackward0",
    "getitem": "IndexBackward0",
    "setitem": "CopySlices",
    "copy_into": "CopyBackwards",
    "reshape": "ViewBackward0",
    "transpose": "PermuteBackward0",
    "absolute": "AbsBackward0",
    "clip": "ClampBackward1",
    "astype": "ToCopyBackward0",
    "broadcast_to": "ExpandBackward0",
    "expand_dims": "UnsqueezeBackward0",
    "concatenate": "CatBackward0",
    "divide_rounded": "DivBackward1",
}


def torch_backward_name(op: str) -> str:
    """`multiply` -> `MulBackward0`: the table above, else CamelCase + `Backward0`."""
    name = TORCH_NAMES.get(op)
    if name is None:
        name = "".join(p.capitalize() for p in op.split("_")) + "Backward0"
    return name
