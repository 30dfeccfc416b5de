"""A group's update with its per-parameter work done once, for steps that see the same arrays.

`ag.compile`'s replays (and loops that zero gradients in place) hand the optimizer the same
parameter, gradient and state arrays every step. For them the update's checks, flat views and
constants are the same every time too: a `Bound` keeps them and the kernel call for each
parameter, and runs again while `valid` finds every one of those objects unchanged. Anything
else (a hyperparameter edited, a gradient set to None or replaced, a state buffer or the
state dict replaced) makes it invalid and the update takes its general path, which may bind
again. A group is bound only when its gradients were the same tensors at the previous step,
so an eager loop that makes new gradients each step never pays for building one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import Tensor
from optim.optimizer import bump_version

# (parameter, its .grad tensor, the grad's array, the parameter's array, its state dict, the
# state arrays the call writes (name, array))
Check = tuple[Tensor, Any, Any, Any, Any, tuple[tuple[str, Any], ...]]


class Bound:
    """One group's bound update: per parameter the identity checks and a prepared call."""

    __slots__ = ("group", "key", "params", "n", "checks", "calls", "states")

    def __init__(self, group: dict[str, Any], key: tuple, checks: list[Check],
                 calls: list[tuple[Callable[..., Any], tuple]], states: dict) -> None:
        self.group, self.key = group, key
        self.params = group["params"]
        self.n = len(self.params)
        self.checks, self.calls, self.states = checks, calls, states

    def valid(self, group: dict[str, Any], key: tuple, states: dict) -> bool:
        """Whether every object the calls were prepared for is still the one in use."""
        if group is not self.group or key != self.key or states is not self.states:
            return False
        params = group["params"]
        if params is not self.params or len(params) != self.n:
            return False
        for p, grad, garr, parr, state, held in self.checks:
            if p.grad is not grad:
                return False
            if grad is None:
                continue
            if grad.data is not garr or p.data is not parr or states.get(p) is not state:
                return False
            for name, arr in held:
                if state.get(name) is not arr:
                    return False
        return True

    def run(self) -> None:
        """Every parameter's prepared update, then its version bump (as the general path)."""
        for fn, args in self.calls:
            fn(*args)
        for p, grad, _, _, _, _ in self.checks:
            if grad is not None:
                bump_version(p)


class Binder:
    """Per optimizer: each group's `Bound`, and the gradients it saw at its last step."""

    __slots__ = ("bound", "last")

    def __init__(self) -> None:
        self.bound: dict[int, Bound] = {}
        self.last: dict[int, tuple] = {}

    def lookup(self, group: dict[str, Any], key: tuple, states: dict) -> Bound | None:
        """The group's bound update if it is still valid, else None."""
        b = self.bound.get(id(group))
        return b if b is not None and b.valid(group, key, states) else None

    def worth_binding(self, group: dict[str, Any]) -> bool:
        """True when the group's gradients are the tensors of its previous step (record now)."""
        ids = tuple(id(p.grad) for p in group["params"])
        same = self.last.get(id(group)) == ids
        self.last[id(group)] = ids
        return same

    def keep(self, group: dict[str, Any], bound: Bound | None) -> None:
        """Keep `bound` as the group's (None: forget the group's)."""
        if bound is None:
            self.bound.pop(id(group), None)
        else:
            self.bound[id(group)] = bound


def update_bound(opt: Any, group: dict[str, Any], key: tuple,
                 general: Callable[[dict[str, Any]], None],
                 bind: Callable[[dict[str, Any], tuple], Bound | None]) -> None:
    """One step of `group`: its bound update when still valid, else `general(group)`, after
    which `bind(group, key)` prepares the next steps if the gradients stayed the same
    tensors. `key` holds the hyperparameters the bound update was prepared with."""
    binds = opt.__dict__.get("_binder")
    if binds is None:
        binds = opt.__dict__["_binder"] = Binder()
    bound = binds.lookup(group, key, opt.state)
    if bound is not None:
        bound.run()
        return
    worth = binds.worth_binding(group)
    general(group)
    binds.keep(group, bind(group, key) if worth else None)


Prepare = Callable[[Tensor, Tensor, Any], "tuple[tuple, tuple[Callable[..., Any], tuple]] | None"]


def bind_group(opt: Any, group: dict[str, Any], key: tuple, prepare: Prepare) -> Bound | None:
    """A Bound over the group's parameters: `prepare(p, grad, state)` gives the state arrays
    a parameter's call writes ((name, array) pairs) and the call (fn, args), or None where the
    parameter needs the general path (then the group is not bound). A parameter without a
    gradient stays bound while its .grad stays None."""
    checks: list[Check] = []
    calls = []
    for p in group["params"]:
        grad = p.grad
        if grad is None:
            checks.append((p, None, None, None, None, ()))
            continue
        if grad.data.shape != p.data.shape:
            return None
        state = opt.state.get(p)
        got = prepare(p, grad, state)
        if got is None:
            return None
        held, call = got
        checks.append((p, grad, grad.data, p.data, state, held))
        calls.append(call)
    return Bound(group, key, checks, calls, opt.state)
