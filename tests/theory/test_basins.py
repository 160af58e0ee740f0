"""Basins of the direction flow: exact in the all-positive case, and against a plain Euler integration."""

import numpy as np
import pytest

from geoquant.errors import InvalidInputError, UnsupportedError
from geoquant.theory import basins, sectors
from geoquant.theory._alignment import augment
from geoquant.theory._basins import DEAD


def _euler(Xt, r, W, s, h, steps):
    """Plain projected Euler for d w/dt = s (I - w w^T) D(w) (independent reference)."""
    W = W.copy()
    for _ in range(steps):
        D = ((W @ Xt.T > 0) * r) @ Xt
        W += s * h * (D - np.sum(D * W, axis=1, keepdims=True) * W)
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    return W


def test_all_positive_1d_exact():
    x = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    B = basins(x, y, n_samples=3000, seed=1)
    sec = sectors(x)
    start_dead = sec.locate(B[1].start) == sec.dead
    pos = B[1]
    assert len(pos.extremal) == 1
    assert np.array_equal(pos.labels == DEAD, start_dead)
    assert np.all(pos.labels[~start_dead] == 0)
    assert np.all(pos.distance[~start_dead] < 1e-9)
    # a < 0 neurons all end in the dead cell
    assert np.all(B[-1].labels == DEAD)
    fr = pos.fractions
    assert sum(fr.values()) == pytest.approx(1.0)
    # the dead arc's share of the circle
    V = sec.vertices[sec.cell_vertices[sec.dead]]
    arc = np.arccos(V[0] @ V[1]) / (2 * np.pi)
    assert fr["dead"] == pytest.approx(arc, abs=4 * np.sqrt(arc * (1 - arc) / 3000))


@pytest.mark.parametrize("d", [1, 2])
def test_endpoints_agree_with_plain_euler(d):
    rng = np.random.default_rng(10 + d)
    n = 6
    X = rng.uniform(-1, 1, (n, d))
    y = rng.normal(size=n)
    B = basins(X, y, n_samples=120, seed=2)
    Xt, r = augment(X), y / n
    scale = np.sum(np.abs(r) * np.linalg.norm(Xt, axis=1))
    for s in (1, -1):
        res = B[s]
        E = _euler(Xt, r, res.start, s, 1e-2 / scale, 12000)
        ang = np.arccos(np.clip(np.sum(E * res.end, axis=1), -1, 1))
        moving = res.labels >= 0
        # Euler chatters across boundaries within ~h|D| and converges slowly: loose tolerance
        assert np.mean(ang[moving] < 0.02) > 0.95
        assert sum(res.fractions.values()) == pytest.approx(1.0)
        assert res.fractions["unassigned"] < 0.02


def test_starts_and_errors():
    x = np.array([-0.5, 0.0, 0.7])
    y = np.array([1.0, -1.0, 0.5])
    starts = np.array([[1.0, 0.2], [-1.0, 0.3]])
    B = basins(x, y, starts=starts)
    assert B[1].start.shape == (2, 2)
    with pytest.raises(InvalidInputError, match="starts"):
        basins(x, y, starts=np.zeros((2, 2)))
    with pytest.raises(InvalidInputError, match="starts"):
        basins(x, y, starts=np.ones((2, 3)))
    with pytest.raises(InvalidInputError, match="n_samples"):
        basins(x, y, n_samples=0)
    with pytest.raises(InvalidInputError, match="values"):
        basins(x)
    with pytest.raises(UnsupportedError, match="n_dims"):
        basins(np.random.default_rng(0).normal(size=(5, 3)), np.ones(5))
    with pytest.raises(KeyError):
        B[0]
