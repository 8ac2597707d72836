"""The explorable figures in a real browser: every slider, every output, against bnref.

Each figure is opened on its page; every slider is moved through several positions with the
keyboard (focus, Home, ArrowRight, End) and with ``fill``; after each move every ``<output>`` and
a drawn value (a ``data-value`` attribute on an SVG element) is compared with bnref run here, in
the test, for the parameters the slider shows. The page's own batch is rebuilt here exactly as
the page builds it. Also: no console error and no request off the site, axe finds no serious or
critical violation in the figure (light desktop, dark phone), the figure fits a 390-px phone,
and with JavaScript disabled the figure shows its default position, drawn, with the sliders
disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import bnref
from tests.browser.harness import PHONE, Visit, listing, serious_violations

# The pages' batches, rebuilt as the pages build them.
_rng = np.random.default_rng(0)
U = _rng.normal(1.0, 1.0, size=(5, 1)).round(2)  # docs/example.md
T = _rng.normal(0.5, 1.0, size=(5, 1)).round(2)
B, LR, STEPS = 0.5, 0.1, 60
H1 = bnref.center(np.random.default_rng(0).normal(size=(32, 1)))  # docs/scaling.md
C_SHIFT, LR1, STEPS_SHRINK = 0.3, 0.05, 45
POPULATION = np.array([-2.0, 0.0, 1.0, 3.0, 8.0])  # docs/statistics.md

PAGES = {
    "identity": "example.html",
    "drift": "example.html",
    "scaling": "scaling.html",
    "inference": "statistics.html",
}


def _num(text: str) -> float:
    return float(text.replace("\u2212", "-").replace(",", ""))


def _fmt(value: float, spec: str) -> str:
    return format(value, spec).replace("-", "\u2212")


def _bound(value: float) -> str:
    assert abs(value) < 1e-14
    return "0 (below 1e-14)"


def expect_identity(p: dict[str, str]) -> tuple[dict[str, str], dict[str, float]]:
    delta = _num(p["delta"])
    x = U + B + delta
    x_hat = bnref.center(x)
    g = x_hat - T
    naive = -LR * bnref.center_vjp(x, g, through_mean=False).sum()
    exact = -LR * bnref.center_vjp(x, g, through_mean=True).sum()
    out = {
        "b": _fmt(B + delta, ".2f"),
        "mu": _fmt(x.mean(), ".3f"),
        "moved": _bound(np.max(np.abs(x_hat - bnref.center(U + B)))),
        "loss": _fmt(0.5 * np.sum(g**2), ".4f"),
        "naive": _fmt(naive, ".4f"),
        "exact": _bound(exact),
    }
    return out, {"naive": naive}


def expect_drift(p: dict[str, str]) -> tuple[dict[str, str], dict[str, float]]:
    lr, n = _num(p["lr"]), int(p["steps"])
    naive = bnref.bias_drift(U, T, b0=B, lr=lr, steps=n)
    exact = bnref.bias_drift(U, T, b0=B, lr=lr, steps=n, through_mean=True)
    out = {
        "b_naive": _fmt(naive.b[-1, 0], ".3f"),
        "b_closed": _fmt(B + n * lr * T.sum(), ".3f"),  # eq-drift
        "b_exact": _fmt(exact.b[-1, 0], ".3f"),
        "l_naive": _fmt(naive.loss[-1], ".4f"),
        "l_exact": _fmt(exact.loss[-1], ".4f"),
    }
    return out, {"b_naive": naive.b[-1, 0], "b_closed": B + n * lr * T.sum()}


def expect_scaling(p: dict[str, str]) -> tuple[dict[str, str], dict[str, float]]:
    a, w0 = _num(p["a"]), _num(p["w0"])
    t = a * bnref.standardize(H1, eps=0.0).x_hat[:, 0] + C_SHIFT
    kw: dict[str, Any] = {"lr": LR1, "steps": STEPS_SHRINK, "eps": 0.0}
    naive = bnref.scale_drift(H1, t, [w0], **kw)
    exact = bnref.scale_drift(H1, t, [w0], through_stats=True, **kw)
    w = naive.w[:, 0]
    negative = np.flatnonzero(w < 0)
    flips = int(np.sum(np.sign(w[1:]) != np.sign(w[:-1])))
    out = {
        "first": str(negative[0]) if negative.size else "none",
        "negative": str(negative.size),
        "flips": str(flips),
        "w_last": _fmt(w[-1], ".3f"),
        "l_naive": _fmt(naive.loss[-1], ".3f"),
        "l_exact": _fmt(exact.loss[-1], ".3f"),
    }
    return out, {"flips": flips}


def expect_inference(p: dict[str, str]) -> tuple[dict[str, str], dict[str, float]]:
    m = int(p["m"])
    e_var = bnref.expected_batch_variance(POPULATION, m)
    column, mean = POPULATION[:, None], POPULATION.mean()
    sq = [
        np.mean(bnref.batch_norm_inference(column, [1.0], [0.0], [mean], [v], eps=0.0) ** 2)
        for v in (m / (m - 1) * e_var, e_var)
    ]
    out = {
        "batches": f"{POPULATION.size**m:,}",
        "e_var": _fmt(e_var, ".4f"),
        "pred": _fmt((m - 1) / m * POPULATION.var(), ".4f"),
        "corrected": _fmt(m / (m - 1) * e_var, ".4f"),
        "sq_with": _fmt(sq[0], ".4f"),
        "sq_without": _fmt(sq[1], ".4f"),
    }
    return out, {"e_var": e_var, "sq_with": sq[0], "sq_without": sq[1]}


EXPECT: dict[str, Callable[[dict[str, str]], tuple[dict[str, str], dict[str, float]]]] = {
    "identity": expect_identity,
    "drift": expect_drift,
    "scaling": expect_scaling,
    "inference": expect_inference,
}


def _state(fig: Any) -> dict[str, Any]:
    return fig.evaluate(
        """f => ({
          controls: Object.fromEntries([...f.querySelectorAll('input[type=range]')].map(i =>
            [i.dataset.k, f.querySelector(`output[for="${i.id}"]`).textContent])),
          valuetext: [...f.querySelectorAll('input[type=range]')].map(i =>
            i.getAttribute('aria-valuetext')),
          outputs: Object.fromEntries([...f.querySelectorAll('dd output')].map(o =>
            [o.dataset.k, o.textContent])),
          drawn: Object.fromEntries([...f.querySelectorAll('svg [data-value]')].map(e =>
            [e.dataset.k, Number(e.dataset.value)])),
        })"""
    )


def _check(name: str, fig: Any) -> dict[str, Any]:
    state = _state(fig)
    assert state["valuetext"] == list(state["controls"].values())
    outputs, drawn = EXPECT[name](state["controls"])
    assert state["outputs"] == outputs, (name, state["controls"])
    for key, value in drawn.items():
        assert state["drawn"][key] == pytest.approx(value, rel=1e-12, abs=1e-15), (name, key)
    return state


@pytest.mark.parametrize("name", list(PAGES))
def test_every_slider_against_bnref(name: str, open_in: Callable[..., Visit]) -> None:
    visit = open_in(PAGES[name])
    fig = visit.page.locator(f"figure.explorable#explorable-{name}")
    assert fig.count() == 1
    _check(name, fig)  # the default position, as drawn in the HTML
    seen = set()
    sliders = fig.locator("input[type=range]")
    for k in range(sliders.count()):
        slider = sliders.nth(k)
        assert slider.is_enabled()
        assert fig.locator(f'label[for="{slider.get_attribute("id")}"]').count() == 1
        top = int(slider.get_attribute("max") or 0)
        slider.focus()
        slider.press("Home")
        assert slider.input_value() == "0"
        seen.add(tuple(_check(name, fig)["controls"].values()))
        for step in range(1, min(top, 3) + 1):
            slider.press("ArrowRight")
            assert slider.input_value() == str(step)
            seen.add(tuple(_check(name, fig)["controls"].values()))
        slider.press("End")
        assert slider.input_value() == str(top)
        seen.add(tuple(_check(name, fig)["controls"].values()))
        slider.fill(str(top // 2))
        assert slider.input_value() == str(top // 2)
        seen.add(tuple(_check(name, fig)["controls"].values()))
    assert len(seen) >= 4
    assert visit.problems() == [], listing(visit.path, visit.problems())
    assert visit.external_requests == []


@pytest.mark.parametrize("name", list(PAGES))
def test_moving_a_slider_redraws(name: str, open_in: Callable[..., Visit]) -> None:
    fig = open_in(PAGES[name]).page.locator(f"#explorable-{name}")
    svg = fig.locator("svg").inner_html()
    slider = fig.locator("input[type=range]").first
    slider.focus()
    slider.press("End" if slider.input_value() == "0" else "Home")
    assert fig.locator("svg").inner_html() != svg


@pytest.mark.parametrize("name", list(PAGES))
def test_without_javascript_the_default_is_drawn(name: str, open_in: Callable[..., Visit]) -> None:
    with_js = open_in(PAGES[name]).page.locator(f"#explorable-{name}")
    default = _state(with_js)
    visit = open_in(PAGES[name], java_script_enabled=False)
    fig = visit.page.locator(f"#explorable-{name}")
    assert fig.locator("svg polyline, svg circle, svg rect").count() > 0
    assert fig.locator("svg").bounding_box()["height"] > 100
    assert _state(fig) == default  # the same numbers and drawing as the default position
    _check(name, fig)
    sliders = fig.locator("input[type=range]")
    assert all(sliders.nth(k).is_disabled() for k in range(sliders.count()))


def _axe(visit: Visit, name: str) -> list[str]:
    return serious_violations(visit, context=f"#explorable-{name}")


@pytest.mark.parametrize("dark", [False, True], ids=["light-desktop", "dark-phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_accessible_and_fits_a_phone(name: str, dark: bool, open_in: Callable[..., Visit]) -> None:
    kw: dict[str, Any] = {"viewport": PHONE, "color_scheme": "dark", "phone": True} if dark else {}
    visit = open_in(PAGES[name], **kw)
    page = visit.page
    theme = page.evaluate("document.documentElement.dataset.theme")
    assert theme == ("dark" if dark else "light")
    fig = page.locator(f"#explorable-{name}")
    slider = fig.locator("input[type=range]").first
    slider.focus()
    slider.press("ArrowRight")  # audit a moved figure, not only the HTML default
    assert _axe(visit, name) == [], listing(visit.path, _axe(visit, name))
    box = fig.bounding_box()
    width = page.evaluate("window.innerWidth")
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # the lines and dots are drawn in the theme's colours, not the default black
    colour = fig.locator("svg [data-k]").first.evaluate(
        "e => getComputedStyle(e).fill + ' ' + getComputedStyle(e).stroke"
    )
    assert "rgb(0, 0, 0)" not in colour or not dark
    assert visit.problems() == [], listing(visit.path, visit.problems())
