"""``geoquant error POINTS --target NAME [--json] [--plot FILE]``."""

from __future__ import annotations

from .._text import plural
from ._common import print_json, save_figure


def register(sub) -> None:
    p = sub.add_parser("error", help="interpolation error of a target on the Delaunay triangulation of a point file")
    p.add_argument("points", help="CSV with a header row, or .npy")
    p.add_argument("--target", required=True, help="target name (see geoquant.list_targets())")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--plot", metavar="FILE", help="write a plot of the error (2D) or fit (1D)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..interpolate import error_bounds, interpolation_error
    from ..points import load_points
    from ..targets import get_target
    from ..triangulation import delaunay

    ps = load_points(args.points)
    tri = delaunay(ps.points)
    target = get_target(args.target, n_dims=tri.n_dims)
    l2 = interpolation_error(tri, target, "l2")
    linf = interpolation_error(tri, target, "linf")
    bound = error_bounds(tri, target.hessian_bound)
    summary = {
        "points": args.points,
        "target": target.name,
        "n_points": tri.n_points,
        "n_dims": tri.n_dims,
        "n_simplices": tri.n_simplices,
        "hessian_bound": float(target.hessian_bound),
        "l2_error": l2.total,
        "linf_error": linf.total,
        "linf_accuracy": float(linf.accuracy.max()) if linf.accuracy is not None else None,
        "waldron_bound": float(bound.max()),
        "linf_over_bound": linf.total / float(bound.max()) if bound.max() > 0 else None,
        "bound_holds_per_simplex": bool((linf.per_simplex <= bound * (1 + 1e-9) + 1e-15).all()),
    }
    if args.plot:
        from ..plotting import plot_error_map, plot_interpolant_1d

        if tri.n_dims == 2:
            ax = plot_error_map(tri, target)
        elif tri.n_dims == 1:
            ax = plot_interpolant_1d(tri, target=target)
        else:
            ax = None
            print(f"note: no plot for {tri.n_dims}D points")
        if ax is not None:
            ax.set_title(f"{target.name}: L2 {l2.total:.3g}, Linf {linf.total:.3g}, bound {bound.max():.3g}")
            summary["plot"] = save_figure(ax, args.plot, "error.png")
    if args.json:
        print_json(summary)
    else:
        print(f"target {target.name} on {tri.n_points} points ({plural(tri.n_simplices, 'simplex', 'simplices')}, {tri.n_dims}D)")
        print(f"L2 error   {l2.total:.6g}   ({l2.method})")
        print(f"Linf error {linf.total:.6g}   ({linf.method})")
        print(f"Waldron bound 1/2*M*R^2 = {summary['waldron_bound']:.6g} with M = {target.hessian_bound:.6g}")
        if "plot" in summary:
            print(f"plot written to {summary['plot']}")
    return 0
