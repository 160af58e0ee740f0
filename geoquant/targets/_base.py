"""What a target is (:class:`Target`) and the helpers its certified Hessian bounds are built from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_option, check_query
from .._deprecation import renamed_arguments
from ..errors import InvalidInputError
from ..points import check_domain


#: Allowed values of :attr:`Target.bound_kind`.
BOUND_KINDS = ("exact", "analytic", "rigorous")

# Floating-point safety factor for bounds assembled from several computed pieces.
_SAFETY = 1.0 + 1e-12


class Target:
    """A smooth function on a box with value, gradient, Hessian and Hessian bound.

    Subclasses implement ``_value``, ``_gradient`` and ``_hessian`` on clean
    ``(..., dim)`` float64 arrays and call ``Target.__init__`` with the bound.

    Attributes
    ----------
    name : str
        Registry name.
    dim : int
        Input dimension.
    domain : (dim, 2) ndarray of float64
        The box ``[low, high]`` per axis on which the bound holds.
    hessian_bound : float
        ``M >= sup_{x in domain} ||D^2 f(x)||_2``.
    bound_kind : {"exact", "analytic", "rigorous"}
        See the module docstring.
    bound_note : str
        How ``hessian_bound`` was derived.
    params : dict
        Plain-Python parameters (lists and floats) such that
        ``get_target(name, n_dims=dim, domain=domain, **params)`` rebuilds the target.
    """

    @renamed_arguments(dim="n_dims")
    def __init__(self, name: str, n_dims: int, domain: NDArray[np.float64], params: dict[str, Any], hessian_bound: float,
                 bound_kind: str, bound_note: str) -> None:
        check_option(bound_kind, "bound_kind", BOUND_KINDS)
        self.name = name
        self.dim = int(n_dims)
        self.domain = domain
        self.domain.setflags(write=False)
        self.params = params
        self.hessian_bound = float(hessian_bound)
        self.bound_kind = bound_kind
        self.bound_note = bound_note

    # -- public evaluation --------------------------------------------------------------
    def __call__(self, x: ArrayLike) -> NDArray[np.float64] | np.float64:
        """Values ``(...)`` at points ``x`` ``(..., dim)``."""
        return self._value(check_query(x, self.dim, "x"))[()]

    def gradient(self, x: ArrayLike) -> NDArray[np.float64]:
        """Gradients ``(..., dim)`` at points ``x`` ``(..., dim)``."""
        return self._gradient(check_query(x, self.dim, "x"))

    def hessian(self, x: ArrayLike) -> NDArray[np.float64]:
        """Hessians ``(..., dim, dim)`` (symmetric) at points ``x`` ``(..., dim)``."""
        return self._hessian(check_query(x, self.dim, "x"))

    def hessian_norm(self, x: ArrayLike) -> NDArray[np.float64]:
        """Spectral norms ``(...)`` of the Hessians at ``x`` ``(..., dim)``."""
        h = self.hessian(x)
        return np.abs(np.linalg.eigvalsh(h)).max(axis=-1)[()]

    def __repr__(self) -> str:
        return (
            f"Target({self.name!r}, dim={self.dim}, domain={self.domain.tolist()}, "
            f"hessian_bound={self.hessian_bound:.6g}, bound_kind={self.bound_kind!r})"
        )

    # -- kernels (clean float64 input) ----------------------------------------------------
    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover - abstract
        raise NotImplementedError


# ================================================================================================
# helpers


def _vector(value: Any, dim: int, name: str, default: ArrayLike | None) -> NDArray[np.float64]:
    """A scalar or ``(dim,)`` parameter as a ``(dim,)`` float64 array."""
    value = default if value is None else value
    if np.ndim(value) == 0:  # as_float_array would turn a scalar into shape (1,)
        return np.full(dim, _real(value, name))
    arr = as_float_array(value, name, ndim=1).copy()
    if arr.shape != (dim,):
        raise InvalidInputError(f"'{name}' must be a scalar or have shape ({dim},), found ({arr.shape[0]},)")
    return arr


def _real(value: object, name: str) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"'{name}' must be a real number, found {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidInputError(f"'{name}' must be finite, found {value!r}")
    return v


def _sq_dist_range(domain: NDArray[np.float64], centre: NDArray[np.float64]) -> tuple[float, float]:
    """Range ``[tmin, tmax]`` of ``|x - centre|^2`` over the box (both attained: the box is connected)."""
    lo, hi = domain[:, 0], domain[:, 1]
    near = np.clip(centre, lo, hi)
    far = np.where(np.abs(lo - centre) > np.abs(hi - centre), lo, hi)
    return float(np.sum((near - centre) ** 2)), float(np.sum((far - centre) ** 2))


def _interval_max(fun: Callable[[Any], Any], tmin: float | NDArray[np.float64], tmax: float | NDArray[np.float64],
                  critical: Iterable[float]) -> NDArray[np.float64]:
    """Max of ``|fun|`` over ``t in [tmin, tmax]`` (arrays allowed) for ``fun`` monotone between
    the points in ``critical``: the max of ``|fun|`` sits at an end or at an extremum of ``fun``."""
    best = np.maximum(np.abs(fun(tmin)), np.abs(fun(tmax)))
    for tc in critical:
        inside = (tmin <= tc) & (tc <= tmax)
        best = np.where(inside, np.maximum(best, np.abs(fun(np.asarray(tc, dtype=float)))), best)
    return best


def _gauss_norm_max(tmin: float | NDArray[np.float64], tmax: float | NDArray[np.float64],
                    multi: bool) -> NDArray[np.float64]:
    """Max over ``t in [tmin, tmax]`` of ``||Hessian||`` of ``exp(-|y|^2/2)`` at ``|y|^2 = t``.

    The Hessian is ``g (y y^T - I)``: eigenvalue ``(t - 1) e^{-t/2}`` along ``y``
    (extremum at ``t = 3``) and ``-e^{-t/2}`` across it (only if ``multi``, i.e. dim >= 2;
    decreasing in ``t``, so largest at ``tmin``)."""
    best = _interval_max(lambda t: (t - 1.0) * np.exp(-t / 2.0), tmin, tmax, (3.0,))
    if multi:
        best = np.maximum(best, np.exp(-np.asarray(tmin) / 2.0))
    return best


def _gauss_g(x: NDArray[np.float64], centres: NDArray[np.float64], s2: NDArray[np.float64],
             amps: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offsets ``x - c_k`` (..., K, d) and terms ``a_k exp(-|x - c_k|^2 / (2 s_k^2))`` (..., K)."""
    diff = x[..., None, :] - centres  # (..., K, d)
    return diff, amps * np.exp(-np.sum(diff**2, axis=-1) / (2.0 * s2))


def _gauss_value(x: NDArray[np.float64], centres: NDArray[np.float64], s2: NDArray[np.float64],
                 amps: NDArray[np.float64]) -> NDArray[np.float64]:
    """Value of sum_k a_k exp(-|x - c_k|^2 / (2 s_k^2)) alone (the same arithmetic as :func:`_gauss_terms`)."""
    return _gauss_g(x, centres, s2, amps)[1].sum(axis=-1)


def _gauss_terms(x: NDArray[np.float64], centres: NDArray[np.float64], s2: NDArray[np.float64],
                 amps: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Value, gradient, Hessian of sum_k a_k exp(-|x - c_k|^2 / (2 s_k^2))."""
    diff, g = _gauss_g(x, centres, s2, amps)
    val = g.sum(axis=-1)
    grad = -np.einsum("...k,...kd->...d", g / s2, diff)
    d = x.shape[-1]
    hess = np.einsum("...k,...ki,...kj->...ij", g / s2**2, diff, diff) - np.einsum("...k->...", g / s2)[
        ..., None, None
    ] * np.eye(d)
    return val, grad, hess


def _box(domain: ArrayLike | None, dim: int, default: tuple[float, float]) -> NDArray[np.float64]:
    return check_domain(np.array([default] * dim, dtype=float) if domain is None else domain, dim)
