"""``geoquant triangulations count|enumerate|sample|best POINTS [--all] [--target NAME] [--json] ...``.

Every triangulation of a 1D or 2D point file:

``count``      exact number of fine triangulations (all of them with ``--all``);
``enumerate``  list them (refuses when there are more than ``--limit``);
``sample``     ``--k`` exactly uniform draws (seeded by ``--seed``);
``best``       best, worst and mean squared L2 interpolation error of ``--target``
               over all fine triangulations, with the best and worst triangulation.
"""

from __future__ import annotations

from typing import Any

from ._common import print_json

ACTIONS = ("count", "enumerate", "sample", "best")


def register(sub) -> None:
    p = sub.add_parser(
        "triangulations",
        help="count, enumerate or sample every triangulation of a point file; best/worst interpolation error",
    )
    p.add_argument("action", choices=ACTIONS, help="what to do")
    p.add_argument("points", help="CSV with a header row, or .npy (1D or 2D points)")
    p.add_argument("--all", action="store_true", help="all triangulations, not only fine ones (points may be left out)")
    p.add_argument("--target", default=None, help="target name for 'best' (see geoquant.targets.list_targets())")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--limit", type=int, default=1000, help="'enumerate' refuses above this many (default 1000)")
    p.add_argument("--k", type=int, default=1, help="number of draws for 'sample' (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed for 'sample' (default 0)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="give up after S seconds of wall time (default: none; large inputs are refused up front "
                        "from an estimate of the work)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress on stderr (by default a bar on a terminal, a line every 10 s otherwise, "
                        "once the work has run a few seconds)")
    p.set_defaults(func=run)


def _kind(fine: bool) -> str:
    return "fine triangulations" if fine else "triangulations (fine or not)"


def _fmt_tri(tri) -> str:
    return "  ".join(" ".join(str(int(v)) for v in s) for s in tri.simplices)


def run(args) -> int:
    from ..errors import InvalidInputError
    from ..points import load_points
    from ..triangulation import count_triangulations, enumerate_triangulations, sample_triangulations

    ps = load_points(args.points)
    pts = ps.points
    fine = not args.all
    if args.time_limit is not None and not args.time_limit > 0:
        raise InvalidInputError(f"'--time-limit' must be a positive number of seconds, found {args.time_limit}")
    long: dict[str, Any] = {"time_limit": args.time_limit, "progress": not args.quiet}
    head = {"points": str(args.points), "n_points": int(pts.shape[0]), "n_dims": int(pts.shape[1]), "fine": fine}

    if args.action == "count":
        n = count_triangulations(pts, fine=fine, **long)
        if args.json:
            print_json({**head, "count": n})
        else:
            print(f"{n} {_kind(fine)} of {head['n_points']} points ({head['n_dims']}D)")
        return 0

    if args.action == "enumerate":
        if args.limit < 0:
            raise InvalidInputError(f"'--limit' must be >= 0, found {args.limit}")
        tris = list(enumerate_triangulations(pts, fine=fine, limit=args.limit, **long))
        if args.json:
            print_json({**head, "count": len(tris), "triangulations": [t.simplices for t in tris]})
        else:
            print(f"# {len(tris)} {_kind(fine)} of {head['n_points']} points; one per line as vertex triples")
            for i, t in enumerate(tris):
                print(f"{i}: {_fmt_tri(t)}")
        return 0

    if args.action == "sample":
        if args.k < 0:
            raise InvalidInputError(f"'--k' must be >= 0, found {args.k}")
        n = count_triangulations(pts, fine=fine, **long)  # the sampler reads the cached DAG (up to ~28 points)
        tris = sample_triangulations(pts, args.k, seed=args.seed, fine=fine, **long)
        if args.json:
            print_json({**head, "count": n, "seed": args.seed, "k": args.k, "triangulations": [t.simplices for t in tris]})
        else:
            print(f"# {args.k} uniform draws (seed {args.seed}) among {n} {_kind(fine)}")
            for i, t in enumerate(tris):
                print(f"{i}: {_fmt_tri(t)}")
        return 0

    # best
    if not args.target:
        raise InvalidInputError("'--target' is required for 'triangulations best' (see geoquant.targets.list_targets())")
    from ..interpolate import simplex_errors
    from ..targets import get_target
    from ..triangulation import cost_statistics

    target = get_target(args.target, n_dims=pts.shape[1])

    def cost(simplices):
        return simplex_errors(pts, simplices, target, "l2").per_simplex

    st = cost_statistics(pts, cost, fine=fine, **long)
    summary: dict[str, Any] = {
        **head,
        "target": target.name,
        "count": st.count,
        "l2_squared": {"best": st.min, "worst": st.max, "mean": st.mean, "std": st.std},
        "l2": {"best": st.min**0.5, "worst": st.max**0.5},
        "best_triangulation": st.argmin.simplices,  # type: ignore[attr-defined]  # CostStatistics types it object
        "worst_triangulation": st.argmax.simplices,  # type: ignore[attr-defined]
    }
    if args.json:
        print_json(summary)
    else:
        print(f"target {target.name}: squared L2 interpolation error over {st.count} {_kind(fine)} "
              f"of {head['n_points']} points")
        print(f"best  {st.min:.6g}   (L2 {st.min ** 0.5:.6g})")
        print(f"worst {st.max:.6g}   (L2 {st.max ** 0.5:.6g})")
        print(f"mean  {st.mean:.6g}   std {st.std:.6g}")
        print(f"best triangulation:  {_fmt_tri(st.argmin)}")
        print(f"worst triangulation: {_fmt_tri(st.argmax)}")
    return 0
