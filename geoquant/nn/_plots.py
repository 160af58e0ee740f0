"""Figures of trained networks: orientation-amplitude, loss, 1D fits, 2D breaklines.

Every function draws into ``ax`` (a new figure when None) and returns the Axes
(the figure is ``ax.figure``). Artists carry a ``gid`` ("final", "initial",
"trajectories", "loss", "plateau", "fit", "data", "kink", "target",
"interpolant", "breakline", "heatmap") so that callers and tests can find them.

A "result" is any object with ``.W (n_models, width, d+1)`` and
``.a (n_models, width)`` (a ``TrainResult``), or a pair ``(W, a)``; the
optional attributes ``init_W``, ``init_a``, ``checkpoints``, ``loss``,
``steps``, ``plateaus`` and ``c`` (output bias) are used when present.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments
from .._validation import as_float_array, check_int
from ..errors import InvalidInputError
from ._creases import as_domain, breaklines, kinks_1d
from ._neurons import check_data, network_forward, resolve_network

__all__ = [
    "plot_orientation_amplitude",
    "plot_loss",
    "plot_fit_1d",
    "plot_breaklines_2d",
]

_POS, _NEG = "C0", "C3"


def _new_ax(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6, 4.5))
    return ax


def _model_arrays(result: Any, a: Any = None, model: int = 0, *, W_name: str = "result") -> tuple[np.ndarray, Any]:
    """(W (width, d+1), a (width,)) of one model from a result, a pair or arrays."""
    if a is None and isinstance(result, (tuple, list)) and len(result) == 2:
        result, a = result
    W, a = resolve_network(result, a, ndims=(2, 3))
    if W.ndim == 3:
        model = check_int(model, "model", min_value=0, max_value=W.shape[0] - 1)
        return W[model], a[model]
    return W, a


def _output_offset(result: Any, model: int) -> float:
    """The result's output offset ``c`` (n_models,) for ``model``; 0 when it has none."""
    c = getattr(result, "c", None) if hasattr(result, "W") else None
    if c is None:
        return 0.0
    c = np.asarray(c, dtype=np.float64)
    return float(c.ravel()[model] if c.ndim else c)


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def _pick_model(arr: Any, model: int, width: int, ndim: int, name: str) -> np.ndarray:
    """The model's part of a checkpoint array: ``ndim`` is the rank of one model's array."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == ndim + 1:
        arr = arr[model]
    if arr.ndim != ndim or arr.shape[0] != width:
        raise InvalidInputError(
            f"'{name}' arrays must have {width} neurons per model, as (n_models, {width}, ...) or ({width}, ...), "
            f"found shape {arr.shape}"
        )
    return arr


def _coords(Wm: np.ndarray, am: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(x, amplitude, colour value) per neuron for the orientation-amplitude plot.

    d = 1: x is the angle of (w, b) on the circle, atan2(b, w) in (-pi, pi].
    d >= 2: x is the azimuth atan2(w_2, w_1) of the crease normal (first two
    input coordinates), the colour value the elevation atan2(b, |w|).
    """
    amp = np.abs(am) * np.linalg.norm(Wm, axis=-1)
    if Wm.shape[-1] == 2:
        x = np.arctan2(Wm[:, 1], Wm[:, 0])
        c = None
    else:
        x = np.arctan2(Wm[:, 1], Wm[:, 0])
        c = np.arctan2(Wm[:, -1], np.linalg.norm(Wm[:, :-1], axis=1))
    return x, amp, c


def plot_orientation_amplitude(
    result_or_W: Any,
    a: ArrayLike | None = None,
    *,
    init_W: ArrayLike | None = None,
    init_a: ArrayLike | None = None,
    trajectories: bool | Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
    model: int = 0,
    ax: Any = None,
) -> Any:
    """Scatter each neuron's orientation against its amplitude ``|a_j| ||(w_j, b_j)||``.

    For 1D inputs the orientation is the angle ``atan2(b, w)`` of ``(w, b)`` on
    the circle (the kink is at ``x = -tan(angle)``); neurons with ``a > 0`` are
    blue circles, ``a < 0`` red triangles. For ``d >= 2`` the orientation is the
    azimuth ``atan2(w_2, w_1)`` of the crease normal (a projection onto the
    first two input coordinates) and the colour is the elevation
    ``atan2(b, |w|)`` (the line's signed offset ``-b/|w| = -tan(elevation)``);
    the marker still shows the sign of ``a``. The amplitude axis is
    logarithmic; neurons of zero amplitude are not drawn.

    Parameters
    ----------
    result_or_W : result object, ``(W, a)`` pair, or (width, d+1) / (n_models, width, d+1) array
    a : (width,) or (n_models, width) array_like, optional
        Output weights when ``result_or_W`` is an array.
    init_W, init_a : array_like, optional
        Initial parameters (default: ``result.init_W`` / ``result.init_a`` if
        present), drawn as hollow markers.
    trajectories : None, bool, or sequence of (W, a) pairs
        Paths of the neurons through training: ``None`` draws them when the
        result has ``checkpoints`` (records with ``W`` and ``a``), ``False``
        never; a sequence gives the states explicitly (in time order). The path
        runs from the initial state through the states to the final one; it is
        broken where the angle wraps around.
    model : int
        Which model of a stack to draw.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _new_ax(ax)
    Wm, am = _model_arrays(result_or_W, a, model)
    width, d1 = Wm.shape
    W0, a0 = _initial_state(result_or_W, init_W, init_a, model, Wm.shape)
    states = _trajectory_states(result_or_W, trajectories, model, width)
    path = ([(W0, a0)] if W0 is not None else []) + states + [(Wm, am)]
    if states:
        _draw_paths(ax, path)
    mappable: list[Any] = []
    if W0 is not None and a0 is not None:
        _scatter_neurons(ax, W0, a0, initial=True, mappable=mappable)
    _scatter_neurons(ax, Wm, am, initial=False, mappable=mappable)
    if mappable:
        cb = ax.figure.colorbar(mappable[0], ax=ax)
        cb.set_label("elevation atan2(b, |w|) [rad]")
    ax.set_yscale("log")
    ax.set_xlim(-np.pi * 1.02, np.pi * 1.02)
    ax.set_xticks(np.linspace(-np.pi, np.pi, 5))
    ax.set_xticklabels(["-π", "-π/2", "0", "π/2", "π"])
    ax.set_xlabel("angle of (w, b) [rad]" if d1 == 2 else "azimuth of w [rad]")
    ax.set_ylabel("amplitude |a| ‖(w, b)‖")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="best")
    return ax


def _initial_state(result_or_W: Any, init_W: Any, init_a: Any, model: int, shape: tuple[int, ...]
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The initial parameters of ``model`` (given, or the result's ``init_W``/``init_a``), or ``(None, None)``."""
    if init_W is None and init_a is None and hasattr(result_or_W, "init_W"):
        init_W, init_a = getattr(result_or_W, "init_W", None), getattr(result_or_W, "init_a", None)
    if init_W is None and init_a is None:
        return None, None
    if init_W is None or init_a is None:
        raise InvalidInputError("'init_W' and 'init_a' must be given together, found only one")
    W0, a0 = resolve_network(init_W, init_a, ndims=(2, 3))
    if W0.ndim == 3:
        W0, a0 = W0[model], a0[model]
    if W0.shape != shape:
        raise InvalidInputError(f"'init_W' must have the final weights' shape {shape} per model, found {W0.shape}")
    return W0, a0


def _trajectory_states(result_or_W: Any, trajectories: Any, model: int, width: int) -> list[tuple[Any, Any]]:
    """The intermediate states ``(W, a)`` of ``model`` to draw paths through (checkpoints, given ones, or none)."""
    states = []
    if trajectories is None or trajectories is True:
        ckpts = getattr(result_or_W, "checkpoints", None) or []
        ckpts = sorted(ckpts, key=lambda r: _get(r, "step", 0))
        for r in ckpts:
            states.append(
                (_pick_model(_get(r, "W"), model, width, 2, "checkpoints"), _pick_model(_get(r, "a"), model, width, 1, "checkpoints"))
            )
    elif trajectories is not False:
        for Wk, ak in trajectories:
            states.append((_pick_model(Wk, model, width, 2, "trajectories"), _pick_model(ak, model, width, 1, "trajectories")))
    return states


def _draw_paths(ax: Any, path: list[tuple[Any, Any]]) -> None:
    """Each neuron's path through the states, broken where its angle wraps around or its amplitude is 0."""
    from matplotlib.collections import LineCollection

    xs = np.array([_coords(Wk, ak)[0] for Wk, ak in path])  # (n_states, width)
    ys = np.array([_coords(Wk, ak)[1] for Wk, ak in path])
    segs = []
    for t in range(len(path) - 1):
        ok = (ys[t] > 0) & (ys[t + 1] > 0) & (np.abs(xs[t + 1] - xs[t]) <= np.pi)
        for j in np.flatnonzero(ok):
            segs.append([(xs[t, j], ys[t, j]), (xs[t + 1, j], ys[t + 1, j])])
    if segs:
        lc = LineCollection(segs, colors="0.6", linewidths=0.6, alpha=0.6, zorder=1)
        lc.set_gid("trajectories")
        ax.add_collection(lc)


def _scatter_neurons(ax: Any, Wk: np.ndarray, ak: np.ndarray, *, initial: bool, mappable: list[Any]) -> None:
    """One state's neurons (orientation against amplitude), by the sign of ``a``; a colour-mapped final
    scatter is appended to ``mappable`` (for the colour bar)."""
    x, amp, c = _coords(Wk, ak)
    for s, marker, colour in ((1, "o", _POS), (-1, "v", _NEG)):
        sel = (np.sign(ak) == s) & (amp > 0)
        if not np.any(sel):
            continue
        kw: dict[str, Any] = dict(marker=marker, s=14 if initial else 26, zorder=2 if initial else 3)
        if initial:
            kw.update(facecolors="none", edgecolors="0.5", linewidths=0.7)
        elif c is None:
            kw.update(color=colour, edgecolors="k", linewidths=0.3)
        else:
            kw.update(c=c[sel], cmap="coolwarm", vmin=-np.pi / 2, vmax=np.pi / 2, edgecolors="k", linewidths=0.3)
        sc = ax.scatter(x[sel], amp[sel], label=("initial" if initial else "final") + (" a>0" if s > 0 else " a<0"), **kw)
        sc.set_gid("initial" if initial else "final")
        if not initial and c is not None:
            mappable.append(sc)


def _plateau_pairs(p: Any) -> tuple[float, float]:
    """(onset_step, loss) from a tuple, dict or record."""
    step: Any
    if isinstance(p, dict):
        step = p.get("onset_step", p.get("step", p.get("onset")))
        return float(step), float(p["loss"])
    if hasattr(p, "loss") and not isinstance(p, (tuple, list, np.ndarray)):
        step = getattr(p, "onset_step", getattr(p, "step", getattr(p, "onset", None)))
        return float(step), float(p.loss)
    step, loss = p[0], p[1]
    return float(step), float(loss)


def plot_loss(result: Any, ax: Any = None, *, models: Sequence[int] | None = None, mark_plateaus: bool = True) -> Any:
    """Loss against step on log-log axes, with plateau onsets marked.

    Parameters
    ----------
    result : object with ``loss (n_recorded, n_models)`` (or ``(n_recorded,)``),
        ``steps (n_recorded,)`` and optionally ``plateaus`` (per model a list of
        ``(onset_step, loss)``).
    ax : matplotlib Axes, optional
    models : sequence of int, optional
        Models to draw (default all).
    mark_plateaus : bool
        One marker (gid "plateau") per plateau at ``(onset_step, loss)``.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    Points with ``step <= 0`` or ``loss <= 0`` cannot be shown on log axes and
    are left out.
    """
    loss = getattr(result, "loss", None)
    steps = getattr(result, "steps", None)
    if loss is None or steps is None:
        raise InvalidInputError("'result' must have 'loss' and 'steps' attributes, found none")
    loss = as_float_array(loss, "result.loss", ndim=(1, 2), finite=False)
    if loss.ndim == 1:
        loss = loss[:, None]
    steps = as_float_array(steps, "result.steps", ndim=1)
    if steps.shape[0] != loss.shape[0]:
        raise InvalidInputError(
            f"'result.steps' must have one entry per recorded loss ({loss.shape[0]}), found {steps.shape[0]}"
        )
    n_models = loss.shape[1]
    if models is None:
        models = range(n_models)
    models = [check_int(m, "models", min_value=0, max_value=n_models - 1) for m in models]
    ax = _new_ax(ax)
    plateaus = getattr(result, "plateaus", None) if mark_plateaus else None
    for m in models:
        colour = f"C{m % 10}"
        ok = (steps > 0) & (loss[:, m] > 0) & np.isfinite(loss[:, m])
        (line,) = ax.plot(steps[ok], loss[ok, m], color=colour, lw=1.2, label=f"model {m}" if n_models > 1 else "loss")
        line.set_gid("loss")
        if plateaus is not None and m < len(plateaus) and plateaus[m] is not None:
            for p in plateaus[m]:
                step, value = _plateau_pairs(p)
                if step <= 0 or value <= 0:
                    continue
                (mk,) = ax.plot([step], [value], ls="none", marker="o", mfc="none", mec=colour, ms=7, mew=1.4)
                mk.set_gid("plateau")
                ax.annotate(f"{value:.3g}", (step, value), textcoords="offset points", xytext=(4, 4),
                            fontsize="x-small", color=colour)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if len(models) > 1:
        ax.legend(fontsize="small")
    return ax


@renamed_arguments(X="points", y="values")
def plot_fit_1d(
    result: Any,
    points: ArrayLike,
    values: ArrayLike,
    *,
    model: int = 0,
    target: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    interpolant: bool = False,
    ax: Any = None,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    n_grid: int = 1000,
) -> Any:
    """The 1D network function with the data, its kinks and optionally the target.

    Parameters
    ----------
    result : result object, ``(W, a)`` pair
    points : (n_points,) or (n_points, 1) array_like
        The data points (formerly ``X``; the old keyword warns until 0.3.0).
    values : (n_points,) array_like
        The data values (formerly ``y``).
    model : int
    target : callable, optional
        Called on ``(n_grid, 1)`` points, returns ``(n_grid,)`` values (a geoquant Target works).
    interpolant : bool
        Also draw the piecewise-linear interpolant of the data (over the data range).
    ax : matplotlib Axes, optional
    angle_tol, min_amplitude_fraction : float
        Kink merging, as in :func:`kinks_1d`.
    n_grid : int
        Evaluation points.

    Returns
    -------
    matplotlib Axes
        One vertical line (gid "kink") per merged kink inside the drawn range
        (the data range enlarged by 5% each side), labelled with its
        multiplicity when above one.
    """
    Wm, am = _model_arrays(result, None, model)
    if Wm.shape[-1] != 2:
        raise InvalidInputError(f"'result' must be a 1D network (W with 2 columns) for plot_fit_1d, found {Wm.shape[-1]}")
    Xc = check_data(points, 1)[:, 0]
    yc = as_float_array(values, "values", ndim=1)
    if yc.shape[0] != Xc.shape[0]:
        raise InvalidInputError(f"'values' must have shape ({Xc.shape[0]},) to match 'points', found {yc.shape}")
    n_grid = check_int(n_grid, "n_grid", min_value=2)
    lo, hi = float(Xc.min()), float(Xc.max())
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    xlo, xhi = lo - pad, hi + pad
    kk = kinks_1d(Wm, am, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction)
    # include the kinks themselves so the drawn curve bends exactly there
    inside = (kk.positions >= xlo) & (kk.positions <= xhi)
    xs = np.union1d(np.linspace(xlo, xhi, n_grid), kk.positions[inside])
    ax = _new_ax(ax)
    fx = network_forward(Wm, am, xs[:, None], _output_offset(result, model), check_input=False)
    if target is not None:
        ty = np.asarray(target(xs[:, None]), dtype=np.float64).reshape(-1)
        (lt,) = ax.plot(xs, ty, color="0.4", ls=":", lw=1.2, label="target")
        lt.set_gid("target")
    if interpolant:
        order = np.argsort(Xc)
        (li,) = ax.plot(Xc[order], yc[order], color="C2", lw=1.0, ls="--", label="linear interpolant")
        li.set_gid("interpolant")
    (lf,) = ax.plot(xs, fx, color="C0", lw=1.6, label="network")
    lf.set_gid("fit")
    for x, c in zip(kk.positions[inside], kk.counts[inside]):
        kl = ax.axvline(x, color="C3", lw=0.8, ls="--", alpha=0.7)
        kl.set_gid("kink")
        if c > 1:
            ax.annotate(f"×{c}", (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                        textcoords="offset points", fontsize="x-small", color="C3")
    sc = ax.scatter(Xc, yc, color="k", s=18, zorder=4, label="data")
    sc.set_gid("data")
    ax.set_xlim(xlo, xhi)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize="small", loc="best")
    return ax


@renamed_arguments(X="points", y="values")
def plot_breaklines_2d(
    result: Any,
    points: ArrayLike,
    values: ArrayLike | None = None,
    *,
    model: int = 0,
    domain: Any = None,
    ax: Any = None,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    resolution: int = 200,
    cmap: str = "viridis",
) -> Any:
    """Heat map of a 2D network with its breaklines and the data points.

    Parameters
    ----------
    result : result object, ``(W, a)`` pair
    points : (n_points, 2) array_like
        The data points (formerly ``X``; the old keyword warns until 0.3.0).
    values : (n_points,) array_like, optional
        Colours the data points with the heat map's colour scale (formerly ``y``).
    model : int
    domain : shapely polygon or (2, 2) box, optional
        Default: the bounding box of ``points`` enlarged by 5%. Outside a
        non-rectangular domain the heat map is blank.
    ax : matplotlib Axes, optional
    angle_tol, min_amplitude_fraction : float
        Line merging, as in :func:`breaklines`.
    resolution : int
        Grid points per axis of the heat map.
    cmap : str

    Returns
    -------
    matplotlib Axes
        One Line2D (gid "breakline") per line part of each breakline.
    """
    import shapely

    Wm, am = _model_arrays(result, None, model)
    if Wm.shape[-1] != 3:
        raise InvalidInputError(f"'result' must be a 2D network (W with 3 columns) for plot_breaklines_2d, found {Wm.shape[-1]}")
    Xc = check_data(points, 2)
    yc = None
    if values is not None:
        yc = as_float_array(values, "values", ndim=1)
        if yc.shape[0] != Xc.shape[0]:
            raise InvalidInputError(f"'values' must have shape ({Xc.shape[0]},) to match 'points', found {yc.shape}")
    resolution = check_int(resolution, "resolution", min_value=2)
    if domain is None:
        lo, hi = Xc.min(axis=0), Xc.max(axis=0)
        pad = 0.05 * np.where(hi > lo, hi - lo, 1.0)
        domain = np.column_stack([lo - pad, hi + pad])
    poly = as_domain(domain)
    xmin, ymin, xmax, ymax = poly.bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution))
    F = network_forward(Wm, am, np.stack([gx, gy], axis=-1), _output_offset(result, model), check_input=False)
    inside = shapely.contains_xy(poly.buffer(1e-12 * max(xmax - xmin, ymax - ymin)), gx, gy)
    F = np.where(inside, F, np.nan)
    ax = _new_ax(ax)
    vals = F[np.isfinite(F)]
    vmin, vmax = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
    if yc is not None:
        vmin, vmax = min(vmin, float(yc.min())), max(vmax, float(yc.max()))
    im = ax.imshow(F, origin="lower", extent=(xmin, xmax, ymin, ymax), cmap=cmap, vmin=vmin, vmax=vmax,
                   aspect="auto", interpolation="bilinear")
    im.set_gid("heatmap")
    ax.figure.colorbar(im, ax=ax, label="f(x)")
    for bl in breaklines(Wm, am, poly, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction):
        for part in getattr(bl.line, "geoms", [bl.line]):
            xy = np.asarray(part.coords)
            (ln,) = ax.plot(xy[:, 0], xy[:, 1], color="w", lw=1.0, alpha=0.9)
            ln.set_gid("breakline")
    if poly.geom_type == "Polygon" and not poly.equals(poly.envelope):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            ax.plot(xy[:, 0], xy[:, 1], color="k", lw=0.8)
    kw = dict(s=22, edgecolors="w", linewidths=0.6, zorder=4)
    if yc is not None:
        sc = ax.scatter(Xc[:, 0], Xc[:, 1], c=yc, cmap=cmap, vmin=vmin, vmax=vmax, **kw)
    else:
        sc = ax.scatter(Xc[:, 0], Xc[:, 1], c="k", **kw)
    sc.set_gid("data")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    return ax
