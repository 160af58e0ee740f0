"""The counting structures implement the CountingStructure protocol, and the engines agree on it:
the count through the protocol's own recursion equals the engines' counts."""

import numpy as np
import pytest

from geoquant.triangulation import count_triangulations
from geoquant.triangulation._count import build_structure
from geoquant.triangulation._count_kernel import HAVE_NUMBA, KernelCounter, KernelMemo
from geoquant.triangulation._count_line import LineChain
from geoquant.triangulation._count_planar import PlanarDecomposition
from geoquant.triangulation._count_protocol import CountingStructure, StateMemo


def _count_via_protocol(struct: CountingStructure, state=None, memo=None) -> int:
    """Count triangulations using only the protocol's expand(): an independent DP."""
    memo = {} if memo is None else memo
    state = struct.root if state is None else state
    if state not in memo:
        total = 0
        for _, kids in struct.expand(state):
            prod = 1
            for k in kids:
                prod *= _count_via_protocol(struct, k, memo)
            total += prod
        memo[state] = total
    return memo[state]


@pytest.mark.parametrize("fine", [True, False])
@pytest.mark.parametrize("d, n", [(1, 6), (2, 7), (2, 9)])
def test_structures_implement_the_protocol_and_count_alike(d, n, fine):
    pts = np.random.default_rng(n).random((n, d))
    struct = build_structure(pts, fine=fine, max_states=10**6, what="test")
    assert isinstance(struct, CountingStructure)
    assert isinstance(struct, LineChain if d == 1 else PlanarDecomposition)
    expected = count_triangulations(pts, fine=fine)
    assert struct.count(struct.root) == expected == _count_via_protocol(struct)
    assert struct.simplices.shape[1] == d + 1
    assert sorted(struct.order.tolist()) == list(range(n))
    if d == 1:  # fine: one triangulation; all: each interior point used or not
        assert expected == (1 if fine else 2 ** (n - 2))


def test_memos_implement_the_state_memo_protocol():
    pts = np.random.default_rng(3).random((9, 2))
    struct = PlanarDecomposition(pts, fine=True, max_states=10**6)
    assert isinstance(struct.memo, StateMemo)  # the Python DP's dict
    assert not isinstance(object(), StateMemo) and not isinstance(pts, CountingStructure)
    if not HAVE_NUMBA:
        pytest.skip("the compiled kernel needs numba")
    kc = KernelCounter(PlanarDecomposition(pts, fine=True, max_states=10**6), max_states=10**6)
    assert isinstance(KernelMemo(kc), StateMemo)
