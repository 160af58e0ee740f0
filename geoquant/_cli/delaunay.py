"""``geoquant delaunay POINTS [--json] [--plot FILE]``."""

from __future__ import annotations

import numpy as np

from .._text import plural
from ._common import print_json, save_figure


def register(sub) -> None:
    p = sub.add_parser("delaunay", help="Delaunay triangulation of a point file (CSV or .npy)")
    p.add_argument("points", help="CSV with a header row, or .npy")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--plot", metavar="FILE", help="write a plot of the triangulation (2D) or interpolant (1D)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..interpolate import min_enclosing_radius
    from ..points import load_points
    from ..triangulation import delaunay

    ps = load_points(args.points)
    tri = delaunay(ps.points)
    radius = min_enclosing_radius(tri.points, tri.simplices)
    summary = {
        "points": args.points,
        "n_points": tri.n_points,
        "n_dims": tri.n_dims,
        "n_simplices": tri.n_simplices,
        "fine": tri.is_fine,
        "n_edges": int(len(tri.edges)) if tri.n_dims >= 2 else tri.n_simplices,
        "max_min_enclosing_radius": float(radius.max()),
        "total_volume": float(tri.volumes.sum()),
    }
    if args.plot:
        from ..plotting import plot_interpolant_1d, plot_triangulation

        if tri.n_dims == 2:
            ax = plot_triangulation(tri)
        elif tri.n_dims == 1:
            values = ps.columns[next(iter(ps.columns))] if ps.columns else np.zeros(tri.n_points)
            ax = plot_interpolant_1d(tri, values)
        else:
            ax = None
            print(f"note: no plot for {tri.n_dims}D points")
        if ax is not None:
            summary["plot"] = save_figure(ax, args.plot, "delaunay.png")
    if args.json:
        summary["simplices"] = tri.simplices
        print_json(summary)
    else:
        print(f"{plural(tri.n_simplices, 'simplex', 'simplices')} on {tri.n_points} points in {tri.n_dims}D (fine: {tri.is_fine})")
        print(f"largest smallest-enclosing-ball radius: {summary['max_min_enclosing_radius']:.6g}")
        if "plot" in summary:
            print(f"plot written to {summary['plot']}")
    return 0
