"""Unit tests of :mod:`bnref.gradcheck`: central differences and the complex step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import bnref
from tests.conftest import EPS, assert_close

# (function, its gradient) pairs, analytic, written with complex-analytic numpy operations.
KNOWN = {
    "cubic": (lambda v: np.sum(v**3), lambda v: 3 * v**2),
    "exp-sin": (
        lambda v: np.sum(np.exp(v) * np.sin(v)),
        lambda v: np.exp(v) * (np.sin(v) + np.cos(v)),
    ),
    "quadratic-form": (
        lambda v: v.ravel() @ np.arange(1.0, v.size**2 + 1).reshape(v.size, v.size) @ v.ravel(),
        lambda v: ((A := np.arange(1.0, v.size**2 + 1).reshape(v.size, v.size)) + A.T) @ v.ravel(),
    ),
    "log-sum-exp": (
        lambda v: np.log(np.sum(np.exp(v))),
        lambda v: np.exp(v) / np.sum(np.exp(v)),
    ),
}


def _point(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(11).uniform(-1.5, 1.5, shape)


@pytest.mark.parametrize("name", sorted(KNOWN))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
def test_complex_step_is_exact_to_rounding(name: str, shape: tuple[int, ...]) -> None:
    f, grad = KNOWN[name]
    x = _point(shape)
    want = np.reshape(grad(x), shape)
    got = bnref.complex_step_gradient(f, x)
    assert got.shape == shape
    assert got.dtype == np.float64
    assert_close(got, want, rtol=8 * EPS, atol=8 * EPS * np.abs(want).max())


@pytest.mark.parametrize("name", sorted(KNOWN))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
def test_central_differences_are_accurate_to_1e_minus_9(name: str, shape: tuple[int, ...]) -> None:
    """h = 1e-6: truncation h² f''' ~ 1e-12, rounding EPS |f| / h ~ 1e-10 for these f."""
    f, grad = KNOWN[name]
    x = _point(shape)
    want = np.reshape(grad(x), shape)
    got = bnref.finite_difference_gradient(f, x)
    assert got.shape == shape
    assert got.dtype == np.float64
    scale = max(1.0, float(np.abs(f(x))))
    assert_close(got, want, rtol=1e-9, atol=1e-9 * scale)


def test_docstring_examples() -> None:
    f = lambda v: np.sum(v**3)  # noqa: E731
    assert_close(bnref.finite_difference_gradient(f, [1.0, 2.0]), [3.0, 12.0], atol=1e-8)
    np.testing.assert_array_equal(bnref.complex_step_gradient(f, [1.0, 2.0]), [3.0, 12.0])


def test_integer_and_list_points_are_converted() -> None:
    f = lambda v: np.sum(v**2)  # noqa: E731
    for method in (bnref.finite_difference_gradient, bnref.complex_step_gradient):
        got = method(f, [1, 2, 3])
        assert got.dtype == np.float64
        assert_close(got, [2.0, 4.0, 6.0], rtol=1e-9)


def test_the_point_is_not_modified_and_f_sees_its_shape() -> None:
    x = np.arange(6.0).reshape(2, 3)
    x.flags.writeable = False
    shapes = []

    def f(v: np.ndarray) -> Any:
        shapes.append(v.shape)
        return np.sum(v)

    bnref.finite_difference_gradient(f, x)
    bnref.complex_step_gradient(f, x)
    assert set(shapes) == {(2, 3)}
    assert len(shapes) == 2 * 6 + 6  # two evaluations per entry, one per entry
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))


def test_f_may_return_python_or_numpy_scalars() -> None:
    x = np.array([0.5, 2.0])
    for f in (
        lambda v: float(np.sum(v**2).real) if v.dtype.kind == "f" else complex(np.sum(v**2)),
        lambda v: np.sum(v**2),
        lambda v: np.array(np.sum(v**2)),  # a 0-d array
    ):
        assert_close(bnref.finite_difference_gradient(f, x), 2 * x, rtol=1e-9)
        assert_close(bnref.complex_step_gradient(f, x), 2 * x, rtol=1e-15)


# --------------------------------------------------------------------------------------------
# The step: relative to |x| for large entries
# --------------------------------------------------------------------------------------------


def test_the_step_is_h_times_max_1_abs_x() -> None:
    """For f = x³ the central difference is exactly 3x² + δ², so the error reveals δ:
    δ = h for |x| <= 1 and δ = h |x| beyond (entry by entry)."""
    h = 1e-3
    x = np.array([0.5, -0.25, 3.0, -1e3, 1e6])
    # one entry at a time: in one sum the largest cube would drown the others
    fd = np.array([bnref.finite_difference_gradient(lambda v: v**3, xi, h=h) for xi in x])
    delta = h * np.maximum(1.0, np.abs(x))
    # rounding of f ~ x³ relative EPS, divided by 2δ
    rounding = 4 * EPS * np.abs(x) ** 3 / delta + 4 * EPS * 3 * x**2
    assert_close(fd - 3 * x**2, delta**2, atol=rounding + 1e-3 * delta**2)


def test_relative_step_keeps_large_offsets_accurate() -> None:
    """At x ~ 1e6 an absolute step of 1e-6 is drowned in the rounding of f ~ 1e18 (error
    EPS |f| / δ ~ 1e2 on a derivative 3e12: 3e-11 relative, fine) -- but for x ~ 1e10 it
    is hopeless; the relative step keeps the error at (δ/x)² = h²."""
    x = np.array([1e10, -3e10])
    fd = bnref.finite_difference_gradient(lambda v: np.sum(v**3), x)
    assert_close(fd, 3 * x**2, rtol=1e-9)


def test_large_offset_with_a_shift_invariant_function_needs_a_smaller_h() -> None:
    """Batch norm at offset 1e6 varies on the scale of its spread (1), not of |x| (1e6): the
    relative step must then be h = 1e-9 (δ = 1e-3) to keep truncation (δ² ~ 1e-6) and the
    rounding of the forward pass (EPS * 1e6 / δ ~ 1e-7) small."""
    rng = np.random.default_rng(3)
    x = 1e6 + rng.standard_normal((6, 2))
    g = rng.standard_normal((6, 2))
    gamma, beta = np.array([1.0, 2.0]), np.array([0.0, 1.0])

    def f(v: np.ndarray) -> Any:
        return np.sum(g * bnref.batch_norm(v, gamma, beta))

    dx, _, _ = bnref.batch_norm_vjp(x, gamma, beta, g)
    fd = bnref.finite_difference_gradient(f, x, h=1e-9)
    assert_close(fd, dx, atol=1e-5 * np.abs(dx).max())
    # the complex step needs no tuning: its error is the forward pass's rounding, EPS * 1e6
    cs = bnref.complex_step_gradient(f, x)
    assert_close(cs, dx, atol=64 * EPS * 1e6 * np.abs(dx).max())


def test_complex_step_with_a_tiny_h_has_no_cancellation() -> None:
    """h = 1e-200 still works: there is no subtraction."""
    x = np.array([0.3, 1.7])
    got = bnref.complex_step_gradient(lambda v: np.sum(np.sin(v)), x, h=1e-200)
    assert_close(got, np.cos(x), rtol=4 * EPS)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

METHODS = [bnref.finite_difference_gradient, bnref.complex_step_gradient]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "x", [[1.0 + 1j], np.array(["a"]), np.array([None], dtype=object)], ids=repr
)
def test_x_must_be_real_numeric(method: Any, x: Any) -> None:
    dtype = np.asarray(x).dtype
    with pytest.raises(ValueError, match=rf"^x must be a real numeric array; got dtype {dtype}$"):
        method(lambda v: np.sum(v), x)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_x_must_be_finite(method: Any, bad: float) -> None:
    with pytest.raises(
        ValueError, match=r"^x has 1 non-finite value\(s\) \(nan or inf\), the first at index 1"
    ):
        method(lambda v: np.sum(v), [0.0, bad, 2.0])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("h", [0.0, -1e-6, -np.inf], ids=repr)
def test_h_must_be_positive(method: Any, h: float) -> None:
    if not np.isfinite(h):
        pattern = rf"^h must be a finite real number; got {h!r}$"
    else:
        pattern = rf"^h must be a finite real number > 0; got {h!r}$"
    with pytest.raises(ValueError, match=pattern):
        method(lambda v: np.sum(v), [1.0], h=h)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("h", [np.nan, np.inf, "1e-6", True, None], ids=repr)
def test_h_must_be_a_finite_real(method: Any, h: Any) -> None:
    with pytest.raises(ValueError, match=rf"^h must be a finite real number; got {h!r}$"):
        method(lambda v: np.sum(v), [1.0], h=h)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("result_shape", [(2,), (1,), (1, 1)], ids=str)
def test_f_must_return_a_scalar(method: Any, result_shape: tuple[int, ...]) -> None:
    pattern = rf"^f must return a scalar; got an array of shape {result_shape!r}$".replace(
        "(", r"\("
    ).replace(")", r"\)")
    with pytest.raises(ValueError, match=pattern):
        method(lambda v: np.ones(result_shape) * np.sum(v), [1.0, 2.0])
