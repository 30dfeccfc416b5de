"""Specs for the engine's own primitives: writes (setitem, fill, copy_into) and torch.div's
rounded quotient."""

from __future__ import annotations

import numpy as np

from autograd import inplace, tensor_api
from tests.op_specs import Const, OpSpec, S


def _setitem_ref(x: np.ndarray, value: np.ndarray, index: object) -> np.ndarray:
    out = x.copy()
    out[index] = value
    return out


SPECS = [
    OpSpec(
        "setitem", ("setitem",), inplace.setitem,
        [
            S((3, 4), (4,), index=1, desc="row"),
            S((3, 4), (3,), index=(slice(None), 2), desc="column"),
            S((3, 4), (), index=(slice(0, 2), slice(1, 3)), desc="broadcast-scalar"),
            S((5,), (2,), index=np.array([0, 3]), desc="advanced"),
            S((2, 3), (4,), index=np.array([[True, False, True], [False, True, True]]),
              desc="mask"),
        ],
        _setitem_ref,
    ),
    OpSpec("fill", ("fill",), inplace.fill, [S((2, 3), value=1.5), S((), value=0.0)],
           lambda x, value: np.full_like(x, value)),
    OpSpec(
        "copy_into", ("copy_into",), inplace.copy_into,
        [S((2, 3), (2, 3)), S((2, 3), (3,), desc="broadcast"), S((4,), (), desc="scalar")],
        lambda x, src: np.broadcast_to(src, x.shape).astype(x.dtype),
    ),
    OpSpec(
        "divide_rounded", ("divide_rounded",), tensor_api.divide_rounded,
        [
            S(np.array([0.25, 1.3, -0.6, -2.7]), Const(np.array([1.0, 0.5, 1.0, 2.0])),
              rounding_mode="floor"),
            S(np.array([0.25, 1.3, -0.6, -2.7]), Const(np.array([1.0, 0.5, 1.0, 2.0])),
              rounding_mode="trunc"),
        ],
        lambda x, y, rounding_mode: (np.floor if rounding_mode == "floor" else np.trunc)(x / y),
    ),
    OpSpec("clone", ("clone",), tensor_api.clone, [S((2, 3)), S(())], np.copy),
]
