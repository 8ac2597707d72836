"""bnref/_compiled.py and bnref/_loops.py: the compiled loops give the numpy code's results bit
for bit, run only where they apply, and leave bnref working without numba.

Every public function that goes through the loops is compared with itself with the loops
switched off (``_compiled.ENABLED = False``): same bits, same errors. ``MIN_VALUES`` is lowered
so that hypothesis's small batches take the loops; one test keeps it and a batch of the
benchmark's size, with a spy to show the loops ran.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bnref
from bnref import _compiled


@pytest.fixture
def every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loops for any batch of d >= 2 units, however small."""
    monkeypatch.setattr(_compiled, "MIN_VALUES", 0)


def _all_results(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray) -> list[Any]:
    """Every public result that the loops compute, flattened to arrays."""
    y, saved = bnref.batch_norm_forward(x, gamma, beta)
    results = [y, *saved, bnref.batch_norm(x, gamma, beta), *bnref.standardize(x)]
    for through_stats in (True, False):
        results += bnref.batch_norm_backward(dy, gamma, saved, through_stats=through_stats)
        results += bnref.batch_norm_vjp(x, gamma, beta, dy, through_stats=through_stats)
    return results


def _numpy_results(monkeypatch: pytest.MonkeyPatch, *args: np.ndarray) -> list[Any]:
    with monkeypatch.context() as patch:
        patch.setattr(_compiled, "ENABLED", False)
        return _all_results(*args)


def _bits(results: list[Any]) -> list[bytes]:
    """Each result's bytes: equal bits, so 0.0 and -0.0 differ and nan equals itself."""
    return [np.ascontiguousarray(r).tobytes() for r in results]


# Batches of every kind the loops must match: centred, far from zero (the book's bias), tiny
# and huge magnitudes, exact zeros of both signs, and integers (many ties in the sums).
_kinds = st.sampled_from(["normal", "offset", "tiny", "huge", "signed zeros", "integers"])


def _batch(kind: str, rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    if kind == "signed zeros":
        return rng.choice([-0.0, 0.0, 1.0, -2.5], size=(m, d))
    if kind == "integers":
        return rng.integers(-3, 4, size=(m, d)).astype(float)
    scale, shift = {"normal": (1.0, 0.0), "offset": (1e-3, 1e6), "tiny": (1e-140, 0.0)}.get(
        kind, (1e140, -3.0)
    )
    return rng.normal(size=(m, d)) * scale + shift


@given(
    m=st.integers(2, 40),
    d=st.integers(2, 40),
    kind=_kinds,
    seed=st.integers(0, 2**32 - 1),
)
def test_the_loops_give_the_numpy_code_s_bits(m: int, d: int, kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _batch(kind, rng, m, d)
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    gamma[rng.random(d) < 0.2] = 0.0  # γ = 0: dγ and dx must still match
    dy = _batch(kind, rng, m, d)
    # not the fixture: hypothesis runs many examples in one call of the test
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compiled, "MIN_VALUES", 0)
        compiled = _all_results(x, gamma, beta, dy)
        numpy = _numpy_results(patch, x, gamma, beta, dy)
    assert _bits(compiled) == _bits(numpy)


def test_a_benchmark_sized_batch_takes_the_loops_and_matches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    m, d = 4096, 512
    assert m * d >= _compiled.MIN_VALUES
    x = rng.normal(size=(m, d)) * 3.0 + 50.0
    gamma, beta, dy = rng.normal(size=d), rng.normal(size=d), rng.normal(size=(m, d))
    loops = _compiled.loops(x)
    assert loops is not None
    calls: list[str] = []
    for name in ("center", "scale_shift", "sums", "dx"):
        real = getattr(loops, name)
        monkeypatch.setattr(loops, name, _spy(calls, name, real))
    compiled = _all_results(x, gamma, beta, dy)
    assert set(calls) == {"center", "scale_shift", "sums", "dx"}
    assert _bits(compiled) == _bits(_numpy_results(monkeypatch, x, gamma, beta, dy))


def _spy(calls: list[str], name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def spy(*args: Any) -> Any:
        calls.append(name)
        return real(*args)

    return spy


@pytest.mark.parametrize(
    "case",
    ["one unit", "too few values", "float32", "complex", "not contiguous", "switched off"],
)
def test_the_loops_apply_only_where_they_give_the_same_bits(
    monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    big = np.ones((512, 256))
    batch = {
        "one unit": np.ones((70_000, 1)),
        "too few values": np.ones((2, _compiled.MIN_VALUES // 2 - 1)),
        "float32": big.astype(np.float32),
        "complex": big.astype(complex),
        "not contiguous": np.ones((256, 512)).T,
        "switched off": big,
    }[case]
    assert _compiled.loops(big) is not None  # the reference case does take them
    assert _compiled.loops(big, np.ones(256, dtype=complex)) is None  # nor with a complex γ
    if case == "switched off":
        monkeypatch.setattr(_compiled, "ENABLED", False)
    assert _compiled.loops(batch) is None


@pytest.mark.parametrize("bad", ["nan in dy", "inf in dy", "dy overflows"])
def test_errors_are_the_numpy_code_s(
    every_batch: None, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    dy[2, 1] = {"nan in dy": np.nan, "inf in dy": np.inf, "dy overflows": 1e308}[bad]
    if bad == "dy overflows":
        dy[3, 1] = 1e308
    _, saved = bnref.batch_norm_forward(x, np.ones(3), np.zeros(3))
    messages = []
    for enabled in (True, False):
        monkeypatch.setattr(_compiled, "ENABLED", enabled)
        with pytest.raises(ValueError, match="dy") as error:
            bnref.batch_norm_backward(dy, np.ones(3), saved)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "dy" in messages[0]


def test_a_variance_that_overflows_is_reported_as_by_numpy(
    every_batch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.array([[1e200, 0.0], [-1e200, 1.0]])
    messages = []
    for enabled in (True, False):
        monkeypatch.setattr(_compiled, "ENABLED", enabled)
        with pytest.raises(ValueError, match="overflows") as error:
            bnref.batch_norm(x, np.ones(2), np.zeros(2))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "overflows" in messages[0]


def test_dx_may_overwrite_x_minus_mu(every_batch: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """batch_norm_vjp writes dx into its own x - μ buffer: each element is read, then written."""
    rng = np.random.default_rng(5)
    x, dy = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    compiled = bnref.batch_norm_vjp(x, np.full(4, 2.0), np.zeros(4), dy)
    monkeypatch.setattr(_compiled, "ENABLED", False)
    assert _bits(list(compiled)) == _bits(
        list(bnref.batch_norm_vjp(x, np.full(4, 2.0), np.zeros(4), dy))
    )


def test_numba_is_imported_only_for_a_batch_that_takes_the_loops() -> None:
    code = (
        "import sys, numpy as np, bnref\n"
        "bnref.batch_norm(np.arange(12.0).reshape(4, 3), np.ones(3), np.zeros(3))\n"
        "assert 'numba' not in sys.modules, 'a small batch imported numba'\n"
        "bnref.batch_norm(np.random.default_rng(0).normal(size=(512, 256)), np.ones(256), "
        "np.zeros(256))\n"
        "assert 'numba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """As before bnref's first large batch: numba not loaded yet, the loops not switched off."""
    monkeypatch.setattr(_compiled, "_loops", None)
    monkeypatch.setattr(_compiled, "ENABLED", True)


@pytest.mark.parametrize(
    "failure",
    [
        ImportError("Numba needs NumPy 2.3 or less"),
        RuntimeError("cannot cache function 'center': no locator available for file"),
    ],
)
def test_a_numba_that_cannot_run_the_loops_leaves_the_numpy_code(
    first_use: None, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def fail(name: str) -> None:
        raise failure

    monkeypatch.setattr(_compiled.importlib, "import_module", fail)
    x = np.random.default_rng(1).normal(size=(512, 256))
    with pytest.warns(RuntimeWarning, match="numba is installed but cannot run bnref's loops"):
        y = bnref.batch_norm(x, np.ones(256), np.zeros(256))
    assert _compiled.ENABLED is False
    assert _compiled.loops(x) is None
    monkeypatch.undo()
    assert np.array_equal(y, bnref.batch_norm(x, np.ones(256), np.zeros(256)))


def test_numba_with_its_jit_switched_off_leaves_the_numpy_code(
    first_use: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NUMBA_DISABLE_JIT=1 would run the loops as Python: a thousand times slower."""
    import numba

    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    assert _compiled.loops(np.ones((512, 256))) is None
    assert _compiled.ENABLED is False


def test_a_numpy_whose_einsum_fuses_multiply_add_is_detected() -> None:
    """The probe tells two roundings per term (numpy's einsum here, the loops) from one."""
    from fractions import Fraction

    loops = _compiled.loops(np.ones((512, 256)))
    assert loops is not None
    assert _compiled._same_sums(loops)  # this numpy's einsum rounds the product, then the sum

    def fused_sums(g: Any, xc: Any, sum_g: Any, sum_gxc: Any) -> None:  # one rounding per term
        for k in range(g.shape[1]):
            exact = Fraction(0)
            for i in range(g.shape[0]):
                exact = Fraction(float(exact + Fraction(g[i, k]) * Fraction(xc[i, k])))
            sum_gxc[k] = float(exact)

    class Fused:
        sums = staticmethod(fused_sums)

    assert not _compiled._same_sums(Fused)


def test_the_loops_return_numpy_s_overflows_without_its_warning(
    every_batch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A documented difference: γ = 1e308 overflows y to infinity in both codes; numpy warns."""
    x = np.random.default_rng(2).normal(size=(40, 3)) * 10.0
    gamma = np.full(3, 1e308)
    compiled = bnref.batch_norm(x, gamma, np.zeros(3))
    assert np.isinf(compiled).any()
    monkeypatch.setattr(_compiled, "ENABLED", False)
    with pytest.warns(RuntimeWarning, match="overflow"):
        numpy = bnref.batch_norm(x, gamma, np.zeros(3))
    assert _bits([compiled]) == _bits([numpy])
