"""The paper's Section 2 example and its relatives, as runnable experiments.

* :func:`~bnref.bias_drift`: a bias ``b`` before centering, trained by gradient descent that ignores
  (or includes) the dependence of the mean on ``b``. The paper's "b will grow indefinitely
  while the loss remains fixed".
* :func:`~bnref.bias_drift_with_beta`: the same with a learned shift ``β`` after the centering,
  which absorbs the loss's request for a mean shift, so the drift stops.
* :func:`~bnref.scale_drift`: "worse if the normalization also scales": the weights ``w`` of a
  unit followed by standardization, naive versus exact.
* :func:`~bnref.layer_output` and :func:`~bnref.bias_gradient`: a nonlinearity ``θ`` before or
  after the centering, and what that does to the bias gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from bnref import _validate
from bnref._validate import Array
from bnref.batchnorm import batch_norm_vjp, standardize
from bnref.centering import center, center_vjp

__all__ = [
    "Drift",
    "DriftWithBeta",
    "ScaleRun",
    "bias_drift",
    "bias_drift_with_beta",
    "bias_gradient",
    "layer_output",
    "scale_drift",
]


class Drift(NamedTuple):
    """A run of :func:`~bnref.bias_drift`."""

    b: Array
    """The bias after each step, shape ``(steps + 1, d)``; row 0 is ``b0``."""
    loss: Array
    """The loss at each row of ``b``, shape ``(steps + 1,)``."""


class DriftWithBeta(NamedTuple):
    """A run of :func:`~bnref.bias_drift_with_beta`."""

    b: Array
    """The bias before the centering after each step, shape ``(steps + 1, d)``."""
    beta: Array
    """The shift after the centering after each step, shape ``(steps + 1, d)``."""
    loss: Array
    """The loss at each step, shape ``(steps + 1,)``."""


class ScaleRun(NamedTuple):
    """A run of :func:`~bnref.scale_drift`."""

    w: Array
    """The weights after each step, shape ``(steps + 1, p)``."""
    w_norm: Array
    """``|w|`` after each step, shape ``(steps + 1,)``."""
    b: Array
    """The bias after each step, shape ``(steps + 1,)``."""
    loss: Array
    """The loss at each step, shape ``(steps + 1,)``."""


def _loss(x_hat: Array, t: Array) -> Array:
    """``ℓ = ½ Σ_ik (x̂_ik - t_ik)²``, the example's loss (complex for complex input)."""
    loss: Array = 0.5 * np.sum((x_hat - t) ** 2)
    return loss


def _run_settings(lr: float, steps: int, flag: bool, flag_name: str) -> tuple[float, int, bool]:
    return (
        _validate.finite_real(lr, "lr"),
        _validate.count(steps, "steps"),
        _validate.flag(flag, flag_name),
    )


def _still_finite(step: int, lr: float, *params: Array) -> None:
    """A step size too large for the problem overflows the parameters; say so plainly."""
    if not all(np.isfinite(p).all() for p in params):
        raise ValueError(
            f"lr = {lr!r} made the parameters overflow at step {step}; expected a smaller lr"
        )


def bias_drift(
    u: ArrayLike,
    t: ArrayLike,
    *,
    b0: ArrayLike = 0.0,
    lr: float = 0.1,
    steps: int = 100,
    through_mean: bool = False,
) -> Drift:
    r"""Run the paper's example: gradient descent on a bias ``b`` that is centered away.

    The layer computes ``x = u + b`` and ``x̂ = x - μ`` (:func:`bnref.center`); the loss is
    ``ℓ = ½ Σ_ik (x̂_ik - t_ik)²``; each step is ``b ← b - η ∂ℓ/∂b``.

    Parameters
    ----------
    u : array_like of shape (m, d)
        The weighted inputs (the paper's ``u``), ``m >= 2``.
    t : array_like of shape (m, d)
        Targets.
    b0 : float or array_like of shape (d,), default 0.0
        The starting bias, one per unit (a scalar is broadcast).
    lr : float, default 0.1
        The step size ``η``.
    steps : int, default 100
        Number of gradient-descent steps ``n``.
    through_mean : bool, default False
        ``False`` is the paper's scenario: the gradient ignores the dependence of the mean on
        ``b``, so ``∂ℓ/∂b = Σ_i ∂ℓ/∂x̂_i``. ``True`` is the exact gradient, which is zero.

    Returns
    -------
    Drift
        ``(b, loss)``: ``b`` of shape ``(steps + 1, d)`` and ``loss`` of shape ``(steps + 1,)``.

    Raises
    ------
    ValueError
        If ``u`` is not a valid batch, ``t`` does not match it, ``b0`` is neither a scalar nor
        of shape ``(d,)``, any input is not finite, ``lr`` is not finite, or ``steps`` is not
        a non-negative integer.

    Notes
    -----
    Book equations ``eq-naive-grad`` and ``eq-drift``: because ``Σ_i x̂_i = 0``, the naive
    gradient is ``-Σ_i t_i`` at every step, so ``b_n = b_0 + n η Σ_i t_i`` while ``x̂`` and the
    loss never change. The exact gradient is zero up to rounding (about 1e-15), so ``b_n = b_0``.

    Examples
    --------
    >>> import bnref
    >>> u = [[0.0], [1.0], [5.0]]
    >>> t = [[1.0], [1.0], [1.0]]
    >>> run = bnref.bias_drift(u, t, lr=0.1, steps=3)
    >>> run.b.ravel().round(12)
    array([0. , 0.3, 0.6, 0.9])
    >>> run.loss.round(12)
    array([8.5, 8.5, 8.5, 8.5])
    >>> bnref.bias_drift(u, t, steps=3, through_mean=True).b.ravel().round(12)
    array([0., 0., 0., 0.])
    """
    u = _validate.batch(u, "u")
    t = _validate.finite(_validate.same_shape(t, "t", u, "u"), "t")
    b = _validate.scalar_or_per_unit(b0, "b0", u.shape[1])
    lr, steps, through_mean = _run_settings(lr, steps, through_mean, "through_mean")

    dtype = np.result_type(u, t, b)
    biases, losses = np.empty((steps + 1, u.shape[1]), dtype), np.empty(steps + 1, dtype)
    for n in range(steps + 1):
        _still_finite(n, lr, b)
        x = u + b
        x_hat = center(x)
        biases[n], losses[n] = b, _loss(x_hat, t)
        # x_ik = u_ik + b_k, so ∂ℓ/∂b_k = Σ_i ∂ℓ/∂x_ik.
        grad_b = center_vjp(x, x_hat - t, through_mean=through_mean).sum(axis=0)
        b = b - lr * grad_b
    return Drift(biases, losses)


def bias_drift_with_beta(
    u: ArrayLike,
    t: ArrayLike,
    *,
    b0: ArrayLike = 0.0,
    beta0: ArrayLike = 0.0,
    lr: float = 0.1,
    steps: int = 100,
    through_mean: bool = False,
) -> DriftWithBeta:
    r"""The example with a learned shift after the centering: ``y = (x - μ) + β``.

    Both ``b`` and ``β`` take gradient steps of size ``lr`` on ``ℓ = ½ Σ_ik (y_ik - t_ik)²``.
    The gradient for ``β`` is exact; the one for ``b`` ignores the mean (by default).

    Parameters
    ----------
    u, t : array_like of shape (m, d)
        Weighted inputs and targets.
    b0, beta0 : float or array_like of shape (d,), default 0.0
        Starting bias and shift.
    lr : float, default 0.1
        The step size ``η``.
    steps : int, default 100
        Number of steps.
    through_mean : bool, default False
        Whether the bias gradient includes the dependence of the mean on ``b``.

    Returns
    -------
    DriftWithBeta
        ``(b, beta, loss)`` with shapes ``(steps + 1, d)``, ``(steps + 1, d)`` and
        ``(steps + 1,)``.

    Raises
    ------
    ValueError
        As :func:`~bnref.bias_drift`, and for a ``beta0`` that is neither a scalar nor ``(d,)``.

    Notes
    -----
    Book equation ``eq-beta-absorbs``. ``∂ℓ/∂β = Σ_i (y_i - t_i)`` equals the naive bias
    gradient, so ``b`` and ``β`` move by the same amount each step; ``β`` converges to the mean
    of ``t`` (for ``0 < η m < 2``), the gradient vanishes, and ``b`` stops after a finite drift
    ``b - b0 = β - β0``.

    Examples
    --------
    >>> import bnref
    >>> run = bnref.bias_drift_with_beta([[0.0], [4.0]], [[3.0], [5.0]], lr=0.25, steps=40)
    >>> float(run.beta[-1, 0].round(9)), float(run.b[-1, 0].round(9))
    (4.0, 4.0)
    """
    u = _validate.batch(u, "u")
    t = _validate.finite(_validate.same_shape(t, "t", u, "u"), "t")
    d = u.shape[1]
    b = _validate.scalar_or_per_unit(b0, "b0", d)
    beta = _validate.scalar_or_per_unit(beta0, "beta0", d)
    lr, steps, through_mean = _run_settings(lr, steps, through_mean, "through_mean")

    dtype = np.result_type(u, t, b, beta)
    biases, betas = np.empty((steps + 1, d), dtype), np.empty((steps + 1, d), dtype)
    losses = np.empty(steps + 1, dtype)
    for n in range(steps + 1):
        _still_finite(n, lr, b, beta)
        x = u + b
        y = center(x) + beta
        biases[n], betas[n], losses[n] = b, beta, _loss(y, t)
        g = y - t  # ∂ℓ/∂y = ∂ℓ/∂x̂
        grad_b = center_vjp(x, g, through_mean=through_mean).sum(axis=0)
        grad_beta = g.sum(axis=0)
        b, beta = b - lr * grad_b, beta - lr * grad_beta
    return DriftWithBeta(biases, betas, losses)


def scale_drift(
    h: ArrayLike,
    t: ArrayLike,
    w0: ArrayLike,
    *,
    b0: float = 0.0,
    lr: float = 0.05,
    steps: int = 100,
    eps: float = 0.0,
    through_stats: bool = False,
) -> ScaleRun:
    r"""Gradient descent on a unit ``x_i = w·h_i + b`` followed by standardization.

    The loss is ``ℓ = ½ Σ_i (x̂_i - t_i)²`` with ``x̂ = (x - μ)/sqrt(σ² + ε)``; each step moves
    ``w`` and ``b`` against their gradients, computed exactly or with ``μ`` and ``σ²`` held
    constant.

    Parameters
    ----------
    h : array_like of shape (m, p)
        The unit's inputs ``h_i`` (the previous layer's outputs), ``m >= 2``.
    t : array_like of shape (m,)
        Targets.
    w0 : array_like of shape (p,)
        Starting weights.
    b0 : float, default 0.0
        Starting bias (a scalar, or an array of shape ``(1,)``).
    lr : float, default 0.05
        Step size ``η``.
    steps : int, default 100
        Number of steps.
    eps : float, default 0.0
        ``ε >= 0``; zero makes the output exactly invariant to the scale of ``w``.
    through_stats : bool, default False
        ``False`` is the naive gradient (statistics held constant); ``True`` the exact one.

    Returns
    -------
    ScaleRun
        ``(w, w_norm, b, loss)``: the trajectories, one row or entry per step, row 0 the start.

    Raises
    ------
    ValueError
        For invalid shapes or non-finite inputs, invalid ``lr``, ``steps`` or ``eps``, and, with
        ``eps == 0``, if a step lands on weights that make every ``x_i`` equal.

    Notes
    -----
    Book equation ``eq-scale-radial``. ``x̂`` is invariant to ``b ↦ b + c`` and ``w ↦ cw``
    (``c > 0``), so the exact gradient satisfies ``∂ℓ/∂b = 0`` and ``w·∇_w ℓ = 0``, and
    ``|w|`` grows only at second order: ``|w_{n+1}|² = |w_n|² + η²|∇_w ℓ|²``. The naive
    gradient has a radial part ``w·∇_w = Σ g_i x̂_i + ((μ - b)/σ) Σ g_i`` whose size scales as
    ``1/|w|``: ``|w|`` then grows like ``sqrt(n)``, or collapses through zero and flips sign.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> h = np.array([[-1.0], [0.0], [1.0]])
    >>> run = bnref.scale_drift(h, t=2.0 * h[:, 0], w0=[1.0], lr=0.1, steps=2)
    >>> run.w_norm.round(4)
    array([1.    , 1.1899, 1.3495])
    >>> bool(np.ptp(run.loss) < 1e-12)
    True
    """
    h = _validate.batch(h, "h")
    p = h.shape[1]
    t = _validate.finite(_validate.same_shape(t, "t", h[:, 0], "h[:, 0]"), "t")
    w = _validate.per_unit(w0, "w0", p).copy()
    b = _validate.scalar_or_per_unit(b0, "b0", 1)[0]
    lr, steps, through_stats = _run_settings(lr, steps, through_stats, "through_stats")
    eps = _validate.eps_value(eps)

    dtype = np.result_type(h, t, w, b)
    ws = np.empty((steps + 1, p), dtype)
    bs, losses = np.empty(steps + 1, dtype), np.empty(steps + 1, dtype)
    one, zero = np.ones(1), np.zeros(1)
    for n in range(steps + 1):
        _still_finite(n, lr, w, b)
        x = (h @ w + b)[:, None]  # one unit: shape (m, 1)
        x_hat = standardize(x, eps=eps).x_hat
        ws[n], bs[n], losses[n] = w, b, _loss(x_hat[:, 0], t)
        dx, _, _ = batch_norm_vjp(
            x, one, zero, x_hat - t[:, None], eps=eps, through_stats=through_stats
        )
        w = w - lr * (h.T @ dx[:, 0])
        b = b - lr * dx.sum()
    # |w| as sqrt(Σ w²), not np.linalg.norm, which takes absolute values (not analytic).
    return ScaleRun(ws, np.sqrt(np.sum(ws**2, axis=1)), bs, losses)


Theta = Literal["identity", "tanh", "sigmoid", "relu"]
Placement = Literal["before", "after"]


def _sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


# Each nonlinearity with its derivative, written to accept complex input (ReLU branches on the
# real part, which is analytic away from zero).
_THETAS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "identity": (lambda z: z + 0.0, np.ones_like),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "relu": (lambda z: np.where(z.real > 0, z, 0.0), lambda z: np.where(z.real > 0, 1.0, 0.0)),
}


def _theta(theta: str) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    if theta not in _THETAS:
        raise ValueError(f"theta must be one of {sorted(_THETAS)}; got {theta!r}")
    return _THETAS[theta]


def _placement(placement: str) -> str:
    if placement not in ("before", "after"):
        raise ValueError(f"placement must be 'before' or 'after'; got {placement!r}")
    return placement


def layer_output(
    u: ArrayLike, b: ArrayLike, *, theta: Theta = "tanh", placement: Placement = "after"
) -> Array:
    r"""A bias, a centering and a nonlinearity ``θ``, in either order.

    Parameters
    ----------
    u : array_like of shape (m, d)
        Weighted inputs, ``m >= 2``.
    b : float or array_like of shape (d,)
        The bias, one per unit.
    theta : {"identity", "tanh", "sigmoid", "relu"}, default "tanh"
        The nonlinearity.
    placement : {"before", "after"}, default "after"
        Where ``θ`` sits relative to the centering. ``"before"``: ``a = center(θ(u + b))``.
        ``"after"`` (the paper's placement): ``a = θ(center(u + b))``.

    Returns
    -------
    a : ndarray of shape (m, d)

    Raises
    ------
    ValueError
        For invalid shapes or values, or an unknown ``theta`` or ``placement``.

    Notes
    -----
    Book equations ``eq-theta-before`` and ``eq-theta-after``. With ``placement="after"`` the
    output does not depend on ``b`` at all; with ``"before"`` it does, unless ``θ`` is linear
    on the batch.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> u = [[-1.0], [0.0], [2.0]]
    >>> after = [bnref.layer_output(u, b, placement="after") for b in (0.0, 3.0)]
    >>> bool(np.allclose(*after))
    True
    >>> before = [bnref.layer_output(u, b, placement="before") for b in (0.0, 3.0)]
    >>> bool(np.allclose(*before))
    False
    """
    u = _validate.batch(u, "u")
    b = _validate.scalar_or_per_unit(b, "b", u.shape[1])
    f, _ = _theta(theta)
    if _placement(placement) == "before":
        return center(f(u + b))
    return f(center(u + b))


def bias_gradient(
    u: ArrayLike,
    b: ArrayLike,
    g: ArrayLike,
    *,
    theta: Theta = "tanh",
    placement: Placement = "after",
    through_mean: bool = True,
) -> Array:
    r"""``∂ℓ/∂b`` for :func:`~bnref.layer_output`, given the cotangent ``g = ∂ℓ/∂a``.

    Parameters
    ----------
    u : array_like of shape (m, d)
        Weighted inputs.
    b : float or array_like of shape (d,)
        The bias.
    g : array_like of shape (m, d)
        ``∂ℓ/∂a`` for the layer's output ``a``.
    theta : {"identity", "tanh", "sigmoid", "relu"}, default "tanh"
        The nonlinearity.
    placement : {"before", "after"}, default "after"
        As in :func:`~bnref.layer_output`.
    through_mean : bool, default True
        ``False`` treats the mean as a constant (the naive gradient).

    Returns
    -------
    grad_b : ndarray of shape (d,)

    Raises
    ------
    ValueError
        As :func:`~bnref.layer_output`, and if ``g`` does not match ``u``.

    Notes
    -----
    Book equation ``eq-theta-grads``. Before: exact ``Σ_i (g_i - ḡ) θ'_i``, naive
    ``Σ_i g_i θ'_i``, so naive - exact = ``mean(θ') Σ_i g_i``. After: exact ``0`` whatever
    ``θ`` is, naive ``Σ_i g_i θ'(x̂_i)``.

    Examples
    --------
    >>> import bnref
    >>> u, g = [[-1.0], [0.0], [2.0]], [[1.0], [-2.0], [0.5]]
    >>> bnref.bias_gradient(u, 0.0, g, placement="after").round(15)
    array([0.])
    >>> bnref.bias_gradient(u, 0.0, g, placement="before").round(4)
    array([-1.2963])
    """
    u = _validate.batch(u, "u")
    b = _validate.scalar_or_per_unit(b, "b", u.shape[1])
    g = _validate.finite(_validate.same_shape(g, "g", u, "u"), "g")
    through_mean = _validate.flag(through_mean, "through_mean")
    f, df = _theta(theta)
    if _placement(placement) == "before":
        z = u + b
        # a = center(θ(z)): back through the centering, then through θ.
        grad: Array = (center_vjp(f(z), g, through_mean=through_mean) * df(z)).sum(axis=0)
        return grad
    x = u + b
    x_hat = center(x)
    # a = θ(x̂): back through θ, then through the centering.
    grad = center_vjp(x, g * df(x_hat), through_mean=through_mean).sum(axis=0)
    return grad
