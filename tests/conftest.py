"""Shared fixtures, hypothesis strategies and rounding bounds for the bnref test suite.

Determinism: every random array comes from ``np.random.default_rng(seed)`` with a fixed or a
hypothesis-drawn seed, and the hypothesis profile is derandomized (no example database), so
two runs of the suite execute exactly the same examples.

Tolerances follow the conditioning of each computation. The quantities below are the
building blocks; each test states which bound it uses and why.

* ``EPS`` is the float64 unit roundoff times two (``np.finfo(float).eps``, 2.2e-16).
* ``kappa(x, s)`` is the cancellation factor of a unit: the largest magnitude in the unit
  divided by the divisor ``s = sqrt(var + eps)``. Subtracting the mean cancels the leading
  digits of ``x``, so a quantity of order one computed from ``x - mu`` carries an absolute
  error of about ``EPS * kappa``; for well-centred data ``kappa`` is of order ``sqrt(m)`` and
  the bound degenerates to a relative 1e-14-ish tolerance.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EPS = float(np.finfo(np.float64).eps)

# Derandomized, no example database, no deadline (timings on a shared 2-core machine are
# noisy). The default profile keeps the whole suite fast; ``HYPOTHESIS_PROFILE=bnref-thorough``
# runs many more examples of the very same properties (used to validate the rounding bounds).
settings.register_profile(
    "bnref",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "bnref-thorough",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=2000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bnref"))


# --------------------------------------------------------------------------------------------
# Rounding bounds
# --------------------------------------------------------------------------------------------


def kappa(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Per-unit cancellation factor ``max_i |x_ik| / s_k + 1`` (shape ``(d,)``)."""
    return np.max(np.abs(x), axis=0) / s + 1.0


def xhat_atol(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Absolute rounding bound for ``x_hat`` (shape ``(d,)``, broadcast over rows).

    ``x - mu`` is exact up to ``ulp(max|x|)`` per entry plus the error of the mean (at most
    ``log2(m)`` roundings of ``max|x|`` with pairwise summation; we allow ``m``); the
    variance then has a relative error of about ``2 EPS kappa``, which moves ``x_hat`` by a
    further ``|x_hat| <= sqrt(m)`` times half of that. Hence ``8 EPS sqrt(m) kappa``.
    """
    m = x.shape[0]
    return 8.0 * EPS * np.sqrt(m) * kappa(x, s)


# --------------------------------------------------------------------------------------------
# Batches and problems
# --------------------------------------------------------------------------------------------

OFFSETS = (0.0, 1.0, 1e3, 1e6)
SCALES = (1e-6, 1e-3, 1.0, 1e3)
EPS_CHOICES = (0.0, 1e-5, 0.5)


def make_batch(
    rng: np.random.Generator, m: int, d: int, *, offset: float, scale: float, kind: str
) -> np.ndarray:
    """An ``(m, d)`` batch with per-unit offsets up to ``offset`` and spreads near ``scale``.

    Every unit has at least two distinct values (so its variance is positive). ``kind``
    shapes the distribution: ``normal``, ``uniform``, ``ties`` (small integers, many repeated
    values) or ``outlier`` (one example far out).
    """
    if kind == "normal":
        z = rng.standard_normal((m, d))
    elif kind == "uniform":
        z = rng.uniform(-1.0, 1.0, (m, d))
    elif kind == "ties":
        z = rng.integers(-2, 3, (m, d)).astype(np.float64)
        z[0], z[1] = -1.0, 1.0
    elif kind == "outlier":
        z = rng.standard_normal((m, d))
        z[rng.integers(m)] *= 30.0
    else:  # pragma: no cover - programming error in a test
        raise AssertionError(kind)
    z[0] -= 1.0  # never a constant unit, even for m = 2 with equal draws
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    centre = offset * rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 1.0, d)
    spread = scale * rng.uniform(0.5, 2.0, d)
    return centre + spread * z


class Problem(NamedTuple):
    """One forward/backward configuration: batch, parameters, cotangent and eps."""

    x: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    g: np.ndarray
    eps: float
    offset: float
    scale: float


eps_values = st.one_of(
    st.sampled_from(EPS_CHOICES),
    st.floats(min_value=1e-8, max_value=10.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    max_m: int = 20,
    max_d: int = 5,
    offsets: tuple[float, ...] = OFFSETS,
    scales: tuple[float, ...] = SCALES,
    eps: st.SearchStrategy[float] = eps_values,
) -> Problem:
    """A :class:`Problem` of shape ``(m, d)`` with ``2 <= m <= max_m`` and ``1 <= d <= max_d``."""
    m = draw(st.integers(2, max_m), label="m")
    d = draw(st.integers(1, max_d), label="d")
    offset = draw(st.sampled_from(offsets), label="offset")
    scale = draw(st.sampled_from(scales), label="scale")
    kind = draw(st.sampled_from(["normal", "uniform", "ties", "outlier"]), label="kind")
    g_scale = draw(st.sampled_from([1e-3, 1.0, 1e3]), label="g_scale")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    x = make_batch(rng, m, d, offset=offset, scale=scale, kind=kind)
    gamma = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    beta = rng.standard_normal(d)
    g = g_scale * rng.standard_normal((m, d))
    return Problem(x, gamma, beta, g, draw(eps, label="eps"), offset, scale)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed for each test."""
    return np.random.default_rng(20150211)  # arXiv 1502.03167 was submitted on 2015-02-11


@pytest.fixture
def small(rng: np.random.Generator) -> Problem:
    """A well-conditioned (5, 3) problem with eps = 1e-5."""
    x = rng.standard_normal((5, 3)) * [1.0, 2.0, 0.5] + [0.3, -1.0, 4.0]
    gamma = np.array([1.5, -0.7, 2.0])
    beta = np.array([0.1, 0.2, -0.3])
    g = rng.standard_normal((5, 3))
    return Problem(x, gamma, beta, g, 1e-5, 4.0, 1.0)


def sum_atol(terms: np.ndarray, axis: int = 0) -> np.ndarray:
    """Rounding bound for a sum (or mean times count) of ``terms`` along ``axis``.

    Any summation order errs by at most ``(n - 1) EPS Σ|terms|`` (to first order); a sum
    that cancels must be compared with this absolute bound, never with a relative one.
    """
    n = terms.shape[axis]
    return n * EPS * np.abs(terms).sum(axis=axis)


# Set BNREF_TOLERANCE_REPORT=1 to print, at the end of the run, the largest observed
# error/bound ratio of every assert_close call site: how much room each bound leaves.
_RATIOS: dict[str, float] | None = {} if os.environ.get("BNREF_TOLERANCE_REPORT") else None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _RATIOS:
        terminalreporter.section("largest error/bound ratios")
        for key, ratio in sorted(_RATIOS.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{ratio:10.3g}  {key}")


def assert_close(
    actual: object,
    desired: object,
    *,
    atol: object = 0.0,
    rtol: float = 0.0,
    what: str = "",
) -> None:
    """``|actual - desired| <= atol + rtol |desired|`` elementwise, with array-valued ``atol``
    broadcast against the operands (``np.testing.assert_allclose`` takes scalars only).

    The failure message reports the worst element and how far over its bound it is.
    """
    a = np.asarray(actual)
    b = np.asarray(desired)
    a, b = np.broadcast_arrays(a, b)
    bound = np.broadcast_to(np.asarray(atol, dtype=np.float64), a.shape) + rtol * np.abs(b)
    err = np.abs(a - b)
    if _RATIOS is not None and err.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            worst = float(np.nanmax(np.where(bound > 0, err / bound, 0.0)))
        key = f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]} {what}"
        _RATIOS[key] = max(_RATIOS.get(key, 0.0), worst)
    if not np.all(np.isfinite(a) == np.isfinite(b)) or np.any(err > bound):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bound > 0, err / bound, np.where(err > 0, np.inf, 0.0))
        worst = np.unravel_index(int(np.nanargmax(ratio)), ratio.shape) if ratio.ndim else ()
        raise AssertionError(
            f"{what} not close: {int(np.sum(err > bound))}/{err.size} elements exceed the bound; "
            f"worst at {worst}: actual {a[worst]!r}, desired {b[worst]!r}, "
            f"|diff| {err[worst]:.3e} vs bound {bound[worst]:.3e} (ratio {ratio[worst]:.3g})"
        )


def dx_terms(x_hat: np.ndarray, gamma: np.ndarray, s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Elementwise magnitude of the terms of ``dx = (γ/s)(g - mean g - x_hat mean(g x_hat))``.

    The computed ``dx`` is a sum of these terms; its rounding error is a few ``EPS`` times
    them, and times ``kappa`` where ``x_hat`` itself inherits the cancellation error.
    """
    mean_abs_g = np.abs(g).mean(axis=0)
    mean_abs_gx = np.abs(g * x_hat).mean(axis=0)
    return np.abs(gamma) / s * (np.abs(g) + mean_abs_g + np.abs(x_hat) * mean_abs_gx)


def dx_atol(
    x: np.ndarray, x_hat: np.ndarray, gamma: np.ndarray, s: np.ndarray, g: np.ndarray
) -> np.ndarray:
    """Per-unit absolute rounding bound (shape ``(d,)``) for any entry of a computed ``dx``:
    ``8 EPS m kappa max_i terms_i``."""
    m = x.shape[0]
    return 8.0 * EPS * m * kappa(x, s) * dx_terms(x_hat, gamma, s, g).max(axis=0)
