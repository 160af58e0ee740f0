"""What rate does an error follow in n, how sure is it (bootstrap over seeds), and does Delaunay pass its self-check?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import SeedLike
from ..errors import InvalidInputError
from ._metrics import METRIC_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "fit_rate", "fit_rates", "bootstrap_interval", "rate_self_check", "mark_pre_asymptotic", "RATE_METRIC",
    "SELF_CHECK_WINDOWS", "SELF_CHECK_HALF_WIDTH", "SELF_CHECK_METHOD",
]

#: The metric rates are fitted to: the RMS error over the inner region, ``l2_inner / sqrt(vol_inner)``, stored only
#: where the inner region is the whole inner box (``inner_full``), so that it is the same region for every n.
RATE_METRIC = "rms_inner"


def fit_rate(n: ArrayLike, err: ArrayLike) -> float:
    """Least-squares slope of ``log(err)`` against ``log(n)``.

    Parameters
    ----------
    n : (k,) array_like
        Sample sizes (at least two distinct).
    err : (k,) array_like
        Positive errors.

    Returns
    -------
    float
        The slope (``-1`` means error ~ 1/n); NaN when fewer than two distinct
        positive points remain (a rate cannot be fitted).
    """
    n = np.asarray(n, dtype=float)
    err = np.asarray(err, dtype=float)
    ok = np.isfinite(err) & (err > 0) & (n > 0)
    if len(np.unique(n[ok])) < 2:
        return float("nan")
    slope, _ = np.polyfit(np.log(n[ok]), np.log(err[ok]), 1)
    return float(slope)


#: The self-check of every study's rates: Delaunay's slope of :data:`RATE_METRIC` must lie in this window per
#: dimension (theory: -2/d) with a bootstrap 95% half-width below :data:`SELF_CHECK_HALF_WIDTH`; otherwise every
#: rate of that case (target, dim, sampler) is marked pre-asymptotic.
SELF_CHECK_WINDOWS = {1: (-2.2, -1.8), 2: (-1.1, -0.9)}
SELF_CHECK_HALF_WIDTH = 0.1
SELF_CHECK_METHOD = "delaunay"

#: Bootstrap resamples of the per-seed slopes (percentile interval of their mean).
N_BOOTSTRAP = 4000


def bootstrap_interval(
    values: ArrayLike, *, level: float = 0.95, n_boot: int = N_BOOTSTRAP, seed: SeedLike = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampled with replacement).

    Parameters
    ----------
    values : (k,) array_like
        Finite values, one per independent replicate (a slope per seed).
    level : float
        Coverage, in (0, 1).
    n_boot : int
        Resamples.
    seed : int
        Seed of the resampling (the interval is a function of it).

    Returns
    -------
    (lo, hi) : tuple of float
        NaN for fewer than two values (no interval over one replicate).
    """
    from .._validation import check_int

    v = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(v)):
        raise InvalidInputError(f"'values' must be finite, found {int((~np.isfinite(v)).sum())} non-finite value(s)")
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InvalidInputError(f"'level' must be a number in (0, 1), found {level!r}")
    n_boot = check_int(n_boot, "n_boot", min_value=100)
    if len(v) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
    a = (1 - level) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return float(lo), float(hi)


def fit_rates(df: pd.DataFrame, metric: str = RATE_METRIC,
              by: Sequence[str] = ("target", "target_label", "target_params", "dim", "sampler", "method"), *,
              seed: SeedLike = 0) -> pd.DataFrame:
    """Fitted rate of ``metric`` against n for each group, with a bootstrap 95% interval over seeds.

    The slope is fitted per seed (over that seed's sample sizes), then
    summarised as mean, standard deviation (ddof=1), min and max over seeds and
    the percentile-bootstrap 95% interval of the mean (:func:`bootstrap_interval`;
    ``slope_lo``, ``slope_hi``, ``half_width``, NaN for one seed);
    ``slope_pooled`` fits all seeds at once.

    Parameters
    ----------
    df : pandas.DataFrame
        As returned by :func:`load_results` (columns ``n``, ``seed``, ``status``, ``metric``).
    metric : str
        Default :data:`RATE_METRIC` (``rms_inner``: RMS over the fixed inner region).
    by : sequence of str
        Grouping columns (those absent from ``df`` are ignored). The default
        keeps different targets apart: same name, different parameters or
        label, different fit.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by`` columns, ``metric``, ``slope_mean``,
        ``slope_std``, ``slope_min``, ``slope_max``, ``slope_pooled``,
        ``n_seeds``, ``sizes``, ``slope_lo``, ``slope_hi``, ``half_width``.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError(f"'df' must be a pandas DataFrame (see load_results), found {type(df).__name__}")
    by = [b for b in by if b in df.columns]
    cols = list(by) + ["metric", "slope_mean", "slope_std", "slope_min", "slope_max", "slope_pooled", "n_seeds",
                       "sizes", "slope_lo", "slope_hi", "half_width"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    if metric not in df.columns:
        known = [c for c in METRIC_COLUMNS if c in df.columns]
        raise InvalidInputError(f"'metric' must be a metric column of 'df' ({', '.join(known)}), found {metric!r}")
    d = df
    if "status" in d.columns:
        d = d[d["status"] == "done"]
    d = d[np.isfinite(pd.to_numeric(d[metric], errors="coerce").astype(float))]
    rows = []
    for key, g in d.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        slopes = []
        for _, gs in g.groupby("seed"):
            agg = gs.groupby("n")[metric].mean()
            s = fit_rate(agg.index.values, agg.values.astype(float))
            if np.isfinite(s):
                slopes.append(s)
        pooled = fit_rate(g["n"].values, g[metric].values.astype(float))
        sl = np.asarray(slopes)
        lo, hi = bootstrap_interval(sl, seed=seed) if len(sl) else (float("nan"), float("nan"))
        rows.append(
            list(key)
            + [
                metric,
                float(sl.mean()) if len(sl) else float("nan"),
                float(sl.std(ddof=1)) if len(sl) > 1 else float("nan"),
                float(sl.min()) if len(sl) else float("nan"),
                float(sl.max()) if len(sl) else float("nan"),
                pooled,
                len(sl),
                ",".join(str(int(v)) for v in sorted(g["n"].unique())),
                lo,
                hi,
                (hi - lo) / 2,
            ]
        )
    return pd.DataFrame(rows, columns=cols)


def rate_self_check(rates: pd.DataFrame, *, method: str = SELF_CHECK_METHOD) -> pd.DataFrame:
    """The self-check of a study's rates: is Delaunay's slope in its asymptotic window?

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`fit_rates` output grouped by case columns and ``method``.
    method : str
        The method label whose slope is checked (default ``"delaunay"``).

    Returns
    -------
    pandas.DataFrame
        One row per case (the ``rates`` columns other than ``method`` that
        name a group): ``check_slope``, ``check_lo``, ``check_hi``,
        ``check_half_width``, ``window`` (``SELF_CHECK_WINDOWS[dim]``), ``passed``
        (the mean slope inside the window and the 95% half-width <
        :data:`SELF_CHECK_HALF_WIDTH`) and ``reason`` (why not). A case without
        a Delaunay rate, or in a dimension without a window, fails with that reason.
    """
    import pandas as pd

    case = [c for c in ("target", "target_label", "target_params", "dim", "sampler") if c in rates.columns]
    out = []
    for key, g in rates.groupby(case, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(case, key))
        dim = int(row.get("dim", 0))
        win = SELF_CHECK_WINDOWS.get(dim)
        ref = g[g["method"] == method]
        if ref.empty or not np.isfinite(float(ref["slope_mean"].iloc[0])):
            row.update(check_slope=np.nan, check_lo=np.nan, check_hi=np.nan, check_half_width=np.nan, window=win,
                       passed=False, reason=f"no {method} rate (two sizes or more are needed)")
            out.append(row)
            continue
        r = ref.iloc[0]
        slope, hw = float(r["slope_mean"]), float(r["half_width"])
        row.update(check_slope=slope, check_lo=float(r["slope_lo"]), check_hi=float(r["slope_hi"]),
                   check_half_width=hw, window=win)
        reasons = []
        if win is None:
            reasons.append(f"no window for {dim}D")
        elif not win[0] <= slope <= win[1]:
            reasons.append(f"{method} slope {slope:+.3f} outside [{win[0]:+.1f}, {win[1]:+.1f}]")
        if not np.isfinite(hw):
            reasons.append("no interval (one seed)")
        elif hw >= SELF_CHECK_HALF_WIDTH:
            reasons.append(f"95% half-width {hw:.3f} >= {SELF_CHECK_HALF_WIDTH}")
        row.update(passed=not reasons, reason="; ".join(reasons))
        out.append(row)
    cols = case + ["check_slope", "check_lo", "check_hi", "check_half_width", "window", "passed", "reason"]
    return pd.DataFrame(out, columns=cols)


def mark_pre_asymptotic(rates: pd.DataFrame, check: pd.DataFrame | None = None) -> pd.DataFrame:
    """``rates`` with a boolean column ``pre_asymptotic``: True for every rate of a case whose
    :func:`rate_self_check` failed (``check`` is computed from ``rates`` when not given)."""
    if check is None:
        check = rate_self_check(rates)
    case = [c for c in ("target", "target_label", "target_params", "dim", "sampler") if c in rates.columns]
    out = rates.merge(check[case + ["passed"]], how="left", on=case)
    out["pre_asymptotic"] = ~out["passed"].fillna(False).astype(bool)
    return out.drop(columns=["passed"])
