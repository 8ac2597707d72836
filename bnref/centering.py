"""Centering: the normalization of the paper's Section 2 example.

In the book's notation a unit's pre-activation for example ``i`` is ``x_i = u_i + b`` and the
example's normalization is ``x̂_i = x_i - μ`` with ``μ = (1/m) Σ_j x_j``. Because ``μ`` depends on
every ``x_j``, the exact vector-Jacobian product subtracts the mean of the cotangent; the naive
one (the paper's "ignores the dependence of E[x] on b") treats ``μ`` as a constant.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from bnref import _validate
from bnref._validate import Array

__all__ = ["center", "center_jacobian", "center_vjp"]


def center(x: ArrayLike) -> Array:
    r"""Subtract the batch mean of each unit: ``x̂ = x - μ``.

    Parameters
    ----------
    x : array_like of shape (m, d)
        Pre-activations: ``m >= 2`` examples (rows) of ``d`` units (columns).

    Returns
    -------
    x_hat : ndarray of shape (m, d)
        ``x[i, k] - μ[k]`` with ``μ[k] = (1/m) Σ_i x[i, k]``; float64, or complex128 for
        complex input.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D, has fewer than two rows, or holds nan or inf.

    Notes
    -----
    The normalization of the paper's Section 2 example, ``x̂ = x - E[x]`` with ``E[x]`` an
    average (book equation ``eq-center``). The mean is over examples (axis 0), never over units.

    Examples
    --------
    >>> import bnref
    >>> bnref.center([[1.0, 10.0], [3.0, 20.0]])
    array([[-1., -5.],
           [ 1.,  5.]])
    """
    x = _validate.batch(x, check_finite=False)
    x_hat: Array = x - _validate.batch_mean(x)
    return x_hat


def center_vjp(x: ArrayLike, g: ArrayLike, *, through_mean: bool = True) -> Array:
    r"""Vector-Jacobian product of :func:`center`: ``dx = g·∂x̂/∂x``.

    Parameters
    ----------
    x : array_like of shape (m, d)
        The point at which :func:`center` is differentiated (``m >= 2``).
    g : array_like of shape (m, d)
        The cotangent ``g[i, k] = ∂ℓ/∂x̂[i, k]``.
    through_mean : bool, default True
        ``True`` differentiates through the mean: ``dx = g - mean(g)``. ``False`` is the naive
        gradient of the paper's example, which treats the mean as a constant (a stop-gradient),
        so ``dx = g``.

    Returns
    -------
    dx : ndarray of shape (m, d)
        ``∂ℓ/∂x``, a fresh array (never ``g`` itself).

    Raises
    ------
    ValueError
        If ``x`` is not a valid batch, ``g`` does not have the shape of ``x``, or either holds
        nan or inf.

    Notes
    -----
    ``∂x̂_i/∂x_j = δ_ij - 1/m`` exactly (book equation ``eq-center-jacobian``), so the exact
    product is ``g - ḡ`` and the naive one differs from it by ``ḡ`` in every row: the component
    along the all-ones direction.

    Examples
    --------
    >>> import bnref
    >>> x = [[1.0], [2.0], [6.0]]
    >>> g = [[1.0], [1.0], [4.0]]
    >>> bnref.center_vjp(x, g)
    array([[-1.],
           [-1.],
           [ 2.]])
    >>> bnref.center_vjp(x, g, through_mean=False)
    array([[1.],
           [1.],
           [4.]])
    """
    x = _validate.batch(x)
    g = _validate.same_shape(g, "g", x)
    g_mean = _validate.batch_mean(g, "g")  # finite, and its sum does not overflow
    if not _validate.flag(through_mean, "through_mean"):
        return g.copy()
    dx: Array = g - g_mean
    return dx


def center_jacobian(m: int, *, through_mean: bool = True) -> Array:
    r"""The ``m × m`` Jacobian of centering one unit over a batch of ``m`` examples.

    Parameters
    ----------
    m : int
        Batch size, ``m >= 2``.
    through_mean : bool, default True
        ``True`` gives ``I - 11ᵀ/m``; ``False`` gives the naive ``I`` (mean held constant).

    Returns
    -------
    J : ndarray of shape (m, m)
        ``J[i, j] = ∂x̂_i/∂x_j``, the same for every unit and every ``x``.

    Raises
    ------
    ValueError
        If ``m`` is not an integer ``>= 2``.

    Notes
    -----
    ``I - 11ᵀ/m`` is the orthogonal projector onto the plane ``Σ_i v_i = 0`` (book equation
    ``eq-center-jacobian``): symmetric, idempotent, of rank ``m - 1``.

    Examples
    --------
    >>> import bnref
    >>> bnref.center_jacobian(2)
    array([[ 0.5, -0.5],
           [-0.5,  0.5]])
    """
    through_mean = _validate.flag(through_mean, "through_mean")
    if _validate.count(m, "m") < 2:
        raise ValueError(f"m must be an integer >= 2 (a batch of at least two); got {m!r}")
    eye = np.eye(m)
    return eye - 1.0 / m if through_mean else eye
