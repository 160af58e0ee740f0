"""Exact uniform sampling of triangulations."""

from collections import Counter
from math import comb

import numpy as np
import pytest
from scipy.stats import chisquare

from geoquant.errors import InvalidInputError
from geoquant.triangulation import (
    Triangulation,
    count_triangulations,
    enumerate_triangulations,
    rank_triangulation,
    sample_triangulations,
)
from geoquant.triangulation._enumerate import uniform_below
from tests.conftest import grid_points


def test_chi_square_uniform_on_3x3_fine():
    pts = grid_points(3, 3)
    draws = sample_triangulations(pts, 6400, seed=11)
    index = {t.key(): i for i, t in enumerate(enumerate_triangulations(pts))}
    freq = Counter(index[t.key()] for t in draws)
    assert len(index) == 64 and set(freq) <= set(range(64))
    observed = np.array([freq.get(i, 0) for i in range(64)])
    assert chisquare(observed).pvalue > 1e-3


def test_chi_square_uniform_on_3x3_all():
    pts = grid_points(3, 3)
    draws = sample_triangulations(pts, 387 * 12, seed=5, fine=False)
    freq = Counter(rank_triangulation(t, fine=False) for t in draws)
    observed = np.array([freq.get(i, 0) for i in range(387)])
    assert chisquare(observed).pvalue > 1e-3
    # non-fine triangulations are drawn in their proportion: 323 of 387 leave a point out
    share = sum(not t.is_fine for t in draws) / len(draws)
    assert abs(share - 323 / 387) < 0.03


def test_chi_square_uniform_on_line():
    x = np.arange(6.0)
    draws = sample_triangulations(x, 1600, seed=2, fine=False)
    freq = Counter(rank_triangulation(t, fine=False) for t in draws)
    observed = np.array([freq.get(i, 0) for i in range(16)])
    assert chisquare(observed).pvalue > 1e-3


def test_seeded_reproducible():
    pts = grid_points(4, 4)
    a = sample_triangulations(pts, 5, seed=3)
    b = sample_triangulations(pts, 5, seed=3)
    c = sample_triangulations(pts, 5, seed=4)
    assert a == b
    assert a != c
    assert sample_triangulations(pts, 0) == []


def test_huge_counts_beyond_64_bits():
    # convex 40-gon: Catalan(38) ~ 1.1e20 > 2**63 triangulations, exercised by big-int draws
    theta = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    pts = np.column_stack([np.cos(theta), np.sin(theta)])
    n = count_triangulations(pts)
    assert n == comb(76, 38) // 39 > 2**63
    draws = sample_triangulations(pts, 20, seed=0)
    ranks = [rank_triangulation(t) for t in draws]
    assert all(0 <= r < n for r in ranks)
    assert len(set(ranks)) == 20
    for t in draws[:3]:
        Triangulation(pts, t.simplices, validate=True)
    # ranks spread over the whole range: the top bits are uniform too
    assert max(ranks) > n // 2 > min(ranks)


def test_uniform_below_big_integers():
    rng = np.random.default_rng(0)
    n = 3 * 2**70 + 1
    draws = [uniform_below(rng, n) for _ in range(3000)]
    assert all(0 <= v < n for v in draws)
    top = Counter(v >> 70 for v in draws)
    assert set(top) <= {0, 1, 2, 3}
    assert top.get(3, 0) <= 1  # only the single value n-1 has top digit 3
    assert chisquare([top[0], top[1], top[2]]).pvalue > 1e-3
    assert chisquare(np.bincount([v % 7 for v in draws], minlength=7)).pvalue > 1e-3


def test_bad_arguments():
    pts = grid_points(3, 3)
    with pytest.raises(InvalidInputError, match="'k'"):
        sample_triangulations(pts, -1)
    with pytest.raises(InvalidInputError, match="'k'"):
        sample_triangulations(pts, 2.0)
    with pytest.raises(InvalidInputError, match="'seed'"):
        sample_triangulations(pts, 2, seed="x")
