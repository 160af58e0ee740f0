"""``geoquant quantize POINTS --values COLUMN [--train] [--json] [--plot FILE] [options]``.

Prints the theory for a 1D or 2D data set: the number of activation sectors,
the extremal directions of the alignment potential ``G`` (with their kinks in
1D or crease lines in 2D), the predicted function(s) of small-initialization
gradient descent and, with ``--train``, the comparison with trained networks
(direction clusters against extremal directions, angles in radians).
"""

from __future__ import annotations

from typing import Any

from .._text import plural
from ._common import print_json, save_figure


def register(sub: Any) -> None:
    p = sub.add_parser(
        "quantize",
        help="sectors, extremal directions and predicted functions of small-init GD for a point file",
    )
    p.add_argument("points", help="CSV with a header row, or .npy (1D or 2D points)")
    p.add_argument("--values", metavar="COLUMN", default=None, help="extra column holding the values (default: 'value' or the only one)")
    p.add_argument("--train", action="store_true", help="also train networks and compare them with the theory")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--plot", metavar="FILE", default=None, help="write a PNG of G with the extremal (and trained) directions")
    p.add_argument("--refit", default="flow", choices=("flow", "cells", "fixed"),
                   help="fit rule of the prediction after each escape (default flow; see geoquant.theory.predict_function)")
    p.add_argument("--reachable", action="store_true", help="list every reachable function, not only the greedy one")
    p.add_argument("--width", type=int, default=1000, help="hidden neurons for --train (default 1000)")
    p.add_argument("--models", type=int, default=1, help="networks for --train (default 1)")
    p.add_argument("--steps", type=int, default=None, help="GD steps for --train (default: from the predicted escape times)")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate for --train (default 0.1)")
    p.add_argument("--init-scale", type=float, default=1e-6, help="initialization scale for --train (default 1e-6)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu, cuda, ... for --train")
    p.set_defaults(func=run)


def _ext_json(e: Any) -> dict[str, Any]:
    """One extremal direction (:class:`geoquant.theory.ExtremalDirection`) for the JSON report (numpy values are
    converted when it is written, :func:`geoquant._json.dumps`)."""
    out = {"sign": e.sign, "kind": e.kind, "stable": e.stable, "rate": e.rate, "G": e.value,
           "direction": e.direction, "through_points": e.through}
    out.update({k: getattr(e, k) for k in ("kink", "line") if getattr(e, k) is not None})
    return out


def _pred_json(p: Any) -> dict[str, Any]:
    """One predicted function (:class:`geoquant.theory.PredictedFunction`) for the JSON report."""
    out = {"loss": p.loss, "stalled": p.stalled, "n_stages": len(p.stages), "escape_times": p.escape_times,
           "weights": p.weights, "coefficients": p.coefficients, "fitted": p.fitted}
    if p.n_dims == 1:
        out["kinks"] = p.kinks
    else:
        out["lines"] = p.lines
    return out


def _fmt_ext(e: Any) -> str:
    where = f"kink {e.kink:+.6g}" if e.kink is not None else (
        "line " + " ".join(f"{v:+.4f}" for v in e.line) if e.line is not None else "no crease"
    )
    thr = f" through points {list(e.through)}" if e.through else ""
    return f"  a{'>' if e.sign > 0 else '<'}0 {e.kind:8s} {'stable' if e.stable else 'saddle'}  rate {e.rate:+.6g}  {where}{thr}"


def _train_steps(args: Any, preds: list, ext: list) -> tuple[int, int]:
    """The GD steps (``--steps``, else from the predicted escape times) and the alignment checkpoint: half the
    first predicted escape time, while the neurons are still tiny."""
    import numpy as np

    lam = args.init_scale
    if args.steps is None:
        t_end = float(preds[0].escape_times[-1]) if len(preds[0].stages) else 10.0
        steps = int(min(max(1.5 * t_end * np.log(1 / lam) / args.lr, 1000), 200_000))
    else:
        steps = args.steps
    rates = [e.rate for e in ext if e.stable and e.rate > 0]
    ck = int(0.5 * np.log(1 / lam) / max(rates) / args.lr) if rates else 0
    return steps, min(max(ck, 1), steps)


def _compare_run(trained: Any, m: int, k_ck: int, ck: int, X: Any, ext: list, pred: Any) -> dict[str, Any]:
    """Model ``m`` against the theory: its directions at the alignment checkpoint against the extremal ones, its
    final clusters against the predicted neurons, and its sup distance to the prediction."""
    import numpy as np

    from ..theory import compare_directions, sup_distance

    early = compare_directions(
        np.asarray(trained.checkpoints.W[k_ck, m], float), np.asarray(trained.checkpoints.a[k_ck, m], float),
        X, extremal=ext, min_amplitude_fraction=0.0,
    )
    cmp_final = compare_directions(
        trained, points=X, model=m, reference=(pred.weights, np.sign(pred.coefficients).astype(int))
    )
    f_net = (trained.W[m].astype(float), trained.a[m].astype(float))
    return {
        "model": m,
        "alignment_step": ck,
        "extremal_to_nearest_cluster": early.extremal_angles,
        "final_loss": trained.loss[-1, m],
        "sup_distance_to_prediction": sup_distance(f_net, pred, X),
        "clusters": [
            {"sign": s, "amplitude": a, "count": c, "direction": d, "angle_to_predicted_neuron": g}
            for s, a, c, d, g in zip(cmp_final.signs, cmp_final.amplitudes, cmp_final.counts,
                                     cmp_final.directions, cmp_final.angles)
        ],
    }


def _train(args: Any, X: Any, y: Any, ext: list, preds: list) -> tuple[Any, dict[str, Any]]:
    """``--train``: train the networks and compare each with the theory; ``(trained, its report)``."""
    import numpy as np

    from ..nn import train_gd

    steps, ck = _train_steps(args, preds, ext)
    trained = train_gd(X, y, width=args.width, n_models=args.models, init_scale=args.init_scale, lr=args.lr,
                       n_steps=steps, seed=args.seed, device=args.device, dtype="float64", progress=False,
                       checkpoints=[ck])
    k_ck = int(np.flatnonzero(trained.checkpoints.steps == ck)[0])
    runs = [_compare_run(trained, m, k_ck, ck, X, ext, preds[0]) for m in range(args.models)]
    return trained, {"steps": steps, "lr": args.lr, "width": args.width, "init_scale": args.init_scale, "runs": runs}


def _print_theory(report: dict[str, Any], ext: list, preds: list) -> None:
    print(f"{plural(report['n_points'], 'point')} in {report['n_dims']}D: {plural(report['n_sectors'], 'activation sector')}")
    print(f"extremal directions of G ({len(ext)}; rate = sign * G = growth rate of log|w|):")
    for e in ext:
        print(_fmt_ext(e))
    for k, p in enumerate(preds):
        head = "predicted function" if len(preds) == 1 else f"reachable function {k}"
        print(f"{head}: loss {p.loss:.6g}, {plural(len(p.stages), 'escape')}, {'stalls' if p.stalled else 'stage cap'}")
        if p.n_dims == 1:
            print("  kinks: " + ", ".join(f"{v:+.6g}" for v in p.kinks))
        else:
            for line in p.lines:
                print("  line: " + " ".join(f"{v:+.4f}" for v in line))
        if len(p.stages):
            print("  escape times (units of log(1/init_scale)): " + ", ".join(f"{t:.4g}" for t in p.escape_times))


def _print_train(tr: dict[str, Any]) -> None:
    print(f"trained: width {tr['width']}, init scale {tr['init_scale']:g}, lr {tr['lr']:g}, {tr['steps']} steps")
    for run_ in tr["runs"]:
        print(f"  model {run_['model']}: at step {run_['alignment_step']} (alignment phase), angle from each "
              "extremal direction to the nearest cluster of its sign: "
              + ", ".join(f"{v:.2g}" for v in run_["extremal_to_nearest_cluster"]))
        print(f"  model {run_['model']}: final loss {run_['final_loss']:.6g}, "
              f"sup distance to prediction {run_['sup_distance_to_prediction']:.3g}")
        for c in run_["clusters"]:
            print(f"    cluster a{'>' if c['sign'] > 0 else '<'}0 amplitude {c['amplitude']:.4g} "
                  f"({c['count']} neurons): {c['angle_to_predicted_neuron']:.3g} rad from a predicted neuron")


def run(args: Any) -> int:
    from ..errors import InvalidInputError
    from ..points import load_points
    from ..theory import extremal_directions, predict_function, reachable_functions, sectors

    ps = load_points(args.points)
    X = ps.points
    if X.shape[1] > 2:
        raise InvalidInputError(f"'points' must be 1D or 2D for quantize, found {X.shape[1]} coordinates")
    y = ps.values(args.values)
    sec = sectors(X)
    ext = extremal_directions(X, y, sectors=sec)
    preds = (
        reachable_functions(X, y, refit=args.refit) if args.reachable else [predict_function(X, y, refit=args.refit)]
    )
    report: dict[str, Any] = {
        "points": str(args.points),
        "n_points": int(X.shape[0]),
        "n_dims": int(X.shape[1]),
        "n_sectors": len(sec),
        "extremal": [_ext_json(e) for e in ext],
        "predicted": [_pred_json(p) for p in preds],
    }
    trained = None
    if args.train:
        trained, report["train"] = _train(args, X, y, ext, preds)
    if args.plot:
        from ..theory import plot_potential

        ax = plot_potential(X, y, extremal=ext, trained=trained)
        report["plot"] = save_figure(ax, args.plot, "quantize.png")
    if args.json:
        print_json(report)
        return 0
    _print_theory(report, ext, preds)
    if "train" in report:
        _print_train(report["train"])
    if args.plot:
        print(f"plot: {report['plot']}")
    return 0
