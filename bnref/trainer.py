"""A small multilayer perceptron, trained by hand-written backpropagation, with and without BN.

The network is the paper's placement of batch normalization, ``a = θ(BN(W a_prev + b))`` in
every hidden layer, then a linear output layer and softmax cross-entropy. Per hidden layer ``l``
and example ``i`` (rows), in the book's notation::

    x_ik  = Σ_j W_kj a_ij^(l-1) + b_k    pre-activation u + b, shape (m, n_l)
    y     = BN_{γ,β}(x)                  Algorithm 1 over the mini-batch ("exact", "naive")
    a^(l) = tanh(y)                      the nonlinearity θ

``mode`` selects the backward pass through ``BN``: ``"exact"`` differentiates through the
mini-batch statistics (:func:`bnref.batch_norm_backward` with ``through_stats=True``, on what
:func:`bnref.batch_norm_forward` saved), ``"naive"``
treats them as constants (``through_stats=False``, the gradient the paper's Section 2 warns
against), and ``"none"`` drops ``BN`` (``y = x``). Evaluation runs in inference mode with the
running statistics of :func:`bnref.update_running`.

``θ = tanh`` rather than ReLU, for two reasons. It is smooth and complex-analytic, so the complex
step checks the hand-written backward pass of the whole network to rounding (ReLU's kink at zero
makes numerical derivatives unreliable for pre-activations near it). And it is bounded and
saturating, like the sigmoid of the paper's MNIST experiment (Section 4.1), which is the regime
that motivated normalizing before the nonlinearity.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterator, Sequence
from typing import Any, Literal, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike

from bnref import _validate
from bnref._validate import Array, FloatRangeError
from bnref.batchnorm import BatchNormSaved, batch_norm_backward, batch_norm_forward, standardize
from bnref.statistics import (
    Population,
    Running,
    batch_norm_inference,
    population_statistics,
    update_running,
)

__all__ = [
    "Dataset",
    "Parameters",
    "TrainRun",
    "init_parameters",
    "loss_and_gradients",
    "make_dataset",
    "network_loss",
    "network_population",
    "predict",
    "train",
]

Mode = Literal["exact", "naive", "none"]
MODES = ("exact", "naive", "none")


class Dataset(NamedTuple):
    """Inputs and integer class labels."""

    inputs: Array
    """``a^(0)``, shape ``(n, 2)``."""
    labels: Array
    """Class of each example, integers in ``{0, 1, 2}``, shape ``(n,)``."""


class Parameters(NamedTuple):
    """The network's parameters (or gradients of the same structure), layer by layer."""

    weights: tuple[Array, ...]
    """``W^(l)`` of shape ``(n_l, n_{l-1})`` for every layer (row ``k`` holds unit ``k``'s
    weights), the output layer last."""
    biases: tuple[Array, ...]
    """``b^(l)`` of shape ``(n_l,)`` for every layer."""
    gammas: tuple[Array, ...]
    """``γ^(l)`` of shape ``(n_l,)`` for every hidden layer."""
    betas: tuple[Array, ...]
    """``β^(l)`` of shape ``(n_l,)`` for every hidden layer."""


class TrainRun(NamedTuple):
    """The histories of a :func:`train` run; row ``n`` of a ``(steps + 1, ...)`` array is the
    state after ``n`` steps, entry ``n`` of a ``(steps,)`` array is step ``n`` itself."""

    loss: Array
    """Mini-batch loss at step ``n`` (training mode, the loss that is differentiated),
    shape ``(steps,)``."""
    accuracy: Array
    """Mini-batch accuracy at step ``n`` (training mode), shape ``(steps,)``."""
    test_loss: Array
    """Loss on the test set in inference mode (running statistics), shape ``(steps + 1,)``."""
    test_accuracy: Array
    """Accuracy on the test set in inference mode, shape ``(steps + 1,)``."""
    bias: Array
    """The first hidden layer's bias ``b^(1)``, shape ``(steps + 1, n_1)``."""
    weight_norm: Array
    """Frobenius norm of every layer's ``W^(l)``, shape ``(steps + 1, n_layers)`` (``inf`` if
    the norm of finite weights overflows)."""
    params: Parameters
    """The final parameters (the last finite ones if the run diverged)."""
    running: tuple[Running, ...]
    """The final running statistics of every hidden layer (``()`` in mode ``"none"``)."""
    diverged_at: int | None
    """The step whose loss or gradient was not finite, or ``None``."""


# ---------------------------------------------------------------------------------------------
# Validation.


def _mode(mode: str) -> Mode:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}; got {mode!r}")
    return cast(Mode, mode)


def _layers(layers: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(layers)
    if len(sizes) < 3 or any(
        isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes
    ):
        raise ValueError(
            f"layers must be a sequence of at least 3 positive integers (inputs, one or more "
            f"hidden layers, classes); got {layers!r}"
        )
    return tuple(int(n) for n in sizes)


def _dataset(data: Dataset, name: str, n_inputs: int, n_classes: int) -> Dataset:
    inputs = _validate.batch(data.inputs, f"{name}.inputs", min_rows=1)
    if inputs.shape[1] != n_inputs or inputs.dtype.kind == "c":
        raise ValueError(
            f"{name}.inputs must be real with layers[0] = {n_inputs} columns; got shape "
            f"{inputs.shape} and dtype {inputs.dtype}"
        )
    labels = np.asarray(data.labels)
    if (
        labels.shape != (inputs.shape[0],)
        or labels.dtype.kind not in "iu"
        or (labels.size and (labels.min() < 0 or labels.max() >= n_classes))
    ):
        raise ValueError(
            f"{name}.labels must be integers in [0, {n_classes}) of shape "
            f"({inputs.shape[0]},); got shape {labels.shape} and dtype {labels.dtype}"
        )
    return Dataset(inputs, labels)


def _batch_size(batch_size: int, n: int) -> int:
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or not 2 <= batch_size <= n
    ):
        raise ValueError(
            f"batch_size must be an integer between 2 and the number of examples, {n}; "
            f"got {batch_size!r}"
        )
    return int(batch_size)


def _parameters(params: Parameters) -> Parameters:
    """Validate ``params``: chained weight shapes, one ``γ, β`` per hidden layer, finite."""
    got = {name: [np.shape(arr) for arr in group] for name, group in params._asdict().items()}
    weights = got["weights"]
    if len(weights) >= 2 and all(len(shape) == 2 for shape in weights):
        sizes = [weights[0][1], *(shape[0] for shape in weights)]
    else:
        sizes = [-1, -1, -1]  # no valid chain: report the structure as a whole
    expected = {
        "weights": [(n_out, n_in) for n_in, n_out in itertools.pairwise(sizes)],
        "biases": [(n,) for n in sizes[1:]],
        "gammas": [(n,) for n in sizes[1:-1]],
        "betas": [(n,) for n in sizes[1:-1]],
    }
    if got != expected:
        raise ValueError(
            f"params must hold, for L >= 2 layers of sizes n_0..n_L, weights of shapes "
            f"(n_l, n_(l-1)), biases (n_l,), and gammas and betas (n_l,) for the L - 1 hidden "
            f"layers; got shapes {got}"
        )
    checked = {
        name: tuple(
            _validate.finite(_validate._numeric(arr, f"params.{name}"), f"params.{name}")
            for arr in group
        )
        for name, group in params._asdict().items()
    }
    return Parameters(**checked)


# ---------------------------------------------------------------------------------------------
# The data and the parameters.


def make_dataset(n: int = 512, *, seed: int = 0, noise: float = 0.2) -> Dataset:
    r"""Three interleaved spiral arms in the plane, one class per arm.

    Parameters
    ----------
    n : int, default 512
        Number of examples, ``n >= 3``; example ``i`` has class ``i mod 3``.
    seed : int, default 0
        Seed of the ``numpy.random.Generator`` that draws the radii and the angular noise.
    noise : float, default 0.2
        Standard deviation of the angular noise, in radians (``>= 0``).

    Returns
    -------
    Dataset
        ``(inputs, labels)``: inputs of shape ``(n, 2)`` inside the unit disc, and labels
        of shape ``(n,)`` (int64).

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 3``, or ``noise`` is negative or not finite.

    Notes
    -----
    Book equation ``eq-spirals``: arm ``c`` at radius ``r ~ U(0, 1)`` lies at angle
    ``2πc/3 + 4r + noise·N(0, 1)``. Each arm turns through 4 radians (about 230°), so no
    straight line separates the classes. The same ``seed`` gives bit-identical data.

    Examples
    --------
    >>> import bnref
    >>> data = bnref.make_dataset(6, seed=0)
    >>> data.inputs.shape, data.labels
    ((6, 2), array([0, 1, 2, 0, 1, 2]))
    >>> bool((data.inputs**2).sum(axis=1).max() <= 1.0)
    True
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 3:
        raise ValueError(f"n must be an integer >= 3 (one example per class at least); got {n!r}")
    if _validate.finite_real(noise, "noise") < 0:
        raise ValueError(f"noise must be a finite real number >= 0; got {noise!r}")
    rng = np.random.default_rng(seed)
    labels = np.arange(int(n)) % 3
    r = rng.uniform(0.0, 1.0, int(n))
    angle = 2.0 * np.pi * labels / 3.0 + 4.0 * r + noise * rng.standard_normal(int(n))
    inputs = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return Dataset(inputs, labels.astype(np.int64))


def init_parameters(layers: Sequence[int] = (2, 32, 32, 3), *, seed: int = 0) -> Parameters:
    r"""Initial parameters: ``W ~ N(0, 1/n_{l-1})``, ``b = 0``, ``γ = 1``, ``β = 0``.

    Parameters
    ----------
    layers : sequence of int, default (2, 32, 32, 3)
        Layer sizes: inputs, one or more hidden layers, classes.
    seed : int, default 0
        Seed of the ``numpy.random.Generator`` that draws the weights.

    Returns
    -------
    Parameters
        Fresh arrays; ``weights[l]`` has shape ``(layers[l + 1], layers[l])``.

    Raises
    ------
    ValueError
        If ``layers`` is not a sequence of at least 3 positive integers.

    Notes
    -----
    Book equation ``eq-mlp-init``: LeCun's variance ``1/n_{l-1}`` keeps a ``tanh`` network's
    pre-activations of order one at the start even without batch normalization, so mode
    ``"none"`` starts fairly. ``γ = 1, β = 0`` make every BN layer start as pure
    standardization.

    Examples
    --------
    >>> import bnref
    >>> p = bnref.init_parameters((2, 4, 3), seed=0)
    >>> [w.shape for w in p.weights], p.gammas[0], p.betas[0]
    ([(4, 2), (3, 4)], array([1., 1., 1., 1.]), array([0., 0., 0., 0.]))
    """
    return _init(_layers(layers), np.random.default_rng(seed))


def _init(sizes: tuple[int, ...], rng: np.random.Generator) -> Parameters:
    weights = tuple(
        rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
        for n_in, n_out in itertools.pairwise(sizes)
    )
    return Parameters(
        weights,
        tuple(np.zeros(n) for n in sizes[1:]),
        tuple(np.ones(n) for n in sizes[1:-1]),
        tuple(np.zeros(n) for n in sizes[1:-1]),
    )


# ---------------------------------------------------------------------------------------------
# Forward and backward passes.


class _NonFinite(Exception):
    """Raised inside a training step when an intermediate value is nan or inf."""


def _require_finite(arr: Array) -> Array:
    if not np.isfinite(arr).all():
        raise _NonFinite
    return arr


def _cross_entropy(logits: Array, labels: Array) -> tuple[Any, Array]:
    """Mean softmax cross-entropy and its gradient ``(softmax - onehot)/m`` w.r.t. the logits.

    Log-sum-exp is shifted by the row maximum of the real part, a constant, so the loss stays
    complex-analytic in the logits (for the complex step).
    """
    m = logits.shape[0]
    z = logits - logits.real.max(axis=1, keepdims=True)
    exp_z = np.exp(z)
    total = exp_z.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - z[np.arange(m), labels])
    dlogits = exp_z / total
    dlogits[np.arange(m), labels] -= 1.0
    return loss, dlogits / m


class _Layer(NamedTuple):
    """What the training-mode forward pass keeps of one hidden layer for the backward pass."""

    a_prev: Array
    x: Array
    saved: BatchNormSaved | None  # of batch_norm_forward; None without it
    a: Array


def _forward(
    params: Parameters, inputs: Array, mode: str, eps: float, check: bool = False
) -> tuple[Array, list[_Layer]]:
    """Training-mode forward pass; returns the logits and a :class:`_Layer` per hidden layer.

    In mode ``"naive"`` with complex ``x`` (the complex step of :func:`network_loss`) the
    statistics are computed from the real part of ``x``: identical values, but constants for
    the complex step, i.e. a stop-gradient. A real ``x`` is its own real part.
    """
    a = inputs
    cache = []
    for layer in range(len(params.gammas)):
        x = a @ params.weights[layer].T + params.biases[layer]
        if check:
            _require_finite(x)  # a variance that overflows raises FloatRangeError below
        gamma, beta = params.gammas[layer], params.betas[layer]
        saved = None
        if mode == "none":
            y = x
        elif mode == "naive" and x.dtype.kind == "c":
            stats = standardize(x.real, eps=eps)
            y = batch_norm_inference(x, gamma, beta, stats.mu, stats.var, eps=eps)
        else:
            y, saved = batch_norm_forward(x, gamma, beta, eps=eps)
        a_next = np.tanh(y)
        cache.append(_Layer(a, x, saved, a_next))
        a = a_next
    return a @ params.weights[-1].T + params.biases[-1], cache


def network_loss(
    params: Parameters,
    inputs: ArrayLike,
    labels: ArrayLike,
    *,
    mode: Mode = "exact",
    eps: float = 1e-5,
) -> Any:
    r"""The training-mode loss of the network on one mini-batch; complex parameters allowed.

    Parameters
    ----------
    params : Parameters
        The network, e.g. from :func:`init_parameters`; may be complex (complex step).
    inputs : array_like of shape (m, n_0)
        A mini-batch, ``m >= 2`` real examples.
    labels : array_like of int, shape (m,)
        Classes in ``[0, n_L)``.
    mode : {"exact", "naive", "none"}, default "exact"
        ``"none"`` skips batch normalization. ``"exact"`` and ``"naive"`` give the same value;
        ``"naive"`` computes the statistics from the real part of the pre-activations, so for
        the complex step they are constants (a stop-gradient).
    eps : float, default 1e-5
        ``ε >= 0`` of every batch-normalization layer.

    Returns
    -------
    loss : numpy scalar
        Mean softmax cross-entropy; ``float64``, or ``complex128`` for complex parameters.

    Raises
    ------
    ValueError
        For an unknown ``mode``, an invalid ``eps``, inconsistent ``params``, or inputs and
        labels that do not fit the network.

    Notes
    -----
    Book equation ``eq-mlp-loss``: ``ℓ = -(1/m) Σ_i log softmax(z_i)_{t_i}``. The complex step
    of this function is the gradient of :func:`loss_and_gradients` in the same mode, exactly
    (to rounding): ``"naive"`` is a stop-gradient on ``μ`` and ``σ²``.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> p = bnref.init_parameters((2, 4, 3), seed=0)
    >>> data = bnref.make_dataset(6, seed=0)
    >>> loss = bnref.network_loss(p, data.inputs, data.labels)
    >>> bool(np.isclose(loss, bnref.network_loss(p, data.inputs, data.labels, mode="naive")))
    True
    """
    mode = _mode(mode)
    eps = _validate.eps_value(eps)
    params = _parameters(params)
    data = _dataset(
        Dataset(np.asarray(inputs), np.asarray(labels)),
        "data",
        params.weights[0].shape[1],
        params.weights[-1].shape[0],
    )
    if mode != "none":
        _validate.batch(data.inputs, "inputs")  # batch statistics need m >= 2
    logits, _ = _forward(params, data.inputs, mode, eps)
    return _cross_entropy(logits, data.labels)[0]


def _backward(
    params: Parameters,
    cache: list[_Layer],
    dlogits: Array,
    mode: str,
    check: bool = False,
) -> Parameters:
    """Backpropagate ``∂ℓ/∂logits`` through the network; returns gradients of every parameter.

    Each hidden layer's ``BN`` runs backward on what its forward pass saved, so its ``ε`` is
    already in ``saved.s``."""
    a_last = cache[-1].a
    d_weights = [dlogits.T @ a_last]  # output layer: logits = a W^T + b
    d_biases = [dlogits.sum(axis=0)]
    d_gammas: list[Array] = []
    d_betas: list[Array] = []
    da = dlogits @ params.weights[-1]
    for layer in reversed(range(len(params.gammas))):
        a_prev, _, saved, a = cache[layer]
        dy = da * (1.0 - a**2)  # a = tanh(y), tanh' = 1 - tanh²
        if check:
            _require_finite(dy)
        if saved is None:  # mode "none": y = x
            dx = dy
            dgamma, dbeta = np.zeros_like(params.gammas[layer]), np.zeros_like(dy[0])
        else:  # y = BN(x), through the statistics or not
            dx, dgamma, dbeta = batch_norm_backward(
                dy, params.gammas[layer], saved, through_stats=mode == "exact"
            )
        d_weights.append(dx.T @ a_prev)  # x = a_prev W^T + b
        d_biases.append(dx.sum(axis=0))  # exact: 0 to rounding; naive: (γ/s) Σ_i dy_i
        d_gammas.append(dgamma)
        d_betas.append(dbeta)
        da = dx @ params.weights[layer]
    return Parameters(
        tuple(reversed(d_weights)),
        tuple(reversed(d_biases)),
        tuple(reversed(d_gammas)),
        tuple(reversed(d_betas)),
    )


def loss_and_gradients(
    params: Parameters,
    inputs: ArrayLike,
    labels: ArrayLike,
    *,
    mode: Mode = "exact",
    eps: float = 1e-5,
) -> tuple[float, Parameters]:
    r"""The mini-batch loss and its gradient with respect to every parameter, by hand.

    Parameters
    ----------
    params : Parameters
        The network (real).
    inputs : array_like of shape (m, n_0)
        A mini-batch, ``m >= 2`` examples.
    labels : array_like of int, shape (m,)
        Classes in ``[0, n_L)``.
    mode : {"exact", "naive", "none"}, default "exact"
        The backward pass through batch normalization: through the statistics, with the
        statistics held constant, or no batch normalization.
    eps : float, default 1e-5
        ``ε >= 0``.

    Returns
    -------
    loss : float
        As :func:`network_loss`.
    grads : Parameters
        ``∂ℓ/∂`` every parameter, with the structure and shapes of ``params``. In mode
        ``"none"`` the gradients of ``γ`` and ``β`` are zero (they are unused).

    Raises
    ------
    ValueError
        As :func:`network_loss`, and for complex parameters.

    Notes
    -----
    Book equation ``eq-mlp-backward``. Softmax cross-entropy gives ``∂ℓ/∂z = (softmax(z) -
    onehot)/m``; a linear layer ``x = a W + b`` gives ``∂ℓ/∂W = aᵀ ∂ℓ/∂x``,
    ``∂ℓ/∂b = Σ_i ∂ℓ/∂x_i`` and ``∂ℓ/∂a = ∂ℓ/∂x Wᵀ``; ``tanh' = 1 - tanh²``; and the batch
    normalization is :func:`bnref.batch_norm_backward` on what :func:`bnref.batch_norm_forward`
    saved (the values of :func:`bnref.batch_norm_vjp`). In mode ``"exact"`` the hidden biases'
    gradient is zero up to rounding, because ``Σ_i dx_i = 0``.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> p = bnref.init_parameters((2, 4, 3), seed=0)
    >>> data = bnref.make_dataset(6, seed=0)
    >>> loss, grads = bnref.loss_and_gradients(p, data.inputs, data.labels)
    >>> [g.shape for g in grads.weights]
    [(4, 2), (3, 4)]
    >>> bool(np.abs(grads.biases[0]).max() < 1e-15)
    True
    """
    mode = _mode(mode)
    eps = _validate.eps_value(eps)
    params = _parameters(params)
    if any(w.dtype.kind == "c" for w in params.weights):
        raise ValueError("params must be real for loss_and_gradients; use network_loss instead")
    data = _dataset(
        Dataset(np.asarray(inputs), np.asarray(labels)),
        "data",
        params.weights[0].shape[1],
        params.weights[-1].shape[0],
    )
    if mode != "none":
        _validate.batch(data.inputs, "inputs")
    logits, cache = _forward(params, data.inputs, mode, eps)
    loss, dlogits = _cross_entropy(logits, data.labels)
    return float(loss), _backward(params, cache, dlogits, mode)


def _predict(
    params: Parameters,
    stats: Sequence[tuple[Array, Array]],
    inputs: Array,
    eps: float,
    check: bool = False,
) -> Array:
    """Inference-mode forward pass on validated arguments."""
    a = inputs
    for layer in range(len(params.gammas)):
        x = a @ params.weights[layer].T + params.biases[layer]
        if check:
            _require_finite(x)
        if stats:
            mean, var = stats[layer]
            x = batch_norm_inference(
                x, params.gammas[layer], params.betas[layer], mean, var, eps=eps
            )
        a = np.tanh(x)
    logits: Array = a @ params.weights[-1].T + params.biases[-1]
    return logits


def predict(
    params: Parameters,
    stats: Sequence[Running | Population],
    inputs: ArrayLike,
    *,
    eps: float = 1e-5,
) -> Array:
    r"""The logits in inference mode: batch normalization with fixed statistics.

    Parameters
    ----------
    params : Parameters
        The network.
    stats : sequence of Running or Population
        One ``(mean, var)`` per hidden layer: ``TrainRun.running``, or the output of
        :func:`network_population`; empty for a network without batch normalization.
    inputs : array_like of shape (m, n_0)
        ``m >= 1`` examples; each is processed independently of the others.
    eps : float, default 1e-5
        ``ε >= 0``.

    Returns
    -------
    logits : ndarray of shape (m, n_L)

    Raises
    ------
    ValueError
        If ``stats`` has neither zero entries nor one per hidden layer, or for invalid
        ``params``, ``inputs`` or statistics.

    Notes
    -----
    Book equation ``eq-bn-inference`` in every hidden layer (:func:`bnref.batch_norm_inference`),
    so row ``i`` of the logits depends on example ``i`` only.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> p = bnref.init_parameters((2, 4, 3), seed=0)
    >>> stats = [bnref.Running(np.zeros(4), np.ones(4))]
    >>> bnref.predict(p, stats, [[0.5, -0.5]]).shape
    (1, 3)
    """
    params = _parameters(params)
    n_hidden = len(params.gammas)
    if len(stats) not in (0, n_hidden):
        raise ValueError(
            f"stats must hold 0 (no batch normalization) or {n_hidden} (one per hidden "
            f"layer) pairs (mean, var); got {len(stats)}"
        )
    eps = _validate.eps_value(eps)
    a = _validate.batch(inputs, "inputs", min_rows=1)
    if a.shape[1] != params.weights[0].shape[1]:
        raise ValueError(
            f"inputs must have {params.weights[0].shape[1]} columns (the network's inputs); "
            f"got shape {a.shape}"
        )
    return _predict(params, [(mean, var) for mean, var in stats], a, eps)


def network_population(
    params: Parameters, inputs: ArrayLike, *, batch_size: int = 64, eps: float = 1e-5
) -> tuple[Population, ...]:
    r"""Population statistics of every hidden layer, by the paper's Algorithm 2.

    Parameters
    ----------
    params : Parameters
        The trained network.
    inputs : array_like of shape (n, n_0)
        Training examples; they are split, in order, into ``n // batch_size`` mini-batches (a
        last incomplete batch is dropped).
    batch_size : int, default 64
        ``m``, between 2 and ``n``.
    eps : float, default 1e-5
        ``ε >= 0``.

    Returns
    -------
    tuple of Population
        One ``(mean, var)`` per hidden layer, for :func:`predict`.

    Raises
    ------
    ValueError
        For invalid ``params``, ``inputs``, ``batch_size`` or ``eps``.

    Notes
    -----
    Algorithm 2, steps 8–11 (book equation ``eq-population-stats``): each mini-batch goes
    through the *training-mode* network, and each layer's pre-activations give
    ``E[x] = E_ℬ[μ_ℬ]`` and ``Var[x] = m/(m-1)·E_ℬ[σ²_ℬ]`` (:func:`bnref.population_statistics`).
    Unlike the running averages, these statistics belong to the final parameters alone.

    Examples
    --------
    >>> import bnref
    >>> p = bnref.init_parameters((2, 4, 3), seed=0)
    >>> pop = bnref.network_population(p, bnref.make_dataset(64).inputs, batch_size=16)
    >>> len(pop), pop[0].mean.shape, pop[0].var.shape
    (1, (4,), (4,))
    """
    params = _parameters(params)
    eps = _validate.eps_value(eps)
    a = _validate.batch(inputs, "inputs")
    if a.shape[1] != params.weights[0].shape[1] or a.dtype.kind == "c":
        raise ValueError(
            f"inputs must be real with {params.weights[0].shape[1]} columns (the network's "
            f"inputs); got shape {a.shape} and dtype {a.dtype}"
        )
    n = a.shape[0]
    size = _batch_size(batch_size, n)
    batches = a[: n // size * size].reshape(n // size, size, -1)
    caches = [_forward(params, batch, "exact", eps)[1] for batch in batches]
    return tuple(
        population_statistics(np.stack([cache[layer].x for cache in caches]))
        for layer in range(len(params.gammas))
    )


# ---------------------------------------------------------------------------------------------
# Training.


def _accuracy(logits: Array, labels: Array) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


class _Settings(NamedTuple):
    """The validated arguments of :func:`train`."""

    mode: Mode
    sizes: tuple[int, ...]
    lr: float
    steps: int
    eps: float
    train_bias: bool
    batch_size: int
    momentum: float
    data: Dataset
    test: Dataset


def _settings(
    mode: Mode,
    layers: Sequence[int],
    keep_bias: bool,
    lr: float,
    steps: int,
    batch_size: int,
    momentum: float,
    eps: float,
    data: Dataset | None,
    test: Dataset | None,
) -> _Settings:
    """Validate the arguments of :func:`train`, in the order its docstring lists them."""
    mode = _mode(mode)
    sizes = _layers(layers)
    lr = _validate.finite_real(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be a finite real number > 0; got {lr!r}")
    steps = _validate.count(steps, "steps")
    eps = _validate.eps_value(eps)
    if not isinstance(keep_bias, bool):
        raise ValueError(f"keep_bias must be True or False; got {keep_bias!r}")
    data = _dataset(
        make_dataset(512, seed=0) if data is None else data, "data", sizes[0], sizes[-1]
    )
    test = _dataset(
        make_dataset(256, seed=1) if test is None else test, "test", sizes[0], sizes[-1]
    )
    batch_size = _batch_size(batch_size, data.inputs.shape[0])
    if not 0 < _validate.finite_real(momentum, "momentum") <= 1:
        raise ValueError(f"momentum must satisfy 0 < momentum <= 1; got {momentum!r}")
    # "none" has no β to play the role of b, so it always trains b.
    train_bias = keep_bias or mode == "none"
    return _Settings(mode, sizes, lr, steps, eps, train_bias, batch_size, momentum, data, test)


def _batches(rng: np.random.Generator, n: int, batch_size: int, steps: int) -> Iterator[Array]:
    """The example indices of each step: a fresh permutation per epoch, the last incomplete
    batch of each epoch dropped."""
    per_epoch = n // batch_size
    order = rng.permutation(n)
    for step in range(steps):
        if step % per_epoch == 0 and step > 0:
            order = rng.permutation(n)
        yield order[(step % per_epoch) * batch_size : (step % per_epoch + 1) * batch_size]


def _sgd_update(params: Parameters, grads: Parameters, lr: float, train_bias: bool) -> Parameters:
    """Book equation ``eq-sgd``, ``θ ← θ - η ∂ℓ/∂θ``, for every trained parameter; the hidden
    layers' ``b`` only if ``train_bias`` (the output layer's always)."""
    n_hidden = len(params.gammas)
    new = Parameters(
        tuple(w - lr * g for w, g in zip(params.weights, grads.weights, strict=True)),
        tuple(
            b - lr * g if train_bias or layer == n_hidden else b
            for layer, (b, g) in enumerate(zip(params.biases, grads.biases, strict=True))
        ),
        tuple(p - lr * g for p, g in zip(params.gammas, grads.gammas, strict=True)),
        tuple(p - lr * g for p, g in zip(params.betas, grads.betas, strict=True)),
    )
    for group in new:
        for arr in group:
            _require_finite(arr)
    return new


class _Step(NamedTuple):
    """One SGD step on a mini-batch: what it measured and where it went."""

    loss: Any
    logits: Array
    cache: list[_Layer]
    params: Parameters


def _sgd_step(params: Parameters, inputs: Array, labels: Array, settings: _Settings) -> _Step:
    """Forward, loss, backward (through ``BN`` as ``settings.mode`` says) and update.

    Raises ``_NonFinite`` (or ``FloatRangeError``) as soon as a value is nan or inf.
    """
    mode, eps = settings.mode, settings.eps
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        logits, cache = _forward(params, inputs, mode, eps, check=True)
        loss, dlogits = _cross_entropy(logits, labels)
        _require_finite(np.asarray(loss))
        grads = _backward(params, cache, dlogits, mode, check=True)
        new = _sgd_update(params, grads, settings.lr, settings.train_bias)
    return _Step(loss, logits, cache, new)


class _History:
    """The arrays of a :class:`TrainRun`, filled row by row as the run goes."""

    def __init__(self, steps: int, sizes: tuple[int, ...]) -> None:
        self.loss, self.accuracy = np.full(steps, np.nan), np.full(steps, np.nan)
        self.test_loss, self.test_accuracy = np.full(steps + 1, np.nan), np.full(steps + 1, np.nan)
        self.bias = np.empty((steps + 1, sizes[1]))
        self.weight_norm = np.empty((steps + 1, len(sizes) - 1))

    def record_step(self, step: int, result: _Step, labels: Array) -> None:
        """The training-mode loss and accuracy of step ``step``."""
        self.loss[step], self.accuracy[step] = float(result.loss), _accuracy(result.logits, labels)

    def record_state(
        self, row: int, params: Parameters, running: Sequence[Running], test: Dataset, eps: float
    ) -> None:
        """The state after ``row`` steps: ``b^(1)``, the weight norms, the test-set figures."""
        self.bias[row] = params.biases[0]
        with np.errstate(over="ignore", invalid="ignore"):
            self.weight_norm[row] = [np.linalg.norm(w) for w in params.weights]  # may be inf
            try:
                logits = _predict(params, running, test.inputs, eps, check=True)
                self.test_loss[row] = float(_cross_entropy(logits, test.labels)[0])
                self.test_accuracy[row] = _accuracy(logits, test.labels)
            except _NonFinite:
                pass  # finite parameters whose test-set pre-activations overflow: leave nan

    def hold(self, step: int) -> None:
        """After a diverging step: the parameter histories repeat the last finite row."""
        self.bias[step + 1 :] = self.bias[step]
        self.weight_norm[step + 1 :] = self.weight_norm[step]


def train(
    mode: Mode = "exact",
    *,
    layers: Sequence[int] = (2, 32, 32, 3),
    keep_bias: bool = False,
    lr: float = 0.5,
    steps: int = 400,
    batch_size: int = 64,
    momentum: float = 0.1,
    eps: float = 1e-5,
    seed: int = 0,
    data: Dataset | None = None,
    test: Dataset | None = None,
) -> TrainRun:
    r"""Train the MLP by minibatch SGD and record its histories.

    Parameters
    ----------
    mode : {"exact", "naive", "none"}, default "exact"
        Batch normalization with the exact backward pass, with the naive one (statistics held
        constant), or no batch normalization.
    layers : sequence of int, default (2, 32, 32, 3)
        Layer sizes: inputs, hidden layers (each batch-normalized), classes.
    keep_bias : bool, default False
        Whether the hidden layers' biases ``b`` (before the normalization) are trained. If
        ``False`` they stay at zero: ``β`` plays their role. Mode ``"none"`` always trains
        them, and the output layer's bias is always trained.
    lr : float, default 0.5
        The SGD step size ``η > 0``.
    steps : int, default 400
        Number of SGD steps.
    batch_size : int, default 64
        ``m``, between 2 and the number of training examples. Each epoch visits a fresh
        permutation of the data; a last incomplete batch is dropped.
    momentum : float, default 0.1
        Of the running statistics (:func:`bnref.update_running`), ``0 < momentum <= 1``.
    eps : float, default 1e-5
        ``ε >= 0`` of every batch-normalization layer.
    seed : int, default 0
        Seed of the one ``numpy.random.Generator`` that draws the initial weights
        (:func:`init_parameters`) and then the batch order: the same ``seed`` gives the same
        start and the same batches in every mode, and bit-identical histories.
    data, test : Dataset, optional
        Training and test sets; default ``make_dataset(512, seed=0)`` and
        ``make_dataset(256, seed=1)``.

    Returns
    -------
    TrainRun
        The histories (see :class:`TrainRun`), the final parameters and running statistics.

    Raises
    ------
    ValueError
        For an unknown ``mode``, invalid ``layers``, ``lr``, ``steps``, ``batch_size``,
        ``momentum`` or ``eps``, or data that do not fit ``layers``.

    Notes
    -----
    Book equation ``eq-sgd``: ``θ ← θ - η ∂ℓ/∂θ`` for every trained parameter, with the
    gradients of :func:`loss_and_gradients`. The running statistics are updated from every
    mini-batch's pre-activations (in all three BN modes alike) and used for the test-set
    evaluation. If a step produces a non-finite loss, gradient or parameter, the run does not
    raise: ``diverged_at`` records the step, the parameters keep their last finite values,
    and the remaining rows of the loss and accuracy histories are ``nan`` (the parameter
    histories repeat the last finite row).

    Examples
    --------
    >>> import bnref
    >>> run = bnref.train("exact", steps=3)
    >>> run.loss.shape, run.bias.shape, run.weight_norm.shape, run.diverged_at
    ((3,), (4, 32), (4, 3), None)
    """
    s = _settings(mode, layers, keep_bias, lr, steps, batch_size, momentum, eps, data, test)
    rng = np.random.default_rng(seed)
    params = _init(s.sizes, rng)  # the draws of init_parameters(layers, seed=seed)
    running = [Running(np.zeros(k), np.ones(k)) for k in s.sizes[1:-1]] if mode != "none" else []
    history = _History(s.steps, s.sizes)
    history.record_state(0, params, running, s.test, s.eps)
    diverged_at = None
    for step, batch in enumerate(_batches(rng, s.data.inputs.shape[0], s.batch_size, s.steps)):
        inputs, labels = s.data.inputs[batch], s.data.labels[batch]
        try:
            result = _sgd_step(params, inputs, labels, s)
        except (_NonFinite, FloatRangeError):  # a diverging step, not a programming error
            diverged_at = step
            history.hold(step)
            break
        history.record_step(step, result, labels)
        running = [
            update_running(mean, var, x, momentum=momentum)
            for (mean, var), (_, x, _, _) in zip(running, result.cache, strict=False)
        ]
        params = result.params
        history.record_state(step + 1, params, running, s.test, s.eps)
    h = history
    return TrainRun(
        h.loss,
        h.accuracy,
        h.test_loss,
        h.test_accuracy,
        h.bias,
        h.weight_norm,
        params,
        tuple(running),
        diverged_at,
    )
