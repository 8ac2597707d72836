"""Batch normalization (the paper's Algorithm 1) and its backward pass.

Notation (the book's, per unit ``k``; examples ``i = 1..m`` of a mini-batch)::

    μ   = (1/m) Σ_i x_i                 mini-batch mean
    σ²  = (1/m) Σ_i (x_i - μ)²          mini-batch variance (biased, as in Algorithm 1)
    s   = sqrt(σ² + ε)                  the divisor (ε inside the square root)
    x̂_i = (x_i - μ) / s                 normalize
    y_i = γ x̂_i + β                     scale and shift

Three backward passes live here, and the tests hold them to each other: the paper's staged
chain rule (:func:`~bnref.batch_norm_vjp_paper`, one line per partial derivative, as printed),
the compact projection form (:func:`~bnref.batch_norm_vjp`), and the explicit ``m × m`` Jacobian
(:func:`~bnref.standardize_jacobian`). The compact form comes twice: :func:`~bnref.batch_norm_vjp`
takes ``x`` and recomputes the statistics, and :func:`~bnref.batch_norm_backward` takes what
:func:`~bnref.batch_norm_forward` saved (``x - μ`` and ``s``), as a training step does.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from bnref import _compiled, _validate
from bnref._validate import Array

__all__ = [
    "BatchNormSaved",
    "Removed",
    "StagedGradients",
    "Standardized",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_forward",
    "batch_norm_vjp",
    "batch_norm_vjp_paper",
    "removed_components",
    "standardize",
    "standardize_jacobian",
]


class Standardized(NamedTuple):
    """The intermediate quantities of Algorithm 1 for a batch ``x`` of shape ``(m, d)``."""

    x_hat: Array
    """``(x - μ) / s``, shape ``(m, d)``."""
    mu: Array
    """Mini-batch mean ``μ``, shape ``(d,)``."""
    var: Array
    """Biased mini-batch variance ``σ²``, shape ``(d,)``."""
    s: Array
    """The divisor ``sqrt(σ² + ε)``, shape ``(d,)``."""


class BatchNormSaved(NamedTuple):
    """What :func:`batch_norm_forward` saves for :func:`batch_norm_backward`, batch ``(m, d)``.

    The backward pass is written in ``x - μ`` and ``s`` (Algorithm 1's chain rule uses ``x̂`` and
    ``σ² + ε``), so keeping them spares it the mean, the subtraction and the variance.
    ``centered`` is read-only: the backward pass relies on it.
    """

    centered: Array
    """``x - μ``, shape ``(m, d)``."""
    mu: Array
    """Mini-batch mean ``μ``, shape ``(d,)``."""
    var: Array
    """Biased mini-batch variance ``σ²``, shape ``(d,)``."""
    s: Array
    """The divisor ``sqrt(σ² + ε)``, shape ``(d,)``."""


class StagedGradients(NamedTuple):
    """Every partial derivative of the paper's backward pass, in the order it prints them."""

    dx_hat: Array
    """``∂ℓ/∂x̂_i = ∂ℓ/∂y_i · γ``, shape ``(m, d)``."""
    dvar: Array
    """``∂ℓ/∂σ²``, shape ``(d,)``."""
    dmu: Array
    """``∂ℓ/∂μ``, shape ``(d,)``."""
    dx: Array
    """``∂ℓ/∂x_i``, shape ``(m, d)``."""
    dgamma: Array
    """``∂ℓ/∂γ``, shape ``(d,)``."""
    dbeta: Array
    """``∂ℓ/∂β``, shape ``(d,)``."""


class Removed(NamedTuple):
    """The two components the exact backward pass removes from the naive one."""

    shift: Array
    """``(γ/s)·mean(g)`` in every row: the component along the all-ones direction, ``(m, d)``."""
    scale: Array
    """``(γ/s)·x̂·mean(g ⊙ x̂)``: the component along ``x̂``, shape ``(m, d)``."""


# numpy runs a ufunc of an (m, d) batch and a (d,) vector as one inner loop per row of d values.
# Measured with numpy 2.4 (benchmarks/bench_batchnorm.py's machine and shapes): while rows are
# shorter than about 6000 values such a pass costs 2.0-2.2 copies of the batch, against 1.1 for
# a scalar and 1.5 for two whole arrays; from 8192 values on, 1.5-1.6. See _per_unit.
_ROW = 8192


def _per_unit(op: np.ufunc, batch: Array, v: Array, out: Array | None = None) -> Array:
    """``op(batch, v, out=out)`` for a batch ``(m, d)`` and one value per unit ``v`` ``(d,)``.

    Why not that call itself: at the benchmark's shapes it makes the per-unit passes cost a
    third more (``_ROW``); in one run each, the pair forward + backward took 20.1 instead of
    16.8 copies of the batch at ``(256, 1024)`` and 17.2 instead of 15.0 at ``(4096, 512)``,
    where the working set outgrows the cache and the gain is smaller. Viewing ``k`` consecutive
    rows as one row of ``k·d`` values, against ``v`` repeated ``k`` times, applies the same
    operation to the same two numbers for every element, so the result is the same bit for
    bit. ``out=None`` allocates the result.
    """
    if out is None:
        out = np.empty(batch.shape, np.result_type(batch, v))
    m, d = batch.shape
    k = min(m, -(-_ROW // d)) if d else 1  # rows per long row
    if k == 1 or m * d < _ROW or not (batch.flags.c_contiguous and out.flags.c_contiguous):
        # no long rows, a batch too small for them to pay (np.tile costs more than the rows
        # save), or no view of them
        result: Array = op(batch, v, out=out)
        return result
    head = m - m % k  # the rows that fill long rows; any others go as they are
    op(batch[:head].reshape(-1, k * d), np.tile(v, k), out=out[:head].reshape(-1, k * d))
    if head < m:
        op(batch[head:], v, out=out[head:])
    return out


def _moments(x: Array, eps: float, *others: Array) -> tuple[Array, Array, Array, Array]:
    """Algorithm 1's statistics on a validated batch: ``(x - μ, μ, σ², s)``.

    ``x - μ`` is a fresh buffer; its dtype is complex when ``x`` or any of ``others`` is, so
    that updates in place can hold a result computed from it.
    """
    m = x.shape[0]
    # x.mean, not the faster einsum("ij->j") or BLAS np.ones(m) @ x: only x.mean sums pairwise
    # when d = 1 (more accurate), and BLAS threads stall when other work shares the cores.
    mu = _validate.batch_mean(x)  # proves x finite without another pass over it
    xc = np.empty(x.shape, np.result_type(x, *others))
    with np.errstate(over="ignore"):  # an overflow is reported by usable_variance
        if loops := _compiled.loops(x, xc, mu):  # the same two steps in one compiled pass
            var = loops.center(x, mu, xc) / m
        else:
            _per_unit(np.subtract, x, mu, xc)
            # Σ_i (x_i - μ)² without a squared temporary; einsum does not conjugate, so complex
            # input stays complex-analytic (as (x - μ) ** 2 would).
            var = np.einsum("ij,ij->j", xc, xc) / m
    _validate.usable_variance(x, var, eps)
    return xc, mu, var, np.sqrt(var + eps)


def _standardize(x: Array, eps: float) -> Standardized:
    """Algorithm 1's first three lines on a validated batch; ``x_hat`` is a fresh buffer."""
    x_hat, mu, var, s = _moments(x, eps)
    # a multiply is cheaper than a divide over (m, d); costs at most one ulp
    _per_unit(np.multiply, x_hat, 1 / s, x_hat)
    return Standardized(x_hat, mu, var, s)


def _scale_shift(xc: Array, gamma: Array, beta: Array, s: Array, out: Array | None) -> Array:
    """``y = γ x̂ + β`` from ``x - μ``, as ``(x - μ)·(γ/s) + β``: two numpy passes over one
    (m, d) buffer, where normalizing first and then scaling would take three (one pass in the
    compiled loops). ``out`` may be ``xc``."""
    a = gamma / s
    if out is None:
        out = np.empty(xc.shape, np.result_type(xc, a, beta))
    if loops := _compiled.loops(xc, out, a, beta):  # the same two steps in one compiled pass
        loops.scale_shift(xc, a, beta, out)
        return out
    y = _per_unit(np.multiply, xc, a, out)
    return _per_unit(np.add, y, beta, y)


def _vjp(
    xc: Array, s: Array, gamma: Array, dy: Array, through_stats: bool, out: Array
) -> tuple[Array, Array, Array]:
    """The compact backward pass from ``x - μ`` and ``s``; ``dx`` is written into ``out``, which
    may be ``xc`` itself and must have the dtype of the result."""
    m = xc.shape[0]
    loops = _compiled.loops(xc, dy, out, s, gamma)  # the same steps in fewer compiled passes
    if loops:
        dbeta, sum_gxc = np.zeros(xc.shape[1]), np.zeros(xc.shape[1])
        loops.sums(dy, xc, dbeta, sum_gxc)
        _validate.finite_reduction(dbeta, dy, "dy")  # as batch_sum checks it
        dgamma = sum_gxc / s
    else:
        dbeta = _validate.batch_sum(dy, "dy")  # Σ g, which also proves dy finite
        dgamma = np.einsum("ij,ij->j", dy, xc) / s  # Σ g x̂ with x̂ = (x - μ)/s
    if not through_stats:
        return _per_unit(np.multiply, dy, gamma / s, out), dgamma, dbeta  # (γ/s)·g
    if loops:
        loops.dx(xc, dy, -dgamma / (m * s), dbeta / m, gamma / s, out)
        return out, dgamma, dbeta
    # dx = (γ/s)(g - Σg/m - x̂ Σgx̂/m): four numpy passes, the fewest without a fused
    # multiply-add (merging two would divide by γ or by dγ); the loops do it in one.
    dx = _per_unit(np.multiply, xc, -dgamma / (m * s), out)  # -x̂ · dγ/m
    _per_unit(np.subtract, dx, dbeta / m, dx)  #                    - dβ/m
    dx += dy  #                                                     + g
    _per_unit(np.multiply, dx, gamma / s, dx)
    return dx, dgamma, dbeta


def _parameters(
    x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float
) -> tuple[Array, Array, Array, float]:
    x = _validate.batch(x, check_finite=False)
    d = x.shape[1]
    return (
        x,
        _validate.per_unit(gamma, "gamma", d),
        _validate.per_unit(beta, "beta", d),
        _validate.eps_value(eps),
    )


def standardize(x: ArrayLike, *, eps: float = 1e-5) -> Standardized:
    r"""Normalize each unit over the batch and return Algorithm 1's intermediate quantities.

    Parameters
    ----------
    x : array_like of shape (m, d)
        Pre-activations, ``m >= 2`` examples of ``d`` units.
    eps : float, default 1e-5
        ``ε >= 0``, added to the variance inside the square root.

    Returns
    -------
    Standardized
        Named tuple ``(x_hat, mu, var, s)``: ``x_hat`` of shape ``(m, d)``, and ``mu``, ``var``
        and ``s`` of shape ``(d,)``.

    Raises
    ------
    ValueError
        If ``x`` is not a valid batch (2-D, ``m >= 2``, finite), ``eps`` is negative or not
        finite, or ``eps == 0`` and some unit has zero variance.

    Notes
    -----
    Algorithm 1, lines 1–3 (book equation ``eq-bn-normalize``): biased variance ``σ² =
    (1/m) Σ (x_i - μ)²`` and ``s = sqrt(σ² + ε)``. With ``ε = 0``, ``Σ_i x̂_i = 0`` and
    ``(1/m) Σ_i x̂_i² = 1`` exactly (up to rounding).

    Examples
    --------
    >>> import bnref
    >>> st = bnref.standardize([[1.0], [3.0]], eps=0.0)
    >>> st.x_hat
    array([[-1.],
           [ 1.]])
    >>> st.mu, st.var, st.s
    (array([2.]), array([1.]), array([1.]))
    """
    x = _validate.batch(x, check_finite=False)
    return _standardize(x, _validate.eps_value(eps))


def batch_norm(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, eps: float = 1e-5) -> Array:
    r"""The batch-normalizing transform ``y = γ (x - μ) / sqrt(σ² + ε) + β`` (Algorithm 1).

    Parameters
    ----------
    x : array_like of shape (m, d)
        Pre-activations, ``m >= 2`` examples of ``d`` units.
    gamma, beta : array_like of shape (d,)
        The learned scale ``γ`` and shift ``β``, one per unit.
    eps : float, default 1e-5
        ``ε >= 0`` inside the square root.

    Returns
    -------
    y : ndarray of shape (m, d)

    Raises
    ------
    ValueError
        If ``x`` is not a valid batch, ``gamma`` or ``beta`` is not of shape exactly ``(d,)``
        or not finite, ``eps`` is invalid, or ``eps == 0`` with a zero-variance unit.

    Notes
    -----
    Training mode: the statistics are those of this batch, with the biased variance (book
    equation ``eq-bn-scale-shift``). For inference with fixed statistics see
    :func:`bnref.batch_norm_inference`.

    Examples
    --------
    >>> import bnref
    >>> bnref.batch_norm([[1.0], [3.0]], gamma=[2.0], beta=[5.0], eps=0.0)
    array([[3.],
           [7.]])
    """
    x, gamma, beta, eps = _parameters(x, gamma, beta, eps)
    xc, _, _, s = _moments(x, eps, gamma, beta)
    return _scale_shift(xc, gamma, beta, s, out=xc)  # y in x - μ's buffer: no second one


def batch_norm_vjp(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    dy: ArrayLike,
    *,
    eps: float = 1e-5,
    through_stats: bool = True,
) -> tuple[Array, Array, Array]:
    r"""Backward pass of :func:`batch_norm`: ``(∂ℓ/∂x, ∂ℓ/∂γ, ∂ℓ/∂β)`` given ``g = ∂ℓ/∂y``.

    Parameters
    ----------
    x : array_like of shape (m, d)
        The forward pass's input.
    gamma, beta : array_like of shape (d,)
        The forward pass's parameters (``beta`` does not enter the gradients; it is validated
        so that the call mirrors :func:`batch_norm`).
    dy : array_like of shape (m, d)
        The cotangent ``g = ∂ℓ/∂y``.
    eps : float, default 1e-5
        ``ε >= 0``, as in the forward pass.
    through_stats : bool, default True
        ``True`` differentiates through ``μ`` and ``σ²``. ``False`` treats them as constants
        (the naive gradient): ``dx = (γ/s)·g``.

    Returns
    -------
    dx : ndarray of shape (m, d)
    dgamma, dbeta : ndarray of shape (d,)
        ``Σ_i g_i x̂_i`` and ``Σ_i g_i``, the same in both modes.

    Raises
    ------
    ValueError
        As :func:`batch_norm`, and if ``dy`` does not have the shape of ``x`` or is not finite.

    Notes
    -----
    The compact form of the paper's chain rule (book equation ``eq-bn-vjp``)::

        dx = (γ/s) (g - mean(g) - x̂ · mean(g ⊙ x̂))

    ``Σ_i dx_i = 0`` for every ``ε``; ``Σ_i dx_i x̂_i = 0`` only for ``ε = 0``.

    Examples
    --------
    >>> import bnref
    >>> x = [[1.0], [2.0], [6.0]]
    >>> dx, dgamma, dbeta = bnref.batch_norm_vjp(x, [1.0], [0.0], [[1.0], [0.0], [0.0]], eps=0.0)
    >>> dx.round(4)
    array([[ 0.1763],
           [-0.2204],
           [ 0.0441]])
    >>> dx.sum().round(12), dgamma.round(4), dbeta
    (np.float64(0.0), array([-0.9258]), array([1.]))
    """
    x, gamma, _, eps = _parameters(x, gamma, beta, eps)
    dy = _validate.same_shape(dy, "dy", x)
    through_stats = _validate.flag(through_stats, "through_stats")
    # x - μ is the call's only (m, d) buffer: it becomes dx. A second one would cost more than
    # its arithmetic, because the allocator returns and re-faults such pages.
    xc, _, _, s = _moments(x, eps, gamma, dy)
    return _vjp(xc, s, gamma, dy, through_stats, out=xc)


def batch_norm_forward(
    x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, eps: float = 1e-5
) -> tuple[Array, BatchNormSaved]:
    r""":func:`batch_norm`, and what its backward pass needs: ``(y, saved)``.

    Parameters
    ----------
    x : array_like of shape (m, d)
        Pre-activations, ``m >= 2`` examples of ``d`` units.
    gamma, beta : array_like of shape (d,)
        The learned scale ``γ`` and shift ``β``, one per unit.
    eps : float, default 1e-5
        ``ε >= 0`` inside the square root.

    Returns
    -------
    y : ndarray of shape (m, d)
        ``γ x̂ + β``, equal to ``batch_norm(x, gamma, beta, eps=eps)`` bit for bit.
    saved : BatchNormSaved
        ``(centered, mu, var, s)``: ``x - μ`` of shape ``(m, d)`` (read-only), and ``μ``,
        ``σ²`` and ``s`` of shape ``(d,)``, for :func:`batch_norm_backward`.

    Raises
    ------
    ValueError
        As :func:`batch_norm`.

    Notes
    -----
    Algorithm 1 (book equations ``eq-bn-normalize`` and ``eq-bn-scale-shift``), computed as
    :func:`batch_norm` computes it. The pair :func:`batch_norm_forward` and
    :func:`batch_norm_backward` is how frameworks split a layer: the forward pass keeps what the
    chain rule is written in, so the backward pass does not recompute ``μ``, ``x - μ`` and
    ``σ²`` from ``x``. It costs a second ``(m, d)`` array, held from the forward pass to the
    backward one.

    Examples
    --------
    >>> import bnref
    >>> y, saved = bnref.batch_norm_forward([[1.0], [3.0]], gamma=[2.0], beta=[5.0], eps=0.0)
    >>> y
    array([[3.],
           [7.]])
    >>> saved.centered, saved.mu, saved.var, saved.s
    (array([[-1.],
           [ 1.]]), array([2.]), array([1.]), array([1.]))
    """
    x, gamma, beta, eps = _parameters(x, gamma, beta, eps)
    xc, mu, var, s = _moments(x, eps, gamma, beta)  # μ, x - μ, σ², s: Algorithm 1, lines 1-3
    y = _scale_shift(xc, gamma, beta, s, out=None)  # line 4, in its own buffer: xc is kept
    xc.flags.writeable = False
    return y, BatchNormSaved(xc, mu, var, s)


def _saved(saved: object) -> BatchNormSaved:
    """Validate a :class:`BatchNormSaved` record: its type and the shapes of its fields."""
    if not isinstance(saved, BatchNormSaved):
        raise ValueError(
            f"saved must be the BatchNormSaved record returned by batch_norm_forward; "
            f"got {type(saved).__name__}"
        )
    centered = _validate.batch(saved.centered, "saved.centered", check_finite=False)
    d = centered.shape[1]
    mu = _validate.per_unit(saved.mu, "saved.mu", d)
    var = _validate.per_unit(saved.var, "saved.var", d)
    s = _validate.per_unit(saved.s, "saved.s", d)
    if not (s.real > 0).all():
        raise ValueError(
            f"saved.s must be sqrt(var + eps) > 0 in every unit; got s <= 0 in unit(s) k = "
            f"{np.flatnonzero(~(s.real > 0)).tolist()}"
        )
    return BatchNormSaved(centered, mu, var, s)


def batch_norm_backward(
    dy: ArrayLike, gamma: ArrayLike, saved: BatchNormSaved, *, through_stats: bool = True
) -> tuple[Array, Array, Array]:
    r"""Backward pass of :func:`batch_norm_forward`: ``(∂ℓ/∂x, ∂ℓ/∂γ, ∂ℓ/∂β)`` given ``∂ℓ/∂y``.

    Parameters
    ----------
    dy : array_like of shape (m, d)
        The cotangent ``g = ∂ℓ/∂y``.
    gamma : array_like of shape (d,)
        The scale ``γ`` of the forward pass.
    saved : BatchNormSaved
        The record returned by :func:`batch_norm_forward` with ``y``.
    through_stats : bool, default True
        ``True`` differentiates through ``μ`` and ``σ²``. ``False`` treats them as constants
        (the naive gradient): ``dx = (γ/s)·g``.

    Returns
    -------
    dx : ndarray of shape (m, d)
    dgamma, dbeta : ndarray of shape (d,)
        ``Σ_i g_i x̂_i`` and ``Σ_i g_i``, the same in both modes.

    Raises
    ------
    ValueError
        If ``saved`` is not a :class:`BatchNormSaved` with fields of shapes ``(m, d)`` and
        ``(d,)``, ``dy`` does not have the shape of ``saved.centered`` or is not finite,
        ``gamma`` is not of shape ``(d,)`` or not finite, or ``through_stats`` is not a bool.

    Notes
    -----
    Book equation ``eq-bn-vjp``, computed as :func:`batch_norm_vjp` computes it from the same
    ``x - μ`` and ``s``, so ``batch_norm_backward(dy, gamma, batch_norm_forward(x, gamma, beta,
    eps=eps)[1])`` equals ``batch_norm_vjp(x, gamma, beta, dy, eps=eps)`` bit for bit. ``saved``
    is not changed: a second call with another ``dy`` is fine.

    Examples
    --------
    >>> import bnref
    >>> x = [[1.0], [2.0], [6.0]]
    >>> y, saved = bnref.batch_norm_forward(x, [1.0], [0.0], eps=0.0)
    >>> dx, dgamma, dbeta = bnref.batch_norm_backward([[1.0], [0.0], [0.0]], [1.0], saved)
    >>> dx.round(4)
    array([[ 0.1763],
           [-0.2204],
           [ 0.0441]])
    >>> dgamma.round(4), dbeta
    (array([-0.9258]), array([1.]))
    """
    saved = _saved(saved)
    xc = saved.centered
    dy = _validate.same_shape(dy, "dy", xc, "saved.centered")
    gamma = _validate.per_unit(gamma, "gamma", xc.shape[1])
    through_stats = _validate.flag(through_stats, "through_stats")
    dx = np.empty(xc.shape, np.result_type(xc, dy, gamma, saved.s))  # xc stays as it is
    return _vjp(xc, saved.s, gamma, dy, through_stats, out=dx)


def batch_norm_vjp_paper(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    dy: ArrayLike,
    *,
    eps: float = 1e-5,
) -> StagedGradients:
    r"""The paper's backward pass, one line per partial derivative, before simplification.

    Parameters
    ----------
    x : array_like of shape (m, d)
        The forward pass's input.
    gamma, beta : array_like of shape (d,)
        The forward pass's parameters.
    dy : array_like of shape (m, d)
        The cotangent ``∂ℓ/∂y``.
    eps : float, default 1e-5
        ``ε >= 0``.

    Returns
    -------
    StagedGradients
        ``(dx_hat, dvar, dmu, dx, dgamma, dbeta)``, as printed in Section 3 of the paper.

    Raises
    ------
    ValueError
        As :func:`batch_norm_vjp`.

    Notes
    -----
    Written to be read next to the paper (book equations ``eq-paper-dxhat`` to
    ``eq-paper-dbeta``). The second term of ``∂ℓ/∂μ`` is identically zero because
    ``Σ_i (x_i - μ) = 0``; it is kept, as the paper keeps it. :func:`batch_norm_vjp` is the
    simplified form, and the tests hold the two equal.

    Examples
    --------
    >>> import bnref
    >>> x, dy = [[1.0], [2.0], [6.0]], [[1.0], [0.0], [0.0]]
    >>> staged = bnref.batch_norm_vjp_paper(x, [1.0], [0.0], dy, eps=0.0)
    >>> staged.dx.round(4)
    array([[ 0.1763],
           [-0.2204],
           [ 0.0441]])
    """
    x, gamma, beta, eps = _parameters(x, gamma, beta, eps)
    dy = _validate.same_shape(dy, "dy", x)
    _validate.batch_sum(dy, "dy")  # finite, and its sums do not overflow
    m = x.shape[0]
    x_hat, mu, var, _ = _standardize(x, eps)

    dx_hat = dy * gamma
    dvar = np.sum(dx_hat * (x - mu), axis=0) * (-0.5) * (var + eps) ** (-1.5)
    dmu = (
        np.sum(dx_hat * (-1.0 / np.sqrt(var + eps)), axis=0)
        + dvar * np.sum(-2.0 * (x - mu), axis=0) / m
    )
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2.0 * (x - mu) / m + dmu / m
    dgamma = np.sum(dy * x_hat, axis=0)
    dbeta = np.sum(dy, axis=0)
    return StagedGradients(dx_hat, dvar, dmu, dx, dgamma, dbeta)


def standardize_jacobian(x: ArrayLike, *, eps: float = 1e-5, through_stats: bool = True) -> Array:
    r"""The per-unit ``m × m`` Jacobians ``∂x̂_i/∂x_j`` of :func:`standardize`.

    Parameters
    ----------
    x : array_like of shape (m, d)
        The point of differentiation.
    eps : float, default 1e-5
        ``ε >= 0``.
    through_stats : bool, default True
        ``True``: ``(1/s)(I - 11ᵀ/m - x̂ x̂ᵀ/m)``. ``False``: the naive ``(1/s) I``, which is
        the paper's ``∂Norm(x, 𝒳)/∂x`` alone; the difference of the two is the term through the
        statistics, the paper's ``∂Norm(x, 𝒳)/∂𝒳``.

    Returns
    -------
    J : ndarray of shape (d, m, m)
        ``J[k, i, j] = ∂x̂[i, k]/∂x[j, k]``. Units do not interact, so this is all of the
        Jacobian.

    Raises
    ------
    ValueError
        As :func:`standardize`.

    Notes
    -----
    Book equation ``eq-bn-jacobian``. With ``ε = 0``, ``s·J`` is the orthogonal projector
    that removes the all-ones and the ``x̂`` directions: symmetric, idempotent, rank ``m - 2``.

    Examples
    --------
    >>> import bnref
    >>> J = bnref.standardize_jacobian([[0.0], [1.0], [5.0]], eps=0.0)
    >>> J.shape
    (1, 3, 3)
    >>> bool(abs(J[0].sum(axis=0)).max() < 1e-15)
    True
    """
    through_stats = _validate.flag(through_stats, "through_stats")
    x_hat, _, _, s = standardize(x, eps=eps)
    m, d = x_hat.shape
    eye = np.broadcast_to(np.eye(m), (d, m, m))
    if not through_stats:
        return eye / s[:, None, None]
    cols = x_hat.T  # (d, m): x̂ of each unit
    projector = eye - 1.0 / m - cols[:, :, None] * cols[:, None, :] / m
    jacobian: Array = projector / s[:, None, None]
    return jacobian


def removed_components(
    x: ArrayLike, gamma: ArrayLike, dy: ArrayLike, *, eps: float = 1e-5
) -> Removed:
    r"""What the exact backward pass removes from the naive ``dx = (γ/s)·g``.

    Parameters
    ----------
    x : array_like of shape (m, d)
        The forward pass's input.
    gamma : array_like of shape (d,)
        The scale ``γ``.
    dy : array_like of shape (m, d)
        The cotangent ``g = ∂ℓ/∂y``.
    eps : float, default 1e-5
        ``ε >= 0``.

    Returns
    -------
    Removed
        ``shift = (γ/s)·(Σ_i g_i)/m`` in every row and ``scale = (γ/s)·x̂·(Σ_i g_i x̂_i)/m``,
        each of shape ``(m, d)``, so that ``naive dx = exact dx + shift + scale``.

    Raises
    ------
    ValueError
        As :func:`batch_norm_vjp`.

    Notes
    -----
    Book equation ``eq-bn-naive-minus-exact``. The sums in the two components are exactly
    ``∂ℓ/∂β`` and ``∂ℓ/∂γ``: the requests to shift and to rescale the unit's output, which the
    exact pass routes to ``β`` and ``γ`` instead of to ``x``.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> x, g = [[1.0], [2.0], [6.0]], [[1.0], [0.0], [0.0]]
    >>> r = bnref.removed_components(x, [1.0], g, eps=0.0)
    >>> naive, _, _ = bnref.batch_norm_vjp(x, [1.0], [0.0], g, eps=0.0, through_stats=False)
    >>> exact, _, _ = bnref.batch_norm_vjp(x, [1.0], [0.0], g, eps=0.0)
    >>> bool(np.allclose(naive, exact + r.shift + r.scale))
    True
    """
    x = _validate.batch(x, check_finite=False)
    gamma = _validate.per_unit(gamma, "gamma", x.shape[1])
    dy = _validate.same_shape(dy, "dy", x)
    dbeta = _validate.batch_sum(dy, "dy")
    x_hat, _, _, s = _standardize(x, _validate.eps_value(eps))
    m = x.shape[0]
    scale_per_unit = gamma / s
    shift = np.broadcast_to(scale_per_unit * dbeta / m, x_hat.shape).copy()
    scale = x_hat * (scale_per_unit * np.einsum("ij,ij->j", dy, x_hat) / m)
    return Removed(shift, scale)
