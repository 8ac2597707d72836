"""Statistics for inference, and batch normalization of convolutional feature maps.

The paper's Section 3.1 replaces the mini-batch statistics by fixed population statistics once
training is done, and Section 3.2 extends the transform to convolutions. Per unit ``k``, with
mini-batches ``ℬ`` of ``m`` examples::

    E[x]   = E_ℬ[μ_ℬ]                          population mean
    Var[x] = m/(m-1) · E_ℬ[σ²_ℬ]               unbiased: σ²_ℬ is the biased batch variance
    y      = γ (x - E[x]) / sqrt(Var[x] + ε) + β
           = scale · x + shift                 one affine map per unit (the fold)

Frameworks keep running averages instead of the expectation over batches; here they follow
PyTorch: ``running ← (1 - momentum)·running + momentum·batch statistic``, starting from mean 0
and variance 1, with the *unbiased* batch variance stored in the running variance.

A convolutional layer normalizes each channel (feature map) jointly over the mini-batch and all
spatial locations, an effective mini-batch of ``m' = m·p·q`` values.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from bnref import _validate
from bnref._validate import Array
from bnref.batchnorm import batch_norm, batch_norm_vjp

__all__ = [
    "Affine",
    "Population",
    "Running",
    "batch_norm_conv",
    "batch_norm_conv_vjp",
    "batch_norm_inference",
    "expected_batch_variance",
    "fold_affine",
    "population_statistics",
    "running_statistics",
    "update_running",
]

MAX_TUPLES = 1_000_000
"""The most ``m``-tuples :func:`expected_batch_variance` will enumerate."""


class Population(NamedTuple):
    """Population statistics estimated from training mini-batches (paper, Section 3.1)."""

    mean: Array
    """``E[x] = E_ℬ[μ_ℬ]``, shape ``(d,)``."""
    var: Array
    """``Var[x] = m/(m-1) · E_ℬ[σ²_ℬ]``, shape ``(d,)``."""


class Running(NamedTuple):
    """Running (exponential moving) averages of the batch statistics, PyTorch's convention."""

    mean: Array
    """Running mean, shape ``(d,)``."""
    var: Array
    """Running average of the *unbiased* batch variance, shape ``(d,)``."""


class Affine(NamedTuple):
    """Batch normalization at inference, folded into one affine map ``y = scale·x + shift``."""

    scale: Array
    """``γ / sqrt(Var[x] + ε)``, shape ``(d,)``."""
    shift: Array
    """``β - scale · E[x]``, shape ``(d,)``."""


# ---------------------------------------------------------------------------------------------
# Validation specific to this module (the shared checkers live in bnref._validate).


def _batches(batches: ArrayLike) -> Array:
    """Validate a stack of mini-batches of shape ``(n_batches, m, d)`` with ``m >= 2``."""
    arr = np.asarray(batches)
    if arr.ndim != 3:
        raise ValueError(
            f"batches must be a 3-D array of shape (n_batches, m, d), n_batches mini-batches of "
            f"m examples by d units; got an array of shape {arr.shape}"
        )
    if arr.shape[0] < 1:
        raise ValueError(
            f"batches must hold at least one mini-batch; got n_batches = 0 (shape {arr.shape})"
        )
    if arr.shape[1] < 2:
        raise ValueError(
            f"batches must have at least m = 2 examples per mini-batch for the m/(m-1) "
            f"correction; got m = {arr.shape[1]} (shape {arr.shape})"
        )
    return _validate.finite(_validate._numeric(arr, "batches"), "batches")


def _momentum(momentum: float) -> float:
    """Validate the weight of the new batch statistic: ``0 < momentum <= 1``."""
    value = _validate.finite_real(momentum, "momentum")
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"momentum must satisfy 0 < momentum <= 1 (the weight of the new batch statistic, "
            f"PyTorch's convention); got {momentum!r}"
        )
    return value


def _variance(var: ArrayLike, name: str, d: int) -> Array:
    """Validate a per-unit variance: shape exactly ``(d,)``, finite and ``>= 0``."""
    out = _validate.per_unit(var, name, d)
    negative = out.real < 0
    if negative.any():
        units = [int(k) for k in np.flatnonzero(negative)]
        raise ValueError(
            f"{name} must be >= 0 in every unit; got negative values in unit(s) k = {units}"
        )
    return out


def _divisor(var: Array, eps: float, name: str = "var") -> None:
    """With ``eps == 0`` a zero variance has no scale to divide by."""
    zero = (var + eps) == 0
    if zero.any():
        units = [int(k) for k in np.flatnonzero(zero)]
        raise ValueError(
            f"{name} is 0 in unit(s) k = {units} and eps = 0, so the normalization divides "
            f"by zero there; expected eps > 0 or a positive {name}"
        )


def _fixed_statistics(
    gamma: ArrayLike, beta: ArrayLike, mean: ArrayLike, var: ArrayLike, eps: float, d: int
) -> tuple[Array, Array, Array, Array, float]:
    eps = _validate.eps_value(eps)
    gamma = _validate.per_unit(gamma, "gamma", d)
    beta = _validate.per_unit(beta, "beta", d)
    mean = _validate.per_unit(mean, "mean", d)
    var = _variance(var, "var", d)
    _divisor(var, eps)
    return gamma, beta, mean, var, eps


def _feature_maps(x: ArrayLike) -> Array:
    """Validate a convolutional batch of shape ``(m, C, p, q)`` with ``m·p·q >= 2``."""
    arr = np.asarray(x)
    if arr.ndim != 4:
        raise ValueError(
            f"x must be a 4-D array of shape (m, C, p, q), m examples of C channels (feature "
            f"maps) of p × q locations; got an array of shape {arr.shape}"
        )
    m, _, p, q = arr.shape
    if m * p * q < 2:
        raise ValueError(
            f"x must have at least m·p·q = 2 values per channel to compute batch statistics; "
            f"got m·p·q = {m * p * q} (shape {arr.shape})"
        )
    return _validate.finite(_validate._numeric(arr, "x"), "x")


def _per_channel(arr: ArrayLike, name: str, channels: int) -> Array:
    """Validate a per-channel parameter of shape exactly ``(C,)``."""
    shape = np.shape(arr)
    if shape != (channels,):
        raise ValueError(
            f"{name} must have shape (C,) = ({channels},), one value per channel; got shape {shape}"
        )
    return _validate.per_unit(arr, name, channels)


def _channels_last(x: Array) -> Array:
    """``(m, C, p, q) -> (m·p·q, C)``: every location of every example becomes one row."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _channels_first(flat: Array, shape: tuple[int, ...]) -> Array:
    """The inverse of :func:`_channels_last`, as a fresh C-contiguous array."""
    m, channels, p, q = shape
    return np.ascontiguousarray(np.moveaxis(flat.reshape(m, p, q, channels), -1, 1))


# ---------------------------------------------------------------------------------------------
# Population and running statistics (Section 3.1).


def population_statistics(batches: ArrayLike) -> Population:
    r"""The paper's inference statistics from a set of training mini-batches.

    Parameters
    ----------
    batches : array_like of shape (n_batches, m, d)
        ``n_batches >= 1`` mini-batches, each of ``m >= 2`` examples of ``d`` units.

    Returns
    -------
    Population
        Named tuple ``(mean, var)`` of arrays of shape ``(d,)``: ``mean = E_ℬ[μ_ℬ]`` and
        ``var = m/(m-1) · E_ℬ[σ²_ℬ]``.

    Raises
    ------
    ValueError
        If ``batches`` is not 3-D, holds no mini-batch, has ``m < 2``, or is not finite.

    Notes
    -----
    Section 3.1, Algorithm 2 (book equation ``eq-population-stats``): ``σ²_ℬ`` is the biased
    variance of each mini-batch, as in training, and the factor ``m/(m-1)`` makes the estimate
    of the variance unbiased (see :func:`expected_batch_variance`). ``E_ℬ`` is the plain average
    over the given mini-batches.

    Examples
    --------
    >>> import bnref
    >>> pop = bnref.population_statistics([[[0.0], [2.0]], [[4.0], [8.0]]])
    >>> pop.mean, pop.var
    (array([3.5]), array([5.]))
    """
    arr = _batches(batches)
    m = arr.shape[1]
    mu = arr.mean(axis=1)  # μ_ℬ of every mini-batch, shape (n_batches, d)
    xc = arr - mu[:, None, :]
    var = np.einsum("bij,bij->bj", xc, xc) / m  # biased σ²_ℬ, shape (n_batches, d)
    return Population(mu.mean(axis=0), m / (m - 1) * var.mean(axis=0))


def update_running(
    running_mean: ArrayLike, running_var: ArrayLike, x: ArrayLike, *, momentum: float = 0.1
) -> Running:
    r"""One update of the running statistics with the mini-batch ``x`` (PyTorch's convention).

    Parameters
    ----------
    running_mean, running_var : array_like of shape (d,)
        The current running statistics (``running_var >= 0``).
    x : array_like of shape (m, d)
        The mini-batch, ``m >= 2`` examples of ``d`` units.
    momentum : float, default 0.1
        Weight of the new batch statistic, ``0 < momentum <= 1``; ``1`` keeps only the last
        batch.

    Returns
    -------
    Running
        Named tuple ``(mean, var)`` of fresh arrays of shape ``(d,)``.

    Raises
    ------
    ValueError
        If ``x`` is not a valid batch, the running statistics are not of shape exactly ``(d,)``
        or not finite, ``running_var`` is negative, or ``momentum`` is not in ``(0, 1]``.

    Notes
    -----
    Book equation ``eq-running-average``::

        mean ← (1 - momentum)·mean + momentum·μ_ℬ
        var  ← (1 - momentum)·var  + momentum·(m/(m-1))·σ²_ℬ

    ``momentum`` weighs the *new* value (PyTorch; Keras and TensorFlow call ``1 - momentum``
    the momentum). The running variance averages the *unbiased* batch variance, so it estimates
    the paper's ``Var[x]``, while the forward pass in training normalizes with the biased one.

    Examples
    --------
    >>> import bnref
    >>> run = bnref.update_running([0.0], [1.0], [[1.0], [3.0]], momentum=0.5)
    >>> run.mean, run.var
    (array([1.]), array([1.5]))
    """
    x = _validate.batch(x)
    d = x.shape[1]
    mean = _validate.per_unit(running_mean, "running_mean", d)
    var = _variance(running_var, "running_var", d)
    momentum = _momentum(momentum)
    m = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    unbiased = np.einsum("ij,ij->j", xc, xc) / (m - 1)
    return Running(
        (1.0 - momentum) * mean + momentum * mu,
        (1.0 - momentum) * var + momentum * unbiased,
    )


def running_statistics(batches: ArrayLike, *, momentum: float = 0.1) -> Running:
    r"""Running statistics after a sequence of mini-batches, starting from mean 0 and variance 1.

    Parameters
    ----------
    batches : array_like of shape (n_batches, m, d)
        The mini-batches in the order training sees them; ``m >= 2``.
    momentum : float, default 0.1
        Weight of each new batch statistic, ``0 < momentum <= 1``.

    Returns
    -------
    Running
        Named tuple ``(mean, var)`` of arrays of shape ``(d,)``.

    Raises
    ------
    ValueError
        As :func:`population_statistics`, and if ``momentum`` is not in ``(0, 1]``.

    Notes
    -----
    :func:`update_running` applied to each mini-batch in turn (book equation
    ``eq-running-average``), from PyTorch's initial values ``mean = 0`` and ``var = 1``. After
    ``n`` batches the initial values still weigh ``(1 - momentum)**n``, so the running values
    are an exponentially weighted average of recent batches, not the paper's uniform
    ``E_ℬ``.

    Examples
    --------
    >>> import bnref
    >>> run = bnref.running_statistics([[[1.0], [3.0]], [[3.0], [5.0]]], momentum=0.5)
    >>> run.mean, run.var
    (array([2.5]), array([1.75]))
    """
    arr = _batches(batches)
    momentum = _momentum(momentum)
    d = arr.shape[2]
    state = Running(np.zeros(d, dtype=arr.dtype), np.ones(d, dtype=arr.dtype))
    for x in arr:
        state = update_running(state.mean, state.var, x, momentum=momentum)
    return state


# ---------------------------------------------------------------------------------------------
# Inference with fixed statistics.


def batch_norm_inference(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    mean: ArrayLike,
    var: ArrayLike,
    *,
    eps: float = 1e-5,
) -> Array:
    r"""Batch normalization with fixed statistics: ``y = γ (x - E[x]) / sqrt(Var[x] + ε) + β``.

    Parameters
    ----------
    x : array_like of shape (m, d)
        ``m >= 1`` examples of ``d`` units.
    gamma, beta : array_like of shape (d,)
        The learned scale ``γ`` and shift ``β``.
    mean, var : array_like of shape (d,)
        The fixed statistics ``E[x]`` and ``Var[x] >= 0``, e.g. from
        :func:`population_statistics` or :func:`running_statistics`.
    eps : float, default 1e-5
        ``ε >= 0`` inside the square root.

    Returns
    -------
    y : ndarray of shape (m, d)
        A fresh array.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D, has no rows or is not finite, a parameter or statistic is not of
        shape exactly ``(d,)`` or not finite, ``var`` is negative, ``eps`` is invalid, or
        ``eps == 0`` where ``var == 0``.

    Notes
    -----
    Section 3.1, Algorithm 2 (book equation ``eq-bn-inference``). The statistics are fixed, so
    the transform is applied to each example independently of its batch mates: row ``i`` of
    ``y`` depends on row ``i`` of ``x`` only, and a batch of ``m = 1`` is fine. It is the affine
    map of :func:`fold_affine`.

    Examples
    --------
    >>> import bnref
    >>> bnref.batch_norm_inference([[1.0], [7.0]], [2.0], [1.0], mean=[3.0], var=[4.0], eps=0.0)
    array([[-1.],
           [ 5.]])
    """
    x = _validate.batch(x, min_rows=0)
    if x.shape[0] < 1:
        raise ValueError(f"x must have at least m = 1 example (row); got shape {x.shape}")
    gamma, beta, mean, var, eps = _fixed_statistics(gamma, beta, mean, var, eps, x.shape[1])
    y: Array = (x - mean) * (gamma / np.sqrt(var + eps)) + beta
    return y


def fold_affine(
    gamma: ArrayLike, beta: ArrayLike, mean: ArrayLike, var: ArrayLike, *, eps: float = 1e-5
) -> Affine:
    r"""Fold inference-mode batch normalization into one affine map per unit.

    Parameters
    ----------
    gamma, beta : array_like of shape (d,)
        The learned scale ``γ`` and shift ``β``.
    mean, var : array_like of shape (d,)
        The fixed statistics ``E[x]`` and ``Var[x] >= 0``.
    eps : float, default 1e-5
        ``ε >= 0`` inside the square root.

    Returns
    -------
    Affine
        Named tuple ``(scale, shift)`` of shape ``(d,)`` each, with
        ``scale = γ / sqrt(Var[x] + ε)`` and ``shift = β - scale · E[x]``.

    Raises
    ------
    ValueError
        If an argument is not of shape ``(d,)`` (the shape of ``gamma``) or not finite,
        ``var`` is negative, ``eps`` is invalid, or ``eps == 0`` where ``var == 0``.

    Notes
    -----
    Section 3.1 (book equation ``eq-bn-fold``): :func:`batch_norm_inference` equals
    ``scale · x + shift``, so at inference a batch-normalized layer ``BN(Wu)`` is one linear
    layer with weights ``scale ⊙ W`` and bias ``shift``.

    Examples
    --------
    >>> import bnref
    >>> fold = bnref.fold_affine([2.0], [1.0], mean=[3.0], var=[4.0], eps=0.0)
    >>> fold.scale, fold.shift
    (array([1.]), array([-2.]))
    """
    shape = np.shape(gamma)
    if len(shape) != 1:
        raise ValueError(
            f"gamma must be a 1-D array of shape (d,), one value per unit; got shape {shape}"
        )
    gamma, beta, mean, var, eps = _fixed_statistics(gamma, beta, mean, var, eps, shape[0])
    scale: Array = gamma / np.sqrt(var + eps)
    return Affine(scale, beta - scale * mean)


def expected_batch_variance(population: ArrayLike, m: int) -> float:
    r"""The exact mean of the biased batch variance over all ``m``-tuples drawn from a population.

    Parameters
    ----------
    population : array_like of shape (N,)
        ``N >= 2`` real, finite values; a batch draws ``m`` of them independently and uniformly,
        with replacement.
    m : int
        Batch size, ``m >= 2``.

    Returns
    -------
    float
        ``E_ℬ[σ²_ℬ]``, the average of ``σ²_ℬ = (1/m) Σ_i (x_i - μ_ℬ)²`` over all ``N**m``
        equally likely ordered batches.

    Raises
    ------
    ValueError
        If ``population`` is not 1-D, has fewer than two values, is complex or not finite,
        ``m`` is not an integer ``>= 2``, or there are more than ``1e6`` batches to enumerate
        (``N**m > 1e6``).

    Notes
    -----
    Book equation ``eq-bessel``. Every batch is enumerated, so no sampling error is involved:
    each tuple is one cell of an ``m``-dimensional grid (``np.ix_``), and each cell's variance
    is computed literally, with vectorised arithmetic. The result equals
    ``(m-1)/m · population.var()`` (the biased population variance, i.e. the variance of one
    draw) up to rounding, which is why the paper multiplies by ``m/(m-1)`` at inference.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> bnref.expected_batch_variance([0.0, 2.0], m=2)
    0.5
    >>> pop = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    >>> bool(np.isclose(bnref.expected_batch_variance(pop, m=3), 2 / 3 * pop.var()))
    True
    """
    arr = np.asarray(population)
    if arr.ndim != 1 or arr.shape[0] < 2:
        raise ValueError(
            f"population must be a 1-D array of at least N = 2 values; got an array of shape "
            f"{arr.shape}"
        )
    if arr.dtype.kind == "c":
        raise ValueError(f"population must be real; got dtype {arr.dtype}")
    pop = _validate.finite(_validate._numeric(arr, "population"), "population")
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 2:
        raise ValueError(f"m must be an integer >= 2 (a batch of at least two); got {m!r}")
    n_values, m = pop.shape[0], int(m)
    # N >= 2, so m >= 20 alone means N**m > 1e6; test it first to avoid a huge power.
    if m >= 20 or n_values**m > MAX_TUPLES:
        raise ValueError(
            f"population has N = {n_values} values and m = {m}, so there are N**m = "
            f"{n_values}**{m} batches to enumerate; expected at most {MAX_TUPLES:.0e} "
            f"(use a smaller population or batch)"
        )
    draws = np.ix_(*([pop] * m))  # draw i varies along axis i of an (N,)*m grid
    mu = sum(draws) / m  # μ_ℬ of every batch
    var = sum((draw - mu) ** 2 for draw in draws) / m  # σ²_ℬ of every batch
    return float(np.mean(var))


# ---------------------------------------------------------------------------------------------
# Convolutional batch normalization (Section 3.2).


def batch_norm_conv(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, eps: float = 1e-5) -> Array:
    r"""Batch normalization of convolutional feature maps, per channel over batch and space.

    Parameters
    ----------
    x : array_like of shape (m, C, p, q)
        ``m`` examples of ``C`` channels of ``p × q`` locations, with ``m·p·q >= 2``.
    gamma, beta : array_like of shape (C,)
        One scale and one shift per channel (feature map).
    eps : float, default 1e-5
        ``ε >= 0`` inside the square root.

    Returns
    -------
    y : ndarray of shape (m, C, p, q)
        A fresh C-contiguous array.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D, has ``m·p·q < 2`` or is not finite, ``gamma`` or ``beta`` is not of
        shape exactly ``(C,)`` or not finite, ``eps`` is invalid, or ``eps == 0`` and a channel
        is constant (reported as unit ``k`` = that channel).

    Notes
    -----
    Section 3.2 (book equation ``eq-bn-conv``): channel ``k`` is one unit whose mini-batch is
    every example at every location, an effective batch of ``m' = m·p·q`` values. The
    statistics and ``ε`` are those of :func:`bnref.batch_norm` (biased variance); the input is
    reshaped to ``(m·p·q, C)`` and handed to it. A per-channel bias added to ``x`` cancels.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> x = np.arange(16.0).reshape(2, 2, 2, 2)
    >>> y = bnref.batch_norm_conv(x, gamma=[1.0, 2.0], beta=[0.0, 10.0], eps=0.0)
    >>> y.shape
    (2, 2, 2, 2)
    >>> y.mean(axis=(0, 2, 3)).round(12), y.std(axis=(0, 2, 3)).round(12)
    (array([ 0., 10.]), array([1., 2.]))
    """
    x4 = _feature_maps(x)
    channels = x4.shape[1]
    gamma = _per_channel(gamma, "gamma", channels)
    beta = _per_channel(beta, "beta", channels)
    y = batch_norm(_channels_last(x4), gamma, beta, eps=eps)
    return _channels_first(y, x4.shape)


def batch_norm_conv_vjp(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    dy: ArrayLike,
    *,
    eps: float = 1e-5,
    through_stats: bool = True,
) -> tuple[Array, Array, Array]:
    r"""Backward pass of :func:`batch_norm_conv`: ``(∂ℓ/∂x, ∂ℓ/∂γ, ∂ℓ/∂β)`` given ``∂ℓ/∂y``.

    Parameters
    ----------
    x : array_like of shape (m, C, p, q)
        The forward pass's input, ``m·p·q >= 2``.
    gamma, beta : array_like of shape (C,)
        The forward pass's parameters.
    dy : array_like of shape (m, C, p, q)
        The cotangent ``g = ∂ℓ/∂y``.
    eps : float, default 1e-5
        ``ε >= 0``, as in the forward pass.
    through_stats : bool, default True
        ``True`` differentiates through the per-channel statistics; ``False`` treats them as
        constants (the naive gradient).

    Returns
    -------
    dx : ndarray of shape (m, C, p, q)
    dgamma, dbeta : ndarray of shape (C,)

    Raises
    ------
    ValueError
        As :func:`batch_norm_conv`, and if ``dy`` does not have the shape of ``x`` or is not
        finite.

    Notes
    -----
    Book equation ``eq-bn-conv``: the compact backward pass of :func:`bnref.batch_norm_vjp`
    with the ``m' = m·p·q`` values of a channel as its batch. ``dγ`` and ``dβ`` sum over the
    batch *and* the locations, and ``Σ dx`` over them is zero in each channel.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> x = np.arange(16.0).reshape(2, 2, 2, 2) ** 2
    >>> dy = np.ones_like(x)
    >>> dx, dgamma, dbeta = bnref.batch_norm_conv_vjp(x, [1.0, 1.0], [0.0, 0.0], dy)
    >>> bool(np.abs(dx).max() < 1e-12), dbeta
    (True, array([8., 8.]))
    """
    x4 = _feature_maps(x)
    channels = x4.shape[1]
    gamma = _per_channel(gamma, "gamma", channels)
    beta = _per_channel(beta, "beta", channels)
    dy = _validate.finite(_validate.same_shape(dy, "dy", x4), "dy")
    dx, dgamma, dbeta = batch_norm_vjp(
        _channels_last(x4),
        gamma,
        beta,
        _channels_last(dy),
        eps=eps,
        through_stats=through_stats,
    )
    return _channels_first(dx, x4.shape), dgamma, dbeta
