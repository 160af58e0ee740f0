"""The one kink extractor: positions -b/w, the bend rule and the two merge rules."""

import numpy as np
import pytest

from geoquant.theory import MinNormInterpolant, PredictedFunction, minnorm_interpolant, savarese_cost
from geoquant.theory._kinks import kink_groups, kink_positions


def test_positions_are_where_the_neuron_switches():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((20, 2))
    k = kink_positions(W, flat_tol=0.0)
    # each neuron's pre-activation w x + b vanishes at its kink
    np.testing.assert_allclose(W[:, 0] * k + W[:, 1], 0.0, atol=1e-12)


def test_bend_rule_absolute_and_relative():
    W = np.array([[1e-13, 1.0], [1e-13, 1e-3], [1.0, 0.5]])
    assert kink_positions(W, flat_tol=1e-12).tolist() == [-0.5]  # |w| > 1e-12: only the last bends
    # relative to ||[w | b]||: the second neuron (|w| = 1e-10 ||[w|b]||) bends, the first does not
    assert len(kink_positions(W, flat_tol=1e-12, flat_relative=True)) == 2


def test_pair_merge_keeps_far_kinks_apart_and_largest_merge_does_not():
    # a rescaled copy of a neuron lands within an ulp; a far kink must not absorb the near ones
    W = np.array([[3.0, -1.0], [0.3, -0.1], [1.0, 0.2], [1e-14, -1.0]])
    pair = kink_positions(W, flat_tol=0.0, merge_tol=8 * np.finfo(float).eps, merge_scale="pair")
    np.testing.assert_allclose(pair, [-0.2, 1 / 3, 1e14])
    largest = kink_positions(W, flat_tol=0.0, merge_tol=1e-9, merge_scale="largest")
    assert len(largest) == 2  # 1e-9 * 1e14 swallows the near kinks into one
    order, starts = kink_groups(-W[:, 1] / W[:, 0], merge_tol=8 * np.finfo(float).eps)
    assert len(starts) == 3 and np.all(np.diff((-W[:, 1] / W[:, 0])[order]) >= 0)


def test_callers_use_it():
    x = np.array([-1.0, 0.0, 1.0])
    m = minnorm_interpolant(x[:, None], np.abs(x))
    assert isinstance(m, MinNormInterpolant)
    np.testing.assert_allclose(m.kinks, [0.0], atol=1e-9)
    assert savarese_cost(m.W, m.a) == pytest.approx(2.0)
    W = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, -1.0], [1.0, -0.5]]) / np.sqrt([[1.0], [1.0], [5.0], [1.25]])
    pf = PredictedFunction(points=x[:, None], values=x, stages=[], weights=W, coefficients=np.ones(4),
                           fitted=x, loss=0.0, stalled=True, refit="none")
    np.testing.assert_allclose(pf.kinks, [0.0, 0.5])


def test_rejects_non_1d_neurons():
    from geoquant.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        kink_positions(np.ones((3, 3)), flat_tol=0.0)
