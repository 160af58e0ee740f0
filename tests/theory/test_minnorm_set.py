"""The distance from a network to the set of minimum-cost interpolants, against independent computations.

1D: a closed-form family (convex data whose minimum-cost interpolants are exactly the
convex functions between two envelopes), and an independent linear program over a fine
grid (kinks allowed at every grid node: a superset of the breakpoints the module uses,
so equal values show that its breakpoint set is exact).  2D: the same node-restricted
problem solved by the full cone program over all activation sectors of data + nodes
(cvxpy), and bounds that must hold.
"""

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack

from geoquant.errors import InvalidInputError
from geoquant.theory import minnorm_interpolant, minnorm_set_distance, representation_cost


def _pl_network(t, v):
    """A network equal on ``[t_0, t_-1]`` to the linear interpolant of ``(t, v)``: ``v_0 + s_0 relu(x - t_0 + 1) - s_0
    + sum_k jump_k relu(x - t_k)`` (the shifted first neuron is affine on the hull)."""
    s = np.diff(v) / np.diff(t)
    W = [[1.0, -(t[0] - 1.0)]]
    a = [s[0]]
    for k in range(1, len(t) - 1):
        W.append([1.0, -t[k]])
        a.append(s[k] - s[k - 1])
    c = v[0] - s[0]  # relu(x - t0 + 1) = x - t0 + 1 on the hull
    W.append([0.0, abs(c) if c != 0 else 1.0])
    a.append(np.sign(c) if c != 0 else 0.0)
    return np.array(W), np.array(a)


X4 = np.array([0.0, 1.0, 2.0, 3.0])
Y4 = np.array([0.0, 0.0, 1.0, 3.0])  # slopes 0, 1, 2: convex; C* = 2, minimisers: convex, f' in [0, 2]


def test_convex_data_closed_form():
    mn = minnorm_interpolant(X4, Y4)
    assert mn.cost == pytest.approx(2.0, rel=1e-12)
    # a member of the set: one kink at 1.5 (the lower envelope max(0, 2x - 3) on [1, 2])
    W, a = np.array([[1.0, -1.5]]), np.array([2.0])
    assert representation_cost(W, a) == pytest.approx(2.0)
    r = minnorm_set_distance(W, a, X4, Y4, minnorm=mn)
    assert r.exact and r.distance == pytest.approx(0.0, abs=1e-9)
    # the failure mode: the sup distance to the solver's interpolant (the spline) is 0.5 all the same
    t = np.linspace(0, 3, 3001)[:, None]
    assert np.max(np.abs(mn(t) - np.maximum(t[:, 0] - 1.5, 0) * 2)) == pytest.approx(0.5, abs=1e-9)
    # every minimiser lies between L = max(0, 2x - 3) and U = x - 1 on [1, 2]: a bump above U by h is h away,
    # a dip below L by h is h away (the envelope itself is a minimiser)
    for h in (0.05, 0.3):
        W, a = _pl_network(np.array([0, 1, 1.5, 2, 3.0]), np.array([0, 0, 0.5 + h, 1, 3.0]))
        assert minnorm_set_distance(W, a, X4, Y4, minnorm=mn, eps=0.0).distance == pytest.approx(h, abs=1e-8)
        W, a = _pl_network(np.array([0, 1, 1.5, 2, 3.0]), np.array([0, 0, -h, 1, 3.0]))
        assert minnorm_set_distance(W, a, X4, Y4, minnorm=mn, eps=0.0).distance == pytest.approx(h, abs=1e-8)
        # a larger budget lets cheaper-than-allowed detours in: the distance does not grow with eps
        assert minnorm_set_distance(W, a, X4, Y4, minnorm=mn, eps=0.1).distance <= h + 1e-9


def _grid_lp_distance(x, y, g, budget, lo, hi, extra_nodes, n_grid=1500):
    """Independent: min sup_{grid in [lo, hi]} |g - f| over f piecewise linear with kinks at every grid node."""
    t = np.unique(np.concatenate([np.linspace(x.min(), x.max(), n_grid), x, extra_nodes]))
    t = t[(t >= x.min()) & (t <= x.max())]
    m = len(t)
    h = np.diff(t)
    S = csr_matrix((np.concatenate([-1 / h, 1 / h]), (np.r_[np.arange(m - 1), np.arange(m - 1)],
                                                       np.r_[np.arange(m - 1), np.arange(1, m)])), shape=(m - 1, m))
    jump_s = np.zeros((m, 2))
    jump_s[0, 0], jump_s[-1, 1] = -1.0, 1.0
    J = hstack([vstack([S[:1], S[1:] - S[:-1], -S[-1:]]), csr_matrix(jump_s)])
    nv = m + 2 + m + 1
    I = identity(m)
    inb = np.flatnonzero((t >= lo) & (t <= hi))
    Bsel = csr_matrix((np.ones(len(inb)), (np.arange(len(inb)), inb)), shape=(len(inb), m))
    Z = csr_matrix((len(inb), m + 2))
    col = csr_matrix(-np.ones((len(inb), 1)))
    A = vstack([
        hstack([J, -I, csr_matrix((m, 1))]), hstack([-J, -I, csr_matrix((m, 1))]),
        hstack([csr_matrix((1, m + 2)), csr_matrix(np.ones((1, m))), csr_matrix((1, 1))]),
        hstack([Bsel, Z, col]), hstack([-Bsel, Z, col]),
    ]).tocsr()
    ends = np.zeros((2, nv))
    ends[0, m] = ends[0, m + 1] = 1.0
    ends[1, m] = ends[1, m + 1] = -1.0
    A = vstack([A, csr_matrix(ends)]).tocsr()
    gt = g(t)
    b = np.concatenate([np.zeros(2 * m), [budget], gt[inb], -gt[inb], [budget, budget]])
    idx = np.searchsorted(t, x)
    A_eq = csr_matrix((np.ones(len(x)), (np.arange(len(x)), idx)), shape=(len(x), nv))
    c = np.zeros(nv)
    c[-1] = 1.0
    bounds = [(None, None)] * (m + 2) + [(0, None)] * (m + 1)
    res = linprog(c, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=y, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


@pytest.mark.parametrize("seed", range(5))
def test_1d_against_a_fine_grid_lp(seed):
    rng = np.random.default_rng(70 + seed)
    n = 6 + seed
    x = np.sort(rng.uniform(-1, 1, n))
    y = np.sin(3 * x) + (0.5 * rng.normal(size=n) if seed % 2 else 0.0)
    # an interpolating network: random hidden layer (kinks anywhere), output weights by least squares
    Wh = rng.normal(size=(3 * n, 2))
    Phi = np.maximum(np.column_stack([x, np.ones(n)]) @ Wh.T, 0)
    a = np.linalg.lstsq(Phi, y, rcond=None)[0]
    mn = minnorm_interpolant(x, y)
    eps = (0.0, 1e-6, 0.01, 0.1, 0.5)[seed]
    lo, hi = (x.min(), x.max()) if seed < 3 else (-0.5, 0.6)
    r = minnorm_set_distance(Wh, a, x, y, minnorm=mn, eps=eps, region=[[lo, hi]])
    g = lambda t: np.maximum(np.outer(t, Wh[:, 0]) + Wh[:, 1], 0) @ a  # noqa: E731
    live = Wh[:, 0] != 0
    ref = _grid_lp_distance(x, y, g, r.budget, max(lo, x.min()), min(hi, x.max()), -Wh[live, 1] / Wh[live, 0])
    assert r.distance == pytest.approx(ref, rel=1e-7, abs=1e-10)
    # bounds that must hold: the solver's own interpolant is in the set; the distance is >= the fit error
    lo_, hi_ = max(lo, x.min()), min(hi, x.max())
    t = np.concatenate([np.linspace(lo_, hi_, 2001), -Wh[live, 1] / Wh[live, 0], mn.kinks])
    t = t[(t >= lo_) & (t <= hi_)]  # with the breakpoints of both: the exact sup
    assert r.distance <= np.max(np.abs(g(t) - mn(t[:, None]))) + 1e-9
    # the nearest member is feasible: interpolates, costs at most the budget, and is that far from g at the nodes
    F = r.nearest_values
    assert np.max(np.abs(r.network_values - F)) == pytest.approx(r.distance, abs=1e-8)
    if seed < 3:  # region = hull: the nodes are all breakpoints, so the member's cost can be read off
        z = r.nodes[:, 0]
        assert np.allclose(np.interp(x, z, F), y, atol=1e-8)
        sL, sR = r.end_slopes
        sl = np.concatenate([[sL], np.diff(F) / np.diff(z), [sR]])
        cost = max(np.sum(np.abs(np.diff(sl))), abs(sL + sR))
        assert cost <= r.budget * (1 + 1e-7)


def test_1d_distance_of_the_solvers_own_interpolant_is_zero_and_bad_input():
    x = np.linspace(-1, 1, 9)
    y = np.cos(3 * x)
    mn = minnorm_interpolant(x, y)
    assert minnorm_set_distance(mn.W, mn.a, x, y).distance == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(InvalidInputError, match="'W'"):
        minnorm_set_distance(np.ones((3, 3)), np.ones(3), x, y)
    with pytest.raises(InvalidInputError, match="'eps'"):
        minnorm_set_distance(mn.W, mn.a, x, y, eps=-1)
    with pytest.raises(InvalidInputError, match="'region'"):
        minnorm_set_distance(mn.W, mn.a, x, y, region=[[1.0, 0.0]])
    with pytest.raises(InvalidInputError, match="'minnorm'"):
        minnorm_set_distance(mn.W, mn.a, x, y + 1, minnorm=mn)


# ---------------------------------------------------------------------------
# 2D
# ---------------------------------------------------------------------------
def _has_cvxpy():
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        return False
    return True


needs_cvxpy = pytest.mark.skipif(not _has_cvxpy(), reason="2D needs the optional extra geoquant[minnorm]")


def _full_program_distance(X, y, Q, g, budget):
    """Independent: the node-restricted problem over ALL activation sectors of data + nodes (cvxpy, Clarabel)."""
    import cvxpy as cp

    from geoquant.theory import sectors

    P = np.concatenate([X, Q])
    Pt = np.column_stack([P, np.ones(len(P))])
    pats = np.asarray(sectors(P).patterns, dtype=bool)
    pats = pats[pats.any(axis=1)]
    S = np.where(pats, 1.0, -1.0)
    K = len(pats)
    V, U, d = cp.Variable((K, 3)), cp.Variable((K, 3)), cp.Variable()
    f = cp.sum(cp.multiply(pats.astype(float), (V - U) @ Pt.T), axis=0)
    gP = g(P)
    cons = [cp.multiply(S, V @ Pt.T) >= 0, cp.multiply(S, U @ Pt.T) >= 0, f[: len(X)] == y,
            cp.abs(f - gP) <= d,
            cp.sum(cp.norm(V[:, :2], 2, axis=1)) + cp.sum(cp.norm(U[:, :2], 2, axis=1)) <= budget]
    prob = cp.Problem(cp.Minimize(d), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value)


@needs_cvxpy
@pytest.mark.parametrize("seed", range(2))
def test_2d_lower_bound_against_the_full_program(seed):
    rng = np.random.default_rng(90 + seed)
    n = 6
    X = rng.uniform(-1, 1, (n, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    Q = rng.uniform(-0.8, 0.8, (4, 2))
    # a network that interpolates: random hidden layer, output weights by least squares
    Wh = rng.normal(size=(12, 3))
    a = np.linalg.lstsq(np.maximum(np.column_stack([X, np.ones(n)]) @ Wh.T, 0), y, rcond=None)[0]
    g = lambda P: np.maximum(np.column_stack([P, np.ones(len(P))]) @ Wh.T, 0) @ a  # noqa: E731
    mn = minnorm_interpolant(X, y)
    eps = 0.05 * seed
    r = minnorm_set_distance(Wh, a, X, y, minnorm=mn, eps=eps, nodes=Q, region=[[-1, 1], [-1, 1]])
    ref = _full_program_distance(X, y, Q, g, r.budget)
    assert not r.exact
    assert r.distance <= ref * (1 + 1e-6) + 1e-8  # a certified lower bound of the node-restricted problem
    assert r.distance == pytest.approx(ref, rel=1e-5, abs=1e-7)  # and it is attained (converged)
    # the solver's interpolant is in the set: the bound is at most its distance at the nodes
    P = np.concatenate([X, Q])
    assert r.distance <= np.max(np.abs(g(P) - mn(P))) + 1e-8


@needs_cvxpy
def test_2d_solvers_own_interpolant_is_at_distance_zero():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (10, 2))
    y = np.cos(2 * X[:, 0] + X[:, 1])
    mn = minnorm_interpolant(X, y)
    r = minnorm_set_distance(mn.W, mn.a, X, y, minnorm=mn)
    assert r.distance == pytest.approx(0.0, abs=1e-7)
    assert r.upper <= 1e-6
    # a network off the set at a node: the bound sees it (|g - f| >= the bump minus what the budget allows)
    bump = np.vstack([mn.W, [[0.0, 0.0, 1.0]]])
    r2 = minnorm_set_distance(bump, np.append(mn.a, 0.3), X, y, minnorm=mn)
    assert r2.distance == pytest.approx(0.3, abs=1e-6)  # a constant offset: the data rows alone give 0.3
