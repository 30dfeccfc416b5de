"""`Tensor`: an ndarray plus what reverse mode needs (grad, grad_fn, hooks, version counter).

Operators and methods only dispatch to the primitives in `autograd.ops`; the math lives there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

_default_dtype = np.dtype(np.float32)

# Callbacks `(tensor, kind, value)` on every read of a tensor's values into Python (`item`,
# `bool`, `tolist`, `numpy`): `ag.compile` guards its replays on what the trace read.
read_observers: list[Callable[[Any, str, Any], None]] = []


def get_default_dtype() -> np.dtype:
    """dtype given to Python floats and lists (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the floating dtype for new tensors made from Python numbers (float32 or float64)."""
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"default dtype must be a floating type; got {dt}")
    _default_dtype = dt


def as_array_like(a: Any, ref_dtype: np.dtype | None = None) -> np.ndarray:
    """Convert a Python number, list or array to an ndarray with tracegrad's dtype rules.

    Python floats (and lists of them) become the default float dtype; Python numbers and lists
    combined with a floating tensor take its dtype (`ref_dtype`), so `x32 * 2.0` and
    `x32 + [1, 2]` stay float32. ndarrays keep theirs.
    """
    if isinstance(a, np.ndarray):
        return a
    if type(a) is float:  # fast path for the most common constant
        return np.array(a, dtype=ref_dtype if ref_dtype is not None else _default_dtype)
    if isinstance(a, np.generic):
        return np.asarray(a)
    arr = np.asarray(a)
    if arr.dtype.kind not in "biufc":
        _refuse_dtype(arr.dtype, type(a).__name__)
    if ref_dtype is not None and arr.dtype.kind in "iubf":
        return arr.astype(ref_dtype)  # `x32 + [1, 2]` stays float32, as in PyTorch
    if arr.dtype.kind == "f":
        return arr.astype(_default_dtype)
    return arr


def _refuse_dtype(dtype: np.dtype, what: str) -> None:
    from autograd.errors import DTypeError

    raise DTypeError(
        f"cannot make a tensor from {what} with NumPy dtype {dtype} (ragged, string or "
        "object data): tensors hold numbers or bools"
    )


def _check_float(dtype: np.dtype) -> None:
    if dtype.kind == "c":
        from autograd.errors import DTypeError

        raise DTypeError(
            f"requires_grad=True on a {dtype} tensor: complex autodiff is not supported by "
            "tracegrad (only real floating tensors can require gradients)"
        )
    if dtype.kind != "f":
        raise RuntimeError(f"Only floating point tensors can require gradients; got {dtype}")


class Tensor:
    """An n-dimensional array that records the ops made from it for reverse-mode autodiff.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    tensor([2., 4.])
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "grad_fn",
        "name",
        "_vbox",
        "_hooks",
        "_retains_grad",
        "_view",
        "__weakref__",
    )
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = as_array_like(data)
        if arr.dtype.kind not in "biufc":
            _refuse_dtype(arr.dtype, type(data).__name__)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        self.data: np.ndarray = arr
        self.grad: Tensor | None = None
        self.grad_fn: Any = None
        self.name = name
        self._vbox = [0]
        self._hooks: list[Callable[[Tensor], Any]] | None = None
        self._retains_grad = False
        self._view: Any = None
        self.requires_grad = False
        if requires_grad:
            _check_float(arr.dtype)
            self.requires_grad = True

    @classmethod
    def _from_op(
        cls,
        out: np.ndarray,
        inputs: Sequence[Tensor | None],
        prim: Any = None,
        params: Any = None,
    ) -> Tensor:
        """Fast constructor for op results; a view of an input shares its version counter.

        A view also remembers how it was made (`_view`: base, primitive, parameters, inputs),
        so an in-place op on it can rewrite its base's history (autograd/inplace.py).
        """
        t = cls.__new__(cls)
        t.data = out
        t.grad = None
        t.grad_fn = None
        t.name = None
        t._hooks = None
        t._retains_grad = False
        t.requires_grad = False
        t._vbox = [0]
        t._view = None
        base = out.base
        if base is not None:
            for inp in inputs:
                if inp is not None and (base is inp.data or base is inp.data.base):
                    t._vbox = inp._vbox
                    if prim is not None:
                        t._view = (inp, prim, params, tuple(inputs))
                    break
        return t

    # ----- attributes -----

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        return self.transpose()

    @property
    def _version(self) -> int:
        return self._vbox[0]

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != _default_dtype and self.data.dtype.kind == "f":
            extra += f", dtype={self.data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.torch_name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        value = bool(self.data)
        for ob in read_observers:
            ob(self, "bool", value)
        return value

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index; got {self.dtype}")
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __iter__(self):  # type: ignore[no-untyped-def]
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    # ----- autograd -----

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (or into `inputs` only)."""
        from autograd import engine

        if retain_graph is None:
            retain_graph = create_graph
        if inputs is None:
            engine.backward(
                [self], [gradient], retain_graph=retain_graph, create_graph=create_graph
            )
            return
        grads = engine.backward(
            [self],
            [gradient],
            retain_graph=retain_graph,
            create_graph=create_graph,
            inputs=list(inputs),
        )
        for t, g in zip(inputs, grads or [], strict=True):
            if g is not None:
                engine._accumulate_leaf(t, g, create_graph)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        t = Tensor(self.data)
        t._vbox = self._vbox
        return t

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        for ob in read_observers:
            ob(self, "numpy", self.data)
        return self.data

    def tolist(self) -> Any:
        value = self.data.tolist()
        for ob in read_observers:
            ob(self, "tolist", value)
        return value

    def item(self) -> Any:
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"only one element tensors can be converted to Python scalars; got shape "
                f"{self.shape}"
            )
        value = self.data.item()
        for ob in read_observers:
            ob(self, "item", value)
        return value

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set `requires_grad` in place on a leaf; returns self."""
        if flag:
            _check_float(self.data.dtype)
        elif self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach()"
            )
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self) -> Tensor:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True
        return self

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call `fn(grad)` when this tensor's gradient is computed; a returned tensor replaces it.

        Returns a function that removes the hook.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)

        def remove() -> None:
            if self._hooks and fn in self._hooks:
                self._hooks.remove(fn)

        return remove


# Operators and methods are attached in autograd/ops/methods.py (HIPS numpy_boxes style),
# in-place ones in autograd/inplace.py.
