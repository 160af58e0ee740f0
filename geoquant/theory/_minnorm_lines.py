"""The minimum-norm program over neurons whose kink or crease passes through a point.

Reduction (derived)
-------------------
For fixed weights ``w`` (``||w|| = 1``) the values of a neuron on a finite point set
``P``, ``b -> (relu(w . p + b))_p``, are piecewise linear in the bias with
breakpoints ``b = -w . p_k``.  Between two consecutive breakpoints the value vector
is the convex combination of its values at the two ends, at the same cost
``||w||``; below the smallest it is 0 and above the largest it is the neuron at the
largest breakpoint plus a constant (free).  So on ``P`` every network equals, at no
larger cost, a network whose neurons each have their kink (1D) or crease line (2D)
through a point of ``P``, plus a constant.  The minimum-cost program over all
networks therefore equals the program over these neurons (the sectors' boundary
directions; :mod:`geoquant.theory._sectors`):

* d = 1: the ``2n`` neurons ``relu(+-(x - x_k))`` -- a linear program
  (:func:`solve_kinks_1d`; two of them vanish on the data).
* d = 2: for each point ``p_k`` the neurons ``relu(w . (x - p_k))``, ``w`` on the
  unit circle.  The directions ``w`` perpendicular to ``p_j - p_k`` cut the circle
  into *arcs* (the edges of the sector arrangement that lie on the plane
  ``w . p~_k = 0``); on an arc the active set ``A`` is constant and the values are
  linear in ``w``: ``M_A w`` with rows ``p_i - p_k`` (``i`` in ``A``) and 0 else.
  A *column* ``(k, arc, sign)`` is ``sign * M_A v`` with ``v = alpha e1 + beta e2``
  in the cone of the arc (``alpha, beta >= 0``; ``e1, e2`` its end directions; arcs are
  shorter than pi) at cost ``||v||`` -- exactly ``||v||`` times one neuron.

Dual and pricing
----------------
The dual of the interpolation program is ``max lambda . y`` subject to
``sum_i lambda_i = 0`` (constants are free) and ``|G_lambda(w, b)| <= ||w||`` for
every neuron, with ``G_lambda(w, b) = sum_i lambda_i relu(w . x_i + b)`` the
alignment potential of :mod:`geoquant.theory._alignment` with the multipliers as
residual weights.  Normalised by the *weights'* norm (not by ``|(w, b)|`` as for
the extremal directions, which is why :func:`extremal_directions` does not apply)
its supremum over all neurons -- the dual norm :func:`dual_norm` -- is attained on
the neurons above (same argument: linear in ``b`` between breakpoints).  On an
arc it is ``|c_A . w|`` with ``c_A = sum_{i in A} lambda_i (p_i - p_k)``, whose
maximum lies at an end of the arc or at ``+-c_A/|c_A|`` when that lies inside.  So
the dual norm is an exact finite maximum: the ``2n`` kink-at-a-point neurons in
1D, the arc ends (lines through two points) and the interior critical points of
all ``2 N (N - 1)`` arcs in 2D.  Any ``lambda`` with ``sum lambda = 0`` certifies
``cost >= lambda . y / dual_norm(lambda)`` (weak duality).

Column generation (2D)
----------------------
A restricted master program over a few columns (a second-order cone program,
Clarabel called directly) gives multipliers ``lambda``; every arc is priced by
``max_arc |c_A . w|`` (cumulative sums along each circle, ``O(N^2)``); the most
violated arc of each circle is added; columns unused in two consecutive solves
are dropped; it stops when no arc prices above ``1 + tol``.  The start is
feasible: the neurons ``relu(u . (x - p_k))`` for one generic direction ``u`` are
lower-triangular on the points sorted along ``u``.  The same master serves the
distance to the set of minimum-cost interpolants (:mod:`._minnorm_set`), with a
cost budget, band rows and another objective; its pricing weights are the
multipliers of all rows that involve the function's values.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import GeoquantError, InvalidInputError, SolverError, TooLargeError
from ._alignment import _potential, augment

__all__ = [
    "Deadline", "progress_bar", "check_time_limit", "solve_kinks_1d", "Arcs", "Master", "column_generation",
    "dual_norm", "lines_memory",
]

_TWO_PI = 2.0 * np.pi
#: bytes of float64 work per candidate evaluation chunk of :func:`dual_norm`
_CHUNK_BYTES = 32 * 2**20


# ---------------------------------------------------------------------------
# time limit and progress (as the other engines: tqdm, None = on a terminal only)
# ---------------------------------------------------------------------------
def check_time_limit(time_limit: object, name: str = "time_limit") -> float | None:
    """``None`` or a positive number of seconds."""
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"'{name}' must be a positive number of seconds or None, found {time_limit!r}")
    t = float(time_limit)
    if not t > 0:
        raise InvalidInputError(f"'{name}' must be a positive number of seconds or None, found {time_limit!r}")
    return t


class Deadline:
    """Wall-clock budget of one call; :meth:`check` raises :class:`TooLargeError` past it."""

    def __init__(self, time_limit: float | None, what: str, advice: str) -> None:
        self.limit = time_limit
        self.what = what
        self.advice = advice
        self.start = time.perf_counter()

    def left(self) -> float | None:
        if self.limit is None:
            return None
        return self.limit - (time.perf_counter() - self.start)

    def error(self, where: str) -> TooLargeError:
        return TooLargeError(f"{self.what} did not finish within time_limit={self.limit} s ({where}); {self.advice}")

    def check(self, where: str) -> None:
        left = self.left()
        if left is not None and left <= 0:
            raise self.error(where)


def progress_bar(progress: object, desc: str, total: int | None = None, unit: str = "it") -> Any:
    """tqdm bar: ``progress=None`` shows it on a terminal only (after 2 s), False never, True always."""
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise InvalidInputError(f"'progress' must be None, True or False, found {progress!r}")
    from tqdm.auto import tqdm

    disable = None if progress is None else not bool(progress)
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, leave=False, delay=0.0 if progress else 2.0)


def lines_memory(n_points: int, n_dims: int) -> float:
    """Bytes the reduced program plans for ``n_points`` points (arcs, pricing, master, certificate)."""
    n = float(n_points)
    if n_dims == 1:
        return 2000.0 * n + 4.0 * _CHUNK_BYTES
    # arcs: ~10 float64/int arrays of N x 2N; master: O(N) columns with O(N) rows each, a dense N x N
    # block in the factorisation; certificate chunks
    return 200.0 * 2 * n * n + 400.0 * n * n + 4.0 * _CHUNK_BYTES


# ---------------------------------------------------------------------------
# 1D: an exact linear program over the 2n kink-at-a-data-point neurons
# ---------------------------------------------------------------------------
def solve_kinks_1d(
    x: NDArray[np.float64], y: NDArray[np.float64], time_limit: float | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, NDArray[np.float64]]:
    """The 1D program over the neurons ``relu(x - x_j)`` and ``relu(x_j - x)`` (plus a free constant).

    With the points sorted, ``p_j`` the coefficient of ``relu(x - x_j)``
    (``j < n``) and ``q_j`` that of ``relu(x_j - x)`` (``j > 1``), the slope of the
    network between ``x_i`` and ``x_{i+1}`` is ``sum_{j <= i} p_j - sum_{j > i} q_j``.
    Interpolation is then the ``n - 1`` rows: slope ``s_1`` on the first gap, and
    ``p_i + q_i = s_i - s_{i-1}`` (the jump of the data's slopes) at each interior
    point; the constant takes up ``f(x_1) = y_1``.  The LP ``min sum |p| + |q|``
    has ``4 (n - 1)`` non-negative variables and about ``6 n`` non-zeros
    (HiGHS dual simplex: a vertex solution).  Its multipliers ``mu`` on these
    rows give those of the interpolation rows as ``lambda = T^T mu`` (``T`` maps
    values to the rows: divided differences), with ``sum lambda = 0``.

    Returns
    -------
    W : (width, 2) ndarray, a : (width,) ndarray
        Balanced neurons (kinks at data points) and the constant as ``a relu(b)``.
    bound : float
        The LP's optimal value.
    dual : (n,) ndarray
        ``lambda`` in the input order.
    """
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack

    n = x.shape[0]
    o = np.argsort(x, kind="stable")
    xs, ys = x[o], y[o]
    h = np.diff(xs)
    s = np.diff(ys) / h
    m = n - 1  # p_0..p_{n-2} -> columns 0..m-1; q_1..q_{n-1} -> columns m..2m-1
    rows = [np.zeros(1 + m, dtype=np.int64)]
    cols = [np.concatenate([[0], m + np.arange(m)])]
    vals = [np.concatenate([[1.0], -np.ones(m)])]
    if n > 2:
        i = np.arange(1, n - 1)
        rows += [i, i]
        cols += [i, m + i - 1]
        vals += [np.ones(n - 2), np.ones(n - 2)]
    A = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, 2 * m))
    b = np.concatenate([[s[0]], np.diff(s)])
    options: dict[str, Any] = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 1e-3)
    res = linprog(
        np.ones(4 * m), A_eq=hstack([A, -A]).tocsr(), b_eq=b, bounds=(0, None), method="highs-ds", options=options
    )
    if res.status == 1 and time_limit is not None:
        raise TooLargeError(f"the 1D minimum-norm LP on {n} points did not finish within {time_limit:g} s")
    if res.status != 0:
        raise SolverError(f"minimum-norm LP failed (HiGHS status {res.status}): {res.message}")
    u = res.x[: 2 * m] - res.x[2 * m :]
    p, q = u[:m], u[m:]
    mu = np.asarray(res.eqlin.marginals, dtype=np.float64)
    # lambda = T^T mu, T: (m, n) divided differences (row 0: first slope; row i: slope jump at x_i)
    lam_s = np.zeros(n)
    lam_s[0] -= mu[0] / h[0]
    lam_s[1] += mu[0] / h[0]
    if n > 2:
        i = np.arange(1, n - 1)
        np.add.at(lam_s, i - 1, mu[i] / h[i - 1])
        np.add.at(lam_s, i, -mu[i] * (1.0 / h[i - 1] + 1.0 / h[i]))
        np.add.at(lam_s, i + 1, mu[i] / h[i])
    lam = np.empty(n)
    lam[o] = lam_s
    jp = np.flatnonzero(p)
    jq = np.flatnonzero(q)
    rp, rq = np.sqrt(np.abs(p[jp])), np.sqrt(np.abs(q[jq]))
    kp, kq = xs[jp], xs[1 + jq]
    W = np.concatenate([np.column_stack([rp, -kp * rp]), np.column_stack([-rq, kq * rq])])
    a = np.concatenate([np.sign(p[jp]) * rp, np.sign(q[jq]) * rq])
    fx = np.maximum(np.column_stack([xs, np.ones(n)]) @ W.T, 0.0) @ a if W.shape[0] else np.zeros(n)
    c0 = float(np.mean(ys - fx))  # the free constant (least squares: robust to the LP's tolerance)
    if c0 != 0.0:
        W = np.concatenate([W, [[0.0, abs(c0)]]])
        a = np.concatenate([a, [np.sign(c0)]])
    return W, a, float(res.fun), lam


# ---------------------------------------------------------------------------
# 2D: the arcs of the lines through each point
# ---------------------------------------------------------------------------
class Arcs:
    """The arcs of the circles of directions ``relu(w . (x - p_k))``, ``|w| = 1``, of a planar point set.

    For circle ``k`` the cut angles ``angle(p_j - p_k) +- pi/2`` (``j != k``;
    entering / leaving the active set) are sorted in ``[0, 2 pi)``; arc ``m`` runs
    from ``theta[k, m]`` to ``theta_next[k, m]`` (the last wraps around) and its
    active set is the set at the middle of the last arc, toggled by the cuts
    ``0..m`` (cumulative sums).  Arcs of zero length (three collinear points) are
    harmless: their values equal those at their ends.
    """

    def __init__(self, P: NDArray[np.float64]) -> None:
        N = P.shape[0]
        self.P = P
        self.N = N
        D = P[None, :, :] - P[:, None, :]  # D[k, j] = p_j - p_k
        off = ~np.eye(N, dtype=bool)
        j = np.broadcast_to(np.arange(N), (N, N))[off].reshape(N, N - 1)
        phi = np.arctan2(D[..., 1], D[..., 0])[off].reshape(N, N - 1)
        th = np.mod(np.concatenate([phi - np.pi / 2, phi + np.pi / 2], axis=1), _TWO_PI)
        jj = np.concatenate([j, j], axis=1)
        sg = np.concatenate([np.ones((N, N - 1), np.int8), -np.ones((N, N - 1), np.int8)], axis=1)
        o = np.argsort(th, axis=1, kind="stable")
        self.theta = np.take_along_axis(th, o, 1)
        self.jj = np.take_along_axis(jj, o, 1)
        self.sg = np.take_along_axis(sg, o, 1)
        self.theta_next = np.concatenate([self.theta[:, 1:], self.theta[:, :1] + _TWO_PI], axis=1)
        mid = 0.5 * (self.theta[:, -1] + self.theta_next[:, -1])
        wm = np.stack([np.cos(mid), np.sin(mid)], -1)
        init = np.einsum("kjd,kd->kj", D, wm) > 0
        init[np.arange(N), np.arange(N)] = False
        self.init = init
        self.D = D

    def n_cells(self, atol: float = 1e-10) -> int:
        """Activation cells of the points (Zaslavsky: ``2 + 2 sum_L (m_L - 1)`` over lines ``L``).

        The lines through ``p_k`` are the distinct directions ``p_j - p_k`` modulo pi
        (within ``atol`` radians); a line with ``m`` points appears on ``m`` circles.
        """
        N = self.N
        off = ~np.eye(N, dtype=bool)
        phi = np.mod(np.arctan2(self.D[..., 1], self.D[..., 0])[off].reshape(N, N - 1), np.pi)
        phi.sort(axis=1)
        total_dirs, n_lines = 0, 0.0
        for row in phi:
            cut = np.flatnonzero(np.diff(row) > atol) + 1
            sizes = np.diff(np.concatenate([[0], cut, [row.size]]))
            if sizes.size > 1 and row[0] + np.pi - row[-1] <= atol:  # the first and last group are one
                sizes = np.concatenate([[sizes[0] + sizes[-1]], sizes[1:-1]])
            total_dirs += sizes.size
            n_lines += float(np.sum(1.0 / (1.0 + sizes)))
        return int(2 + 2 * (total_dirs - round(n_lines)))

    @property
    def n_arcs(self) -> int:
        return int(self.theta.shape[0] * self.theta.shape[1])

    def fields(self, pi: NDArray[np.float64]) -> NDArray[np.float64]:
        """``c_A = sum_{i in A} pi_i (p_i - p_k)`` of every arc: ``(N, 2N - 2, 2)``."""
        N = self.N
        c0 = np.einsum("kj,kjd->kd", self.init * pi[None, :], self.D)
        tog = (self.sg * pi[self.jj])[..., None] * self.D[np.arange(N)[:, None], self.jj]
        return c0[:, None, :] + np.cumsum(tog, axis=1)

    def price(self, pi: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], list[NDArray[Any]]]:
        """Max of ``|c_A . w|`` over each arc, its sign, and the candidate maximisers.

        Returns
        -------
        best : (N, 2N - 2) ndarray
        sign : (N, 2N - 2) ndarray
            ``+1`` where the maximum is ``+c_A . w`` (a positive neuron helps), else ``-1``.
        candidates : list
            ``[k, w]`` arrays of the interior maximisers ``+-c_A/|c_A|`` inside their arc.
        """
        c = self.fields(pi)
        th, L = self.theta, self.theta_next - self.theta
        e1 = np.stack([np.cos(th), np.sin(th)], -1)
        e2 = np.stack([np.cos(self.theta_next), np.sin(self.theta_next)], -1)
        v1 = np.einsum("kmd,kmd->km", c, e1)
        v2 = np.einsum("kmd,kmd->km", c, e2)
        nc = np.hypot(c[..., 0], c[..., 1])
        ang = np.arctan2(c[..., 1], c[..., 0])
        pos = nc > 0
        inp = pos & (np.mod(ang - th, _TWO_PI) < L)
        inm = pos & (np.mod(ang + np.pi - th, _TWO_PI) < L)
        best = np.maximum(np.abs(v1), np.abs(v2))
        sign = np.where(np.abs(v1) >= np.abs(v2), np.sign(v1), np.sign(v2))
        best = np.where(inp | inm, nc, best)
        sign = np.where(inp, 1.0, np.where(inm, -1.0, sign))
        kk = np.broadcast_to(np.arange(self.N)[:, None], best.shape)
        w_in = np.concatenate([(c / np.maximum(nc, 1e-300)[..., None])[inp], (-c / np.maximum(nc, 1e-300)[..., None])[inm]])
        return best, sign, [np.concatenate([kk[inp], kk[inm]]), w_in]

    def locate(self, k: int, w: NDArray[np.float64]) -> int:
        """Index of the arc of circle ``k`` that holds direction ``w`` (the first, at an end)."""
        t = float(np.mod(np.arctan2(w[1], w[0]), _TWO_PI))
        m = int(np.searchsorted(self.theta[k], t, side="right")) - 1
        return m % self.theta.shape[1]

    def column(self, k: int, m: int) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64],
                                                NDArray[np.float64], NDArray[np.float64]]:
        """Active points of arc ``(k, m)`` and the values ``M_A e1``, ``M_A e2`` there, and ``e1, e2``."""
        t0, t1 = float(self.theta[k, m]), float(self.theta_next[k, m])
        e1 = np.array([np.cos(t0), np.sin(t0)])
        e2 = np.array([np.cos(t1), np.sin(t1)])
        tm = 0.5 * (t0 + t1)
        d = self.D[k]
        act = d @ np.array([np.cos(tm), np.sin(tm)]) > 0
        act[k] = False
        idx = np.flatnonzero(act)
        return idx, d[idx] @ e1, d[idx] @ e2, e1, e2


# ---------------------------------------------------------------------------
# the dual norm: an exact finite maximum of the alignment potential
# ---------------------------------------------------------------------------
def _max_abs_potential(Pt: NDArray[np.float64], pi: NDArray[np.float64], cand: NDArray[np.float64]) -> tuple[float, int]:
    """``max |G_pi(cand)| / ||cand[:-1]||`` by the alignment potential, in chunks; and its argmax."""
    n = Pt.shape[0]
    chunk = max(1, _CHUNK_BYTES // (8 * max(n, 1)))
    best, arg = 0.0, -1
    for s in range(0, cand.shape[0], chunk):
        c = cand[s : s + chunk]
        g = np.abs(_potential(Pt, pi, c)) / np.linalg.norm(c[:, :-1], axis=1)
        i = int(np.argmax(g)) if g.size else -1
        if g.size and g[i] > best:
            best, arg = float(g[i]), s + i
    return best, arg


def dual_norm(points: NDArray[np.float64], pi: NDArray[np.float64], arcs: Arcs | None = None) -> tuple[float, NDArray[np.float64]]:
    """``sup_{w != 0, b} |sum_i pi_i relu(w . x_i + b)| / ||w||`` for ``sum pi = 0``, exactly.

    The supremum is a finite maximum (module docstring): over the ``2n`` neurons
    ``relu(+-(x - x_k))`` in 1D; over the ends of all arcs (lines through two
    points, both orientations) and the interior maximisers ``+-c_A/|c_A|`` inside
    their arcs in 2D.  Every candidate is evaluated by the alignment potential
    (relu forward), so the value does not rest on the arcs' bookkeeping except
    for where the interior candidates lie.  ``pi`` should sum to 0 (else the
    supremum over ``b`` is infinite; the finite maximum is returned).

    Returns
    -------
    value : float
    argmax : (n_dims + 1,) ndarray
        The maximising neuron ``[w | b]`` with ``||w|| = 1``.
    """
    d = points.shape[1]
    Pt = augment(points)
    if d == 1:
        x = points[:, 0]
        cand = np.concatenate([np.column_stack([np.ones_like(x), -x]), np.column_stack([-np.ones_like(x), x])])
    elif d == 2:
        ar = arcs if arcs is not None else Arcs(points)
        N = ar.N
        # arc ends: the line through p_k and p_j, each orientation once (k < j; circle j has the same neurons)
        keep = ar.jj > np.arange(N)[:, None]
        th = ar.theta[keep]
        kk = np.broadcast_to(np.arange(N)[:, None], keep.shape)[keep]
        W_end = np.column_stack([np.cos(th), np.sin(th)])
        _, _, (ki, W_in) = ar.price(pi)
        K = np.concatenate([kk, ki])
        Wc = np.concatenate([W_end, W_in])
        cand = np.column_stack([Wc, -np.einsum("md,md->m", Wc, points[K])])
    else:  # pragma: no cover - the callers support n_dims 1 and 2
        raise InvalidInputError(f"dual_norm supports n_dims 1 and 2, found {d}")
    best, arg = _max_abs_potential(Pt, pi, cand)
    return best, cand[max(arg, 0)].copy()


# ---------------------------------------------------------------------------
# the restricted master program (second-order cone program, Clarabel)
# ---------------------------------------------------------------------------
def _clarabel() -> Any:
    try:
        import clarabel
    except ImportError as exc:
        raise GeoquantError(
            "the minimum-norm interpolant in n_dims = 2 needs the optional dependency clarabel: "
            f"pip install 'geoquant[minnorm]' (import failed: {exc})"
        ) from None
    return clarabel


#: Clarabel settings tried in turn when the master stalls (NumericalError / InsufficientProgress)
#: (qdldl first: single-threaded, and on the degenerate masters met so far more robust than faer's default)
_RETRY_SETTINGS: tuple[dict[str, Any], ...] = (
    {"direct_solve_method": "qdldl"},
    {"direct_solve_method": "qdldl", "iterative_refinement_reltol": 1e-14, "iterative_refinement_abstol": 1e-14,
     "iterative_refinement_max_iter": 20},
    {"direct_solve_method": "qdldl", "static_regularization_constant": 1e-7},
    {"direct_solve_method": "qdldl", "equilibrate_enable": False},
    {"direct_solve_method": "qdldl", "max_step_fraction": 0.95},
)


class Master:
    """Restricted master program over arc columns on the points ``P``.

    The function's values on ``P`` are ``f = c0 + sum_j s_j M_j (alpha_j e1_j + beta_j e2_j)``;
    the rows are ``F f + delta_coef * delta (+ ...)`` against ``rhs``: the first
    ``n_zero`` are equalities, the rest ``<=``.  Objective: ``sum_j t_j`` (``t_j >=
    ||alpha_j e1_j + beta_j e2_j||``) when ``budget`` is None, else ``delta`` with
    ``sum_j t_j <= budget``.
    """

    def __init__(
        self,
        arcs: Arcs,
        F: Any,
        rhs: NDArray[np.float64],
        n_zero: int,
        delta_coef: NDArray[np.float64] | None = None,
        budget: float | None = None,
        tol: float = 1e-10,
    ) -> None:
        from scipy.sparse import csr_matrix

        self.arcs = arcs
        self.F = csr_matrix(F)
        self.rhs = np.asarray(rhs, dtype=np.float64)
        self.n_zero = int(n_zero)
        self.delta_coef = delta_coef
        self.budget = budget
        self.tol = tol
        self.cols: list[tuple[int, int, float, Any, Any, Any, Any, Any]] = []
        self.keys: set[tuple[int, int, float]] = set()
        self.age: dict[tuple[int, int, float], int] = {}
        self.ipm_iterations = 0  # interior-point iterations over all solves (a load-independent work count)

    def add(self, k: int, m: int, s: float) -> bool:
        key = (int(k), int(m), float(s))
        if key in self.keys:
            return False
        self.keys.add(key)
        self.age[key] = 0
        idx, v1, v2, e1, e2 = self.arcs.column(int(k), int(m))
        self.cols.append((key[0], key[1], key[2], idx, v1, v2, e1, e2))
        return True

    def _layout(self) -> tuple[int, int, int]:
        m = len(self.cols)
        off = 2 if self.delta_coef is not None else 1  # c0 (and delta)
        return m, off, off + 2 * m  # columns, first alpha, first t

    def solve(self, time_left: float | None) -> tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Solve; returns ``(objective, x, z, pi)`` with ``pi = -F^T z_f`` (the pricing weights on ``P``)."""
        from scipy.sparse import coo_matrix, csc_matrix, vstack

        clarabel = _clarabel()
        m, a0, t0 = self._layout()
        N = self.arcs.N
        nv = t0 + m
        R = self.F.shape[0]
        # values of the columns on P: (N, 2m); column 2j: s M e1, 2j+1: s M e2
        ri = [np.arange(N)]
        ci = [np.zeros(N, dtype=np.int64)]
        vv = [np.ones(N)]
        for j, (_, _, s, idx, v1, v2, _, _) in enumerate(self.cols):
            ri += [idx, idx]
            ci += [np.full(idx.size, a0 + 2 * j), np.full(idx.size, a0 + 2 * j + 1)]
            vv += [s * v1, s * v2]
        Vals = csc_matrix((np.concatenate(vv), (np.concatenate(ri), np.concatenate(ci))), shape=(N, nv))
        Af = (self.F @ Vals).tocoo()
        blocks = [Af]
        if self.delta_coef is not None:
            dc = np.asarray(self.delta_coef)
            nz = np.flatnonzero(dc)
            blocks[0] = (Af + coo_matrix((dc[nz], (nz, np.ones(nz.size, dtype=np.int64))), shape=(R, nv))).tocoo()
        rhs = [self.rhs]
        n_nonneg = R - self.n_zero
        if self.budget is not None:
            blocks.append(coo_matrix((np.ones(m), (np.zeros(m, dtype=np.int64), t0 + np.arange(m))), shape=(1, nv)))
            rhs.append(np.array([float(self.budget)]))
            n_nonneg += 1
        # alpha, beta >= 0
        blocks.append(coo_matrix((-np.ones(2 * m), (np.arange(2 * m), a0 + np.arange(2 * m))), shape=(2 * m, nv)))
        rhs.append(np.zeros(2 * m))
        n_nonneg += 2 * m
        # (t_j, alpha e1 + beta e2) in the second-order cone
        if m:
            E1 = np.array([c[6] for c in self.cols])
            E2 = np.array([c[7] for c in self.cols])
            jc = np.arange(m)
            r = np.concatenate([3 * jc, 3 * jc + 1, 3 * jc + 1, 3 * jc + 2, 3 * jc + 2])
            cc = np.concatenate([t0 + jc, a0 + 2 * jc, a0 + 2 * jc + 1, a0 + 2 * jc, a0 + 2 * jc + 1])
            v = -np.concatenate([np.ones(m), E1[:, 0], E2[:, 0], E1[:, 1], E2[:, 1]])
            blocks.append(coo_matrix((v, (r, cc)), shape=(3 * m, nv)))
            rhs.append(np.zeros(3 * m))
        A = vstack(blocks).tocsc()
        b = np.concatenate(rhs)
        q = np.zeros(nv)
        if self.budget is None:
            q[t0:] = 1.0
        else:
            q[1] = 1.0
        cones = [clarabel.ZeroConeT(self.n_zero)] if self.n_zero else []
        cones.append(clarabel.NonnegativeConeT(n_nonneg))
        cones += [clarabel.SecondOrderConeT(3)] * m
        status = ""
        almost = None
        start = time.perf_counter()
        for extra in _RETRY_SETTINGS:  # a degenerate master can stall one factorisation setting, not all
            st = clarabel.DefaultSettings()
            st.verbose = False
            st.tol_gap_abs = st.tol_gap_rel = st.tol_feas = self.tol
            st.max_iter = 400
            for key, val in extra.items():
                setattr(st, key, val)
            if time_left is not None:
                st.time_limit = max(float(time_left) - (time.perf_counter() - start), 1e-3)
            sol = clarabel.DefaultSolver(csc_matrix((nv, nv)), q, A, b, cones, st).solve()
            status = str(sol.status)
            self.ipm_iterations += int(sol.iterations)
            if "MaxTime" in status:
                if almost is not None:
                    sol = almost
                    break
                raise TooLargeError("time limit")  # rephrased by the caller
            if status == "Solved":
                break
            if status == "AlmostSolved" and almost is None:  # reduced accuracy: try the other settings first
                almost = sol
        else:
            if almost is None:
                raise SolverError(f"the restricted minimum-norm cone program failed (Clarabel status {status})")
            sol = almost
        x = np.asarray(sol.x, dtype=np.float64)
        z = np.asarray(sol.z, dtype=np.float64)
        pi = -(self.F.T @ z[:R])
        return float(sol.obj_val), x, z, np.asarray(pi, dtype=np.float64)

    def kappa(self, z: NDArray[np.float64]) -> float:
        """The price of one unit of cost: 1 (cost objective) or the budget row's multiplier."""
        if self.budget is None:
            return 1.0
        return float(max(z[self.F.shape[0]], 0.0))

    def prune(self, x: NDArray[np.float64], price: NDArray[np.float64], rtol: float = 1e-6, slack: float = 0.99,
              patience: int = 2) -> None:
        """Drop columns idle in ``patience`` consecutive solves.

        Idle: cost ``t_j <= rtol * max t`` *and* the arc's price (``price[k, m]``,
        the largest ``|c_A . w| / kappa`` over the arc) below ``slack``: a dual
        constraint that is far from binding belongs to no optimal support
        (complementary slackness), so dropping the column cannot cut off the
        optimum, and the master's value never increases (no cycling); if the
        multipliers move and the arc becomes attractive again, pricing re-adds it.
        """
        m, _, t0 = self._layout()
        if not m:
            return
        t = x[t0 : t0 + m]
        top = max(float(t.max()), 1e-300)
        keep = []
        for j, col in enumerate(self.cols):
            key = col[:3]
            idle = t[j] <= rtol * top and price[col[0], col[1]] < slack
            self.age[key] = self.age.get(key, 0) + 1 if idle else 0
            if self.age[key] < patience:
                keep.append(col)
            else:
                self.keys.discard(key)  # type: ignore[arg-type]
        self.cols = keep

    def neurons(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
        """``(V, U, c0)``: rows ``[v | -v . p_k]`` of the positive and negative columns in use."""
        m, a0, t0 = self._layout()
        V: list[NDArray[np.float64]] = []
        U: list[NDArray[np.float64]] = []
        for j, (k, _, s, _, _, _, e1, e2) in enumerate(self.cols):
            v = x[a0 + 2 * j] * e1 + x[a0 + 2 * j + 1] * e2
            row = np.array([v[0], v[1], -float(v @ self.arcs.P[k])])
            (V if s > 0 else U).append(row)
        z = np.zeros((0, 3))
        return (np.array(V) if V else z), (np.array(U) if U else z), float(x[0])


#: relative decrease of the master's objective since the last pruning that allows the next one
_PRUNE_PROGRESS = 1e-4
#: master tolerance while the worst arc prices above ``1 + _LOOSE_UNTIL``
_LOOSE_TOL = 1e-6
_LOOSE_UNTIL = 1e-3


def column_generation(
    master: Master, deadline: Deadline, bar: Any, tol: float = 1e-7, max_iter: int = 300, stop_below: float = -np.inf
) -> tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float, int]:
    """Solve, price every arc, add the most violated arc of each circle, drop idle columns; repeat.

    Stops when no arc prices above ``kappa (1 + tol)`` (``kappa``: the price of a
    unit of cost), when every violated arc is already in the master (its own
    tolerance), after ``max_iter`` solves, or when the objective is at most
    ``stop_below`` (a distance of 0 leaves the multipliers arbitrary).  The
    callers certify the answer independently of why it stopped.  Returns ``(objective, x, z, pi, worst, iterations)`` of the last
    solve, ``worst`` the largest arc price divided by ``kappa``.
    """
    arcs = master.arcs
    it = 0
    fine = master.tol
    worst = np.inf
    pruned_at = np.inf  # the objective at the last pruning
    while True:
        it += 1
        # far from the optimum the multipliers need not be accurate: solve loosely until the prices are close
        master.tol = fine if worst <= 1.0 + _LOOSE_UNTIL else max(fine, _LOOSE_TOL)
        deadline.check(f"column generation, iteration {it}, {len(master.cols)} columns")
        try:
            obj, x, z, pi = master.solve(deadline.left())
        except TooLargeError:  # the solver's own time limit (the deadline's remainder)
            raise deadline.error(f"column generation, iteration {it}, {len(master.cols)} columns") from None
        kappa = master.kappa(z)
        best, sign, _ = arcs.price(pi)
        scale = float(np.sum(np.abs(pi))) * float(np.ptp(arcs.P, axis=0).max()) + 1e-300
        worst = float(best.max()) / max(kappa, 1e-300)
        bar.update(1)
        bar.set_postfix(objective=f"{obj:.8g}", dual=f"{worst:.3g}", columns=len(master.cols), refresh=False)
        thr = kappa * (1.0 + tol) + 1e-12 * scale
        if (float(best.max()) <= thr and master.tol == fine) or it >= max_iter or obj <= stop_below:
            return obj, x, z, pi, worst, it
        mb = np.argmax(best, axis=1)
        top = best[np.arange(arcs.N), mb]
        # prune only while the objective makes progress: with a non-unique dual (affine data: one all-active
        # neuron is optimal) the master's multipliers wander over the optimal face, and dropping the columns
        # that hold them can cycle; without pruning every solve adds constraints, so the loop ends
        if obj < pruned_at - _PRUNE_PROGRESS * abs(obj):
            master.prune(x, best / max(kappa, 1e-300), rtol=max(1e-6, 1e3 * master.tol))
            pruned_at = obj
        added = 0
        for k in np.argsort(-top, kind="stable"):
            if top[k] <= thr:
                break
            added += master.add(int(k), int(mb[k]), float(sign[k, mb[k]]))
        if not added and master.tol == fine:
            return obj, x, z, pi, worst, it


def feasible_start(master: Master, signs: tuple[float, ...] = (1.0, -1.0)) -> None:
    """Columns ``relu(u . (x - p_k))`` for a generic ``u``: lower-triangular on ``P`` sorted along ``u``."""
    P = master.arcs.P
    span = float(np.ptp(P @ np.array([1.0, 0.0])) + np.ptp(P @ np.array([0.0, 1.0])))
    ang = 1.0
    for _ in range(64):
        u = np.array([np.cos(ang), np.sin(ang)])
        pr = np.sort(P @ u)
        if np.min(np.diff(pr)) > 1e-9 * span:
            break
        ang += 0.7548776662466927  # plastic-number steps: no repeats
    pr = P @ u
    top = float(pr.max())
    for k in range(P.shape[0]):
        if pr[k] < top:
            m = master.arcs.locate(k, u)
            for s in signs:
                master.add(k, m, s)
