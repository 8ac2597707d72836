"""The public contract, checked uniformly over every public function of the core modules.

Every bad input named in the contract raises ``ValueError`` whose message names the argument,
what was received and what was expected; real input gives float64 ``ndarray`` output; complex
input stays complex128 and complex-step differentiation runs through every function; inputs
are never modified and no output aliases an input.

Each function enters through a :class:`Case` that knows its array arguments by *role*, so
one parametrized test covers every argument of every function in every mode
(``through_mean`` / ``through_stats`` True and False, ``placement`` before and after).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bnref

M, D = 5, 3


def valid_arrays(m: int = M, d: int = D, dtype: type = np.float64) -> dict[str, Any]:
    """One valid value per role, for a batch of ``m`` examples by ``d`` units."""
    rng = np.random.default_rng(1502)
    out: dict[str, Any] = {
        "x": rng.standard_normal((m, d)) + 2.0,  # a batch (x, u or h)
        "g": rng.standard_normal((m, d)),  # a cotangent or targets of the batch's shape
        "gamma": rng.uniform(0.5, 2.0, d),
        "beta": rng.standard_normal(d),
        "b_d": rng.standard_normal(d),  # a per-unit bias given as an array
        "t_unit": rng.standard_normal(m),  # targets of scale_drift, shape (m,)
        "w0": rng.uniform(0.5, 2.0, d),  # scale_drift's weights, p = d
    }
    return {k: np.asarray(v, dtype=dtype) for k, v in out.items()}


@dataclass(frozen=True)
class Case:
    """A public function with its array arguments by role and its fixed options."""

    id: str
    fn: Callable[..., Any]
    args: tuple[tuple[str, str], ...]  # (parameter name, role), passed positionally
    kwarrays: tuple[tuple[str, str], ...] = ()  # (parameter name, role), passed by keyword
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def batch(self) -> str:
        return self.args[0][0]

    def params(self) -> tuple[tuple[str, str], ...]:
        return self.args + self.kwarrays

    def call(self, arrays: dict[str, Any] | None = None, **override: Any) -> Any:
        """Call with valid arrays, replacing parameters named in ``override``."""
        arrays = valid_arrays() if arrays is None else arrays
        positional = [override.pop(p, arrays[role]) for p, role in self.args]
        kw = {p: override.pop(p, arrays[role]) for p, role in self.kwarrays}
        return self.fn(*positional, **kw, **{**self.options, **override})


X, G, GAMMA, BETA = ("x", "x"), ("g", "g"), ("gamma", "gamma"), ("beta", "beta")
DY = ("dy", "g")
U, T = ("u", "x"), ("t", "g")


def batch_norm_backward(
    x: Any, gamma: Any, beta: Any, dy: Any, *, eps: float = 1e-5, through_stats: bool = True
) -> Any:
    """``bnref.batch_norm_backward`` entered through ``x``, with the record of
    ``bnref.batch_norm_forward``: the pair a training step calls, so that the contract below
    (shapes, dtypes, finiteness, aliasing, the complex step through every argument) covers it.
    The backward pass's own checks of ``saved`` are in ``test_batchnorm.py``."""
    _, saved = bnref.batch_norm_forward(x, gamma, beta, eps=eps)
    return bnref.batch_norm_backward(dy, gamma, saved, through_stats=through_stats)


CASES = [
    Case("center", bnref.center, (X,)),
    Case("center_vjp", bnref.center_vjp, (X, G)),
    Case("center_vjp-naive", bnref.center_vjp, (X, G), options={"through_mean": False}),
    Case("standardize", bnref.standardize, (X,)),
    Case("batch_norm", bnref.batch_norm, (X, GAMMA, BETA)),
    Case("batch_norm_vjp", bnref.batch_norm_vjp, (X, GAMMA, BETA, DY)),
    Case(
        "batch_norm_vjp-naive",
        bnref.batch_norm_vjp,
        (X, GAMMA, BETA, DY),
        options={"through_stats": False},
    ),
    Case("batch_norm_forward", bnref.batch_norm_forward, (X, GAMMA, BETA)),
    Case("batch_norm_backward", batch_norm_backward, (X, GAMMA, BETA, DY)),
    Case(
        "batch_norm_backward-naive",
        batch_norm_backward,
        (X, GAMMA, BETA, DY),
        options={"through_stats": False},
    ),
    Case("batch_norm_vjp_paper", bnref.batch_norm_vjp_paper, (X, GAMMA, BETA, DY)),
    Case("standardize_jacobian", bnref.standardize_jacobian, (X,)),
    Case(
        "standardize_jacobian-naive",
        bnref.standardize_jacobian,
        (X,),
        options={"through_stats": False},
    ),
    Case("removed_components", bnref.removed_components, (X, GAMMA, DY)),
    Case("bias_drift", bnref.bias_drift, (U, T), (("b0", "b_d"),), {"steps": 3}),
    Case(
        "bias_drift-exact",
        bnref.bias_drift,
        (U, T),
        (("b0", "b_d"),),
        {"steps": 3, "through_mean": True},
    ),
    Case(
        "bias_drift_with_beta",
        bnref.bias_drift_with_beta,
        (U, T),
        (("b0", "b_d"), ("beta0", "beta")),
        {"steps": 3},
    ),
    Case(
        "bias_drift_with_beta-exact",
        bnref.bias_drift_with_beta,
        (U, T),
        (("b0", "b_d"), ("beta0", "beta")),
        {"steps": 3, "through_mean": True},
    ),
    Case(
        "scale_drift",
        bnref.scale_drift,
        (("h", "x"), ("t", "t_unit"), ("w0", "w0")),
        options={"steps": 3},
    ),
    Case(
        "scale_drift-exact",
        bnref.scale_drift,
        (("h", "x"), ("t", "t_unit"), ("w0", "w0")),
        options={"steps": 3, "through_stats": True, "eps": 1e-5},
    ),
    Case("layer_output-after", bnref.layer_output, (U, ("b", "b_d"))),
    Case(
        "layer_output-before",
        bnref.layer_output,
        (U, ("b", "b_d")),
        options={"placement": "before"},
    ),
    Case("bias_gradient-after", bnref.bias_gradient, (U, ("b", "b_d"), G)),
    Case(
        "bias_gradient-after-naive",
        bnref.bias_gradient,
        (U, ("b", "b_d"), G),
        options={"through_mean": False},
    ),
    Case(
        "bias_gradient-before",
        bnref.bias_gradient,
        (U, ("b", "b_d"), G),
        options={"placement": "before"},
    ),
    Case(
        "bias_gradient-before-naive",
        bnref.bias_gradient,
        (U, ("b", "b_d"), G),
        options={"placement": "before", "through_mean": False},
    ),
]
CASE_IDS = [c.id for c in CASES]

EPS_FUNCTIONS = {
    "standardize",
    "batch_norm",
    "batch_norm_vjp",
    "batch_norm_forward",
    "batch_norm_backward",
    "batch_norm_vjp_paper",
    "standardize_jacobian",
    "removed_components",
    "scale_drift",
}
RUN_FUNCTIONS = {"bias_drift", "bias_drift_with_beta", "scale_drift"}


def cases_where(pred: Callable[[Case], bool]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in CASES if pred(c)]


def params_where(pred: Callable[[Case, str, str], bool]) -> list[Any]:
    """``(case, parameter, role)`` triples over every array parameter of every case."""
    return [
        pytest.param(c, p, role, id=f"{c.id}-{p}")
        for c in CASES
        for p, role in c.params()
        if pred(c, p, role)
    ]


def arrays_in(value: Any) -> Iterator[np.ndarray]:
    """Every ndarray in a (possibly nested) result."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from arrays_in(item)


def test_cases_cover_the_core_public_api() -> None:
    """Every public callable of the core modules has a case here or a dedicated test."""
    covered = {c.fn.__name__ for c in CASES}
    dedicated = {"center_jacobian", "complex_step_gradient", "finite_difference_gradient"}
    core = set()
    for module in (bnref.centering, bnref.batchnorm, bnref.experiments, bnref.gradcheck):
        core |= {n for n in module.__all__ if callable(getattr(module, n))}
    named_tuples = {"Drift", "DriftWithBeta", "Removed", "ScaleRun", "StagedGradients"}
    named_tuples |= {"Standardized", "BatchNormSaved"}
    assert core - named_tuples == covered | dedicated


def test_all_is_complete_and_importable() -> None:
    """Every name in ``bnref.__all__`` resolves; ``from bnref import *`` gives exactly them;
    each core module's public names are re-exported; every public function or class defined
    in a core module is in that module's ``__all__``."""
    namespace: dict[str, Any] = {}
    exec("from bnref import *", namespace)  # the star import is what is tested
    namespace.pop("__builtins__")
    assert set(namespace) == set(bnref.__all__)
    assert len(bnref.__all__) == len(set(bnref.__all__))
    for name in bnref.__all__:
        assert getattr(bnref, name) is namespace[name]
    for module in (bnref.centering, bnref.batchnorm, bnref.experiments, bnref.gradcheck):
        assert set(module.__all__) <= set(bnref.__all__), module.__name__
        defined = {
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and callable(obj)
            and getattr(obj, "__module__", None) == module.__name__
        }
        assert defined <= set(module.__all__), (module.__name__, defined - set(module.__all__))


def test_package_is_typed() -> None:
    assert (Path(bnref.__file__).parent / "py.typed").is_file()


# --------------------------------------------------------------------------------------------
# The batch argument: 2-D, m >= 2
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_where(lambda c: True))
@pytest.mark.parametrize("shape", [(M,), (M, D, 1), ()], ids=["1d", "3d", "0d"])
def test_batch_must_be_2d(case: Case, shape: tuple[int, ...]) -> None:
    name = case.batch
    pattern = (
        rf"^{name} must be a 2-D array of shape \(m, d\), m examples by d units; "
        rf"got an array of shape {re.escape(str(shape))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(**{name: np.ones(shape)})


@pytest.mark.parametrize("case", cases_where(lambda c: True))
@pytest.mark.parametrize("m", [1, 0])
def test_batch_needs_two_examples(case: Case, m: int) -> None:
    name = case.batch
    pattern = (
        rf"^{name} must have at least m = 2 examples \(rows\) to compute batch statistics; "
        rf"got m = {m} \(shape \({m}, {D}\)\)$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(valid_arrays(m=max(m, 1)), **{name: np.ones((m, D))})


def test_two_examples_are_enough() -> None:
    for case in CASES:
        case.call(valid_arrays(m=2))


# --------------------------------------------------------------------------------------------
# Per-unit parameters: exactly (d,), never broadcast
# --------------------------------------------------------------------------------------------

BAD_PER_UNIT = [(1,), (1, D), (M, D), (), (D + 1,), (D, 1)]


@pytest.mark.parametrize(
    ("case", "param", "role"),
    # beta0 of bias_drift_with_beta may be a scalar: it is tested with the scalar-or-(d,) ones
    params_where(
        lambda c, p, r: r in {"gamma", "beta", "w0"} and c.fn is not bnref.bias_drift_with_beta
    ),
)
@pytest.mark.parametrize("shape", BAD_PER_UNIT, ids=str)
def test_per_unit_parameter_shape_is_exact(
    case: Case, param: str, role: str, shape: tuple[int, ...]
) -> None:
    pattern = (
        rf"^{param} must have shape \(d,\) = \({D},\), one value per unit; "
        rf"got shape {re.escape(str(shape))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(**{param: np.ones(shape)})


@pytest.mark.parametrize(
    ("case", "param", "role"),
    params_where(
        lambda c, p, r: r == "b_d" or (r == "beta" and c.fn is bnref.bias_drift_with_beta)
    ),
)
@pytest.mark.parametrize("shape", [(1,), (1, D), (M, D), (D + 1,)], ids=str)
def test_scalar_or_per_unit_parameter_shape(
    case: Case, param: str, role: str, shape: tuple[int, ...]
) -> None:
    pattern = (
        rf"^{param} must be a scalar or have shape \(d,\) = \({D},\); "
        rf"got shape {re.escape(str(shape))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(**{param: np.ones(shape)})


# --------------------------------------------------------------------------------------------
# Arrays that must match the batch's shape
# --------------------------------------------------------------------------------------------

BAD_SAME_SHAPE = [(M, D + 1), (M + 1, D), (D, M), (M,), (1, D), (M, 1), (M, D, 1)]


@pytest.mark.parametrize(("case", "param", "role"), params_where(lambda c, p, r: r == "g"))
@pytest.mark.parametrize("shape", BAD_SAME_SHAPE, ids=str)
def test_cotangent_and_targets_must_match_the_batch(
    case: Case, param: str, role: str, shape: tuple[int, ...]
) -> None:
    # the backward pass sees the forward's record, not x
    ref = "saved.centered" if case.fn is batch_norm_backward else case.batch
    pattern = (
        rf"^{param} must have the same shape as {ref}, \({M}, {D}\); "
        rf"got shape {re.escape(str(shape))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(**{param: np.ones(shape)})


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn is bnref.scale_drift))
@pytest.mark.parametrize("shape", [(M + 1,), (M - 1,), (M, 1), (1, M), ()], ids=str)
def test_scale_drift_targets_must_match_the_examples(case: Case, shape: tuple[int, ...]) -> None:
    pattern = (
        rf"^t must have the same shape as h\[:, 0\], \({M},\); got shape {re.escape(str(shape))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(t=np.ones(shape))


# --------------------------------------------------------------------------------------------
# Non-finite values, in every argument, in every mode
# --------------------------------------------------------------------------------------------


def _poison(value: np.ndarray, kind: str) -> tuple[np.ndarray, str]:
    """``value`` with non-finite entries; also the index the message must report first."""
    out = value.astype(np.complex128 if kind == "complex-nan" else np.float64)
    first = (1, D - 1) if out.ndim == 2 else (1,)
    second = (3, D - 1) if out.ndim == 2 else (2,)
    if kind in {"nan", "inf", "-inf"}:
        out[first] = float(kind)
    elif kind == "+inf-inf":  # both signs in one unit: their sum is nan, not inf
        out[first], out[second] = np.inf, -np.inf
    elif kind == "nan-inf":
        out[first], out[second] = np.nan, np.inf
    elif kind == "complex-nan":
        out[first] = complex(1.0, np.nan)
    else:  # pragma: no cover
        raise AssertionError(kind)
    index = str(list(first)) if out.ndim == 2 else str(first[0])
    return out, index


NONFINITE = ["nan", "inf", "-inf", "+inf-inf", "nan-inf", "complex-nan"]


@pytest.mark.parametrize(("case", "param", "role"), params_where(lambda c, p, r: True))
@pytest.mark.parametrize("kind", NONFINITE)
def test_nonfinite_values_are_rejected(case: Case, param: str, role: str, kind: str) -> None:
    poisoned, index = _poison(valid_arrays()[role], kind)
    count = 2 if kind in {"+inf-inf", "nan-inf"} else 1
    pattern = (
        rf"^{param} has {count} non-finite value\(s\) \(nan or inf\), "
        rf"the first at index {re.escape(index)}; expected finite values$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(**{param: poisoned})


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn is bnref.scale_drift))
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_scale_drift_bias_must_be_finite(case: Case, value: float) -> None:
    with pytest.raises(ValueError, match=r"^b0 has 1 non-finite value\(s\)"):
        case.call(b0=value)


@pytest.mark.parametrize(
    ("case", "param", "role"),
    params_where(lambda c, p, r: p in {"b0", "beta0"} and c.fn is not bnref.scale_drift),
)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_scalar_start_values_must_be_finite(
    case: Case, param: str, role: str, value: float
) -> None:
    """b0 and beta0 given as scalars (the arrays are covered above)."""
    pattern = rf"^{param} has 1 non-finite value\(s\) \((nan|inf|-inf)\); expected finite values$"
    with pytest.raises(ValueError, match=pattern):
        case.call(**{param: value})


@pytest.mark.parametrize(
    "case", cases_where(lambda c: c.fn in {bnref.layer_output, bnref.bias_gradient})
)
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_scalar_bias_must_be_finite(case: Case, value: float) -> None:
    with pytest.raises(ValueError, match=r"^b has 1 non-finite value\(s\)"):
        case.call(b=value)


# --------------------------------------------------------------------------------------------
# eps, lr, steps
# --------------------------------------------------------------------------------------------

BAD_EPS = [-1e-5, -1.0, -np.inf, np.nan, np.inf, True, "1e-5", 1j, None]


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn.__name__ in EPS_FUNCTIONS))
@pytest.mark.parametrize("eps", BAD_EPS, ids=repr)
def test_eps_must_be_finite_and_nonnegative(case: Case, eps: Any) -> None:
    pattern = rf"^eps must be a finite real number >= 0; got {re.escape(repr(eps))}$"
    with pytest.raises(ValueError, match=pattern):
        case.call(eps=eps)


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn.__name__ in EPS_FUNCTIONS))
@pytest.mark.parametrize(
    "eps", [0, 0.0, -0.0, 1e-300, np.float64(1e-5), np.float32(0.5), 7], ids=repr
)
def test_eps_accepts_any_real_number_at_least_zero(case: Case, eps: Any) -> None:
    case.call(eps=eps)


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn.__name__ in RUN_FUNCTIONS))
@pytest.mark.parametrize("lr", [np.nan, np.inf, -np.inf, True, "0.1", 1j, None], ids=repr)
def test_lr_must_be_finite(case: Case, lr: Any) -> None:
    with pytest.raises(
        ValueError, match=rf"^lr must be a finite real number; got {re.escape(repr(lr))}$"
    ):
        case.call(lr=lr)


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn.__name__ in RUN_FUNCTIONS))
@pytest.mark.parametrize("lr", [0, 0.0, -0.1, np.float32(0.1), 3], ids=repr)
def test_lr_accepts_any_finite_real(case: Case, lr: Any) -> None:
    case.call(lr=lr)


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn.__name__ in RUN_FUNCTIONS))
@pytest.mark.parametrize("steps", [2.5, -1, True, False, 3.0, "3", None, np.float64(2.0)], ids=repr)
def test_steps_must_be_a_nonnegative_integer(case: Case, steps: Any) -> None:
    pattern = rf"^steps must be a non-negative integer; got {re.escape(repr(steps))}$"
    with pytest.raises(ValueError, match=pattern):
        case.call(steps=steps)


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn.__name__ in RUN_FUNCTIONS))
@pytest.mark.parametrize("steps", [0, 1, np.int64(2), np.uint8(3)], ids=repr)
def test_steps_accepts_integers(case: Case, steps: Any) -> None:
    run = case.call(steps=steps)
    assert all(len(a) == int(steps) + 1 for a in run)


# --------------------------------------------------------------------------------------------
# eps == 0 with a unit of zero variance
# --------------------------------------------------------------------------------------------

EPS0_CASES = cases_where(lambda c: c.fn.__name__ in EPS_FUNCTIONS - {"scale_drift"})


@pytest.mark.parametrize("case", EPS0_CASES)
@pytest.mark.parametrize(
    ("flat", "column"),
    [
        ([1], 4.0),
        ([0, 2], -3.0),
        ([2], 0.1),  # constant, but its computed mean differs from 0.1 (see below)
        ([0, 1, 2], 0.0),
    ],
    ids=["unit1", "units0and2", "unit2-rounded-mean", "all"],
)
def test_eps_zero_with_a_flat_unit_names_the_unit(
    case: Case, flat: list[int], column: float
) -> None:
    x = valid_arrays(m=3)["x"].copy()
    x[:, flat] = column
    pattern = (
        rf"^x has zero variance in unit\(s\) k = {re.escape(str(flat))} and eps = 0, so the "
        r"normalization divides by zero there; expected eps > 0 or a unit whose values differ$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(valid_arrays(m=3), x=x, eps=0.0)


def test_rounded_mean_column_really_has_nonzero_computed_variance() -> None:
    """The third case above is not vacuous: numpy's mean of three 0.1 is not 0.1."""
    column = np.full(3, 0.1)
    assert column.mean() != 0.1
    assert np.mean((column - column.mean()) ** 2) > 0


@pytest.mark.parametrize("case", EPS0_CASES)
def test_eps_positive_with_a_flat_unit_is_fine(case: Case) -> None:
    x = valid_arrays()["x"].copy()
    x[:, 1] = 4.0
    for out in arrays_in(case.call(x=x, eps=1e-5)):
        assert np.isfinite(out).all()


@pytest.mark.parametrize("case", cases_where(lambda c: c.fn is bnref.scale_drift))
def test_scale_drift_zero_weights_with_eps_zero(case: Case) -> None:
    with pytest.raises(
        ValueError, match=r"^x has zero variance in unit\(s\) k = \[0\] and eps = 0"
    ):
        case.call(w0=np.zeros(D), eps=0.0)


# --------------------------------------------------------------------------------------------
# Non-numeric dtypes
# --------------------------------------------------------------------------------------------


def _non_numeric(shape: tuple[int, ...], kind: str) -> np.ndarray:
    if kind == "str":
        return np.full(shape, "1.0")
    if kind == "object":
        return np.full(shape, None, dtype=object)
    if kind == "datetime":
        return np.full(shape, np.datetime64("2015-02-11"))
    raise AssertionError(kind)  # pragma: no cover


@pytest.mark.parametrize(("case", "param", "role"), params_where(lambda c, p, r: True))
@pytest.mark.parametrize("kind", ["str", "object", "datetime"])
def test_non_numeric_dtype_is_rejected(case: Case, param: str, role: str, kind: str) -> None:
    bad = _non_numeric(valid_arrays()[role].shape, kind)
    pattern = (
        rf"^{param} must be a real or complex numeric array; got dtype {re.escape(str(bad.dtype))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        case.call(**{param: bad})


def test_ragged_lists_are_not_silently_accepted() -> None:
    with pytest.raises(ValueError, match="inhomogeneous"):
        bnref.center([[1.0, 2.0], [3.0]])


# --------------------------------------------------------------------------------------------
# Options with a fixed vocabulary
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [bnref.layer_output, bnref.bias_gradient])
@pytest.mark.parametrize("theta", ["softplus", "Tanh", "", None])
def test_unknown_theta(fn: Callable[..., Any], theta: Any) -> None:
    a = valid_arrays()
    args = (a["x"], 0.0) if fn is bnref.layer_output else (a["x"], 0.0, a["g"])
    pattern = (
        r"^theta must be one of \['identity', 'relu', 'sigmoid', 'tanh'\]; "
        rf"got {re.escape(repr(theta))}$"
    )
    with pytest.raises(ValueError, match=pattern):
        fn(*args, theta=theta)


@pytest.mark.parametrize("fn", [bnref.layer_output, bnref.bias_gradient])
@pytest.mark.parametrize("placement", ["middle", "Before", None])
def test_unknown_placement(fn: Callable[..., Any], placement: Any) -> None:
    a = valid_arrays()
    args = (a["x"], 0.0) if fn is bnref.layer_output else (a["x"], 0.0, a["g"])
    pattern = rf"^placement must be 'before' or 'after'; got {re.escape(repr(placement))}$"
    with pytest.raises(ValueError, match=pattern):
        fn(*args, placement=placement)


# --------------------------------------------------------------------------------------------
# Output types, dtypes, no mutation, no aliasing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_where(lambda c: True))
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32, np.float16, np.float64])
def test_real_input_gives_float64_ndarrays(case: Case, dtype: type) -> None:
    arrays = valid_arrays()
    if np.issubdtype(dtype, np.integer):  # integer data with spread in every unit
        arrays = {k: np.round(3 * v).astype(dtype) for k, v in arrays.items()}
        arrays["x"][0] += 1
        arrays["w0"] = np.abs(arrays["w0"]) + 1
    else:
        arrays = {k: v.astype(dtype) for k, v in arrays.items()}
    result = case.call(arrays)
    outputs = list(arrays_in(result))
    assert outputs
    for out in outputs:
        assert type(out) is np.ndarray
        assert out.dtype == np.float64
    # converted, not truncated or computed in the narrow type: same as float64 input
    as_float64 = case.call({k: v.astype(np.float64) for k, v in arrays.items()})
    for got, want in zip(outputs, arrays_in(as_float64), strict=True):
        np.testing.assert_array_equal(got, want)


def test_output_structure() -> None:
    a = valid_arrays()
    st = bnref.standardize(a["x"])
    assert isinstance(st, bnref.Standardized)
    assert st._fields == ("x_hat", "mu", "var", "s")
    assert st.x_hat.shape == (M, D)
    assert st.mu.shape == st.var.shape == st.s.shape == (D,)
    vjp = bnref.batch_norm_vjp(a["x"], a["gamma"], a["beta"], a["g"])
    assert isinstance(vjp, tuple)
    assert [v.shape for v in vjp] == [(M, D), (D,), (D,)]
    forward = bnref.batch_norm_forward(a["x"], a["gamma"], a["beta"])
    assert isinstance(forward, tuple)
    assert len(forward) == 2
    y, saved = forward
    assert y.shape == (M, D)
    assert isinstance(saved, bnref.BatchNormSaved)
    assert saved._fields == ("centered", "mu", "var", "s")
    assert [v.shape for v in saved] == [(M, D), (D,), (D,), (D,)]
    backward = bnref.batch_norm_backward(a["g"], a["gamma"], saved)
    assert isinstance(backward, tuple)
    assert [v.shape for v in backward] == [(M, D), (D,), (D,)]
    staged = bnref.batch_norm_vjp_paper(a["x"], a["gamma"], a["beta"], a["g"])
    assert isinstance(staged, bnref.StagedGradients)
    assert staged._fields == ("dx_hat", "dvar", "dmu", "dx", "dgamma", "dbeta")
    assert [v.shape for v in staged] == [(M, D), (D,), (D,), (M, D), (D,), (D,)]
    removed = bnref.removed_components(a["x"], a["gamma"], a["g"])
    assert isinstance(removed, bnref.Removed)
    assert removed._fields == ("shift", "scale")
    assert removed.shift.shape == removed.scale.shape == (M, D)
    assert bnref.standardize_jacobian(a["x"]).shape == (D, M, M)
    drift = bnref.bias_drift(a["x"], a["g"], steps=7)
    assert isinstance(drift, bnref.Drift)
    assert drift._fields == ("b", "loss")
    assert drift.b.shape == (8, D)
    assert drift.loss.shape == (8,)
    with_beta = bnref.bias_drift_with_beta(a["x"], a["g"], steps=7)
    assert isinstance(with_beta, bnref.DriftWithBeta)
    assert with_beta._fields == ("b", "beta", "loss")
    assert [v.shape for v in with_beta] == [(8, D), (8, D), (8,)]
    run = bnref.scale_drift(a["x"], a["t_unit"], a["w0"], steps=7)
    assert isinstance(run, bnref.ScaleRun)
    assert run._fields == ("w", "w_norm", "b", "loss")
    assert [v.shape for v in run] == [(8, D), (8,), (8,), (8,)]
    assert bnref.layer_output(a["x"], 0.0).shape == (M, D)
    assert bnref.bias_gradient(a["x"], 0.0, a["g"]).shape == (D,)


def _frozen_inputs(layout: str) -> dict[str, Any]:
    """Valid float64 arrays, read-only, in C order, Fortran order or as strided views."""
    out = {}
    for role, value in valid_arrays().items():
        if layout == "F":
            value = np.asfortranarray(value)
        elif layout == "strided":
            big = np.zeros(tuple(2 * n for n in value.shape))
            big[tuple(slice(None, None, 2) for _ in value.shape)] = value
            value = big[tuple(slice(None, None, 2) for _ in value.shape)]
        value.flags.writeable = False
        out[role] = value
    return out


@pytest.mark.parametrize("case", cases_where(lambda c: True))
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_inputs_are_not_modified_and_not_aliased(case: Case, layout: str) -> None:
    """float64 inputs are used without conversion, so aliasing would be possible: check it is
    not there. Read-only inputs make any in-place write fail loudly."""
    arrays = _frozen_inputs(layout)
    before = {k: v.copy() for k, v in arrays.items()}
    result = case.call(arrays)
    for role, value in arrays.items():
        np.testing.assert_array_equal(value, before[role])
    for out in arrays_in(result):
        for role, value in arrays.items():
            assert not np.shares_memory(out, value), f"output aliases the {role} input"
    # and the layout does not change the numbers
    reference = case.call(valid_arrays())
    for got, want in zip(arrays_in(result), arrays_in(reference), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_naive_center_vjp_returns_a_copy_of_g() -> None:
    a = valid_arrays()
    g = a["g"]
    dx = bnref.center_vjp(a["x"], g, through_mean=False)
    np.testing.assert_array_equal(dx, g)
    assert dx is not g
    assert not np.shares_memory(dx, g)
    dx[0, 0] += 1.0  # writing to the result leaves g alone
    assert g[0, 0] == valid_arrays()["g"][0, 0]


def test_scalar_bias_start_is_broadcast_into_a_fresh_array() -> None:
    a = valid_arrays()
    b0 = a["b_d"]
    run = bnref.bias_drift(a["x"], a["g"], b0=b0, steps=0)
    assert not np.shares_memory(run.b, b0)
    np.testing.assert_array_equal(run.b[0], b0)


# --------------------------------------------------------------------------------------------
# Complex input: stays complex128; complex-step differentiation runs through everything
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_where(lambda c: True))
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_input_gives_complex128(case: Case, dtype: type) -> None:
    arrays = {k: (v + 0.25j).astype(dtype) for k, v in valid_arrays().items()}
    for out in arrays_in(case.call(arrays)):
        assert type(out) is np.ndarray
        assert out.dtype == np.complex128


def _functional(case: Case, param: str, arrays: dict[str, Any]) -> Callable[[np.ndarray], Any]:
    """``v -> Σ w ⊙ outputs`` with the parameter ``param`` replaced by ``v`` and fixed
    weights ``w``: a scalar whose gradient exercises every output."""
    reference = list(arrays_in(case.call(arrays)))
    weights = [
        np.random.default_rng(7 + i).standard_normal(r.shape) for i, r in enumerate(reference)
    ]

    def f(v: np.ndarray) -> Any:
        outs = list(arrays_in(case.call(arrays, **{param: v})))
        return sum(np.sum(w * o) for w, o in zip(weights, outs, strict=True))

    return f


@pytest.mark.parametrize(("case", "param", "role"), params_where(lambda c, p, r: True))
def test_complex_step_runs_through_every_argument(case: Case, param: str, role: str) -> None:
    """Complex step (one argument complex, the others real, as a caller would do it) agrees
    with central differences.

    Tolerance: central differences with the package's relative step ``1e-6`` on inputs of
    order one have an error of about ``1e-12 / 1e-6 + 1e-12`` relative to the functional's
    magnitude; ``1e-7`` of the gradient's norm leaves a wide margin while still catching any
    dropped or conjugated imaginary part (an O(1) error).
    """
    arrays = valid_arrays()
    f = _functional(case, param, arrays)
    value = arrays[role]
    cs = bnref.complex_step_gradient(f, value)
    fd = bnref.finite_difference_gradient(f, value)
    scale = max(np.linalg.norm(fd), 1.0)
    np.testing.assert_allclose(cs, fd, rtol=0, atol=1e-7 * scale)


# --------------------------------------------------------------------------------------------
# Finite inputs whose sums overflow: reported like batch_norm_vjp reports them
# --------------------------------------------------------------------------------------------

OVERFLOW_CASES = [
    pytest.param(lambda a, big: bnref.center(big), "x", id="center-x"),
    pytest.param(lambda a, big: bnref.center_vjp(a["x"], big), "g", id="center_vjp-g"),
    pytest.param(
        lambda a, big: bnref.batch_norm_vjp(a["x"], a["gamma"], a["beta"], big),
        "dy",
        id="batch_norm_vjp-dy",
    ),
    pytest.param(
        lambda a, big: batch_norm_backward(a["x"], a["gamma"], a["beta"], big),
        "dy",
        id="batch_norm_backward-dy",
    ),
    pytest.param(
        lambda a, big: bnref.batch_norm_vjp_paper(a["x"], a["gamma"], a["beta"], big),
        "dy",
        id="batch_norm_vjp_paper-dy",
    ),
    pytest.param(
        lambda a, big: bnref.removed_components(a["x"], a["gamma"], big),
        "dy",
        id="removed_components-dy",
    ),
    pytest.param(
        lambda a, big: bnref.bias_gradient(a["x"], 0.0, big, placement="before"),
        "g",
        id="bias_gradient-g",
    ),
]


@pytest.mark.parametrize(("call", "name"), OVERFLOW_CASES)
def test_overflowing_sums_are_reported(call: Callable[..., Any], name: str) -> None:
    """Every value is finite but their sum over the batch is not: a ValueError naming the
    argument (as ``batch_norm_vjp`` already does for ``dy``), not inf in the output and not a
    numpy RuntimeWarning."""
    big = np.full((M, D), 1e308)
    big[0] = 0.9e308  # not constant, so a variance exists
    pattern = rf"^{name} overflows: its sum over the batch is not finite although every value is"
    with pytest.raises(ValueError, match=pattern):
        call(valid_arrays(), big)
