"""Batch normalization's passes over the batch as compiled loops, when numba is installed.

numpy makes one pass over an ``(m, d)`` batch per operation, so bnref's forward and backward
pass read or write the batch 11 times: the mean, ``x - μ``, ``Σ (x - μ)²``, the scale and the
shift; then ``Σ g``, ``Σ g (x - μ)`` and four passes for ``dx``. The loops of
:mod:`bnref._loops` do several of those operations while an element is at hand: 3 passes
forward (the mean stays numpy's) and 2 backward. They do the same arithmetic in the same order,
so the results are the numpy code's bit for bit (``tests/test_compiled.py``); the numpy code in
:mod:`bnref.batchnorm` stays the reference that the book reads line by line.

They run where that holds and pays (:func:`loops`): float64, C-contiguous batches of at least
``MIN_VALUES`` values and ``d >= 2`` units (with ``d = 1`` numpy sums the one column pairwise,
in another order). Elsewhere, and everywhere when numba is not installed (``pip install
"bnref[fast]"`` installs it), bnref runs the numpy code. numba is imported at the first such
batch, not with bnref: the import takes about 0.7 s, and the first compile 1.6 s (then cached).
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
            _loops = importlib.import_module("bnref._loops")
        except ImportError as error:  # e.g. a numba that does not support this numpy
            ENABLED = False
            warnings.warn(
                f"numba is installed but cannot be imported ({error}); bnref runs its numpy code",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
    return _loops
