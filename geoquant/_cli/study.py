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
            "task; rerunning resumes. 'geoquant study status DIR' shows done/failed/pending per method; "
            "'geoquant study verify DIR' checks every result (exit status 1 if any is damaged). "
            "Reading a study runs none of its code; running a spec with a target \"module:function\" runs that "
            "module, like a Python script. "
            "Exit status 1 when any task failed (everything that succeeded is written first). "
            "The spec format: docs/study-spec.md."
        ),
    )
    p.add_argument("spec", metavar="SPEC.toml", help="study spec (TOML), or the word 'status' or 'verify'")
    p.add_argument("status_dir", nargs="?", metavar="DIR", help="with 'status' or 'verify': the study directory")
    p.add_argument("--out", "-o", metavar="DIR", help="study directory (created; resumed if it exists)")
    p.add_argument("--workers", type=int, metavar="N", help="local process pool size (default: CPUs; 0 = in process)")
    p.add_argument("--scheduler", metavar="ADDR", help="run on the Dask scheduler at ADDR (tcp://host:port)")
    p.add_argument("--dask-local", type=int, metavar="N", help="start a Dask LocalCluster with N workers")
    p.add_argument("--retry-failed", action="store_true", help="rerun tasks recorded as failed")
    p.add_argument("--device", metavar="DEV", help="torch device for networks (default: CUDA if available)")
    p.add_argument("--target-path", action="append", default=[], metavar="DIR",
                   help="import user targets (name = \"module:function\") from DIR first (repeatable); the only way "
                        "to import from a study directory. A spec with user targets runs their code")
    p.add_argument("--report", metavar="DIR", help="write the report to DIR when the study ends and print its path")
    p.add_argument("--dry-run", action="store_true",
                   help="print the tasks, families and a time estimate (from short timed samples, or from the calibrated "
                        "cost model for a short study); run nothing")
    p.add_argument("--no-timing", action="store_true", help="with --dry-run: only count, do not time a sample")
    p.add_argument("--time-samples", action="store_true",
                   help="with --dry-run: time samples even for a short study (by default a study the calibrated cost "
                        "model puts under 2 minutes is estimated from the model alone, in well under a second)")
    p.add_argument("--budget", metavar="TIME",
                   help="with --dry-run: the time the study may take (e.g. 3h, 90m, 1h30m, 600s or seconds; default: "
                        "the spec's [study] time_budget); says up front, and exits 1, when the estimate exceeds it")
    p.add_argument("--progress-interval", type=float, default=30.0, metavar="S",
                   help="when not on a terminal: seconds between two progress lines (default 30)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--rehash", action="store_true",
                   help="with 'verify': adopt result records written without a checksum (studies from before "
                        "checksums; only if you trust the directory), under the study's lock")
    p.set_defaults(func=run)


def _status(args) -> int:
    from ..study import study_status
    from ..errors import InvalidInputError

    if not args.status_dir:
        raise InvalidInputError("'geoquant study status' needs the study directory: geoquant study status DIR")
    from ..study import describe_damaged

    table = study_status(args.status_dir)
    damaged = table.attrs.get("damaged", [])
    if args.json:
        print_json({"study_dir": args.status_dir, "methods": table.to_dict(orient="index"), "damaged": damaged})
    else:
        print(f"study {args.status_dir}")
        print(table.to_string())
        if damaged:
            print(f"skipped {len(damaged)} damaged result file(s) (counted as pending; a rerun moves them to "
                  "quarantine/, where they are kept, and reruns their tasks):")
            for line in describe_damaged(damaged):
                print(f"  {line}")
    return 0


def _verify(args) -> int:
    from ..study import describe_damaged
    from ..study import verify_study
    from ..errors import InvalidInputError

    if not args.status_dir:
        raise InvalidInputError("'geoquant study verify' needs the study directory: geoquant study verify DIR")
    res = verify_study(args.status_dir, rehash=args.rehash)
    if args.json:
        print_json({"study_dir": args.status_dir, **res})
    else:
        if args.rehash:
            print(f"adopted {len(res['rehashed'])} result record(s) written without a checksum")
        print(f"study {args.status_dir}: {res['n_sound']} sound result record(s), {len(res['damaged'])} damaged "
              "file(s)")
        for line in describe_damaged(res["damaged"]):
            print(f"  {line}")
        if res["damaged"]:
            print("a rerun moves damaged files to quarantine/ (kept, listed in its index.json) and reruns their "
                  "tasks", file=sys.stderr)
    return 1 if res["damaged"] else 0


def run(args) -> int:
    from ..errors import InvalidInputError

    if args.spec == "status" and (args.status_dir or not Path("status").is_file()):
        return _status(args)
    if args.spec == "verify" and (args.status_dir or not Path("verify").is_file()):
        return _verify(args)
    if args.rehash:
        raise InvalidInputError("'--rehash' goes with 'geoquant study verify DIR'")
    if args.status_dir:
        raise InvalidInputError(f"unexpected argument {args.status_dir!r}; use --out DIR for the study directory")
    if args.dry_run:
        return _dry_run(args)
    if not args.out:
        raise InvalidInputError("'--out' is required: the study directory (e.g. --out studies/quickstart)")
    if sum(x is not None for x in (args.workers, args.scheduler, args.dask_local)) > 1:
        raise InvalidInputError("give at most one of --workers, --scheduler and --dask-local")
    from .._validation import check_positive
    from ..study import run_study

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
            progress_interval=check_positive(args.progress_interval, "--progress-interval"),
            target_path=args.target_path,
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
    from ..study import failure_causes

    causes = failure_causes(res.out) if (res.n_failed or _any_failed(res.out)) else []
    n_failed_total = sum(c["count"] for c in causes)
    summary["failed_total"] = n_failed_total
    summary["failure_causes"] = causes
    if args.json:
        print_json(summary)
    else:
        print(res.summary())
        if args.report:
            print(f"report: {summary['report']}")
        if causes:
            print(f"geoquant study: {n_failed_total} task(s) of the study failed; causes (most frequent first):",
                  file=sys.stderr)
            for c in causes:
                print(f"  {c['count']} x {c['cause']}\n      methods: {', '.join(c['methods'])}; e.g. {c['example']}",
                      file=sys.stderr)
            print(f"See 'geoquant study status {res.out}'; rerun with --retry-failed after fixing the cause.",
                  file=sys.stderr)
    return 1 if causes else 0


def _any_failed(out) -> bool:
    from ..study import read_records

    return any(r["status"] != "done" for r in read_records(out).values())


def _dry_run(args) -> int:
    from .._text import duration
    from ..study import dry_run

    if args.report:
        from ..errors import InvalidInputError

        raise InvalidInputError("'--report' cannot be combined with '--dry-run' (a dry run writes nothing)")
    budget = parse_duration(args.budget, "--budget") if args.budget is not None else None
    plan = dry_run(args.spec, workers=args.workers, time_sample=not args.no_timing, device=args.device,
                   target_path=args.target_path, budget_s=budget, quick_s=0.0 if args.time_samples else None)
    over = bool(plan["over_budget"])
    if args.json:
        print_json(plan)
        return 1 if over else 0
    if plan["over_budget"] is not None:  # up front: the answer to "does it fit?"
        verdict = "EXCEEDS" if over else "fits"
        print(f"estimated time about {duration(plan['estimate_now_s'])} at this machine's present load "
              f"({duration(plan['estimate_s'])} idle) {verdict} the budget of {duration(plan['budget_s'])} "
              f"on {plan['workers']} worker(s)")
    print(f"study {plan['study']}: {plan['n_tasks']} tasks in {plan['n_units']} units "
          f"(would run on {plan['workers']} worker(s))")
    print("tasks per family: " + ", ".join(f"{k} {v}" for k, v in plan["by_family"].items()))
    print("tasks per method: " + ", ".join(f"{k} {v}" for k, v in plan["by_method"].items()))
    for sk in plan["skipped"]:
        print(f"  left out: {sk['method']} in {sk['dim']}D ({sk['reason']})")
    if plan["sample"]:
        print("timed samples (tasks from the smallest n up; network ensembles on short prefixes of their budget):")
        for smp in plan["sample"]:
            bad = "" if smp["status"] == "done" else f"  FAILED: {smp['error']}"
            what = "per task" if smp["kind"] == "task" else f"per ensemble of {smp['runs']}"
            print(f"  {smp['method']:<28} {smp['dim']}D n={smp['n']:<5} took {smp['seconds']:6.2f} s CPU; "
                  f"estimate {smp['estimate_s']:8.2f} s {what}{bad}")
        print("estimated seconds per method: " + ", ".join(f"{k} {v:.0f}" for k, v in plan["by_method_s"].items()))
        print(f"estimated time: about {duration(plan['estimate_s'])} on {plan['workers']} worker(s) of an idle "
              f"machine; about {duration(plan['estimate_now_s'])} at its present load (samples ran "
              f"{plan['slowdown']:g}x slower than their CPU time; this dry run took {plan['dry_run_s']:.1f} s)")
        if any(smp["status"] != "done" for smp in plan["sample"]):
            print("some sample tasks failed: the study would record those methods as failed", file=sys.stderr)
            return 1
    if plan["estimate_from"] == "cost model":
        print("estimated seconds per method: " + ", ".join(f"{k} {v:.1f}" for k, v in plan["by_method_s"].items()))
        print(f"estimated time: about {duration(plan['estimate_s'])} on {plan['workers']} worker(s) of an idle "
              f"machine; about {duration(plan['estimate_now_s'])} at its present load (from the calibrated cost "
              f"model: a short study, no samples timed; --time-samples times them; this dry run took "
              f"{plan['dry_run_s']:.2f} s)")
    if over:
        print(f"the estimate exceeds the budget of {duration(plan['budget_s'])}: shrink the grid or the "
              "budgets, or give it more workers", file=sys.stderr)
        return 1
    return 0


def parse_duration(text: str, name: str) -> float:
    """Seconds in ``"3h"``, ``"90m"``, ``"1h30m"``, ``"600s"`` or ``"600"``."""
    import re

    from ..errors import InvalidInputError

    t = str(text).strip().lower()
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?", t)
    if not t or m is None or not any(m.groups()):
        raise InvalidInputError(f"'{name}' must be a duration such as 3h, 90m, 1h30m, 600s or 600, found {text!r}")
    h, mi, sec = (float(g) if g else 0.0 for g in m.groups())
    total = 3600 * h + 60 * mi + sec
    if total <= 0:
        raise InvalidInputError(f"'{name}' must be a positive duration, found {text!r}")
    return total
