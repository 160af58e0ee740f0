import numpy as np
import pytest

from geoquant._validation import (
    as_generator,
    check_int,
    check_option,
    check_points,
    check_positive,
    check_query,
    find_duplicates,
)
from geoquant.errors import DegenerateInputError, DuplicatePointsError, InvalidInputError


def test_check_points_accepts_and_cleans():
    p = check_points([[0, 0], [1, 0], [0, 1]])
    assert p.dtype == np.float64 and p.flags.c_contiguous and p.shape == (3, 2)
    assert check_points([3.0, 1.0]).shape == (2, 1)


@pytest.mark.parametrize(
    "pts, err, pattern",
    [
        ([[0, 0], [1, np.nan], [0, 1]], InvalidInputError, "'pts' must be finite"),
        ([[0, 0], [1, np.inf], [0, 1]], InvalidInputError, "'pts' must be finite"),
        (np.zeros((2, 2, 2)), InvalidInputError, "'pts' must be a 1-D or 2-D array"),
        ([[0, 0], [1, 1]], DegenerateInputError, "'pts' must hold at least 3 points"),
        ([[0, 0], [1, 1], [2, 2], [5, 5]], DegenerateInputError, "'pts'.*collinear"),
        ([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], DegenerateInputError, "'pts'.*coplanar"),
        ([["a", 0], [1, 1], [0, 1]], InvalidInputError, "'pts' must be a numeric array"),
    ],
)
def test_check_points_rejects(pts, err, pattern):
    with pytest.raises(err, match=pattern):
        check_points(pts, "pts")


def test_duplicates_reported_with_indices():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 0], [0.5, 0.5], [0.5, 0.5 + 1e-13]])
    with pytest.raises(DuplicatePointsError, match=r"'points'.*\(1, 3\).*\(4, 5\)") as exc:
        check_points(pts)
    assert exc.value.indices == [(1, 3), (4, 5)]
    # exact mode ignores the near pair, the tolerance mode finds it
    assert find_duplicates(pts, 0.0) == [(1, 3)]
    check_points(pts[[0, 1, 2, 4, 5]], duplicate_rtol=0.0)


def test_scalar_checks():
    with pytest.raises(InvalidInputError, match="'kind' must be one of 'a', 'b', found 'c'"):
        check_option("c", "kind", ("a", "b"))
    with pytest.raises(InvalidInputError, match="'lr' must be > 0"):
        check_positive(0.0, "lr")
    with pytest.raises(InvalidInputError, match="'lr' must be a real number"):
        check_positive("x", "lr")
    with pytest.raises(InvalidInputError, match="'width' must be >= 1, found 0"):
        check_int(0, "width", min_value=1)
    with pytest.raises(InvalidInputError, match="'width' must be an integer"):
        check_int(2.5, "width")
    with pytest.raises(InvalidInputError, match=r"'xi' must have shape \(\.\.\., 3\)"):
        check_query(np.zeros((2, 2)), 3)


def test_generator_seeding():
    a = as_generator(5).random(3)
    b = as_generator(5).random(3)
    assert np.array_equal(a, b)
    with pytest.raises(InvalidInputError, match="'seed'"):
        as_generator("five")
    with pytest.raises(InvalidInputError, match="'seed'"):
        as_generator(-1)


def test_find_duplicates_all_pairs_agree_with_the_kd_tree(monkeypatch):
    """Small samples compare all pairs; the groups are those of the k-d tree (planted near-duplicates)."""
    import geoquant._validation as V

    rng = np.random.default_rng(7)
    for _ in range(60):
        n, d = int(rng.integers(2, 120)), int(rng.integers(2, 4))
        pts = rng.random((n, d))
        for _ in range(int(rng.integers(0, 5))):
            i, j = rng.integers(0, n, 2)
            pts[i] = pts[j] + rng.normal(size=d) * 1e-13
        small = find_duplicates(pts)
        monkeypatch.setattr(V, "_BRUTE_PAIRS_MAX", 0)
        assert find_duplicates(pts) == small
        monkeypatch.setattr(V, "_BRUTE_PAIRS_MAX", 256)
        planted = {(int(a), int(b)) for a in range(n) for b in range(a + 1, n) if np.all(pts[a] == pts[b])}
        assert all(any(a in g and b in g for g in small) for a, b in planted)
