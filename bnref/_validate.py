"""Input validation shared by every public function.

Each checker returns a float64 (or complex128) array that the caller may read but must not
modify, and raises ``ValueError`` naming the argument, what was received and what was expected.
Validation is kept out of the numerical modules so that those read like the paper.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[Any]


class FloatRangeError(ValueError):
    """Finite inputs whose sums or variance leave the range of float64 (overflow or underflow).

    A ``ValueError`` like every other input error; its own class lets a caller such as the
    trainer tell a diverging run from a programming error.
    """


def _numeric(value: ArrayLike, name: str) -> Array:
    """``value`` as float64, or complex128 if it is complex (no copy when already so)."""
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        return arr.astype(np.complex128, copy=False)
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64, copy=False)
    raise ValueError(f"{name} must be a real or complex numeric array; got dtype {arr.dtype}")


def _where_nonfinite(arr: Array) -> str:
    bad = ~np.isfinite(arr)
    if arr.ndim == 0:
        return f"1 non-finite value(s) ({arr.item()!r})"
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    index = first[0] if len(first) == 1 else list(first)
    return f"{int(bad.sum())} non-finite value(s) (nan or inf), the first at index {index}"


def finite(arr: Array, name: str) -> Array:
    """Raise if ``arr`` holds nan or inf; return it unchanged otherwise."""
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has {_where_nonfinite(arr)}; expected finite values")
    return arr


def batch(x: ArrayLike, name: str = "x", *, min_rows: int = 2, check_finite: bool = True) -> Array:
    """Validate a batch of shape ``(m, d)`` with ``m >= min_rows`` examples.

    ``check_finite=False`` lets a caller fold the finiteness check into a reduction it needs
    anyway (see :func:`finite_reduction`), which saves one pass over a large array.
    """
    arr = _numeric(x, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (m, d), m examples by d units; "
            f"got an array of shape {arr.shape}"
        )
    if arr.shape[0] < min_rows:
        raise ValueError(
            f"{name} must have at least m = {min_rows} examples (rows) to compute batch "
            f"statistics; got m = {arr.shape[0]} (shape {arr.shape})"
        )
    return finite(arr, name) if check_finite else arr


def finite_reduction(reduced: Array, source: Array, name: str) -> None:
    """Check finiteness of ``source`` through a reduction of it (its sum or mean over axis 0).

    nan and inf propagate through a sum, so a finite ``reduced`` proves that ``source`` is
    finite without a separate pass over it. Only when ``reduced`` is not finite do we look at
    ``source`` itself, to tell a non-finite input from an overflow of finite ones.
    """
    if np.isfinite(reduced).all():
        return
    finite(source, name)
    raise FloatRangeError(
        f"{name} overflows: its sum over the batch is not finite although every value is; "
        f"expected magnitudes below about 1e300"
    )


def batch_mean(x: Array, name: str = "x") -> Array:
    """``x.mean(axis=0)``, which doubles as the finiteness check of ``x``.

    ``inf - inf`` inside the sum would warn before we could raise our own error, so floating
    point warnings are silenced here and the result is checked instead.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        # What x.mean(axis=0) computes (the same sum, the same division), bit for bit, without
        # its Python-level wrapper: a few microseconds per call, which show at small batches.
        mu: Array = np.add.reduce(x, axis=0) / x.shape[0]
    finite_reduction(mu, x, name)
    return mu


def batch_sum(g: Array, name: str) -> Array:
    """``g.sum(axis=0)``, which doubles as the finiteness check of ``g`` (as :func:`batch_mean`)."""
    with np.errstate(invalid="ignore", over="ignore"):
        total: Array = g.sum(axis=0)
    finite_reduction(total, g, name)
    return total


def same_shape(arr: ArrayLike, name: str, x: Array, x_name: str = "x") -> Array:
    """Validate that ``arr`` has exactly the shape of ``x``."""
    out = _numeric(arr, name)
    if out.shape != x.shape:
        raise ValueError(
            f"{name} must have the same shape as {x_name}, {x.shape}; got shape {out.shape}"
        )
    return out


def per_unit(arr: ArrayLike, name: str, d: int) -> Array:
    """Validate a per-unit parameter of shape exactly ``(d,)`` (no silent broadcasting)."""
    out = _numeric(arr, name)
    if out.shape != (d,):
        raise ValueError(
            f"{name} must have shape (d,) = ({d},), one value per unit; got shape {out.shape}"
        )
    return finite(out, name)


def scalar_or_per_unit(arr: ArrayLike, name: str, d: int) -> Array:
    """Validate a scalar or a ``(d,)`` array and broadcast it to ``(d,)`` (a fresh array)."""
    out = _numeric(arr, name)
    if out.shape not in {(), (d,)}:
        raise ValueError(
            f"{name} must be a scalar or have shape (d,) = ({d},); got shape {out.shape}"
        )
    return np.array(np.broadcast_to(finite(out, name), (d,)))


def eps_value(eps: float) -> float:
    """Validate ``eps``: a finite real number ``>= 0``."""
    if type(eps) is float and 0.0 <= eps < math.inf:  # the common case, without the ABC checks
        return eps
    if (
        isinstance(eps, bool)
        or not isinstance(eps, numbers.Real)
        or not np.isfinite(eps)
        or eps < 0
    ):
        raise ValueError(f"eps must be a finite real number >= 0; got {eps!r}")
    return float(eps)


def finite_real(value: float, name: str) -> float:
    """Validate a finite real scalar such as a learning rate."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    return float(value)


def count(value: int, name: str) -> int:
    """Validate a non-negative integer such as a number of steps."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}")
    return int(value)


def usable_variance(x: Array, var: Array, eps: float, name: str = "x") -> None:
    """Raise where ``var`` cannot be divided by: overflowed, zero, or (with ``eps == 0``) so
    small that it is subnormal and ``x̂`` would lose most of its digits."""
    overflow = ~np.isfinite(var)
    if overflow.any():
        raise FloatRangeError(
            f"{name} has a variance that overflows float64 in unit(s) k = "
            f"{np.flatnonzero(overflow).tolist()}; expected a spread below about 1e150"
        )
    if eps > 0:
        return
    flat = (var == 0) | np.all(x == x[:1], axis=0)
    if flat.any():
        raise ValueError(
            f"{name} has zero variance in unit(s) k = {np.flatnonzero(flat).tolist()} and "
            f"eps = 0, so the normalization divides by zero there; expected eps > 0 or a unit "
            f"whose values differ"
        )
    subnormal = np.abs(var) < np.finfo(np.float64).tiny
    if subnormal.any():
        raise FloatRangeError(
            f"{name} has a variance below the smallest normal float64 in unit(s) k = "
            f"{np.flatnonzero(subnormal).tolist()} and eps = 0, so x_hat would lose most of its "
            f"digits; expected a spread above about 1e-150 (rescale x) or eps > 0"
        )


def flag(value: object, name: str) -> bool:
    """Validate a mode switch: ``True`` or ``False`` (a string such as ``"False"`` is truthy)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)
