"""Specs for the PyTorch shape / index / mask / movement ops (autograd/ops/{dims,index,
movement,pad}.py). NumPy references restate torch's documented meaning."""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.ops import index as ix
from autograd.ops.pad import pad_nd
from nn import functional as F
from tests.op_specs import OpSpec, S

I = np.array  # noqa: E741 - short for the int index arrays below


def _gather(x, dim, index):
    return np.take_along_axis(x[tuple(slice(0, s) if k != dim else slice(None)
                                      for k, s in enumerate(index.shape))], index, dim)


def _scatter(x, dim, index, src=None, value=None, reduce=None):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        out[tuple(tgt)] = src[pos] if src is not None else value
    return out


def _scatter_reduce(x, dim, index, src, reduce, include_self=True):
    out, n = x.copy(), np.ones_like(x) * include_self
    vals: dict = {}
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        vals.setdefault(tuple(tgt), []).append(src[pos])
    for tgt, vs in vals.items():
        vs = ([x[tgt]] if include_self else []) + vs
        out[tgt] = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce](vs)
    del n
    return out


def _index_add(x, dim, index, source, alpha=1):
    out = x.copy()
    np.add.at(np.moveaxis(out, dim, 0), index, alpha * np.moveaxis(source, dim, 0))
    return out


def _index_fill(x, dim, index, value):
    out = x.copy()
    np.moveaxis(out, dim, 0)[index] = value
    return out


def _torch_split(x, size, dim=0):
    n = x.shape[dim]
    sizes = [min(size, n - a) for a in range(0, n, size)] if isinstance(size, int) else size
    return np.split(x, np.cumsum(sizes)[:-1], axis=dim)


def _unfold(x, dim, size, step):
    w = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    return np.take(w, np.arange(0, x.shape[dim] - size + 1, step), axis=dim)


def _pad_ref(x, pad, mode="constant", value=None):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    crop = tuple(slice(max(-a, 0), n - max(-b, 0))
                 for (a, b), n in zip(widths, x.shape, strict=True))
    grow = [(max(a, 0), max(b, 0)) for a, b in widths]
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    kw = {"constant_values": value or 0.0} if mode == "constant" else {}
    return np.pad(x[crop], grow, mode=np_mode, **kw)


def _diag_embed(x, offset=0, dim1=-2, dim2=-1):
    m = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (m, m))
    k = np.arange(x.shape[-1])
    out[..., k + max(-offset, 0), k + max(offset, 0)] = x
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _t(x):
    return x if isinstance(x, ag.Tensor) else ag.Tensor(x)


M23 = np.array([[True, False, True], [False, False, True]])

SHAPE = [
    OpSpec("permute", ("ag.permute", "transpose"), ag.permute,
           [S((2, 3, 4), 2, 0, 1), S((2, 3, 4), [1, 2, 0], desc="list"), S((), desc="0d")],
           lambda x, *d: np.transpose(x, d[0] if d and isinstance(d[0], list) else d)),
    OpSpec("swapaxes", ("ag.swapaxes", "ag.swapdims"), ag.swapdims,
           [S((2, 3, 4), 0, 2), S((2, 3), -1, 0)], np.swapaxes),
    OpSpec("transpose-torch", ("ag.transpose",), ag.transpose,
           [S((2, 3, 4), 0, 1, desc="two-ints"), S((2, 3), desc="reverse"),
            S((2, 3, 4), [1, 0, 2], desc="numpy-axes"), S((2, 3), 1, 0)],
           lambda x, *d: np.swapaxes(x, *d) if len(d) == 2 else np.transpose(x, *d)),
    OpSpec("t", ("ag.t",), ag.t, [S((2, 3)), S((3,)), S(())], lambda x: x.T),
    OpSpec("movedim", ("ag.movedim", "ag.moveaxis"), ag.moveaxis,
           [S((2, 3, 4), 0, -1), S((2, 3, 4), [0, 1], [2, 0])], np.moveaxis),
    OpSpec("unsqueeze", ("ag.unsqueeze",), ag.unsqueeze,
           [S((2, 3), 0), S((2, 3), -1), S((), 0)], np.expand_dims),
    OpSpec("squeeze-dim", ("ag.squeeze",), lambda x, d: ag.squeeze(x, dim=d),
           [S((1, 3, 1), 1, desc="non-1-noop"), S((1, 3, 1), [0, 2], desc="list"),
            S((1, 3, 1), -1)],
           lambda x, d: np.squeeze(x, tuple(k for k in np.atleast_1d(d) if x.shape[k] == 1))),
    OpSpec("flatten-range", ("ag.flatten",), ag.flatten,
           [S((2, 3, 4, 2), 1, 2), S((2, 3, 4), -2, -1), S((5,))],
           lambda x, s=0, e=-1: x.reshape(x.shape[:s] + (-1,) + x.shape[e % x.ndim + 1:])),
    OpSpec("unflatten", ("ag.unflatten",), ag.unflatten,
           [S((2, 6), 1, [2, 3]), S((6,), 0, [-1, 2])],
           lambda x, d, sz: x.reshape(x.shape[:d] + tuple(sz) + x.shape[d + 1:])),
    OpSpec("narrow", ("ag.narrow",), ag.narrow,
           [S((4, 3), 0, 1, 2), S((4, 3), -1, -2, 2, desc="negative-start"),
            S((4, 3), 1, 0, 3, desc="whole")],
           lambda x, d, s, n: np.take(x, np.arange(s % x.shape[d], s % x.shape[d] + n), d)),
    OpSpec("split-torch", ("ag.split",), lambda x, s, d: ag.split(x, s, dim=d),
           [S((5, 3), 2, 0, desc="size-remainder"), S((4, 3), [1, 2], 1, desc="sections"),
            S((3,), 5, 0, desc="size-over")],
           _torch_split),
    OpSpec("chunk", ("ag.chunk",), ag.chunk,
           [S((5, 3), 2), S((4, 3), 3, 1), S((6,), 4)],
           lambda x, c, d=0: _torch_split(x, -(-x.shape[d] // c), d)),
    OpSpec("unbind", ("ag.unbind",), ag.unbind, [S((3, 2)), S((2, 3), 1)],
           lambda x, d=0: tuple(np.moveaxis(x, d, 0))),
    OpSpec("cat", ("ag.cat", "ag.concat", "concatenate"),
           lambda *xs, dim=0: ag.concat(xs, dim=dim),
           [S((2, 3), (1, 3)), S((2, 3), (2, 1), dim=-1)],
           lambda *xs, dim=0: np.concatenate(xs, axis=dim)),
    OpSpec("stack-dim", ("ag.stack",), lambda *xs, dim=0: ag.stack(xs, dim=dim),
           [S((2, 3), (2, 3), dim=2), S((3,), (3,), dim=-1)],
           lambda *xs, dim=0: np.stack(xs, axis=dim)),
    OpSpec("hstack", ("ag.hstack", "ag.atleast_1d"), lambda *xs: ag.hstack(xs),
           [S((2, 3), (2, 1)), S((3,), (), desc="1d")], lambda *xs: np.hstack(xs)),
    OpSpec("vstack", ("ag.vstack", "ag.atleast_2d"), lambda *xs: ag.vstack(xs),
           [S((2, 3), (3,)), S((3,), (3,))], lambda *xs: np.vstack(xs)),
    OpSpec("dstack", ("ag.dstack", "ag.atleast_3d"), lambda *xs: ag.dstack(xs),
           [S((2, 3), (2, 3)), S((3,), (3,))], lambda *xs: np.dstack(xs)),
    OpSpec("broadcast_tensors", ("ag.broadcast_tensors",), ag.broadcast_tensors,
           [S((2, 1), (3,)), S((), (2, 2))], lambda *xs: np.broadcast_arrays(*xs)),
    OpSpec("tile", ("ag.tile",), ag.tile,
           [S((2, 3), [2, 1]), S((3,), [2, 2], desc="grows-rank"), S((2, 3), [2])], np.tile),
    OpSpec("repeat", ("broadcast_to",), lambda x, *r: _t(x).repeat(*r),
           [S((2, 3), 2, 1), S((3,), 2, 2, desc="grows-rank")], lambda x, *r: np.tile(x, r)),
    OpSpec("expand", ("broadcast_to",), lambda x, *s: _t(x).expand(*s),
           [S((3, 1), -1, 4), S((3,), 2, 3)],
           lambda x, *s: np.broadcast_to(x, tuple(x.shape[i - len(s) + x.ndim] if v == -1
                                                   else v for i, v in enumerate(s)))),
    OpSpec("mT", ("transpose",), lambda x: _t(x).mT, [S((2, 3, 4)), S((2, 3))],
           lambda x: np.swapaxes(x, -1, -2)),
]

MASK = [
    OpSpec("masked_fill", ("ag.masked_fill", "where"), ag.masked_fill,
           [S((2, 3), M23, 0.5), S((2, 3), np.array([True, False, True]), -1.0, desc="bcast"),
            S((2, 3), M23, (), desc="tensor-value")],
           lambda x, m, v: np.where(m, v, x)),
    OpSpec("tril", ("ag.tril",), ag.tril, [S((3, 4)), S((2, 3, 3), 1), S((3, 4), diagonal=-1)],
           lambda x, diagonal=0: np.tril(x, diagonal)),
    OpSpec("triu", ("ag.triu",), ag.triu, [S((3, 4)), S((2, 3, 3), -1), S((4, 3), diagonal=2)],
           lambda x, diagonal=0: np.triu(x, diagonal)),
    OpSpec("where-scalar", ("ag.where",), ag.where,
           [S(M23, (2, 3), 0.0), S(M23, 2.0, (3,), desc="scalar-x")], np.where),
    OpSpec("where-method", ("where",), lambda x, c, y: _t(x).where(c, y),
           [S((2, 3), M23, (2, 3))], lambda x, c, y: np.where(c, x, y)),
    OpSpec("nonzero", ("ag.nonzero", "ag.argwhere", "getitem"),
           lambda x, m: x[ag.nonzero(m, as_tuple=True)] + x[tuple(ag.argwhere(m).data.T)],
           [S((2, 3), M23)], lambda x, m: 2 * x[np.nonzero(m)]),
    OpSpec("masked_select", ("ag.masked_select",), ag.masked_select,
           [S((2, 3), M23), S((3,), M23, desc="bcast-input")],
           lambda x, m: np.broadcast_to(x, m.shape)[m]),
    OpSpec("one_hot", ("ag.one_hot",), lambda x, i: x * ag.one_hot(i, 4),
           [S((3, 4), I([0, 3, 1])), S((4,), I([[1], [2]]))],
           lambda x, i: x * np.eye(4, dtype=np.int64)[i]),
]

G_IDX = I([[0, 2, 1], [1, 0, 0]])

INDEX = [
    OpSpec("gather", ("ag.gather", "getitem"), ag.gather,
           [S((3, 3), 0, G_IDX), S((2, 4), 1, I([[3, 3], [0, 1]]), desc="smaller-repeat"),
            S((2, 3, 2), -1, I([[[1], [0], [1]], [[0], [0], [1]]]))],
           lambda x, d, i: _gather(x, d % x.ndim, i)),
    OpSpec("take_along_dim", ("ag.take_along_dim",), ag.take_along_dim,
           [S((3, 4), I([[0, 3], [1, 1], [2, 0]]), 1), S((3, 4), I([[0, 2]]), 1, desc="bcast"),
            S((3, 4), I([5, 0, 11]), desc="flat")],
           lambda x, i, d=None: np.take_along_axis(x, i, d)),
    OpSpec("scatter", ("scatter", "ag.scatter"), ag.scatter,
           [S((3, 4), 1, I([[0, 2], [3, 1], [1, 0]]), (3, 3)),
            S((3, 4), 0, I([[2, 0, 1, 0]]), (2, 4), desc="src-larger")],
           lambda x, d, i, s: _scatter(x, d, i, s)),
    OpSpec("scatter-value", ("ag.scatter", "where"), lambda x, d, i: ag.scatter(x, d, i, value=0.5),
           [S((3, 4), 1, I([[0, 2], [3, 1], [1, 0]]))],
           lambda x, d, i: _scatter(x, d, i, value=0.5)),
    OpSpec("scatter_add", ("ag.scatter_add", "index_add_zeros"), ag.scatter_add,
           [S((3, 4), 1, I([[0, 0], [3, 1], [1, 1]]), (3, 2), desc="repeats"),
            S((2, 3), 0, I([[1, 1, 0]]), (2, 3))],
           lambda x, d, i, s: _scatter_reduce(x, d, i, s, "sum")),
    OpSpec("scatter_reduce", ("ag.scatter_reduce",), ag.scatter_reduce,
           [S((3, 4), 1, I([[0, 0], [3, 1], [1, 1]]), (3, 2), "sum", include_self=False),
            S((3, 4), 1, I([[0, 0], [3, 1], [1, 1]]), (3, 2), "mean"),
            S((3, 4), 1, I([[0, 0], [3, 1], [1, 1]]), (3, 2), "mean", include_self=False),
            S((3, 4), 1, I([[0, 0], [3, 1], [1, 1]]), (3, 2), "amax"),
            S((3, 4), 0, I([[0, 1, 2, 0], [0, 1, 1, 2]]), (2, 4), "amin", include_self=False)],
           _scatter_reduce),
    OpSpec("index_select", ("ag.index_select",), ag.index_select,
           [S((4, 3), 0, I([3, 0, 3])), S((4, 3), -1, I([2])), S((4, 3), 1, I(1), desc="0d")],
           lambda x, d, i: np.take(x, np.atleast_1d(i), d)),
    OpSpec("index_add", ("ag.index_add",), ag.index_add,
           [S((4, 3), 0, I([3, 0, 3]), (3, 3)), S((4, 3), 1, I([2, 2]), (4, 2), alpha=-2.0)],
           _index_add),
    OpSpec("index_fill", ("ag.index_fill",), ag.index_fill,
           [S((4, 3), 0, I([3, 0]), 1.5), S((4, 3), 1, I([1]), (), desc="tensor-value")],
           _index_fill),
]

MOVEMENT = [
    OpSpec("flip", ("ag.flip", "ag.fliplr", "ag.flipud"),
           lambda x, d: ag.flip(ag.fliplr(ag.flipud(x)), d),
           [S((3, 4), [0]), S((2, 3, 2), [0, 2])],
           lambda x, d: np.flip(np.fliplr(np.flipud(x)), tuple(d))),
    OpSpec("roll", ("ag.roll",), ag.roll,
           [S((3, 4), 1, 0), S((3, 4), [-1, 5], [0, 1]), S((3, 4), 2, desc="flat")],
           lambda x, s, d=None: np.roll(x, s, d)),
    OpSpec("repeat_interleave", ("ag.repeat_interleave",), ag.repeat_interleave,
           [S((3, 2), 2, 0), S((3, 2), I([1, 0, 2]), 0, desc="tensor"), S((2, 2), 3, desc="flat")],
           lambda x, r, d=None: np.repeat(x, r, d)),
    OpSpec("diag", ("ag.diag",), ag.diag,
           [S((3,)), S((3,), 1), S((3, 4), -1), S((3, 4))], np.diag),
    OpSpec("diagonal", ("ag.diagonal",), ag.diagonal,
           [S((3, 4)), S((2, 3, 4), 1, 1, 2), S((3, 4, 2), -1, 0, 1), S((3, 3), 5, desc="empty")],
           np.diagonal),
    OpSpec("diag_embed", ("ag.diag_embed",), ag.diag_embed,
           [S((2, 3)), S((3,), 1), S((2, 3), 0, 0, 2)], _diag_embed),
    OpSpec("trace", ("reduce.sum",), lambda x: _t(x).trace(), [S((3, 4)), S((2, 2))], np.trace),
    OpSpec("meshgrid", ("ag.meshgrid",), ag.meshgrid,
           [S((3,), (2,)), S((3,), (2,), (2,), indexing="xy")],
           lambda *xs, indexing="ij": np.meshgrid(*xs, indexing=indexing)),
    OpSpec("unfold", ("getitem",), lambda x, d, s, st: _t(x).unfold(d, s, st),
           [S((7,), 0, 3, 2, desc="overlap"), S((2, 5, 3), 1, 2, 1), S((4, 3), 0, 4, 1)],
           _unfold),
    OpSpec("pad_nd", ("pad",), pad_nd,
           [S((2, 3), [1, 2]), S((2, 3, 4), [1, -1, -1, 2], value=0.5, desc="crop"),
            S((2, 4), [2, 1], mode="reflect"), S((2, 3), [1, 2, 1, 0], mode="replicate"),
            S((2, 3), [2, 3], mode="circular"), S((1, 2, 4), [-1, 2, 1, 1], mode="reflect")],
           _pad_ref),
    OpSpec("F.pad", ("F.pad",), F.pad,
           [S((2, 3), [1, 2], mode="replicate"),
            S((2, 3), pad_width=((1, 0), (0, 2)), desc="numpy")],
           lambda x, pad=None, mode="constant", pad_width=None:
           _pad_ref(x, pad, mode) if pad_width is None else np.pad(x, pad_width)),
]

assert ix  # index module imported for its registration
SPECS = [*SHAPE, *MASK, *INDEX, *MOVEMENT]
