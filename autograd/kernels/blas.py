"""GEMM on row-major blocks, callable from jitted code: ``gemm(..)`` writes C = op(A) @ op(B).

Numba's ``np.dot`` only takes whole contiguous matrices. ``gemm`` reaches the same BLAS (SciPy's
OpenBLAS, through Numba's ``numba_xxgemm`` helper) with leading dimensions and offsets, so a
worker can compute any block of a product in place: no copy of an operand slice, no scratch
output. BLAS is column-major; a row-major product C = A @ B is the column-major C^T = B^T @ A^T,
so the operands swap places and keep their transpose flags.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.np.linalg import ensure_blas

from ._runtime import JIT_OPTIONS

__all__ = ["gemm"]

ensure_blas()  # raises a clear ImportError if SciPy's BLAS cannot be found

_xxgemm = types.ExternalFunction(
    "numba_xxgemm",
    types.intc(
        types.char, types.char, types.char,  # kind ('s' / 'd'), transa, transb
        types.intp, types.intp, types.intp,  # m, n, k
        types.voidptr, types.voidptr, types.intp,  # alpha, a, lda
        types.voidptr, types.intp,  # b, ldb
        types.voidptr, types.voidptr, types.intp,  # beta, c, ldc
    ),
)
_N, _T = np.int8(ord("n")), np.int8(ord("t"))
_S, _D = np.int8(ord("s")), np.int8(ord("d"))


# inline="always": typed into each caller (one external call), so the constant flags and offsets
# the callers pass do not compile a separate specialisation each
@njit(inline="always", **JIT_OPTIONS)
def gemm(a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, M, N, K, scale):  # noqa: N803
    """C = op(A) @ op(B) on flat row-major buffers (one dtype), with op(X) = X.T where tX.

    The (M, K) operand op(A) starts at a[ao] with row stride lda (a (K, M) block if ta); op(B),
    (K, N), starts at b[bo] with row stride ldb; C, (M, N), at c[co] with row stride ldc.
    ``scale`` is a 2-element array (alpha, beta) of the dtype: C = alpha op(A) op(B) + beta C.
    """
    _xxgemm(_S if c.itemsize == 4 else _D, _T if tb else _N, _T if ta else _N, N, M, K,
            scale[0:].ctypes, b[bo:].ctypes, ldb, a[ao:].ctypes, lda,
            scale[1:].ctypes, c[co:].ctypes, ldc)
