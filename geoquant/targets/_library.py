"""The shipped targets (quadratic, franke, gaussian, ...), each with its certified Hessian bound."""

from __future__ import annotations


import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, as_generator, check_int, check_memory, check_positive
from ..errors import InvalidInputError

from ._base import (
    _SAFETY,
    Target,
    _box,
    _gauss_norm_max,
    _gauss_terms,
    _gauss_value,
    _interval_max,
    _real,
    _sq_dist_range,
    _vector,
)
from ._registry import _register


# ================================================================================================
# targets


@_register("quadratic", "f(x) = x^T A x + b.x + c on [0,1]^d (default A = I, b = 0, c = 0)")
class _Quadratic(Target):
    def __init__(self, dim: int, *, A: Any = None, b: ArrayLike | None = None, c: float = 0.0,
                 domain: ArrayLike | None = None) -> None:
        if A is None:
            A = np.eye(dim)
        if np.ndim(A) == 0:
            A = _real(A, "A") * np.eye(dim)
        A = as_float_array(A, "A", ndim=2).copy()
        if A.shape != (dim, dim):
            raise InvalidInputError(f"'A' must be a scalar or have shape ({dim}, {dim}), found {A.shape}")
        self.A: NDArray[np.float64] = A
        self.b = _vector(b, dim, "b", 0.0)
        self.c = _real(c, "c")
        self._H = A + A.T
        box = _box(domain, dim, (0.0, 1.0))
        M = float(np.abs(np.linalg.eigvalsh(self._H)).max())
        super().__init__(
            "quadratic", dim, box, {"A": A.tolist(), "b": self.b.tolist(), "c": self.c}, M, "exact",
            "The Hessian is the constant A + A^T, so M = ||A + A^T||_2 = 2||A||_2 for symmetric A (exact).",
        )

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.einsum("...i,ij,...j->...", x, self.A, x) + x @ self.b + self.c

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x @ self._H.T + self.b

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.broadcast_to(self._H, x.shape[:-1] + self._H.shape).copy()


# Franke (1979) test function as four terms: three isotropic Gaussians a exp(-|x-c|^2/(2 s^2))
# and one exp(-(9x+1)^2/49 - (9y+1)/10) term.
_FRANKE_GAUSS = (
    (0.75, (2 / 9, 2 / 9), 2 / 81),
    (0.50, (7 / 9, 3 / 9), 2 / 81),
    (-0.20, (4 / 9, 7 / 9), 1 / 162),
)
_FRANKE_CELLS = 256
# bound on ||Hessian of exp(q)|| / exp(q) = |grad q|^2 + ||D^2 q|| for the second term:
# phi(u) e^{-u^2/49} = e^{-u^2/49} ((18u/49)^2 + 0.81 + 162/49), u = 9x + 1.
_F2_ALPHA = (18 / 49) ** 2
_F2_BETA = 0.81 + 162 / 49
_F2_TSTAR = 49.0 - _F2_BETA / _F2_ALPHA  # maximiser of (alpha t + beta) e^{-t/49} in t = u^2


def _franke_bound(domain: NDArray[np.float64], cells: int = _FRANKE_CELLS) -> float:
    """Certified sup of ||D^2 franke|| over the box: on each cell of a cells x cells partition add
    per-term maxima of the term's Hessian norm over the cell; take the largest cell total."""
    ex = np.linspace(domain[0, 0], domain[0, 1], cells + 1)
    ey = np.linspace(domain[1, 0], domain[1, 1], cells + 1)
    x0, x1, y0, y1 = ex[:-1], ex[1:], ey[:-1], ey[1:]

    def dist_range(a: NDArray[np.float64], b: NDArray[np.float64],
                   c: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # range of |t - c| for t in [a, b]
        near = np.where(c < a, a - c, np.where(c > b, c - b, 0.0))
        return near, np.maximum(np.abs(a - c), np.abs(b - c))

    total = np.zeros((cells, cells))
    for amp, (cx, cy), s2 in _FRANKE_GAUSS:
        nx, fx = dist_range(x0, x1, cx)
        ny, fy = dist_range(y0, y1, cy)
        tmin = (nx[:, None] ** 2 + ny[None, :] ** 2) / s2
        tmax = (fx[:, None] ** 2 + fy[None, :] ** 2) / s2
        total += abs(amp) / s2 * _gauss_norm_max(tmin, tmax, True)
    u0, u1 = 9 * x0 + 1, 9 * x1 + 1
    t_lo = np.where((u0 <= 0) & (u1 >= 0), 0.0, np.minimum(u0**2, u1**2))
    t_hi = np.maximum(u0**2, u1**2)
    t_best = np.clip(_F2_TSTAR, t_lo, t_hi)  # (alpha t + beta) e^{-t/49} is unimodal in t
    phi = (_F2_ALPHA * t_best + _F2_BETA) * np.exp(-t_best / 49.0)
    total += 0.75 * phi[:, None] * np.exp(-(9 * y0 + 1) / 10.0)[None, :]
    return float(total.max()) * _SAFETY


@_register(
    "franke",
    "Franke's 2D test function (three Gaussians and a skewed exponential) on [0,1]^2",
    dims=(2,),
    default_dim=2,
)
class _Franke(Target):
    def __init__(self, dim: int, *, domain: ArrayLike | None = None) -> None:
        box = _box(domain, dim, (0.0, 1.0))
        self._amps = np.array([t[0] for t in _FRANKE_GAUSS])
        self._centres = np.array([t[1] for t in _FRANKE_GAUSS])
        self._s2 = np.array([t[2] for t in _FRANKE_GAUSS])
        M = _franke_bound(box)
        note = (
            f"Rigorous: the domain is cut into {_FRANKE_CELLS}x{_FRANKE_CELLS} cells; on each cell the "
            "Hessian norm of each of the 4 terms is bounded by its exact maximum over the cell's range of "
            "distances to the term's centre (Gaussian terms a e^{-r^2/(2s^2)}: norm |a| e^{-t/2} "
            "max(|t-1|, 1)/s^2, t = r^2/s^2) or, for 0.75 exp(q) with q = -(9x+1)^2/49 - (9y+1)/10, by "
            "0.75 e^q (|grad q|^2 + 162/49) maximised over the cell; M is the largest cell sum "
            "(triangle inequality). Within a few per cent of the true supremum."
        )
        super().__init__("franke", dim, box, {}, M, "rigorous", note)

    def _term2(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        u = 9 * x[..., 0] + 1
        e = 0.75 * np.exp(-(u**2) / 49 - (9 * x[..., 1] + 1) / 10)
        qx = -18 * u / 49
        qy = np.full_like(qx, -0.9)
        return e, qx, qy

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return _gauss_value(x, self._centres, self._s2, self._amps) + self._term2(x)[0]

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        _, g, _ = _gauss_terms(x, self._centres, self._s2, self._amps)
        e, qx, qy = self._term2(x)
        return g + e[..., None] * np.stack([qx, qy], axis=-1)

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        _, _, h = _gauss_terms(x, self._centres, self._s2, self._amps)
        e, qx, qy = self._term2(x)
        h2 = np.stack([np.stack([qx**2 - 162 / 49, qx * qy], -1), np.stack([qx * qy, qy**2], -1)], -2)
        return h + e[..., None, None] * h2


@_register(
    "gaussian",
    "sum of Gaussian bumps sum_k a_k exp(-|x - c_k|^2 / (2 s_k^2)) on [0,1]^d "
    "(default one bump, c = 0.5, s = 0.15, a = 1)",
)
class _Gaussian(Target):
    def __init__(self, dim: int, *, centers: ArrayLike | None = None, widths: Any = 0.15, amplitudes: ArrayLike = 1.0,
                 domain: ArrayLike | None = None) -> None:
        centres = as_float_array(np.full(dim, 0.5) if centers is None else centers, "centers", ndim=(1, 2)).copy()
        if centres.ndim == 1:
            centres = centres[None, :]
        if centres.shape[1] != dim:
            raise InvalidInputError(f"'centers' must have shape (n_bumps, {dim}) or ({dim},), found {centres.shape}")
        k = centres.shape[0]
        widths = _vector(widths, k, "widths", None)
        if np.any(widths <= 0):
            raise InvalidInputError(f"'widths' must be > 0, found {widths.tolist()}")
        amps = _vector(amplitudes, k, "amplitudes", None)
        box = _box(domain, dim, (0.0, 1.0))
        self._centres, self._s2, self._amps = centres, widths**2, amps
        sups = []
        for c, s2, a in zip(centres, self._s2, amps):
            tmin, tmax = _sq_dist_range(box, c)
            sups.append(abs(a) / s2 * float(_gauss_norm_max(tmin / s2, tmax / s2, dim >= 2)))
        M = sum(sups)
        exact = k == 1
        note = (
            "Per bump the Hessian a g (y y^T/s^4 - I/s^2), y = x - c, has eigenvalues a g (t-1)/s^2 (radial, "
            "t = |y|^2/s^2) and -a g/s^2 (across, dim >= 2); its norm depends on t only, so its maximum over "
            "the box is the maximum over the attained range [t_min, t_max] (ends and t = 3); "
            + ("one bump: exact (|a|/s^2 when c lies in the box)." if exact else "summed over bumps: rigorous.")
        )
        super().__init__(
            "gaussian", dim, box,
            {"centers": centres.tolist(), "widths": widths.tolist(), "amplitudes": amps.tolist()},
            M * (1.0 if exact else _SAFETY), "exact" if exact else "rigorous", note,
        )

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return _gauss_value(x, self._centres, self._s2, self._amps)

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return _gauss_terms(x, self._centres, self._s2, self._amps)[1]

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return _gauss_terms(x, self._centres, self._s2, self._amps)[2]


@_register(
    "localized",
    "gentle quadratic plus a narrow bump, q |x - m|^2 + a exp(-|x - c|^2 / (2 s^2)) on [0,1]^d: curvature "
    "large only near c (defaults q = 0.5, m = 0.5, a = 0.1, c = 0.3, s = 0.05)",
)
class _Localized(Target):
    def __init__(self, dim: int, *, q: float = 0.5, m: ArrayLike | None = None, amplitude: float = 0.1,
                 center: ArrayLike | None = None, width: float = 0.05, domain: ArrayLike | None = None) -> None:
        self.q = _real(q, "q")
        self.m = _vector(m, dim, "m", 0.5)
        self.a = _real(amplitude, "amplitude")
        self.c = _vector(center, dim, "center", 0.3)
        self.s = check_positive(width, "width")
        box = _box(domain, dim, (0.0, 1.0))
        s2, q2, a = self.s**2, 2 * self.q, self.a
        tmin, tmax = (t / s2 for t in _sq_dist_range(box, self.c))
        # eigenvalues: radial 2q + a e^{-t/2}(t-1)/s^2 (extremum at t = 3), across 2q - a e^{-t/2}/s^2
        # (monotone); both depend on t = |x-c|^2/s^2 only, whose range over the box is [tmin, tmax].
        M = float(_interval_max(lambda t: q2 + a * (t - 1) * np.exp(-t / 2) / s2, tmin, tmax, (3.0,)))
        if dim >= 2:
            M = max(M, float(_interval_max(lambda t: q2 - a * np.exp(-t / 2) / s2, tmin, tmax, ())))
        note = (
            "Hessian 2q I + a g (y y^T/s^4 - I/s^2), y = x - c: eigenvalues 2q + a g (t-1)/s^2 and "
            "2q - a g/s^2 depend on t = |y|^2/s^2 only; maximised exactly over the range of t on the box."
        )
        super().__init__(
            "localized", dim, box,
            {"q": self.q, "m": self.m.tolist(), "amplitude": a, "center": self.c.tolist(), "width": self.s},
            M, "exact", note,
        )

    def _parts(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        return _gauss_terms(x, self.c[None, :], np.array([self.s**2]), np.array([self.a]))

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.q * np.sum((x - self.m) ** 2, axis=-1) + _gauss_value(x, self.c[None, :], np.array([self.s**2]),
                                                                           np.array([self.a]))

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return 2 * self.q * (x - self.m) + self._parts(x)[1]

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return 2 * self.q * np.eye(self.dim) + self._parts(x)[2]


@_register(
    "sines",
    "product of sines prod_i sin(k_i x_i + phi_i) on [0,1]^d (default k = 2 pi, phi = 0)",
)
class _Sines(Target):
    def __init__(self, dim: int, *, k: ArrayLike = 2 * math.pi, phase: ArrayLike = 0.0,
                 domain: ArrayLike | None = None) -> None:
        self.k = _vector(k, dim, "k", None)
        if np.any(self.k <= 0):
            raise InvalidInputError(f"'k' must be > 0, found {self.k.tolist()}")
        self.phase = _vector(phase, dim, "phase", None)
        box = _box(domain, dim, (0.0, 1.0))
        M = float(np.max(self.k) ** 2)
        # attained iff some x in the box has |sin(k_i x_i + phi_i)| = 1 on every axis (then H = -f diag(k^2))
        lo = box[:, 0] * self.k + self.phase
        hi = box[:, 1] * self.k + self.phase
        first = np.ceil((lo - math.pi / 2) / math.pi)  # first m with pi/2 + m pi >= lo
        exact = bool(np.all(math.pi / 2 + first * math.pi <= hi))
        note = (
            "Writing prod_i sin(y_i) = (2i)^{-d} sum_eps (prod eps) e^{i eps.y}, y = k*x + phi, gives "
            "|D_u^2 f| <= 2^{-d} sum_eps (eps.Ku)^2 = |Ku|^2 <= max(k)^2 |u|^2; so M = max(k)^2, "
            + ("attained where every |sin| = 1 (exact)." if exact else "not attained on this box (rigorous).")
        )
        super().__init__(
            "sines", dim, box, {"k": self.k.tolist(), "phase": self.phase.tolist()}, M,
            "exact" if exact else "rigorous", note,
        )

    def _sc(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        y = x * self.k + self.phase
        return np.sin(y), np.cos(y)

    @staticmethod
    def _prod_without(s: NDArray[np.float64], skip: set[int]) -> NDArray[np.float64]:
        keep = [i for i in range(s.shape[-1]) if i not in skip]
        return np.prod(s[..., keep], axis=-1) if keep else np.ones(s.shape[:-1])

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.prod(self._sc(x)[0], axis=-1)

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        s, c = self._sc(x)
        # products without factor i are formed directly (not f / s_i) so zeros of sin are harmless
        return np.stack([self.k[i] * c[..., i] * self._prod_without(s, {i}) for i in range(self.dim)], -1)

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        s, c = self._sc(x)
        d = self.dim
        f = np.prod(s, axis=-1)
        h = np.empty(x.shape[:-1] + (d, d))
        for i in range(d):
            h[..., i, i] = -self.k[i] ** 2 * f
            for j in range(i + 1, d):
                v = self.k[i] * self.k[j] * c[..., i] * c[..., j] * self._prod_without(s, {i, j})
                h[..., i, j] = h[..., j, i] = v
        return h


@_register(
    "fourier",
    "random Fourier series sum_k c_k cos(w_k.x + p_k) on [0,1]^d with w_k ~ N(0, bandwidth^2 I), "
    "p_k ~ U[0, 2pi), c_k ~ N(0, 2/n_terms), drawn from 'seed' (defaults n_terms = 16, bandwidth = 4)",
)
class _Fourier(Target):
    def __init__(self, dim: int, *, n_terms: int = 16, bandwidth: float = 4.0, seed: int = 0,
                 domain: ArrayLike | None = None) -> None:
        n_terms = check_int(n_terms, "n_terms", min_value=1)
        # frequencies, phases, coefficients and the (n_terms, dim, dim) outer products, twice over
        check_memory(16.0 * n_terms * (dim * dim + dim + 2), f"a Fourier target with n_terms={n_terms} in {dim}D",
                     "use fewer terms (a few hundred already give a rough target)")
        bandwidth = check_positive(bandwidth, "bandwidth")
        seed = check_int(seed, "seed", min_value=0)
        rng = as_generator(seed)
        self.omega = bandwidth * rng.standard_normal((n_terms, dim))
        self.phases = rng.uniform(0.0, 2 * math.pi, n_terms)
        self.coef = rng.standard_normal(n_terms) * math.sqrt(2.0 / n_terms)
        box = _box(domain, dim, (0.0, 1.0))
        self._outer = self.omega[:, :, None] * self.omega[:, None, :]
        # |u^T H u| = |sum_k c_k cos(.) (w_k.u)^2| <= u^T (sum_k |c_k| w_k w_k^T) u
        W = np.einsum("k,kij->ij", np.abs(self.coef), self._outer)
        M = float(np.linalg.eigvalsh(W).max()) * _SAFETY
        note = (
            "Rigorous: |u^T H(x) u| = |sum_k c_k cos(w_k.x + p_k) (w_k.u)^2| <= u^T W u with "
            "W = sum_k |c_k| w_k w_k^T, so M = lambda_max(W) (<= sum_k |c_k| |w_k|^2); valid on all of R^d."
        )
        super().__init__(
            "fourier", dim, box, {"n_terms": n_terms, "bandwidth": bandwidth, "seed": seed}, M, "rigorous", note
        )

    def _theta(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x @ self.omega.T + self.phases

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.cos(self._theta(x)) @ self.coef

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return -(np.sin(self._theta(x)) * self.coef) @ self.omega

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        w = np.cos(self._theta(x)) * self.coef
        return -np.einsum("...k,kij->...ij", w, self._outer)


@_register("cubic", "f(x) = x^3 on [-1,1] (1D only)", dims=(1,), default_dim=1)
class _Cubic(Target):
    def __init__(self, dim: int, *, domain: ArrayLike | None = None) -> None:
        box = _box(domain, dim, (-1.0, 1.0))
        M = 6.0 * float(np.abs(box).max())
        super().__init__(
            "cubic", dim, box, {}, M, "exact", "f'' = 6x, so M = 6 max(|low|, |high|), attained at an end (exact)."
        )

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x[..., 0] ** 3

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return 3 * x**2

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return 6 * x[..., None]


@_register(
    "runge",
    "Runge-type 1 / (1 + a |x - c|^2) on [-1,1]^d (defaults a = 25, c = 0; in 1D the classic 1/(1+25x^2))",
)
class _Runge(Target):
    def __init__(self, dim: int, *, a: float = 25.0, center: ArrayLike | None = None,
                 domain: ArrayLike | None = None) -> None:
        self.a = check_positive(a, "a")
        self.c = _vector(center, dim, "center", 0.0)
        box = _box(domain, dim, (-1.0, 1.0))
        a = self.a
        tmin, tmax = _sq_dist_range(box, self.c)
        # eigenvalues at t = |x - c|^2: radial 2a(3at - 1)/(1+at)^3 (extremum at t = 1/a),
        # across -2a/(1+at)^2 (dim >= 2, monotone in t)
        M = float(_interval_max(lambda t: 2 * a * (3 * a * t - 1) / (1 + a * t) ** 3, tmin, tmax, (1.0 / a,)))
        if dim >= 2:
            M = max(M, 2 * a / (1 + a * tmin) ** 2)
        note = (
            "Hessian 2h' I + 4h'' y y^T with h(t) = 1/(1+at), y = x - c: eigenvalues 2a(3at-1)/(1+at)^3 "
            "(radial) and -2a/(1+at)^2 depend on t = |y|^2 only; maximised exactly over the range of t on the "
            "box (2a when c lies in the box)."
        )
        super().__init__("runge", dim, box, {"a": a, "center": self.c.tolist()}, M, "exact", note)

    def _t(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        y = x - self.c
        return y, np.sum(y**2, axis=-1)

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return 1.0 / (1.0 + self.a * self._t(x)[1])

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        y, t = self._t(x)
        return (-2 * self.a / (1 + self.a * t) ** 2)[..., None] * y

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        y, t = self._t(x)
        den = 1 + self.a * t
        h1 = -self.a / den**2
        h2 = 2 * self.a**2 / den**3
        return 2 * h1[..., None, None] * np.eye(self.dim) + 4 * h2[..., None, None] * y[..., :, None] * y[..., None, :]


@_register(
    "ridge",
    "softplus ridge log(1 + exp(beta (w.x - b))) / beta on [0,1]^d: flat on one side, linear on the other, "
    "curvature only near the hyperplane w.x = b (defaults w = 1/sqrt(d), b = w.(0.5, ..., 0.5), beta = 20)",
)
class _Ridge(Target):
    def __init__(self, dim: int, *, w: ArrayLike | None = None, b: float | None = None, beta: float = 20.0,
                 domain: ArrayLike | None = None) -> None:
        self.w = _vector(w, dim, "w", 1.0 / math.sqrt(dim))
        if not np.any(self.w):
            raise InvalidInputError("'w' must be nonzero, found all zeros")
        self.b = 0.5 * float(self.w.sum()) if b is None else _real(b, "b")
        self.beta = check_positive(beta, "beta")
        box = _box(domain, dim, (0.0, 1.0))
        # w.x over the box spans [zlo, zhi] (attained at corners); sigma(1 - sigma) peaks at z = 0
        zlo = float(np.sum(np.minimum(self.w * box[:, 0], self.w * box[:, 1]))) - self.b
        zhi = float(np.sum(np.maximum(self.w * box[:, 0], self.w * box[:, 1]))) - self.b
        z = self.beta * min(max(0.0, zlo), zhi)
        sig = 1.0 / (1.0 + math.exp(-z))
        M = self.beta * sig * (1 - sig) * float(self.w @ self.w)
        note = (
            "Hessian beta s(1-s) w w^T with s = sigmoid(beta (w.x - b)): norm beta s(1-s)|w|^2, maximised "
            "exactly over the attained range of w.x on the box (beta |w|^2 / 4 when the ridge crosses it)."
        )
        super().__init__(
            "ridge", dim, box, {"w": self.w.tolist(), "b": self.b, "beta": self.beta}, M, "exact", note
        )

    def _z(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.beta * (x @ self.w - self.b)

    def _value(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.logaddexp(0.0, self._z(x)) / self.beta

    def _gradient(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        from scipy.special import expit

        return expit(self._z(x))[..., None] * self.w

    def _hessian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        from scipy.special import expit

        s = expit(self._z(x))
        return (self.beta * s * (1 - s))[..., None, None] * np.outer(self.w, self.w)
