"""Flip walks decide flippability with the triangulation engine's exact predicate."""

import numpy as np

from geoquant.triangulation._flipwalk import FlipWalk
from geoquant.triangulation import Triangulation, flippable_edges
from tests.triangulation.test_mesh import float_orient, near_collinear_quad


def old_epsilon_rule(P, u, v, a, b):
    """The flip walk's former test: float orientations against eps = 1e-12 * diameter**2."""
    eps = 1e-12 * float(np.max(np.ptp(P, axis=0))) ** 2
    o1, o2 = float_orient(P[a], P[b], P[u]), float_orient(P[a], P[b], P[v])
    o3, o4 = float_orient(P[u], P[v], P[a]), float_orient(P[u], P[v], P[b])
    return o1 * o2 < -(eps**2) and o3 * o4 < -(eps**2)


def test_flip_walk_agrees_with_the_exact_engine_where_the_epsilon_rule_did_not():
    P, simp = near_collinear_quad()
    assert not old_epsilon_rule(P, 2, 3, 0, 1)  # the old answer: not flippable
    exact = {tuple(e) for e in flippable_edges(Triangulation(P, simp)).tolist()}
    walk = FlipWalk(P, simp, seed=0)
    assert exact == {(2, 3)} and set(walk.flippable) == exact
    # the walk reaches the other triangulation (and back): both triangulations of the quad
    seen = set()
    for _ in range(20):
        walk.step()
        seen.add(Triangulation(P, walk.simplices()).key())  # validates each
    assert len(seen) == 2
