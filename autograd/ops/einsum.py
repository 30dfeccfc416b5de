"""`einsum` with PyTorch's spellings (string or sublist form, implicit output, `...`,
repeated indices, size-1 broadcasting).

`einsum(...)` rewrites its equation once into a fully explicit one without ellipsis,
broadcasts size-1 dimensions (so the engine sums their gradients back), and calls the
`einsum` primitive. The VJP for operand i is itself one einsum: the output gradient and the
other operands contracted to operand i's subscripts, with an identity matrix per repeated
index (the gradient of a diagonal lands on the diagonal) and a ones vector per index that
only operand i carries (summed-out indices broadcast back).
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

import numpy as np

from autograd.errors import ShapeError
from autograd.ops.shape import broadcast_to
from autograd.registry import primitive
from autograd.tensor import Tensor

_LETTERS = string.ascii_letters


@primitive("einsum", saves=("inputs",))
def _einsum(*operands: np.ndarray, equation: str) -> np.ndarray:
    return np.einsum(equation, *operands, optimize=len(operands) > 2)


def _einsum_vjp(i: int, g: Any, ans: Any, *ops: Any, equation: str) -> Any:
    ins, out = equation.split("->")
    subs = ins.split(",")
    target = subs[i]
    sizes = {c: n for s, op in zip(subs, ops, strict=True)
             for c, n in zip(s, op.shape, strict=True)}
    others = [s for k, s in enumerate(subs) if k != i]
    used = set(out).union(*others)
    free = iter(c for c in _LETTERS if c not in set(equation))
    dtype = g.data.dtype
    terms, args = [out], [g]
    terms += others
    args += [op for k, op in enumerate(ops) if k != i]
    result = []
    seen: set[str] = set()
    for c in target:
        if c in seen:  # repeated index: a fresh letter tied to c by an identity matrix
            fresh = next(free)
            terms.append(c + fresh)
            args.append(Tensor(np.eye(sizes[c], dtype=dtype)))
            result.append(fresh)
            continue
        seen.add(c)
        result.append(c)
        if c not in used:  # summed out by operand i alone: broadcast back with ones
            terms.append(c)
            args.append(Tensor(np.ones(sizes[c], dtype=dtype)))
    return _einsum(*args, equation=",".join(terms) + "->" + "".join(result))


_einsum.defvjp_argnum(_einsum_vjp)


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """torch.einsum(op0, [0, 1], op1, [1, 2], [0, 2]) -> ("ab,bc->ac", [op0, op1])."""
    out = None
    if len(args) % 2:  # an odd count: the last item is the output sublist
        out, args = args[-1], args[:-1]
    ops, subs = list(args[0::2]), list(args[1::2])
    if isinstance(out, (Tensor, np.ndarray)) or not all(isinstance(s, (list, tuple)) for s in subs):
        raise TypeError("einsum: the sublist form alternates operands and index lists")

    def letters(sub: Any) -> str:
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < 52:
                parts.append(_LETTERS[int(s)])
            else:
                raise ValueError(f"einsum: sublist entries must be ints in [0, 52) or ...; "
                                 f"got {s!r}")
        return "".join(parts)

    eq = ",".join(letters(s) for s in subs)
    if out is not None:
        eq += "->" + letters(out)
    return eq, ops


def _describe(eq: str, shapes: list[tuple[int, ...]]) -> str:
    return f"equation {eq!r} with operand shapes {', '.join(str(s) for s in shapes)}"


def _explicit(eq: str, shapes: list[tuple[int, ...]]) -> str:
    """The equation with an explicit output and `...` replaced by letters (right-aligned)."""
    eq = eq.replace(" ", "")
    ins, arrow, out = eq.partition("->")
    subs = ins.split(",")
    if len(subs) != len(shapes):
        raise ShapeError(f"einsum: {len(subs)} subscript groups for {len(shapes)} operands "
                         f"in {_describe(eq, shapes)}")
    for s in subs + [out]:
        bad = set(s.replace("...", "")) - set(_LETTERS)
        if bad or s.replace("...", "").count(".") or s.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts {s!r} in {_describe(eq, shapes)}")
    ell_rank = 0
    for s, shape in zip(subs, shapes, strict=True):
        named = len(s.replace("...", ""))
        if ("..." in s and named > len(shape)) or ("..." not in s and named != len(shape)):
            raise ShapeError(f"einsum: subscripts {s!r} do not match an operand of rank "
                             f"{len(shape)} in {_describe(eq, shapes)}")
        if "..." in s:
            ell_rank = max(ell_rank, len(shape) - named)
    if not arrow:
        counts = Counter("".join(subs).replace("...", ""))
        out = ("..." if any("..." in s for s in subs) else "") + "".join(
            sorted((c for c, n in counts.items() if n == 1), key=_LETTERS.index)
        )
    free = [c for c in _LETTERS if c not in eq]
    ell = "".join(free[:ell_rank])
    new_subs = []
    for s, shape in zip(subs, shapes, strict=True):
        k = len(shape) - len(s.replace("...", ""))
        new_subs.append(s.replace("...", ell[ell_rank - k:] if k else ""))
    if "..." in out:
        out = out.replace("...", ell)
    elif ell_rank and not arrow:
        out = ell + out
    missing = set(out) - set("".join(new_subs))
    if missing or len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscripts {out!r} must be distinct and appear in "
                         f"the inputs, in {_describe(eq, shapes)}")
    return ",".join(new_subs) + "->" + out


def einsum(*args: Any) -> Tensor:
    """Einstein summation, `torch.einsum("bij,bjk->bik", a, b)` or the sublist form."""
    if args and isinstance(args[0], str):
        eq, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])  # torch.einsum(eq, [a, b])
    else:
        eq, ops = _from_sublists(args)
    ops = [op if isinstance(op, Tensor) else Tensor(op) for op in ops]
    shapes = [op.shape for op in ops]
    full = _explicit(eq, shapes)
    subs = full.split("->")[0].split(",")
    sizes: dict[str, int] = {}
    for s, shape in zip(subs, shapes, strict=True):
        for c, n in zip(s, shape, strict=True):
            m = sizes.get(c)
            if m is None or m == 1:
                sizes[c] = n
            elif n not in (1, m):
                raise ShapeError(
                    f"einsum: index {c!r} has sizes {m} and {n} in {_describe(eq, shapes)}"
                )
    for k, (s, op) in enumerate(zip(subs, ops, strict=True)):
        want = tuple(sizes[c] for c in s)
        if want != op.shape:
            ops[k] = broadcast_to(op, shape=want)
    return _einsum(*ops, equation=full)
