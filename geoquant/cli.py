"""The ``geoquant`` command line: parse, call the library, print.

Each subcommand lives in ``geoquant/_cli/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
callable taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ._version import __version__
from .errors import GeoquantError

# Order shown in ``geoquant --help``.
_COMMANDS = ("delaunay", "error", "triangulations", "train", "quantize", "study", "report", "targets", "methods")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geoquant",
        description="ReLU networks from small initialization vs linear interpolation on triangulations.",
    )
    parser.add_argument("--version", action="version", version=f"geoquant {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"geoquant._cli.{name}")
        module.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GeoquantError as exc:
        print(f"geoquant {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        import errno

        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        from ._fileio import storage_error  # a full disk is said plainly wherever it strikes

        print(f"geoquant {args.command}: error: {storage_error(exc, exc.filename or '?')}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
