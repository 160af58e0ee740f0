"""The ``geoquant`` command line: parse, call the library, print.

Each subcommand lives in ``geoquant/_cli/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
callable taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._version import __version__
from .errors import GeoquantError

# Order shown in ``geoquant --help``.
_COMMANDS = ("delaunay", "error", "triangulations", "train", "quantize", "study", "report", "targets", "methods")


def error_line(prog: str, message: str) -> str:
    """``"<prog>: error: <message>"``, without doubling the word for the ``error`` subcommand."""
    return f"{prog}: {message}" if prog.endswith(" error") else f"{prog}: error: {message}"


class _Parser(argparse.ArgumentParser):
    """argparse's parser with :func:`error_line` messages (``geoquant error: ...``, not ``error: error:``)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, error_line(self.prog, message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``geoquant`` parser with every subcommand of :data:`_COMMANDS` registered."""
    parser = _Parser(
        prog="geoquant",
        description="ReLU networks from small initialization vs linear interpolation on triangulations.",
    )
    parser.add_argument("--version", action="version", version=f"geoquant {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMANDS:
        module = importlib.import_module(f"geoquant._cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geoquant`` command line on ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GeoquantError as exc:
        print(error_line(f"geoquant {args.command}", str(exc)), file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (``geoquant ... --json | head``): stop quietly, as Unix tools do;
        # point stdout at /dev/null so that the interpreter's final flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE
    except OSError as exc:
        import errno

        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        from ._fileio import storage_error  # a full disk is said plainly wherever it strikes

        print(error_line(f"geoquant {args.command}", str(storage_error(exc, exc.filename or "?"))), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
