"""Before/after check of a refactor on a whole study: the same spec run by two versions of the code
gives bit-identical results.

    python3 benchmarks/study_bitident.py BEFORE_DIR AFTER_DIR

Both study directories are read with this checkout's :func:`geoquant.study.load_results`; every
result column present in both is compared with ``==`` (NaN equal to NaN; floats bit for bit), except
the columns that measure time or name the machine (``fit_s``, ``eval_s``, ``device`` and ``info_*``
timings ending in ``_s``). The gallery arrays of every task (``.npz``) are compared bit for bit too.
Prints the rows and columns compared, the columns only one side has, and every difference; exits 1
on a difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from geoquant.study import load_gallery, load_results

TIMING = {"fit_s", "eval_s", "device"}


def _is_timing(col: str) -> bool:
    return col in TIMING or (col.startswith("info_") and (col.endswith("_s") or col.endswith("_seconds")))


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        return (x == y) | (np.isnan(x) & np.isnan(y))
    x, y = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    return np.array([(u == v) or (u is None and v is None) or (isinstance(u, float) and isinstance(v, float)
                                                                and np.isnan(u) and np.isnan(v))
                     or (pd.isna(u) is True and pd.isna(v) is True) for u, v in zip(x, y)], dtype=bool)


def main(before: Path, after: Path) -> int:
    a = load_results(before).set_index("task_id").sort_index()
    b = load_results(after).set_index("task_id").sort_index()
    if list(a.index) != list(b.index):
        print(f"different tasks: {len(set(a.index) ^ set(b.index))} task ids differ")
        return 1
    shared = [c for c in a.columns if c in b.columns and not _is_timing(c)]
    only_a = sorted(set(a.columns) - set(b.columns))
    only_b = sorted(set(b.columns) - set(a.columns))
    bad = {}
    for c in shared:
        eq = _equal(a[c], b[c])
        if not eq.all():
            bad[c] = int((~eq).sum())
    n_arrays = n_gal = 0
    gal_bad = []
    for tid, f in a["gallery_file"].dropna().items():
        ga, gb = load_gallery(before, f), load_gallery(after, b.loc[tid, "gallery_file"])
        n_gal += 1
        for k in sorted(set(ga) | set(gb)):
            n_arrays += 1
            if k not in ga or k not in gb or ga[k].dtype != gb[k].dtype or ga[k].shape != gb[k].shape \
                    or ga[k].tobytes() != gb[k].tobytes():
                gal_bad.append(f"{tid}:{k}")
    print(f"{len(a)} tasks, {len(shared)} result columns compared (timing columns left out: "
          f"{sorted(c for c in a.columns if _is_timing(c))})")
    print(f"columns only before: {only_a}; only after: {only_b}")
    print(f"gallery: {n_gal} files, {n_arrays} arrays compared byte for byte")
    if bad or gal_bad:
        print(f"DIFFERENT: columns {bad}; gallery arrays {gal_bad[:20]} ({len(gal_bad)})")
        return 1
    print("bit-identical: every compared column and gallery array is equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
