"""Explorable figures: the book's experiments over a grid of slider positions, drawn as SVG.

Each function below runs one of the book's experiments with bnref's own functions for every
position of its sliders and returns an :class:`Explorable`. A page shows it from a code cell
whose input is hidden (tag ``remove-input``)::

    from bnref import explorables
    explorables.drift(u, t, b0=b)

The cell is the last expression, so Jupyter displays the object's ``_repr_html_``: a
``<figure class="explorable">`` with labelled ``<input type="range">`` controls, ``<output>``
elements, the SVG drawn for the default position, and the whole grid as a
``<script type="application/json">`` block.

Why a code cell and not a Sphinx directive: the figure then uses the page's own batch (the
variables the page just computed, not a copy of them), its numbers come from the same kernel run
as the page's other numbers and are cached with them (the execution cache is keyed on the
source of ``bnref``), and the page's tests (Sybil) run it. The Sphinx extension
``docs/_ext/explorable.py`` only adds ``_static/explorable.js`` and ``.css`` to the pages that
contain such a figure.

No math is done in JavaScript. Python maps every data point to SVG coordinates here, so each
grid point ("frame") is a table of SVG attributes and output texts; ``explorable.js`` looks up
the frame of the sliders' positions and copies its attributes and texts into the page. Without
JavaScript the reader sees the default frame, which is drawn into the HTML, and the sliders are
disabled. Numbers are rounded for display here, so rounding noise is never printed.

Each caption states facts about every slider position (for example "the exact step is zero").
They are asserted over the whole grid while it is computed (the ``# sweep:`` comments), so a
caption that stopped being true fails the build with an ``AssertionError``.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from bnref import _validate
from bnref.batchnorm import standardize
from bnref.centering import center, center_vjp
from bnref.experiments import bias_drift, scale_drift
from bnref.statistics import batch_norm_inference, expected_batch_variance

__all__ = ["Explorable", "drift", "identity", "inference", "scaling"]

Attrs = dict[str, str]
Frame = dict[str, Any]  # {"o": {output: text}, "e": {element: {attribute: value}}}

WIDTH = 480  # the SVG's coordinate width; it is scaled to the column (and to a phone)
ROUND = 1  # SVG coordinates to 0.1 unit: finer than a screen pixel at any column width


# -- Validation -------------------------------------------------------------------------------


def _grid(values: Iterable[float], name: str, *, positive: bool = False) -> list[float]:
    """A slider's positions: a non-empty, increasing sequence of finite numbers."""
    arr = np.asarray(list(values), dtype=float)
    if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be at least two finite numbers; got {arr.tolist()!r}")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing; got {arr.tolist()!r}")
    if positive and arr[0] <= 0:
        raise ValueError(f"{name} must be positive; got {arr.tolist()!r}")
    return [float(v) for v in arr]


def _counts(values: Iterable[int], name: str) -> list[int]:
    """A slider of numbers of steps: increasing positive integers."""
    values = list(values)
    grid = [int(s) for s in _grid(values, name, positive=True)]
    if any(s != v for s, v in zip(grid, values, strict=True)):
        raise ValueError(f"{name} must be integers; got {values!r}")
    return grid


def _default(values: Sequence[float], default: float, name: str) -> int:
    """The index of ``default`` in a slider's positions."""
    for i, v in enumerate(values):
        if math.isclose(v, default, rel_tol=1e-12, abs_tol=1e-12):
            return i
    raise ValueError(f"{name} must be one of the slider positions {list(values)}; got {default!r}")


# -- Drawing ----------------------------------------------------------------------------------


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        return [10.0**k for k in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)]
    raw = (hi - lo) / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=10 * mag)
    return [k * step for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]


def _label(v: float) -> str:
    return f"{v:g}".replace("-", "\u2212")


@dataclass
class Axes:
    """A panel: a pixel box and the data ranges it shows; maps data to SVG coordinates."""

    left: float
    top: float
    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    xlabel: str = ""
    ylabel: str = ""
    ylog: bool = False
    yticks: bool = True  # False for a panel whose rows are categories, not values

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return round(self.left + (v - lo) / (hi - lo) * self.width, ROUND)

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        if self.ylog:
            v, lo, hi = (math.log10(max(v, lo)) for v in (v, lo, hi))
        return round(self.top + self.height - (v - lo) / (hi - lo) * self.height, ROUND)

    def points(self, xs: Iterable[float], ys: Iterable[float]) -> str:
        return " ".join(f"{self.x(a):g},{self.y(b):g}" for a, b in zip(xs, ys, strict=True))

    def frame(self) -> str:
        """Axes lines, ticks and labels (the same for every slider position)."""
        x0, x1, y0 = self.left, self.left + self.width, self.top + self.height
        out = [f'<path class="bnx-axis" d="M{x0},{self.top}V{y0}H{x1}"/>']
        for v in _ticks(*self.xlim, log=False):
            px = self.x(v)
            out.append(f'<path class="bnx-axis" d="M{px},{y0}v4"/>')
            out.append(f'<text x="{px}" y="{y0 + 15}" text-anchor="middle">{_label(v)}</text>')
        for v in _ticks(*self.ylim, log=self.ylog) if self.yticks else []:
            py = self.y(v)
            out.append(f'<path class="bnx-axis" d="M{x0},{py}h-4"/>')
            out.append(f'<text x="{x0 - 6}" y="{py + 4}" text-anchor="end">{_label(v)}</text>')
        if self.xlabel:
            out.append(
                f'<text x="{x1}" y="{y0 + 30}" text-anchor="end">{html.escape(self.xlabel)}</text>'
            )
        if self.ylabel:
            out.append(f'<text x="{x0}" y="{self.top - 8}">{html.escape(self.ylabel)}</text>')
        return "".join(out)


@dataclass
class Mark:
    """An SVG element whose attributes change with the sliders (``data-k`` names it)."""

    key: str
    tag: str  # polyline, line, circle or rect
    cls: str
    extra: str = ""  # fixed attributes, e.g. markers


@dataclass
class Explorable:
    """One explorable figure: its controls, its outputs, and a frame per slider position."""

    name: str
    caption: str
    description: str  # the SVG's accessible name
    controls: list[tuple[str, str, list[str], int]]  # (key, label, value texts, default)
    outputs: list[tuple[str, str]]  # (key, label)
    height: float
    static: str  # SVG content that never changes: axes, legends
    marks: list[Mark]
    frames: dict[str, Frame] = field(default_factory=dict)

    @property
    def default_key(self) -> str:
        return ",".join(str(c[3]) for c in self.controls)

    def data(self) -> dict[str, Any]:
        """What the page embeds: the value texts of every control and every frame."""
        return {"values": [c[2] for c in self.controls], "frames": self.frames}

    def data_json(self) -> str:
        text = json.dumps(self.data(), separators=(",", ":"), ensure_ascii=False)
        return text.replace("<", "\\u003c")  # nothing in it can close the <script> element

    def __repr__(self) -> str:
        # Short: a notebook stores this text/plain form next to the HTML, and the frames are long.
        return f"<Explorable {self.name!r}: {len(self.frames)} frames>"

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The figure: controls, the SVG of the default frame, the readout, caption and data."""
        frame, n = self.frames[self.default_key], self.name
        outputs = "".join(
            f'<dt>{label}</dt><dd><output data-k="{key}">{html.escape(frame["o"][key])}'
            "</output></dd>"
            for key, label in self.outputs
        )
        return (
            f'<figure class="explorable" id="explorable-{n}" data-explorable="{n}">'
            f'<div class="bnx-controls">{"".join(map(self._control, self.controls))}</div>'
            f'{self._svg(frame)}<dl class="bnx-readout">{outputs}</dl>'
            f"<figcaption>{self.caption}</figcaption>"
            f'<script type="application/json" class="bnx-data">{self.data_json()}</script>'
            "</figure>"
        )

    def _svg(self, frame: Frame) -> str:
        """The plot at ``frame``: markers, the static content, then every mark."""
        marks = []
        for mark in self.marks:
            attrs = "".join(f' {a}="{html.escape(v)}"' for a, v in frame["e"][mark.key].items())
            marks.append(f'<{mark.tag} data-k="{mark.key}" class="{mark.cls}"{mark.extra}{attrs}/>')
        return (
            f'<svg class="bnx-plot" viewBox="0 0 {WIDTH} {self.height}" role="img"'
            f' aria-label="{html.escape(self.description)}">{_defs(self.name)}{self.static}'
            f"{''.join(marks)}</svg>"
        )

    def _control(self, control: tuple[str, str, list[str], int]) -> str:
        """A labelled slider, disabled until explorable.js runs, and its value's output."""
        key, label, values, default = control
        ident = f"bnx-{self.name}-{key}"
        return (
            f'<div class="bnx-control"><label for="{ident}">{label}</label>'
            f'<input type="range" id="{ident}" data-k="{key}" min="0"'
            f' max="{len(values) - 1}" step="1" value="{default}"'
            f' aria-valuetext="{html.escape(values[default])}" disabled>'
            f'<output for="{ident}" data-k="{key}">{html.escape(values[default])}</output>'
            "</div>"
        )


def _defs(n: str) -> str:
    """The SVG markers of figure ``n``: dots for the computed points, an arrow head."""
    dots = "".join(
        f'<marker id="bnx-{n}-dot-{kind}" class="bnx-dot-{kind}" viewBox="0 0 6 6"'
        ' refX="3" refY="3" markerWidth="6" markerHeight="6" markerUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="2.6"/></marker>'
        for kind in ("naive", "exact", "flip")
    )
    return (
        f"<defs>{dots}"
        f'<marker id="bnx-{n}-head" class="bnx-head" viewBox="0 0 10 10" refX="9" refY="5"'
        ' markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
        '<path d="M0,0L10,5L0,10z"/></marker></defs>'
    )


def _frames(controls: Sequence[Sequence[float]], compute: Callable[..., Frame]) -> dict[str, Frame]:
    """One frame per combination of slider positions, keyed "i,j" by the positions' indices."""
    frames = {}
    for idx in itertools.product(*(range(len(c)) for c in controls)):
        frames[",".join(map(str, idx))] = compute(
            *(c[i] for c, i in zip(controls, idx, strict=True))
        )
    return frames


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> str:
    """A row of legend entries: (CSS class of the line, text)."""
    out = []
    for cls, text in items:
        out.append(f'<path class="{cls}" d="M{x},{y - 4}h16"/>')
        out.append(f'<text x="{x + 21}" y="{y}">{html.escape(text)}</text>')
        x += 30 + 7.5 * len(text)  # room for the larger text on phones
    return "".join(out)


def _dots(name: str, kind: str) -> str:
    """Attributes that draw a dot at every vertex of a polyline (one computed point each)."""
    url = f"url(#bnx-{name}-dot-{kind})"
    return f' fill="none" marker-start="{url}" marker-mid="{url}" marker-end="{url}"'


def _claim(holds: bool, caption_says: str) -> None:
    """Each figure's caption states facts about every slider position; check them as the grid
    is computed, so that a caption that became false fails the build instead of misleading."""
    if not holds:
        raise AssertionError(f"the figure's caption says {caption_says!r}, which fails here")


def _bound(value: float, bound: float) -> str:
    """A quantity that is zero up to rounding: print the bound, never the noise."""
    if not abs(value) < bound:
        raise AssertionError(f"expected |{value!r}| < {bound:.0e}")
    return f"0 (below {bound:.0e})"


def _num(v: float, fmt: str) -> str:
    return format(v, fmt).replace("-", "\u2212")


def _g(v: float) -> str:
    """An SVG coordinate as text (coordinates are already rounded to ``ROUND``)."""
    return f"{v:g}"


def _circle(cx: float, cy: float) -> Attrs:
    return {"cx": _g(cx), "cy": _g(cy)}


def _line(x1: float, x2: float, y1: float, y2: float) -> Attrs:
    return {"x1": _g(x1), "x2": _g(x2), "y1": _g(y1), "y2": _g(y2)}


def _rect(x: float, y: float, width: float, height: float) -> Attrs:
    return {"x": _g(x), "y": _g(y), "width": _g(width), "height": _g(height)}


def _curve(key: str, cls: str) -> Mark:
    """A polyline drawn as a line, without dots."""
    return Mark(key, "polyline", cls, ' fill="none"')


def _panel(
    top: float, height: float, xlim: tuple[float, float], ylim: tuple[float, float], **labels: Any
) -> Axes:
    """One of the panels stacked in a figure: the full width less room for the y ticks."""
    return Axes(60, top, WIDTH - 80, height, xlim, ylim, **labels)


def _two_panels(
    top: Axes, bottom: Axes, legend: Sequence[tuple[str, str]], y: float, extra: str = ""
) -> str:
    """The static SVG of a two-panel figure: both panels' axes, ``extra`` and the legend."""
    return top.frame() + bottom.frame() + extra + _legend(legend, 60, y)


Runs = dict[tuple[float, float], tuple[Any, Any]]  # grid point: (naive run, exact run)


def _pooled(runs: Runs, get: Callable[[Any], np.ndarray]) -> np.ndarray:
    """One quantity of every run over the grid, naive and exact: what the axes must show."""
    return np.concatenate([get(r) for pair in runs.values() for r in pair])


def _one_column(x: ArrayLike, name: str, what: str) -> np.ndarray:
    """A batch of one unit or input, shape ``(m, 1)``."""
    x = _validate.batch(x, name)
    if x.shape[1] != 1:
        raise ValueError(f"{name} must be {what}, shape (m, 1); got shape {x.shape}")
    return x


def _unit(u: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """One unit's batch ``u`` and its targets ``t``, both ``(m, 1)``."""
    u = _one_column(u, "u", "one unit")
    return u, _validate.finite(_validate.same_shape(t, "t", u, "u"), "t")


# -- 1. The identity on a number line ---------------------------------------------------------


def identity(
    u: ArrayLike,
    t: ArrayLike,
    b: float,
    *,
    lr: float = 0.1,
    shifts: Iterable[float] = tuple(np.round(np.linspace(-2.0, 2.0, 21), 10)),
) -> Explorable:
    """Drag ``Δb``: ``x = u + b + Δb`` and its mean move together, ``x̂`` stays.

    ``u`` and ``t`` are one unit's batch ``(m, 1)`` and targets, ``b`` the bias, ``lr`` the step
    size of the gradient steps drawn as arrows. ``shifts`` are the slider's positions of
    ``Δb``; 0 must be one of them (the default).
    """
    u, t = _unit(u, t)
    b = _validate.finite_real(b, "b")
    lr = _validate.finite_real(lr, "lr")
    grid = _grid(shifts, "shifts")
    default = _default(grid, 0.0, "shifts (0)")
    ax = _identity_axes(u, t, b, lr, grid)
    rows = {"x": ax.y(2.5), "xhat": ax.y(1.5), "b": ax.y(0.5)}
    frame = partial(_identity_frame, u=u, t=t, b=b, lr=lr, ax=ax, rows=rows)
    return Explorable(
        name="identity",
        caption=(
            "Drag Δb: every x<sub>i</sub> = u<sub>i</sub> + b + Δb and their mean μ move by "
            "Δb together, so x̂<sub>i</sub> = x<sub>i</sub> − μ does not move, and neither does "
            "the loss. The naive step (arrow) is the same wherever b is; the exact step is zero "
            "(ring). Computed by bnref when the book was built."
        ),
        description="A number line with the batch x, the centered values x̂ and the bias b.",
        controls=[("delta", "Δb", [_num(v, ".1f") for v in grid], default)],
        outputs=[
            ("b", "b + Δb"),
            ("mu", "mean μ of x"),
            ("moved", "largest move of x̂"),
            ("loss", "loss ℓ"),
            ("naive", "naive step −η Σᵢ gᵢ"),
            ("exact", "exact step"),
        ],
        height=ax.top + ax.height + 48,
        static=_identity_static(ax, rows),
        marks=_identity_marks(u.shape[0]),
        frames=_frames([grid], frame),
    )


def _identity_axes(
    u: np.ndarray, t: np.ndarray, b: float, lr: float, grid: Sequence[float]
) -> Axes:
    """The number line: wide enough for x, x̂, b and the naive step at every Δb."""
    x_hat0 = center(u + b)
    lo = min(float(x_hat0.min()), float(u.min()) + b + grid[0], b + grid[0]) - 0.5
    hi = max(float(x_hat0.max()), float(u.max()) + b + grid[-1], b + grid[-1]) + 0.5
    hi = max(hi, b + grid[-1] + lr * abs(float(t.sum())) + 0.5)
    lo = min(lo, b + grid[0] - lr * abs(float(t.sum())) - 0.5)
    return Axes(70, 20, WIDTH - 90, 150, (lo, hi), (0, 3))


def _identity_marks(m: int) -> list[Mark]:
    """A dot per x_i and per x̂_i, the mean, the bias, the naive step's arrow, the exact ring."""
    return [
        *(Mark(f"x{i}", "circle", "bnx-naive bnx-pt", ' r="5"') for i in range(m)),
        *(Mark(f"h{i}", "circle", "bnx-exact bnx-pt", ' r="5"') for i in range(m)),
        Mark("mu", "line", "bnx-mean"),
        Mark("b", "circle", "bnx-ink bnx-pt", ' r="4"'),
        Mark("naive", "line", "bnx-naive bnx-arrow", ' marker-end="url(#bnx-identity-head)"'),
        Mark("exact", "circle", "bnx-exact bnx-ring", ' r="7"'),
    ]


def _identity_static(ax: Axes, rows: dict[str, float]) -> str:
    """The number line's axis and ticks, one labelled row each for x, x̂ and b, the legend."""
    static = [ax.frame().split("<text")[0]]  # only the number line's axis, labels below
    y0 = ax.top + ax.height
    static.append(
        "".join(
            f'<path class="bnx-axis" d="M{ax.x(v)},{y0}v4"/>'
            f'<text x="{ax.x(v)}" y="{y0 + 15}" text-anchor="middle">{_label(v)}</text>'
            for v in _ticks(*ax.xlim, log=False)
        )
    )
    for key, text in (("x", "x = u + b"), ("xhat", "x̂ = x − μ"), ("b", "b, steps")):
        static.append(f'<path class="bnx-grid" d="M{ax.left},{rows[key]}H{ax.left + ax.width}"/>')
        static.append(
            f'<text x="{ax.left - 6}" y="{rows[key] + 4}" text-anchor="end">{text}</text>'
        )
    legend = [("bnx-naive", "naive step"), ("bnx-exact", "exact step: 0 (ring)")]
    static.append(_legend([*legend, ("bnx-mean", "mean μ")], ax.left, y0 + 36))
    return "".join(static)


def _identity_at(
    u: np.ndarray, t: np.ndarray, b: float, lr: float
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """At bias ``b``: the batch ``x = u + b``, its ``x̂``, the loss, and the naive and the exact
    step ``−η ∂ℓ/∂b``, computed by bnref."""
    x = u + b
    x_hat = center(x)
    g = x_hat - t  # ∂ℓ/∂x̂
    naive = -lr * float(center_vjp(x, g, through_mean=False).sum())
    exact = -lr * float(center_vjp(x, g, through_mean=True).sum())
    return x, x_hat, 0.5 * float(np.sum(g**2)), naive, exact


def _identity_frame(
    delta: float,
    *,
    u: np.ndarray,
    t: np.ndarray,
    b: float,
    lr: float,
    ax: Axes,
    rows: dict[str, float],
) -> Frame:
    """The batch moved by ``Δb``: x, x̂, the bias and both steps, against ``Δb = 0``."""
    bb = b + delta
    x, x_hat, loss, step, exact = _identity_at(u, t, bb, lr)
    x0, x_hat0, loss0, step0, _ = _identity_at(u, t, b, lr)
    mu = float(x.mean())
    # sweep: x̂ and the loss stay, the naive step is the same wherever b is (every Δb)
    _claim(abs(loss - loss0) < 1e-12, "neither does the loss")
    _claim(abs(step - step0) < 1e-12, "the naive step is the same wherever b is")
    _claim(abs(mu - float(x0.mean()) - delta) < 1e-12, "x and μ move by Δb together")
    e: dict[str, Attrs] = {}
    for i in range(u.shape[0]):
        e[f"x{i}"] = _circle(ax.x(x[i, 0]), rows["x"])
        e[f"h{i}"] = _circle(ax.x(x_hat[i, 0]), rows["xhat"])
    e["mu"] = _line(ax.x(mu), ax.x(mu), rows["x"] - 12, rows["x"] + 12)
    e["b"] = _circle(ax.x(bb), rows["b"])
    arrow = _line(ax.x(bb), ax.x(bb + step), rows["b"] - 10, rows["b"] - 10)
    e["naive"] = {**arrow, "data-value": repr(step)}
    e["exact"] = _circle(ax.x(bb + exact), rows["b"] + 10)
    out = {
        "delta": _num(delta, ".1f"),
        "b": _num(bb, ".2f"),
        "mu": _num(mu, ".3f"),
        "moved": _bound(float(np.max(np.abs(x_hat - x_hat0))), 1e-14),
        "loss": _num(loss, ".4f"),
        "naive": _num(step, ".4f"),
        "exact": _bound(exact, 1e-14),
    }
    return {"o": out, "e": e}


# -- 2. The drift ------------------------------------------------------------------------------


def drift(
    u: ArrayLike,
    t: ArrayLike,
    b0: float,
    *,
    lrs: Iterable[float] = (0.02, 0.05, 0.1, 0.15, 0.2),
    steps: Iterable[int] = (10, 20, 30, 40, 50, 60),
    lr: float = 0.1,
    n: int = 60,
) -> Explorable:
    """η and the number of steps: ``b`` and the loss under the naive and the exact gradient.

    Runs :func:`bnref.bias_drift` both ways at every grid point; the closed form
    ``b_0 + nη Σ t_i`` (book equation ``eq-drift``) is drawn over the computed points. ``lr`` and
    ``n`` are the default slider positions.
    """
    u, t = _unit(u, t)
    b0 = _validate.finite_real(b0, "b0")
    lr_grid = _grid(lrs, "lrs", positive=True)
    step_grid = _counts(steps, "steps")
    defaults = (_default(lr_grid, lr, "lr"), _default(step_grid, n, "n"))
    runs = _drift_runs(u, t, b0, lr_grid, step_grid)
    top, bottom = _drift_axes(runs, step_grid[-1])
    frame = partial(_drift_frame, runs=runs, b0=b0, t_sum=float(t.sum()), top=top, bottom=bottom)
    return Explorable(
        name="drift",
        caption=(
            "Choose the step size η and the number of steps n. The naive run's bias (dots) "
            "follows the closed form b<sub>0</sub> + nη Σ t<sub>i</sub> (line) and the exact "
            "run's stays at b<sub>0</sub>; the loss is the same constant under both. Every "
            "point was computed by bnref.bias_drift when the book was built."
        ),
        description="Two panels over the steps: the bias, and the loss, for both gradients.",
        controls=[
            ("lr", "step size η", [_num(v, ".2f") for v in lr_grid], defaults[0]),
            ("steps", "steps n", [str(v) for v in step_grid], defaults[1]),
        ],
        outputs=[
            ("b_naive", "naive b after n steps"),
            ("b_closed", "closed form"),
            ("b_exact", "exact b after n steps"),
            ("l_naive", "naive loss"),
            ("l_exact", "exact loss"),
        ],
        height=336,
        static=_two_panels(
            top,
            bottom,
            [
                ("bnx-naive", "naive"),
                ("bnx-exact bnx-dash", "exact"),
                ("bnx-closed", "b₀ + nη Σ tᵢ"),
            ],
            326,
        ),
        marks=[
            Mark("b_naive", "polyline", "bnx-naive bnx-dots", _dots("drift", "naive")),
            Mark("b_exact", "polyline", "bnx-exact bnx-dots", _dots("drift", "exact")),
            _curve("b_closed", "bnx-closed"),
            _curve("l_naive", "bnx-naive"),
            _curve("l_exact", "bnx-exact bnx-dash"),
        ],
        frames=_frames([lr_grid, step_grid], frame),
    )


def _drift_runs(
    u: np.ndarray, t: np.ndarray, b0: float, lr_grid: list[float], step_grid: list[int]
) -> Runs:
    """:func:`bnref.bias_drift` at every ``(η, n)`` of the grid, naive and exact."""
    return {
        (eta, k): (
            bias_drift(u, t, b0=b0, lr=eta, steps=k),
            bias_drift(u, t, b0=b0, lr=eta, steps=k, through_mean=True),
        )
        for eta in lr_grid
        for k in step_grid
    }


def _drift_axes(runs: Runs, n_max: int) -> tuple[Axes, Axes]:
    """The bias over the steps (top) and the loss (bottom), ranged to every run of the grid."""
    b_all = _pooled(runs, lambda r: r.b[:, 0])
    pad = 0.05 * (b_all.max() - b_all.min())
    ylim = (float(b_all.min() - pad), float(b_all.max() + pad))
    lmax = float(_pooled(runs, lambda r: r.loss).max()) * 1.25
    return (
        _panel(24, 130, (0, n_max), ylim, ylabel="bias b"),
        _panel(200, 80, (0, n_max), (0, lmax), xlabel="step n", ylabel="loss ℓ"),
    )


def _drift_frame(
    eta: float, k: int, *, runs: Runs, b0: float, t_sum: float, top: Axes, bottom: Axes
) -> Frame:
    """``k`` steps of size η, naive and exact, and the closed form ``eq-drift``."""
    naive, exact = runs[(eta, k)]
    every = max(1, math.ceil(k / 20))  # at most 21 dots a run: the data stays small
    idx = np.arange(0, k + 1, every)
    if idx[-1] != k:
        idx = np.append(idx, k)
    closed_end = b0 + k * eta * t_sum  # eq-drift
    # sweep: the caption's facts, at every (η, n) of the grid
    closed = b0 + np.arange(k + 1) * eta * t_sum
    _claim(np.allclose(naive.b[:, 0], closed, rtol=0, atol=1e-12), "follows the closed form")
    _claim(np.allclose(exact.b[:, 0], b0, rtol=0, atol=1e-12), "the exact run's stays at b0")
    _claim(
        np.ptp(np.concatenate([naive.loss, exact.loss])) < 1e-12,
        "the loss is the same constant under both",
    )
    e = {
        "b_naive": {
            "points": top.points(idx, naive.b[idx, 0]),
            "data-value": repr(float(naive.b[-1, 0])),
        },
        "b_exact": {"points": top.points(idx, exact.b[idx, 0])},
        "b_closed": {
            "points": top.points([0, k], [b0, closed_end]),
            "data-value": repr(closed_end),
        },
        "l_naive": {"points": bottom.points(idx, naive.loss[idx])},
        "l_exact": {"points": bottom.points(idx, exact.loss[idx])},
    }
    out = {
        "lr": _num(eta, ".2f"),
        "steps": str(k),
        "b_naive": _num(float(naive.b[-1, 0]), ".3f"),
        "b_closed": _num(closed_end, ".3f"),
        "b_exact": _num(float(exact.b[-1, 0]), ".3f"),
        "l_naive": _num(float(naive.loss[-1]), ".4f"),
        "l_exact": _num(float(exact.loss[-1]), ".4f"),
    }
    return {"o": out, "e": e}


# -- 3. The scaling case -----------------------------------------------------------------------


def scaling(
    h: ArrayLike,
    c: float,
    *,
    lr: float,
    steps: int = 45,
    targets: Iterable[float] = (0.25, 0.5, 0.75, 1.5, 2.0),
    starts: Iterable[float] = (1.0, 2.0, 3.0, 4.0, 5.0),
    a: float = 0.5,
    w0: float = 3.0,
) -> Explorable:
    """The scale target ``a`` and the starting weight ``w₀``: ``|w|``, sign flips and the loss.

    One centred input ``h`` of shape ``(m, 1)``; the targets are ``t = a x̂⁰ + c`` with ``x̂⁰``
    the standardized ``h``, as on the scaling page. Runs :func:`bnref.scale_drift` with
    ``eps = 0``, naive and exact, for every ``(a, w₀)``.
    """
    h = _one_column(h, "h", "one input")
    c = _validate.finite_real(c, "c")
    lr = _validate.finite_real(lr, "lr")
    steps = _validate.count(steps, "steps")
    a_grid = _grid(targets, "targets", positive=True)
    w_grid = _grid(starts, "starts", positive=True)
    defaults = (_default(a_grid, a, "a"), _default(w_grid, w0, "w0"))
    runs = _scaling_runs(h, c, lr, steps, a_grid, w_grid)
    top, bottom = _scaling_axes(runs, steps)
    return Explorable(
        name="scaling",
        caption=(
            "Choose the scale target a and the starting weight w<sub>0</sub>. With a &lt; 1 "
            "the naive |w| collapses, w jumps through zero (dots: steps with w &lt; 0) and the "
            "loss jumps; with a &gt; 1, |w| grows at constant loss. Exact gradient descent "
            "stays at w<sub>0</sub>. Computed by bnref.scale_drift when the book was built."
        ),
        description="Two panels over the steps: the weight norm on a log scale, and the loss.",
        controls=[
            ("a", "target a", [_num(v, ".2f") for v in a_grid], defaults[0]),
            ("w0", "start w₀", [_num(v, ".1f") for v in w_grid], defaults[1]),
        ],
        outputs=[
            ("first", "first step with w &lt; 0"),
            ("negative", "steps with w &lt; 0"),
            ("flips", "sign changes"),
            ("w_last", f"naive w after {steps} steps"),
            ("l_naive", "naive loss, last step"),
            ("l_exact", "exact loss, last step"),
        ],
        height=356,
        static=_two_panels(
            top,
            bottom,
            [("bnx-naive", "naive"), ("bnx-exact bnx-dash", "exact"), ("bnx-flip", "w < 0")],
            346,
        ),
        marks=[
            _curve("w_naive", "bnx-naive"),
            _curve("w_exact", "bnx-exact bnx-dash"),
            Mark("flips", "polyline", "bnx-flip bnx-dots", _dots("scaling", "flip")),
            _curve("l_naive", "bnx-naive"),
            _curve("l_exact", "bnx-exact bnx-dash"),
        ],
        frames=_frames(
            [a_grid, w_grid], partial(_scaling_frame, runs=runs, top=top, bottom=bottom)
        ),
    )


def _scaling_runs(
    h: np.ndarray, c: float, lr: float, steps: int, a_grid: list[float], w_grid: list[float]
) -> Runs:
    """:func:`bnref.scale_drift` at every ``(a, w₀)`` of the grid, naive and exact, towards the
    targets ``t = a x̂⁰ + c``."""
    x_hat0 = standardize(h, eps=0.0).x_hat[:, 0]
    return {
        (aa, ww): (
            scale_drift(h, aa * x_hat0 + c, [ww], lr=lr, steps=steps, eps=0.0),
            scale_drift(h, aa * x_hat0 + c, [ww], lr=lr, steps=steps, eps=0.0, through_stats=True),
        )
        for aa in a_grid
        for ww in w_grid
    }


def _scaling_axes(runs: Runs, steps: int) -> tuple[Axes, Axes]:
    """``|w|`` over the steps on a log scale (top) and the loss (bottom), for every run."""
    norms = _pooled(runs, lambda r: r.w_norm)
    wlim = (10 ** math.floor(math.log10(norms.min())), 10 ** math.ceil(math.log10(norms.max())))
    lmax = float(_pooled(runs, lambda r: r.loss).max()) * 1.15
    return (
        _panel(24, 140, (0, steps), wlim, ylabel="|w| (log scale)", ylog=True),
        _panel(210, 90, (0, steps), (0, lmax), xlabel="step n", ylabel="loss ℓ"),
    )


def _scaling_frame(aa: float, ww: float, *, runs: Runs, top: Axes, bottom: Axes) -> Frame:
    """The runs from ``w₀`` towards the scale target ``a``, naive and exact."""
    naive, exact = runs[(aa, ww)]
    n = np.arange(len(naive.loss))
    w = naive.w[:, 0]
    neg = n[w < 0]
    flips = int(np.sum(np.sign(w[1:]) != np.sign(w[:-1])))
    _scaling_claims(aa, ww, naive, exact, neg)
    e = {
        "w_naive": {"points": top.points(n, naive.w_norm)},
        # the exact run is flat: every 5th computed point draws it (and keeps data small)
        "w_exact": {"points": top.points(n[::5], exact.w_norm[::5])},
        "flips": {"points": top.points(neg, naive.w_norm[neg]), "data-value": str(flips)},
        "l_naive": {"points": bottom.points(n, naive.loss)},
        "l_exact": {"points": bottom.points(n[::5], exact.loss[::5])},
    }
    out = {
        "a": _num(aa, ".2f"),
        "w0": _num(ww, ".1f"),
        "first": str(int(neg[0])) if neg.size else "none",
        "negative": str(int(neg.size)),
        "flips": str(flips),
        "w_last": _num(float(w[-1]), ".3f"),
        "l_naive": _num(float(naive.loss[-1]), ".3f"),
        "l_exact": _num(float(exact.loss[-1]), ".3f"),
    }
    return {"o": out, "e": e}


def _scaling_claims(aa: float, ww: float, naive: Any, exact: Any, neg: np.ndarray) -> None:
    """The caption's facts for one ``(a, w₀)``; ``neg`` are the naive run's steps with w < 0."""
    # sweep: the caption's facts, at every (a, w0) of the grid
    _claim(np.allclose(exact.w, ww, rtol=0, atol=1e-12), "exact gradient descent stays")
    if aa < 1:
        first = int(neg[0]) if neg.size else -1
        _claim(
            first > 0 and bool(np.all(np.diff(naive.w_norm[:first]) < 0)),
            "with a < 1 the naive |w| collapses, w jumps through zero",
        )
        _claim(bool(naive.loss[first] > naive.loss[0]), "the loss jumps")
    else:
        _claim(neg.size == 0 and bool(np.all(np.diff(naive.w_norm) > 0)), "|w| grows")
        _claim(bool(np.ptp(naive.loss) < 1e-9), "at constant loss")


# -- 4. Inference and m/(m-1) ------------------------------------------------------------------


def batch_variances(population: ArrayLike, m: int) -> np.ndarray:
    """The biased variance ``σ²_ℬ`` of every one of the ``N**m`` ordered batches of ``m`` draws,
    computed by :func:`bnref.standardize` (one batch per column)."""
    pop = np.asarray(population, dtype=float)
    draws = np.meshgrid(*[pop] * m, indexing="ij")
    batches = np.stack([d.ravel() for d in draws])  # (m, N**m): column j is batch j
    var: np.ndarray = standardize(batches).var  # the variance does not depend on eps
    return var


def inference(
    population: ArrayLike, *, sizes: Iterable[int] = range(2, 9), m: int = 3, bins: int = 25
) -> Explorable:
    """The batch size ``m``: the distribution of ``σ²_ℬ`` over all batches against the
    population variance, and the mean square of ``x̂`` at inference with and without the
    ``m/(m-1)`` correction.
    """
    pop = np.asarray(population, dtype=float)
    if pop.ndim != 1 or pop.size < 2 or not np.all(np.isfinite(pop)):
        raise ValueError(f"population must be at least two finite values; got {pop.tolist()!r}")
    m_grid = [int(s) for s in _grid(sizes, "sizes")]
    if m_grid[0] < 2 or pop.size ** m_grid[-1] > 1e6:
        raise ValueError(
            f"sizes must be batch sizes from 2 with N**m <= 1e6 batches (N = {pop.size}); "
            f"got {m_grid!r}"
        )
    bins = _validate.count(bins, "bins")
    if bins < 1:
        raise ValueError(f"bins must be at least 1 (a histogram needs a bar); got {bins}")
    default = _default(m_grid, m, "m")
    edges = np.linspace(0, float(np.ptp(pop) ** 2 / 4), bins + 1)  # to the largest σ²_ℬ
    hists = {size: _variance_shares(pop, size, edges) for size in m_grid}
    top, bottom = _inference_axes(hists, edges, m_grid[0])
    frame = partial(_inference_frame, pop=pop, hists=hists, edges=edges, top=top, bottom=bottom)
    return Explorable(
        name="inference",
        caption=(
            "Choose the batch size m. The bars show how the biased variance σ²<sub>ℬ</sub> is "
            f"spread over all N<sup>m</sup> ordered batches of the population of {pop.size} "
            "values; its mean (solid line) is (m−1)/m times the population variance (dashed). "
            "Below, the mean square of x̂ at inference over the population, with the "
            "m/(m−1) correction and without it. Computed by bnref when the book was built."
        ),
        description="A histogram of batch variances, and two bars: the mean square of x̂ with "
        "and without the correction.",
        controls=[("m", "batch size m", [str(v) for v in m_grid], default)],
        outputs=[
            ("batches", "batches N<sup>m</sup>"),
            ("e_var", "mean of σ²<sub>ℬ</sub>"),
            ("pred", "(m−1)/m · σ²"),
            ("corrected", "m/(m−1) · mean"),
            ("sq_with", "mean square of x̂, corrected"),
            ("sq_without", "without correction"),
        ],
        height=340,
        static=_inference_static(top, bottom, float(pop.var())),
        marks=[Mark(f"bar{j}", "rect", "bnx-bar") for j in range(bins)]
        + [
            Mark("e_var", "line", "bnx-naive bnx-thick"),
            Mark("sq_with", "rect", "bnx-exact-fill"),
            Mark("sq_without", "rect", "bnx-naive-fill"),
        ],
        frames=_frames([m_grid], frame),
    )


def _variance_shares(pop: np.ndarray, m: int, edges: np.ndarray) -> np.ndarray:
    """The share of the ``N**m`` batches whose ``σ²_ℬ`` falls in each bin."""
    counts, _ = np.histogram(batch_variances(pop, m), bins=edges)
    shares: np.ndarray = counts / pop.size**m
    return shares


def _inference_axes(
    hists: dict[int, np.ndarray], edges: np.ndarray, m_min: int
) -> tuple[Axes, Axes]:
    """The histogram of ``σ²_ℬ`` (top) and one bar per row for the mean square of ``x̂``
    (bottom), wide enough for the largest correction ``m/(m-1)``."""
    pmax = max(float(v.max()) for v in hists.values()) * 1.1
    top = _panel(
        24,
        130,
        (0, float(edges[-1])),
        (0, pmax),
        xlabel="batch variance σ²",
        ylabel="share of batches",
    )
    sq_max = m_min / (m_min - 1) * 1.1
    xlabel = "mean square of x̂ at inference"
    return top, _panel(212, 70, (0, sq_max), (0, 2), xlabel=xlabel, yticks=False)


def _inference_static(top: Axes, bottom: Axes, sigma2: float) -> str:
    """Both panels, the population variance σ² (dashed) and the rows' labels."""
    sx, y_end = top.x(sigma2), top.top + top.height
    marks = (
        f'<path class="bnx-exact bnx-thick bnx-dash" d="M{sx},{top.top}V{y_end}"/>'
        f'<path class="bnx-grid" d="M{bottom.x(1)},{bottom.top}V{bottom.top + bottom.height}"/>'
        f'<text x="{bottom.left + 4}" y="{bottom.y(1.5) - 6}">with m/(m−1)</text>'
        f'<text x="{bottom.left + 4}" y="{bottom.y(0.5) - 6}">without</text>'
    )
    legend = [
        ("bnx-exact bnx-dash", "population variance σ²"),
        ("bnx-naive", "mean batch variance"),
    ]
    return _two_panels(top, bottom, legend, 330, extra=marks)


def _inference_frame(
    size: int,
    *,
    pop: np.ndarray,
    hists: dict[int, np.ndarray],
    edges: np.ndarray,
    top: Axes,
    bottom: Axes,
) -> Frame:
    """Batches of ``size``: the histogram, its mean, and inference with and without ``m/(m-1)``."""
    sigma2 = float(pop.var())
    e_var = expected_batch_variance(pop, size)  # eq-bessel, every batch enumerated
    corrected = size / (size - 1) * e_var
    # sweep: the caption's fact, at every m of the grid (eq-bessel)
    _claim(math.isclose(e_var, (size - 1) / size * sigma2, rel_tol=1e-12), "(m−1)/m times")
    column, mean = pop[:, None], [float(pop.mean())]
    sq = [
        float(np.mean(batch_norm_inference(column, [1.0], [0.0], mean, [v], eps=0.0) ** 2))
        for v in (corrected, e_var)
    ]
    width = top.x(edges[1]) - top.x(edges[0])
    e: dict[str, Attrs] = {}
    for j, p in enumerate(hists[size]):
        y = top.y(float(p))
        e[f"bar{j}"] = _rect(
            top.x(edges[j]), y, round(width - 1, ROUND), round(top.top + top.height - y, ROUND)
        )
    ex = top.x(e_var)
    e["e_var"] = {**_line(ex, ex, top.top, top.top + top.height), "data-value": repr(e_var)}
    for key, v, row in (("sq_with", sq[0], 1.5), ("sq_without", sq[1], 0.5)):
        bar = _rect(bottom.left, bottom.y(row) - 2, round(bottom.x(v) - bottom.left, ROUND), 14)
        e[key] = {**bar, "data-value": repr(v)}
    out = {
        "m": str(size),
        "batches": f"{pop.size**size:,}",
        "e_var": _num(e_var, ".4f"),
        "pred": _num((size - 1) / size * sigma2, ".4f"),
        "corrected": _num(corrected, ".4f"),
        "sq_with": _num(sq[0], ".4f"),
        "sq_without": _num(sq[1], ".4f"),
    }
    return {"o": out, "e": e}
