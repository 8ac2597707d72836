"""Figures for the book, drawn with matplotlib from arrays that the rest of bnref computes.

matplotlib is an optional dependency (``pip install "bnref[plot]"``), so nothing else in bnref
imports this module: ``import bnref`` never needs matplotlib. Each function draws one figure and
returns it, already closed in pyplot, so that a notebook does not also show it as cell output:
glue it (``myst_nb.glue``) or save it (``fig.savefig``).

Every figure follows the same conventions, so that it reads in a book column and in both the
light and the dark theme of the site:

* 6.5 inches wide (a book column), drawn at 150 dpi;
* black text and lines on a white background (the site puts figures on a white card in dark
  mode), text at 10 points or more;
* the colour-blind-safe Okabe–Ito palette, with a fixed meaning: vermillion for the naive
  gradient (the mean held constant), blue for the exact gradient, orange for the component the
  exact gradient removes, green for the learned shift ``β``.

Figures take arrays that the caller computed with bnref and only draw them: they compute
nothing that a page should assert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from numpy.typing import ArrayLike

from bnref import _validate
from bnref._validate import Array
from bnref.experiments import Drift, DriftWithBeta

__all__ = [
    "COLORS",
    "WIDTH",
    "beta_absorbs_figure",
    "layer_graph",
    "projection_figure",
    "removed_component_figure",
]

WIDTH = 6.5
"""The width of every figure, in inches (one column of the book)."""

DPI = 150

COLORS = {
    "naive": "#D55E00",  # vermillion
    "exact": "#0072B2",  # blue
    "removed": "#E69F00",  # orange
    "beta": "#009E73",  # green
    "neutral": "#555555",  # dark grey
    "node": "#F2F2F2",  # light grey fill
    "shared": "#DCEAF7",  # light blue fill: one value per unit
}
"""The Okabe–Ito colours used by every figure, by meaning."""


@contextmanager
def _style() -> Iterator[None]:
    """Apply the book's style while a figure is drawn (fonts are fixed when text is created)."""
    with mpl.rc_context(
        {
            "font.size": 11,
            "axes.titlesize": 11,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "legend.framealpha": 1.0,
            "text.color": "black",
            "axes.labelcolor": "black",
            "axes.edgecolor": "black",
            "xtick.color": "black",
            "ytick.color": "black",
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "mathtext.fontset": "dejavusans",
        }
    ):
        yield


def _figure(height: float, ncols: int = 1) -> tuple[Figure, list[Axes]]:
    """A white figure one column wide, with ``ncols`` axes side by side, closed in pyplot."""
    fig, axes = plt.subplots(
        1, ncols, figsize=(WIDTH, height), dpi=DPI, layout="constrained", squeeze=False
    )
    plt.close(fig)  # the caller glues or saves it; a notebook must not show it a second time
    fig.set_facecolor("white")
    out = list(axes.ravel())
    for ax in out:
        ax.tick_params(labelsize=10)
    return fig, out


def _vector(values: ArrayLike, name: str, size: int | None = None) -> Array:
    """A finite real vector (a column ``(m, 1)`` is accepted and flattened)."""
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real vector of shape (m,); got shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size},); got shape {arr.shape}")
    return _validate.finite(arr.astype(np.float64), name)


# -- The computational graph of one layer ------------------------------------------------------

_BOX_W, _BOX_H = 1.0, 0.52


def _node(ax: Axes, x: float, y: float, label: str, fill: str) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - _BOX_W / 2, y - _BOX_H / 2),
            _BOX_W,
            _BOX_H,
            boxstyle="round,pad=0.02,rounding_size=0.1",
            facecolor=fill,
            edgecolor="black",
            linewidth=1.0,
            zorder=3,
        )
    )
    ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)


def _edge_point(center: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from a box's center toward a point leaves the box."""
    cx, cy = center
    dx, dy = toward[0] - cx, toward[1] - cy
    scale = min(
        (_BOX_W / 2) / abs(dx) if dx else np.inf,
        (_BOX_H / 2) / abs(dy) if dy else np.inf,
    )
    return cx + dx * scale, cy + dy * scale


def _corner(center: tuple[float, float], side: str) -> tuple[float, float]:
    """A point on a box's top edge, just inside its left or right corner.

    An edge from a node of the top band to a box in a column ends here (or starts here), so
    that it stays beside the column and never crosses the boxes above its end.
    """
    inset = 0.07
    dx = -_BOX_W / 2 + inset if side == "left" else _BOX_W / 2 - inset
    return center[0] + dx, center[1] + _BOX_H / 2


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    color: str = "black",
    dashed: bool = False,
    exact_start: bool = False,
    exact_end: bool = False,
) -> None:
    """An arrow between two boxes (given by their centers) or exact points on their edges."""
    ax.add_patch(
        FancyArrowPatch(
            start if exact_start else _edge_point(start, end),
            end if exact_end else _edge_point(end, start),
            arrowstyle="-|>",
            mutation_scale=11,
            color=color,
            linewidth=1.6 if dashed else 1.0,
            linestyle=(0, (4, 2.5)) if dashed else "-",
            shrinkA=1,
            shrinkB=1,
            zorder=2,
        )
    )


def layer_graph(m: int = 3, *, stop_gradient: bool = True) -> Figure:
    r"""The computational graph of one unit ``k`` of a layer, over a batch of ``m`` examples.

    One row per example ``i``: ``a_i^(l-1) → u_ik → x_ik → x̂_ik``, all feeding the loss ``ℓ``.
    The top band holds the per-unit quantities that every example shares: the row ``k`` of
    ``W``, the bias ``b_k`` and the mean ``μ_k``, which depends on every ``x_jk``.

    Parameters
    ----------
    m : int, default 3
        Number of examples drawn, ``2 <= m <= 6``.
    stop_gradient : bool, default True
        ``True`` draws the edges ``x_jk → μ_k`` dashed, in vermillion: the edges that the naive
        gradient cuts (a stop-gradient on the mean). ``False`` draws them like every other edge.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes, without ticks.

    Raises
    ------
    ValueError
        If ``m`` is not an integer between 2 and 6.

    Notes
    -----
    Drawn for the notation page's figure ``fig-notation-graph``; the dashed edge ``x → μ`` is
    the one a stop-gradient cuts. White facecolor, ``WIDTH`` inches wide.

    Examples
    --------
    >>> from bnref import plotting
    >>> fig = plotting.layer_graph(m=3)
    >>> len(fig.axes), fig.get_size_inches().round(2).tolist()
    (1, [6.5, 3.07])
    """
    if _validate.count(m, "m") < 2 or m > 6:
        raise ValueError(f"m must be an integer between 2 and 6; got {m!r}")
    with _style():
        fig, (ax,) = _figure(1.6 + 0.49 * m)
        top = m + 1.25
        shared = {"W": (2.05, top), "b": (4.3, top), "mu": (7.05, top)}
        for name, label in (("W", r"$W_{kj}$"), ("b", r"$b_k$"), ("mu", r"$\mu_k$")):
            _node(ax, *shared[name], label, COLORS["shared"])
        _graph_examples(ax, m, shared, stop_gradient)
        _graph_headings(ax, top)
        fig.legend(
            handles=_graph_legend(stop_gradient), loc="outside lower center", ncols=1, frameon=False
        )
        ax.set_xlim(-1.55, 11.5)
        ax.set_ylim(-0.45, top + 0.4)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig


_COLUMNS = {"a": 0.9, "u": 3.15, "x": 5.4, "xhat": 8.75, "loss": 10.9}
"""The x position of each column of :func:`layer_graph`."""


def _graph_examples(
    ax: Axes, m: int, shared: dict[str, tuple[float, float]], stop_gradient: bool
) -> None:
    """The loss node, then one row per example ``i``: its boxes and every edge into them."""
    col = _COLUMNS
    mid = (m + 1) / 2
    rows = {i: float(m - i + 1) for i in range(1, m + 1)}  # example 1 on top
    _node(ax, col["loss"], mid, r"$\ell$", COLORS["node"])
    cut = COLORS["naive"] if stop_gradient else "black"
    for i, y in rows.items():
        a, u = (col["a"], y), (col["u"], y)
        x, xhat = (col["x"], y), (col["xhat"], y)
        _node(ax, *a, rf"$a^{{(l-1)}}_{{{i}}}$", COLORS["node"])
        _node(ax, *u, rf"$u_{{{i}k}}$", COLORS["node"])
        _node(ax, *x, rf"$x_{{{i}k}}$", COLORS["node"])
        _node(ax, *xhat, rf"$\hat{{x}}_{{{i}k}}$", COLORS["node"])
        ax.text(-0.05, y, f"$i = {i}$", ha="right", va="center", fontsize=11)
        _arrow(ax, a, u)
        _arrow(ax, shared["W"], _corner(u, "left"), exact_end=True)
        _arrow(ax, u, x)
        _arrow(ax, shared["b"], _corner(x, "left"), exact_end=True)
        _arrow(
            ax,
            _corner(x, "right"),
            shared["mu"],
            color=cut,
            dashed=stop_gradient,
            exact_start=True,
        )
        _arrow(ax, shared["mu"], _corner(xhat, "left"), exact_end=True)
        _arrow(ax, x, xhat)
        _arrow(ax, xhat, (col["loss"], mid))


def _graph_headings(ax: Axes, top: float) -> None:
    """The label of the shared band and a heading under every column."""
    col = _COLUMNS
    ax.text(
        -0.05,
        top,
        "one per unit $k$,\nshared by all $i$",
        ha="right",
        va="center",
        fontsize=10,
        style="italic",
    )
    heads = {
        "a": "previous\nlayer",
        "u": "weighted\ninput",
        "x": "pre-\nactivation",
        "xhat": "centered",
        "loss": "loss",
    }
    for key, text in heads.items():
        ax.text(col[key], 0.45, text, ha="center", va="top", fontsize=10, color="#333333")


def _graph_legend(stop_gradient: bool) -> list[Line2D]:
    """One entry for the forward edges; one for the cut edges when they are drawn."""
    handles = [
        Line2D([], [], color="black", lw=1.0, label="forward edge; the exact gradient flows back"),
    ]
    if stop_gradient:
        handles.append(
            Line2D(
                [],
                [],
                color=COLORS["naive"],
                lw=1.6,
                ls=(0, (4, 2.5)),
                label=r"edge $x_{jk} \to \mu_k$ cut by the naive gradient (stop-gradient)",
            )
        )
    return handles


# -- The centering Jacobian as a projection ----------------------------------------------------


def projection_figure(naive: ArrayLike, exact: ArrayLike) -> Figure:
    r"""For ``m = 2``: a cotangent ``g``, its projection onto ``v_1 + v_2 = 0``, and the rest.

    Parameters
    ----------
    naive : array_like of shape (2,) or (2, 1)
        The naive gradient ``g`` (the mean held constant), from
        ``bnref.center_vjp(x, g, through_mean=False)``.
    exact : array_like of shape (2,) or (2, 1)
        The exact gradient ``g - ḡ1``, from ``bnref.center_vjp(x, g)``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One square-aspect axes: the line ``Σ_i v_i = 0``, the direction ``1``, the two
        gradients as arrows from the origin, and the removed component as the arrow from the
        exact gradient's tip to the naive gradient's tip.

    Raises
    ------
    ValueError
        If either input is not a finite real vector of two entries.

    Notes
    -----
    Drawn for care.md's ``fig-care-projection`` (book equation ``eq-care-projection``): the
    exact product is the orthogonal projection of the naive one onto ``v_1 + v_2 = 0``.

    Examples
    --------
    >>> import numpy as np, bnref
    >>> from bnref import plotting
    >>> x, g = np.array([[0.0], [1.0]]), np.array([[1.5], [0.5]])
    >>> fig = plotting.projection_figure(
    ...     bnref.center_vjp(x, g, through_mean=False), bnref.center_vjp(x, g)
    ... )
    >>> len(fig.axes)
    1
    """
    g = _vector(naive, "naive", 2)
    p = _vector(exact, "exact", 2)
    with _style():
        fig, (ax,) = _figure(3.6)
        reach = 1.25 * float(max(np.abs(g).max(), np.abs(p).max(), 1e-12))
        _projection_lines(ax, p, reach)
        origin = np.zeros(2)
        _vector_arrow(ax, origin, g, COLORS["naive"])
        _vector_arrow(ax, origin, p, COLORS["exact"])
        _vector_arrow(ax, p, g, COLORS["removed"], ls="--")
        _right_angle(ax, g, p, reach)
        ax.legend(handles=_projection_legend(), loc="center left", bbox_to_anchor=(1.04, 0.5))
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        ax.set_aspect("equal")
        ax.set_xlabel("$v_1$ (example 1)")
        ax.set_ylabel("$v_2$ (example 2)")
    return fig


def _projection_lines(ax: Axes, p: Array, reach: float) -> None:
    """The line ``v_1 + v_2 = 0`` (where the exact gradient lies), the direction ``1``, the
    axes, and a label along each line."""
    line = np.array([-reach, reach])
    ax.plot(line, -line, color=COLORS["exact"], lw=1.2, alpha=0.6, zorder=1)
    ax.plot(line, line, color=COLORS["neutral"], lw=1.0, ls=":", zorder=1)
    ax.axhline(0.0, color="#BBBBBB", lw=0.8, zorder=0)
    ax.axvline(0.0, color="#BBBBBB", lw=0.8, zorder=0)
    # Each line is labelled along itself; the plane's label goes on the side of the origin
    # away from the exact gradient, so that the two never overlap.
    side = 1.0 if p[0] - p[1] > 0 else -1.0
    ax.text(
        -0.55 * reach * side,
        0.55 * reach * side,
        r"$v_1 + v_2 = 0$ (exact)",
        color=COLORS["exact"],
        rotation=-45,
        rotation_mode="anchor",
        ha="center",
        va="bottom",
        fontsize=10,
    )
    ax.text(
        0.6 * reach,
        0.6 * reach,
        r"$\mathbf{1}$ (a shift of $b$)",
        color=COLORS["neutral"],
        rotation=45,
        rotation_mode="anchor",
        ha="center",
        va="bottom",
        fontsize=10,
    )


def _vector_arrow(ax: Axes, start: Array, end: Array, color: str, ls: str = "-") -> None:
    """An arrow from ``start`` to ``end`` in data coordinates."""
    ax.annotate(
        "",
        xy=(float(end[0]), float(end[1])),
        xytext=(float(start[0]), float(start[1])),
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "lw": 2.0,
            "ls": ls,
            "shrinkA": 0,
            "shrinkB": 0,
            "mutation_scale": 14,
        },
        zorder=3,
    )


def _right_angle(ax: Axes, g: Array, p: Array, reach: float) -> None:
    """A right-angle mark at the exact gradient's tip: the removed part is orthogonal."""
    size = 0.07 * reach
    along = np.array([1.0, -1.0]) / np.sqrt(2.0) * np.sign((g - p).sum() or 1.0)
    across = np.array([1.0, 1.0]) / np.sqrt(2.0) * np.sign((g - p).sum() or 1.0)
    toward_origin = -np.sign(p @ along) if p @ along else 1.0
    c1 = p + toward_origin * along * size
    corner = c1 + across * size
    c2 = p + across * size
    ax.plot([c1[0], corner[0], c2[0]], [c1[1], corner[1], c2[1]], color="black", lw=0.8)


def _projection_legend() -> list[Line2D]:
    """The naive gradient, the exact one and the removed component, in their colours."""
    handles = [
        Line2D([], [], color=COLORS["naive"], lw=2, label=r"naive: $g$"),
        Line2D([], [], color=COLORS["exact"], lw=2, label=r"exact: $Jg = g - \bar{g}\mathbf{1}$"),
        Line2D(
            [],
            [],
            color=COLORS["removed"],
            lw=2,
            ls="--",
            label=r"removed: $\bar{g}\mathbf{1}$",
        ),
    ]
    return handles


def removed_component_figure(naive: ArrayLike, exact: ArrayLike) -> Figure:
    r"""For a batch of ``m`` examples: the naive and exact gradients, example by example.

    Parameters
    ----------
    naive : array_like of shape (m,) or (m, 1)
        ``∂ℓ/∂x_i`` with the mean held constant (``g_i``).
    exact : array_like of shape (m,) or (m, 1)
        ``∂ℓ/∂x_i`` through the mean (``g_i - ḡ``).

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes: a dot per example for each gradient, joined by an arrow from the exact value
        to the naive one. The arrows are the removed component ``ḡ1``: the same for every
        example.

    Raises
    ------
    ValueError
        If the inputs are not finite real vectors of the same length ``m >= 2``.

    Notes
    -----
    Drawn for care.md's ``fig-care-removed`` (book equation ``eq-naive-minus-exact``): the
    removed component is the same for every example.

    Examples
    --------
    >>> import numpy as np
    >>> from bnref import plotting
    >>> g = np.array([0.5, 2.0, -1.0, 1.5])
    >>> fig = plotting.removed_component_figure(g, g - g.mean())
    >>> len(fig.axes)
    1
    """
    g = _vector(naive, "naive")
    p = _vector(exact, "exact", g.shape[0])
    if g.shape[0] < 2:
        raise ValueError(f"naive must have at least two entries; got {g.shape[0]}")
    m = g.shape[0]
    i = np.arange(1, m + 1)
    with _style():
        fig, (ax,) = _figure(3.0)
        ax.axhline(0.0, color="#999999", lw=0.8, zorder=0)
        for k in range(m):
            ax.annotate(
                "",
                xy=(float(i[k]), float(g[k])),
                xytext=(float(i[k]), float(p[k])),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": COLORS["removed"],
                    "lw": 1.8,
                    "shrinkA": 0,
                    "shrinkB": 5,
                    "mutation_scale": 12,
                },
                zorder=2,
            )
        ax.plot(i, g, "o", color=COLORS["naive"], ms=7, zorder=3, label=r"naive $g_i$")
        ax.plot(i, p, "s", color=COLORS["exact"], ms=6.5, zorder=3, label=r"exact $g_i - \bar{g}$")
        ax.plot(
            [],
            [],
            color=COLORS["removed"],
            lw=1.8,
            label=r"removed $\bar{g}$, the same for all $i$",
        )
        ax.set_xticks(i)
        ax.set_xlim(0.4, m + 0.6)
        ax.set_xlabel("example $i$")
        ax.set_ylabel(r"$\partial\ell/\partial x_i$")
        fig.legend(loc="outside lower center", ncols=3)
    return fig


# -- The learned shift absorbs the drift -------------------------------------------------------


def beta_absorbs_figure(
    without_beta: Drift, with_beta: DriftWithBeta, *, unit: int = 0, limit: float | None = None
) -> Figure:
    r"""The bias without and with a learned shift ``β`` after the centering, step by step.

    Parameters
    ----------
    without_beta : bnref.Drift
        A run of ``bnref.bias_drift`` (naive gradient): ``b`` grows without bound.
    with_beta : bnref.DriftWithBeta
        A run of ``bnref.bias_drift_with_beta`` on the same batch: ``b`` and ``β`` move
        together and stop.
    unit : int, default 0
        The unit ``k`` to draw.
    limit : float, optional
        If given, a dotted line at this value, labelled as the limit of ``β`` (the mean of the
        targets).

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two axes: (a) ``b_n`` without ``β``, ``b_n`` and ``β_n`` with it; (b) the loss of both
        runs.

    Raises
    ------
    ValueError
        If the runs have different lengths or ``unit`` is out of range.

    Notes
    -----
    Drawn for care.md's ``fig-care-beta`` (book equation ``eq-beta-absorbs``). White
    facecolor, ``WIDTH`` inches wide, Okabe–Ito colours.

    Examples
    --------
    >>> import bnref
    >>> from bnref import plotting
    >>> u, t = [[0.0], [4.0]], [[3.0], [5.0]]
    >>> fig = plotting.beta_absorbs_figure(
    ...     bnref.bias_drift(u, t, lr=0.25, steps=10),
    ...     bnref.bias_drift_with_beta(u, t, lr=0.25, steps=10),
    ...     limit=4.0,
    ... )
    >>> len(fig.axes)
    2
    """
    b_free = np.asarray(without_beta.b)
    b_held, beta = np.asarray(with_beta.b), np.asarray(with_beta.beta)
    if b_free.shape != b_held.shape or beta.shape != b_held.shape:
        raise ValueError(
            "without_beta and with_beta must have the same number of steps and units; got "
            f"b of shapes {b_free.shape} and {b_held.shape}"
        )
    d = b_held.shape[1]
    if isinstance(unit, bool) or not 0 <= unit < d:
        raise ValueError(f"unit must be an integer in [0, {d}); got {unit!r}")
    n = np.arange(b_held.shape[0])
    with _style():
        fig, (ax, ax_loss) = _figure(3.3, ncols=2)
        ax.plot(n, b_free[:, unit], color=COLORS["naive"], lw=2.0, label=r"$b_n$, no $\beta$")
        ax.plot(n, b_held[:, unit], color=COLORS["exact"], lw=2.0, label=r"$b_n$, with $\beta$")
        ax.plot(n, beta[:, unit], color=COLORS["beta"], lw=2.0, ls="--", label=r"$\beta_n$")
        if limit is not None:
            ax.axhline(float(limit), color=COLORS["neutral"], lw=1.0, ls=":", label=r"$\bar{t}$")
        # The finite drift: b and β each move by the same amount, b_N - b_0 = β_N - β_0.
        last = float(n[-1])
        for series, x_at, color in ((b_held, 0.92, COLORS["exact"]), (beta, 0.8, COLORS["beta"])):
            start, end = float(series[0, unit]), float(series[-1, unit])
            ax.plot([0.0, x_at * last], [start, start], color=color, lw=0.8, ls=":")
            ax.annotate(
                "",
                xy=(x_at * last, end),
                xytext=(x_at * last, start),
                arrowprops={
                    "arrowstyle": "<|-|>",
                    "color": color,
                    "lw": 1.2,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "mutation_scale": 9,
                },
            )
        ax.set_xlabel("step $n$")
        ax.set_ylabel("parameter value")
        ax.set_title("(a) parameters", loc="left")
        ax.legend(loc="upper left")

        ax_loss.plot(n, without_beta.loss, color=COLORS["naive"], lw=2.0, label=r"no $\beta$")
        ax_loss.plot(n, with_beta.loss, color=COLORS["exact"], lw=2.0, label=r"with $\beta$")
        ax_loss.set_xlabel("step $n$")
        ax_loss.set_ylabel(r"loss $\ell$")
        ax_loss.set_ylim(bottom=0.0)
        ax_loss.set_title("(b) loss", loc="left")
        ax_loss.legend(loc="center right")
    return fig
