"""Point sets: load them from disk, sample them, write them back.

Every point set leaves this module as a clean ``(n_points, n_dims)`` float64
array that passed :func:`geoquant._validation.check_points` (finite, no
duplicates, enough affinely independent points), so the geometry and network
engines never see NaN, coinciding points or a degenerate configuration.

File formats
------------
CSV (``.csv`` or ``.txt``)
    Comma separated, one header row naming the columns; blank lines and lines
    starting with ``#`` are skipped. The **coordinate columns** are found from
    the header (names compared case-insensitively, surrounding blanks ignored):

    1. numbered columns ``x0, x1, ..., x{d-1}`` or ``x1, x2, ..., xd``
       (the numbers must run without gaps from 0 or from 1; their order in the
       file does not matter);
    2. otherwise the named columns ``x``, ``x, y`` or ``x, y, z``
       (``y`` needs ``x``, ``z`` needs ``y``).

    Mixing the two styles is an error, and so is a header with neither. Every
    other column is an **extra column** (for example ``value``): it must be
    numeric as well and is returned in :attr:`PointSet.columns`. Pass
    ``coordinate_columns=`` to choose the coordinate columns explicitly.
NumPy (``.npy``)
    An ``(n_points, n_dims)`` array, or a 1-D ``(n_points,)`` array read as
    points in 1D. No extra columns.
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
