"""Unit tests of :mod:`bnref.batchnorm`: Algorithm 1, its three backward passes, the
forward/backward pair that saves ``x - μ``, the Jacobian and the removed components, each
against a direct formula, a hand-computed value or the function it must equal bit for bit."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import bnref
from tests.conftest import EPS, Problem, assert_close, sum_atol, xhat_atol

# --------------------------------------------------------------------------------------------
# standardize: biased variance, eps inside the square root
# --------------------------------------------------------------------------------------------


def test_standardize_docstring_example() -> None:
    st = bnref.standardize([[1.0], [3.0]], eps=0.0)
    np.testing.assert_array_equal(st.x_hat, [[-1.0], [1.0]])
    np.testing.assert_array_equal(st.mu, [2.0])
    np.testing.assert_array_equal(st.var, [1.0])
    np.testing.assert_array_equal(st.s, [1.0])


def test_variance_is_biased_and_eps_is_inside_the_square_root() -> None:
    """x = (1, 3), eps = 0.5: biased var 1 (unbiased would be 2), s = sqrt(1.5) (eps outside
    would give 1.5; the unbiased variance would give sqrt(2.5))."""
    st = bnref.standardize([[1.0], [3.0]], eps=0.5)
    assert st.var[0] == 1.0
    assert st.s[0] == np.sqrt(1.5)
    assert_close(st.x_hat[:, 0], [-1.0 / np.sqrt(1.5), 1.0 / np.sqrt(1.5)], rtol=4 * EPS)


def test_standardize_against_the_direct_formula(small: Problem) -> None:
    x, eps = small.x, 0.3
    st = bnref.standardize(x, eps=eps)
    mu = x.sum(axis=0) / x.shape[0]
    var = ((x - mu) ** 2).sum(axis=0) / x.shape[0]
    assert_close(st.mu, mu, rtol=0, atol=sum_atol(x) / x.shape[0])
    assert_close(st.var, var, rtol=1e-13)
    assert_close(st.var, np.var(x, axis=0, ddof=0), rtol=1e-13)
    assert_close(st.s, np.sqrt(var + eps), rtol=1e-13)
    atol = xhat_atol(x, st.s)
    assert_close(st.x_hat, (x - mu) / np.sqrt(var + eps), rtol=0, atol=atol)


def test_standardize_default_eps_is_1e_minus_5(small: Problem) -> None:
    st = bnref.standardize(small.x)
    assert_close(st.s, np.sqrt(np.var(small.x, axis=0) + 1e-5), rtol=1e-13)


def test_standardize_with_eps_zero_has_mean_0_and_biased_variance_1(small: Problem) -> None:
    x_hat = bnref.standardize(small.x, eps=0.0).x_hat
    assert_close(x_hat.sum(axis=0), 0.0, atol=small.x.shape[0] * xhat_atol(small.x, 1.0))
    assert_close((x_hat**2).mean(axis=0), 1.0, rtol=1e-13)


def test_standardize_with_eps_has_norm_below_m(small: Problem) -> None:
    """|x_hat|^2 = m var / (var + eps) < m: the detail behind dx . x_hat != 0 for eps > 0."""
    eps = 0.5
    st = bnref.standardize(small.x, eps=eps)
    m = small.x.shape[0]
    assert_close((st.x_hat**2).sum(axis=0), m * st.var / (st.var + eps), rtol=1e-13)


def test_standardize_of_a_constant_unit_with_eps_is_zero() -> None:
    x = np.array([[1.0, 0.1], [2.0, 0.1], [4.0, 0.1]])
    st = bnref.standardize(x, eps=1e-5)
    assert st.s[1] == np.sqrt(st.var[1] + 1e-5)
    assert np.abs(st.x_hat[:, 1]).max() <= 4 * EPS * 0.1 / np.sqrt(1e-5)


def test_standardize_complex_is_analytic() -> None:
    """Complex input: (x - mu)**2, not |x - mu|**2, so the imaginary parts carry derivatives."""
    x = np.array([[1.0 + 0.5j], [2.0 - 0.25j], [6.0 + 0.0j]])
    st = bnref.standardize(x, eps=0.1)
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    assert_close(st.var, var, rtol=1e-13)
    assert st.var.imag[0] != 0.0  # |x - mu|^2 would be real
    assert_close(st.x_hat, (x - mu) / np.sqrt(var + 0.1), rtol=1e-13)


# --------------------------------------------------------------------------------------------
# batch_norm
# --------------------------------------------------------------------------------------------


def test_batch_norm_docstring_example() -> None:
    y = bnref.batch_norm([[1.0], [3.0]], gamma=[2.0], beta=[5.0], eps=0.0)
    np.testing.assert_array_equal(y, [[3.0], [7.0]])


def test_batch_norm_is_gamma_x_hat_plus_beta(small: Problem) -> None:
    for eps in (0.0, 1e-5, 0.5):
        st = bnref.standardize(small.x, eps=eps)
        y = bnref.batch_norm(small.x, small.gamma, small.beta, eps=eps)
        assert_close(y, small.gamma * st.x_hat + small.beta, rtol=1e-13, atol=1e-14)


def test_batch_norm_recovers_the_identity(small: Problem) -> None:
    """Section 3: gamma = sqrt(Var), beta = E[x] give back x (with eps = 0)."""
    st = bnref.standardize(small.x, eps=0.0)
    y = bnref.batch_norm(small.x, st.s, st.mu, eps=0.0)
    assert_close(y, small.x, rtol=1e-14, atol=1e-14)


def test_batch_norm_output_statistics(small: Problem) -> None:
    y = bnref.batch_norm(small.x, small.gamma, small.beta, eps=0.0)
    assert_close(y.mean(axis=0), small.beta, atol=1e-14)
    assert_close(y.std(axis=0), np.abs(small.gamma), rtol=1e-13)


# --------------------------------------------------------------------------------------------
# batch_norm_vjp
# --------------------------------------------------------------------------------------------


def test_batch_norm_vjp_docstring_example() -> None:
    x = [[1.0], [2.0], [6.0]]
    dx, dgamma, dbeta = bnref.batch_norm_vjp(x, [1.0], [0.0], [[1.0], [0.0], [0.0]], eps=0.0)
    # hand computation: mu = 3, var = 14/3, s = sqrt(14/3), x_hat = (-2, -1, 3)/s,
    # dx = (1/s)(g - 1/3 - x_hat * mean(g x_hat)) with mean(g x_hat) = -2/(3 s)
    s = np.sqrt(14.0 / 3.0)
    x_hat = np.array([-2.0, -1.0, 3.0]) / s
    expected = (np.array([1.0, 0.0, 0.0]) - 1.0 / 3.0 + x_hat * 2.0 / (3.0 * s)) / s
    assert_close(dx[:, 0], expected, rtol=1e-13)
    assert_close(dx.round(4)[:, 0], [0.1763, -0.2204, 0.0441], rtol=0, atol=0)
    assert_close(dgamma, [-2.0 / s], rtol=1e-13)
    np.testing.assert_array_equal(dbeta, [1.0])


def _compact(x: np.ndarray, gamma: np.ndarray, g: np.ndarray, eps: float) -> np.ndarray:
    m = x.shape[0]
    mu = x.mean(axis=0)
    s = np.sqrt(((x - mu) ** 2).mean(axis=0) + eps)
    x_hat = (x - mu) / s
    return (gamma / s) * (g - g.sum(axis=0) / m - x_hat * (g * x_hat).sum(axis=0) / m)


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_batch_norm_vjp_compact_formula(small: Problem, eps: float) -> None:
    dx, dgamma, dbeta = bnref.batch_norm_vjp(small.x, small.gamma, small.beta, small.g, eps=eps)
    x_hat = bnref.standardize(small.x, eps=eps).x_hat
    assert_close(dx, _compact(small.x, small.gamma, small.g, eps), rtol=1e-12, atol=1e-14)
    assert_close(dgamma, (small.g * x_hat).sum(axis=0), rtol=1e-13)
    assert_close(dbeta, small.g.sum(axis=0), rtol=0, atol=sum_atol(small.g))


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_batch_norm_vjp_naive_treats_the_statistics_as_constants(
    small: Problem, eps: float
) -> None:
    dx, dgamma, dbeta = bnref.batch_norm_vjp(
        small.x, small.gamma, small.beta, small.g, eps=eps, through_stats=False
    )
    st = bnref.standardize(small.x, eps=eps)
    assert_close(dx, small.gamma / st.s * small.g, rtol=1e-13)
    # the parameter gradients do not depend on the mode
    _, dgamma_exact, dbeta_exact = bnref.batch_norm_vjp(
        small.x, small.gamma, small.beta, small.g, eps=eps
    )
    np.testing.assert_array_equal(dgamma, dgamma_exact)
    np.testing.assert_array_equal(dbeta, dbeta_exact)


def test_batch_norm_vjp_does_not_depend_on_beta(small: Problem) -> None:
    a = bnref.batch_norm_vjp(small.x, small.gamma, small.beta, small.g)
    b = bnref.batch_norm_vjp(small.x, small.gamma, 100.0 + small.beta, small.g)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_batch_norm_vjp_on_a_constant_unit_with_eps() -> None:
    """x_hat = 0 there, so dx = (gamma/s)(g - mean g) and dgamma = 0."""
    x = np.array([[1.0, 2.0], [3.0, 2.0], [4.0, 2.0]])
    g = np.array([[1.0, 1.0], [0.5, -2.0], [0.0, 4.0]])
    gamma = np.array([1.0, 3.0])
    dx, dgamma, dbeta = bnref.batch_norm_vjp(x, gamma, np.zeros(2), g, eps=1e-3)
    s = np.sqrt(1e-3)
    assert_close(dx[:, 1], 3.0 / s * (g[:, 1] - g[:, 1].mean()), rtol=1e-13)
    assert dgamma[1] == 0.0
    assert dbeta[1] == 3.0


def test_batch_norm_vjp_matches_complex_step(small: Problem) -> None:
    x, gamma, beta, g = small[:4]
    f = lambda v: np.sum(g * bnref.batch_norm(v, gamma, beta, eps=1e-5))  # noqa: E731
    grad = bnref.complex_step_gradient(f, x)
    dx, _, _ = bnref.batch_norm_vjp(x, gamma, beta, g, eps=1e-5)
    assert_close(grad, dx, rtol=1e-12, atol=1e-13)


def test_batch_norm_vjp_parameter_gradients_match_complex_step(small: Problem) -> None:
    """Complex step in gamma and beta with a real batch (the bug this guards against: an
    in-place update of a real buffer with a complex parameter)."""
    x, gamma, beta, g = small[:4]
    _, dgamma, dbeta = bnref.batch_norm_vjp(x, gamma, beta, g)
    f_gamma = lambda v: np.sum(g * bnref.batch_norm(x, v, beta))  # noqa: E731
    f_beta = lambda v: np.sum(g * bnref.batch_norm(x, gamma, v))  # noqa: E731
    assert_close(bnref.complex_step_gradient(f_gamma, gamma), dgamma, rtol=1e-13)
    assert_close(bnref.complex_step_gradient(f_beta, beta), dbeta, rtol=1e-13)


def test_batch_norm_vjp_parameter_gradients_match_complex_step_with_complex_batch(
    small: Problem,
) -> None:
    """The same derivatives with the batch passed as complex (works today)."""
    x, gamma, beta, g = small[:4]
    xc = x.astype(complex)
    _, dgamma, dbeta = bnref.batch_norm_vjp(x, gamma, beta, g)
    f_gamma = lambda v: np.sum(g * bnref.batch_norm(xc, v, beta))  # noqa: E731
    f_beta = lambda v: np.sum(g * bnref.batch_norm(xc, gamma, v))  # noqa: E731
    assert_close(bnref.complex_step_gradient(f_gamma, gamma), dgamma, rtol=1e-13)
    assert_close(bnref.complex_step_gradient(f_beta, beta), dbeta, rtol=1e-13)


@pytest.mark.parametrize("through_stats", [True, False])
def test_batch_norm_vjp_with_complex_cotangent_and_real_batch(
    small: Problem, through_stats: bool
) -> None:
    """The VJP is linear in dy: a complex dy must give dx(Re dy) + i dx(Im dy)."""
    x, gamma, beta, g = small[:4]
    h = np.roll(g, 1, axis=0)
    kw = {"eps": 1e-5, "through_stats": through_stats}
    re = bnref.batch_norm_vjp(x, gamma, beta, g, **kw)
    im = bnref.batch_norm_vjp(x, gamma, beta, h, **kw)
    both = bnref.batch_norm_vjp(x, gamma, beta, g + 1j * h, **kw)
    for r, i, c in zip(re, im, both, strict=True):
        assert_close(c, r + 1j * i, rtol=1e-13, atol=1e-14)


# --------------------------------------------------------------------------------------------
# batch_norm_forward and batch_norm_backward: the pair that saves x - mu
# --------------------------------------------------------------------------------------------


def test_batch_norm_forward_docstring_example() -> None:
    y, saved = bnref.batch_norm_forward([[1.0], [3.0]], gamma=[2.0], beta=[5.0], eps=0.0)
    np.testing.assert_array_equal(y, [[3.0], [7.0]])
    np.testing.assert_array_equal(saved.centered, [[-1.0], [1.0]])
    np.testing.assert_array_equal(saved.mu, [2.0])
    np.testing.assert_array_equal(saved.var, [1.0])
    np.testing.assert_array_equal(saved.s, [1.0])


def test_batch_norm_backward_docstring_example() -> None:
    """The hand computation of test_batch_norm_vjp_docstring_example, through the pair."""
    _, saved = bnref.batch_norm_forward([[1.0], [2.0], [6.0]], [1.0], [0.0], eps=0.0)
    dx, dgamma, dbeta = bnref.batch_norm_backward([[1.0], [0.0], [0.0]], [1.0], saved)
    s = np.sqrt(14.0 / 3.0)
    x_hat = np.array([-2.0, -1.0, 3.0]) / s
    expected = (np.array([1.0, 0.0, 0.0]) - 1.0 / 3.0 + x_hat * 2.0 / (3.0 * s)) / s
    assert_close(dx[:, 0], expected, rtol=1e-13)
    assert_close(dgamma, [-2.0 / s], rtol=1e-13)
    np.testing.assert_array_equal(dbeta, [1.0])


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_batch_norm_forward_is_batch_norm_and_standardize(small: Problem, eps: float) -> None:
    """y is batch_norm's, bit for bit; the record holds standardize's statistics and x - mu."""
    y, saved = bnref.batch_norm_forward(small.x, small.gamma, small.beta, eps=eps)
    np.testing.assert_array_equal(y, bnref.batch_norm(small.x, small.gamma, small.beta, eps=eps))
    st = bnref.standardize(small.x, eps=eps)
    np.testing.assert_array_equal(saved.mu, st.mu)
    np.testing.assert_array_equal(saved.var, st.var)
    np.testing.assert_array_equal(saved.s, st.s)
    np.testing.assert_array_equal(saved.centered, small.x - st.mu)
    np.testing.assert_array_equal(saved.centered * (1 / saved.s), st.x_hat)


@pytest.mark.parametrize("through_stats", [True, False])
@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_batch_norm_backward_is_batch_norm_vjp(
    small: Problem, eps: float, through_stats: bool
) -> None:
    _, saved = bnref.batch_norm_forward(small.x, small.gamma, small.beta, eps=eps)
    got = bnref.batch_norm_backward(small.g, small.gamma, saved, through_stats=through_stats)
    want = bnref.batch_norm_vjp(
        small.x, small.gamma, small.beta, small.g, eps=eps, through_stats=through_stats
    )
    for u, v in zip(got, want, strict=True):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("through_stats", [True, False])
@pytest.mark.parametrize(
    ("x_kind", "g_kind"), [("complex", "real"), ("complex", "complex"), ("real", "complex")]
)
def test_batch_norm_backward_is_batch_norm_vjp_for_complex_input(
    small: Problem, x_kind: str, g_kind: str, through_stats: bool
) -> None:
    """Bit for bit when x is complex. A real x with a complex dy is equal to rounding only:
    batch_norm_vjp then computes x - mu, the variance and s in complex arithmetic (its buffer
    takes dy's dtype, to become dx), where the forward pass computed them in real."""
    x = small.x + 1e-3j * np.roll(small.x, 1) if x_kind == "complex" else small.x
    g = small.g + 0.5j * np.roll(small.g, 2) if g_kind == "complex" else small.g
    _, saved = bnref.batch_norm_forward(x, small.gamma, small.beta)
    got = bnref.batch_norm_backward(g, small.gamma, saved, through_stats=through_stats)
    want = bnref.batch_norm_vjp(x, small.gamma, small.beta, g, through_stats=through_stats)
    for u, v in zip(got, want, strict=True):
        assert u.dtype == v.dtype
        if x_kind == "complex":
            np.testing.assert_array_equal(u, v)
        else:  # a few roundings of the largest term (dx: of (gamma/s)|g|, see dx_terms)
            assert_close(u, v, atol=8 * EPS * np.abs(v).max(axis=0), what=str(u.shape))


def test_batch_norm_backward_matches_complex_step(small: Problem) -> None:
    """The pair is complex-analytic: the complex step through the forward pass gives the
    backward pass's dx, dgamma and dbeta."""
    x, gamma, beta, g = small[:4]
    _, saved = bnref.batch_norm_forward(x, gamma, beta)
    dx, dgamma, dbeta = bnref.batch_norm_backward(g, gamma, saved)
    loss = lambda x, gamma, beta: np.sum(g * bnref.batch_norm_forward(x, gamma, beta)[0])  # noqa: E731
    assert_close(
        bnref.complex_step_gradient(lambda v: loss(v, gamma, beta), x), dx, rtol=1e-12, atol=1e-13
    )
    assert_close(bnref.complex_step_gradient(lambda v: loss(x, v, beta), gamma), dgamma, rtol=1e-13)
    assert_close(bnref.complex_step_gradient(lambda v: loss(x, gamma, v), beta), dbeta, rtol=1e-13)


def test_batch_norm_backward_leaves_the_record_alone(small: Problem) -> None:
    """The record is read-only and a second backward pass with another dy is exact."""
    _, saved = bnref.batch_norm_forward(small.x, small.gamma, small.beta)
    assert not saved.centered.flags.writeable
    before = [a.copy() for a in saved]
    h = np.roll(small.g, 1, axis=0)
    bnref.batch_norm_backward(small.g, small.gamma, saved)
    second = bnref.batch_norm_backward(h, small.gamma, saved)
    for a, b in zip(saved, before, strict=True):
        np.testing.assert_array_equal(a, b)
    for u, v in zip(second, bnref.batch_norm_vjp(small.x, small.gamma, small.beta, h), strict=True):
        np.testing.assert_array_equal(u, v)
    for out in second:
        assert not any(np.shares_memory(out, a) for a in saved)


@pytest.mark.parametrize(("m", "d"), [(20, 1000), (9, 1000), (7, 3), (2, 9000), (64, 200)])
def test_long_row_view_equals_plain_broadcasting(m: int, d: int) -> None:
    """The per-unit updates view k rows as one (bnref.batchnorm._per_unit); shapes where k
    divides m, where rows are left over (20 = 2·9 + 2), where k = m, where d alone is long
    enough (k = 1), and a batch smaller than one long row (7 × 3, plain broadcasting) give what
    plain numpy broadcasting gives, bit for bit."""
    rng = np.random.default_rng(m * d)
    x, g = rng.standard_normal((2, m, d)) + 3.0
    gamma, beta = rng.standard_normal((2, d))
    mu = np.add.reduce(x, axis=0) / m
    xc = x - mu
    s = np.sqrt(np.einsum("ij,ij->j", xc, xc) / m + 1e-5)
    y, saved = bnref.batch_norm_forward(x, gamma, beta)
    np.testing.assert_array_equal(saved.centered, xc)
    np.testing.assert_array_equal(y, xc * (gamma / s) + beta)
    np.testing.assert_array_equal(bnref.standardize(x).x_hat, xc * (1 / s))
    dbeta = g.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", g, xc) / s
    dx = (xc * (-dgamma / (m * s)) - dbeta / m + g) * (gamma / s)
    for got in (
        bnref.batch_norm_backward(g, gamma, saved),
        bnref.batch_norm_vjp(x, gamma, beta, g),
    ):
        np.testing.assert_array_equal(got[0], dx)
        np.testing.assert_array_equal(got[1], dgamma)
        np.testing.assert_array_equal(got[2], dbeta)
    naive = bnref.batch_norm_backward(g, gamma, saved, through_stats=False)[0]
    np.testing.assert_array_equal(naive, g * (gamma / s))


def test_a_batch_smaller_than_one_long_row_is_not_tiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below _ROW values the long-row view costs more than it saves (np.tile per call)."""
    import bnref.batchnorm

    def no_tile(*args: object) -> None:
        raise AssertionError("np.tile called for a small batch")

    monkeypatch.setattr(bnref.batchnorm.np, "tile", no_tile)
    x = np.arange(21.0).reshape(7, 3) ** 1.5
    bnref.batch_norm_forward(x, np.ones(3), np.zeros(3))


def test_a_batch_of_no_units_gives_empty_results() -> None:
    """d = 0 is a valid (empty) batch, as before the long-row view: nothing to divide by k."""
    x, none = np.zeros((3, 0)), np.zeros(0)
    y, saved = bnref.batch_norm_forward(x, none, none)
    assert y.shape == saved.centered.shape == (3, 0)
    assert bnref.batch_norm(x, none, none).shape == (3, 0)
    assert bnref.standardize(x).x_hat.shape == (3, 0)
    for out in (bnref.batch_norm_backward(x, none, saved), bnref.batch_norm_vjp(x, none, none, x)):
        assert [a.shape for a in out] == [(3, 0), (0,), (0,)]


def _record(**fields: Any) -> bnref.BatchNormSaved:
    _, saved = bnref.batch_norm_forward(
        np.arange(15.0).reshape(5, 3) ** 1.5, np.ones(3), np.zeros(3)
    )
    return saved._replace(**fields)


@pytest.mark.parametrize(
    ("saved", "pattern"),
    [
        (None, r"^saved must be the BatchNormSaved record returned by .*; got NoneType$"),
        (
            tuple(_record()),
            r"^saved must be the BatchNormSaved record returned by batch_norm_forward; got tuple$",
        ),
        (
            bnref.standardize(np.eye(5, 3)),
            r"^saved must be the BatchNormSaved record .*; got Standardized$",
        ),
        (_record(centered=np.ones(5)), r"^saved.centered must be a 2-D array of shape \(m, d\)"),
        (_record(centered=np.ones((1, 3))), r"^saved.centered must have at least m = 2 examples"),
        (
            _record(mu=np.ones(4)),
            r"^saved.mu must have shape \(d,\) = \(3,\), one value per unit; got shape \(4,\)$",
        ),
        (_record(var=np.ones((1, 3))), r"^saved.var must have shape \(d,\) = \(3,\)"),
        (
            _record(s=np.ones(2)),
            r"^saved.s must have shape \(d,\) = \(3,\), one value per unit; got shape \(2,\)$",
        ),
        (_record(s=np.array([1.0, np.nan, 1.0])), r"^saved.s has 1 non-finite value\(s\)"),
        (
            _record(s=np.array([1.0, 0.0, -2.0])),
            r"^saved.s must be sqrt\(var \+ eps\) > 0 in every unit; "
            r"got s <= 0 in unit\(s\) k = \[1, 2\]$",
        ),
    ],
    ids=[
        "None",
        "tuple",
        "Standardized",
        "centered-1d",
        "centered-m1",
        "mu",
        "var",
        "s",
        "s-nan",
        "s-zero",
    ],
)
def test_batch_norm_backward_rejects_a_bad_record(saved: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_backward(np.ones((5, 3)), np.ones(3), saved)


@pytest.mark.parametrize("shape", [(5, 4), (4, 3), (3, 5), (5,), (5, 3, 1)], ids=str)
def test_batch_norm_backward_dy_must_match_the_record(shape: tuple[int, ...]) -> None:
    pattern = (
        rf"^dy must have the same shape as saved.centered, \(5, 3\); "
        rf"got shape {re.escape(str(shape))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        bnref.batch_norm_backward(np.ones(shape), np.ones(3), _record())


def test_batch_norm_backward_rejects_bad_gamma_dy_and_mode() -> None:
    saved = _record()
    with pytest.raises(
        ValueError,
        match=r"^gamma must have shape \(d,\) = \(3,\), one value per unit; got shape \(4,\)$",
    ):
        bnref.batch_norm_backward(np.ones((5, 3)), np.ones(4), saved)
    with pytest.raises(ValueError, match=r"^gamma has 1 non-finite value"):
        bnref.batch_norm_backward(np.ones((5, 3)), [1.0, np.inf, 1.0], saved)
    dy = np.ones((5, 3))
    dy[2, 1] = np.nan
    with pytest.raises(
        ValueError,
        match=r"^dy has 1 non-finite value\(s\) \(nan or inf\), the first at index \[2, 1\]",
    ):
        bnref.batch_norm_backward(dy, np.ones(3), saved)
    with pytest.raises(ValueError, match=r"^through_stats must be True or False; got 'False'$"):
        bnref.batch_norm_backward(np.ones((5, 3)), np.ones(3), saved, through_stats="False")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# batch_norm_vjp_paper: the staged chain rule as printed
# --------------------------------------------------------------------------------------------


def test_batch_norm_vjp_paper_docstring_example() -> None:
    staged = bnref.batch_norm_vjp_paper(
        [[1.0], [2.0], [6.0]], [1.0], [0.0], [[1.0], [0.0], [0.0]], eps=0.0
    )
    np.testing.assert_array_equal(staged.dx.round(4)[:, 0], [0.1763, -0.2204, 0.0441])


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_batch_norm_vjp_paper_each_line(small: Problem, eps: float) -> None:
    """Each staged quantity against the paper's formula written out independently here."""
    x, gamma, _, g = small[:4]
    m = x.shape[0]
    staged = bnref.batch_norm_vjp_paper(x, gamma, small.beta, g, eps=eps)
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    dx_hat = g * gamma
    dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dx_hat / np.sqrt(var + eps), axis=0) + dvar * np.sum(-2 * (x - mu), axis=0) / m
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    x_hat = (x - mu) / np.sqrt(var + eps)
    np.testing.assert_array_equal(staged.dx_hat, dx_hat)
    assert_close(staged.dvar, dvar, rtol=1e-13)
    assert_close(staged.dmu, dmu, rtol=1e-13)
    assert_close(staged.dx, dx, rtol=1e-12, atol=1e-14)
    assert_close(staged.dgamma, np.sum(g * x_hat, axis=0), rtol=1e-13)
    assert_close(staged.dbeta, g.sum(axis=0), rtol=0, atol=sum_atol(g))


def test_the_second_term_of_dmu_is_zero(small: Problem) -> None:
    """ "Before simplification": dmu = -(gamma/s) sum(g) exactly, the dvar term is 0."""
    staged = bnref.batch_norm_vjp_paper(small.x, small.gamma, small.beta, small.g, eps=1e-5)
    s = bnref.standardize(small.x, eps=1e-5).s
    assert_close(staged.dmu, -small.gamma / s * small.g.sum(axis=0), rtol=1e-13)


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_staged_equals_compact(small: Problem, eps: float) -> None:
    staged = bnref.batch_norm_vjp_paper(small.x, small.gamma, small.beta, small.g, eps=eps)
    dx, dgamma, dbeta = bnref.batch_norm_vjp(small.x, small.gamma, small.beta, small.g, eps=eps)
    assert_close(staged.dx, dx, rtol=1e-12, atol=1e-14)
    assert_close(staged.dgamma, dgamma, rtol=1e-13)
    assert_close(staged.dbeta, dbeta, rtol=0, atol=sum_atol(small.g))


# --------------------------------------------------------------------------------------------
# standardize_jacobian
# --------------------------------------------------------------------------------------------


def test_standardize_jacobian_docstring_example() -> None:
    J = bnref.standardize_jacobian([[0.0], [1.0], [5.0]], eps=0.0)
    assert J.shape == (1, 3, 3)
    assert np.abs(J[0].sum(axis=0)).max() < 1e-15


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_standardize_jacobian_formula_and_vjp(small: Problem, eps: float) -> None:
    x, g = small.x, small.g
    m, d = x.shape
    J = bnref.standardize_jacobian(x, eps=eps)
    st = bnref.standardize(x, eps=eps)
    assert J.shape == (d, m, m)
    dx, _, _ = bnref.batch_norm_vjp(x, np.ones(d), np.zeros(d), g, eps=eps)
    for k in range(d):
        xh = st.x_hat[:, k]
        expected = (np.eye(m) - 1.0 / m - np.outer(xh, xh) / m) / st.s[k]
        assert_close(J[k], expected, rtol=1e-13, atol=1e-14)
        assert_close(J[k].T @ g[:, k], dx[:, k], rtol=1e-12, atol=1e-14)


def test_standardize_jacobian_matches_complex_step(small: Problem) -> None:
    x = small.x
    m, d = x.shape
    J = bnref.standardize_jacobian(x, eps=1e-5)
    for k in range(d):
        for j in range(m):
            probe = x.astype(complex)
            probe[j, k] += 1e-20j
            column = bnref.standardize(probe, eps=1e-5).x_hat.imag / 1e-20
            assert_close(column[:, k], J[k][:, j], rtol=1e-13, atol=1e-14)
            others = np.delete(column, k, axis=1)
            assert np.all(others == 0.0)  # units do not interact


def test_standardize_jacobian_naive_is_identity_over_s(small: Problem) -> None:
    J = bnref.standardize_jacobian(small.x, eps=0.5, through_stats=False)
    s = bnref.standardize(small.x, eps=0.5).s
    m = small.x.shape[0]
    for k in range(small.x.shape[1]):
        assert_close(J[k], np.eye(m) / s[k], rtol=1e-13)


def test_standardize_jacobian_with_eps_has_rank_m_minus_1(small: Problem) -> None:
    """With eps > 0 the x_hat direction is only shrunk, by eps / (var + eps), not removed."""
    eps = 0.5
    st = bnref.standardize(small.x, eps=eps)
    J = bnref.standardize_jacobian(small.x, eps=eps)
    m = small.x.shape[0]
    for k in range(small.x.shape[1]):
        P = st.s[k] * J[k]
        eigenvalues = np.sort(np.linalg.eigvalsh(P))
        kept = eps / (st.var[k] + eps)
        assert_close(eigenvalues, [0.0, kept] + [1.0] * (m - 2), atol=1e-14)
        assert np.linalg.matrix_rank(P) == m - 1


# --------------------------------------------------------------------------------------------
# removed_components
# --------------------------------------------------------------------------------------------


def test_removed_components_docstring_example() -> None:
    x, g = [[1.0], [2.0], [6.0]], [[1.0], [0.0], [0.0]]
    r = bnref.removed_components(x, [1.0], g, eps=0.0)
    naive, _, _ = bnref.batch_norm_vjp(x, [1.0], [0.0], g, eps=0.0, through_stats=False)
    exact, _, _ = bnref.batch_norm_vjp(x, [1.0], [0.0], g, eps=0.0)
    assert_close(naive, exact + r.shift + r.scale, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.5])
def test_removed_components_are_the_dbeta_and_dgamma_requests(small: Problem, eps: float) -> None:
    x, gamma, beta, g = small[:4]
    m = x.shape[0]
    r = bnref.removed_components(x, gamma, g, eps=eps)
    st = bnref.standardize(x, eps=eps)
    _, dgamma, dbeta = bnref.batch_norm_vjp(x, gamma, beta, g, eps=eps)
    assert_close(r.shift, np.broadcast_to(gamma / st.s * dbeta / m, x.shape), rtol=1e-13)
    assert_close(r.scale, gamma / st.s * st.x_hat * dgamma / m, rtol=1e-13, atol=1e-15)
    naive, _, _ = bnref.batch_norm_vjp(x, gamma, beta, g, eps=eps, through_stats=False)
    exact, _, _ = bnref.batch_norm_vjp(x, gamma, beta, g, eps=eps)
    assert_close(naive, exact + r.shift + r.scale, rtol=1e-13, atol=1e-14)
    # the shift is constant over examples; the scale is along x_hat
    assert np.all(r.shift == r.shift[:1])
    shift_is_writable = r.shift.flags.writeable
    assert shift_is_writable  # a fresh array, not a broadcast view


# --------------------------------------------------------------------------------------------
# Extreme magnitudes: a correct result or a ValueError, never a silently wrong one
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e-200, 1e-160, 1e-150, 1e150, 1e155, 1e200])
def test_extreme_magnitudes_give_a_correct_result_or_a_value_error(scale: float) -> None:
    """With eps = 0 standardization is scale invariant, so x * scale must give the x_hat of x
    (to rounding) -- or, if the package cannot represent the variance, a ValueError. Squaring
    values beyond ~1e154 overflows the variance to inf, and below ~1e-154 it becomes
    subnormal or zero."""
    x = np.array([[1.0, -3.0], [2.0, 5.0], [4.0, 0.5]])
    reference = bnref.standardize(x, eps=0.0).x_hat
    try:
        got = bnref.standardize(x * scale, eps=0.0).x_hat
    except ValueError:
        return
    assert_close(got, reference, atol=1e-13)
