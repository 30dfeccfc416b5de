"""`ag.linalg`: PyTorch's `torch.linalg` spellings (inv, det, slogdet, solve, cholesky, qr, svd,
svdvals, eigh, eigvalsh, vector_norm, matrix_norm, norm, matmul)."""

from autograd.ops.linalg import matmul
from autograd.ops.linalg_decomp import (
    EighResult,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from autograd.ops.linalg_norm import matrix_norm, norm, vector_norm

__all__ = [
    "EighResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "det", "eigh",
    "eigvalsh", "inv", "matmul", "matrix_norm", "norm", "qr", "slogdet", "solve", "svd",
    "svdvals", "vector_norm",
]
