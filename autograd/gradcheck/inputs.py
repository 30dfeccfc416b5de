"""Preparing gradcheck inputs: nests flattened to float64 copies, labels, and input checks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import tree
from autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """Analytic and numerical derivatives disagree (the message says where and by how much)."""


class GradcheckWarning(UserWarning):
    """The check ran, but its numbers are unreliable (e.g. float32 arithmetic with a tiny eps)."""


class NondifferentiableWarning(GradcheckWarning):
    """f is not differentiable at the sampled point; the mismatch there is not a failure."""


def as_tuple(inputs: Any) -> tuple[Any, ...]:
    """`inputs` as the tuple of positional arguments of f (a lone leaf or dict is one)."""
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def leaf_labels(args: tuple[Any, ...]) -> list[str]:
    """`input 0`, `input 1['w']`, `input 2[0]`: one label per leaf, in `tree.flatten` order."""
    labels: list[str] = []

    def walk(node: Any, label: str) -> None:
        if isinstance(node, dict):
            for k in sorted(node, key=repr):
                walk(node[k], f"{label}[{k!r}]")
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, f"{label}[{i}]")
        else:
            labels.append(label)

    for i, a in enumerate(args):
        walk(a, f"input {i}")
    return labels


def precision_note(dtype: np.dtype, eps: float, subject: str) -> str | None:
    """A warning text when central differences with `eps` are unreliable in `dtype`."""
    dt = np.dtype(dtype)
    if dt.kind != "f" or dt.itemsize >= 8:
        return None
    limit = float(np.sqrt(np.finfo(dt).eps))
    if eps >= limit:
        return None
    return (
        f"gradcheck: {subject} is {dt} and eps={eps:g} is below sqrt({dt} machine eps) = "
        f"{limit:.2g}; {dt} central differences lose most of their digits at this step. "
        f"Compute in float64 (gradcheck casts inputs by default) or use eps >= {limit:.1g} "
        "with looser atol/rtol."
    )


def _stride0(arr: np.ndarray) -> bool:
    """True for overlapping memory; an empty array overlaps nothing whatever its strides."""
    if arr.size == 0:
        return False
    return any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape, strict=True))


@dataclass
class Prepared:
    """Flattened inputs: floating leaves as private copies, which ones are differentiated."""

    treedef: Any
    leaves: list[Any]
    kinds: list[str]  # "tensor" | "array" | "scalar" | "other" (non-floating, passed as is)
    checked: list[int]
    labels: list[str]

    @property
    def arrays(self) -> list[np.ndarray]:
        """The differentiated leaves' arrays (perturbed in place by the numerical pass)."""
        return [self.leaves[k] for k in self.checked]

    def call_args(
        self, *, grad: bool, mirror: bool = False, copy: bool = False
    ) -> tuple[tuple[Any, ...], list[Any]]:
        """Arguments for f, plus the differentiated leaves as passed (Tensors when `grad`).

        Floating leaves become Tensors (requiring grad when `grad` and differentiated);
        with `mirror` they keep the kind they came in as (ndarray, float or Tensor). With
        `copy` the Tensors own copies, so later in-place perturbation cannot reach them.
        """
        made: list[Any] = []
        checked = set(self.checked)
        for k, (leaf, kind) in enumerate(zip(self.leaves, self.kinds, strict=True)):
            if kind == "other":
                made.append(leaf)
            elif mirror and kind == "array":
                made.append(leaf)
            elif mirror and kind == "scalar":
                made.append(float(leaf))
            else:
                data = leaf.copy() if copy else leaf
                made.append(Tensor(data, requires_grad=grad and k in checked))
        return tree.unflatten(self.treedef, made), [made[k] for k in self.checked]


def prepare(
    inputs: Any,
    *,
    eps: float,
    keep_dtype: bool = False,
    labels: Sequence[str] | None = None,
    hold_constant: bool = True,
) -> Prepared:
    """Flatten `inputs`, copy floating leaves (to float64 unless `keep_dtype`), and check them.

    With `hold_constant`, Tensors with requires_grad=False are not differentiated.
    Raises ValueError for a leaf with a stride-0 dimension (e.g. from `np.broadcast_to`) and
    when nothing is differentiable; warns when `keep_dtype` leaves float32 with a tiny eps.
    """
    args = as_tuple(inputs)
    originals, treedef = tree.flatten(args)
    names = list(labels) if labels is not None else leaf_labels(args)
    leaves: list[Any] = []
    kinds: list[str] = []
    checked: list[int] = []
    for k, leaf in enumerate(originals):
        data = leaf.data if isinstance(leaf, Tensor) else leaf
        if isinstance(data, float) and not isinstance(leaf, Tensor):
            data, kind = np.asarray(data, dtype=np.float64), "scalar"
        elif isinstance(data, (np.ndarray, np.floating)) and np.asarray(data).dtype.kind == "f":
            kind = "tensor" if isinstance(leaf, Tensor) else "array"
        else:
            leaves.append(leaf)
            kinds.append("other")
            continue
        arr = np.asarray(data)
        if _stride0(arr):
            raise ValueError(
                f"{names[k]} has a dimension with stride 0 (overlapping memory); pass a copy "
                f"(shape {arr.shape}, strides {arr.strides})"
            )
        dtype = arr.dtype if keep_dtype else np.float64
        leaves.append(np.array(arr, dtype=dtype, copy=True, order="C"))
        kinds.append(kind)
        if not (hold_constant and isinstance(leaf, Tensor) and not leaf.requires_grad):
            checked.append(k)
            note = precision_note(dtype, eps, names[k])
            if note:
                warnings.warn(note, GradcheckWarning, stacklevel=4)
    if not checked:
        raise ValueError(
            "gradcheck: no input to differentiate; pass floating arrays, or Tensors with "
            "requires_grad=True (a Tensor with requires_grad=False is held constant)"
        )
    return Prepared(treedef, leaves, kinds, checked, names)


def output_leaves(out: Any) -> list[Any]:
    """The floating leaves (Tensors or arrays) of f's output nest, in `tree.flatten` order."""
    leaves = [
        o for o in tree.flatten(out)[0]
        if np.asarray(o.data if isinstance(o, Tensor) else o).dtype.kind == "f"
    ]
    if not leaves:
        raise TypeError(
            f"gradcheck: f must return floating Tensors or arrays; got {type(out).__name__}"
        )
    return leaves


def flat_values(outs: Sequence[Any]) -> np.ndarray:
    """Concatenate output leaves, raveled, as one float64 vector."""
    parts = [np.asarray(o.data if isinstance(o, Tensor) else o, dtype=np.float64).reshape(-1)
             for o in outs]
    return np.concatenate(parts) if parts else np.zeros(0)
