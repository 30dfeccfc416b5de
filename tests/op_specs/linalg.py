"""Specs for einsum, attention and linear algebra: `autograd/ops/{einsum,attention,linalg*}.py`.

Decompositions whose outputs have a sign/rotation freedom (qr, svd, eigh) are checked
through functions invariant to it; symmetric inputs are built as X + X^T and positive
definite ones as X X^T + n I, so the finite differences stay on the matrices the ops accept.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from tests.op_specs import OpSpec, S

EINSUM = [
    OpSpec("einsum", ("einsum", "ag.einsum"), ag.einsum,
           [S("bij,bjk->bik", (2, 3, 4), (2, 4, 2), desc="bmm"),
            S("ij,jk", (2, 3), (3, 4), desc="implicit"),
            S("ii->i", (3, 3), desc="diagonal"),
            S("ii", (3, 3), desc="trace"),
            S("ij->", (2, 3), desc="sum"),
            S("i,j->ij", (3,), (2,), desc="outer"),
            S("...ij,...jk->...ik", (2, 2, 3), (3, 2), desc="ellipsis"),
            S("iij,jk->ik", (2, 2, 3), (3, 4), desc="repeat-and-contract"),
            S("ij,ij->i", (1, 3), (2, 3), desc="size1-broadcast"),
            S("ab,bc,cd->ad", (2, 3), (3, 2), (2, 2), desc="three")],
           lambda eq, *a: np.einsum(eq, *a)),
]

SPECS = [*EINSUM]
