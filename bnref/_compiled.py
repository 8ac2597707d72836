"""Batch normalization's passes over the batch as compiled loops, when numba is installed.

numpy makes one pass over ``(m, d)`` arrays per operation, so bnref's forward and exact backward
pass make 11: the mean, ``x - μ``, ``Σ (x - μ)²``, the scale and the shift; then ``Σ g``,
``Σ g (x - μ)`` and four passes for ``dx``. The loops of :mod:`bnref._loops` do several of
those operations while an element is at hand: 3 passes forward (the mean stays numpy's) and 2
backward. They do the same arithmetic in the same order, so the results are the numpy code's
bit for bit (``tests/test_compiled.py``); the numpy code in :mod:`bnref.batchnorm` stays the
reference that the book reads line by line.

They run where that holds and pays (:func:`loops`): float64, C-contiguous batches of at least
``MIN_VALUES`` values and ``d >= 2`` units (with ``d = 1`` numpy sums the one column in another
order). Elsewhere, and everywhere when numba is not installed (``pip install "bnref[fast]"``
installs it), bnref runs the numpy code. So it does where the two would differ, which the first
use checks (:func:`_same_sums`): some numpy builds (aarch64's, for one) sum products in
``einsum`` with a fused multiply-add, one rounding where the loops make two.

numba is imported at the first batch that takes the loops, not with bnref: about 0.7 s, then
about 1.5 s to compile the loops in the first process, and 0.5 s to load them from numba's cache
in later ones. A numba that cannot be imported or compile (too old for this numpy; no writable
cache folder) gives one ``RuntimeWarning`` and the numpy code. The loops do not raise numpy's
floating-point warnings: where parameters as large as ``γ = 1e308`` overflow ``y`` or ``dx`` to
infinity, the numpy code warns and the loops return the same infinities silently.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from types import ModuleType

import numpy as np

from bnref._validate import Array

# Below this many values the numpy passes run in the cache and the loops gain little, while the
# first call would pay numba's import: small batches (the book's, most tests') stay numpy's.
MIN_VALUES = 1 << 16
ENABLED = importlib.util.find_spec("numba") is not None  # cleared if the import fails
_loops: ModuleType | None = None


def loops(batch: Array, *others: Array) -> ModuleType | None:
    """:mod:`bnref._loops` if its loops apply to ``batch`` ``(m, d)`` and to ``others`` (other
    batches of that shape, or one value per unit), else None: run the numpy code."""
    m, d = batch.shape
    if not ENABLED or d < 2 or m * d < MIN_VALUES:
        return None
    if any(a.dtype != np.float64 or not a.flags.c_contiguous for a in (batch, *others)):
        return None
    return _load()


def _load() -> ModuleType | None:
    global _loops, ENABLED
    if _loops is None:
        try:
            module = importlib.import_module("bnref._loops")
            jit = not importlib.import_module("numba").config.DISABLE_JIT
            usable = jit and _same_sums(module)
        except Exception as error:  # any failure of numba leaves the numpy code
            ENABLED = False
            warnings.warn(
                f"numba is installed but cannot run bnref's loops ({type(error).__name__}: "
                f"{error}); bnref runs its numpy code",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        if not usable:  # numba's JIT switched off (pure Python loops), or einsum fuses
            ENABLED = False
            return None
        _loops = module
    return _loops


def _same_sums(module: ModuleType) -> bool:
    """Whether the loops' ``Σ g (x - μ)`` equals numpy's einsum: two roundings per term in both,
    or a fused multiply-add in numpy's. With ``t = 1 + 2⁻³⁰`` the column ``(1, t)·(-1, t)`` sums to
    ``-1 + round(t²) = 2⁻²⁹`` with two roundings, and to ``2⁻²⁹ + 2⁻⁶⁰`` with one."""
    t = 1.0 + 2.0**-30
    xc = np.array([[1.0, 1.0], [t, t]])
    g = np.array([[-1.0, -1.0], [t, t]])
    sum_g, sum_gxc = np.zeros(2), np.zeros(2)
    module.sums(g, xc, sum_g, sum_gxc)
    return bool(np.array_equal(sum_gxc, np.einsum("ij,ij->j", g, xc)))
