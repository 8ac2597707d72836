"""bnref.explorables: the grids are bnref's own numbers, sized for a page, and bad input fails."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import bnref
from bnref import explorables

# The pages' running batches (docs/example.md, docs/scaling.md, docs/statistics.md).
_rng = np.random.default_rng(0)
U = _rng.normal(1.0, 1.0, size=(5, 1)).round(2)
T = _rng.normal(0.5, 1.0, size=(5, 1)).round(2)
B, LR = 0.5, 0.1
H = bnref.center(np.random.default_rng(1).normal(size=(32, 1)))
POP = np.array([-2.0, 0.0, 1.0, 3.0, 8.0])


@pytest.fixture(scope="module")
def figures() -> dict[str, explorables.Explorable]:
    return {
        "identity": explorables.identity(U, T, B, lr=LR),
        "drift": explorables.drift(U, T, B, lr=LR, n=60),
        "scaling": explorables.scaling(H, 0.3, lr=0.05, steps=45, a=0.5, w0=3.0),
        "inference": explorables.inference(POP, m=3),
    }


def _num(text: str) -> float:
    return float(text.replace("\u2212", "-").replace(",", ""))


def test_one_frame_per_grid_point(figures: dict[str, explorables.Explorable]) -> None:
    for fig in figures.values():
        sizes = [len(c[2]) for c in fig.controls]
        assert len(fig.frames) == int(np.prod(sizes))
        assert fig.default_key in fig.frames
        keys = {",".join(map(str, k)) for k in np.ndindex(*sizes)}
        assert set(fig.frames) == keys
        # every frame sets the same elements and outputs: the script only copies them
        first = next(iter(fig.frames.values()))
        for frame in fig.frames.values():
            assert frame["e"].keys() == first["e"].keys() == {m.key for m in fig.marks}
            assert frame["o"].keys() == first["o"].keys()


def test_data_fits_the_budget(figures: dict[str, explorables.Explorable]) -> None:
    for fig in figures.values():
        assert len(fig.data_json().encode()) <= 50_000, fig.name


def test_drift_values_are_bias_drift(figures: dict[str, explorables.Explorable]) -> None:
    fig = figures["drift"]
    lrs = [_num(v) for v in fig.controls[0][2]]
    steps = [int(v) for v in fig.controls[1][2]]
    for i, lr in enumerate(lrs):
        for j, n in enumerate(steps):
            out = fig.frames[f"{i},{j}"]["o"]
            naive = bnref.bias_drift(U, T, b0=B, lr=lr, steps=n)
            exact = bnref.bias_drift(U, T, b0=B, lr=lr, steps=n, through_mean=True)
            assert out["b_naive"] == f"{naive.b[-1, 0]:.3f}".replace("-", "\u2212")
            assert _num(out["b_closed"]) == pytest.approx(B + n * lr * T.sum(), abs=5e-4)
            assert _num(out["b_exact"]) == pytest.approx(exact.b[-1, 0], abs=5e-4)
            assert _num(out["l_naive"]) == pytest.approx(naive.loss[-1], abs=5e-5)
            assert out["l_naive"] == out["l_exact"]  # the loss is the same either way


def test_identity_xhat_does_not_move(figures: dict[str, explorables.Explorable]) -> None:
    fig = figures["identity"]
    x_hat0 = bnref.center(U + B)
    for i, text in enumerate(fig.controls[0][2]):
        delta = _num(text)
        out = fig.frames[str(i)]["o"]
        assert _num(out["mu"]) == pytest.approx((U + B + delta).mean(), abs=5e-4)
        assert out["moved"] == "0 (below 1e-14)"
        assert out["exact"] == "0 (below 1e-14)"
        naive = bnref.center_vjp(U + B + delta, x_hat0 - T, through_mean=False).sum()
        assert float(fig.frames[str(i)]["e"]["naive"]["data-value"]) == pytest.approx(-LR * naive)
    # the naive step is the same wherever b is (eq-naive-grad: -η Σ g_i = η Σ t_i)
    assert len({f["o"]["naive"] for f in fig.frames.values()}) == 1


def test_scaling_values_are_scale_drift(figures: dict[str, explorables.Explorable]) -> None:
    fig = figures["scaling"]
    x_hat0 = bnref.standardize(H, eps=0.0).x_hat[:, 0]
    for i, a in enumerate(_num(v) for v in fig.controls[0][2]):
        for j, w0 in enumerate(_num(v) for v in fig.controls[1][2]):
            out = fig.frames[f"{i},{j}"]["o"]
            run = bnref.scale_drift(H, a * x_hat0 + 0.3, [w0], lr=0.05, steps=45, eps=0.0)
            w = run.w[:, 0]
            assert int(out["negative"]) == int(np.sum(w < 0))
            assert _num(out["w_last"]) == pytest.approx(w[-1], abs=5e-4)
            assert _num(out["l_naive"]) == pytest.approx(run.loss[-1], abs=5e-4)
            if a > 1:
                assert out["first"] == "none"  # sweep: a > 1 never flips the sign (grid)
    assert fig.frames[fig.default_key]["o"]["first"] != "none"  # a = 0.5 flips


def test_inference_values(figures: dict[str, explorables.Explorable]) -> None:
    fig = figures["inference"]
    for i, text in enumerate(fig.controls[0][2]):
        m = int(text)
        out = fig.frames[str(i)]["o"]
        e_var = bnref.expected_batch_variance(POP, m)
        assert _num(out["e_var"]) == pytest.approx(e_var, abs=5e-5)
        assert _num(out["pred"]) == pytest.approx((m - 1) / m * POP.var(), abs=5e-5)
        assert _num(out["corrected"]) == pytest.approx(POP.var(), abs=5e-5)
        assert _num(out["sq_with"]) == pytest.approx(1.0, abs=5e-5)
        assert _num(out["sq_without"]) == pytest.approx(m / (m - 1), abs=5e-5)
        # the histogram is a distribution over all N**m batches, and its mean is E[σ²_B]
        var = explorables.batch_variances(POP, m)
        assert var.shape == (POP.size**m,)
        assert np.isclose(var.mean(), e_var, rtol=1e-12)


def test_default_frame_is_drawn_in_the_html(figures: dict[str, explorables.Explorable]) -> None:
    for fig in figures.values():
        page = fig.html()
        assert page.startswith(f'<figure class="explorable" id="explorable-{fig.name}"')
        assert "<figcaption>" in page
        assert "<svg" in page
        data = re.search(r'<script type="application/json" class="bnx-data">(.*)</script>', page)
        assert data
        assert json.loads(data.group(1)) == json.loads(fig.data_json())
        frame = fig.frames[fig.default_key]
        for key, text in frame["o"].items():
            if key not in {c[0] for c in fig.controls}:
                assert f'<output data-k="{key}">{text}</output>' in page
        assert page.count('type="range"') == len(fig.controls)
        assert page.count(" disabled>") == len(fig.controls)  # until the script runs


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: explorables.identity(U, T, B, shifts=[0.5, 1.0]), "shifts"),
        (lambda: explorables.identity(U, T, float("nan")), "b"),
        (lambda: explorables.identity(np.hstack([U, U]), T, B), "u"),
        (lambda: explorables.drift(U, T, B, lrs=[0.1, 0.05]), "lrs"),
        (lambda: explorables.drift(U, T, B, lr=0.3), "lr"),
        (lambda: explorables.drift(U, T, B, steps=[0, 10]), "steps"),
        (lambda: explorables.scaling(H, 0.3, lr=0.05, targets=[-1.0, 0.5]), "targets"),
        (lambda: explorables.scaling(H, 0.3, lr=0.05, w0=2.5), "w0"),
        (lambda: explorables.inference(POP, sizes=[1, 2]), "sizes"),
        (lambda: explorables.inference(POP, sizes=range(2, 10)), "sizes"),
        (lambda: explorables.inference([1.0]), "population"),
        (lambda: explorables.inference(POP, m=9), "m"),
        (lambda: explorables.inference(POP, bins=0), "bins"),
    ],
)
def test_bad_input_names_the_argument(call, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


def test_plain_text_form_is_short(figures: dict[str, explorables.Explorable]) -> None:
    # the notebook stores it next to the HTML; the grid must not be stored twice
    assert repr(figures["drift"]) == "<Explorable 'drift': 30 frames>"


def test_a_false_caption_fails_the_build() -> None:
    # 3 steps are too few for a = 0.9 to flip w: the caption's "w jumps through zero" is false
    with pytest.raises(AssertionError, match="jumps through zero"):
        explorables.scaling(
            H, 0.3, lr=0.05, steps=3, targets=[0.9, 2.0], a=0.9, w0=5.0, starts=[4.0, 5.0]
        )
