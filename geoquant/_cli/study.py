"""``geoquant study SPEC.toml --out DIR`` and ``geoquant study status DIR``.

Runs (or resumes) a study in a local process pool (``--workers N``) or on Dask
(``--scheduler tcp://HOST:PORT`` or ``--dask-local N``), optionally ending with
the report (``--report DIR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import print_json


def register(sub) -> None:
    p = sub.add_parser(
        "study",
        help="run a comparison study from a TOML spec (or 'study status DIR' to show progress)",
        description=(
            "Run the tasks of a study spec (targets x samplers x sizes x seeds x methods), one result file per "
            "task; rerunning resumes. 'geoquant study status DIR' shows done/failed/pending per method."
        ),
    )
    p.add_argument("spec", metavar="SPEC.toml", help="study spec (TOML), or the word 'status'")
    p.add_argument("status_dir", nargs="?", metavar="DIR", help="with 'status': the study directory")
    p.add_argument("--out", "-o", metavar="DIR", help="study directory (created; resumed if it exists)")
    p.add_argument("--workers", type=int, metavar="N", help="local process pool size (default: CPUs; 0 = in process)")
    p.add_argument("--scheduler", metavar="ADDR", help="run on the Dask scheduler at ADDR (tcp://host:port)")
    p.add_argument("--dask-local", type=int, metavar="N", help="start a Dask LocalCluster with N workers")
    p.add_argument("--retry-failed", action="store_true", help="rerun tasks recorded as failed")
    p.add_argument("--device", metavar="DEV", help="torch device for networks (default: CUDA if available)")
    p.add_argument("--report", metavar="DIR", help="write the report to DIR when the study ends and print its path")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def _status(args) -> int:
    from ..compare import study_status
    from ..errors import InvalidInputError

    if not args.status_dir:
        raise InvalidInputError("'geoquant study status' needs the study directory: geoquant study status DIR")
    from ..compare._results import describe_damaged

    table = study_status(args.status_dir)
    damaged = table.attrs.get("damaged", [])
    if args.json:
        print_json({"study_dir": args.status_dir, "methods": table.to_dict(orient="index"), "damaged": damaged})
    else:
        print(f"study {args.status_dir}")
        print(table.to_string())
        if damaged:
            print(f"skipped {len(damaged)} damaged result file(s) (counted as pending; a rerun moves them to "
                  "quarantine/ and reruns their tasks):")
            for line in describe_damaged(damaged):
                print(f"  {line}")
    return 0


def run(args) -> int:
    from ..errors import InvalidInputError

    if args.spec == "status" and (args.status_dir or not Path("status").is_file()):
        return _status(args)
    if args.status_dir:
        raise InvalidInputError(f"unexpected argument {args.status_dir!r}; use --out DIR for the study directory")
    if not args.out:
        raise InvalidInputError("'--out' is required: the study directory (e.g. --out studies/quickstart)")
    if sum(x is not None for x in (args.workers, args.scheduler, args.dask_local)) > 1:
        raise InvalidInputError("give at most one of --workers, --scheduler and --dask-local")
    from ..compare import run_study

    try:
        res = run_study(
            args.spec,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            dask_local=args.dask_local,
            retry_failed=args.retry_failed,
            device=args.device,
            progress=False if (args.quiet or args.json) else None,
        )
    except KeyboardInterrupt as exc:
        import signal

        signum = getattr(exc, "signum", signal.SIGINT)
        how = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"
        print(f"geoquant study: {how}; every finished task is saved in {args.out}; "
              "rerun the same command to resume", file=sys.stderr)
        return 128 + signum
    summary = {
        "study_dir": str(res.out),
        "n_tasks": res.n_tasks,
        "done": res.n_done,
        "failed": res.n_failed,
        "already_finished": res.n_skipped,
        "wall_s": round(res.wall_s, 3),
        "executor": res.executor,
    }
    if args.report:
        from ..report import make_report

        rep = make_report(res.out, args.report, progress=False if (args.quiet or args.json) else None)
        summary["report"] = str(rep.html)
        summary["summary"] = str(rep.markdown)
    if res.quarantined:
        summary["quarantined"] = res.quarantined
    if args.json:
        print_json(summary)
    else:
        print(res.summary())
        if res.n_failed:
            print(f"{res.n_failed} task(s) failed; see 'geoquant study status {res.out}' and rerun with --retry-failed",
                  file=sys.stderr)
        if args.report:
            print(f"report: {summary['report']}")
    return 0
