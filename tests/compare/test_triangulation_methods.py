"""Best / worst / mean / random triangulations: exact against brute-force
enumeration, and the flip walk used beyond the counting range."""

import numpy as np
import pytest

from geoquant.compare import EvalConfig, Evaluator, get_method
from geoquant.triangulation._flipwalk import FlipWalk
from geoquant.compare._metrics import pl_errors
from geoquant.points import sample_points
from geoquant.targets import get_target
from geoquant.triangulation import Triangulation, delaunay


def _all_triangulations(X):
    from geoquant.compare.methods._triangulations import _triangulation_api
    import importlib

    try:
        from geoquant.triangulation import enumerate_triangulations
    except ImportError:  # not re-exported yet
        enumerate_triangulations = importlib.import_module("geoquant.triangulation._enumerate").enumerate_triangulations
    assert _triangulation_api("count_triangulations")(X) > 1
    return list(enumerate_triangulations(X))


@pytest.fixture(scope="module")
def case():
    f = get_target("franke", n_dims=2)
    X = sample_points(8, 2, "uniform", seed=4, domain=f.domain)
    y = f(X)
    totals = {}
    for r in ("hull", "inner"):
        ev = Evaluator(f, X, y)
        totals[r] = np.array([ev.simplex_sq_errors(t.simplices, r).sum() for t in _all_triangulations(X)])
    return f, X, y, totals


def test_best_worst_mean_are_exact_over_all_triangulations(case):
    f, X, y, totals = case
    ev = Evaluator(f, X, y)
    got = {m: ev.evaluate(get_method(m).fit(X, y, target=f, seed=0))
           for m in ("triangulation_best", "triangulation_worst", "triangulation_mean", "delaunay")}
    assert got["triangulation_best"]["l2_hull"] ** 2 == pytest.approx(totals["hull"].min(), rel=1e-10)
    assert got["triangulation_worst"]["l2_hull"] ** 2 == pytest.approx(totals["hull"].max(), rel=1e-10)
    assert got["triangulation_mean"]["l2_hull"] ** 2 == pytest.approx(totals["hull"].mean(), rel=1e-10)
    assert got["triangulation_mean"]["l2_inner"] ** 2 == pytest.approx(totals["inner"].mean(), rel=1e-10)
    assert got["triangulation_mean"]["linf_hull"] is None
    lo, hi = got["triangulation_best"]["l2_hull"], got["triangulation_worst"]["l2_hull"]
    assert lo <= got["delaunay"]["l2_hull"] <= hi and lo < got["triangulation_mean"]["l2_hull"] < hi
    m = get_method("triangulation_mean").fit(X, y, target=f)
    ev.evaluate(m)
    info = m.info()
    assert info["exact"] and info["n_triangulations"] == len(totals["hull"])
    assert info["l2sq_hull_std"] == pytest.approx(totals["hull"].std(), rel=1e-8)


def test_beyond_the_counting_range_the_integer_program_is_exact(case):
    # exact_max_points=3 switches the counting DP off: the default search is the integer program
    f, X, y, totals = case
    ev = Evaluator(f, X, y, EvalConfig(regions=("hull",)))
    best = get_method("triangulation_best", exact_max_points=3).fit(X, y, target=f, seed=1)
    worst = get_method("triangulation_worst", exact_max_points=3).fit(X, y, target=f, seed=1)
    assert ev.evaluate(best)["l2_hull"] ** 2 == pytest.approx(totals["hull"].min(), rel=1e-9)
    assert ev.evaluate(worst)["l2_hull"] ** 2 == pytest.approx(totals["hull"].max(), rel=1e-9)
    for m in (best, worst):
        info = m.info()
        assert info["exact"] and info["oracle"].startswith("integer program") and info["gap"] == 0.0
        assert m.triangulation.is_fine


def test_random_triangulation_is_seeded_and_fine(case):
    f, X, y, _ = case
    a = get_method("triangulation_random").fit(X, y, seed=3).triangulation
    b = get_method("triangulation_random").fit(X, y, seed=3).triangulation
    assert a == b and a.is_fine
    seen = {get_method("triangulation_random").fit(X, y, seed=s).triangulation.key() for s in range(12)}
    assert len(seen) > 3


def test_flip_walk_samples_uniformly():
    # Metropolis on the flip graph: every fine triangulation equally likely (chi-square test)
    X = sample_points(7, 2, "uniform", seed=11)
    alltri = {t.key(): i for i, t in enumerate(_all_triangulations(X))}
    walk = FlipWalk(X, delaunay(X).simplices, seed=0)
    samples, _ = walk.sample(2500, burn_in=200, thin=5)
    counts = np.zeros(len(alltri))
    for s in samples:
        counts[alltri[Triangulation(X, s).key()]] += 1  # validates: a proper fine triangulation
    from scipy.stats import chisquare

    assert (counts > 0).all()
    assert chisquare(counts).pvalue > 1e-3


def test_beyond_the_counting_range_sampled_estimates_bracket_the_exact_ones(case):
    f, X, y, totals = case
    ev = Evaluator(f, X, y, EvalConfig(regions=("hull",)))
    kw = dict(exact_max_points=3, n_samples=300)
    best = get_method("triangulation_best", search="flip_walk", **kw).fit(X, y, target=f, seed=1)
    worst = get_method("triangulation_worst", search="flip_walk", **kw).fit(X, y, target=f, seed=1)
    mean = get_method("triangulation_mean", **kw).fit(X, y, target=f, seed=1)
    b, w, m = (ev.evaluate(x)["l2_hull"] ** 2 for x in (best, worst, mean))
    assert not best.info()["exact"]
    assert totals["hull"].min() - 1e-15 <= b <= np.quantile(totals["hull"], 0.1)
    assert np.quantile(totals["hull"], 0.9) <= w <= totals["hull"].max() + 1e-15
    se = totals["hull"].std() / np.sqrt(300) * 3  # flip-walk samples are correlated: allow a few standard errors
    assert m == pytest.approx(totals["hull"].mean(), abs=4 * se)


def test_greedy_descent_ends_at_a_local_optimum():
    f = get_target("runge", n_dims=2)
    X = sample_points(30, 2, "uniform", seed=2, domain=f.domain)
    y = f(X)
    cost = lambda s: pl_errors(X, s, f, values=y)[0]  # noqa: E731
    walk = FlipWalk(X, delaunay(X).simplices, cost, seed=0)
    start = walk.total
    end = walk.descend(1.0)
    assert end <= start
    assert end == pytest.approx(cost(walk.simplices()).sum(), rel=1e-12)  # incremental total is right
    for e in sorted(walk.flippable):
        d = walk.flip(e)
        assert walk.total >= end - 1e-15
        walk.flip(d)
    assert Triangulation(X, walk.simplices()).is_fine
