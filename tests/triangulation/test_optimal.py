"""Exact optimal fine triangulations (integer program) against the counting DP's exact min / max."""

import numpy as np
import pytest

from geoquant.errors import DegenerateInputError, InvalidInputError, SolverError, TooLargeError, UnsupportedError
from geoquant.interpolate import simplex_errors
from geoquant.triangulation import Triangulation, cost_statistics, optimal_triangulation
from geoquant.triangulation._triangulation import simplex_volumes


def _hash_cost(seed):
    """A deterministic pseudo-random cost per triangle (independent of the order of the rows)."""

    def cost(s):
        h = (s[:, 0] * 7919 + s[:, 1] * 104729 + s[:, 2] * 1299709 + seed * 15485863) % 1000003
        return h / 1000003.0

    return cost


def _l2_cost(P):
    f = lambda x: np.sin(3 * x[..., 0]) * np.cos(2 * x[..., 1]) + x[..., 0] ** 2  # noqa: E731
    return lambda s: simplex_errors(P, s, f, "l2").per_simplex


def _area_sq(P):
    return lambda s: simplex_volumes(P, s) ** 2


def _hull_area(P):
    from scipy.spatial import ConvexHull

    return ConvexHull(P).volume


def _assert_valid(P, r, cost):
    tri = r.triangulation
    assert tri.is_fine
    assert simplex_volumes(P, tri.simplices).sum() == pytest.approx(_hull_area(P), rel=1e-12)
    assert set(tri.simplices.ravel().tolist()) == set(range(len(P)))
    Triangulation(P, tri.simplices)  # full geometric validation: no overlaps, covers the hull
    w = cost(tri.simplices)
    assert r.cost == pytest.approx(w.sum() if r.reduce == "sum" else w.max(), rel=1e-12)


@pytest.mark.parametrize("n,seed", [(8, 0), (11, 1), (14, 2), (15, 3), (16, 4)])
@pytest.mark.parametrize("kind", ["l2", "hash", "area_sq"])
def test_min_and_max_equal_the_counting_dp(n, seed, kind):
    P = np.random.default_rng(seed).random((n, 2))
    cost = {"l2": _l2_cost(P), "hash": _hash_cost(seed), "area_sq": _area_sq(P)}[kind]
    st = cost_statistics(P, cost)
    lo = optimal_triangulation(P, cost)
    hi = optimal_triangulation(P, cost, sense="max")
    assert lo.optimal and hi.optimal and lo.gap == 0.0 and hi.gap == 0.0
    assert lo.cost == pytest.approx(st.min, rel=1e-9, abs=1e-15)
    assert hi.cost == pytest.approx(st.max, rel=1e-9, abs=1e-15)
    _assert_valid(P, lo, cost)
    _assert_valid(P, hi, cost)


@pytest.mark.parametrize("descent", [True, False])
def test_the_branch_and_bound_path_is_exact_too(monkeypatch, descent):
    # this cost's LP relaxation is fractional (checked): without cuts the answer comes from HiGHS's
    # branch and bound (in windows, or the previous path's one program); with them (one round) the
    # LP becomes integral; same optimum either way
    from geoquant.triangulation import _optimal

    P = np.random.default_rng(4).random((14, 2))
    cost = _hash_cost(4)
    exact = cost_statistics(P, cost).min
    with_cuts = optimal_triangulation(P, cost)
    monkeypatch.setattr(_optimal, "_DESCENT", descent)
    monkeypatch.setattr(_optimal, "_CUT_ROUNDS", 0)
    monkeypatch.setattr(_optimal, "_DESCENT_MAX_ROUNDS", 0)
    r = optimal_triangulation(P, cost)
    assert ("window" in r.status) == descent
    assert "LP relaxation" not in r.status and r.optimal
    assert r.cost == pytest.approx(exact, rel=1e-12)
    assert with_cuts.optimal and with_cuts.cost == pytest.approx(exact, rel=1e-12)
    _assert_valid(P, r, cost)


@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (3, 6), (5, 4)])
@pytest.mark.parametrize("seed", [0, 1])
def test_lattice_grids_with_collinear_points_match_the_dp(shape, seed):
    a, b = shape
    P = np.array([[i, j] for i in range(a) for j in range(b)], dtype=float)
    for cost in (_hash_cost(seed), _l2_cost(P / max(a, b))):
        st = cost_statistics(P, cost)
        lo, hi = optimal_triangulation(P, cost), optimal_triangulation(P, cost, sense="max")
        assert lo.cost == pytest.approx(st.min, rel=1e-9) and hi.cost == pytest.approx(st.max, rel=1e-9)
        # every fine triangulation of a lattice polygon uses unimodular triangles: 2(a-1)(b-1) of them
        assert lo.triangulation.n_simplices == hi.triangulation.n_simplices == 2 * (a - 1) * (b - 1)
        _assert_valid(P, lo, cost)


def test_collinear_points_on_the_hull_and_inside():
    # a pentagon with points inside two hull edges, and three collinear interior points
    P = np.array([[0, 0], [2, 0], [4, 0], [5, 2], [4, 4], [2, 5], [0, 4], [0, 2], [1, 2], [2, 2], [3, 2]], dtype=float)
    cost = _hash_cost(7)
    st = cost_statistics(P, cost)
    for sense, want in (("min", st.min), ("max", st.max)):
        r = optimal_triangulation(P, cost, sense=sense)
        assert r.optimal and r.cost == pytest.approx(want, rel=1e-12)
        _assert_valid(P, r, cost)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bottleneck_min_and_max_equal_the_dp(seed):
    P = np.random.default_rng(10 + seed).random((13, 2))
    for cost in (_l2_cost(P), _hash_cost(seed)):
        st = cost_statistics(P, cost, reduce="max", moments=False)
        lo = optimal_triangulation(P, cost, reduce="max")
        hi = optimal_triangulation(P, cost, reduce="max", sense="max")
        assert lo.optimal and hi.optimal
        assert lo.cost == st.min and hi.cost == st.max  # bottlenecks are values of the cost itself
        _assert_valid(P, lo, cost)
        _assert_valid(P, hi, cost)


def test_one_dimensional_input_has_one_fine_triangulation():
    x = np.array([0.3, 0.0, 1.0, 0.6])
    r = optimal_triangulation(x, lambda s: np.abs(x[s[:, 1]] - x[s[:, 0]]) ** 2)
    assert r.optimal and r.triangulation.n_simplices == 3
    assert r.cost == pytest.approx(0.09 + 0.09 + 0.16)


def test_larger_sets_are_valid_and_no_worse_than_delaunay():
    from geoquant.triangulation import delaunay

    P = np.random.default_rng(5).random((60, 2))
    cost = _l2_cost(P)
    d = cost(delaunay(P).simplices).sum()
    lo = optimal_triangulation(P, cost)
    hi = optimal_triangulation(P, cost, sense="max")
    assert lo.optimal and hi.optimal
    assert lo.cost <= d * (1 + 1e-12) and hi.cost >= d * (1 - 1e-12)
    _assert_valid(P, lo, cost)
    _assert_valid(P, hi, cost)
    assert lo.triangulation.n_simplices == 2 * 60 - len(__import__("scipy.spatial").spatial.ConvexHull(P).vertices) - 2


def test_time_limit_never_reports_a_wrong_optimum():
    P = np.random.default_rng(6).random((70, 2))
    cost = _hash_cost(6)
    exact = optimal_triangulation(P, cost)
    try:
        r = optimal_triangulation(P, cost, time_limit=0.01)
    except TooLargeError:
        return
    if r.optimal:
        assert r.cost == pytest.approx(exact.cost, rel=1e-9)
    else:
        assert r.bound <= exact.cost * (1 + 1e-9) <= r.cost * (1 + 2e-9) and r.gap > 0
    _assert_valid(P, r, cost)


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda s: np.full(len(s), np.nan), "finite"),
        (lambda s: np.where(np.arange(len(s)) == 2, np.inf, 1.0), "finite"),
        (lambda s: np.ones(len(s) + 1), "one value per simplex"),
        ("area", "callable"),
    ],
)
def test_bad_costs_are_refused(bad, match):
    P = np.random.default_rng(0).random((8, 2))
    with pytest.raises(InvalidInputError, match=match):
        optimal_triangulation(P, bad)


def test_bad_arguments_are_refused():
    P = np.random.default_rng(0).random((8, 2))
    one = lambda s: np.ones(len(s))  # noqa: E731
    with pytest.raises(UnsupportedError, match="3D"):
        optimal_triangulation(np.random.default_rng(0).random((8, 3)), one)
    with pytest.raises(DegenerateInputError, match="collinear"):
        optimal_triangulation(np.c_[np.arange(5.0), 2 * np.arange(5.0)], one)
    with pytest.raises(UnsupportedError, match="fine=True"):
        optimal_triangulation(P, one, fine=False)
    with pytest.raises(InvalidInputError, match="sense"):
        optimal_triangulation(P, one, sense="minimum")
    with pytest.raises(InvalidInputError, match="reduce"):
        optimal_triangulation(P, one, reduce="mean")
    for t in (0, -1.0, float("nan"), "10"):
        with pytest.raises(InvalidInputError, match="time_limit"):
            optimal_triangulation(P, one, time_limit=t)


def test_an_inconsistent_solver_answer_is_an_error_not_an_optimum(monkeypatch):
    from geoquant.triangulation import _optimal

    P = np.random.default_rng(0).random((9, 2))

    def bogus(self, time_left):  # "optimal", integral, but every triangle chosen
        return _optimal._LPResult(0, "Optimal", np.ones(len(self.c)), np.zeros(self.prog.A.shape[0]), np.zeros(0))

    monkeypatch.setattr(_optimal._Relaxation, "solve", bogus)
    with pytest.raises(SolverError, match="violates the triangulation equations"):
        optimal_triangulation(P, _hash_cost(0))


# ------------------------------------------------------------------ crossing-clique cuts (issue 25.3)


def _smooth_l2(P, name, seed):
    from geoquant.targets import get_target

    t = get_target(name, n_dims=2)
    dom = np.asarray(t.domain, dtype=float)  # (2, 2): [low, high] per axis
    Q = dom[:, 0] + (dom[:, 1] - dom[:, 0]) * P
    return Q, (lambda s: simplex_errors(Q, s, t, "l2").per_simplex)


def test_cuts_are_valid_for_every_triangulation():
    # cuts separated from fractional LP vertices (costs favouring large triangles, where the
    # relaxation of the maximum is fractional) hold for every fine triangulation, enumerated
    assert sum(_cuts_checked(seed) for seed in range(6)) > 0


def _setup(n, seed):
    from geoquant.triangulation._count_planar import convex_hull_cycle
    from geoquant.triangulation._optimal import _Program, empty_triangles
    from geoquant.triangulation._predicates import orient2d_table

    P = np.random.default_rng(seed).random((n, 2))
    order = np.lexsort((P[:, 1], P[:, 0]))
    O = orient2d_table(P[order])
    cycle, _ = convex_hull_cycle(O)
    T = empty_triangles(O)
    sid = {tuple(r): i for i, r in enumerate(np.sort(order[T], axis=1).tolist())}
    return P, T, _Program(T, n, cycle, O), sid


def _incidence(tri, sid, m):
    x = np.zeros(m)
    x[[sid[tuple(r)] for r in tri.simplices.tolist()]] = 1
    return x


def _random_lp_optima(P, T, prog, seed, k):
    """The LP relaxation's optima for ``k`` seeded random costs that favour large triangles (often fractional)."""
    from scipy.optimize import linprog

    order = np.lexsort((P[:, 1], P[:, 0]))
    area = simplex_volumes(P[order], T)
    rng = np.random.default_rng(seed)
    for _ in range(k):
        c = -(area ** rng.uniform(1, 4)) * rng.random(len(T))
        yield linprog(c, A_eq=prog.A, b_eq=prog.rhs, bounds=(0, 1), method="highs-ds")


def _cuts_checked(seed):
    from geoquant.triangulation import enumerate_triangulations
    from geoquant.triangulation._optimal import _separate_cliques

    P, T, prog, sid = _setup(12, seed)
    cuts = []
    for lp in _random_lp_optima(P, T, prog, seed, 30):
        C = _separate_cliques(prog, lp.x)
        if C is not None:
            assert np.all(C @ lp.x > 1 + 1e-6)  # violated by the point separated
            cuts.append(C)
    for C in cuts:
        for tri in enumerate_triangulations(P):
            assert np.all(C @ _incidence(tri, sid, len(T)) <= 1 + 1e-12)
    return sum(C.shape[0] for C in cuts)


@pytest.mark.parametrize("seed", range(3))
def test_no_cut_separates_a_mixture_of_triangulations(seed):
    from geoquant.triangulation import sample_triangulations
    from geoquant.triangulation._optimal import _separate_cliques

    P, T, prog, sid = _setup(14, seed)
    draws = sample_triangulations(P, 6, seed=seed)
    x = np.mean([_incidence(t, sid, len(T)) for t in draws], axis=0)  # in the convex hull of triangulations
    assert _separate_cliques(prog, x) is None


@pytest.mark.parametrize("n,seed,name", [(14, 0, "franke"), (16, 1, "runge"), (16, 2, "sines"), (18, 3, "franke")])
def test_worst_equals_the_counting_dp_with_cuts(n, seed, name):
    P, cost = _smooth_l2(np.random.default_rng(seed).random((n, 2)), name, seed)
    st = cost_statistics(P, cost)
    hi = optimal_triangulation(P, cost, sense="max")
    lo = optimal_triangulation(P, cost)
    assert hi.optimal and lo.optimal
    assert hi.cost == pytest.approx(st.max, rel=1e-9) and lo.cost == pytest.approx(st.min, rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed,name", [(1, "franke"), (2, "runge")])
def test_worst_with_cuts_equals_the_previous_path(monkeypatch, seed, name):
    # n = 80: the LP relaxation of the maximum is fractional; the cuts make it integral (both
    # instances measured), the previous path (no cuts: branch and bound) gives the same optimum
    from geoquant.points import sample_points
    from geoquant.targets import get_target
    from geoquant.triangulation import _optimal

    t = get_target(name, n_dims=2)
    X = sample_points(80, 2, "uniform", seed=seed, domain=t.domain)
    cost = lambda s: simplex_errors(X, s, t, "l2").per_simplex  # noqa: E731
    new = optimal_triangulation(X, cost, sense="max")
    monkeypatch.setattr(_optimal, "_DESCENT", False)
    monkeypatch.setattr(_optimal, "_CUT_ROUNDS", 0)
    old = optimal_triangulation(X, cost, sense="max")
    assert new.optimal and old.optimal
    assert new.cost == pytest.approx(old.cost, rel=1e-9)


# ------------------------------------------------------- windows of reduced-cost fixing (issue 25.3)


def _brute_force(P, cost):
    """(min, max) of the summed cost over every fine triangulation, enumerated one by one."""
    from geoquant.triangulation import enumerate_triangulations

    simps = [np.sort(t.simplices, axis=1) for t in enumerate_triangulations(P)]
    allt, inv = np.unique(np.concatenate(simps), axis=0, return_inverse=True)
    w = np.asarray(cost(allt), dtype=float)[inv.ravel()]
    vals = np.add.reduceat(w, np.cumsum([0] + [len(s) for s in simps[:-1]]))
    return vals.min(), vals.max()


def _big_triangles(P, seed):
    """A cost favouring large triangles, randomised: the relaxation of its maximum is sometimes fractional."""
    p = 1 + 3 * np.random.default_rng(seed).random()
    h = _hash_cost(seed)
    return lambda s: simplex_volumes(P, s) ** p * h(s)


#: 12-point sets ``default_rng(100 + seed)`` and costs (``_big_triangles(P, j)`` for the maximum,
#: ``_hash_cost(j)`` for the minimum) whose LP relaxation is fractional (found by a search)
_FRACTIONAL_12 = [(0, 17, "min"), (1, 10, "min"), (1, 12, "min"), (2, 2, "max"), (3, 5, "max"), (4, 1, "max")]


def test_windows_equal_brute_force(monkeypatch):
    # 12 points (9,000-30,000 triangulations each): costs whose LP relaxation is fractional
    # (found by a search), solved with no cuts and a first window far below the gap, so that
    # the proof comes from several windows, infeasible ones first; then with the defaults
    from geoquant.triangulation import _optimal

    windows = 0
    for seed, j, sense in _FRACTIONAL_12:
        P = np.random.default_rng(100 + seed).random((12, 2))
        cost = _big_triangles(P, j) if sense == "max" else _hash_cost(j)
        lo, hi = _brute_force(P, cost)
        # no cuts; windows before any cut (all sizes); the defaults
        for settings in ({"_DESCENT_MAX_ROUNDS": 0, "_DESCENT_FIRST": 1e-7},
                         {"_DESCENT_ROUNDS": 0, "_CHEAP_WINDOW": 1.0, "_CHEAP_WINDOW_STRONG": 1.0, "_DESCENT_FIRST": 1e-7},
                         {"_STRONG": False}, {}):
            monkeypatch.undo()
            for k, v in settings.items():
                monkeypatch.setattr(_optimal, k, v)
            r = optimal_triangulation(P, cost, sense=sense)
            assert r.optimal and r.gap == 0.0
            assert r.cost == pytest.approx(lo if sense == "min" else hi, rel=1e-9)
            _assert_valid(P, r, cost)
            windows += "window" in r.status
        monkeypatch.undo()
    assert windows >= 8  # the windows carried the proof (the LP relaxations are fractional)


@pytest.mark.parametrize("seed", range(4))
def test_every_triangulation_below_a_target_lies_in_its_window(seed):
    # reduced-cost fixing against a target U (the windows): on complete enumerations, every
    # triangulation of cost <= U uses no triangle outside `keep` and every triangle of `force`,
    # and the Lagrangian bound is below every triangulation's cost (with cuts, as in the solver)
    from geoquant.triangulation import enumerate_triangulations
    from geoquant.triangulation._optimal import _Relaxation, _separate_cuts, _window

    P, T, prog, sid = _setup(11, seed)
    order = np.lexsort((P[:, 1], P[:, 0]))
    cost = _big_triangles(P, seed)
    c = -np.asarray(cost(np.sort(order[T], axis=1)), dtype=float) * 1e3  # the maximum, as a minimum
    xs = np.array([_incidence(t, sid, len(T)) for t in enumerate_triangulations(P)])
    vals = xs @ c
    rel = _Relaxation(prog, c, "highs-ds")
    checked = 0
    for _ in range(3):
        lp = rel.solve(None)
        y = np.asarray(lp.eqlin.marginals)
        r = c - prog.A.T @ y
        bound = float(y @ prog.rhs)
        if prog.cuts is not None:
            z = np.minimum(np.asarray(lp.ineqlin.marginals), 0.0)
            r = r - prog.cuts.T @ z
            bound += float(z @ prog.cut_rhs)
        bound += float(np.minimum(r, 0.0).sum())
        assert bound <= vals.min() + 1e-7 * abs(vals.min())
        for U in np.quantile(vals, [0.0, 0.001, 0.01, 0.1, 0.5]):
            keep, force, _ = _window(bound, r, U)
            inside = vals <= U
            assert np.all(xs[inside] <= keep) and np.all(xs[inside] >= force)
            checked += int(inside.sum())
        new = _separate_cuts(prog, lp.x)
        if new is None:
            break
        prog.add_cuts(*new)
        rel.add_cuts(*new)
    assert checked > 0


@pytest.mark.parametrize("seed", range(3))
def test_odd_cycle_cuts_from_few_roots_are_valid(monkeypatch, seed):
    # the odd-cycle search runs from the heaviest segments only; what it finds holds for every
    # fine triangulation (enumerated) and is violated by the point separated

    from geoquant.triangulation import _optimal, enumerate_triangulations

    monkeypatch.setattr(_optimal, "_ODD_CYCLE_ROOTS", 4)
    P, T, prog, sid = _setup(12, seed)
    found = []
    for lp in _random_lp_optima(P, T, prog, seed, 20):
        odd = _optimal._separate_odd_cycles(prog, lp.x)
        if odd is not None:
            assert np.all(odd[0] @ lp.x > odd[1] + 1e-9)
            found.append(odd)
    xs = [_incidence(t, sid, len(T)) for t in enumerate_triangulations(P)]
    for C, rhs in found:
        for x in xs:
            assert np.all(C @ x <= rhs + 1e-12)


def test_overlap_clique_cuts_are_valid():
    # cliques of pairwise overlapping triangles separated from fractional LP optima are violated
    # there and hold for every fine triangulation (enumerated); such cliques without a common
    # point are rare at 12 points, so several point sets are tried and some must be found
    from geoquant.triangulation import enumerate_triangulations
    from geoquant.triangulation._optimal import _separate_overlap_cliques

    total = 0
    for seed in range(6):
        P, T, prog, sid = _setup(12, seed)
        found = []
        for lp in _random_lp_optima(P, T, prog, seed, 30):
            C = _separate_overlap_cliques(prog, lp.x)
            if C is not None:
                assert np.all(C @ lp.x > 1 + 1e-6)
                found.append(C)
        if found:
            xs = np.array([_incidence(t, sid, len(T)) for t in enumerate_triangulations(P)])
            for C in found:
                assert np.all(C @ xs.T <= 1 + 1e-12)
                total += C.shape[0]
    assert total > 0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sense", [1.0, -1.0])
def test_flip_cuts_hold_for_every_optimal_triangulation(seed, sense):
    # the optimality cuts of improving flips cut off some triangulations but never an optimal one
    # (all triangulations enumerated; min and max of a random cost, ties included)
    from geoquant.triangulation import enumerate_triangulations
    from geoquant.triangulation._optimal import _FlipCuts

    P, T, prog, sid = _setup(11, seed)
    rng = np.random.default_rng(seed)
    c = sense * np.round(rng.random(len(T)) * 8)  # coarse values: many ties between flips
    flips = _FlipCuts(prog, c)
    xs = np.array([_incidence(t, sid, len(T)) for t in enumerate_triangulations(P)])
    vals = xs @ c
    best = vals.min()
    cut = 0
    for x, v in zip(xs, vals, strict=True):
        C = flips.separate(x, 10**6)
        if v <= best + 1e-9:
            assert C is None
        elif C is not None:
            assert np.all(C @ x > 1e-6)
            cut += 1
    assert cut > 0


def test_search_with_overlap_and_flip_cuts_equals_brute_force():
    # the costs of _random_lp_optima whose LP optimum is fractional (rare at 12 points: the
    # point sets below have some): the cut loop with overlap cliques and flip cuts, then the
    # windows, find the minimum over every enumerated triangulation
    from scipy.optimize import linprog

    from geoquant.triangulation import _optimal, enumerate_triangulations

    fractional = 0
    for seed in (1, 4):
        P, T, prog, sid = _setup(12, seed)
        xs = np.array([_incidence(t, sid, len(T)) for t in enumerate_triangulations(P)])
        order = np.lexsort((P[:, 1], P[:, 0]))
        area = simplex_volumes(P[order], T)
        rng = np.random.default_rng(seed)  # the costs of _random_lp_optima(P, T, prog, seed, 30)
        for _ in range(30):
            c = -(area ** rng.uniform(1, 4)) * rng.random(len(T))
            lp = linprog(c, A_eq=prog.A, b_eq=prog.rhs, bounds=(0, 1), method="highs-ds")
            if np.abs(lp.x - np.round(lp.x)).max() <= 1e-6:
                continue
            fractional += 1
            c = c * (1e3 / np.abs(c).mean())
            prog.cuts, prog.cut_rhs = None, np.zeros(0)
            sol = _optimal._solve_sum(prog, c, lp_method="highs-ds", deadline=None)
            assert sol.optimal
            assert sol.value == pytest.approx((xs @ c).min(), rel=1e-9)
    assert fractional > 0


@pytest.mark.parametrize("seed", range(4))
def test_largest_window_is_the_largest_within_the_size(seed):
    # against every threshold: the window at the returned target leaves at most max_free
    # triangles free, and the window at the next larger keep-threshold more
    from geoquant.triangulation._optimal import _largest_window, _window

    rng = np.random.default_rng(seed)
    r = np.round(rng.normal(size=300), 1) * rng.random(300)  # ties and negative reduced costs
    bound = 10.0
    for max_free in (0, 5, 50, 200):
        D = _largest_window(r, max_free)
        keep, force, _ = _window(bound, r, bound + D)
        assert keep.sum() - force.sum() <= max_free or D == 0.0
        later = np.unique(np.maximum(r, 0.0))
        later = later[later > D + 1e-9]
        if len(later):
            keep, force, _ = _window(bound, r, bound + later[0])
            assert keep.sum() - force.sum() > max_free


def test_lp_resolve_time_limit_is_per_solve():
    # HiGHS sums its run time over every run() of one object: a warm re-solve given less time than
    # the solves before it took must still finish (it once reported "time limit" at once)
    from geoquant.triangulation import _optimal

    P, T, prog, _ = _setup(60, 0)
    order = np.lexsort((P[:, 1], P[:, 0]))
    c = -simplex_volumes(P[order], T) ** 2
    rel = _optimal._Relaxation(prog, c * (1e3 / np.abs(c).mean()), "highs-ipm")
    if rel.h is None:
        pytest.skip("highspy not installed")
    first = rel.solve(None)
    assert first.status == 0
    from scipy.sparse import csr_array

    spent = rel.h.getRunTime()
    on = np.flatnonzero(first.x > 0.5)  # a row that cuts the optimum off: the re-solve must pivot
    rel.add_cuts(csr_array((np.ones(len(on)), (np.zeros(len(on), dtype=int), on)), shape=(1, len(c))),
                 np.array([len(on) - 1.0]))
    again = rel.solve(0.5 * spent)  # warm, dual simplex: a few pivots, far less than the first solve
    assert again.status == 0
    assert again.x[on].sum() <= len(on) - 1 + 1e-6


def test_dive_ends_at_a_fine_triangulation_and_restores_the_relaxation():
    # the safety net of a time-limited solve (LP diving): on fractional relaxations of 12 points it
    # ends at one of the enumerated fine triangulations (0-17 % above the optimum there: a
    # heuristic) and leaves the LP as it found it (same optimum after); from an integral optimum
    # it returns that triangulation; with no time left it gives up at once
    from geoquant.triangulation import _optimal, enumerate_triangulations

    gaps = []
    for seed, j, sense in _FRACTIONAL_12 + [(37, 3, "min"), (45, 0, "min")]:  # two more, found by a search
        P, T, prog, sid = _setup(12, 100 + seed)
        order = np.lexsort((P[:, 1], P[:, 0]))
        xs = np.array([_incidence(t, sid, len(T)) for t in enumerate_triangulations(P)])
        cost = _big_triangles(P, j) if sense == "max" else _hash_cost(j)
        c = np.asarray(cost(np.sort(order[T], axis=1)), dtype=float) * (-1.0 if sense == "max" else 1.0)
        c *= 1e3 / np.abs(c).mean()  # scaled as optimal_triangulation scales it
        rel = _optimal._Relaxation(prog, c, "highs-ds")
        if rel.h is None:
            pytest.skip("highspy not installed")
        lp = rel.solve(None)
        assert _optimal._dive(rel, lp.x, lambda: 0.0) is None
        inc = _optimal._dive(rel, lp.x, lambda: None)
        assert inc is not None and np.any(np.all(xs == inc, axis=1))
        if np.all(np.abs(lp.x - np.round(lp.x)) <= 1e-6):  # integral already: that triangulation
            assert np.array_equal(inc, lp.x.round().astype(bool))
            continue
        best = (xs @ c).min()
        gaps.append((c[inc].sum() - best) / abs(best))
        again = rel.solve(None)
        assert again.status == 0 and float(c @ again.x) == pytest.approx(float(c @ lp.x), rel=1e-9)
    assert len(gaps) >= 4 and min(gaps) >= -1e-12  # fractional cases dived; none beats the optimum
