"""The loops of :mod:`bnref._compiled`, compiled by numba (imported only when numba is installed).

Each loop does, element by element, the operations that :mod:`bnref.batchnorm` does as whole-
batch numpy passes, in the same order and with the same roundings: numba neither fuses a
multiply and an add nor reorders a sum unless asked to (``fastmath``), and nothing here asks.
The sums run down each column from row 0 and start from ``+0.0``, as numpy's column sums and
``einsum("ij,ij->j", ...)`` do for ``d >= 2`` (where einsum does not fuse: see
:func:`bnref._compiled._same_sums`). ``cache=True`` keeps the machine code on disk, in
``__pycache__`` beside this file, else in the user's cache folder, or in ``NUMBA_CACHE_DIR``;
each kind of argument (a read-only ``x - μ``, for one) is compiled once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bnref._validate import Array


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def center(x: Array, mu: Array, xc: Array) -> Array:
    """Algorithm 1, lines 1-2 after ``μ``: ``x - μ`` into ``xc``; returns ``Σ_i (x_i - μ)²``."""
    m, d = x.shape
    squares = np.zeros(d)
    for i in range(m):
        for k in range(d):
            c = x[i, k] - mu[k]
            xc[i, k] = c
            squares[k] += c * c
    return squares


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def scale_shift(xc: Array, a: Array, beta: Array, y: Array) -> None:
    """Algorithm 1, line 4 from ``x - μ``: ``y = (x - μ)·a + β`` with ``a = γ/s``."""
    m, d = xc.shape
    for i in range(m):
        for k in range(d):
            y[i, k] = xc[i, k] * a[k] + beta[k]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def sums(g: Array, xc: Array, sum_g: Array, sum_gxc: Array) -> None:
    """The backward pass's two sums over the batch, added into ``sum_g`` and ``sum_gxc`` (zeros):
    ``Σ_i g_i`` and ``Σ_i g_i (x_i - μ)``."""
    m, d = g.shape
    for i in range(m):
        for k in range(d):
            sum_g[k] += g[i, k]
            sum_gxc[k] += g[i, k] * xc[i, k]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator,unused-ignore]
def dx(xc: Array, g: Array, a: Array, b: Array, c: Array, out: Array) -> None:
    """``dx = ((x - μ)·a - b + g)·c``: with ``a = -dγ/(m s)``, ``b = dβ/m``, ``c = γ/s``, the
    exact ``∂ℓ/∂x``. ``out`` may be ``xc``: each element is read before it is written."""
    m, d = xc.shape
    for i in range(m):
        for k in range(d):
            out[i, k] = ((xc[i, k] * a[k] - b[k]) + g[i, k]) * c[k]
