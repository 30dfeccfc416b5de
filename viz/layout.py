"""What to draw: which ops are folded into boxes (modules past `depth=`, repeated blocks such
as RNN time steps), which tensors stay visible, the edges between the drawn units, and the
module cluster each unit sits in. Pure bookkeeping over an `ag.Graph`; no Graphviz here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograd.graph import Graph

MAX_PERIOD = 64  # longest repeated block (in ops) that collapse_repeats looks for
SMALL_CONST = 6  # constants up to this many elements are folded into the box that uses them


@dataclass
class Group:
    """Ops drawn as one box: a module collapsed by `depth=`, or the middle of a repeat."""

    id: str
    kind: str  # "module" | "repeat"
    title: str
    cluster: str | None  # module path of the cluster the box sits in
    ops: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # parameters hidden inside the box
    param_names: dict[str, str] = field(default_factory=dict)  # relative to the module
    repeats: int = 0
    block: list[str] = field(default_factory=list)  # op names of one repeated block


@dataclass
class Plan:
    """The drawable units (tensor ids, op ids, group ids), their edges and clusters."""

    graph: Graph
    groups: dict[str, Group]
    group_of: dict[str, str]  # op id -> group id
    tensors: list[str]
    ops: list[str]
    edges: list[tuple[str, str, int | None]]  # (src unit, dst unit, input index of dst op)
    cluster: dict[str, str | None]
    producer: dict[str, str]  # tensor id -> op id

    @property
    def size(self) -> int:
        """Number of nodes one view draws."""
        return len(self.tensors) + len(self.ops) + len(self.groups)

    def unit_of_op(self, oid: str) -> str:
        """The drawn unit standing for op `oid` (itself or its group)."""
        return self.group_of.get(oid, oid)


def _depth_groups(g: Graph, depth: int) -> dict[str, str]:
    keys: dict[str, str] = {}
    for oid, op in g.ops.items():
        if op.module:
            parts = op.module.split(".")
            if len(parts) >= depth:
                keys[oid] = ".".join(parts[:depth])
    return keys


def _signature(g: Graph, oid: str) -> tuple:
    op = g.ops[oid]
    shapes = tuple(g.tensors[i].shape if i is not None else None for i in op.inputs)
    return (op.op, op.module, shapes, g.tensors[op.output].shape, tuple(op.params.items()))


def find_repeat(sigs: list[tuple]) -> tuple[int, int, int] | None:
    """Longest run of one block repeated at least 3 times: (start, period, count) or None."""
    n = len(sigs)
    best: tuple[int, int, int] | None = None
    for p in range(1, min(MAX_PERIOD, n // 3) + 1):
        i = 0
        while i < n - p:
            if sigs[i] != sigs[i + p]:
                i += 1
                continue
            start = i
            while i < n - p and sigs[i] == sigs[i + p]:
                i += 1
            count = (i - start) // p + 1  # whole blocks in the p-periodic stretch
            if count >= 3 and (best is None or count * p > best[1] * best[2]):
                best = (start, p, count)
    return best


def _repeat_groups(g: Graph, taken: dict[str, str]) -> list[tuple[str | None, list[str], int, int]]:
    by_module: dict[str | None, list[str]] = {}
    for oid, op in g.ops.items():
        if oid not in taken:
            by_module.setdefault(op.module, []).append(oid)
    found = []
    for module, oids in by_module.items():
        rep = find_repeat([_signature(g, o) for o in oids])
        if rep is not None:
            start, p, count = rep
            middle = oids[start + p : start + (count - 1) * p]  # keep first and last block
            found.append((module, middle, p, count))
    return found


def _common_prefix(paths: list[str | None]) -> str | None:
    if not paths or any(p is None for p in paths):
        return None
    split = [p.split(".") for p in paths if p is not None]
    out = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        out.append(parts[0])
    return ".".join(out) or None


def plan(g: Graph, depth: int | None = None, collapse_repeats: bool = False) -> Plan:
    """Fold modules deeper than `depth` and repeated blocks into boxes; list what stays."""
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be >= 1 (1 = one box per top-level module); got {depth}")
    groups: dict[str, Group] = {}
    group_of: dict[str, str] = {}
    if depth is not None:
        for oid, key in _depth_groups(g, depth).items():
            gid = f"module:{key}"
            if gid not in groups:
                parent = key.rpartition(".")[0] or None
                groups[gid] = Group(gid, "module", key, parent)
            groups[gid].ops.append(oid)
            group_of[oid] = gid
    if collapse_repeats:
        for k, (module, middle, p, count) in enumerate(_repeat_groups(g, group_of)):
            gid = f"repeat:{k}"
            block = [g.ops[o].op for o in middle[:p]]
            groups[gid] = Group(gid, "repeat", module or "", module, list(middle),
                                repeats=count - 2, block=block)
            group_of.update(dict.fromkeys(middle, gid))

    producer = {op.output: oid for oid, op in g.ops.items()}
    consumers: dict[str, list[str]] = {}
    for oid, op in g.ops.items():
        for tid in op.inputs:
            if tid is not None:
                consumers.setdefault(tid, []).append(oid)
    outputs = set(g.outputs)

    small_consts = {tid for tid, tn in g.tensors.items()
                    if tn.role == "const" and int(np.prod(tn.shape)) <= SMALL_CONST}
    hidden: dict[str, str] = {}  # tensor id -> group that swallows it
    for tid, tn in g.tensors.items():
        users = {group_of.get(o) for o in consumers.get(tid, [])}
        if tid in outputs or len(users) != 1 or None in users:
            continue
        (gid,) = users
        src = producer.get(tid)
        if src is not None and group_of.get(src) == gid:
            hidden[tid] = gid
        elif src is None and (tn.role == "param" or tid in small_consts):
            hidden[tid] = gid  # data inputs stay visible; scalars like the 0.9 in x*0.9 hide
            if tn.role == "param":
                groups[gid].params.append(tid)
                owner = g.ops[consumers[tid][0]].module or ""
                rel = owner[len(groups[gid].title):].lstrip(".") if groups[gid].kind == "module" \
                    else ""
                groups[gid].param_names[tid] = ".".join(p for p in (rel, tn.name or tid) if p)

    def unit(x: str) -> str:
        return hidden.get(x) or group_of.get(x) or x

    edges: list[tuple[str, str, int | None]] = []
    seen: set[tuple[str, str, int | None]] = set()
    for e in g.edges:
        s, d = unit(e.src), unit(e.dst)
        key = (s, d, e.index if d in g.ops else None)  # x*x keeps both edges into the op
        if s == d or key in seen:
            continue
        seen.add(key)
        edges.append(key)

    cluster: dict[str, str | None] = {oid: op.module for oid, op in g.ops.items()
                                      if oid not in group_of}
    cluster.update({gid: grp.cluster for gid, grp in groups.items()})
    tensors = [t for t in g.tensors if t not in hidden]
    for tid in tensors:
        src = producer.get(tid)
        if src is not None:
            cluster[tid] = cluster[unit(src)]
        elif g.tensors[tid].role == "param" or tid in small_consts:
            cluster[tid] = _common_prefix([cluster[unit(o)] for o in consumers.get(tid, [])])
        else:
            cluster[tid] = None
    ops = [o for o in g.ops if o not in group_of]
    return Plan(g, groups, group_of, tensors, ops, edges, cluster, producer)
