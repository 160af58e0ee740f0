"""The minimum representation-cost interpolant of shallow ReLU networks.

Problem
-------
Over networks of any width ``f(x) = sum_j a_j relu(w_j . x + b_j)`` (the
package's networks: no output bias, no skip connection) find

    min  sum_j |a_j| ||w_j||      subject to  f(x_i) = y_i  for every data point,

with the biases ``b_j`` unregularised (``||w_j||`` is the Euclidean norm of the
weights only).  By the rescaling ``(a, w, b) -> (a/c, c w, c b)`` this equals the
weight-decay cost ``min 1/2 sum_j (a_j^2 + ||w_j||^2)`` (Savarese et al., COLT
2019; Ongie et al., ICLR 2020).  A constant is free here (``a relu(0 . x + 1)``
costs 0), so the class has an unregularised output bias in effect, as in
Savarese et al.; an affine part is **not** free (no unregularised skip/linear
unit: ``x = relu(x) - relu(-x)`` costs 2).  In 1D the cost of the function is then
Savarese's ``R(f) = max(int |f''|, |f'(-inf) + f'(+inf)|)``; with a free linear
unit (Ongie's ``R-bar``, Hanin 2021's setting) it would be ``int |f''|`` alone.

Exact convex program (Pilanci & Ergen, ICML 2020)
-------------------------------------------------
On the data a neuron is linear inside each closed activation cell
``K_k = {v : (2 P_k - 1) * (X~ v) >= 0}`` (the sectors of
:func:`geoquant.theory.sectors`): ``relu(X~ v) = P_k * (X~ v)``.  So

    min  sum_k ||v_k[:d]|| + ||u_k[:d]||
    s.t. sum_k P_k * X~ (v_k - u_k) = y,   v_k, u_k in K_k,

is a convex program whose value is the infimum above, attained: a solution gives
the network with one neuron ``+relu(v_k . x~)`` and one ``-relu(u_k . x~)`` per
cell (balanced: ``w = v/sqrt(||v[:d]||)``, ``a = +-sqrt(||v[:d]||)``), and any
network maps to a feasible point of no larger value (merge its neurons cell by
cell, using the closed cell of each neuron; the triangle inequality).  In 1D the
norms are ``|v[0]|`` and the program is a linear program (scipy's HiGHS simplex,
a vertex solution); in 2D it is a second-order cone program (cvxpy with the
Clarabel interior-point solver, the optional extra ``geoquant[minnorm]``).

After the solve, neurons with the same direction (one neuron split across the
closed cells that share it) are merged and the output weights are re-solved over
the found directions as a linear program (HiGHS simplex): a vertex solution, so
the network interpolates to near machine precision and has at most ``n_points``
neurons.  ``cost`` is the representation cost of the returned network and
``bound`` the first solver's optimal value (equal up to its tolerance, ~1e-9
relative).  The minimiser is not unique as a function (Savarese et
al.); this is one of them (:func:`geoquant.theory.minnorm_set_distance` measures
the distance to all of them).

The program at scale (``method="lines"``, the default)
------------------------------------------------------
The full program has two neurons per activation cell (``2n`` cells in 1D,
``n^2 - n + 2`` in 2D, each with ``n`` cone rows).  But on the data every neuron
equals, at no larger cost, a convex combination of neurons whose kink (1D) or
crease line (2D) passes through a data point, plus a constant
(:mod:`geoquant.theory._minnorm_lines`), so the program over those neurons has the
same value: in 1D a sparse linear program over the ``2n`` kink-at-a-data-point
neurons (``O(n)`` non-zeros, HiGHS); in 2D column generation over the arcs of the
lines through each data point (the edges of the sector arrangement), pricing
every arc exactly by the alignment potential of the multipliers and solving a
small cone program (Clarabel) over the columns in use.  Both return the
multipliers ``lambda``.

Certificate
-----------
Every answer is checked: ``lambda`` is made to sum to 0 and its dual norm
``N = sup |sum_i lambda_i relu(w . x_i + b)| / ||w||`` over *all* neurons is
computed exactly as a finite maximum (all kink-at-a-data-point neurons in 1D; all
arc ends and interior critical points of the arcs of every line through a data
point in 2D, each evaluated by the alignment potential);
``lower_bound = lambda . y / N`` bounds the cost of every interpolating network
from below (weak duality), and the call fails with :class:`SolverError` unless
``cost <= lower_bound * (1 + 1e-6)``.
"""

from __future__ import annotations

import time
from typing import Any, Literal, cast

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_memory, check_option, check_points, check_query, check_values
from ..errors import GeoquantError, InvalidInputError, SolverError, TooLargeError, UnsupportedError
from ..nn import network_forward
from ._alignment import augment
from ._kinks import kink_groups, kink_positions
from ._minnorm_lines import (
    Arcs,
    Deadline,
    Master,
    check_time_limit,
    column_generation,
    dual_norm,
    feasible_start,
    lines_memory,
    progress_bar,
    solve_kinks_1d,
)
from ._sectors import Sectors, cover_count, sectors as _sectors_fn

__all__ = ["MinNormInterpolant", "minnorm_interpolant", "representation_cost", "savarese_cost"]


def _network(
    W: ArrayLike, a: ArrayLike, name_w: str = "W", name_a: str = "a"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    W = np.asarray(W, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] < 2:
        raise InvalidInputError(f"'{name_w}' must have shape (width, n_dims + 1), found {W.shape}")
    if a.shape != (W.shape[0],):
        raise InvalidInputError(f"'{name_a}' must have shape ({W.shape[0]},) to match '{name_w}', found {a.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(a))):
        raise InvalidInputError(f"'{name_w}' and '{name_a}' must be finite, found NaN or inf")
    return W, a


def representation_cost(W: ArrayLike, a: ArrayLike) -> float:
    """``sum_j |a_j| ||w_j||`` of a shallow ReLU network (biases unregularised).

    Parameters
    ----------
    W : (width, n_dims + 1) array_like
        Rows ``[w_j | b_j]``.
    a : (width,) array_like
        Output weights.

    Returns
    -------
    float
        The cost; at a balanced network (``|a_j| = ||w_j||``) it equals
        ``1/2 sum_j (a_j^2 + ||w_j||^2)``.
    """
    W, a = _network(W, a)
    return float(np.sum(np.abs(a) * np.linalg.norm(W[:, :-1], axis=1)))


#: kinks equal up to this many units of rounding of their own magnitude are one kink
_KINK_ULPS = 8.0
#: Two sorted neighbours are one kink when ``|k_{i+1} - k_i| <= 8 eps max(|k_i|, |k_{i+1}|)``: the
#: rounding of ``-b/w`` itself (a rescaled copy of a neuron, e.g. ``(2, -1)`` and ``(1, -0.5)``, lands
#: within an ulp or two). The tolerance is relative to each kink's *own* magnitude, so a far kink (a
#: near-constant neuron with its kink at 1e14) never absorbs the kinks near the data
#: (:func:`geoquant.theory._kinks.kink_groups` with ``merge_scale="pair"``).
_KINK_RTOL = _KINK_ULPS * np.finfo(np.float64).eps


def savarese_cost(W: ArrayLike, a: ArrayLike) -> float:
    """Savarese et al.'s cost ``max(int |f''|, |f'(-inf) + f'(+inf)|)`` of a 1D network's function.

    The network ``f(x) = sum_j a_j relu(w_j x + b_j)`` is piecewise linear; at the
    kink ``-b_j/w_j`` its slope jumps by ``a_j |w_j|``, so ``int |f''|`` is the sum
    over distinct kinks of the absolute summed jumps (cancelling neurons cancel).
    Neurons with ``w_j = 0`` are constants.

    Kinks are distinct unless equal up to the rounding of ``-b/w`` relative to the
    kink's own magnitude (8 ulps; :func:`geoquant.theory._kinks.kink_groups`).  The cost is that of the
    function on the whole line, so a kink far outside the data counts where it
    is: a near-constant neuron (``w`` tiny, kink at 1e14) adds its own small jump
    ``|a w|`` there and to the end slopes, and nothing else.  (Reading it as a
    constant on the data's hull would drop that jump and the same amount from the
    end slopes; the difference is ``|a w|``, the neuron's own cost.)  An earlier
    version merged kinks within ``1e-12 * max|kink|``, so one far kink merged all
    the others and cancelled their jumps.

    Parameters
    ----------
    W : (width, 2) array_like
    a : (width,) array_like

    Returns
    -------
    float
        ``<= representation_cost(W, a)``, with equality at a minimum-cost network
        of its function.
    """
    W, a = _network(W, a)
    if W.shape[1] != 2:
        raise UnsupportedError(f"savarese_cost is for 1D networks, found 'W' with n_dims={W.shape[1] - 1}")
    w, b = W[:, 0], W[:, 1]
    live = w != 0
    k = -b[live] / w[live]
    jump = a[live] * np.abs(w[live])
    order, starts = kink_groups(k, merge_tol=_KINK_RTOL, merge_scale="pair")
    tv = float(np.sum(np.abs(np.add.reduceat(jump[order], starts)))) if k.size else 0.0
    ends = float(np.sum(a[w > 0] * w[w > 0]) + np.sum(a[w < 0] * w[w < 0]))  # f'(+inf) + f'(-inf)
    return max(tv, abs(ends))


@dataclass(eq=False)
class MinNormInterpolant:
    """A minimum representation-cost interpolant, as network weights.

    Attributes
    ----------
    points : (n_points, n_dims) ndarray
    values : (n_points,) ndarray
    W : (width, n_dims + 1) ndarray
        Neurons ``[w_j | b_j]`` (balanced: ``|a_j| = ||w_j||`` unless ``w_j = 0``).
    a : (width,) ndarray
        Output weights; ``f(x) = sum_j a_j relu(w_j . x + b_j)``.
    cost : float
        ``representation_cost(W, a)``: the minimum over all interpolating networks.
    bound : float
        The program's optimal value reported by the solver (``"lines"``: the 1D LP's
        value, or the last restricted master's in 2D; ``"full"``: the full program's).
    residual : float
        ``max_i |f(x_i) - y_i|``.
    solver : str
        ``"highs"`` (1D, linear program) or ``"clarabel"`` (2D, cone program; 1D with ``method="full"``).
    dual : (n_points,) ndarray
        The solver's multipliers ``lambda`` of the interpolation constraints, a
        certificate of optimality: the dual program is ``max lambda . y`` subject to
        ``sum_i lambda_i = 0`` (constants are free) and
        ``|sum_i lambda_i relu(w . x_i + b)| <= ||w||`` for every ``(w, b)``; any
        such ``lambda`` gives ``lambda . y <= `` the cost of every interpolating
        network (weak duality), and at the optimum ``lambda . y = bound``.
    n_sectors : int
        Activation cells of the data (the full program has two neurons per cell).
    lower_bound : float
        Certified: ``lambda0 . y / dual_norm`` with ``lambda0 = dual - mean(dual)``; no
        interpolating network costs less (weak duality).  ``(cost - lower_bound) /
        cost`` is the certified optimality gap (:attr:`gap`, checked ``<= 1e-6``).
    dual_norm : float
        ``max |sum_i lambda0_i relu(w . x_i + b)| / ||w||`` over *all* neurons,
        computed exactly (a finite maximum over the neurons whose kink or crease
        line passes through a data point; :func:`geoquant.theory._minnorm_lines.dual_norm`).
    method : str
        ``"lines"`` (the reduced program) or ``"full"``.
    iterations : int
        Master-program solves of the 2D column generation (1 otherwise).
    """

    points: np.ndarray
    values: np.ndarray
    W: np.ndarray
    a: np.ndarray
    cost: float
    bound: float
    residual: float
    solver: str
    dual: np.ndarray
    n_sectors: int
    lower_bound: float = float("nan")
    dual_norm: float = float("nan")
    method: str = "full"
    iterations: int = 1

    @property
    def gap(self) -> float:
        """Certified relative optimality gap ``(cost - lower_bound) / cost`` (0 for a constant)."""
        if self.cost <= 0:
            return 0.0
        return float((self.cost - self.lower_bound) / self.cost)

    @property
    def n_dims(self) -> int:
        return int(self.points.shape[1])

    @property
    def width(self) -> int:
        return int(self.W.shape[0])

    def __call__(self, xi: ArrayLike) -> NDArray[np.float64]:
        """Values at ``xi (..., n_dims)``: ``(...)`` ndarray."""
        q = check_query(xi, self.n_dims, "xi")
        flat = q.reshape(-1, self.n_dims)
        return network_forward(self.W, self.a, flat, check_input=False).reshape(q.shape[:-1])

    @property
    def kinks(self) -> NDArray[np.float64]:
        """d = 1: sorted distinct kinks of the neurons with a non-zero weight, anywhere on the line.

        Equal up to the rounding of ``-b/w`` relative to their own magnitude means
        one kink (as in :func:`savarese_cost`); a far kink never absorbs near ones.
        """
        if self.n_dims != 1:
            raise UnsupportedError(f"'kinks' is for 1D data, found n_dims={self.n_dims}")
        return kink_positions(self.W[self.a != 0], flat_tol=0.0, merge_tol=_KINK_RTOL, merge_scale="pair")

    def __repr__(self) -> str:
        return (
            f"MinNormInterpolant(n_points={self.points.shape[0]}, n_dims={self.n_dims}, width={self.width}, "
            f"cost={self.cost:.10g}, gap={self.gap:.2g}, residual={self.residual:.2g}, solver={self.solver!r}, "
            f"method={self.method!r})"
        )


# ---------------------------------------------------------------------------
# solvers
# ---------------------------------------------------------------------------
def _solve_lp_1d(Xt: Any, y: Any, P: Any, S: Any, time_limit: float | None = None) -> Any:
    """1D: the program as an LP in ``z = [V (K,2) | U (K,2) | t (K) | s (K)]``."""
    from scipy.optimize import linprog
    from scipy.sparse import bmat, csr_matrix, identity, kron

    K, n = P.shape
    # cone rows: -S[k,i] (X~_i . v_k) <= 0, as a (K n, 2 K) block
    cone = _block_rows(-(S[:, :, None] * Xt[None, :, :]).reshape(K * n, 2), K, n)
    first = kron(identity(K), csr_matrix([[1.0, 0.0]]), format="csr")  # picks v_k[0]
    negI = -identity(K, format="csr")
    Z = csr_matrix((K * n, K))
    Zk = csr_matrix((K, 2 * K))
    ZKK = csr_matrix((K, K))
    A_ub = bmat(
        [
            [cone, None, Z, Z],
            [None, cone, Z, Z],
            [first, Zk, negI, ZKK],
            [-first, Zk, negI, ZKK],
            [Zk, first, ZKK, negI],
            [Zk, -first, ZKK, negI],
        ],
        format="csr",
    )
    # equality: sum_k P[k,i] X~_i . (v_k - u_k) = y_i
    E = (P.T[:, :, None] * Xt[:, None, :]).reshape(n, 2 * K)
    A_eq = bmat([[csr_matrix(E), csr_matrix(-E), csr_matrix((n, K)), csr_matrix((n, K))]], format="csr")
    c = np.concatenate([np.zeros(4 * K), np.ones(2 * K)])
    bounds = [(None, None)] * (4 * K) + [(0, None)] * (2 * K)
    options: dict[str, Any] = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 1e-3)
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(A_ub.shape[0]),
        A_eq=A_eq,
        b_eq=y,
        bounds=bounds,
        method="highs-ds",
        options=options,
    )
    if res.status == 1 and time_limit is not None:
        raise TooLargeError("time limit")  # rephrased by the caller
    if res.status != 0:
        raise GeoquantError(f"minimum-norm LP failed (HiGHS status {res.status}): {res.message}")
    z = res.x
    return z[: 2 * K].reshape(K, 2), z[2 * K : 4 * K].reshape(K, 2), float(res.fun), np.asarray(res.eqlin.marginals)


def _block_rows(dense: Any, K: int, n: int) -> Any:
    """Sparse ``(K n, 2 K)``: row block ``k`` of ``dense (K n, 2)`` placed at columns ``2k, 2k+1``."""
    from scipy.sparse import csr_matrix

    rows = np.arange(K * n)
    cols = 2 * (rows // n)
    data = np.concatenate([dense[:, 0], dense[:, 1]])
    return csr_matrix((data, (np.concatenate([rows, rows]), np.concatenate([cols, cols + 1]))), shape=(K * n, 2 * K))


def _solve_socp(Xt: Any, y: Any, P: Any, S: Any, time_limit: float | None = None) -> Any:
    """Any d: the group-lasso cone program with cvxpy + Clarabel."""
    try:
        import cvxpy as cp
    except ImportError as exc:
        raise GeoquantError(
            "the minimum-norm interpolant in n_dims >= 2 needs the optional dependency cvxpy (with Clarabel): "
            f"pip install 'geoquant[minnorm]' (import failed: {exc})"
        ) from None
    K, n = P.shape
    D = Xt.shape[1]
    V = cp.Variable((K, D))
    U = cp.Variable((K, D))
    Pf = P.astype(np.float64)
    cons = [
        cp.multiply(S, V @ Xt.T) >= 0,
        cp.multiply(S, U @ Xt.T) >= 0,
        cp.sum(cp.multiply(Pf, (V - U) @ Xt.T), axis=0) == y,
    ]
    obj = cp.Minimize(cp.sum(cp.norm(V[:, : D - 1], 2, axis=1)) + cp.sum(cp.norm(U[:, : D - 1], 2, axis=1)))
    prob = cp.Problem(obj, cons)
    extra: dict[str, Any] = {} if time_limit is None else {"time_limit": max(float(time_limit), 1e-3)}
    t0 = time.perf_counter()

    def out_of_time() -> bool:
        return time_limit is not None and time.perf_counter() - t0 >= 0.95 * time_limit

    try:
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, max_iter=500, **extra)
    except cp.error.SolverError as exc:
        if out_of_time():
            raise TooLargeError("time limit") from None  # rephrased by the caller
        raise GeoquantError(f"minimum-norm cone program failed (Clarabel): {exc}") from None
    if prob.status not in ("optimal", "optimal_inaccurate") and out_of_time():
        raise TooLargeError("time limit")  # rephrased by the caller
    if prob.status not in ("optimal", "optimal_inaccurate") or V.value is None:
        raise GeoquantError(f"minimum-norm cone program failed (Clarabel status {prob.status!r})")
    lam = -np.asarray(cons[2].dual_value, dtype=np.float64).reshape(-1)  # cvxpy: L = f + nu (Ax - b)
    return np.asarray(V.value), np.asarray(U.value), float(prob.value), lam


def _merge(M: Any, rtol_drop: float, atol_dir: float) -> list[np.ndarray]:
    """Rows of ``M`` with (nearly) the same direction summed; negligible rows dropped."""
    nrm = np.linalg.norm(M, axis=1)
    top = float(np.max(nrm, initial=0.0))
    keep = np.flatnonzero(nrm > rtol_drop * max(top, 1e-300))
    keep = keep[np.argsort(-nrm[keep], kind="stable")]
    reps: list[np.ndarray] = []
    sums: list[np.ndarray] = []
    for k in keep:
        u = M[k] / nrm[k]
        for j, r in enumerate(reps):
            if np.linalg.norm(u - r) <= atol_dir:
                sums[j] = sums[j] + M[k]
                break
        else:
            reps.append(u)
            sums.append(M[k].copy())
    return sums


def _neurons(V: Any, U: Any, d: int, rtol_drop: float = 1e-12, atol_dir: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Balanced neurons ``(W, a)`` from the program's variables.

    Neurons with (nearly) the same direction are one neuron split across the
    closed cells that share it (an interior-point solution spreads it): they are
    merged; neurons below ``rtol_drop`` of the largest are dropped.
    """
    rows: list[np.ndarray] = []
    coef: list[float] = []
    for M, sgn in ((V, 1.0), (U, -1.0)):
        for v in _merge(M, rtol_drop, atol_dir):
            c = float(np.linalg.norm(v[:d]))
            if c > 0:
                rows.append(v / np.sqrt(c))
                coef.append(sgn * np.sqrt(c))
            else:  # a constant neuron relu(b) on the data and everywhere: free
                rows.append(v.copy())
                coef.append(sgn)
    if not rows:
        return np.zeros((0, d + 1)), np.zeros(0)
    return np.array(rows), np.array(coef)


def _refit(Xt: Any, y: Any, W: Any, a: Any, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Re-solve the output weights over the found directions as an exact LP.

    With the directions ``u_j`` fixed (plus the free constant neuron), the
    program is ``min sum_j |c_j| ||u_j[:d]||  s.t.  relu(X~ U^T) c = y``: a linear
    program whose simplex (vertex) solution interpolates to machine precision and
    keeps at most ``n_points`` neurons.  Its value is at most the cone program's
    (the current weights are feasible up to the solver's tolerance) and at least
    the minimum (it is a restriction), so the cost is unchanged up to that
    tolerance.  HiGHS is tried at feasibility tolerances 1e-10 up to 1e-7 (a
    non-unique dual makes the equality rows nearly dependent, which the tightest
    tolerance can call numerically difficult), and the vertex is polished by least
    squares on its support (the basic solution itself, to machine precision).
    Returns the balanced ``(W, a)``, or the input when the LP fails.
    """
    from scipy.optimize import linprog

    D = d + 1
    const = np.zeros((1, D))
    const[0, -1] = 1.0
    nrm = np.linalg.norm(W, axis=1)
    Uh = np.concatenate([W / nrm[:, None], const]) if W.shape[0] else const
    wn = np.linalg.norm(Uh[:, :d], axis=1)
    Phi = np.maximum(Xt @ Uh.T, 0.0)
    Phi[Phi <= 1e-13 * max(float(Phi.max(initial=0.0)), 1e-300)] = 0.0  # rounding of relu(~0) on crease lines
    m = Uh.shape[0]
    # near-redundant rows (a non-unique dual) can make HiGHS report numerical trouble at tight tolerances
    for tol in (1e-10, 1e-9, 1e-8, 1e-7):
        res = linprog(
            np.concatenate([wn, wn]),
            A_eq=np.hstack([Phi, -Phi]),
            b_eq=y,
            bounds=[(0, None)] * (2 * m),
            method="highs-ds",
            options={"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol},
        )
        if res.status == 0:
            break
    if res.status != 0:  # pragma: no cover - keep the solver's network (the caller checks its residual)
        return W, a
    c = res.x[:m] - res.x[m:]
    keep = c != 0
    # polish: the vertex's basic solution by least squares on its support (same signs, machine-precision fit)
    if np.any(keep):
        cs = np.linalg.lstsq(Phi[:, keep], y, rcond=None)[0]
        if np.all(np.sign(cs) == np.sign(c[keep])) and \
                np.max(np.abs(Phi[:, keep] @ cs - y)) < np.max(np.abs(Phi[:, keep] @ c[keep] - y)):
            c[keep] = cs
    Uh, c, wn = Uh[keep], c[keep], wn[keep]
    scale = np.where(wn > 0, np.sqrt(np.abs(c) * np.where(wn > 0, wn, 1.0)), 1.0)  # balanced: |a| = ||w[:d]||
    W2 = Uh * (np.abs(c) / scale)[:, None]
    a2 = np.sign(c) * scale
    return W2, a2




#: the certificate's tolerance: ``cost <= lower_bound * (1 + _CERT_RTOL)``
_CERT_RTOL = 1e-6


def minnorm_memory(n_points: int, n_dims: int, method: str = "lines") -> float:
    """Estimated bytes of :func:`minnorm_interpolant` (``method`` "lines" or "full").

    "full" is calibrated on the shared 2-core machine (peak resident memory
    beyond the interpreter): 1D about ``7 kB n^2`` (n = 64: 28 MB, 128: 113 MB,
    256: 0.5 GB; n = 2048 passed 21 GB), 2D about ``3 kB`` per (cell, point)
    pair.  "lines": the arcs and the master, ``O(n)`` in 1D and ``O(n^2)`` in 2D.
    """
    n = float(n_points)
    if method == "full":
        if n_dims == 1:
            return 8000.0 * n * n
        return 3000.0 * float(cover_count(int(n_points), 2)) * n
    return lines_memory(int(n_points), n_dims)


def _certify(X: np.ndarray, y: np.ndarray, lam: np.ndarray, cost: float,
             arcs: Arcs | None = None) -> tuple[float, float, np.ndarray]:
    """``(lower_bound, dual_norm, lambda0)``: weak duality with the exact dual norm of ``lambda0 = lambda - mean``."""
    lam0 = lam - float(np.mean(lam))
    norm, _ = dual_norm(X, lam0, arcs)
    val = float(lam0 @ y)
    lower = val / norm if norm > 0 else (0.0 if val <= 0 else float("inf"))
    return lower, norm, lam0


def _resolve_method(
    n_dims: int, method: str, solver: str
) -> tuple[Literal["lines", "full"], Literal["highs", "clarabel"]]:
    """The program and solver ``"auto"`` stands for in ``n_dims``, after refusing the combinations that do not exist."""
    d = n_dims
    if d > 2:
        raise UnsupportedError(f"minnorm_interpolant supports 'points' with n_dims 1 or 2, found n_dims={d}")
    if solver == "highs" and d != 1:
        raise UnsupportedError(f"'solver' 'highs' (a linear program) is for 1D data, found n_dims={d}; use 'clarabel'")
    if method == "auto":
        method = "full" if (solver == "clarabel" and d == 1) else "lines"
    if method == "lines" and d == 1 and solver == "clarabel":
        raise UnsupportedError("method 'lines' in 1D is a linear program (HiGHS); use solver='highs' or method='full'")
    if solver == "auto":
        solver = "highs" if d == 1 else "clarabel"
    return cast(Literal["lines", "full"], method), cast(Literal["highs", "clarabel"], solver)


def minnorm_interpolant(
    points: ArrayLike,
    values: ArrayLike,
    *,
    method: Literal["auto", "lines", "full"] = "auto",
    sectors: Sectors | None = None,
    solver: Literal["auto", "highs", "clarabel"] = "auto",
    time_limit: float | None = None,
    progress: bool | None = None,
) -> MinNormInterpolant:
    """The minimum representation-cost interpolant of the data by a shallow ReLU network.

    Solves ``min sum_j |a_j| ||w_j||`` over networks ``sum_j a_j relu(w_j . x + b_j)``
    of any width with ``f(x_i) = y_i`` (biases unregularised, no skip connection)
    exactly, and certifies the answer with the dual (module docstring).

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Distinct inputs, n_dims 1 or 2 (a 1-D array is 1D data).
    values : (n_points,) array_like
        Targets ``y``.
    method : {"auto", "lines", "full"}
        ``"lines"`` (``"auto"``): the program over neurons whose kink or crease
        passes through a data point -- a sparse LP in 1D (n = 2048 in well under a
        second), column generation in 2D (n = 160 in seconds to tens of seconds).
        ``"full"``: the program over all activation cells (Pilanci & Ergen;
        quadratic memory in 1D, n <= ~40 in 2D).  Both have the same value.
        ``"auto"`` is ``"full"`` when ``solver="clarabel"`` is asked for in 1D.
    sectors : Sectors, optional
        Precomputed :func:`geoquant.theory.sectors` of ``points`` (``"full"`` only).
    solver : {"auto", "highs", "clarabel"}
        For ``"full"``: HiGHS (LP) in 1D, Clarabel via cvxpy in 2D; ``"clarabel"``
        in 1D solves the cone program (an independent check).  ``"lines"`` uses
        HiGHS in 1D and Clarabel (called directly) in 2D.
    time_limit : float, optional
        Seconds (wall clock); past it :class:`TooLargeError` says what to do.
    progress : bool, optional
        A progress bar for the 2D column generation: None on a terminal after
        2 s, True always, False never.

    Returns
    -------
    MinNormInterpolant
        Network weights ``W (width, n_dims + 1)``, ``a (width,)``, the minimum
        ``cost``, its certified ``lower_bound`` and the interpolation ``residual``.

    Raises
    ------
    InvalidInputError, UnsupportedError (n_dims >= 3, or "highs" in 2D),
    TooLargeError (the estimated memory exceeds ``GEOQUANT_MEMORY_BUDGET_GB``
    before any work, or ``time_limit`` is reached), GeoquantError (cvxpy/clarabel
    missing for 2D), SolverError (a solver failure, or a failed certificate).

    Examples
    --------
    ``|x|`` through three points costs 2 (two unit neurons, kink at 0):

    >>> m = minnorm_interpolant([[-1.0], [0.0], [1.0]], [1.0, 0.0, 1.0])
    >>> round(float(m.cost), 9), m.width, m.kinks.round(9).tolist() == [0.0]
    (2.0, 2, True)
    """
    X = check_points(points, "points")
    y = check_values(values, X.shape[0], "values")
    check_option(method, "method", ("auto", "lines", "full"))
    check_option(solver, "solver", ("auto", "highs", "clarabel"))
    limit = check_time_limit(time_limit)
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise InvalidInputError(f"'progress' must be None, True or False, found {progress!r}")
    n, d = X.shape
    method, solver = _resolve_method(d, method, solver)
    if sectors is not None:
        if not isinstance(sectors, Sectors) or sectors.points.shape != X.shape or not np.allclose(sectors.points, X):
            raise InvalidInputError("'sectors' must be the Sectors of 'points' (geoquant.theory.sectors(points))")
    what = f"minnorm_interpolant of {n} points in {d}D (method {method!r})"
    advice = ("use method='lines' (the default), fewer points, or raise GEOQUANT_MEMORY_BUDGET_GB"
              if method == "full" else "use fewer points, or raise GEOQUANT_MEMORY_BUDGET_GB")
    check_memory(minnorm_memory(n, d, method), what, advice)
    deadline = Deadline(limit, what, "raise time_limit, or use fewer points" +
                        (" or method='lines'" if method == "full" else ""))
    Xt = augment(X)
    arcs = None
    iterations = 1
    try:
        if method == "lines" and d == 1:
            W, a, bound, dual = solve_kinks_1d(X[:, 0], y, deadline.left())
            n_sectors = 2 * n
        elif method == "lines":
            arcs = Arcs(X)
            from scipy.sparse import identity

            master = Master(arcs, identity(n, format="csr"), y, n_zero=n)
            feasible_start(master)
            with progress_bar(progress, f"minnorm {n} points 2D", unit="solve") as bar:
                bound, x, _, dual, _, iterations = column_generation(master, deadline, bar)
            V, U, c0 = master.neurons(x)
            const = np.array([[0.0, 0.0, abs(c0)]])  # the free constant as a neuron relu(|c0|)
            V, U = (np.concatenate([V, const]), U) if c0 > 0 else (V, np.concatenate([U, const]))
            W, a = _neurons(V, U, d)
            deadline.check("refitting the output weights")
            W, a = _refit(Xt, y, W, a, d)
            n_sectors = arcs.n_cells()
        else:
            sec = sectors if sectors is not None else _sectors_fn(X)
            deadline.check("enumerating the activation sectors")
            P = np.asarray(sec.patterns, dtype=bool)
            P = P[P.any(axis=1)]  # the dead cell contributes nothing
            S = np.where(P, 1.0, -1.0)
            if solver == "highs":
                V, U, bound, dual = _solve_lp_1d(Xt, y, P, S, deadline.left())
            else:
                V, U, bound, dual = _solve_socp(Xt, y, P, S, deadline.left())
            W, a = _neurons(V, U, d)
            deadline.check("refitting the output weights")
            W, a = _refit(Xt, y, W, a, d)
            n_sectors = len(sec)
    except TooLargeError as exc:
        if str(exc) == "time limit":  # a solver's own limit (the deadline's remainder)
            raise deadline.error("in the solver") from None
        raise
    resid = float(np.max(np.abs(network_forward(W, a, Xt, augmented=True, check_input=False) - y))) if W.shape[0] else float(np.max(np.abs(y)))
    scale = max(1.0, float(np.max(np.abs(y))))
    if resid > 1e-6 * scale:
        raise GeoquantError(
            f"minimum-norm solve did not interpolate: max residual {resid:.3g} (solver {solver!r}, method {method!r})"
        )
    cost = representation_cost(W, a) if W.shape[0] else 0.0
    deadline.check("checking the optimality certificate")
    lower, norm, _ = _certify(X, y, np.asarray(dual, dtype=np.float64), cost, arcs)
    if not cost <= lower * (1.0 + _CERT_RTOL) + 1e-12 * scale:
        raise SolverError(
            f"minimum-norm solve failed its optimality certificate: cost {cost:.12g} > lower bound {lower:.12g} "
            f"(dual norm {norm:.9g}, method {method!r}, {n} points in {d}D)"
        )
    return MinNormInterpolant(
        points=X,
        values=y,
        W=W,
        a=a,
        cost=cost,
        bound=bound,
        residual=resid,
        solver=solver,
        dual=np.asarray(dual, dtype=np.float64),
        n_sectors=n_sectors,
        lower_bound=lower,
        dual_norm=norm,
        method=method,
        iterations=iterations,
    )
