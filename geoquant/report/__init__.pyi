"""Typing stub of ``geoquant.report``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._report import (
    make_report as make_report,
    Report as Report,
)
