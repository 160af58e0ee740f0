"""Does the function gradient descent finds depend on the width? Networks of two widths on the same data."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["width_comparison"]

#: settings two networks must share to be compared across widths (``entry``: the method label without its width)
_SAME = ["target", "target_label", "target_params", "dim", "sampler", "n", "seed", "restart", "entry", "init_scale"]


def _without_width(label: str) -> str:
    """``"net[init_scale=0.1,width=5]"`` -> ``"net[init_scale=0.1]"`` (the spec's regime label, width removed)."""
    if not label.endswith("]") or "[" not in label:
        return label
    base, axes = label[:-1].split("[", 1)
    rest = [a for a in axes.split(",") if not a.startswith("width=")]
    return f"{base}[{','.join(rest)}]" if rest else base


def width_comparison(study_dir: str | os.PathLike[str], df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every pair of networks that differ only in width, with the sup distance between their functions.

    Two networks of the same study entry (``method`` label), init scale, target, sample
    (``n``, ``seed``) and restart, trained at widths ``w1 < w2``, are compared over the
    convex hull of their data with :func:`geoquant.theory.sup_distance` (exact in 1D;
    in 2D the maximum over the vertices of both networks' crease arrangements, exact
    when at most 400 distinct creases, else creases within 1e-6 merged). Their weights
    are read from the tasks' stored arrays (``state_W``, ``state_a``, ``state_c``: a
    study whose ``gallery_seeds`` include the seed), so nothing is retrained.

    Parameters
    ----------
    study_dir : str or Path
        A study directory.
    df : pandas.DataFrame, optional
        Its :func:`load_results` (read when not given).

    Returns
    -------
    pandas.DataFrame
        One row per pair: the shared settings, ``width_small, width_large``,
        ``n_directions_small, n_directions_large`` (the ``n_directions`` result column),
        ``sup_distance``, and ``sup_rel`` (divided by the range of the data values).
        Empty when no pair has stored weights.
    """
    import pandas as pd

    from ..nn import with_output_offset
    from ..theory import sup_distance
    from ._results import load_gallery, load_results

    if df is None:
        df = load_results(study_dir)
    need = (set(_SAME) - {"entry"}) | {"method", "width", "gallery_file", "trains", "status", "n_directions"}
    missing = sorted(need - set(df.columns))
    if missing:
        raise InvalidInputError(f"'df' must be load_results of a study, found it without columns {missing}")
    nets = df[df["trains"].fillna(False).astype(bool) & (df["status"] == "done") & df["gallery_file"].notna()]
    nets = nets.assign(entry=[_without_width(str(m)) for m in nets["method"]])
    rows = []
    keys = [k for k in _SAME if k != "init_scale"]
    for key, g in nets.groupby(keys + ["init_scale"], dropna=False, sort=True):
        g = g.sort_values("width")
        widths = g["width"].tolist()
        if len(set(widths)) < 2:
            continue
        states = []
        for _, row in g.iterrows():
            arr = load_gallery(study_dir, row["gallery_file"])
            if "state_W" not in arr or "X" not in arr:
                break
            states.append((row, arr))
        else:
            for i in range(len(states)):
                for j in range(i + 1, len(states)):
                    (r1, a1), (r2, a2) = states[i], states[j]
                    if r1["width"] == r2["width"]:
                        continue
                    X = np.asarray(a1["X"], dtype=float)
                    f = (np.asarray(a1["state_W"], dtype=float), np.asarray(a1["state_a"], dtype=float))
                    h = (np.asarray(a2["state_W"], dtype=float), np.asarray(a2["state_a"], dtype=float))
                    c = float(a1.get("state_c", 0.0)) - float(a2.get("state_c", 0.0))
                    sup = sup_distance(with_output_offset(*f, c), h, X)  # sup |f + c - h| (c = 0: f itself)
                    y = np.asarray(a1["y"], dtype=float)
                    span = float(y.max() - y.min()) if y.size else 0.0
                    rows.append({**dict(zip(keys + ["init_scale"], key)),
                                 "width_small": int(r1["width"]), "width_large": int(r2["width"]),
                                 "n_directions_small": r1["n_directions"], "n_directions_large": r2["n_directions"],
                                 "sup_distance": sup, "sup_rel": sup / span if span > 0 else np.nan})
    return pd.DataFrame(rows)
