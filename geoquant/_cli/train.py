"""``geoquant train POINTS (--target NAME | --values COLUMN) --out DIR [options]``.

Trains a batch of shallow ReLU networks on a point file and writes the run to
``DIR``: ``result.npz``/``checkpoints.npz``/``config.json`` (see
:func:`geoquant.nn.save_checkpoints`), ``summary.json`` and PNG plots (loss
curve, orientation-amplitude scatter, and the 1D fit or 2D breaklines).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from .._json import dumps, to_jsonable
from ._common import print_json, save_figure


def register(sub: Any) -> None:
    p = sub.add_parser("train", help="train shallow ReLU networks from small initialization on a point file")
    p.add_argument("points", help="CSV with a header row, or .npy")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--target", metavar="NAME", help="target function evaluated at the points (geoquant.list_targets())")
    src.add_argument("--values", metavar="COLUMN", help="extra column of the point file holding the values")
    p.add_argument("--out", metavar="DIR", required=True, help="output directory")
    p.add_argument("--width", type=int, default=100, help="hidden neurons (default 100)")
    p.add_argument("--models", type=int, default=1, help="networks trained side by side (default 1)")
    p.add_argument(
        "--init-scale", default=None, help="init scale: a number or 'width^p' (default 1e-4; 1 for --init pytorch)"
    )
    p.add_argument("--init", default="balanced", choices=("balanced", "gaussian", "pytorch"))
    p.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    p.add_argument("--steps", type=int, default=10_000, help="GD steps (default 10000); with --flow: time lr*steps")
    p.add_argument("--flow", action="store_true", help="integrate the gradient flow with adaptive steps instead")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cuda when available)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--loss", default="squared", choices=("squared", "logistic"))
    p.add_argument("--tol", type=float, default=None, help="stop a model once its loss is <= TOL")
    p.add_argument("--checkpoints", type=int, default=20, help="log-spaced checkpoints (default 20)")
    p.add_argument("--output-bias", action="store_true", help="train an output bias")
    p.add_argument("--depth", type=int, default=1, help="hidden layers (default 1)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON document")
    p.set_defaults(func=run)


def _init_scale(text: str | None) -> float | str | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text  # 'width^p', validated by train_gd


def _clusters(result: Any, X: Any) -> tuple[list[int] | None, str | None]:
    """Number of direction clusters per model, or None (with a note) without the geometry module."""
    try:
        from ..nn import cluster_directions
    except ImportError as exc:
        return None, f"clusters skipped: geometry module unavailable ({exc})"
    try:
        groups = cluster_directions(result.W, result.a, points=X)  # a stack (n_models, width, d+1): one entry per model
        return [len(g) for g in groups], None
    except Exception as exc:  # a summary statistic must not sink the run
        return None, f"clusters skipped: {type(exc).__name__}: {exc}"


def _plots(result: Any, X: Any, y: Any, out: str) -> tuple[dict[str, str], list[str]]:
    """Write the PNG plots; returns (files, notes). Never raises."""
    files: dict[str, str] = {}
    notes: list[str] = []
    try:
        from ..nn import plot_breaklines_2d, plot_fit_1d, plot_loss, plot_orientation_amplitude
    except ImportError as exc:
        return files, [f"plots skipped: plotting module unavailable ({exc})"]
    jobs: list[tuple[str, Callable[[], Any]]] = [
        ("loss", lambda: plot_loss(result)),
        ("orientation_amplitude", lambda: plot_orientation_amplitude(result)),
    ]
    if result.n_dims == 1:
        jobs.append(("fit_1d", lambda: plot_fit_1d(result, X, y)))
    elif result.n_dims == 2:
        jobs.append(("breaklines_2d", lambda: plot_breaklines_2d(result, X, y)))
    else:
        notes.append(f"no fit plot for {result.n_dims}D inputs")
    for name, make in jobs:
        try:
            ax = make()
            files[name] = save_figure(ax, os.path.join(out, f"{name}.png"))
        except Exception as exc:  # one failing plot must not lose the trained run
            notes.append(f"plot {name!r} skipped: {type(exc).__name__}: {exc}")
    return files, notes


def _data(args: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The points, their values (``--target`` evaluated at them, or the ``--values`` column) and the source."""
    import numpy as np

    from ..points import load_points

    ps = load_points(args.points)
    X = ps.points
    if args.target is not None:
        from ..targets import get_target

        target = get_target(args.target, n_dims=ps.n_dims)
        return X, np.asarray(target(X), dtype=np.float64), {"target": target.name}
    return X, ps.values(args.values), {"values": args.values}


def _print_text(result: Any, X: Any, n_clusters: list[int] | None, out: str) -> None:
    import numpy as np

    fl = result.final_loss
    print(f"trained {result.n_models} network(s) of width {result.width} on {X.shape[0]} points ({X.shape[1]}D), "
          f"{result.method}, {result.config.get('steps_done')} {'time' if result.method == 'flow' else 'steps'}")
    print(f"final loss  min {np.nanmin(fl):.6g}  median {np.nanmedian(fl):.6g}  max {np.nanmax(fl):.6g}")
    if result.failed:
        print(f"failed: {len(result.failed)} model(s): " + "; ".join(f"#{i}: {r}" for i, r in result.failed[:5]))
    if n_clusters is not None:
        print(f"direction clusters per model: {n_clusters[:10]}{' ...' if len(n_clusters) > 10 else ''}")
    print(f"written to {out}")


def run(args: Any) -> int:
    from .._fileio import atomic_write_bytes, check_writable_dir
    from ..nn import save_checkpoints, train_gd

    # refuse an unusable destination now, not after the training
    check_writable_dir(args.out, "--out")
    X, y, source = _data(args)
    result = train_gd(
        X,
        y,
        width=args.width,
        n_models=args.models,
        init_scale=_init_scale(args.init_scale),
        init=args.init,
        lr=args.lr,
        n_steps=args.steps,
        tol=args.tol,
        seed=args.seed,
        device=args.device,
        dtype=args.dtype,
        loss=args.loss,
        checkpoints=args.checkpoints,
        output_bias=args.output_bias,
        depth=args.depth,
        method="flow" if args.flow else "gd",
        progress=None,
    )
    out = args.out
    save_checkpoints(result, out)
    n_clusters, note = _clusters(result, X)
    notes = [note] if note else []
    files: dict[str, str] = {}
    if not args.no_plots:
        files, plot_notes = _plots(result, X, y, out)
        notes += plot_notes
    summary = {
        "points": str(args.points),
        **source,
        "n_points": int(X.shape[0]),
        "n_dims": int(X.shape[1]),
        "method": result.method,
        "final_loss": result.final_loss.tolist(),
        "failed": [{"model": i, "reason": r} for i, r in result.failed],
        "converged": [{"model": i, "step": s} for i, s in result.converged],
        "plateaus": [[{"onset": o, "loss": lv} for o, lv in p] for p in result.plateaus],
        "n_clusters": n_clusters,
        "n_evals": result.n_evals.tolist(),  # type: ignore[union-attr]  # both trainers set it
        "config": result.config,
        "files": {"result": os.path.join(out, "result.npz"), "checkpoints": os.path.join(out, "checkpoints.npz"),
                  "config": os.path.join(out, "config.json"), **files},
        "notes": notes,
    }
    summary = to_jsonable(summary)
    atomic_write_bytes(os.path.join(out, "summary.json"), dumps(summary, indent=1).encode())
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    if args.json:
        print_json(summary)
    else:
        _print_text(result, X, n_clusters, out)
    return 0
