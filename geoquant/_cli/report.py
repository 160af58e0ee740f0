"""``geoquant report DIR -o reports/NAME/``: one self-contained HTML page and a Markdown summary."""

from __future__ import annotations

from ._common import print_json


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write the HTML report and Markdown summary of a study directory",
        description=(
            "Read a study directory's results (never recomputing them) and write OUT/index.html (figures embedded "
            "as base64 PNG, size-capped) and OUT/summary.md."
        ),
    )
    p.add_argument("study_dir", metavar="DIR", help="study directory written by 'geoquant study'")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output directory (e.g. reports/quickstart)")
    p.add_argument("--max-mb", type=float, default=5.0, help="size cap of the HTML page in MB (default 5)")
    p.add_argument("--dpi", type=int, default=90, help="figure resolution before any downscaling (default 90)")
    p.add_argument("--gallery-per-target", type=int, default=2, help="sample sizes shown per target (default 2)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def run(args) -> int:
    from .._validation import check_int, check_positive
    from ..report import make_report

    max_mb = check_positive(args.max_mb, "--max-mb")
    rep = make_report(
        args.study_dir,
        args.out,
        max_bytes=int(max_mb * 1e6),
        dpi=check_int(args.dpi, "--dpi", min_value=20),
        gallery_per_target=check_int(args.gallery_per_target, "--gallery-per-target", min_value=0),
        progress=False if (args.quiet or args.json) else None,
    )
    out = {
        "html": str(rep.html),
        "markdown": str(rep.markdown),
        "figures": rep.n_figures,
        "size_bytes": rep.size_bytes,
        "dpi": rep.dpi,
        "gallery_figures_dropped": rep.dropped,
        "skipped": rep.skipped,
    }
    if args.json:
        print_json(out)
    else:
        print(f"report: {rep.html} ({rep.size_bytes / 1e6:.2f} MB, {rep.n_figures} figures at {rep.dpi} dpi)")
        print(f"summary: {rep.markdown}")
    if rep.skipped:
        import sys

        print(f"note: {len(rep.skipped)} damaged file(s) left out of the report (listed on the page); a rerun of "
              "the study moves them to quarantine/ (kept, not deleted) and reruns their tasks", file=sys.stderr)
    return 0
