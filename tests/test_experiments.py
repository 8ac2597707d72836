"""Unit tests of :mod:`bnref.experiments`: the drift runs, the scaling case, and the
nonlinearity placement, each against its closed form or an independent derivative."""

from __future__ import annotations

import numpy as np
import pytest

import bnref
from tests.conftest import EPS, assert_close, sum_atol


@pytest.fixture
def drift_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """u and t of shape (6, 3); the targets ask for a mean shift in every unit."""
    u = rng.standard_normal((6, 3)) * np.array([1.0, 3.0, 0.2]) + np.array([5.0, -2.0, 0.0])
    t = rng.standard_normal((6, 3)) + np.array([0.5, -1.0, 2.0])
    return u, t


def _drift_atol(
    u: np.ndarray, t: np.ndarray, b: np.ndarray, lr: float, n: np.ndarray
) -> np.ndarray:
    """Rounding bound for ``b_n`` after ``n`` steps (shape ``(steps + 1, d)``).

    Each step adds ``lr * grad`` to ``b``: the addition rounds at ``EPS |b_n|``, and the
    gradient ``Σ (x_hat - t)`` is a sum of ``m`` terms whose ``x_hat = u + b - mean`` carries
    the cancellation error ``m EPS (|u| + |b_n|)``. Summed over ``n`` steps.
    """
    m = u.shape[0]
    mag = np.abs(u).max(axis=0) + np.abs(b).max(axis=0) + np.abs(t).max(axis=0)
    return 4.0 * n[:, None] * EPS * (np.abs(b).max(axis=0) + abs(lr) * m * m * mag)


# --------------------------------------------------------------------------------------------
# bias_drift
# --------------------------------------------------------------------------------------------


def test_bias_drift_docstring_example() -> None:
    u, t = [[0.0], [1.0], [5.0]], [[1.0], [1.0], [1.0]]
    run = bnref.bias_drift(u, t, lr=0.1, steps=3)
    assert_close(run.b[:, 0], [0.0, 0.3, 0.6, 0.9], atol=1e-15)
    assert_close(run.loss, [8.5, 8.5, 8.5, 8.5], atol=1e-14)
    exact = bnref.bias_drift(u, t, steps=3, through_mean=True)
    assert_close(exact.b[:, 0], 0.0, atol=1e-15)


@pytest.mark.parametrize("b0", [0.0, -2.5, "per-unit"])
@pytest.mark.parametrize("lr", [0.1, 0.01, 1.5])
def test_naive_bias_drift_closed_form(
    drift_data: tuple[np.ndarray, np.ndarray], b0: object, lr: float
) -> None:
    """b_n = b0 + n lr Σ_i t_i, loss constant at ½ Σ (u - mean(u) - t)²."""
    u, t = drift_data
    start = np.array([0.3, -7.0, 12.0]) if b0 == "per-unit" else b0
    steps = 50
    run = bnref.bias_drift(u, t, b0=start, lr=lr, steps=steps)
    n = np.arange(steps + 1)
    expected = np.broadcast_to(start, (3,)) + n[:, None] * lr * t.sum(axis=0)
    assert_close(run.b, expected, atol=_drift_atol(u, t, expected, lr, n), what="b_n")
    loss = 0.5 * np.sum((u - u.mean(axis=0) - t) ** 2)
    # x_hat = (u + b_n) - mean: its error grows with |b_n|, the magnitude that cancels.
    x_hat_err = 4.0 * EPS * u.shape[0] * (np.abs(u).max() + np.abs(expected).max(axis=1))
    bound = x_hat_err * np.sum(np.abs(u - u.mean(axis=0) - t)) + 1e-14 * loss
    assert_close(run.loss, loss, atol=bound, what="loss")


@pytest.mark.parametrize("b0", [0.0, 4.0, "per-unit"])
def test_exact_bias_drift_does_not_move(
    drift_data: tuple[np.ndarray, np.ndarray], b0: object
) -> None:
    u, t = drift_data
    start = np.array([0.3, -7.0, 12.0]) if b0 == "per-unit" else b0
    steps, lr = 200, 0.1
    run = bnref.bias_drift(u, t, b0=start, lr=lr, steps=steps, through_mean=True)
    expected = np.broadcast_to(start, (steps + 1, 3))
    # the exact gradient Σ (g - mean g) is zero up to m EPS Σ|g| per step
    g = u - u.mean(axis=0) - t
    per_step = lr * sum_atol(g) + EPS * np.abs(expected[0])
    assert_close(run.b, expected, atol=np.arange(steps + 1)[:, None] * per_step + 1e-300)
    loss = 0.5 * np.sum(g**2)
    assert_close(run.loss, loss, rtol=1e-13)


def test_exact_gradient_is_zero_to_about_1e_minus_15() -> None:
    """The contract's "the exact gradient is zero to about 1e-15", at order-one data."""
    rng = np.random.default_rng(0)
    u, t = rng.standard_normal((8, 2)), rng.standard_normal((8, 2))
    run = bnref.bias_drift(u, t, lr=1.0, steps=1, through_mean=True)
    assert np.abs(run.b[1] - run.b[0]).max() < 1e-14


def test_bias_drift_steps_zero(drift_data: tuple[np.ndarray, np.ndarray]) -> None:
    u, t = drift_data
    run = bnref.bias_drift(u, t, b0=1.5, steps=0)
    assert run.b.shape == (1, 3)
    assert run.loss.shape == (1,)
    np.testing.assert_array_equal(run.b, [[1.5, 1.5, 1.5]])
    assert_close(run.loss[0], 0.5 * np.sum((u - u.mean(axis=0) - t) ** 2), rtol=1e-13)


def test_bias_drift_scalar_and_vector_b0_agree(drift_data: tuple[np.ndarray, np.ndarray]) -> None:
    u, t = drift_data
    a = bnref.bias_drift(u, t, b0=2.0, steps=5)
    b = bnref.bias_drift(u, t, b0=np.full(3, 2.0), steps=5)
    c = bnref.bias_drift(u, t, b0=2, steps=5)  # an int is converted
    for run in (b, c):
        np.testing.assert_array_equal(run.b, a.b)
        np.testing.assert_array_equal(run.loss, a.loss)
    assert c.b.dtype == np.float64


def test_bias_drift_zero_lr_stays_put(drift_data: tuple[np.ndarray, np.ndarray]) -> None:
    u, t = drift_data
    run = bnref.bias_drift(u, t, b0=1.0, lr=0.0, steps=4)
    np.testing.assert_array_equal(run.b, np.ones((5, 3)))


def test_bias_drift_no_drift_when_targets_have_zero_mean(rng: np.random.Generator) -> None:
    u = rng.standard_normal((7, 2))
    t = rng.standard_normal((7, 2))
    t -= t.mean(axis=0)
    run = bnref.bias_drift(u, t, lr=0.5, steps=30)
    assert np.abs(run.b).max() < 30 * 0.5 * 7 * 7 * EPS * 4 * (np.abs(u).max() + np.abs(t).max())


def test_bias_drift_units_are_independent(drift_data: tuple[np.ndarray, np.ndarray]) -> None:
    u, t = drift_data
    full = bnref.bias_drift(u, t, b0=[1.0, 2.0, 3.0], steps=6)
    losses = []
    for k in range(3):
        one = bnref.bias_drift(u[:, [k]], t[:, [k]], b0=[1.0, 2.0, 3.0][k], steps=6)
        assert_close(full.b[:, k], one.b[:, 0], rtol=1e-14, atol=1e-14)
        losses.append(one.loss)
    assert_close(full.loss, np.sum(losses, axis=0), rtol=1e-13)


# --------------------------------------------------------------------------------------------
# bias_drift_with_beta
# --------------------------------------------------------------------------------------------


def test_bias_drift_with_beta_docstring_example() -> None:
    run = bnref.bias_drift_with_beta([[0.0], [4.0]], [[3.0], [5.0]], lr=0.25, steps=40)
    assert_close(run.beta[-1, 0], 4.0, atol=1e-9)
    assert_close(run.b[-1, 0], 4.0, atol=1e-9)


def test_beta_absorbs_the_mean_request(drift_data: tuple[np.ndarray, np.ndarray]) -> None:
    """β_n = mean(t) + (1 - lr m)^n (β0 - mean(t)) exactly (a linear recursion); b moves by
    exactly what β moves by."""
    u, t = drift_data
    m = u.shape[0]
    lr, steps = 0.05, 60
    beta0 = np.array([0.0, 1.0, -1.0])
    run = bnref.bias_drift_with_beta(u, t, b0=0.5, beta0=beta0, lr=lr, steps=steps)
    n = np.arange(steps + 1)[:, None]
    expected = t.mean(axis=0) + (1 - lr * m) ** n * (beta0 - t.mean(axis=0))
    assert_close(run.beta, expected, atol=1e-13)
    assert_close(run.b - 0.5, run.beta - beta0, atol=1e-13)
    # the loss falls to ½ Σ (u - mean u - (t - mean t))² (monotonically, since 0 < lr m < 1)
    floor = 0.5 * np.sum((u - u.mean(axis=0) - (t - t.mean(axis=0))) ** 2)
    assert np.all(np.diff(run.loss) <= 64 * EPS * run.loss[0])
    assert_close(run.loss[-1], floor, rtol=1e-6)


def test_bias_drift_with_beta_exact_mode_leaves_b(
    drift_data: tuple[np.ndarray, np.ndarray],
) -> None:
    u, t = drift_data
    run = bnref.bias_drift_with_beta(u, t, b0=2.0, lr=0.1, steps=100, through_mean=True)
    assert_close(run.b, 2.0, atol=100 * 0.1 * sum_atol(u + t).max() * 4)
    assert_close(run.beta[-1], t.mean(axis=0), atol=1e-12)


# --------------------------------------------------------------------------------------------
# scale_drift
# --------------------------------------------------------------------------------------------


def test_scale_drift_docstring_example() -> None:
    h = np.array([[-1.0], [0.0], [1.0]])
    run = bnref.scale_drift(h, t=2.0 * h[:, 0], w0=[1.0], lr=0.1, steps=2)
    assert_close(run.w_norm, [1.0, 1.1899, 1.3495], atol=5e-5)
    assert np.ptp(run.loss) < 1e-12


def test_scale_drift_naive_step_against_a_hand_derivation(rng: np.random.Generator) -> None:
    """One naive step: w1 = w0 - lr H^T g / s, b1 = b0 - lr Σ g / s with g = x_hat - t."""
    h = rng.standard_normal((9, 3))
    t = rng.standard_normal(9)
    w0, b0, lr, eps = np.array([0.5, -1.0, 2.0]), 0.7, 0.05, 1e-3
    run = bnref.scale_drift(h, t, w0, b0=b0, lr=lr, steps=1, eps=eps)
    x = h @ w0 + b0
    s = np.sqrt(x.var() + eps)
    x_hat = (x - x.mean()) / s
    g = x_hat - t
    assert_close(run.w[1], w0 - lr * h.T @ g / s, rtol=1e-13, atol=1e-14)
    assert_close(run.b[1], b0 - lr * g.sum() / s, rtol=1e-13, atol=1e-14)
    assert_close(run.loss[0], 0.5 * np.sum(g**2), rtol=1e-13)
    assert_close(run.w_norm, np.linalg.norm(run.w, axis=1), rtol=1e-15)


def test_scale_drift_exact_step_against_a_hand_derivation(rng: np.random.Generator) -> None:
    h = rng.standard_normal((9, 3))
    t = rng.standard_normal(9)
    w0, b0, lr, eps = np.array([0.5, -1.0, 2.0]), 0.7, 0.05, 1e-3
    run = bnref.scale_drift(h, t, w0, b0=b0, lr=lr, steps=1, eps=eps, through_stats=True)
    x = (h @ w0 + b0)[:, None]
    dx, _, _ = bnref.batch_norm_vjp(
        x, [1.0], [0.0], bnref.standardize(x, eps=eps).x_hat - t[:, None], eps=eps
    )
    assert_close(run.w[1], w0 - lr * h.T @ dx[:, 0], rtol=1e-13, atol=1e-14)
    # the exact bias gradient is Σ dx = 0: b does not move
    assert_close(run.b[1], b0, atol=lr * sum_atol(dx)[0] * 4)


def test_scale_drift_exact_keeps_b_and_w_direction_orthogonal(rng: np.random.Generator) -> None:
    """Exact GD with eps = 0: w . grad = 0, so |w_{n+1}|² - |w_n|² = |w_{n+1} - w_n|²."""
    h = rng.standard_normal((16, 4))
    t = rng.standard_normal(16)
    w0 = rng.standard_normal(4)
    run = bnref.scale_drift(h, t, w0, b0=1.0, lr=0.05, steps=40, through_stats=True)
    step = np.diff(run.w, axis=0)
    lhs = np.diff(run.w_norm**2)
    rhs = np.sum(step**2, axis=1)
    bound = 64 * EPS * run.w_norm[:-1] * (run.w_norm[:-1] + np.linalg.norm(step, axis=1))
    assert_close(lhs, rhs, atol=bound)
    assert_close(run.b, 1.0, atol=1e-13)


def test_scale_drift_steps_zero(rng: np.random.Generator) -> None:
    h, t = rng.standard_normal((5, 2)), rng.standard_normal(5)
    run = bnref.scale_drift(h, t, [1.0, 2.0], b0=0.5, steps=0)
    np.testing.assert_array_equal(run.w, [[1.0, 2.0]])
    np.testing.assert_array_equal(run.b, [0.5])
    assert_close(run.w_norm, [np.sqrt(5.0)], rtol=1e-15)
    assert run.loss.shape == (1,)


def test_scale_drift_w0_is_not_modified() -> None:
    h = np.array([[-1.0], [0.0], [1.0]])
    w0 = np.array([1.0])
    bnref.scale_drift(h, 2.0 * h[:, 0], w0, steps=3)
    np.testing.assert_array_equal(w0, [1.0])


# --------------------------------------------------------------------------------------------
# layer_output and bias_gradient
# --------------------------------------------------------------------------------------------

THETAS = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
}


def test_layer_output_docstring_example() -> None:
    u = [[-1.0], [0.0], [2.0]]
    after = [bnref.layer_output(u, b, placement="after") for b in (0.0, 3.0)]
    assert_close(after[0], after[1], atol=1e-15)
    before = [bnref.layer_output(u, b, placement="before") for b in (0.0, 3.0)]
    assert not np.allclose(*before)


@pytest.mark.parametrize("theta", sorted(THETAS))
def test_layer_output_formulas(rng: np.random.Generator, theta: str) -> None:
    u, b = rng.standard_normal((7, 3)), np.array([0.3, -0.5, 1.0])
    f, _ = THETAS[theta]
    before = bnref.layer_output(u, b, theta=theta, placement="before")  # type: ignore[arg-type]
    after = bnref.layer_output(u, b, theta=theta, placement="after")  # type: ignore[arg-type]
    z = f(u + b)
    assert_close(before, z - z.mean(axis=0), rtol=1e-14, atol=1e-15)
    assert_close(after, f(u + b - (u + b).mean(axis=0)), rtol=1e-14, atol=1e-15)


def test_layer_output_default_is_tanh_after(rng: np.random.Generator) -> None:
    u = rng.standard_normal((4, 2))
    np.testing.assert_array_equal(
        bnref.layer_output(u, 0.2), bnref.layer_output(u, 0.2, theta="tanh", placement="after")
    )


@pytest.mark.parametrize("theta", sorted(THETAS))
@pytest.mark.parametrize("through_mean", [True, False])
def test_bias_gradient_formulas(rng: np.random.Generator, theta: str, through_mean: bool) -> None:
    """Before: exact Σ (g - ḡ) θ'(u + b), naive Σ g θ'(u + b). After: exact 0, naive
    Σ g θ'(x_hat)."""
    u, g = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    b = np.array([0.3, -0.5, 1.0])
    _, df = THETAS[theta]
    kw = {"theta": theta, "through_mean": through_mean}
    before = bnref.bias_gradient(u, b, g, placement="before", **kw)  # type: ignore[arg-type]
    after = bnref.bias_gradient(u, b, g, placement="after", **kw)  # type: ignore[arg-type]
    dz = df(u + b)
    dx = df(u + b - (u + b).mean(axis=0))
    if through_mean:
        assert_close(before, np.sum((g - g.mean(axis=0)) * dz, axis=0), atol=sum_atol(g * dz))
        assert_close(after, 0.0, atol=4 * sum_atol(g * dx))
    else:
        assert_close(before, np.sum(g * dz, axis=0), atol=sum_atol(g * dz))
        assert_close(after, np.sum(g * dx, axis=0), atol=sum_atol(g * dx))


@pytest.mark.parametrize("theta", ["identity", "tanh", "sigmoid"])
@pytest.mark.parametrize("placement", ["before", "after"])
def test_bias_gradient_matches_finite_differences_and_complex_step(
    rng: np.random.Generator, theta: str, placement: str
) -> None:
    u, g = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    b = np.array([0.4, -0.3])
    kw = {"theta": theta, "placement": placement}

    def loss(v: np.ndarray) -> object:
        return np.sum(g * bnref.layer_output(u, v, **kw))  # type: ignore[arg-type]

    grad = bnref.bias_gradient(u, b, g, **kw)  # type: ignore[arg-type]
    assert_close(bnref.complex_step_gradient(loss, b), grad, atol=1e-14)
    assert_close(bnref.finite_difference_gradient(loss, b), grad, atol=1e-9)


def test_naive_minus_exact_before_is_mean_slope_times_sum_g(rng: np.random.Generator) -> None:
    u, g = rng.standard_normal((8, 3)), rng.standard_normal((8, 3))
    b = np.array([0.1, 0.2, -0.7])
    exact = bnref.bias_gradient(u, b, g, placement="before")
    naive = bnref.bias_gradient(u, b, g, placement="before", through_mean=False)
    slope = 1 - np.tanh(u + b) ** 2
    assert_close(naive - exact, slope.mean(axis=0) * g.sum(axis=0), atol=4 * sum_atol(g * slope))


def test_relu_all_active_before_gives_zero_exact_gradient(rng: np.random.Generator) -> None:
    u, g = 5.0 + rng.uniform(0, 1, (6, 2)), rng.standard_normal((6, 2))
    grad = bnref.bias_gradient(u, 0.0, g, theta="relu", placement="before")
    assert_close(grad, 0.0, atol=sum_atol(g))


def test_bias_gradient_accepts_a_scalar_bias(rng: np.random.Generator) -> None:
    u, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    np.testing.assert_array_equal(
        bnref.bias_gradient(u, 0.5, g, placement="before"),
        bnref.bias_gradient(u, np.full(3, 0.5), g, placement="before"),
    )
