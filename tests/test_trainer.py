"""Tests of :mod:`bnref.trainer`: the data, the hand-written backward pass (against the complex
step and finite differences), determinism, and the qualitative behaviour of the three modes
that the book reports (bias drift, weight-norm growth, running-statistics lag)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bnref
from bnref.trainer import Parameters
from tests.conftest import assert_close

TINY = (2, 3, 4, 3)  # two hidden layers, 54 parameters


def flatten(params: Parameters) -> np.ndarray:
    return np.concatenate([arr.ravel() for group in params for arr in group])


def unflatten(vector: np.ndarray, like: Parameters) -> Parameters:
    groups, start = [], 0
    for group in like:
        arrays = []
        for arr in group:
            arrays.append(vector[start : start + arr.size].reshape(arr.shape))
            start += arr.size
        groups.append(tuple(arrays))
    assert start == vector.size
    return Parameters(*groups)


@pytest.fixture(scope="module")
def tiny() -> tuple[Parameters, np.ndarray, np.ndarray]:
    """A tiny network moved away from its initial point (γ ≠ 1, β ≠ 0, b ≠ 0), and a batch."""
    rng = np.random.default_rng(7)
    p = bnref.init_parameters(TINY, seed=3)
    p = unflatten(flatten(p) + 0.3 * rng.standard_normal(flatten(p).size), p)
    data = bnref.make_dataset(6, seed=5)
    return p, data.inputs, data.labels


def loss_of(
    params: Parameters, inputs: np.ndarray, labels: np.ndarray, mode: str
) -> Callable[[np.ndarray], Any]:
    return lambda v: bnref.network_loss(unflatten(v, params), inputs, labels, mode=mode)


# --------------------------------------------------------------------------------------------
# make_dataset and init_parameters
# --------------------------------------------------------------------------------------------


def test_make_dataset_docstring_example() -> None:
    data = bnref.make_dataset(6, seed=0)
    assert data.inputs.shape == (6, 2)
    np.testing.assert_array_equal(data.labels, [0, 1, 2, 0, 1, 2])


def test_make_dataset_is_seeded_and_inside_the_unit_disc() -> None:
    a, b, c = (bnref.make_dataset(512, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.allclose(a.inputs, c.inputs)
    assert a.labels.dtype == np.int64
    assert np.bincount(a.labels).tolist() == [171, 171, 170]
    assert np.max(np.hypot(*a.inputs.T)) <= 1.0


def test_make_dataset_spirals_follow_their_arm() -> None:
    """Without noise, each point's angle is 2πc/3 + 4r exactly (mod 2π)."""
    data = bnref.make_dataset(30, seed=2, noise=0.0)
    r = np.hypot(*data.inputs.T)
    angle = np.arctan2(data.inputs[:, 1], data.inputs[:, 0])
    want = 2 * np.pi * data.labels / 3 + 4 * r
    assert_close(np.cos(angle - want), 1.0, atol=1e-12)


def test_a_linear_classifier_cannot_separate_the_spirals() -> None:
    """Least squares on one-hot targets, a stand-in for any linear model, stays far from 1."""
    data = bnref.make_dataset(512, seed=0)
    features = np.hstack([data.inputs, np.ones((512, 1))])
    coef, *_ = np.linalg.lstsq(features, np.eye(3)[data.labels], rcond=None)
    accuracy = np.mean(np.argmax(features @ coef, axis=1) == data.labels)
    assert accuracy < 0.6


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"n": 2}, r"^n must be an integer >= 3 \(one example per class at least\); got 2$"),
        ({"n": True}, r"^n must be an integer >= 3"),
        ({"n": 10.0}, r"^n must be an integer >= 3 .*got 10\.0$"),
        ({"noise": -0.1}, r"^noise must be a finite real number >= 0; got -0\.1$"),
        ({"noise": float("nan")}, r"^noise must be a finite real number; got nan$"),
    ],
)
def test_make_dataset_rejects(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.make_dataset(**kwargs)


def test_init_parameters_docstring_example() -> None:
    p = bnref.init_parameters((2, 4, 3), seed=0)
    assert [w.shape for w in p.weights] == [(4, 2), (3, 4)]
    np.testing.assert_array_equal(p.gammas[0], np.ones(4))
    np.testing.assert_array_equal(p.betas[0], np.zeros(4))


def test_init_parameters_shapes_and_scale() -> None:
    p = bnref.init_parameters((2, 300, 200, 3), seed=1)
    assert [w.shape for w in p.weights] == [(300, 2), (200, 300), (3, 200)]
    assert [b.shape for b in p.biases] == [(300,), (200,), (3,)]
    assert [g.shape for g in p.gammas] == [(300,), (200,)]
    assert all(not b.any() for b in p.biases)
    assert_close(p.weights[1].var() * 300, 1.0, atol=0.02)  # variance 1/fan_in


@pytest.mark.parametrize("layers", [(2, 3), (2, 0, 3), (2, 3.5, 3), (2, True, 3), ()])
def test_init_parameters_rejects_bad_layers(layers: tuple[Any, ...]) -> None:
    pattern = (
        r"^layers must be a sequence of at least 3 positive integers \(inputs, one or more "
        r"hidden layers, classes\); got "
    )
    with pytest.raises(ValueError, match=pattern):
        bnref.init_parameters(layers)


# --------------------------------------------------------------------------------------------
# The backward pass, checked against numerical derivatives
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["exact", "naive", "none"])
def test_backward_pass_equals_the_complex_step(
    tiny: tuple[Parameters, np.ndarray, np.ndarray], mode: str
) -> None:
    """``network_loss(mode="naive")`` takes μ, σ² from the real part: a stop-gradient for the
    complex step, so its complex-step gradient is the naive gradient."""
    params, inputs, labels = tiny
    _check_against_complex_step(params, inputs, labels, mode)


@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(2, 8),
    mode=st.sampled_from(["exact", "naive", "none"]),
)
def test_backward_pass_equals_the_complex_step_anywhere(seed: int, m: int, mode: str) -> None:
    rng = np.random.default_rng(seed)
    params = bnref.init_parameters(TINY, seed=seed)
    vector = flatten(params)
    params = unflatten(vector + rng.uniform(-1.0, 1.0, vector.size), params)
    data = bnref.make_dataset(max(m, 3), seed=seed)
    _check_against_complex_step(params, data.inputs[:m], data.labels[:m], mode)


def _check_against_complex_step(
    params: Parameters, inputs: np.ndarray, labels: np.ndarray, mode: str
) -> None:
    loss, grads = bnref.loss_and_gradients(params, inputs, labels, mode=mode)
    numeric = bnref.complex_step_gradient(loss_of(params, inputs, labels, mode), flatten(params))
    assert_close(flatten(grads), numeric, rtol=1e-11, atol=1e-13, what=mode)
    assert loss == bnref.network_loss(params, inputs, labels, mode=mode)


def test_exact_backward_pass_equals_finite_differences(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, inputs, labels = tiny
    _, grads = bnref.loss_and_gradients(params, inputs, labels)
    numeric = bnref.finite_difference_gradient(
        lambda v: bnref.network_loss(unflatten(v, params), inputs, labels), flatten(params)
    )
    assert_close(flatten(grads), numeric, rtol=1e-6, atol=1e-8)


def test_naive_gradient_is_not_the_gradient(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    """Finite differences always see the statistics move: they agree with exact, not naive."""
    params, inputs, labels = tiny
    _, naive = bnref.loss_and_gradients(params, inputs, labels, mode="naive")
    _, exact = bnref.loss_and_gradients(params, inputs, labels, mode="exact")
    assert not np.allclose(flatten(naive), flatten(exact), rtol=1e-3)
    # Above the last BN layer nothing goes back through statistics: these agree exactly.
    np.testing.assert_array_equal(naive.gammas[-1], exact.gammas[-1])
    np.testing.assert_array_equal(naive.betas[-1], exact.betas[-1])
    np.testing.assert_array_equal(naive.weights[-1], exact.weights[-1])
    assert not np.allclose(naive.gammas[0], exact.gammas[0])  # below it, everything differs


def test_exact_hidden_bias_gradient_is_zero_and_naive_is_not(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    """The paper's point in a network: Σ_i dx_i = 0, so ∂ℓ/∂b = 0 before BN (exact)."""
    params, inputs, labels = tiny
    _, exact = bnref.loss_and_gradients(params, inputs, labels, mode="exact")
    _, naive = bnref.loss_and_gradients(params, inputs, labels, mode="naive")
    for layer in range(2):
        assert np.abs(exact.biases[layer]).max() < 1e-15
        assert np.abs(naive.biases[layer]).max() > 1e-3
    assert np.abs(exact.biases[-1]).max() > 1e-3  # the output layer's bias is not normalized


def test_naive_bias_gradient_is_the_beta_gradient_times_gamma_over_s(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    """With the statistics constant, dx = (γ/s)·dy, so ∂ℓ/∂b = (γ/s)·∂ℓ/∂β in every unit."""
    params, inputs, labels = tiny
    _, naive = bnref.loss_and_gradients(params, inputs, labels, mode="naive")
    x = inputs @ params.weights[0].T + params.biases[0]
    s = np.sqrt(x.var(axis=0) + 1e-5)
    assert_close(naive.biases[0], params.gammas[0] / s * naive.betas[0], rtol=1e-12, atol=1e-16)


def test_none_mode_leaves_gamma_and_beta_out(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, inputs, labels = tiny
    _, grads = bnref.loss_and_gradients(params, inputs, labels, mode="none")
    assert all(not g.any() for g in grads.gammas + grads.betas)
    moved = params._replace(gammas=tuple(2 * g for g in params.gammas))
    assert bnref.network_loss(moved, inputs, labels, mode="none") == bnref.network_loss(
        params, inputs, labels, mode="none"
    )
    single = bnref.loss_and_gradients(params, inputs[:1], labels[:1], mode="none")  # m = 1 ok
    assert np.isfinite(single[0])


def test_exact_and_naive_have_the_same_forward_pass(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, inputs, labels = tiny
    exact = bnref.network_loss(params, inputs, labels, mode="exact")
    assert exact == bnref.network_loss(params, inputs, labels, mode="naive")
    assert exact != bnref.network_loss(params, inputs, labels, mode="none")
    assert isinstance(bnref.loss_and_gradients(params, inputs, labels)[0], float)


def test_network_loss_docstring_example() -> None:
    p = bnref.init_parameters((2, 4, 3), seed=0)
    data = bnref.make_dataset(6, seed=0)
    loss = bnref.network_loss(p, data.inputs, data.labels)
    assert np.isclose(loss, bnref.network_loss(p, data.inputs, data.labels, mode="naive"))


def test_loss_and_gradients_docstring_example() -> None:
    p = bnref.init_parameters((2, 4, 3), seed=0)
    data = bnref.make_dataset(6, seed=0)
    _, grads = bnref.loss_and_gradients(p, data.inputs, data.labels)
    assert [g.shape for g in grads.weights] == [(4, 2), (3, 4)]


def test_loss_and_gradients_leaves_its_inputs_alone(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, inputs, labels = tiny
    before = (flatten(params), inputs.copy(), labels.copy())
    _, grads = bnref.loss_and_gradients(params, inputs, labels, mode="naive")
    np.testing.assert_array_equal(flatten(params), before[0])
    np.testing.assert_array_equal(inputs, before[1])
    np.testing.assert_array_equal(labels, before[2])
    for g in (arr for group in grads for arr in group):
        assert not any(np.shares_memory(g, p) for group in params for p in group)


def _bad(params: Parameters, name: str, index: int, value: np.ndarray) -> Parameters:
    group = list(getattr(params, name))
    group[index] = value
    return params._replace(**{name: tuple(group)})


LOSS_ERRORS = [
    ({"mode": "bogus"}, r"^mode must be one of \['exact', 'naive', 'none'\]; got 'bogus'$"),
    ({"eps": -1.0}, r"^eps must be a finite real number >= 0; got -1\.0$"),
    (
        {"labels": [0, 1, 3, 0, 1, 2]},
        r"^data\.labels must be integers in \[0, 3\) of shape "
        r"\(6,\); got shape \(6,\) and dtype int64$",
    ),
    ({"labels": [0.0, 1, 2, 0, 1, 2]}, r"^data\.labels must be integers in \[0, 3\)"),
    (
        {"labels": [0, 1]},
        r"^data\.labels must be integers in \[0, 3\) of shape \(6,\); got shape "
        r"\(2,\)",
    ),
    (
        {"inputs": np.ones((6, 3))},
        r"^data\.inputs must be real with layers\[0\] = 2 columns; got "
        r"shape \(6, 3\) and dtype float64$",
    ),
    ({"inputs": np.full((6, 2), np.nan)}, r"^data\.inputs has 12 non-finite value"),
    ({"inputs": np.ones((1, 2)), "labels": [0]}, r"^inputs must have at least m = 2 examples"),
]


@pytest.mark.parametrize(("kwargs", "pattern"), LOSS_ERRORS)
@pytest.mark.parametrize("fn", [bnref.network_loss, bnref.loss_and_gradients])
def test_loss_functions_reject(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
    fn: Callable[..., Any],
    kwargs: dict[str, Any],
    pattern: str,
) -> None:
    params, inputs, labels = tiny
    args = {"params": params, "inputs": inputs, "labels": labels} | kwargs
    with pytest.raises(ValueError, match=pattern):
        fn(**args)


@pytest.mark.parametrize(
    ("name", "index", "value"),
    [
        ("weights", 1, np.ones((4, 4))),
        ("biases", 0, np.ones(4)),
        ("gammas", 1, np.ones(3)),
        ("betas", 0, np.ones((3, 1))),
    ],
)
def test_params_structure_is_checked(
    tiny: tuple[Parameters, np.ndarray, np.ndarray], name: str, index: int, value: np.ndarray
) -> None:
    params, inputs, labels = tiny
    pattern = (
        r"^params must hold, for L >= 2 layers of sizes n_0\.\.n_L, weights of shapes "
        r"\(n_l, n_\(l-1\)\), biases \(n_l,\), and gammas and betas \(n_l,\) for the L - 1 "
        r"hidden layers; got shapes \{'weights': "
    )
    with pytest.raises(ValueError, match=pattern):
        bnref.network_loss(_bad(params, name, index, value), inputs, labels)


def test_params_must_be_finite_and_real_for_gradients(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, inputs, labels = tiny
    with pytest.raises(ValueError, match=r"^params\.gammas has 1 non-finite value"):
        bnref.network_loss(_bad(params, "gammas", 0, np.array([1.0, np.inf, 1.0])), inputs, labels)
    complex_params = unflatten(flatten(params).astype(complex), params)
    pattern = r"^params must be real for loss_and_gradients; use network_loss instead$"
    with pytest.raises(ValueError, match=pattern):
        bnref.loss_and_gradients(complex_params, inputs, labels)


# --------------------------------------------------------------------------------------------
# predict and network_population
# --------------------------------------------------------------------------------------------


def test_predict_docstring_example() -> None:
    p = bnref.init_parameters((2, 4, 3), seed=0)
    stats = [bnref.Running(np.zeros(4), np.ones(4))]
    assert bnref.predict(p, stats, [[0.5, -0.5]]).shape == (1, 3)


def test_predict_is_the_inference_network(tiny: tuple[Parameters, np.ndarray, np.ndarray]) -> None:
    params, inputs, _ = tiny
    rng = np.random.default_rng(1)
    stats = [bnref.Running(rng.standard_normal(n), rng.uniform(0.5, 2, n)) for n in (3, 4)]
    a = inputs
    for layer in range(2):
        x = a @ params.weights[layer].T + params.biases[layer]
        mean, var = stats[layer]
        a = np.tanh(params.gammas[layer] * (x - mean) / np.sqrt(var + 1e-5) + params.betas[layer])
    want = a @ params.weights[2].T + params.biases[2]
    logits = bnref.predict(params, stats, inputs)
    assert_close(logits, want, rtol=1e-13, atol=1e-14)
    rows = np.vstack([bnref.predict(params, stats, inputs[i : i + 1]) for i in range(6)])
    assert_close(rows, logits, rtol=1e-14, atol=1e-15)  # each example on its own


def test_predict_without_statistics_is_the_plain_network(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, inputs, labels = tiny
    logits = bnref.predict(params, [], inputs)
    shifted = logits - logits.max(axis=1, keepdims=True)
    loss = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(6), labels])
    assert_close(loss, bnref.network_loss(params, inputs, labels, mode="none"), rtol=1e-13)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"stats": [bnref.Running(np.zeros(3), np.ones(3))]},
            r"^stats must hold 0 \(no batch "
            r"normalization\) or 2 \(one per hidden layer\) pairs \(mean, var\); got 1$",
        ),
        (
            {"inputs": np.ones((2, 5))},
            r"^inputs must have 2 columns \(the network's inputs\); "
            r"got shape \(2, 5\)$",
        ),
        ({"inputs": np.ones((0, 2))}, r"^inputs must have at least m = 1 examples"),
        ({"eps": float("nan")}, r"^eps must be a finite real number >= 0; got nan$"),
    ],
)
def test_predict_rejects(
    tiny: tuple[Parameters, np.ndarray, np.ndarray], kwargs: dict[str, Any], pattern: str
) -> None:
    params, inputs, _ = tiny
    args = {"params": params, "stats": [], "inputs": inputs} | kwargs
    with pytest.raises(ValueError, match=pattern):
        bnref.predict(**args)


def test_network_population_docstring_example() -> None:
    p = bnref.init_parameters((2, 4, 3), seed=0)
    pop = bnref.network_population(p, bnref.make_dataset(64).inputs, batch_size=16)
    assert len(pop) == 1
    assert pop[0].mean.shape == pop[0].var.shape == (4,)


def test_network_population_is_algorithm_2(tiny: tuple[Parameters, np.ndarray, np.ndarray]) -> None:
    """Layer 1 by hand: split into batches (a remainder dropped), then E[μ], m/(m-1)·E[σ²]."""
    params, _, _ = tiny
    inputs = bnref.make_dataset(50, seed=9).inputs
    pop = bnref.network_population(params, inputs, batch_size=8)  # 6 batches, 2 dropped
    x = (inputs[:48] @ params.weights[0].T + params.biases[0]).reshape(6, 8, 3)
    assert_close(pop[0].mean, x.mean(axis=(0, 1)), rtol=1e-13, atol=1e-15)
    assert_close(pop[0].var, np.var(x, axis=1, ddof=1).mean(axis=0), rtol=1e-13)
    # layer 2 sees layer 1 normalized with each batch's own statistics (training mode)
    a1 = np.tanh(np.stack([bnref.batch_norm(b, params.gammas[0], params.betas[0]) for b in x]))
    x2 = a1 @ params.weights[1].T + params.biases[1]
    assert_close(pop[1].var, np.var(x2, axis=1, ddof=1).mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 51, 2.0, True])
def test_network_population_rejects_bad_batch_sizes(
    tiny: tuple[Parameters, np.ndarray, np.ndarray], batch_size: Any
) -> None:
    params, _, _ = tiny
    inputs = bnref.make_dataset(50, seed=9).inputs
    pattern = r"^batch_size must be an integer between 2 and the number of examples, 50; got "
    with pytest.raises(ValueError, match=pattern):
        bnref.network_population(params, inputs, batch_size=batch_size)


def test_network_population_rejects_bad_inputs(
    tiny: tuple[Parameters, np.ndarray, np.ndarray],
) -> None:
    params, _, _ = tiny
    pattern = r"^inputs must be real with 2 columns \(the network's inputs\); got shape \(8, 3\)"
    with pytest.raises(ValueError, match=pattern):
        bnref.network_population(params, np.ones((8, 3)))


# --------------------------------------------------------------------------------------------
# train: shapes, determinism, divergence, errors
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs() -> dict[str, bnref.TrainRun]:
    """The default runs (seed 0, η = 0.5, 400 steps, m = 64) of every mode, keep_bias=True,
    and the naive run without the bias."""
    out = {mode: bnref.train(mode, keep_bias=True) for mode in ("exact", "naive", "none")}
    out["naive-nobias"] = bnref.train("naive")
    return out


def test_train_docstring_example() -> None:
    run = bnref.train("exact", steps=3)
    assert (run.loss.shape, run.bias.shape, run.weight_norm.shape) == ((3,), (4, 32), (4, 3))
    assert run.diverged_at is None


def test_train_shapes(runs: dict[str, bnref.TrainRun]) -> None:
    for name, run in runs.items():
        assert run.loss.shape == run.accuracy.shape == (400,), name
        assert run.test_loss.shape == run.test_accuracy.shape == (401,), name
        assert run.bias.shape == (401, 32), name
        assert run.weight_norm.shape == (401, 3), name
        assert [w.shape for w in run.params.weights] == [(32, 2), (32, 32), (3, 32)]
        assert len(run.running) == (0 if name == "none" else 2)
        assert run.diverged_at is None
        assert np.isfinite(run.loss).all()


def test_train_is_deterministic(runs: dict[str, bnref.TrainRun]) -> None:
    again = bnref.train("naive", keep_bias=True)
    for old, new in zip(runs["naive"], again, strict=True):
        if isinstance(old, np.ndarray):
            np.testing.assert_array_equal(old, new)  # bit-identical, nan-aware
    np.testing.assert_array_equal(flatten(runs["naive"].params), flatten(again.params))
    other = bnref.train("naive", keep_bias=True, seed=1, steps=5)
    assert not np.array_equal(other.loss, runs["naive"].loss[:5])


def test_every_mode_starts_from_init_parameters_with_the_same_batches(
    runs: dict[str, bnref.TrainRun],
) -> None:
    start = bnref.init_parameters((2, 32, 32, 3), seed=0)
    norms = [np.linalg.norm(w) for w in start.weights]
    for run in runs.values():
        np.testing.assert_array_equal(run.weight_norm[0], norms)
    # same start, same first batch, same forward pass: the first loss agrees in the BN modes
    assert runs["exact"].loss[0] == runs["naive"].loss[0] == runs["naive-nobias"].loss[0]


def test_train_uses_the_given_data_and_leaves_it_alone() -> None:
    data, test = bnref.make_dataset(60, seed=4), bnref.make_dataset(9, seed=5)
    before = (data.inputs.copy(), data.labels.copy())
    run = bnref.train("exact", steps=4, batch_size=20, data=data, test=test, layers=(2, 5, 3))
    np.testing.assert_array_equal(data.inputs, before[0])
    np.testing.assert_array_equal(data.labels, before[1])
    assert set(run.test_accuracy * 9) <= set(range(10))  # accuracies on 9 test examples


def test_divergence_is_recorded_not_raised() -> None:
    """η = 1e300: step 0 is finite, its update makes parameters of order 1e300, and step 1
    overflows. The run records it, keeps the last finite parameters and emits no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = bnref.train("naive", keep_bias=True, lr=1e300, steps=6)
    assert run.diverged_at == 1
    assert np.isfinite(run.loss[0])
    assert np.isnan(run.loss[1:]).all()
    assert np.isnan(run.test_accuracy[2:]).all()
    np.testing.assert_array_equal(run.bias[2:], np.broadcast_to(run.bias[1], (5, 32)))
    assert all(np.isfinite(arr).all() for group in run.params for arr in group)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"mode": "batch"}, r"^mode must be one of \['exact', 'naive', 'none'\]; got 'batch'$"),
        ({"layers": (2, 32)}, r"^layers must be a sequence of at least 3 positive integers"),
        ({"lr": 0.0}, r"^lr must be a finite real number > 0; got 0\.0$"),
        ({"lr": float("inf")}, r"^lr must be a finite real number; got inf$"),
        ({"steps": -1}, r"^steps must be a non-negative integer; got -1$"),
        (
            {"batch_size": 1},
            r"^batch_size must be an integer between 2 and the number of "
            r"examples, 512; got 1$",
        ),
        ({"batch_size": 513}, r"^batch_size must be an integer between 2 and the number"),
        ({"momentum": 0.0}, r"^momentum must satisfy 0 < momentum <= 1; got 0\.0$"),
        ({"eps": -1e-5}, r"^eps must be a finite real number >= 0; got -1e-05$"),
        ({"keep_bias": 1}, r"^keep_bias must be True or False; got 1$"),
        (
            {"layers": (3, 8, 3)},
            r"^data\.inputs must be real with layers\[0\] = 3 columns; got "
            r"shape \(512, 2\)",
        ),
        ({"layers": (2, 8, 2)}, r"^data\.labels must be integers in \[0, 2\) of shape \(512,\)"),
        (
            {"test": bnref.Dataset(np.ones((4, 2)), np.array([0, 1, 2, 5]))},
            r"^test\.labels must be integers in \[0, 3\)",
        ),
    ],
)
def test_train_rejects(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.train(**({"steps": 2} | kwargs))


def test_zero_steps_records_the_start() -> None:
    run = bnref.train("exact", steps=0)
    assert run.loss.shape == (0,)
    assert run.bias.shape == (1, 32)
    assert np.isfinite(run.test_loss[0])


# --------------------------------------------------------------------------------------------
# What the book reports about the three modes (seed 0, the defaults, keep_bias=True)
# --------------------------------------------------------------------------------------------


def test_all_three_modes_fit_the_training_batches(runs: dict[str, bnref.TrainRun]) -> None:
    for name, run in runs.items():
        assert run.loss[:20].mean() > 0.6, name  # starts above log 3 ≈ 1.1, at 1.359
        assert run.loss[-50:].mean() < 0.3, name
        assert run.accuracy[-50:].mean() > 0.9, name
    # naive training is not worse *in training mode*: its drift is invisible there
    assert abs(runs["naive"].loss[-50:].mean() - runs["exact"].loss[-50:].mean()) < 0.05


def test_exact_mode_never_moves_the_first_layer_bias(runs: dict[str, bnref.TrainRun]) -> None:
    """∂ℓ/∂b = Σ_i dx_i = 0 up to rounding: after 400 steps |b| is still at rounding level."""
    assert np.abs(runs["exact"].bias).max() < 1e-13


def test_naive_mode_drifts_the_first_layer_bias(runs: dict[str, bnref.TrainRun]) -> None:
    drift = np.linalg.norm(runs["naive"].bias, axis=1)
    assert drift[-1] > 5.0
    assert drift[400] > drift[200] > drift[100] > drift[50] > 0
    assert drift[-1] > 5 * np.linalg.norm(runs["none"].bias[-1])  # a trained bias without BN
    assert not runs["naive-nobias"].bias.any()  # keep_bias=False: b stays exactly 0


def test_exact_mode_only_grows_the_normalized_weights(runs: dict[str, bnref.TrainRun]) -> None:
    """The exact gradient is orthogonal to each unit's weight row (scale invariance), so
    |W|² grows by η²|∇W|² every step (Pythagoras): never a decrease for W^(1), W^(2). The
    naive step has a radial part and shrinks them on many steps."""
    exact = np.diff(runs["exact"].weight_norm ** 2, axis=0)
    naive = np.diff(runs["naive"].weight_norm ** 2, axis=0)
    assert (exact[:, :2] > 0).all()
    assert (exact[:, 2] < 0).any()  # the output layer is not normalized: no such law
    assert (naive[:, :2] < 0).mean() > 0.1


def test_naive_mode_inflates_the_first_layer_weights(runs: dict[str, bnref.TrainRun]) -> None:
    w1 = {name: run.weight_norm[-1, 0] for name, run in runs.items()}
    assert w1["naive"] > 1.5 * w1["exact"]
    assert w1["naive-nobias"] > 1.5 * w1["exact"]
    assert runs["exact"].weight_norm[-1, 0] < 1.3 * runs["exact"].weight_norm[0, 0]


def test_naive_bias_drift_breaks_inference_with_running_statistics(
    runs: dict[str, bnref.TrainRun],
) -> None:
    """The running mean lags behind a b that keeps moving, so inference is off-centre; the
    network itself is fine, as Algorithm 2's population statistics of the final parameters
    show."""
    test = bnref.make_dataset(256, seed=1)
    train_inputs = bnref.make_dataset(512, seed=0).inputs

    def accuracy(run: bnref.TrainRun, stats: Any) -> float:
        logits = bnref.predict(run.params, stats, test.inputs)
        return float(np.mean(np.argmax(logits, axis=1) == test.labels))

    last = {name: run.test_accuracy[-100:].mean() for name, run in runs.items()}
    assert last["exact"] > 0.9
    assert last["none"] > 0.9
    assert last["naive"] < last["exact"] - 0.1
    naive = runs["naive"]
    assert accuracy(naive, naive.running) == naive.test_accuracy[-1]
    population = bnref.network_population(naive.params, train_inputs)
    assert accuracy(naive, population) > 0.9
    assert accuracy(naive, population) > last["naive"] + 0.2
    # and the running-statistics accuracy jumps from step to step, unlike the other modes
    jitter = {name: np.abs(np.diff(run.test_accuracy[-100:])).mean() for name, run in runs.items()}
    assert jitter["naive"] > 3 * max(jitter["exact"], jitter["none"])
    # the lag, in units of the population standard deviation of each unit of layer 1
    lag = np.abs(naive.running[0].mean - population[0].mean) / np.sqrt(population[0].var)
    exact = runs["exact"]
    exact_pop = bnref.network_population(exact.params, train_inputs)
    exact_lag = np.abs(exact.running[0].mean - exact_pop[0].mean) / np.sqrt(exact_pop[0].var)
    assert np.median(lag) > 10 * np.median(exact_lag)
