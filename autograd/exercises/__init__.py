"""Write-the-backward-yourself exercises, checked offline by the library's own gradcheck.

>>> ex = ag.exercise("sigmoid")            # doctest: +SKIP
>>> path = ex.start()                      # writes exercise_sigmoid.py: forward given
>>> print(ex.hint(1))                      # graded hints, 1..3
>>> result = ex.check(path)                # or ex.check(my_backward_function)
>>> result.passed, result.explain()        # per-gradient verdict: transposed, x2, sign ...
>>> import viz; result.draw()              # the verdict painted on the graph

`ag.exercise(f, inputs)` makes one from your own function (its autograd VJP is the hidden
reference). The catalogue follows the seeds: activations, softmax + cross-entropy, matmul,
affine, batch norm, dropout, conv2d (im2col), max pooling and one RNN step.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd.exercises import activations, conv, layers
from autograd.exercises.check import ExerciseResult, Finding, load_module, register_renderer
from autograd.exercises.spec import Exercise, starter_name
from autograd.exercises.user import from_function

EXERCISES: dict[str, Exercise] = {
    ex.name: ex for ex in (*activations.EXERCISES, *layers.EXERCISES, *conv.EXERCISES)
}


def _user_target(target: str, shapes: Sequence[tuple[int, ...]]) -> Exercise:
    """The exercise for `path/to/file.py:function` with inputs of these shapes."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"exercise: {target!r} is neither an exercise name "
                         f"({', '.join(EXERCISES)}) nor path/to/file.py:function")
    fn = getattr(load_module(path), name, None)
    if not callable(fn):
        raise ValueError(f"exercise: {path} has no function {name!r}")
    if not shapes:
        raise ValueError(f"exercise: give the input shapes of {target} (one per argument)")
    resolved = f"{Path(path).expanduser().resolve()}:{name}"
    return from_function(fn, [tuple(s) for s in shapes], name=name, target=resolved)


def exercise(what: Any, inputs: Sequence[Any] | None = None) -> Exercise:
    """An exercise by catalogue name, by `file.py:function` target, or from a function.

    For a function (or target), `inputs` are example arrays (or shapes) to check it at.
    """
    if isinstance(what, str):
        if what in EXERCISES:
            return EXERCISES[what]
        if ":" not in what:
            import difflib

            close = difflib.get_close_matches(what, list(EXERCISES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise KeyError(f"no exercise named {what!r}{hint} (exercises: "
                           f"{', '.join(EXERCISES)})")
        return _user_target(what, [tuple(s) for s in inputs or ()])
    if callable(what):
        if inputs is None:
            raise ValueError("exercise(f, inputs): give example inputs (arrays or shapes) "
                             "to check the VJP of f at")
        return from_function(what, inputs)
    raise TypeError(f"exercise: expected a name or a function; got {type(what).__name__}")


def for_file(path: str | Path) -> tuple[Exercise, Any]:
    """The exercise a starter file belongs to (its EXERCISE line) and the loaded module."""
    module = load_module(path)
    name = getattr(module, "EXERCISE", None)
    if not isinstance(name, str):
        raise ValueError(f"{path} has no EXERCISE = '<name>' line (is it a starter file from "
                         "`tracegrad exercise start`?)")
    return exercise(name, getattr(module, "SHAPES", None)), module


__all__ = ["EXERCISES", "Exercise", "ExerciseResult", "Finding", "exercise", "for_file",
           "from_function", "load_module", "register_renderer", "starter_name"]
