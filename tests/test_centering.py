"""Unit tests of :mod:`bnref.centering`: ``center``, ``center_vjp``, ``center_jacobian``."""

from __future__ import annotations

import numpy as np
import pytest

import bnref
from tests.conftest import EPS


def test_center_small_example() -> None:
    np.testing.assert_array_equal(
        bnref.center([[1.0, 10.0], [3.0, 20.0]]), [[-1.0, -5.0], [1.0, 5.0]]
    )


def test_center_is_over_examples_not_units() -> None:
    x = np.array([[1.0, 100.0, -3.0], [2.0, 200.0, -3.0], [6.0, 600.0, 0.0]])
    np.testing.assert_allclose(bnref.center(x), x - x.mean(axis=0, keepdims=True), rtol=0, atol=0)
    assert not np.allclose(bnref.center(x), x - x.mean(axis=1, keepdims=True))


def test_center_accepts_lists_and_ints() -> None:
    out = bnref.center([[1, 2], [3, 6]])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[-1.0, -2.0], [1.0, 2.0]])


def test_center_constant_unit_is_zero_up_to_rounding() -> None:
    x = np.full((7, 1), 0.1)
    assert np.abs(bnref.center(x)).max() <= 2 * EPS * 0.1


def test_center_complex_is_analytic() -> None:
    x = np.array([[1.0 + 2.0j], [3.0 - 1.0j], [5.0 + 0.5j]])
    np.testing.assert_allclose(bnref.center(x), x - x.mean(axis=0), rtol=0, atol=1e-15)


# --------------------------------------------------------------------------------------------
# center_vjp
# --------------------------------------------------------------------------------------------


def test_center_vjp_docstring_example() -> None:
    x, g = [[1.0], [2.0], [6.0]], [[1.0], [1.0], [4.0]]
    np.testing.assert_array_equal(bnref.center_vjp(x, g), [[-1.0], [-1.0], [2.0]])
    np.testing.assert_array_equal(bnref.center_vjp(x, g, through_mean=False), g)


def test_center_vjp_is_g_minus_its_mean(rng: np.random.Generator) -> None:
    x, g = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    np.testing.assert_allclose(bnref.center_vjp(x, g), g - g.mean(axis=0), rtol=0, atol=4 * EPS)


def test_center_vjp_does_not_depend_on_x(rng: np.random.Generator) -> None:
    """Centering is linear: its VJP is the same at every point."""
    g = rng.standard_normal((6, 4))
    a = bnref.center_vjp(rng.standard_normal((6, 4)), g)
    b = bnref.center_vjp(1e6 + rng.standard_normal((6, 4)), g)
    np.testing.assert_array_equal(a, b)


def test_center_vjp_exact_sums_to_zero_naive_keeps_the_sum(rng: np.random.Generator) -> None:
    x, g = rng.standard_normal((9, 3)), 3.0 + rng.standard_normal((9, 3))
    exact = bnref.center_vjp(x, g)
    naive = bnref.center_vjp(x, g, through_mean=False)
    assert np.abs(exact.sum(axis=0)).max() <= 9 * 9 * EPS * np.abs(g).max()
    np.testing.assert_allclose(naive.sum(axis=0), g.sum(axis=0), rtol=1e-15)
    # naive - exact = the all-ones component: mean(g) in every row
    np.testing.assert_allclose(naive - exact, np.broadcast_to(g.mean(axis=0), g.shape), atol=1e-14)


def test_center_vjp_is_the_transpose_of_the_jacobian(rng: np.random.Generator) -> None:
    m, d = 5, 3
    x, g = rng.standard_normal((m, d)), rng.standard_normal((m, d))
    for through_mean in (True, False):
        J = bnref.center_jacobian(m, through_mean=through_mean)
        np.testing.assert_allclose(
            bnref.center_vjp(x, g, through_mean=through_mean), J.T @ g, rtol=0, atol=1e-15
        )


def test_center_vjp_agrees_with_complex_step(rng: np.random.Generator) -> None:
    x, g = 100.0 + rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    grad = bnref.complex_step_gradient(lambda v: np.sum(g * bnref.center(v)), x)
    np.testing.assert_allclose(grad, bnref.center_vjp(x, g), rtol=0, atol=1e-13)


# --------------------------------------------------------------------------------------------
# center_jacobian
# --------------------------------------------------------------------------------------------


def test_center_jacobian_docstring_example() -> None:
    np.testing.assert_array_equal(bnref.center_jacobian(2), [[0.5, -0.5], [-0.5, 0.5]])


@pytest.mark.parametrize("m", [2, 3, 7, 16])
def test_center_jacobian_is_a_rank_m_minus_1_projector(m: int) -> None:
    J = bnref.center_jacobian(m)
    assert J.shape == (m, m)
    assert J.dtype == np.float64
    np.testing.assert_allclose(J, np.eye(m) - np.ones((m, m)) / m, rtol=0, atol=EPS)
    np.testing.assert_array_equal(J, J.T)
    np.testing.assert_allclose(J @ J, J, rtol=0, atol=4 * m * EPS)
    assert np.linalg.matrix_rank(J) == m - 1
    np.testing.assert_allclose(J @ np.ones(m), 0.0, atol=m * EPS)
    eigenvalues = np.sort(np.linalg.eigvalsh(J))
    np.testing.assert_allclose(eigenvalues, [0.0] + [1.0] * (m - 1), atol=4 * m * EPS)


def test_center_jacobian_matches_complex_step_of_center(rng: np.random.Generator) -> None:
    m = 6
    x = rng.standard_normal((m, 1))
    cols = []
    for j in range(m):
        probe = x.astype(complex)
        probe[j, 0] += 1e-20j
        cols.append(bnref.center(probe)[:, 0].imag / 1e-20)
    np.testing.assert_allclose(np.array(cols).T, bnref.center_jacobian(m), rtol=0, atol=1e-15)


def test_center_jacobian_naive_is_identity() -> None:
    np.testing.assert_array_equal(bnref.center_jacobian(4, through_mean=False), np.eye(4))


def test_center_jacobian_accepts_numpy_integers() -> None:
    np.testing.assert_array_equal(bnref.center_jacobian(np.int64(3)), bnref.center_jacobian(3))


def test_center_jacobian_is_fresh() -> None:
    a = bnref.center_jacobian(3)
    a[0, 0] = 42.0
    assert bnref.center_jacobian(3)[0, 0] != 42.0


@pytest.mark.parametrize("m", [1, 0])
def test_center_jacobian_needs_two_examples(m: int) -> None:
    with pytest.raises(
        ValueError, match=rf"^m must be an integer >= 2 \(a batch of at least two\); got {m}$"
    ):
        bnref.center_jacobian(m)


@pytest.mark.parametrize("m", [-1, 2.5, 3.0, True, "3", None])
def test_center_jacobian_rejects_non_integers(m: object) -> None:
    with pytest.raises(ValueError, match=rf"^m must be a non-negative integer; got {m!r}$"):
        bnref.center_jacobian(m)  # type: ignore[arg-type]
