"""Piecewise-linear interpolants on triangulations, their exact errors and bounds (names load lazily, PEP 562).

Errors are computed simplex by simplex and returned per simplex, so the error
of any other triangulation made of the same simplices is a sum (L1, squared
L2) or a maximum (Linf) of numbers already computed, with no new evaluation of
the target. Units of ``ErrorResult.per_simplex``: for ``"l2"`` the **squared**
error ``integral of (f - I f)^2`` over the simplex (the L2 error of a set of
simplices is the square root of their sum); for ``"l1"`` ``integral of |f - I f|``;
for ``"linf"`` ``max |f - I f|``. :func:`l2_optimal_triangulation` minimises
the sum of the squared per-simplex errors over all fine triangulations exactly.

Quadrature (L2, L1): the Grundmann-Moeller rule exact for polynomials of
degree ``degree`` (default 7; :mod:`geoquant._quadrature`) on each simplex,
optionally split ``refine`` times and clipped to a ``box``. The squared error
``(f - I f)^2`` of a quadratic ``f`` is a quartic, so L2 errors of quadratic
targets are exact to round-off; for other smooth targets the rule's error
falls like ``h^(2s+2)`` times a derivative of order ``2s + 2`` (``s = degree // 2``).

Linf: the maximum of ``|f - I f|`` over the barycentric lattice of order ``N``
on each simplex (its ``N^d`` sub-simplices have edges ``(v_i - v_j) / N``). The
returned value is a lower bound of the true maximum; with a Hessian bound
``M`` it is also within ``accuracy = 1/2 * M * r^2`` of it, ``r`` the
smallest-ball radius of a sub-simplex (``R_min / N`` in 2D; the Jung bound
``diam / N * sqrt(d / (2(d+1)))`` in general), because ``f - I f`` differs
from its own lattice interpolant by at most that (Waldron's bound).
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi; each loads the first time it is used
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
