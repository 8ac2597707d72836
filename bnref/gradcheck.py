"""Numerical derivatives to check the analytic ones: central differences and the complex step.

Central differences are easy to trust and approximate: their error is ``O(h²)`` truncation
plus ``O(ε_machine / h)`` rounding. The complex step ``Im f(x + ih) / h`` has no subtraction, so
with ``h = 1e-20`` it is exact to rounding, provided ``f`` is complex-analytic near the point.
``bnref``'s normalizations are (they write ``(x - μ) ** 2``, never ``abs`` or ``conj``), and so
are its smooth nonlinearities; the ReLU (``theta="relu"`` in the placement experiments) is not:
its complex step is right only away from its kink, where it is locally linear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from bnref import _validate
from bnref._validate import Array

__all__ = ["complex_step_gradient", "finite_difference_gradient"]

ScalarFunction = Callable[[Array], Any]


def _point(x: ArrayLike, h: float) -> Array:
    point = np.asarray(x)
    if point.dtype.kind not in "biuf":
        raise ValueError(f"x must be a real numeric array; got dtype {point.dtype}")
    if _validate.finite_real(h, "h") <= 0:
        raise ValueError(f"h must be a finite real number > 0; got {h!r}")
    return _validate.finite(point.astype(np.float64), "x")


def _scalar(value: Any) -> complex:
    out = np.asarray(value)
    if out.shape != ():
        raise ValueError(f"f must return a scalar; got an array of shape {out.shape}")
    return complex(out)


def finite_difference_gradient(f: ScalarFunction, x: ArrayLike, *, h: float = 1e-6) -> Array:
    r"""Gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        Maps an array of the shape of ``x`` to a real scalar.
    x : array_like
        The point, any shape, real and finite.
    h : float, default 1e-6
        Relative step: entry ``j`` moves by ``h · max(1, |x_j|)``, so large offsets are
        stepped in proportion.

    Returns
    -------
    grad : ndarray of the shape of x
        ``(f(x + δ_j e_j) - f(x - δ_j e_j)) / (2 δ_j)`` for every entry ``j``.

    Raises
    ------
    ValueError
        If ``x`` is not real and finite, ``h`` is not positive, or ``f`` does not return a
        scalar.

    Notes
    -----
    Error ``O(h²)`` from truncation plus ``O(ε_machine · |f| / h)`` from rounding; ``h = 1e-6``
    balances them for smooth functions of order-one inputs (about ``1e-10`` relative).

    Examples
    --------
    >>> import numpy as np, bnref
    >>> grad = bnref.finite_difference_gradient(lambda v: np.sum(v**3), [1.0, 2.0])
    >>> grad.round(6)
    array([ 3., 12.])
    """
    point = _point(x, h)
    grad = np.empty_like(point)
    step = h * np.maximum(1.0, np.abs(point))
    for j in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[j] += step[j]
        down[j] -= step[j]
        grad[j] = (_scalar(f(up)).real - _scalar(f(down)).real) / (up[j] - down[j])
    return grad


def complex_step_gradient(f: ScalarFunction, x: ArrayLike, *, h: float = 1e-20) -> Array:
    r"""Gradient of a real-analytic scalar function by the complex step ``Im f(x + ih e_j) / h``.

    Parameters
    ----------
    f : callable
        Maps an array of the shape of ``x`` to a scalar; must accept complex input and be
        complex-analytic (no ``abs``, ``conj``, comparisons on the perturbed values).
    x : array_like
        The point, any shape, real and finite.
    h : float, default 1e-20
        The imaginary step. There is no subtraction, so it can be tiny.

    Returns
    -------
    grad : ndarray of the shape of x
        Exact to rounding for analytic ``f``.

    Raises
    ------
    ValueError
        If ``x`` is not real and finite, ``h`` is not positive, or ``f`` does not return a
        scalar.

    Notes
    -----
    ``f(x + ih) = f(x) + ih f'(x) - h² f''(x)/2 + O(h³)``, so ``Im f(x + ih)/h = f'(x) + O(h²)``
    with no cancellation (Squire & Trapp, 1998).

    Examples
    --------
    >>> import numpy as np, bnref
    >>> bnref.complex_step_gradient(lambda v: np.sum(v**3), [1.0, 2.0])
    array([ 3., 12.])
    """
    point = _point(x, h)
    grad = np.empty_like(point)
    for j in np.ndindex(point.shape):
        probe = point.astype(np.complex128)
        probe[j] += 1j * h
        grad[j] = _scalar(f(probe)).imag / h
    return grad
