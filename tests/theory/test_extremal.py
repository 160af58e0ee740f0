"""Extremal directions of G: docs/theory.md checks 3 and 5, and agreement with brute-force search on the sphere."""

import numpy as np
import pytest

from geoquant.errors import InvalidInputError, UnsupportedError
from geoquant.theory import extremal_directions, sectors
from geoquant.theory._alignment import augment


def _G(Xt, r, W):
    return np.maximum(W @ Xt.T, 0.0) @ r


def _tangent_dirs(p, k, rng):
    Q = rng.normal(size=(k, len(p)))
    Q -= (Q @ p)[:, None] * p
    return Q / np.linalg.norm(Q, axis=1, keepdims=True)


def _hill_climb(Xt, r, p, s, rng):
    """Derivative-free pattern search for a local max of s*G on the sphere (independent of the theory code)."""
    h = 1e-2
    while h > 1e-11:
        C = p + h * _tangent_dirs(p, 48, rng)
        C /= np.linalg.norm(C, axis=1, keepdims=True)
        v = s * _G(Xt, r, C)
        if v.max() > s * _G(Xt, r, p) + 1e-15:
            p = C[np.argmax(v)]
        else:
            h /= 2
    return p


def _is_strict_max(Xt, r, p, s, rng, radii=(1e-3, 1e-5, 1e-7)):
    for h in radii:
        C = p + h * _tangent_dirs(p, 2000, rng)
        C /= np.linalg.norm(C, axis=1, keepdims=True)
        if np.max(s * _G(Xt, r, C)) >= s * _G(Xt, r, p[None])[0] - 1e-17:
            return False
    return True


def _sphere_mesh(N):
    from scipy.spatial import ConvexHull

    i = np.arange(N) + 0.5
    phi = np.arccos(1 - 2 * i / N)
    th = np.pi * (1 + 5**0.5) * i
    P = np.column_stack([np.cos(th) * np.sin(phi), np.sin(th) * np.sin(phi), np.cos(phi)])
    return P, ConvexHull(P).simplices


@pytest.fixture(scope="module")
def mesh():
    return _sphere_mesh(30000)


def _brute_maxima(X, r, s, rng, mesh=None):
    Xt = augment(X)
    if X.shape[1] == 1:
        th = np.linspace(0, 2 * np.pi, 20000, endpoint=False)
        P = np.column_stack([np.cos(th), np.sin(th)])
        g = s * _G(Xt, r, P)
        loc = np.flatnonzero((g > np.roll(g, 1)) & (g > np.roll(g, -1)))
    else:
        P, simp = mesh
        g = s * _G(Xt, r, P)
        nb = np.full(len(P), -np.inf)
        for a, b in [(0, 1), (1, 2), (2, 0), (1, 0), (2, 1), (0, 2)]:
            np.maximum.at(nb, simp[:, a], g[simp[:, b]])
        loc = np.flatnonzero(g > nb)
    out = []
    for k in loc:
        p = _hill_climb(Xt, r, P[k], s, rng)
        if _is_strict_max(Xt, r, p, s, rng, radii=(1e-6,)) and all(np.arccos(np.clip(p @ q, -1.0, 1.0)) > 1e-5 for q in out):
            out.append(p)
    return np.array(out).reshape(-1, Xt.shape[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_1d_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 6
    X = rng.uniform(-1, 1, (n, 1))
    y = rng.normal(size=n)
    ext = extremal_directions(X, y)
    r = y / n
    for s in (1, -1):
        A = np.array([e.direction for e in ext if e.sign == s and e.stable]).reshape(-1, 2)
        B = _brute_maxima(X, r, s, rng)
        assert len(A) == len(B)
        if len(A):
            ang = np.arccos(np.clip(A @ B.T, -1, 1))
            assert ang.min(axis=1).max() < 1e-6


@pytest.mark.parametrize("seed", [3, 4])
def test_2d_matches_brute_force(seed, mesh):
    rng = np.random.default_rng(seed)
    n = 6
    X = rng.uniform(-1, 1, (n, 2))
    y = rng.normal(size=n)
    Xt, r = augment(X), y / n
    ext = extremal_directions(X, y)
    for s in (1, -1):
        A = np.array([e.direction for e in ext if e.sign == s and e.stable]).reshape(-1, 3)
        # every returned attractor is a strict local maximum of s*G
        for p in A:
            assert _is_strict_max(Xt, r, p, s, rng)
        # every maximum found by mesh search + hill climbing is returned (the pattern
        # search may stall on a sharp ridge a little short of a boundary maximum)
        B = _brute_maxima(X, r, s, rng, mesh)
        if len(B):
            assert len(A)
            ang = np.arccos(np.clip(A @ B.T, -1, 1))
            assert ang.min(axis=0).max() < 1e-2
            near = np.argmin(ang, axis=0)
            assert np.all(s * _G(Xt, r, A[near]) >= s * _G(Xt, r, B) - 1e-12)


def test_all_listed_points_are_first_order_critical(rng):
    for d in (1, 2):
        X = rng.uniform(-1, 1, (7, d))
        y = rng.normal(size=7)
        Xt, r = augment(X), y / 7
        for e in extremal_directions(X, y):
            p, s = e.direction, e.sign
            C = p + 1e-7 * _tangent_dirs(p, 500, rng)
            C /= np.linalg.norm(C, axis=1, keepdims=True)
            slope = (s * _G(Xt, r, C) - s * e.value) / 1e-7
            assert slope.max() < 1e-5
            assert np.isclose(e.value, _G(Xt, r, p[None])[0])


def test_2d_edge_saddles_increase_along_their_circle():
    found = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1, 1, (6, 2))
        y = rng.normal(size=6)
        Xt, r = augment(X), y / 6
        for e in extremal_directions(X, y):
            if e.stable or e.codim != 1:
                continue
            found += 1
            i = e.through[0]
            nh = Xt[i] / np.linalg.norm(Xt[i])
            t = np.cross(nh, e.direction)
            up = [e.sign * _G(Xt, r, (np.cos(a) * e.direction + np.sin(a) * t)[None])[0] for a in (1e-3, -1e-3)]
            assert max(up) > e.sign * e.value
    assert found > 0


def test_check3_all_positive_unique_attractor():
    x = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    ext = extremal_directions(x, y)
    pos = [e for e in ext if e.sign > 0 and e.stable]
    assert len(pos) == 1
    target = (y[:, None] * augment(x[:, None])).sum(axis=0)
    assert np.allclose(pos[0].direction, target / np.linalg.norm(target))
    assert pos[0].kind == "interior" and pos[0].cell.all()
    assert np.isclose(pos[0].value, np.linalg.norm(target) / 5)
    # G >= 0 everywhere: no a<0 attractor outside the dead plateau, no other a>0 critical point
    assert [e for e in ext if e.sign < 0] == []
    assert len([e for e in ext if e.sign > 0]) == 1


def test_check5_kinks():
    kinds = set()
    for seed in (5, 6, 7):
        _check5(seed, kinds)
    assert kinds == {"interior", "boundary"}


def _check5(seed, kinds):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, 7))
    y = rng.normal(size=7)
    r = y / 7
    sec = sectors(x)
    D = sec.fields(r)
    ext = extremal_directions(x, y, sectors=sec)
    kinds.update(e.kind for e in ext)
    for e in ext:
        if e.kind == "interior":
            (k,) = e.adjacent
            sig = sec.patterns[k]
            assert np.array_equal(e.cell, sig)
            assert np.isclose(e.kink, -r[sig].sum() / (r[sig] * x[sig]).sum())
            # self-consistency: A(s D_sigma) = sigma, and -D_sigma activates the complement
            assert np.array_equal(augment(x[:, None]) @ (e.sign * D[k]) > 0, sig)
            assert np.array_equal(augment(x[:, None]) @ (-e.sign * D[k]) > 0, ~sig)
        else:
            assert len(e.through) == 1 and e.kink == pytest.approx(x[e.through[0]], abs=1e-12)


def test_grid_data_exact():
    # degenerate 2D data: a 3x3 grid with integer coordinates and values
    xs, ys = np.meshgrid(np.arange(3.0), np.arange(3.0), indexing="ij")
    X = np.column_stack([xs.ravel(), ys.ravel()]) - 1.0
    y = np.array([1, -1, 1, -1, 2, -1, 1, -1, 1], float)
    ext = extremal_directions(X, y)
    rng = np.random.default_rng(0)
    Xt, r = augment(X), y / 9
    assert any(e.stable for e in ext)
    for e in ext:
        if e.stable:
            assert _is_strict_max(Xt, r, e.direction, e.sign, rng)


def test_zero_residual_has_no_extremal_directions():
    assert extremal_directions([0.0, 1.0, 2.0], r=[0.0, 0.0, 0.0]) == []


def test_errors():
    with pytest.raises(UnsupportedError, match="n_dims"):
        extremal_directions(np.random.default_rng(0).normal(size=(5, 3)), np.ones(5))
    with pytest.raises(InvalidInputError, match="values"):
        extremal_directions([0.0, 1.0])
    with pytest.raises(InvalidInputError, match="'r'"):
        extremal_directions([0.0, 1.0], [1.0, 2.0], r=[1.0, 1.0])
    with pytest.raises(InvalidInputError, match="sectors"):
        extremal_directions([0.0, 1.0], [1.0, 2.0], sectors="nope")
