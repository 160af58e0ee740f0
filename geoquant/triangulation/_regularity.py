"""Regularity of a triangulation: the folding LP, its certificates, exact re-checks.

A triangulation ``T`` of a point set ``A`` in ``R^d`` is *regular* when some
heights ``h`` make ``T`` the projection of the lower faces of the lifted points
``(a_i, h_i)`` (De Loera, Rambau, Santos, *Triangulations*, Def. 2.2.10; the
lifting itself is :mod:`._regular`).

:func:`is_regular` decides regularity by a linear program over the *local
folding inequalities* (:func:`folding_constraints`): a piecewise-linear function
on a convex domain is convex, with exactly the simplices of ``T`` as linearity
regions, iff it bends strictly upwards across every interior ridge; unused
points must lie strictly above it. Each inequality is ``lambda . h > 0`` for the
affine dependence ``lambda`` of the ``d + 2`` points involved, a circuit. Either
the LP is feasible (heights prove regularity) or, by Gordan's theorem, a
non-negative, non-zero combination of the inequalities has all coefficients
zero, which reads ``0 > 0``; that combination is the returned certificate
(:class:`RegularityCertificate`) and can be re-checked in exact rational
arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from ..errors import GeoquantError, InvalidInputError
from ._predicates import _bareiss_det, _to_exact_ints
from ._regular import _regular_simplices
from ._triangulation import Triangulation

__all__ = ["is_regular", "RegularityCertificate", "folding_constraints"]


# ----------------------------------------------------------- regularity LP
def folding_constraints(tri: Triangulation) -> tuple[NDArray[np.int64], NDArray[np.float64], int]:
    """The local folding inequalities ``C h > 0`` that make ``tri`` regular.

    Parameters
    ----------
    tri : Triangulation

    Returns
    -------
    circuits : (n_constraints, n_dims + 2) ndarray of int64
        Vertex indices of each inequality: the ``n_dims + 1`` vertices of a
        simplex ``S``, then the point that must lie strictly above the lifted
        hyperplane through ``S`` -- the far vertex of the neighbour across an
        interior ridge (first ``n_ridges`` rows), or an unused point lying in
        ``S`` (remaining rows).
    coefficients : (n_constraints, n_dims + 2) ndarray
        The affine dependence ``lambda`` of the circuit's points
        (``sum lambda_j (p_j, 1) = 0``), signed so the last entry is positive and
        scaled to max-abs 1; the inequality is ``sum_j lambda_j h[circuits_j] > 0``.
    n_ridges : int
    """
    pts, simp = tri.points, tri.simplices
    m, k = simp.shape
    nb = tri.neighbors
    s_idx, f_idx = np.nonzero(nb > np.arange(m)[:, None])  # each interior ridge once
    t_idx = nb[s_idx, f_idx]
    ss, st = simp[s_idx], simp[t_idx]
    not_in_s = ~(st[:, :, None] == ss[:, None, :]).any(axis=2)
    far = st[np.arange(len(st)), np.argmax(not_in_s, axis=1)]
    rows = [np.column_stack([ss, far])] if len(ss) else []
    unused = np.setdiff1d(np.arange(tri.n_points), tri.used_points)
    if len(unused):
        loc = tri.find_simplex(pts[unused])
        if (loc < 0).any():  # pragma: no cover - every point lies in the hull
            raise GeoquantError(f"unused point {int(unused[loc < 0][0])} was not located in the triangulation")
        rows.append(np.column_stack([simp[loc], unused]))
    if not rows:
        return np.zeros((0, k + 1), dtype=np.int64), np.zeros((0, k + 1)), 0
    circuits = np.concatenate(rows).astype(np.int64)
    # barycentric coordinates mu of the last point w.r.t. the simplex:
    # p_last - sum mu_i p_i = 0 with sum mu_i = 1, so lambda = (-mu, 1)
    v = pts[circuits[:, :k]]  # (K, d+1, d)
    mat = np.concatenate([np.swapaxes(v, 1, 2), np.ones((len(v), 1, k))], axis=1)
    rhs = np.concatenate([pts[circuits[:, k]], np.ones((len(v), 1))], axis=1)
    mu = np.linalg.solve(mat, rhs[..., None])[..., 0]
    lam = np.column_stack([-mu, np.ones(len(mu))])
    lam /= np.abs(lam).max(axis=1, keepdims=True)
    return circuits, lam, len(ss)


def _constraint_matrix(circuits: np.ndarray, lam: np.ndarray, n: int) -> sparse.csr_matrix:
    """Rows ``c_k`` (``lam`` scattered to the circuit's columns, which are distinct)."""
    K, w = circuits.shape
    indptr = np.arange(0, K * w + 1, w, dtype=np.int64)
    return sparse.csr_matrix((lam.reshape(-1), circuits.reshape(-1), indptr), shape=(K, n))


def _constraint_dense(circuits: np.ndarray, lam: np.ndarray, n: int) -> np.ndarray:
    A = np.zeros((len(circuits), n))
    A[np.repeat(np.arange(len(circuits)), circuits.shape[1]), circuits.reshape(-1)] = lam.reshape(-1)
    return A


@dataclass(eq=False)
class RegularityCertificate:
    """Proof that a triangulation is regular (heights) or is not (Farkas multipliers).

    Attributes
    ----------
    is_regular : bool
        Also the truth value of the certificate.
    heights : (n_points,) ndarray or None
        When regular: heights whose lift induces the triangulation; every folding
        inequality holds with margin at least 1 (``constraints @ heights >= 1``).
    multipliers : (n_constraints,) ndarray or None
        When not regular: ``y >= 0`` with ``sum(y) = 1`` and
        ``constraints.T @ y = 0``, so summing ``y_k * (c_k . h > 0)`` gives
        ``0 > 0`` for every ``h``: no heights exist.
    constraints : (n_constraints, n_points) scipy.sparse.csr_matrix
        The folding inequalities ``c_k . h > 0`` (see :func:`folding_constraints`).
    circuits : (n_constraints, n_dims + 2) ndarray of int64
        The points of each inequality (a simplex, then the point that must lie above it).
    n_ridges : int
        The first ``n_ridges`` inequalities are interior ridges, the rest unused points.
    triangulation : Triangulation
    """

    is_regular: bool
    heights: np.ndarray | None
    multipliers: np.ndarray | None
    constraints: sparse.csr_matrix
    circuits: np.ndarray
    n_ridges: int
    triangulation: Triangulation

    def __bool__(self) -> bool:
        return bool(self.is_regular)

    def __repr__(self) -> str:
        what = "regular" if self.is_regular else "not regular"
        return (
            f"RegularityCertificate({what}, n_constraints={len(self.circuits)}, "
            f"triangulation={self.triangulation!r})"
        )

    @property
    def support(self) -> np.ndarray:
        """Indices of the inequalities with a positive multiplier (empty when regular)."""
        if self.multipliers is None:
            return np.zeros(0, dtype=np.int64)
        y = self.multipliers
        return np.flatnonzero(y > 1e-12 * max(float(y.max()), 1e-300))

    def verify(self, *, exact: bool = True) -> bool:
        """Re-check the certificate.

        Regular: every folding inequality holds at ``heights`` (exactly, in
        rational arithmetic on the float64 inputs, when ``exact``) and
        :func:`regular_triangulation` with these heights returns the same
        simplices. Not regular: ``y >= 0``, ``sum(y) > 0`` and
        ``constraints.T @ y = 0`` to round-off; when ``exact``, the inequalities
        in the support are recomputed from the points in integer arithmetic and
        exact rational multipliers ``z >= 0``, ``sum(z) = 1`` with
        ``sum_k z_k lambda_k = 0`` are solved for, which proves non-regularity
        with no rounding at all.

        Returns
        -------
        bool
        """
        tri = self.triangulation
        if self.is_regular:
            h = self.heights
            if h is None or h.shape != (tri.n_points,) or not np.all(np.isfinite(h)):
                return False
            if len(self.circuits) and not np.all(self.constraints @ h > 0):
                return False
            if exact and not all(_exact_fold_sign(tri.points, c, h) > 0 for c in self.circuits):
                return False
            again = _regular_simplices(tri.points, h)
            return again.shape == tri.simplices.shape and bool(np.array_equal(again, tri.simplices))
        y = self.multipliers
        if y is None or y.shape != (len(self.circuits),) or not np.all(np.isfinite(y)):
            return False
        if (y < -1e-12).any() or y.sum() <= 0:
            return False
        resid = np.abs(self.constraints.T @ y).max()
        if resid > 1e-9 * y.sum():
            return False
        if not exact:
            return True
        return _exact_farkas(tri.points, self.circuits[self.support], y[self.support]) is not None


def is_regular(tri: Triangulation) -> RegularityCertificate:
    """Decide whether a triangulation is regular, with a certificate either way.

    Parameters
    ----------
    tri : Triangulation
        Any triangulation (fine or not) in any dimension.

    Returns
    -------
    RegularityCertificate
        ``bool(cert)`` is the answer; ``cert.heights`` (regular) or
        ``cert.multipliers`` (not regular) prove it, and ``cert.verify()``
        re-checks the proof.

    Notes
    -----
    One LP in the heights ``h`` (``scipy.optimize.linprog``, HiGHS): every
    folding inequality ``c_k . h >= 1`` (the inequalities are homogeneous, so a
    margin of 1 loses nothing), the heights of one simplex's vertices fixed at 0
    (heights matter up to affine functions), minimising the total fold
    ``sum_k c_k . h``. When that LP is infeasible a second LP finds the Farkas
    multipliers ``y >= 0``, ``sum(y) = 1``, ``C^T y = 0`` (Gordan's theorem: exactly
    one of the two systems is solvable).

    The LPs run in floating point. For exactly represented inputs the answer
    is then re-checkable without rounding by ``cert.verify(exact=True)``; for
    configurations within round-off of a degenerate one (e.g. a symmetric
    configuration whose coordinates were rounded) the float answer can be
    wrong, and ``verify`` then returns False rather than a false proof. On the
    46456 fine triangulations of the 4x4 grid every certificate verifies
    exactly (4 non-regular).

    Raises
    ------
    InvalidInputError
        ``tri`` is not a Triangulation.
    GeoquantError
        The LP solver failed on both systems (numerically hopeless input).

    Examples
    --------
    >>> import numpy as np
    >>> from geoquant.triangulation import delaunay
    >>> pts = np.random.default_rng(0).random((20, 2))
    >>> cert = is_regular(delaunay(pts))
    >>> bool(cert), cert.verify()
    (True, True)
    """
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'tri' must be a geoquant Triangulation, found {type(tri).__name__}")
    from scipy.optimize import linprog

    n = tri.n_points
    circuits, lam, n_ridges = folding_constraints(tri)
    C = _constraint_matrix(circuits, lam, n)
    K = len(circuits)

    def cert(regular: bool, heights: np.ndarray | None = None, y: np.ndarray | None = None) -> RegularityCertificate:
        return RegularityCertificate(regular, heights, y, C, circuits, n_ridges, tri)

    if K == 0:  # a single simplex using every point
        return cert(True, heights=np.zeros(n))
    # Small systems go to HiGHS dense: scipy's sparse bookkeeping would dominate.
    A = _constraint_dense(circuits, lam, n) if K * n <= 200_000 else C
    bounds = np.empty((n, 2))
    bounds[:, 0], bounds[:, 1] = -np.inf, np.inf
    bounds[tri.simplices[0]] = 0.0  # heights matter up to affine functions
    objective = np.asarray(A.sum(axis=0)).ravel()
    res = linprog(objective, A_ub=-A, b_ub=-np.ones(K), bounds=bounds, method="highs")
    if res.status == 0:
        h = np.asarray(res.x, dtype=float)
        if np.all(C @ h > 0):
            return cert(True, heights=h)
    # Farkas / Gordan alternative: y >= 0, C^T y = 0, sum y = 1.
    if sparse.issparse(A):
        A_eq = sparse.vstack([A.T, sparse.csr_matrix(np.ones((1, K)))]).tocsr()
    else:
        A_eq = np.vstack([A.T, np.ones((1, K))])
    b_eq = np.zeros(n + 1)
    b_eq[-1] = 1.0
    dual = linprog(np.zeros(K), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if dual.status == 0:
        y = np.clip(np.asarray(dual.x, dtype=float), 0.0, None)
        return cert(False, y=y)
    raise GeoquantError(
        f"is_regular: the LP solver could not decide (heights LP: {res.message!r}; "
        f"Farkas LP: {dual.message!r})"
    )


# ------------------------------------------------------ exact arithmetic
def _det_int(mat: list[list[int]]) -> int:
    """Determinant of a square integer matrix (the predicates' fraction-free Bareiss elimination)."""
    return _bareiss_det(mat)


def _exact_dependence(int_pts: np.ndarray, circuit: Sequence[int]) -> list[int]:
    """Integer affine dependence of the circuit's points, last entry positive.

    ``lambda_j = (-1)^j det(M without column j)`` for ``M = [[p_0 ... p_{d+1}], [1 ... 1]]``;
    the columns of ``M`` are exact integer images of the points (common scaling).
    """
    cols = [list(int_pts[i]) + [1] for i in circuit]
    k = len(cols)
    lam = []
    for j in range(k):
        sub = [cols[c] for c in range(k) if c != j]  # rows of the transpose: same det
        lam.append((-1) ** j * _det_int(sub))
    if lam[-1] < 0:
        lam = [-v for v in lam]
    return lam


def _int_points(points: np.ndarray) -> np.ndarray:
    return _to_exact_ints(np.asarray(points, dtype=np.float64))


def _exact_fold_sign(points: np.ndarray, circuit: Iterable[int], heights: np.ndarray) -> int:
    """Exact sign of ``lambda . h`` for one circuit (float inputs read as exact rationals)."""
    circuit = [int(i) for i in circuit]
    int_pts = _int_points(points[circuit])
    lam = _exact_dependence(int_pts, range(len(circuit)))
    hs = _to_exact_ints(np.asarray(heights, dtype=np.float64)[circuit])
    total = sum(l * int(v) for l, v in zip(lam, hs))
    return (total > 0) - (total < 0)


def _exact_farkas(points: np.ndarray, circuits: np.ndarray, y: np.ndarray) -> list[Fraction] | None:
    """Exact rational multipliers for the given circuits, or None.

    Solves ``sum_k z_k lambda_k = 0`` (one equation per point involved) and
    ``sum_k z_k = 1`` exactly, where ``lambda_k`` are the integer dependences;
    free unknowns (if the support is not independent) are fixed at the values
    suggested by the float multipliers. Returns the list of Fractions when all
    ``z_k >= 0``, else None.
    """
    if len(circuits) == 0:
        return None
    involved = np.unique(circuits)
    int_pts = _int_points(points[involved])
    where = {int(p): i for i, p in enumerate(involved)}
    lams = [_exact_dependence(int_pts, [where[int(p)] for p in c]) for c in circuits]
    K = len(circuits)
    rows = [[Fraction(0)] * K for _ in range(len(involved))]
    for k, (c, lam) in enumerate(zip(circuits, lams)):
        for p, l in zip(c, lam):
            rows[where[int(p)]][k] += l
    rows.append([Fraction(1)] * K)
    rhs = [Fraction(0)] * len(involved) + [Fraction(1)]
    # float guess in the exact rows' scaling: row_float_k = lambda_k / max|lambda_k|
    guess = [Fraction(float(y[k])) / max(abs(v) for v in lam) for k, lam in enumerate(lams)]
    z = _solve_rational(rows, rhs, guess)
    if z is None or any(v < 0 for v in z):
        return None
    return z


def _solve_rational(
    rows: list[list[Fraction]], rhs: list[Fraction], guess: list[Fraction]
) -> list[Fraction] | None:
    """Solve ``rows @ z = rhs`` exactly (Gauss-Jordan); free unknowns take ``guess``. None if inconsistent."""
    a = [list(r) + [b] for r, b in zip(rows, rhs)]
    n_rows, n_cols = len(a), len(guess)
    pivots = []
    r = 0
    for c in range(n_cols):
        p = next((i for i in range(r, n_rows) if a[i][c] != 0), None)
        if p is None:
            continue
        a[r], a[p] = a[p], a[r]
        piv = a[r][c]
        a[r] = [v / piv for v in a[r]]
        for i in range(n_rows):
            if i != r and a[i][c] != 0:
                f = a[i][c]
                a[i] = [vi - f * vr for vi, vr in zip(a[i], a[r])]
        pivots.append(c)
        r += 1
        if r == n_rows:
            break
    if any(a[i][n_cols] != 0 for i in range(r, n_rows)):
        return None
    z = list(guess)
    pivot_set = set(pivots)
    for i, c in enumerate(pivots):
        z[c] = a[i][n_cols] - sum(a[i][j] * z[j] for j in range(n_cols) if j not in pivot_set)
    return z
