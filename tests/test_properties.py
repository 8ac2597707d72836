"""Property-based tests (hypothesis) over shapes, scales, offsets and eps.

Batches have ``2 <= m <= 20`` examples and ``1 <= d <= 5`` units, per-unit offsets up to
1e6, spreads from 1e-6 to 1e3, and eps in {0, 1e-5, 0.5} or drawn from [1e-8, 10]; see
``tests/conftest.py`` for the generator and the rounding bounds. Every tolerance is a
rounding bound scaled by the magnitude that cancels (``kappa = max|x| / s``): about 1e-14
relative for centred data, and as loose as the arithmetic forces where an offset of 1e6 sits
on a spread of 1e-6 (``kappa`` ~ 1e12). Identities that are exact in floating point (scaling
by a power of two) are asserted bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

import bnref
from tests.conftest import (
    EPS,
    Problem,
    assert_close,
    dx_atol,
    dx_terms,
    kappa,
    problems,
    sum_atol,
    xhat_atol,
)

shifts = st.sampled_from([1.0, -1.0, 1e3, -1e3, 1e6, -1e6, 12345.678])
powers_of_two = st.integers(-20, 20).map(lambda k: 2.0**k)
factors = st.sampled_from([3.7, 0.1, 1e-3, 1e3, 123.456, 1 / 3])


def _vjp(p: Problem, **kw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return bnref.batch_norm_vjp(p.x, p.gamma, p.beta, p.g, eps=p.eps, **kw)


# --------------------------------------------------------------------------------------------
# Invariances of the forward pass
# --------------------------------------------------------------------------------------------


@given(problems(), shifts)
def test_shift_invariance(p: Problem, shift: float) -> None:
    """standardize(x + c) == standardize(x): same x_hat, var, s; mu moves by c."""
    c = shift * np.linspace(1.0, 0.5, p.x.shape[1])
    a = bnref.standardize(p.x, eps=p.eps)
    xs = p.x + c
    b = bnref.standardize(xs, eps=p.eps)
    atol = xhat_atol(xs, a.s) + xhat_atol(p.x, a.s)
    assert_close(b.x_hat, a.x_hat, atol=atol, what="x_hat")
    # s: relative error of the variance ~ 2 EPS kappa
    rel = 8 * EPS * np.sqrt(p.x.shape[0]) * kappa(xs, a.s)
    assert_close(b.s, a.s, atol=rel * a.s, what="s")
    # mu(x) + c cancels the magnitude of x and of c, not only that of x + c
    mu_atol = 2 * (sum_atol(xs) + sum_atol(p.x)) / p.x.shape[0] + 2 * EPS * np.abs(c)
    assert_close(b.mu, a.mu + c, atol=mu_atol, what="mu")
    y_a = bnref.batch_norm(p.x, p.gamma, p.beta, eps=p.eps)
    y_b = bnref.batch_norm(xs, p.gamma, p.beta, eps=p.eps)
    assert_close(y_b, y_a, atol=np.abs(p.gamma) * atol + 4 * EPS * np.abs(p.beta), what="y")


@given(problems(), powers_of_two, st.booleans())
def test_scale_by_a_power_of_two_is_exact(p: Problem, c: float, negative: bool) -> None:
    """standardize(c x, eps = c² eps) == sign(c) standardize(x, eps), bit for bit, when c is
    a power of two: every operation then commutes exactly with the scaling."""
    c = -c if negative else c
    a = bnref.standardize(p.x, eps=p.eps)
    b = bnref.standardize(c * p.x, eps=c * c * p.eps)
    np.testing.assert_array_equal(b.x_hat, np.sign(c) * a.x_hat)
    np.testing.assert_array_equal(b.mu, c * a.mu)
    np.testing.assert_array_equal(b.var, c * c * a.var)
    np.testing.assert_array_equal(b.s, abs(c) * a.s)


@given(problems(eps=st.just(0.0)), factors, st.booleans())
def test_scale_invariance_with_eps_zero(p: Problem, c: float, negative: bool) -> None:
    """eps = 0: standardize(c x) == sign(c) standardize(x) for any c != 0 (up to rounding of
    c x, a relative EPS on every entry, which cancels like an offset)."""
    c = -c if negative else c
    a = bnref.standardize(p.x, eps=0.0)
    b = bnref.standardize(c * p.x, eps=0.0)
    assert_close(b.x_hat, np.sign(c) * a.x_hat, atol=2 * xhat_atol(p.x, a.s), what="x_hat")
    y_a = bnref.batch_norm(p.x, p.gamma, p.beta, eps=0.0)
    y_b = bnref.batch_norm(c * p.x, np.sign(c) * p.gamma, p.beta, eps=0.0)
    atol = 2 * np.abs(p.gamma) * xhat_atol(p.x, a.s) + 4 * EPS * np.abs(p.beta)
    assert_close(y_b, y_a, atol=atol, what="y")


@given(problems(eps=st.sampled_from([1e-5, 0.5, 3.0])), factors)
def test_scale_invariance_with_eps_is_not_plain(p: Problem, c: float) -> None:
    """eps > 0: standardize(c x, eps) is *not* standardize(x, eps) (unless var >> eps), but
    standardize(c x, eps = c² eps) is."""
    a = bnref.standardize(p.x, eps=p.eps)
    b = bnref.standardize(c * p.x, eps=c * c * p.eps)
    assert_close(b.x_hat, a.x_hat, atol=2 * xhat_atol(p.x, a.s), what="x_hat")
    plain = bnref.standardize(c * p.x, eps=p.eps)
    # the eps-free form differs by the factor sqrt((var + eps) / (var + eps / c²)) exactly
    factor = np.sqrt((a.var + p.eps) / (a.var + p.eps / (c * c)))
    assert_close(plain.x_hat, a.x_hat * factor, atol=4 * xhat_atol(p.x, a.s) * factor, what="plain")


@given(problems())
def test_standardized_statistics(p: Problem) -> None:
    """Σ x_hat = 0 and mean(x_hat²) = var / (var + eps) (= 1 when eps = 0)."""
    st_ = bnref.standardize(p.x, eps=p.eps)
    m = p.x.shape[0]
    atol = xhat_atol(p.x, st_.s)
    assert_close(st_.x_hat.sum(axis=0), 0.0, atol=m * atol, what="sum x_hat")
    ratio = st_.var / (st_.var + p.eps)
    assert_close(
        (st_.x_hat**2).mean(axis=0), ratio, atol=2 * np.sqrt(m) * atol + 4 * EPS, what="mean x_hat²"
    )


# --------------------------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------------------------


@given(problems())
def test_dx_sums_to_zero_per_unit(p: Problem) -> None:
    dx, _, _ = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)
    m = p.x.shape[0]
    atol = m * dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g)
    note(f"sum dx = {dx.sum(axis=0)}, bound {atol}")
    assert_close(dx.sum(axis=0), 0.0, atol=atol, what="sum dx")


@given(problems())
def test_dx_dot_x_hat_closed_form(p: Problem) -> None:
    """dx · x_hat = (γ/s) · eps/(var + eps) · Σ g x_hat: zero only when eps = 0."""
    dx, dgamma, _ = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)
    lhs = np.sum(dx * st_.x_hat, axis=0)
    rhs = p.gamma / st_.s * p.eps / (st_.var + p.eps) * dgamma
    # dx's own rounding, weighted by |x_hat|; and the rounding of x_hat (Σ x_hat is not
    # exactly 0, so the mean(g) term contributes), weighted by the terms of dx
    terms = dx_terms(st_.x_hat, p.gamma, st_.s, p.g).sum(axis=0)
    atol = dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g) * np.abs(st_.x_hat).sum(axis=0)
    atol = atol + terms * xhat_atol(p.x, st_.s) + 8 * EPS * np.abs(rhs)
    assert_close(lhs, rhs, atol=atol, what="dx . x_hat")
    if p.eps == 0.0:
        assert_close(lhs, 0.0, atol=atol, what="dx . x_hat at eps = 0")


@given(problems(scales=(1.0,), eps=st.sampled_from([0.5, 2.0])))
def test_dx_dot_x_hat_is_not_zero_with_a_large_eps(p: Problem) -> None:
    """The closed form is not vacuous: with eps comparable to var the product is visibly
    nonzero (guards against an implementation that also projects out x_hat)."""
    dx, dgamma, _ = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)
    lhs = np.sum(dx * st_.x_hat, axis=0)
    visible = np.abs(dgamma) > 1e-3 * np.abs(p.g).sum(axis=0)  # Σ g x_hat not ~0 by chance
    floor = 1e3 * dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g) * p.x.shape[0]
    assert np.all(np.abs(lhs)[visible] > floor[visible])


@given(problems())
def test_naive_is_exact_plus_removed_components(p: Problem) -> None:
    naive, dgamma_n, dbeta_n = _vjp(p, through_stats=False)
    exact, dgamma_e, dbeta_e = _vjp(p)
    removed = bnref.removed_components(p.x, p.gamma, p.g, eps=p.eps)
    st_ = bnref.standardize(p.x, eps=p.eps)
    atol = dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g)
    assert_close(naive, exact + removed.shift + removed.scale, atol=atol, what="naive")
    np.testing.assert_array_equal(dgamma_n, dgamma_e)
    np.testing.assert_array_equal(dbeta_n, dbeta_e)
    # the removed components carry exactly the dbeta and dgamma requests
    m = p.x.shape[0]
    scale = p.gamma / st_.s
    assert_close(removed.shift, scale * dbeta_e / m, atol=atol, what="shift")
    assert_close(removed.scale, scale * st_.x_hat * dgamma_e / m, atol=atol, what="scale")


@given(problems())
def test_staged_chain_rule_equals_compact_form(p: Problem) -> None:
    """All six quantities of the paper's chain rule against the compact form and its
    closed forms: dx_hat = γ g, dvar = -γ Σ g x_hat / (2 s²), dmu = -(γ/s) Σ g."""
    staged = bnref.batch_norm_vjp_paper(p.x, p.gamma, p.beta, p.g, eps=p.eps)
    dx, dgamma, dbeta = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)
    m = p.x.shape[0]
    k = kappa(p.x, st_.s)
    terms = (
        np.abs(p.gamma) / st_.s * (np.abs(p.g).sum(axis=0) + np.abs(p.g * st_.x_hat).sum(axis=0))
    )
    assert_close(staged.dx_hat, p.gamma * p.g, rtol=EPS, what="dx_hat")
    assert_close(
        staged.dvar,
        -p.gamma * dgamma / (2 * st_.s**2),
        atol=8 * EPS * m * k * terms / st_.s,
        what="dvar",
    )
    # the paper's second term of dmu is zero only up to the cancellation in Σ (x - mu)
    assert_close(staged.dmu, -p.gamma / st_.s * dbeta, atol=8 * EPS * m * k * terms, what="dmu")
    assert_close(staged.dx, dx, atol=dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g), what="dx")
    assert_close(
        staged.dgamma, dgamma, atol=8 * EPS * m * k * np.abs(p.g * st_.x_hat).sum(axis=0) + 1e-300
    )
    assert_close(staged.dbeta, dbeta, atol=2 * sum_atol(p.g), what="dbeta")


@given(problems(max_m=10, max_d=3))
def test_complex_step_agrees_with_dx(p: Problem) -> None:
    """Complex step in x: its error is the forward pass's rounding of the derivative (no
    cancellation of its own), so it agrees with dx to the dx rounding bound."""
    dx, _, _ = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)

    def loss(v: np.ndarray) -> Any:
        return np.sum(p.g * bnref.batch_norm(v, p.gamma, p.beta, eps=p.eps))

    cs = bnref.complex_step_gradient(loss, p.x)
    assert_close(cs, dx, atol=2 * dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g), what="dx")


@given(problems(max_m=10, max_d=3))
def test_complex_step_agrees_with_dgamma_and_dbeta(p: Problem) -> None:
    """Complex step in γ and β, the batch real (as the caller writes it)."""
    _, dgamma, dbeta = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)

    def loss_gamma(v: np.ndarray) -> Any:
        return np.sum(p.g * bnref.batch_norm(p.x, v, p.beta, eps=p.eps))

    def loss_beta(v: np.ndarray) -> Any:
        return np.sum(p.g * bnref.batch_norm(p.x, p.gamma, v, eps=p.eps))

    atol_g = 8 * EPS * p.x.shape[0] * kappa(p.x, st_.s) * np.abs(p.g * st_.x_hat).sum(axis=0)
    assert_close(bnref.complex_step_gradient(loss_gamma, p.gamma), dgamma, atol=atol_g)
    assert_close(bnref.complex_step_gradient(loss_beta, p.beta), dbeta, atol=2 * sum_atol(p.g))


@given(problems(max_m=10, max_d=3))
def test_finite_differences_agree_with_the_vjp(p: Problem) -> None:
    """Central differences with a step matched to the conditioning.

    The loss varies on the scale s, not |x|, so the step is delta ~ s (EPS kappa)^(1/3)
    (passed as a relative h). Error: truncation delta² |L'''| / 6 with |L'''| <= 10 |γ|/s³
    Σ|g| (third derivatives of x_hat are O(1/s³)), plus rounding err(L) / delta with
    err(L) <= 8 EPS m kappa |γ| Σ|g|. For centred data this is ~1e-10 of the gradient.
    """
    dx, dgamma, dbeta = _vjp(p)
    st_ = bnref.standardize(p.x, eps=p.eps)
    m = p.x.shape[0]
    k = kappa(p.x, st_.s)
    delta = st_.s * np.cbrt(EPS * k)
    h = float(np.min(delta / np.maximum(1.0, np.abs(p.x).max(axis=0))))
    delta_used = h * np.maximum(1.0, np.abs(p.x).max(axis=0))  # the largest step taken per unit

    def loss(v: np.ndarray) -> Any:
        return np.sum(p.g * bnref.batch_norm(v, p.gamma, p.beta, eps=p.eps))

    fd = bnref.finite_difference_gradient(loss, p.x, h=h)
    ag = np.abs(p.gamma) * np.abs(p.g).sum(axis=0)
    trunc = delta_used**2 / 6 * 10 * ag / st_.s**3
    # rounding of the whole loss (all units): its error is the sum over units
    err_loss = np.sum(8 * EPS * m * k * ag)
    h_min = h * np.maximum(1.0, np.abs(p.x).min(axis=0))
    atol = trunc + err_loss / h_min + dx_atol(p.x, st_.x_hat, p.gamma, st_.s, p.g)
    assert_close(fd, dx, atol=atol, what="dx")
    # linear in γ and β: no truncation error, only the rounding of the loss
    for value, grad, which in ((p.gamma, dgamma, "gamma"), (p.beta, dbeta, "beta")):

        def loss_p(v: np.ndarray, which: str = which) -> Any:
            gamma, beta = (v, p.beta) if which == "gamma" else (p.gamma, v)
            return np.sum(p.g * bnref.batch_norm(p.x, gamma, beta, eps=p.eps))

        fd_p = bnref.finite_difference_gradient(loss_p, value)
        magnitude = np.sum(np.abs(p.g) * (np.abs(st_.x_hat) * np.abs(p.gamma) + np.abs(p.beta)))
        atol_p = 8 * EPS * m * magnitude * np.max(k) / (1e-6 * np.maximum(1.0, np.abs(value)))
        assert_close(fd_p, grad, atol=atol_p + 8 * EPS * np.abs(grad), what=which)


# --------------------------------------------------------------------------------------------
# The forward/backward pair: batch_norm and batch_norm_vjp, split at the saved x - mu
# --------------------------------------------------------------------------------------------


@given(problems())
def test_forward_is_batch_norm(p: Problem) -> None:
    """batch_norm_forward computes y as batch_norm does, and saves standardize's statistics."""
    y, saved = bnref.batch_norm_forward(p.x, p.gamma, p.beta, eps=p.eps)
    np.testing.assert_array_equal(y, bnref.batch_norm(p.x, p.gamma, p.beta, eps=p.eps))
    st_ = bnref.standardize(p.x, eps=p.eps)
    for got, want in zip(saved[1:], st_[1:], strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(saved.centered * (1 / saved.s), st_.x_hat)


@given(problems(), st.booleans())
def test_backward_is_batch_norm_vjp(p: Problem, through_stats: bool) -> None:
    """Bit for bit, in both modes and for every eps (0, 1e-5, 0.5 and drawn ones)."""
    _, saved = bnref.batch_norm_forward(p.x, p.gamma, p.beta, eps=p.eps)
    got = bnref.batch_norm_backward(p.g, p.gamma, saved, through_stats=through_stats)
    want = _vjp(p, through_stats=through_stats)
    for u, v in zip(got, want, strict=True):
        np.testing.assert_array_equal(u, v)


@given(problems(max_m=8, max_d=3), st.booleans(), st.floats(1e-6, 1.0))
def test_backward_is_batch_norm_vjp_for_complex_input(
    p: Problem, through_stats: bool, tilt: float
) -> None:
    """Complex x and dy (the complex step runs through both): bit for bit as well."""
    x = p.x + 1j * tilt * np.abs(p.x).max() * np.roll(np.eye(*p.x.shape), 1, axis=0)
    g = p.g + 1j * tilt * np.roll(p.g, 1, axis=0)
    _, saved = bnref.batch_norm_forward(x, p.gamma, p.beta, eps=p.eps)
    got = bnref.batch_norm_backward(g, p.gamma, saved, through_stats=through_stats)
    want = bnref.batch_norm_vjp(x, p.gamma, p.beta, g, eps=p.eps, through_stats=through_stats)
    for u, v in zip(got, want, strict=True):
        np.testing.assert_array_equal(u, v)


@given(
    st.integers(2, 40),
    st.sampled_from([1, 7, 300, 1000, 2900, 8192, 9000]),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_pair_equals_plain_broadcasting(m: int, d: int, seed: int, through_stats: bool) -> None:
    """The long-row view of the per-unit updates (k rows as one, the leftover rows as they
    are) gives what plain numpy broadcasting gives, bit for bit, for any m and d."""
    rng = np.random.default_rng(seed)
    x, g = rng.standard_normal((2, m, d)) * rng.uniform(0.5, 2.0, d) + rng.normal(0, 10, d)
    gamma, beta = rng.standard_normal((2, d))
    mu = np.add.reduce(x, axis=0) / m
    xc = x - mu
    s = np.sqrt(np.einsum("ij,ij->j", xc, xc) / m + 1e-5)
    y, saved = bnref.batch_norm_forward(x, gamma, beta)
    np.testing.assert_array_equal(y, xc * (gamma / s) + beta)
    dbeta, dgamma = g.sum(axis=0), np.einsum("ij,ij->j", g, xc) / s
    if through_stats:
        dx = (xc * (-dgamma / (m * s)) - dbeta / m + g) * (gamma / s)
    else:
        dx = g * (gamma / s)
    got = bnref.batch_norm_backward(g, gamma, saved, through_stats=through_stats)
    for u, v in zip(got, (dx, dgamma, dbeta), strict=True):
        np.testing.assert_array_equal(u, v)


# --------------------------------------------------------------------------------------------
# Jacobians
# --------------------------------------------------------------------------------------------


@given(problems())
def test_jacobian_transpose_times_g_is_the_vjp(p: Problem) -> None:
    J = bnref.standardize_jacobian(p.x, eps=p.eps)
    ones, zeros = np.ones(p.x.shape[1]), np.zeros(p.x.shape[1])
    dx, _, _ = bnref.batch_norm_vjp(p.x, ones, zeros, p.g, eps=p.eps)
    st_ = bnref.standardize(p.x, eps=p.eps)
    jtg = np.einsum("kij,ik->jk", J, p.g)
    assert_close(jtg, dx, atol=dx_atol(p.x, st_.x_hat, ones, st_.s, p.g), what="J^T g")
    naive = bnref.standardize_jacobian(p.x, eps=p.eps, through_stats=False)
    dx_naive, _, _ = bnref.batch_norm_vjp(p.x, ones, zeros, p.g, eps=p.eps, through_stats=False)
    assert_close(np.einsum("kij,ik->jk", naive, p.g), dx_naive, rtol=4 * EPS, what="naive")


@given(problems(eps=st.just(0.0)))
def test_eps_zero_projector(p: Problem) -> None:
    """s J = I - 11ᵀ/m - x_hat x_hatᵀ/m is a symmetric idempotent of rank m - 2 that
    annihilates 1 and x_hat."""
    J = bnref.standardize_jacobian(p.x, eps=0.0)
    st_ = bnref.standardize(p.x, eps=0.0)
    m = p.x.shape[0]
    for k in range(p.x.shape[1]):
        P = st_.s[k] * J[k]
        tol = 8 * EPS * m * float(kappa(p.x, st_.s)[k]) * np.sqrt(m)
        assert_close(P, P.T, atol=4 * EPS, what="symmetric")
        assert_close(P @ P, P, atol=tol, what="idempotent")
        assert_close(P @ np.ones(m), 0.0, atol=tol, what="P 1")
        assert_close(P @ st_.x_hat[:, k], 0.0, atol=tol * np.sqrt(m), what="P x_hat")
        singular = np.linalg.svd(P, compute_uv=False)
        assert np.sum(singular > 0.5) == m - 2
        assert np.all((singular < tol) | (np.abs(singular - 1) < tol))


@given(st.integers(2, 40))
def test_center_jacobian_projector(m: int) -> None:
    J = bnref.center_jacobian(m)
    np.testing.assert_array_equal(J, J.T)
    assert_close(J @ J, J, atol=4 * m * EPS)
    singular = np.linalg.svd(J, compute_uv=False)
    assert np.sum(singular > 0.5) == m - 1
    assert np.all((singular < 4 * m * EPS) | (np.abs(singular - 1) < 4 * m * EPS))


# --------------------------------------------------------------------------------------------
# The drift runs
# --------------------------------------------------------------------------------------------


@given(
    problems(max_m=12, max_d=3, offsets=(0.0, 1.0, 1e3), scales=(1e-3, 1.0, 1e3)),
    st.floats(-3.0, 3.0),
    st.sampled_from([0.01, 0.1, 0.5]),
    st.integers(0, 25),
)
def test_bias_drift_closed_forms(p: Problem, b0: float, lr: float, steps: int) -> None:
    u, t = p.x, p.g
    m = u.shape[0]
    n = np.arange(steps + 1)[:, None]
    naive = bnref.bias_drift(u, t, b0=b0, lr=lr, steps=steps)
    expected = b0 + n * lr * t.sum(axis=0)
    mag = np.abs(u).max(axis=0) + np.abs(expected).max(axis=0) + np.abs(t).max(axis=0)
    atol = 8 * n * EPS * (np.abs(expected).max(axis=0) + lr * m * m * mag)
    assert_close(naive.b, expected, atol=atol, what="naive b_n")
    loss = 0.5 * np.sum((u - u.mean(axis=0) - t) ** 2)
    x_hat_err = 8 * EPS * m * (np.abs(u).max() + np.abs(expected).max())
    loss_atol = x_hat_err * np.sum(np.abs(u - u.mean(axis=0) - t)) + 1e-13 * loss
    assert_close(naive.loss, loss, atol=loss_atol, what="naive loss")
    exact = bnref.bias_drift(u, t, b0=b0, lr=lr, steps=steps, through_mean=True)
    g = u - u.mean(axis=0) - t
    per_step = 4 * lr * sum_atol(g) + 2 * EPS * abs(b0)
    assert_close(exact.b, b0, atol=n * per_step, what="exact b_n")
    assert_close(exact.loss, loss, atol=loss_atol, what="exact loss")


@given(problems(max_m=12, max_d=3, offsets=(0.0, 1.0, 1e3), scales=(1e-3, 1.0)))
def test_bias_gradient_after_centering_is_zero(p: Problem) -> None:
    """θ after the centering: b cancels whatever θ is."""
    for theta in ("identity", "tanh", "sigmoid", "relu"):
        grad = bnref.bias_gradient(p.x, 0.3, p.g, theta=theta, placement="after")  # type: ignore[arg-type]
        assert_close(grad, 0.0, atol=4 * sum_atol(p.g), what=theta)
