"""Smooth target functions with exact derivatives and a certified curvature bound.

A :class:`Target` is a function ``f`` on a box ``domain`` in ``R^dim`` together
with its gradient, its Hessian and a number ``hessian_bound`` ``M`` with

    M >= sup over x in domain of ||D^2 f(x)||_2 = |f|_{2,inf}  (docs/theory.md §6),

so that Waldron's bound ``||f - I f||_inf <= 1/2 * M * R_min**2`` holds on every
simplex inside the domain. ``bound_kind`` says how much to trust ``M``:

``"exact"``
    ``M`` equals the supremum over the domain (it is attained there); derived in
    closed form.
``"rigorous"``
    ``M`` is a proven upper bound, possibly not attained; ``bound_note`` gives
    the argument.

(``"analytic"`` is reserved for closed-form values that are believed but not
proven to bound the supremum; no shipped target uses it.)

Every shipped target's bound (:mod:`geoquant.targets._library`) is computed
for the target's actual ``domain`` (targets take a ``domain=`` parameter), in
closed form or by a certified partition argument, never by sampling.

Input convention: ``f(x)``, ``f.gradient(x)``, ``f.hessian(x)`` take
``x`` of shape ``(..., dim)`` and return ``(...)``, ``(..., dim)`` and
``(..., dim, dim)``. For ``dim == 1`` a plain ``(...)`` array whose last axis is
not of length 1 is read as that many points; an array whose last axis has
length 1 is read as ``(..., 1)``. A single point gives a NumPy scalar.

Use :func:`get_target` to build a target by name and :func:`list_targets` /
:func:`describe_target` to see what exists.
"""

from __future__ import annotations

from .._lazy import attach_stub

from . import _library  # noqa: F401  (defining the shipped targets registers them)

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
