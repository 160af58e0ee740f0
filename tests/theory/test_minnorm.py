"""The minimum representation-cost interpolant against independent computations.

1D: Savarese et al. (2019) give the cost of a function, ``max(int |f''|, |f'(-inf) +
f'(+inf)|)``; its minimum over interpolants is computed here independently by a
linear program over the values of a piecewise-linear function on a fine grid that
contains the data (kinks only at grid nodes, free slopes beyond the ends).  2D:
weak duality -- a multiplier vector ``lambda`` with ``sum lambda = 0`` and
``|sum_i lambda_i relu(w . x_i + b)| <= ||w||`` bounds the cost of every
interpolating network from below by ``lambda . y``; the bound is certified here on
a fine grid of angles with a Lipschitz margin.
"""

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack

from geoquant.compare import get_method
from geoquant.errors import InvalidInputError, UnsupportedError
from geoquant.theory import minnorm_interpolant, representation_cost, savarese_cost, sectors

POINTS = Path(__file__).resolve().parents[2] / "geoquant" / "data" / "points"


def _load(name):
    d = np.loadtxt(POINTS / f"{name}.csv", delimiter=",", skiprows=1)
    return d[:, :-1], d[:, -1]


def _random_1d(seed, n):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    return x, rng.normal(size=n)


def _cases_1d():
    cases = [(name, _load(name)[0][:, 0], _load(name)[1]) for name in ("five_1d", "boursier_1d", "mixed_1d")]
    cases += [(f"random{s}", *_random_1d(s, 4 + s)) for s in range(4)]
    x = np.linspace(-1, 1, 7)
    cases.append(("cubic", x, x**3))  # monotone: |f'(-inf) + f'(+inf)| dominates
    cases.append(("two", np.array([0.0, 1.0]), np.array([0.0, 1.0])))
    return cases


CASES_1D = _cases_1d()
IDS_1D = [c[0] for c in CASES_1D]


def _grid_lp_cost(x, y, n_grid=400):
    """min over grid-piecewise-linear interpolants of max(TV(f'), |f'(-inf) + f'(+inf)|).

    Unknowns: values ``g`` at the grid nodes ``t`` (which contain the data), end slopes
    ``sL, sR``, ``e_k >= |slope jumps|`` (one per node) and the cost ``c``.
    """
    t = np.union1d(np.linspace(x.min(), x.max(), n_grid), x)
    m = len(t)
    h = np.diff(t)
    # slopes of the m - 1 pieces: S g
    r_idx = np.r_[np.arange(m - 1), np.arange(m - 1)]
    c_idx = np.r_[np.arange(m - 1), np.arange(1, m)]
    S = csr_matrix((np.concatenate([-1 / h, 1 / h]), (r_idx, c_idx)), shape=(m - 1, m))
    # slope jumps at the m nodes: [s_1 - sL, s_2 - s_1, ..., sR - s_{m-1}]
    nv = m + 2 + m + 1  # g, sL, sR, e, c
    jump_g = vstack([S[:1], S[1:] - S[:-1], -S[-1:]]).tocsr()
    jump_s = np.zeros((m, 2))
    jump_s[0, 0] = -1.0
    jump_s[-1, 1] = 1.0
    J = hstack([jump_g, csr_matrix(jump_s)])  # (m, m + 2)
    I = identity(m)
    zc = csr_matrix((m, 1))
    rows = [
        hstack([J, -I, zc]),  # jump - e <= 0
        hstack([-J, -I, zc]),  # -jump - e <= 0
        hstack([csr_matrix((1, m + 2)), csr_matrix(np.ones((1, m))), csr_matrix([[-1.0]])]),  # sum e <= c
    ]
    ends = np.zeros((2, nv))
    ends[0, m], ends[0, m + 1], ends[0, -1] = 1, 1, -1  # sL + sR <= c
    ends[1, m], ends[1, m + 1], ends[1, -1] = -1, -1, -1  # -(sL + sR) <= c
    A_ub = vstack(rows + [csr_matrix(ends)]).tocsr()
    idx = np.searchsorted(t, x)
    A_eq = csr_matrix((np.ones(len(x)), (np.arange(len(x)), idx)), shape=(len(x), nv))
    c = np.zeros(nv)
    c[-1] = 1.0
    bounds = [(None, None)] * (m + 2) + [(0, None)] * (m + 1)
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]), A_eq=A_eq, b_eq=y, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def _spline_cost(x, y):
    """Savarese cost of the linear spline through the data, extended linearly by its end pieces."""
    o = np.argsort(x)
    s = np.diff(y[o]) / np.diff(x[o])
    return max(float(np.sum(np.abs(np.diff(s)))), abs(float(s[0] + s[-1])))


@pytest.mark.parametrize("name, x, y", CASES_1D, ids=IDS_1D)
def test_1d_interpolates_and_its_cost_is_savarese_minimum(name, x, y):
    mn = minnorm_interpolant(x, y)
    assert mn.residual <= 1e-8
    assert np.max(np.abs(mn(x[:, None]) - y)) <= 1e-8
    assert mn.cost == pytest.approx(representation_cost(mn.W, mn.a), rel=1e-12)
    assert mn.cost == pytest.approx(mn.bound, rel=1e-9, abs=1e-12)
    # the network realises its function at Savarese's cost of that function (it is a minimiser)
    assert savarese_cost(mn.W, mn.a) == pytest.approx(mn.cost, rel=1e-9, abs=1e-12)
    # independent: minimum of Savarese's cost over interpolants, by an LP on a fine grid
    assert mn.cost == pytest.approx(_grid_lp_cost(x, y), rel=1e-7, abs=1e-9)
    assert mn.cost <= _spline_cost(x, y) * (1 + 1e-9) + 1e-12
    # weak-duality certificate: lambda . y = cost, sum lambda = 0
    assert float(mn.dual @ y) == pytest.approx(mn.cost, rel=1e-8, abs=1e-10)
    assert abs(float(mn.dual.sum())) <= 1e-8 * max(1.0, float(np.abs(mn.dual).sum()))
    # the other solver agrees
    alt = minnorm_interpolant(x, y, solver="clarabel") if _has_cvxpy() else None
    if alt is not None:
        assert alt.cost == pytest.approx(mn.cost, rel=1e-7, abs=1e-9)


def test_1d_strictly_below_the_spline_when_the_end_slopes_dominate():
    # two points on a line of slope 1: the spline (slope 1 everywhere) costs 2; the
    # minimum bends at both points to slope 1/2 outside and costs 1 (Savarese's formula)
    mn = minnorm_interpolant(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert mn.cost == pytest.approx(1.0, rel=1e-10)
    assert _spline_cost(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == pytest.approx(2.0)
    # x^3 on 7 points: TV of the spline's slopes V = 4, end term B = 38/9 > V; the
    # minimum trades end slope for bending: (V + B) / 2 (derived; the grid LP agrees above)
    x = np.linspace(-1, 1, 7)
    assert minnorm_interpolant(x, x**3).cost == pytest.approx((4 + 38 / 9) / 2, rel=1e-10)
    assert _spline_cost(x, x**3) == pytest.approx(38 / 9)


def _curvature_signs(x, y):
    s = np.diff(y) / np.diff(x)
    return np.sign(np.diff(s)), s  # eps[i] belongs to the interior point x[i + 1]


@pytest.mark.parametrize("seed", range(6))
def test_1d_linear_on_gaps_where_discrete_curvature_changes_sign(seed):
    """Hanin 2021: between two interior data points whose discrete curvatures have
    opposite signs, every minimum-norm interpolant is linear."""
    x, y = _random_1d(100 + seed, 9)
    mn = minnorm_interpolant(x, y)
    eps, s = _curvature_signs(x, y)
    checked = 0
    for i in range(1, len(x) - 2):  # gap (x[i], x[i+1]) between interior points i, i+1
        e0, e1 = eps[i - 1], eps[i]
        if e0 * e1 < 0:
            t = np.linspace(x[i], x[i + 1], 201)
            chord = y[i] + s[i] * (t - x[i])
            assert np.max(np.abs(mn(t[:, None]) - chord)) <= 1e-8
            checked += 1
    assert checked >= 1


def test_shipped_mixed_set_is_linear_on_every_interior_gap():
    x, y = _load("mixed_1d")
    x = x[:, 0]
    eps, s = _curvature_signs(x, y)
    assert np.all(eps[:-1] * eps[1:] < 0)  # alternating labels: curvature alternates
    mn = minnorm_interpolant(x, y)
    t = np.linspace(x[1], x[-2], 2001)
    assert np.max(np.abs(mn(t[:, None]) - np.interp(t, x, y))) <= 1e-8


def test_savarese_cost_bounds_and_cancellation():
    rng = np.random.default_rng(0)
    for _ in range(20):
        W, a = rng.normal(size=(7, 2)), rng.normal(size=7)
        assert savarese_cost(W, a) <= representation_cost(W, a) * (1 + 1e-12)
    # x = relu(x) - relu(-x): cost 2, Savarese: |1 + 1| = 2
    W = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert savarese_cost(W, np.array([1.0, -1.0])) == pytest.approx(2.0)
    assert representation_cost(W, np.array([1.0, -1.0])) == pytest.approx(2.0)
    # two neurons with the same kink and opposite jumps cancel: f = 0 beyond a constant
    W = np.array([[1.0, -0.5], [2.0, -1.0]])
    assert savarese_cost(W, np.array([2.0, -1.0])) == pytest.approx(0.0, abs=1e-15)
    assert representation_cost(W, np.array([2.0, -1.0])) == pytest.approx(4.0)


def test_bad_input():
    with pytest.raises(InvalidInputError, match="'values'"):
        minnorm_interpolant(np.array([0.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(InvalidInputError, match="'solver'"):
        minnorm_interpolant(np.array([0.0, 1.0]), np.array([1.0, 2.0]), solver="nope")
    with pytest.raises(UnsupportedError, match="n_dims"):
        minnorm_interpolant(np.random.default_rng(0).uniform(size=(5, 3)), np.zeros(5))
    with pytest.raises(InvalidInputError, match="'a'"):
        representation_cost(np.ones((3, 2)), np.ones(2))
    with pytest.raises(InvalidInputError, match="'sectors'"):
        minnorm_interpolant(np.array([0.0, 1.0, 2.0]), np.zeros(3), sectors=sectors(np.array([0.0, 1.0, 3.0])))


def test_method_returns_the_function_as_network_weights():
    x, y = _load("five_1d")
    m = get_method("minnorm").fit(x, y)
    mn = minnorm_interpolant(x, y)
    st = m.state()
    assert representation_cost(st["W"], st["a"]) == pytest.approx(mn.cost, rel=1e-10)
    q = np.linspace(-1.5, 1.5, 301)[:, None]
    assert np.allclose(m.predict(q), mn(q), atol=1e-12)
    assert m.info()["cost"] == pytest.approx(mn.cost)


# ---------------------------------------------------------------------------
# 2D
# ---------------------------------------------------------------------------
def _has_cvxpy():
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        return False
    return True


needs_cvxpy = pytest.mark.skipif(
    not _has_cvxpy(), reason="2D minimum-norm needs the optional extra geoquant[minnorm] (cvxpy)"
)


def _dual_norm(X, lam):
    """Exact ``sup_{|w| = 1, b} |sum_i lambda_i relu(w . x_i + b)|`` for ``sum lambda = 0``.

    Over ``b`` the sum is piecewise linear with breakpoints ``b = -w . x_k``, constant
    ``w . sum_i lambda_i x_i`` beyond the last one and 0 before the first, so the sup
    is over those.  At breakpoint ``k`` it is ``w . c_A`` with ``c_A = sum_{i in A}
    lambda_i (x_i - x_k)`` on each arc of angles where ``A = {i : w . (x_i - x_k) > 0}``
    is constant; on an arc ``|w . c|`` peaks at ``|c|`` if ``+-c/|c|`` lies in it, else
    at an end.
    """
    def arc_max(c, t0, t1):
        ang = np.arctan2(c[1], c[0])
        best = max(abs(np.cos(t0) * c[0] + np.sin(t0) * c[1]), abs(np.cos(t1) * c[0] + np.sin(t1) * c[1]))
        for a in (ang, ang + np.pi):
            if (a - t0) % (2 * np.pi) <= (t1 - t0):
                return float(np.hypot(*c))
        return best

    best = float(np.hypot(*(X.T @ lam)))
    n = X.shape[0]
    for k in range(n):
        Dk = np.delete(X - X[k], k, axis=0)
        lk = np.delete(lam, k)
        base = np.arctan2(Dk[:, 1], Dk[:, 0])
        cuts = np.sort(np.mod(np.concatenate([base + np.pi / 2, base - np.pi / 2]), 2 * np.pi))
        nxt = np.append(cuts[1:], cuts[0] + 2 * np.pi)
        for t0, t1 in zip(cuts, nxt):
            tm = 0.5 * (t0 + t1)
            act = Dk @ np.array([np.cos(tm), np.sin(tm)]) > 0
            best = max(best, arc_max(lk[act] @ Dk[act], t0, t1))
    return best


def _certified_lower_bound(X, y, lam):
    """``lambda . y / ||lambda||_*`` (weak duality), with ``lambda`` made exactly sum-zero."""
    lam = lam - lam.mean()  # a change of order 1e-10
    return float(lam @ y) / _dual_norm(X, lam)


def _cases_2d():
    out = [(name, *_load(name)) for name in ("square_2d", "grid3x3", "random20_2d")]
    rng = np.random.default_rng(7)
    for n in (6, 12):
        out.append((f"random{n}", rng.uniform(-1, 1, (n, 2)), rng.normal(size=n)))
    return out


CASES_2D = _cases_2d()


@needs_cvxpy
@pytest.mark.parametrize("name, X, y", CASES_2D, ids=[c[0] for c in CASES_2D])
def test_2d_interpolates_and_is_certified_minimal(name, X, y):
    mn = minnorm_interpolant(X, y)
    assert mn.residual <= 1e-8
    assert np.max(np.abs(mn(X) - y)) <= 1e-8
    assert mn.cost == pytest.approx(representation_cost(mn.W, mn.a), rel=1e-12)
    assert mn.cost == pytest.approx(mn.bound, rel=1e-7)
    assert mn.width <= X.shape[0] + 1  # a vertex of the refit LP
    lower = _certified_lower_bound(X, y, mn.dual)
    assert lower <= mn.cost * (1 + 1e-7)
    assert mn.cost <= lower * (1 + 1e-6)


@needs_cvxpy
def test_2d_no_interpolating_network_is_cheaper():
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, (8, 2)), rng.normal(size=8)
    mn = minnorm_interpolant(X, y)
    Xt = np.column_stack([X, np.ones(len(X))])
    for _ in range(50):
        W = rng.normal(size=(12, 3))
        Phi = np.maximum(Xt @ W.T, 0.0)
        a = np.linalg.lstsq(Phi, y, rcond=None)[0]
        if np.max(np.abs(Phi @ a - y)) > 1e-9:
            continue
        assert representation_cost(W, a) >= mn.cost * (1 - 1e-9)


@needs_cvxpy
def test_2d_method():
    X, y = _load("square_2d")
    m = get_method("minnorm").fit(X, y)
    assert np.max(np.abs(m.predict(X) - y)) <= 1e-8
    assert m.info()["solver"] == "clarabel"


def test_kinks_of_the_shipped_all_positive_set_are_its_interior_points():
    # five_1d: the discrete curvature alternates (-, +, -) and |s_1 + s_4| <= V, so every
    # gap is linear (Hanin; ends: derived) and the minimiser is unique: the linear spline
    # continued by its end pieces, with kinks exactly at the interior points
    x, y = _load("five_1d")
    mn = minnorm_interpolant(x, y)
    assert np.allclose(mn.kinks, x[1:-1, 0], atol=1e-12)


# ---------------------------------------------------------------------------
# the program at scale (method="lines") against the full program
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_1d_lines_equals_the_full_program(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(2, 14))
    x = rng.uniform(-1, 1, n)
    y = rng.normal(size=n) if seed % 2 else np.sin(4 * x) + 0.3 * x
    fast = minnorm_interpolant(x, y)
    full = minnorm_interpolant(x, y, method="full")
    assert fast.method == "lines" and full.method == "full"
    assert fast.cost == pytest.approx(full.cost, rel=1e-6)
    assert fast.residual <= 1e-9 * max(1.0, np.abs(y).max())
    # the certificate: exact dual norm of the multipliers <= 1 (up to the LP's tolerance) and the bound is tight
    assert fast.dual_norm <= 1 + 1e-8
    assert fast.lower_bound <= fast.cost * (1 + 1e-9) and fast.gap <= 1e-8
    # its kinks are data points (the reduction: neurons through the data)
    assert np.all(np.min(np.abs(fast.kinks[:, None] - x[None, :]), axis=1) <= 1e-12)


@needs_cvxpy
@pytest.mark.parametrize("seed", range(4))
def test_2d_lines_equals_the_full_program(seed):
    rng = np.random.default_rng(300 + seed)
    n = (5, 8, 11, 14)[seed]
    X = rng.uniform(-1, 1, (n, 2))
    y = rng.normal(size=n) if seed % 2 else np.sin(2 * X[:, 0]) * np.cos(3 * X[:, 1])
    fast = minnorm_interpolant(X, y)
    full = minnorm_interpolant(X, y, method="full")
    assert fast.cost == pytest.approx(full.cost, rel=1e-6)
    assert fast.residual <= 1e-8
    assert fast.n_sectors == full.n_sectors == len(sectors(X))
    # the certificate, re-checked by the independent dual norm of the test module
    lower = _certified_lower_bound(X, y, fast.dual)
    assert lower == pytest.approx(fast.lower_bound, rel=1e-7)
    assert fast.cost <= lower * (1 + 1e-6)


@needs_cvxpy
def test_2d_lines_on_a_grid_with_collinear_points():
    X, y = _load("grid3x3")
    fast = minnorm_interpolant(X, y)
    full = minnorm_interpolant(X, y, method="full")
    assert fast.cost == pytest.approx(full.cost, rel=1e-6)
    assert fast.n_sectors == full.n_sectors == len(sectors(X))


def test_dual_norm_is_the_exact_maximum_over_all_neurons():
    from geoquant.theory._minnorm_lines import dual_norm

    rng = np.random.default_rng(11)
    # 2D, random and on a grid (collinear points: zero-length arcs): against the independent arc-by-arc maximum
    grid = np.array([[i, j] for i in range(4) for j in range(3)], dtype=float)
    for X in (rng.uniform(-1, 1, (9, 2)), grid):
        lam = rng.normal(size=len(X))
        lam -= lam.mean()
        val, arg = dual_norm(X, lam)
        assert val == pytest.approx(_dual_norm(X, lam), rel=1e-10)
        # the argmax neuron attains it
        g = np.maximum(np.column_stack([X, np.ones(len(X))]) @ arg, 0) @ lam
        assert abs(g) / np.linalg.norm(arg[:2]) == pytest.approx(val, rel=1e-10)
        # and no random neuron beats it
        Wr = rng.normal(size=(20000, 3))
        G = np.abs(np.maximum(np.column_stack([X, np.ones(len(X))]) @ Wr.T, 0).T @ lam) / np.linalg.norm(Wr[:, :2], axis=1)
        assert G.max() <= val * (1 + 1e-12)
    # 1D: a brute-force scan of the bias on a fine grid for w = +-1 (the maximum sits at a data point)
    x = np.sort(rng.uniform(-1, 1, 8))
    lam = rng.normal(size=8)
    lam -= lam.mean()
    val, _ = dual_norm(x[:, None], lam)
    b = np.concatenate([np.linspace(-3, 3, 6001), -x, x])
    scan = max(np.max(np.abs(np.maximum(s * x[None, :] + b[:, None], 0) @ lam)) for s in (1.0, -1.0))
    assert val == pytest.approx(scan, rel=1e-12)


def test_arcs_count_the_cells_like_zaslavsky():
    from geoquant.theory import arrangement_count_2d
    from geoquant.theory._minnorm_lines import Arcs

    rng = np.random.default_rng(5)
    grid = np.array([[i, j] for i in range(4) for j in range(4)], dtype=float)
    for X in (rng.uniform(-1, 1, (12, 2)), grid, _load("grid3x3")[0]):
        assert Arcs(X).n_cells() == arrangement_count_2d(X)


def test_size_estimate_refuses_before_any_work_and_time_limit(monkeypatch):
    from geoquant.errors import TooLargeError

    x = np.linspace(-1, 1, 2048)
    # the full 1D program on 2048 points grew past 21 GB: refused up front under the default 4 GiB budget
    with pytest.raises(TooLargeError, match="GEOQUANT_MEMORY_BUDGET_GB"):
        minnorm_interpolant(x, np.sin(3 * x), method="full")
    monkeypatch.setenv("GEOQUANT_MEMORY_BUDGET_GB", "0.001")
    with pytest.raises(TooLargeError, match="minnorm_interpolant of 2048 points in 1D"):
        minnorm_interpolant(x, np.sin(3 * x))
    monkeypatch.delenv("GEOQUANT_MEMORY_BUDGET_GB")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (40, 2))
    with pytest.raises(TooLargeError, match="time_limit=1e-06"):
        minnorm_interpolant(X, rng.normal(size=40), time_limit=1e-6)
    with pytest.raises(InvalidInputError, match="'time_limit'"):
        minnorm_interpolant(x, x, time_limit=-1)
    with pytest.raises(InvalidInputError, match="'progress'"):
        minnorm_interpolant(x, x, progress="yes")
    with pytest.raises(InvalidInputError, match="'method'"):
        minnorm_interpolant(x, x, method="fast")


# ---------------------------------------------------------------------------
# issue 20: kinks without a merge that a far kink can swamp
# ---------------------------------------------------------------------------
def _brute_savarese(W, a):
    """``max(int |f''|, |f'(-inf) + f'(+inf)|)`` from values: the network on a fine grid plus its exact kinks."""
    w, b = W[:, 0], W[:, 1]
    live = w != 0
    kinks = np.unique(-b[live] / w[live])
    span = max(1.0, float(np.max(np.abs(kinks))))
    t = np.unique(np.concatenate([np.linspace(-2, 2, 4001), kinks, [kinks.min() - span, kinks.max() + span]]))
    f = np.maximum(np.outer(t, w) + b, 0.0) @ a
    s = np.diff(f) / np.diff(t)
    return max(float(np.sum(np.abs(np.diff(s)))), abs(float(s[0] + s[-1])))


def test_a_far_kink_does_not_swamp_the_others():
    from geoquant.theory import MinNormInterpolant

    rng = np.random.default_rng(20)
    k = np.sort(rng.uniform(-1, 1, 7))
    w = rng.choice([-1.0, 1.0], 7) * rng.uniform(0.5, 2.0, 7)
    W = np.column_stack([w, -w * k])
    a = rng.normal(size=7) * 10
    # an almost-constant neuron with its kink at 4.4e14 (as the old full solver returned one)
    W = np.vstack([W, [1e-14, -4.4]])
    a = np.append(a, 3.0)
    true = _brute_savarese(W, a)
    assert savarese_cost(W, a) == pytest.approx(true, rel=1e-9)
    assert true > 50  # the old merge (within 1e-12 * 4.4e14 = 440) collapsed all kinks and reported a few units
    mn = MinNormInterpolant(points=np.zeros((2, 1)), values=np.zeros(2), W=W, a=a, cost=0.0, bound=0.0, residual=0.0,
                            solver="highs", dual=np.zeros(2), n_sectors=4)
    assert len(mn.kinks) == 8
    assert mn.kinks[-1] == pytest.approx(4.4e14)
    # a rescaled copy of a neuron is the same kink; opposite jumps there cancel
    W2, a2 = np.array([[2.0, -1.0], [0.5, -0.25], [1.0, 0.5]]), np.array([1.0, -4.0, 1.0])
    assert savarese_cost(W2, a2) == pytest.approx(_brute_savarese(W2, a2), rel=1e-12) == pytest.approx(1.0)
    # ... also when -b/w rounds differently (0.1 * 3 / 3 and 0.1 * 0.3 / 0.3 differ in the last bit): one kink
    W3 = np.array([[3.0, -0.1 * 3.0], [0.3, -0.1 * 0.3], [1.0, 0.5]])
    assert -W3[0, 1] / W3[0, 0] != -W3[1, 1] / W3[1, 0]
    assert savarese_cost(W3, np.array([1.0, -10.0, 1.0])) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_savarese_cost_against_values_on_random_networks(seed):
    rng = np.random.default_rng(40 + seed)
    W = rng.normal(size=(9, 2))
    a = rng.normal(size=9)
    if seed % 2:
        W[3] = [1e-13 * W[3, 0], W[3, 1]]  # a kink far away
    assert savarese_cost(W, a) == pytest.approx(_brute_savarese(W, a), rel=1e-8)


# ---------------------------------------------------------------------------
# scale (slow): 1D n = 2048 and 2D n = 160, certified
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_at_scale_certified():
    rng = np.random.default_rng(25)
    x = rng.uniform(-1, 1, 2048)
    mn = minnorm_interpolant(x, np.sin(5 * x))
    assert mn.gap <= 1e-6 and mn.residual <= 1e-8
    X = rng.uniform(-1, 1, (160, 2))
    mn2 = minnorm_interpolant(X, np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]), progress=False)
    assert mn2.gap <= 1e-6 and mn2.residual <= 1e-8
    assert mn2.cost <= _certified_lower_bound(X, mn2.values, mn2.dual) * (1 + 1e-6)


@needs_cvxpy
def test_2d_progress_bar_is_shown_when_asked(capfd):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (12, 2))
    minnorm_interpolant(X, rng.normal(size=12), progress=True)
    assert "minnorm 12 points 2D" in capfd.readouterr().err
    minnorm_interpolant(X, rng.normal(size=12), progress=False)
    assert "minnorm" not in capfd.readouterr().err


@needs_cvxpy
def test_2d_affine_and_constant_data_degenerate_duals():
    # affine values: one all-active neuron is optimal and the optimal multipliers are far from unique (the
    # column generation once cycled here); its cost is the gradient's norm, as the full program says
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (10, 2))
    y = X @ np.array([3.0, 4.0]) + 1.0
    mn = minnorm_interpolant(X, y)
    assert mn.cost == pytest.approx(5.0, rel=1e-7)
    assert mn.cost == pytest.approx(minnorm_interpolant(X, y, method="full").cost, rel=1e-6)
    assert mn.gap <= 1e-6
    const = minnorm_interpolant(X, np.full(10, -1.0))
    assert const.cost == 0.0 and const.gap == 0.0 and const.residual <= 1e-12
    x = np.linspace(-1, 1, 5)
    assert minnorm_interpolant(x, 3 * x + 1).cost == pytest.approx(3.0, rel=1e-12)  # Savarese: |3 + 3| / 2
