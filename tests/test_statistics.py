"""Tests of :mod:`bnref.statistics`: population and running statistics (Section 3.1), inference
and the affine fold, the exact Bessel enumeration, and convolutional batch normalization
(Section 3.2), each against a direct formula, a hand-written loop or a numerical derivative."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bnref
from tests.conftest import EPS, assert_close

SEED = 20150211


@pytest.fixture
def batches() -> np.ndarray:
    """Six mini-batches of m = 4 examples by d = 3 units, with distinct unit offsets."""
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((6, 4, 3)) * [1.0, 3.0, 0.5] + [0.0, -2.0, 5.0]


@pytest.fixture
def maps() -> np.ndarray:
    """A convolutional batch: m = 3 examples, C = 4 channels of 5 × 2 locations."""
    rng = np.random.default_rng(SEED + 1)
    return rng.standard_normal((3, 4, 5, 2)) * [[[1.0]], [[2.0]], [[0.3]], [[5.0]]] + 1.5


def _frozen(*arrays: np.ndarray) -> list[np.ndarray]:
    return [a.copy() for a in arrays]


def _assert_unchanged(before: list[np.ndarray], after: tuple[np.ndarray, ...]) -> None:
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)


def _assert_no_alias(outputs: tuple[np.ndarray, ...], inputs: tuple[np.ndarray, ...]) -> None:
    for out in outputs:
        for arr in inputs:
            assert not np.shares_memory(out, arr)


# --------------------------------------------------------------------------------------------
# population_statistics
# --------------------------------------------------------------------------------------------


def test_population_statistics_docstring_example() -> None:
    pop = bnref.population_statistics([[[0.0], [2.0]], [[4.0], [8.0]]])
    np.testing.assert_array_equal(pop.mean, [3.5])
    np.testing.assert_array_equal(pop.var, [5.0])


def test_population_statistics_against_the_paper_formula(batches: np.ndarray) -> None:
    m = batches.shape[1]
    mu_b = np.array([b.mean(axis=0) for b in batches])
    var_b = np.array([np.var(b, axis=0) for b in batches])  # biased σ²_ℬ
    pop = bnref.population_statistics(batches)
    assert_close(pop.mean, mu_b.mean(axis=0), rtol=1e-14, atol=1e-15)
    assert_close(pop.var, m / (m - 1) * var_b.mean(axis=0), rtol=1e-13)


def test_population_statistics_of_one_batch_is_the_unbiased_variance(batches: np.ndarray) -> None:
    pop = bnref.population_statistics(batches[:1])
    assert_close(pop.var, np.var(batches[0], axis=0, ddof=1), rtol=1e-13)


def test_population_statistics_leaves_its_input_alone(batches: np.ndarray) -> None:
    before = _frozen(batches)
    pop = bnref.population_statistics(batches)
    _assert_unchanged(before, (batches,))
    _assert_no_alias(tuple(pop), (batches,))
    assert pop.mean.dtype == pop.var.dtype == np.float64


@given(
    n_batches=st.integers(1, 5), m=st.integers(2, 6), d=st.integers(1, 3), seed=st.integers(0, 999)
)
def test_population_variance_is_the_mean_of_corrected_batch_variances(
    n_batches: int, m: int, d: int, seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal((n_batches, m, d))
    pop = bnref.population_statistics(x)
    unbiased = np.var(x, axis=1, ddof=1)  # m/(m-1)·σ²_ℬ of each batch
    assert_close(pop.var, unbiased.mean(axis=0), rtol=1e-12, atol=1e-15)
    assert_close(pop.mean, x.mean(axis=(0, 1)), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (
            np.ones((4, 3)),
            r"^batches must be a 3-D array of shape \(n_batches, m, d\), .*got an "
            r"array of shape \(4, 3\)$",
        ),
        (np.ones((0, 4, 3)), r"^batches must hold at least one mini-batch; got n_batches = 0"),
        (
            np.ones((2, 1, 3)),
            r"^batches must have at least m = 2 examples per mini-batch for the "
            r"m/\(m-1\) correction; got m = 1 \(shape \(2, 1, 3\)\)$",
        ),
        (
            np.full((2, 2, 3), np.nan),
            r"^batches has 12 non-finite value\(s\) \(nan or inf\), "
            r"the first at index \[0, 0, 0\]; expected finite values$",
        ),
        (np.full((2, 2, 1), "a"), r"^batches must be a real or complex numeric array"),
    ],
    ids=["2d", "no-batch", "m=1", "nan", "strings"],
)
def test_population_statistics_rejects(value: np.ndarray, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.population_statistics(value)


# --------------------------------------------------------------------------------------------
# update_running and running_statistics: PyTorch's convention
# --------------------------------------------------------------------------------------------


def test_update_running_docstring_example() -> None:
    run = bnref.update_running([0.0], [1.0], [[1.0], [3.0]], momentum=0.5)
    np.testing.assert_array_equal(run.mean, [1.0])
    np.testing.assert_array_equal(run.var, [1.5])


def test_update_running_weighs_the_new_batch_by_momentum_and_stores_the_unbiased_variance(
    batches: np.ndarray,
) -> None:
    """new = (1 - momentum)·old + momentum·batch (PyTorch), with var_batch = np.var(ddof=1)."""
    x, old_mean, old_var = batches[0], np.array([1.0, 2.0, 3.0]), np.array([0.5, 4.0, 1.0])
    run = bnref.update_running(old_mean, old_var, x, momentum=0.25)
    assert_close(run.mean, 0.75 * old_mean + 0.25 * x.mean(axis=0), rtol=1e-14)
    assert_close(run.var, 0.75 * old_var + 0.25 * np.var(x, axis=0, ddof=1), rtol=1e-14)
    # not Keras's convention (momentum on the old value), not the biased variance
    assert not np.allclose(run.mean, 0.25 * old_mean + 0.75 * x.mean(axis=0))
    assert not np.allclose(run.var, 0.75 * old_var + 0.25 * np.var(x, axis=0))


def test_update_running_with_momentum_one_keeps_only_the_batch(batches: np.ndarray) -> None:
    run = bnref.update_running(np.zeros(3), np.ones(3), batches[2], momentum=1.0)
    assert_close(run.mean, batches[2].mean(axis=0), rtol=1e-14, atol=1e-15)
    assert_close(run.var, np.var(batches[2], axis=0, ddof=1), rtol=1e-14)


def test_update_running_returns_fresh_arrays(batches: np.ndarray) -> None:
    mean, var, x = np.zeros(3), np.ones(3), batches[0]
    before = _frozen(mean, var, x)
    run = bnref.update_running(mean, var, x, momentum=1.0)
    _assert_unchanged(before, (mean, var, x))
    _assert_no_alias(tuple(run), (mean, var, x))


def test_running_statistics_docstring_example() -> None:
    run = bnref.running_statistics([[[1.0], [3.0]], [[3.0], [5.0]]], momentum=0.5)
    np.testing.assert_array_equal(run.mean, [2.5])
    np.testing.assert_array_equal(run.var, [1.75])


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
def test_running_statistics_is_a_hand_written_loop_from_zero_and_one(
    batches: np.ndarray, momentum: float
) -> None:
    mean, var = np.zeros(3), np.ones(3)  # PyTorch's initial running_mean and running_var
    for x in batches:
        mean = (1 - momentum) * mean + momentum * x.mean(axis=0)
        var = (1 - momentum) * var + momentum * x.var(axis=0, ddof=1)
    run = bnref.running_statistics(batches, momentum=momentum)
    assert_close(run.mean, mean, rtol=1e-13, atol=1e-15)
    assert_close(run.var, var, rtol=1e-13)


def test_running_statistics_default_momentum_is_0_1(batches: np.ndarray) -> None:
    run = bnref.running_statistics(batches[:1])
    assert_close(run.mean, 0.1 * batches[0].mean(axis=0), rtol=1e-14)
    assert_close(run.var, 0.9 + 0.1 * batches[0].var(axis=0, ddof=1), rtol=1e-14)


def test_running_statistics_is_an_exponentially_weighted_average(batches: np.ndarray) -> None:
    """Closed form: (1-α)^n · init + Σ_j α (1-α)^(n-1-j) · stat_j; the init still counts."""
    alpha, n = 0.3, batches.shape[0]
    weights = alpha * (1 - alpha) ** np.arange(n - 1, -1, -1)
    mean = weights @ batches.mean(axis=1)
    var = (1 - alpha) ** n + weights @ batches.var(axis=1, ddof=1)
    run = bnref.running_statistics(batches, momentum=alpha)
    assert_close(run.mean, mean, rtol=1e-13, atol=1e-15)
    assert_close(run.var, var, rtol=1e-13)


def test_running_statistics_approaches_the_population_statistics() -> None:
    """Many iid batches: the running and the population estimates agree to sampling error."""
    x = np.random.default_rng(SEED).normal(3.0, 2.0, (400, 32, 2))
    run = bnref.running_statistics(x, momentum=0.01)
    pop = bnref.population_statistics(x)
    assert_close(pop.mean, 3.0, atol=0.05)
    assert_close(pop.var, 4.0, atol=0.1)
    assert_close(run.mean, pop.mean, atol=0.1)
    assert_close(run.var, pop.var, atol=0.4)


@pytest.mark.parametrize("momentum", [0.0, -0.1, 1.5, float("nan"), True, "0.1"])
def test_momentum_must_be_in_zero_one(batches: np.ndarray, momentum: Any) -> None:
    pattern = "momentum must"
    with pytest.raises(ValueError, match=pattern):
        bnref.update_running(np.zeros(3), np.ones(3), batches[0], momentum=momentum)
    with pytest.raises(ValueError, match=pattern):
        bnref.running_statistics(batches, momentum=momentum)


def test_momentum_message_names_the_convention(batches: np.ndarray) -> None:
    pattern = (
        r"^momentum must satisfy 0 < momentum <= 1 \(the weight of the new batch statistic, "
        r"PyTorch's convention\); got 1\.5$"
    )
    with pytest.raises(ValueError, match=pattern):
        bnref.update_running(np.zeros(3), np.ones(3), batches[0], momentum=1.5)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"running_var": [1.0, -1.0, 1.0]},
            r"^running_var must be >= 0 in every unit; got "
            r"negative values in unit\(s\) k = \[1\]$",
        ),
        (
            {"running_mean": np.zeros((3, 1))},
            r"^running_mean must have shape \(d,\) = \(3,\), "
            r"one value per unit; got shape \(3, 1\)$",
        ),
        ({"running_var": [1.0, np.inf, 1.0]}, r"^running_var has 1 non-finite value"),
        ({"x": np.ones((1, 3))}, r"^x must have at least m = 2 examples"),
    ],
    ids=["negative-var", "mean-shape", "inf-var", "m=1"],
)
def test_update_running_rejects(batches: np.ndarray, kwargs: dict[str, Any], pattern: str) -> None:
    args = {"running_mean": np.zeros(3), "running_var": np.ones(3), "x": batches[0]} | kwargs
    with pytest.raises(ValueError, match=pattern):
        bnref.update_running(**args)


# --------------------------------------------------------------------------------------------
# batch_norm_inference and fold_affine
# --------------------------------------------------------------------------------------------


def _inference_problem(seed: int = SEED, m: int = 7, d: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((m, d)) * 2.0 + 1.0,
        "gamma": rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d),
        "beta": rng.standard_normal(d),
        "mean": rng.standard_normal(d),
        "var": rng.uniform(0.1, 3.0, d),
    }


def test_batch_norm_inference_docstring_example() -> None:
    y = bnref.batch_norm_inference([[1.0], [7.0]], [2.0], [1.0], mean=[3.0], var=[4.0], eps=0.0)
    np.testing.assert_array_equal(y, [[-1.0], [5.0]])


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_batch_norm_inference_is_the_formula(eps: float) -> None:
    p = _inference_problem()
    y = bnref.batch_norm_inference(**p, eps=eps)
    want = p["gamma"] * (p["x"] - p["mean"]) / np.sqrt(p["var"] + eps) + p["beta"]
    assert_close(y, want, rtol=1e-14, atol=1e-14)


def test_batch_norm_inference_default_eps_is_1e_minus_5() -> None:
    p = _inference_problem()
    assert_close(bnref.batch_norm_inference(**p), bnref.batch_norm_inference(**p, eps=1e-5))


def test_batch_norm_inference_treats_each_example_alone() -> None:
    """Fixed statistics: a row's output does not depend on its batch mates, and m = 1 works."""
    p = _inference_problem()
    whole = bnref.batch_norm_inference(**p)
    rows = [bnref.batch_norm_inference(**(p | {"x": p["x"][i : i + 1]})) for i in range(7)]
    np.testing.assert_array_equal(np.vstack(rows), whole)


def test_batch_norm_inference_with_the_batch_statistics_is_training_mode() -> None:
    p = _inference_problem()
    x = p["x"]
    y = bnref.batch_norm_inference(x, p["gamma"], p["beta"], x.mean(axis=0), x.var(axis=0))
    assert_close(y, bnref.batch_norm(x, p["gamma"], p["beta"]), rtol=1e-13, atol=1e-13)


def test_batch_norm_inference_contract() -> None:
    p = _inference_problem()
    before = _frozen(*p.values())
    y = bnref.batch_norm_inference(**p)
    _assert_unchanged(before, tuple(p.values()))
    _assert_no_alias((y,), tuple(p.values()))
    assert y.dtype == np.float64
    ints = bnref.batch_norm_inference([[1, 2]], [1, 1], [0, 0], [0, 0], [1, 1], eps=0.0)
    assert ints.dtype == np.float64


def test_batch_norm_inference_is_complex_analytic() -> None:
    """The complex step through x gives γ/sqrt(var + eps) for every example."""
    p = _inference_problem()
    y = bnref.batch_norm_inference(p["x"] + 1e-20j, p["gamma"], p["beta"], p["mean"], p["var"])
    assert y.dtype == np.complex128
    slope = np.broadcast_to(p["gamma"] / np.sqrt(p["var"] + 1e-5), y.shape)
    assert_close(y.imag / 1e-20, slope, rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"var": [1.0, -0.5, 1.0]},
            r"^var must be >= 0 in every unit; got negative values in "
            r"unit\(s\) k = \[1\]$",
        ),
        (
            {"var": [1.0, 0.0, 0.0], "eps": 0.0},
            r"^var is 0 in unit\(s\) k = \[1, 2\] and eps = 0, "
            r"so the normalization divides by zero there; expected eps > 0 or a positive var$",
        ),
        (
            {"mean": np.zeros(1)},
            r"^mean must have shape \(d,\) = \(3,\), one value per unit; "
            r"got shape \(1,\)$",
        ),
        ({"gamma": 1.0}, r"^gamma must have shape \(d,\) = \(3,\)"),
        ({"beta": [0.0, np.nan, 0.0]}, r"^beta has 1 non-finite value"),
        (
            {"x": np.ones((0, 3))},
            r"^x must have at least m = 1 example \(row\); got shape \(0, 3\)$",
        ),
        ({"x": np.ones(3)}, r"^x must be a 2-D array of shape \(m, d\)"),
        (
            {"x": [[1.0, np.inf, 0.0]]},
            r"^x has 1 non-finite value\(s\) \(nan or inf\), the first "
            r"at index \[0, 1\]; expected finite values$",
        ),
        ({"eps": -1.0}, r"^eps must be a finite real number >= 0; got -1\.0$"),
    ],
    ids=[
        "negative-var",
        "zero-var-eps0",
        "mean-shape",
        "gamma-scalar",
        "beta-nan",
        "m=0",
        "1d",
        "x-inf",
        "eps",
    ],
)
def test_batch_norm_inference_rejects(kwargs: dict[str, Any], pattern: str) -> None:
    args = _inference_problem() | kwargs
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_inference(**args)


def test_batch_norm_inference_allows_zero_variance_with_eps() -> None:
    y = bnref.batch_norm_inference([[2.0]], [1.0], [0.0], [1.0], [0.0], eps=0.25)
    np.testing.assert_array_equal(y, [[2.0]])


def test_fold_affine_docstring_example() -> None:
    fold = bnref.fold_affine([2.0], [1.0], mean=[3.0], var=[4.0], eps=0.0)
    np.testing.assert_array_equal(fold.scale, [1.0])
    np.testing.assert_array_equal(fold.shift, [-2.0])


@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 9),
    d=st.integers(1, 4),
    eps=st.sampled_from([0.0, 1e-5, 0.5]),
)
def test_fold_equals_inference(seed: int, m: int, d: int, eps: float) -> None:
    p = _inference_problem(seed, m, d)
    fold = bnref.fold_affine(p["gamma"], p["beta"], p["mean"], p["var"], eps=eps)
    y = bnref.batch_norm_inference(**p, eps=eps)
    assert_close(fold.scale * p["x"] + fold.shift, y, rtol=1e-13, atol=1e-13)
    assert_close(fold.scale, p["gamma"] / np.sqrt(p["var"] + eps), rtol=2 * EPS)


def test_fold_turns_a_bn_layer_into_one_linear_layer() -> None:
    """BN(W u) at inference equals u ↦ (scale ⊙ W) u + shift, for a whole batch of u."""
    rng = np.random.default_rng(SEED)
    u, w = rng.standard_normal((6, 4)), rng.standard_normal((3, 4))
    p = _inference_problem()
    fold = bnref.fold_affine(p["gamma"], p["beta"], p["mean"], p["var"])
    y = bnref.batch_norm_inference(u @ w.T, p["gamma"], p["beta"], p["mean"], p["var"])
    assert_close(u @ (fold.scale[:, None] * w).T + fold.shift, y, rtol=1e-13, atol=1e-13)


def test_fold_affine_contract() -> None:
    p = _inference_problem()
    args = (p["gamma"], p["beta"], p["mean"], p["var"])
    before = _frozen(*args)
    fold = bnref.fold_affine(*args)
    _assert_unchanged(before, args)
    _assert_no_alias(tuple(fold), args)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"gamma": np.ones((3, 1))},
            r"^gamma must be a 1-D array of shape \(d,\), one value per "
            r"unit; got shape \(3, 1\)$",
        ),
        (
            {"beta": np.ones(2)},
            r"^beta must have shape \(d,\) = \(3,\), one value per unit; got "
            r"shape \(2,\)$",
        ),
        ({"var": [-1.0, 1.0, 1.0]}, r"^var must be >= 0 in every unit"),
        ({"var": [0.0, 1.0, 1.0], "eps": 0.0}, r"^var is 0 in unit\(s\) k = \[0\] and eps = 0"),
        ({"eps": float("inf")}, r"^eps must be a finite real number >= 0; got inf$"),
    ],
    ids=["gamma-2d", "beta-shape", "negative-var", "zero-var", "eps-inf"],
)
def test_fold_affine_rejects(kwargs: dict[str, Any], pattern: str) -> None:
    p = _inference_problem()
    args = {k: p[k] for k in ("gamma", "beta", "mean", "var")} | kwargs
    with pytest.raises(ValueError, match=pattern):
        bnref.fold_affine(**args)


# --------------------------------------------------------------------------------------------
# expected_batch_variance: the m/(m-1) correction, by enumeration
# --------------------------------------------------------------------------------------------

POPULATION = np.array([1.0, 2.0, 4.0, 8.0, 16.0])


def test_expected_batch_variance_docstring_example() -> None:
    assert bnref.expected_batch_variance([0.0, 2.0], m=2) == 0.5
    pop = POPULATION
    assert np.isclose(bnref.expected_batch_variance(pop, m=3), 2 / 3 * pop.var())


@pytest.mark.parametrize("m", [2, 3, 4])
def test_bessel_by_enumeration(m: int) -> None:
    """Paper notes 3(f) and item 17: E_ℬ[σ²_ℬ] = ((m-1)/m)·σ², and m/(m-1) of it is σ²."""
    expected = bnref.expected_batch_variance(POPULATION, m)
    assert_close(expected, (m - 1) / m * POPULATION.var(), rtol=1e-13)
    assert_close(m / (m - 1) * expected, POPULATION.var(), rtol=1e-13)
    assert not np.isclose(expected, POPULATION.var())  # the biased estimate really is biased


@pytest.mark.parametrize("m", [2, 3, 4])
def test_bessel_holds_exactly_in_rational_arithmetic(m: int) -> None:
    """The same enumeration with fractions: equality is exact, not just to rounding."""
    pop = [Fraction(int(v)) for v in POPULATION]
    n = len(pop)
    mean_pop = sum(pop) / n
    var_pop = sum((v - mean_pop) ** 2 for v in pop) / n
    total = Fraction(0)
    for batch in itertools.product(pop, repeat=m):
        mu = sum(batch) / m
        total += sum((v - mu) ** 2 for v in batch) / m
    exact = total / n**m
    assert exact == Fraction(m - 1, m) * var_pop
    assert_close(bnref.expected_batch_variance(POPULATION, m), float(exact), rtol=1e-14)


@given(values=st.lists(st.integers(-50, 50), min_size=2, max_size=6), m=st.integers(2, 4))
def test_bessel_for_any_small_population(values: list[int], m: int) -> None:
    pop = np.array(values, dtype=np.float64)
    expected = bnref.expected_batch_variance(pop, m)
    assert_close(expected, (m - 1) / m * pop.var(), rtol=1e-12, atol=1e-12)


def test_expected_batch_variance_leaves_its_input_alone() -> None:
    pop = POPULATION.copy()
    bnref.expected_batch_variance(pop, 3)
    np.testing.assert_array_equal(pop, POPULATION)


def test_expected_batch_variance_size_guard_is_at_one_million() -> None:
    assert bnref.expected_batch_variance(np.arange(10.0), 6) > 0  # 10**6 batches: allowed
    with pytest.raises(ValueError, match=r"N\*\*m = 10\*\*7 batches"):
        bnref.expected_batch_variance(np.arange(10.0), 7)


@pytest.mark.parametrize(
    ("population", "m", "pattern"),
    [
        (
            np.ones((2, 2)),
            2,
            r"^population must be a 1-D array of at least N = 2 values; got an "
            r"array of shape \(2, 2\)$",
        ),
        (
            [1.0],
            2,
            r"^population must be a 1-D array of at least N = 2 values; got an array of "
            r"shape \(1,\)$",
        ),
        ([1.0, 2.0j], 2, r"^population must be real; got dtype complex128$"),
        ([1.0, np.nan], 2, r"^population has 1 non-finite value"),
        ([1.0, 2.0], 1, r"^m must be an integer >= 2 \(a batch of at least two\); got 1$"),
        ([1.0, 2.0], 2.0, r"^m must be an integer >= 2 \(a batch of at least two\); got 2\.0$"),
        ([1.0, 2.0], True, r"^m must be an integer >= 2 \(a batch of at least two\); got True$"),
        (
            [1.0, 2.0, 3.0],
            13,
            r"^population has N = 3 values and m = 13, so there are N\*\*m = "
            r"3\*\*13 batches to enumerate; expected at most 1e\+06 \(use a smaller population or "
            r"batch\)$",
        ),
        ([1.0, 2.0], 10**9, r"^population has N = 2 values and m = 1000000000"),
    ],
    ids=["2d", "N=1", "complex", "nan", "m=1", "m-float", "m-bool", "too-many", "huge-m"],
)
def test_expected_batch_variance_rejects(population: Any, m: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.expected_batch_variance(population, m)


# --------------------------------------------------------------------------------------------
# Convolutional batch normalization (Section 3.2)
# --------------------------------------------------------------------------------------------

GAMMA4 = np.array([1.0, 2.0, -0.5, 0.7])
BETA4 = np.array([0.0, 1.0, -1.0, 3.0])


def test_batch_norm_conv_docstring_example() -> None:
    x = np.arange(16.0).reshape(2, 2, 2, 2)
    y = bnref.batch_norm_conv(x, gamma=[1.0, 2.0], beta=[0.0, 10.0], eps=0.0)
    assert y.shape == (2, 2, 2, 2)
    assert_close(y.mean(axis=(0, 2, 3)), [0.0, 10.0], atol=1e-14)
    assert_close(y.std(axis=(0, 2, 3)), [1.0, 2.0], rtol=1e-14)


def test_batch_norm_conv_has_per_channel_mean_0_and_variance_1(maps: np.ndarray) -> None:
    y = bnref.batch_norm_conv(maps, np.ones(4), np.zeros(4), eps=0.0)
    assert_close(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-14)
    assert_close(y.var(axis=(0, 2, 3)), 1.0, rtol=1e-13)
    y_eps = bnref.batch_norm_conv(maps, np.ones(4), np.zeros(4))
    var = maps.var(axis=(0, 2, 3))
    assert_close(y_eps.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-13)  # ≈ 1, below it


def test_batch_norm_conv_statistics_are_per_channel_over_batch_and_space(maps: np.ndarray) -> None:
    """A hand-written loop over channels, each a batch of m' = m·p·q values, gives the same."""
    y = bnref.batch_norm_conv(maps, GAMMA4, BETA4)
    for k in range(4):
        values = maps[:, k].reshape(-1, 1)  # m' = 3·5·2 = 30 values of one unit
        want = bnref.batch_norm(values, GAMMA4[k : k + 1], BETA4[k : k + 1]).reshape(3, 5, 2)
        assert_close(y[:, k], want, rtol=1e-14, atol=1e-14)
    assert not np.allclose(y, bnref.batch_norm_conv(maps[:2], GAMMA4, BETA4)[0:1].repeat(3, 0))


def test_a_per_channel_conv_bias_cancels(maps: np.ndarray) -> None:
    """Paper notes item 18: one bias per feature map, added everywhere, is removed exactly."""
    bias = np.array([3.0, -7.0, 0.25, 100.0])[None, :, None, None]
    y = bnref.batch_norm_conv(maps, GAMMA4, BETA4)
    assert_close(bnref.batch_norm_conv(maps + bias, GAMMA4, BETA4), y, atol=1e-12)
    assert np.abs(maps + bias - maps).max() == 100.0


def test_a_per_location_bias_does_not_cancel(maps: np.ndarray) -> None:
    bias = np.zeros((1, 4, 5, 2))
    bias[0, :, 0, 0] = 5.0
    y = bnref.batch_norm_conv(maps, GAMMA4, BETA4)
    assert not np.allclose(bnref.batch_norm_conv(maps + bias, GAMMA4, BETA4), y)


def test_batch_norm_conv_contract(maps: np.ndarray) -> None:
    before = _frozen(maps, GAMMA4, BETA4)
    y = bnref.batch_norm_conv(maps, GAMMA4, BETA4)
    _assert_unchanged(before, (maps, GAMMA4, BETA4))
    _assert_no_alias((y,), (maps, GAMMA4, BETA4))
    assert y.flags.c_contiguous
    assert y.dtype == np.float64
    one = np.random.default_rng(0).standard_normal((2, 1, 3, 3))  # C = 1: a view is possible
    _assert_no_alias((bnref.batch_norm_conv(one, [1.0], [0.0]),), (one,))


def _conv_loss(maps: np.ndarray, g: np.ndarray) -> Callable[[np.ndarray], Any]:
    """ℓ(x, γ, β) = Σ g ⊙ BN_conv(x) packed in one vector, for numerical derivatives."""
    n = maps.size

    def loss(v: np.ndarray) -> Any:
        x = v[:n].reshape(maps.shape)
        y = bnref.batch_norm_conv(x, v[n : n + 4], v[n + 4 :], eps=1e-3)
        return np.sum(g * y)

    return loss


def test_batch_norm_conv_vjp_against_the_complex_step(maps: np.ndarray) -> None:
    g = np.random.default_rng(SEED + 2).standard_normal(maps.shape)
    dx, dgamma, dbeta = bnref.batch_norm_conv_vjp(maps, GAMMA4, BETA4, g, eps=1e-3)
    v = np.concatenate([maps.ravel(), GAMMA4, BETA4])
    numeric = bnref.complex_step_gradient(_conv_loss(maps, g), v)
    assert_close(dx, numeric[: maps.size].reshape(maps.shape), rtol=1e-10, atol=1e-12)
    assert_close(dgamma, numeric[maps.size : maps.size + 4], rtol=1e-10, atol=1e-12)
    assert_close(dbeta, numeric[maps.size + 4 :], rtol=1e-10, atol=1e-12)
    assert_close(dx.sum(axis=(0, 2, 3)), 0.0, atol=1e-12)  # Σ over the m' values of a channel


def test_batch_norm_conv_vjp_against_finite_differences(maps: np.ndarray) -> None:
    small = maps[:2, :, :2, :]
    g = np.random.default_rng(SEED + 3).standard_normal(small.shape)
    dx, _, _ = bnref.batch_norm_conv_vjp(small, GAMMA4, BETA4, g, eps=1e-3)
    numeric = bnref.finite_difference_gradient(
        lambda x: np.sum(g * bnref.batch_norm_conv(x, GAMMA4, BETA4, eps=1e-3)), small
    )
    assert_close(dx, numeric, rtol=1e-6, atol=1e-7)


def test_batch_norm_conv_vjp_naive_holds_the_statistics_constant(maps: np.ndarray) -> None:
    g = np.random.default_rng(SEED + 4).standard_normal(maps.shape)
    dx, dgamma, dbeta = bnref.batch_norm_conv_vjp(maps, GAMMA4, BETA4, g, through_stats=False)
    s = np.sqrt(maps.var(axis=(0, 2, 3)) + 1e-5)
    assert_close(dx, g * (GAMMA4 / s)[None, :, None, None], rtol=1e-13)
    _, dgamma_exact, dbeta_exact = bnref.batch_norm_conv_vjp(maps, GAMMA4, BETA4, g)
    np.testing.assert_array_equal(dbeta, dbeta_exact)
    assert_close(dgamma, dgamma_exact, rtol=1e-14)
    assert_close(dbeta, g.sum(axis=(0, 2, 3)), rtol=1e-13)


def test_batch_norm_conv_vjp_docstring_example() -> None:
    x = np.arange(16.0).reshape(2, 2, 2, 2) ** 2
    dx, _, dbeta = bnref.batch_norm_conv_vjp(x, [1.0, 1.0], [0.0, 0.0], np.ones_like(x))
    assert np.abs(dx).max() < 1e-12
    np.testing.assert_array_equal(dbeta, [8.0, 8.0])


def test_batch_norm_conv_vjp_contract(maps: np.ndarray) -> None:
    g = np.ones_like(maps)
    before = _frozen(maps, g, GAMMA4, BETA4)
    out = bnref.batch_norm_conv_vjp(maps, GAMMA4, BETA4, g, through_stats=False)
    _assert_unchanged(before, (maps, g, GAMMA4, BETA4))
    _assert_no_alias(out, (maps, g, GAMMA4, BETA4))
    assert out[0].shape == maps.shape
    assert out[0].flags.c_contiguous


def test_batch_norm_conv_is_complex_analytic(maps: np.ndarray) -> None:
    y = bnref.batch_norm_conv(maps.astype(np.complex128), GAMMA4, BETA4)
    assert y.dtype == np.complex128
    assert_close(y.real, bnref.batch_norm_conv(maps, GAMMA4, BETA4), rtol=1e-14, atol=1e-14)


CONV_ERRORS = [
    (
        {"x": np.ones((3, 4, 5))},
        r"^x must be a 4-D array of shape \(m, C, p, q\), m examples of "
        r"C channels \(feature maps\) of p × q locations; got an array of shape \(3, 4, 5\)$",
    ),
    (
        {"x": np.ones((1, 4, 1, 1))},
        r"^x must have at least m·p·q = 2 values per channel to compute "
        r"batch statistics; got m·p·q = 1 \(shape \(1, 4, 1, 1\)\)$",
    ),
    (
        {"gamma": np.ones((4, 1))},
        r"^gamma must have shape \(C,\) = \(4,\), one value per channel; "
        r"got shape \(4, 1\)$",
    ),
    (
        {"beta": np.ones(3)},
        r"^beta must have shape \(C,\) = \(4,\), one value per channel; got "
        r"shape \(3,\)$",
    ),
    ({"gamma": [1.0, np.nan, 1.0, 1.0]}, r"^gamma has 1 non-finite value"),
    ({"eps": -0.1}, r"^eps must be a finite real number >= 0; got -0\.1$"),
]
CONV_IDS = ["3d", "one-value", "gamma-shape", "beta-shape", "gamma-nan", "eps"]


@pytest.mark.parametrize(("kwargs", "pattern"), CONV_ERRORS, ids=CONV_IDS)
def test_batch_norm_conv_rejects(maps: np.ndarray, kwargs: dict[str, Any], pattern: str) -> None:
    args = {"x": maps, "gamma": GAMMA4, "beta": BETA4} | kwargs
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_conv(**args)


@pytest.mark.parametrize(("kwargs", "pattern"), CONV_ERRORS, ids=CONV_IDS)
def test_batch_norm_conv_vjp_rejects(
    maps: np.ndarray, kwargs: dict[str, Any], pattern: str
) -> None:
    args = {"x": maps, "gamma": GAMMA4, "beta": BETA4, "dy": np.ones_like(maps)} | kwargs
    if "x" in kwargs:
        args["dy"] = np.ones_like(kwargs["x"])
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_conv_vjp(**args)


def test_conv_non_finite_input_is_reported_in_four_d_coordinates(maps: np.ndarray) -> None:
    x = maps.copy()
    x[2, 1, 3, 0] = np.inf
    pattern = re.escape("x has 1 non-finite value(s) (nan or inf), the first at index [2, 1, 3, 0]")
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_conv(x, GAMMA4, BETA4)


@pytest.mark.parametrize(
    ("dy", "pattern"),
    [
        (
            np.ones((3, 4, 5)),
            r"^dy must have the same shape as x, \(3, 4, 5, 2\); got shape "
            r"\(3, 4, 5\)$",
        ),
        (
            np.full((3, 4, 5, 2), np.nan),
            r"^dy has 120 non-finite value\(s\) \(nan or inf\), the "
            r"first at index \[0, 0, 0, 0\]; expected finite values$",
        ),
    ],
    ids=["shape", "nan"],
)
def test_batch_norm_conv_vjp_rejects_bad_cotangents(
    maps: np.ndarray, dy: np.ndarray, pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_conv_vjp(maps, GAMMA4, BETA4, dy)


def test_conv_constant_channel_with_eps_zero_is_reported(maps: np.ndarray) -> None:
    x = maps.copy()
    x[:, 2] = 1.0
    with pytest.raises(ValueError, match=r"zero variance in unit\(s\) k = \[2\] and eps = 0"):
        bnref.batch_norm_conv(x, GAMMA4, BETA4, eps=0.0)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (np.ones((4, 3)), r"^batches must be a 3-D array of shape \(n_batches, m, d\)"),
        (np.ones((3, 1, 2)), r"^batches must have at least m = 2 examples per mini-batch"),
        (np.full((1, 2, 2), np.inf), r"^batches has 4 non-finite value"),
    ],
    ids=["2d", "m=1", "inf"],
)
def test_running_statistics_rejects(value: np.ndarray, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.running_statistics(value)


def test_running_statistics_leaves_its_input_alone(batches: np.ndarray) -> None:
    before = _frozen(batches)
    run = bnref.running_statistics(batches, momentum=1.0)
    _assert_unchanged(before, (batches,))
    _assert_no_alias(tuple(run), (batches,))
