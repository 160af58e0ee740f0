"""Reading a study's results: cases, per-seed values, oracles and the networks' end states.

The helpers every part of the report shares (the findings, the summary, the tables and the
figures): what a *case* is (target label and parameters, dimension, sampler), per-seed values
of a metric and their paired ratios, which rows are oracles or heuristic, and the end states
of training in table order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn import INTERPOLATION_RTOL, PLATEAU_RTOL
from ._tags import trains_mask

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TRAIN_STATES", "STATUS_DEFINITIONS", "status_order", "status_counts", "case_columns", "case_name",
           "oracle_mask", "exact_mask", "largest_n_rows", "per_seed", "seed_ratio", "ranking_metric", "largest_shared_n",
           "has_values", "fmt3"]

#: ``train_status`` values (the end states of geoquant.theory), in the order the tables show them; results written
#: before end states existed may also hold the coarse ``"stationary"``.
TRAIN_STATES = ("interpolating", "spurious_stationary", "pinned", "stalled", "unstable", "budget", "stationary")

#: What each known end state means (the trainer's rules, geoquant.nn's training_state).
STATUS_DEFINITIONS = {
    "interpolating": f"final train RMSE ≤ {INTERPOLATION_RTOL:g}·std(y) (geoquant.nn.INTERPOLATION_RTOL)",
    "stationary": "not interpolating; stationarity measure below grad_tol, or the loss fell by less than "
                  f"{PLATEAU_RTOL:g} (relative) over the second half of the run",
    "unstable": "not interpolating; the model failed (diverged / NaN), the loss rose between records, or the GD "
                "step exceeds 2 / sharpness",
    "budget": "none of the above: still moving when the budget (t_max) ran out",
}


def status_order(values: Iterable[Any]) -> list:
    """The end states in ``values`` in table order: the known ones (:data:`TRAIN_STATES`) first, then any other
    value by name. Missing values are ``"unknown"``."""
    vals = {str(v) if v is not None and v == v else "unknown" for v in values}
    return [s for s in TRAIN_STATES if s in vals] + sorted(vals - set(TRAIN_STATES))


def case_columns(df: pd.DataFrame) -> list:
    """The columns that identify a case (target label/params, dim, sampler) present in ``df``."""
    cols = ["target_label", "target_params", "dim", "sampler"]
    if "target_label" not in df.columns:
        cols[0] = "target"
    return [c for c in cols if c in df.columns]


def case_name(key: Any, cols: Sequence[str]) -> str:
    """``"runge 1D (uniform)"``: the target's label (one label per target everywhere), dim, sampler."""
    d = dict(zip(cols, key if isinstance(key, tuple) else (key,)))
    name = str(d.get("target_label", d.get("target", "?")))
    return f"{name} {int(d['dim'])}D ({d.get('sampler', '?')})"


def has_values(df: pd.DataFrame, col: str) -> bool:
    """Whether ``df`` has a column ``col`` holding at least one value."""
    return col in df.columns and df[col].notna().any()


def fmt3(v: float) -> str:
    """Three significant digits; "–" when not finite."""
    return f"{v:.3g}" if np.isfinite(v) else "–"


def oracle_mask(df: pd.DataFrame) -> pd.Series:
    """Rows of methods that choose using the true target (``oracle`` column; else the extremal triangulations)."""
    if "oracle" in df.columns:
        return df["oracle"].fillna(False).astype(bool)
    return df["method_name"].isin(("triangulation_best", "triangulation_worst"))


def exact_mask(df: pd.DataFrame) -> pd.Series:
    """Whether each row's value is exact (``exact`` column, else ``info_exact``, else True)."""
    for col in ("exact", "info_exact"):
        if col in df.columns:
            return df[col].map(lambda v: True if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v))
    import pandas as pd

    return pd.Series(True, index=df.index)


def largest_n_rows(d: pd.DataFrame) -> pd.DataFrame:
    """The rows at the largest ``n`` of ``d``."""
    return d[d["n"] == d["n"].max()]


def per_seed(d: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per method: metric per seed (mean over restarts)."""
    return d.groupby(["method", "seed"])[metric].mean().unstack("seed")


def seed_ratio(per: pd.DataFrame, num: str, den: str) -> pd.Series:
    """Per-seed ratios ``num / den`` of two methods (rows of :func:`per_seed`), seeds where both are finite."""
    both = per.loc[[den, num]].dropna(axis=1)
    return (both.loc[num] / both.loc[den]).replace([np.inf, -np.inf], np.nan).dropna()


def status_counts(statuses: Iterable[Any]) -> str:
    """``"2 budget, 1 stationary"``: counts of end states in table order (empty when none)."""
    vals = [str(v) if v is not None and v == v else "unknown" for v in statuses]
    return ", ".join(f"{vals.count(s)} {s}" for s in status_order(vals))


def largest_shared_n(d: pd.DataFrame, metric: str) -> int | None:
    """The largest n of a case at which both networks and Delaunay have a value of ``metric`` (None: no such n)."""
    d = d[d[metric].notna()]
    nets = set(d.loc[trains_mask(d), "n"])
    dela = set(d.loc[d["method_name"] == "delaunay", "n"])
    both = nets & dela
    return int(max(both)) if both else None


def ranking_metric(done: pd.DataFrame, metric: str = "l2_inner") -> str:
    """``metric`` if the results hold it, else ``l2_hull`` (a study without an inner region)."""
    if not has_values(done, metric) and has_values(done, "l2_hull"):
        return "l2_hull"
    return metric
