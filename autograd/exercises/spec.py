"""`Exercise`: one forward with its VJP hidden, the starter file a learner fills in, graded hints.

A learner writes `backward(g, cache)` in NumPy: `g` is dL/d(output) and `cache` is what the
given `forward` returned next to its output; it returns dL/d(input) for each input in `wrt`
(a tuple when there are several). The reference VJP stays in this package, shown only by
`solution(reveal=True)`.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from autograd.exercises.check import ExerciseResult

Forward = Callable[..., tuple[np.ndarray, Any]]
Backward = Callable[[np.ndarray, Any], Any]


@dataclass(frozen=True)
class Exercise:
    """One write-the-backward exercise: given forward, hidden reference VJP, hints, inputs."""

    name: str
    title: str
    lesson: str  # one line: what writing this VJP teaches
    forward: Forward
    reference: Backward
    sample: Callable[[np.random.Generator], dict[str, Any]]  # forward's arguments, in order
    wrt: tuple[str, ...]  # the inputs backward returns gradients for, in order
    hints: tuple[str, ...]
    helpers: tuple[Callable[..., Any], ...] = ()  # functions forward calls, copied to starters
    forward_source: str | None = None  # set for a user's function (its source is not ours)
    target: str | None = None  # `file.py:function` of a user's function (starter EXERCISE)
    shapes: tuple[tuple[int, ...], ...] = field(default=())  # a user's function's input shapes

    def inputs(self, seed: int = 0) -> dict[str, Any]:
        """The arguments the check calls forward with (float64, seeded, away from kinks)."""
        return self.sample(np.random.default_rng(seed))

    def hint(self, level: int = 1) -> str:
        """Hints 1..level, numbered; level past the last shows them all."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f"hint level must be an integer >= 1; got {level!r}")
        shown = self.hints[:level]
        lines = [f"hint {k}/{len(self.hints)}: {h}" for k, h in enumerate(shown, 1)]
        if level < len(self.hints):
            lines.append(f"(more: --level {level + 1})")
        return "\n".join(lines)

    def solution(self, reveal: bool = False) -> str:
        """The reference `backward`'s source; refuses unless `reveal=True` (spoiler guard)."""
        if not reveal:
            raise PermissionError(
                f"this prints the answer to exercise {self.name!r}: pass reveal=True "
                "(CLI: --reveal) if you really want it; try its hints first"
            )
        return _renamed(self.reference, "backward")

    def starter(self) -> str:
        """The text of the starter file: forward given, backward left to write."""
        target = self.target or self.name
        hint_for = starter_name(target) if self.target else self.name
        grads = ", ".join(f"dL/d{n}" for n in self.wrt)
        ret = grads if len(self.wrt) == 1 else f"the tuple ({grads})"
        helpers = "".join(_source(h) + "\n\n" for h in self.helpers)
        forward = self.forward_source or _renamed(self.forward, "forward")
        shapes = f"SHAPES = {list(self.shapes)!r}\n" if self.target else ""
        hint = textwrap.fill(self.hints[0], 88, initial_indent="    # Hint 1: ",
                             subsequent_indent="    #   ")
        return (
            f'"""tracegrad exercise {self.name}: {self.title} -- write the backward yourself.\n'
            f"\n{self.lesson}\n\n"
            f"Check it:   tracegrad exercise check {starter_name(target)}\n"
            f"Stuck?      tracegrad exercise hint {hint_for} --level 1   (then 2, 3)\n"
            f'"""\n\nimport numpy as np\n\n'
            f"EXERCISE = {target!r}\n{shapes}\n\n"
            f"{helpers}"
            "# ----- given: the forward (the checker runs its own copy of it) -----\n"
            f"{forward}\n\n"
            "# ----- yours: the backward (vector-Jacobian product) -----\n"
            "def backward(g, cache):\n"
            f'    """Return {ret}.\n\n'
            "    g is dL/d(output), shaped like the output; cache is what forward returned.\n"
            '    Each gradient has the shape of its input."""\n'
            f"{hint}\n"
            f"    raise NotImplementedError(\"write the VJP of {self.name}: return {grads}\")\n"
        )

    def start(self, directory: str | Path = ".", overwrite: bool = False) -> Path:
        """Write the starter file `exercise_<name>.py` into `directory`; return its path."""
        folder = Path(directory)
        if not folder.is_dir():
            raise FileNotFoundError(f"exercise: no such directory: {folder}")
        path = folder / starter_name(self.target or self.name)
        if path.exists() and not overwrite:
            raise FileExistsError(
                f"{path} exists (your work?); pass overwrite=True (CLI: --force) to replace it"
            )
        path.write_text(self.starter())
        return path

    def check(self, solution: Any, *, seed: int = 0, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> ExerciseResult:
        """Check a learner's backward (a file path, a module or the function itself)."""
        from autograd.exercises.check import check

        return check(self, solution, seed=seed, eps=eps, atol=atol, rtol=rtol)

    def __repr__(self) -> str:
        return f"Exercise({self.name!r}: {self.title}, gradients for {', '.join(self.wrt)})"


def starter_name(target: str) -> str:
    """`exercise_sigmoid.py` for "sigmoid", `exercise_mylib_f.py` for "path/mylib.py:f"."""
    path, sep, fn = target.rpartition(":")
    stem = f"{Path(path).stem}_{fn}" if sep else target
    return "exercise_" + "".join(c if c.isalnum() else "_" for c in stem) + ".py"


def _source(fn: Callable[..., Any]) -> str:
    return textwrap.dedent(inspect.getsource(fn)).rstrip() + "\n"


def _renamed(fn: Callable[..., Any], name: str) -> str:
    """`fn`'s source with its def renamed to `name` (catalogue names are sigmoid_forward ...),
    continuation lines of the signature re-aligned."""
    lines = _source(fn).splitlines()
    shift = len(fn.__name__) - len(name)
    lines[0] = lines[0].replace(f"def {fn.__name__}(", f"def {name}(", 1)
    k = 1
    while not lines[k - 1].rstrip().endswith(":") and k < len(lines):
        lines[k] = lines[k][shift:] if lines[k][:shift].isspace() else lines[k]
        k += 1
    return "\n".join(lines) + "\n"
