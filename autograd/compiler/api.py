"""`ag.compile(fn)`: trace `fn` once, then replay the recorded plan while its guards hold."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from autograd.compiler.guards import Signature, find_modules
from autograd.compiler.plan import GuardFailed, Plan
from autograd.compiler.trace import Tracer, Untraceable
from autograd.compiler.verify import changing_constant, path_change, same_path
from autograd.tensor import Tensor
from autograd.tree import flatten


class CompileError(RuntimeError):
    """`fullgraph=True` and the call cannot replay the plan (it names what changed)."""


class Compiled:
    """A compiled function: call it like `fn`; `.plan` is the plan the last call used."""

    def __init__(self, fn: Callable[..., Any], fullgraph: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"ag.compile expects a callable; got {type(fn).__name__}")
        self.fn = fn
        self.fullgraph = fullgraph
        self.plans: dict[Any, Plan] = {}
        self.module_cache: dict[str, Any] = {}  # find_modules' walk, for the same roots
        self.eager: dict[Any, str] = {}  # keys that could not be traced, with the reason
        self.pending: dict[Any, Tracer] = {}  # first traces, checked by the next call's trace
        self.first: Signature | None = None
        self.plan: Plan | None = None
        self.traces = 0
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sig = Signature(args, kwargs, find_modules(self.fn, args, kwargs, self.module_cache))
        if sig.key in self.eager:
            return self.fn(*args, **kwargs)
        plan = self.plans.get(sig.key)
        if plan is not None:
            why = plan.stale()
            if why is None:
                try:
                    self.plan = plan
                    return plan.run(sig.tensors)
                except GuardFailed as exc:
                    if exc.late:
                        raise CompileError(
                            f"ag.compile: {exc} after the step's optimizer update or gradient "
                            "accumulation already ran, so it cannot be retraced; read values "
                            "into Python outside the compiled function or return the tensor"
                        ) from None
                    why = str(exc)
            self._refuse(why)
            del self.plans[sig.key]
        elif self.first is not None and sig.key not in self.pending:
            self._refuse(sig.changed(self.first))
        return self._trace(sig, args, kwargs)

    def _refuse(self, why: str) -> None:
        if self.fullgraph:
            raise CompileError(f"ag.compile(fullgraph=True): {why}")

    def _trace(self, sig: Signature, args: tuple, kwargs: dict) -> Any:
        tracer = Tracer()
        self.traces += 1
        try:
            result = tracer.run(self.fn, args, kwargs, sig.tensors)
        except Untraceable as exc:  # the eager call ran to its end: its result stands
            if self.fullgraph:
                raise CompileError(f"ag.compile(fullgraph=True): {exc}") from None
            warnings.warn(f"ag.compile: running {_name(self.fn)} eagerly: {exc}", stacklevel=3)
            self.eager[sig.key] = str(exc)
            return exc.result
        if self.first is None:
            self.first = sig
        first = self.pending.pop(sig.key, None)
        if first is None or not same_path(first, tracer):
            if first is not None:
                self._refuse(path_change(first, tracer))
            self.pending[sig.key] = tracer  # replays start once a second trace agrees
            return result
        why = changing_constant(first, tracer)
        if why is not None:
            self._refuse(why)
            warnings.warn(f"ag.compile: running {_name(self.fn)} eagerly: {why}", stacklevel=3)
            self.eager[sig.key] = why
            return result
        plan = Plan(tracer, _outputs(tracer, result), flatten(result)[1])
        self.plans[sig.key] = plan
        self.plan = plan
        return result


def _outputs(tracer: Tracer, result: Any) -> list[tuple[str, Any]]:
    reads = {id(s.fn): s for s in tracer.reads}
    out: list[tuple[str, Any]] = []
    for leaf in flatten(result)[0]:
        if isinstance(leaf, Tensor):
            out.append(("tensor", tracer.output(leaf)))
        elif id(leaf) in reads and not isinstance(leaf, bool):
            out.append(("read", id(reads[id(leaf)])))
        else:
            out.append(("const", leaf))
    return out


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def compile(fn: Callable[..., Any] | None = None, *, fullgraph: bool = False) -> Any:  # noqa: A001
    """Trace `fn` on its first calls, then replay the plan: `step = ag.compile(train_step)`.

    The first two calls with a given signature run eagerly while recording; replays start
    when both recorded the same steps and no array read by reference changed between them.

    A call with other input shapes/dtypes, other non-tensor arguments, another training mode,
    or where a value the trace read into Python (`.item()`, `bool(t)`) differs, traces again;
    with `fullgraph=True` it raises `CompileError` naming what changed instead.
    """
    if fn is None:
        return lambda f: Compiled(f, fullgraph=fullgraph)
    return Compiled(fn, fullgraph=fullgraph)
