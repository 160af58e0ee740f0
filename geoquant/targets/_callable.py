"""A user's function as a target: CallableTarget, import_callable and a sampled check of its bound."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any


import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_generator, check_int, check_positive
from .._deprecation import renamed_arguments
from ..errors import InvalidInputError, UserCodeError
from ..points import check_domain

from ._base import Target

if TYPE_CHECKING:
    import os


class CallableTarget(Target):
    """A user's function as a target: values from the callable, derivatives by finite differences.

    Parameters
    ----------
    func : callable
        ``func(x, **params)`` with ``x`` of shape ``(..., n_dims)`` returning ``(...)``.
    n_dims : int
        Input dimension (>= 1; the attribute ``dim``).
    domain : (n_dims, 2) or (2,) array_like
        The box ``[low, high]`` per axis.
    hessian_bound : float
        The user's ``M >= sup ||D^2 f||_2`` on ``domain`` (``bound_kind`` is
        ``"analytic"``: given, not proven; :func:`sampled_hessian_norm` checks
        it by sampling).
    name : str
        Shown in results (``"module:function"``).
    params : dict, optional
        Keyword arguments passed to ``func``.

    Notes
    -----
    Gradient and Hessian are central differences with steps ``1e-5`` and
    ``1e-4`` times the domain's width per axis (Hessian error ``O(h^2)`` plus
    rounding ``~1e-8`` relative): enough to check a bound, not to certify one.
    """

    @renamed_arguments(dim="n_dims")
    def __init__(self, func: Callable[[NDArray[np.float64]], ArrayLike], n_dims: int, domain: ArrayLike,
                 hessian_bound: float, name: str, params: dict[str, Any] | None = None) -> None:
        if not callable(func):
            raise InvalidInputError(f"'func' must be callable, found {type(func).__name__}")
        dim = check_int(n_dims, "n_dims", min_value=1)
        box = check_domain(domain, dim)
        M = check_positive(hessian_bound, "hessian_bound")
        self._func = func
        self._kw = dict(params or {})
        self._width = box[:, 1] - box[:, 0]
        super().__init__(name, dim, box, dict(params or {}), M, "analytic",
                         "given by the user with the target; checked by sampling (finite-difference Hessian)")

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        try:
            v = np.asarray(self._func(x, **self._kw), dtype=np.float64)
        except SystemExit as exc:  # user code must not end the process that evaluates it
            raise UserCodeError(f"target {self.name!r} called sys.exit({exc.code!r}) when evaluated at "
                                f"{int(np.prod(x.shape[:-1]))} point(s); a target must return its values") from None
        if v.shape != x.shape[:-1]:
            raise InvalidInputError(
                f"target {self.name!r} must map x of shape (..., {self.dim}) to shape (...); for x of shape "
                f"{x.shape} it returned shape {v.shape}")
        return v

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        h = 1e-5 * self._width
        out = np.empty(x.shape, dtype=np.float64)
        for i in range(self.dim):
            e = np.zeros(self.dim)
            e[i] = h[i]
            out[..., i] = (self._value(x + e) - self._value(x - e)) / (2 * h[i])
        return out

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        h = 1e-4 * self._width
        d = self.dim
        out = np.empty(x.shape + (d,), dtype=np.float64)
        f0 = self._value(x)
        for i in range(d):
            ei = np.zeros(d)
            ei[i] = h[i]
            out[..., i, i] = (self._value(x + ei) - 2 * f0 + self._value(x - ei)) / h[i] ** 2
            for j in range(i + 1, d):
                ej = np.zeros(d)
                ej[j] = h[j]
                v = (self._value(x + ei + ej) - self._value(x + ei - ej) - self._value(x - ei + ej)
                     + self._value(x - ei - ej)) / (4 * h[i] * h[j])
                out[..., i, j] = out[..., j, i] = v
        return out


def import_callable(spec: str, search: Collection[str | os.PathLike[str]] = (),
                    include_cwd: bool = True) -> Callable[..., Any]:
    """The callable named ``"module:function"`` (``module`` may be dotted; ``function`` may be
    ``Class.method``), importing ``module`` with the directories ``search`` (and the current
    directory, unless ``include_cwd`` is False) tried first.

    Importing a module runs its code, like running a Python script: name only modules you trust.

    Raises
    ------
    InvalidInputError
        Malformed name, module not found, attribute missing or not callable.
    UserCodeError
        The module raised (or called ``sys.exit()``) while it was imported.
    """
    import importlib
    import os
    import sys

    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise InvalidInputError(f"'name' of a user target must look like \"module:function\", found {spec!r}")
    mod_name, attr = spec.split(":")
    added = []
    for d in [*map(str, search), *([os.getcwd()] if include_cwd else [])]:
        if d not in sys.path:
            sys.path.insert(0, d)
            added.append(d)
    try:
        try:
            obj = importlib.import_module(mod_name)
        except ImportError as exc:
            missing = getattr(exc, "name", None)
            if missing is not None and mod_name != missing and not mod_name.startswith(missing + "."):
                raise UserCodeError(f"user target {spec!r}: importing module {mod_name!r} failed: "
                                    f"{type(exc).__name__}: {exc}") from None
            where = ", ".join(map(repr, [*map(str, search), *([os.getcwd()] if include_cwd else [])]))
            raise InvalidInputError(
                f"user target {spec!r}: cannot import module {mod_name!r} ({exc}); looked in {where or 'no directory'}"
                " and the installed packages; put the module there, or install it") from None
        except SystemExit as exc:
            raise UserCodeError(f"user target {spec!r}: importing module {mod_name!r} called "
                                f"sys.exit({exc.code!r})") from None
        except Exception as exc:
            raise UserCodeError(f"user target {spec!r}: importing module {mod_name!r} raised "
                                f"{type(exc).__name__}: {exc}") from exc
    finally:
        for d in added:
            if d in sys.path:
                sys.path.remove(d)
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InvalidInputError(f"user target {spec!r}: module {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise InvalidInputError(f"user target {spec!r}: {attr!r} is not callable, found {type(obj).__name__}")
    return obj


def sampled_hessian_norm(target: Target, n_samples: int = 2000,
                         seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
                         ) -> tuple[float, NDArray[np.float64]]:
    """Largest spectral norm of ``target``'s Hessian over ``n_samples`` uniform points of its domain
    (and the domain's corners).

    Returns
    -------
    value : float
    at : (dim,) ndarray
        Where the largest norm was found.
    """
    import itertools

    n_samples = check_int(n_samples, "n_samples", min_value=1)
    rng = as_generator(seed)
    lo, hi = target.domain[:, 0], target.domain[:, 1]
    X = lo + (hi - lo) * rng.random((n_samples, target.dim))
    if target.dim <= 6:
        corners = np.array(list(itertools.product(*target.domain.tolist())), dtype=float)
        X = np.vstack([X, corners])
    norms = np.asarray(target.hessian_norm(X), dtype=float).reshape(len(X))
    k = int(np.nanargmax(norms))
    return float(norms[k]), X[k]
