"""A faster evaluation of the fine-triangulation count over the sub-polygon DAG.

Same dynamic program as :meth:`._count_planar.PlanarDecomposition.count` for
``fine=True`` (same states, same canonical keys, same values, written into the same
memo, so ranking, unranking and sampling reuse it), with a leaner state encoding:

* the set of polygon edges (a bit mask over point pairs) travels with the state
  instead of being rebuilt from the vertex cycle on every expansion: inserting an
  interior apex ``c`` on the fixed edge ``(a, b)`` swaps one edge bit for two, and a
  split rebuilds only the shorter of the two chains, and only when the sub-polygon is
  not memoised yet;
* the two conflict tests of a candidate apex are one precomputed mask
  (edges crossing ``ac`` or ``bc``), tested against the edge set with one ``&``;
* a polygon stored with its smallest vertex first stays canonical when an interior
  apex is inserted after that vertex (an interior point is never lexicographically
  below the polygon's smallest vertex), and so does the chain ``c .. a`` rotated to
  start at ``a``; only the chain ``b .. c`` is re-rotated;
* memo lookups are made by the caller, so a memoised sub-polygon costs no call.

Measured here about 2x faster than the generic evaluation (benchmarks/triangulations.py).

The x-monotone path sweep of Alvarez & Seidel (2013) was considered and not used:
its states are marked x-monotone paths from the leftmost to the rightmost point,
and every subset of the other ``n - 2`` points spans such a path, so it keeps
``2**(n - 2)`` paths (times up to ``n`` marks) for every point set, whereas this DP
keeps far fewer sub-polygons on random sets (3.2e5 against 2**20 = 1.0e6 paths for
22 uniform points, 1.1e6 against 4.2e6 for 24).
"""

from __future__ import annotations

from ._count_planar import PlanarDecomposition, StateBudgetExceeded, _canon

__all__ = ["count_fine"]


def count_fine(struct: PlanarDecomposition) -> int:
    """Number of fine triangulations of ``struct`` (its root polygon), filling ``struct.memo``.

    Parameters
    ----------
    struct : PlanarDecomposition
        Built with ``fine=True``.

    Returns
    -------
    int
        The exact count, equal to ``struct.count(struct.root)``.

    Raises
    ------
    StateBudgetExceeded
        The memo grows past ``struct.max_states``.
    """
    if not struct.fine:
        raise ValueError("count_fine needs a PlanarDecomposition built with fine=True")
    memo = struct.memo
    root = struct.root
    hit = memo.get(root)
    if hit is not None:
        return hit
    cand, conf, ebit = struct._cand, struct._conf, struct._ebit
    max_states = struct.max_states
    one = [bytes((v,)) for v in range(256)]
    table: dict[int, list] = {}

    def apexes(a: int, b: int) -> list:
        key = a << 8 | b
        lst = table.get(key)
        if lst is None:
            ca, cb, ea, eb = conf[a], conf[b], ebit[a], ebit[b]
            lst = table[key] = [(c, ca[c] | cb[c], ea[c] | eb[c], one[c]) for c, _ in cand[a][b]]
        return lst

    def chain_edges(chain: bytes) -> int:
        pe = 0
        prev = chain[0]
        for v in chain[1:]:
            pe |= ebit[prev][v]
            prev = v
        return pe

    def count(t: bytes, pe: int) -> int:
        a, b = t[0], t[1]
        m = len(t)
        pe_rest = pe ^ ebit[a][b]  # every polygon edge but the fixed one
        total = 0
        for c, mask, new_edges, cbyte in apexes(a, b):
            if mask & pe:
                continue
            k = t.find(c)
            if k < 0:  # interior apex: inserted between a and b, still canonical
                kid = t[:1] + cbyte + t[1:]
                r = memo.get(kid)
                if r is None:
                    r = count(kid, pe_rest | new_edges)
                total += r
                continue
            # apex on the boundary: chains b .. c and c .. a (an edge when of two vertices)
            r = 1
            kid2 = t[:1] + t[k:] if m - k >= 2 else None
            if k >= 3:
                chain1 = t[1 : k + 1]
                kid1 = _canon(chain1)
                r1 = memo.get(kid1)
                if r1 is None:
                    if k - 1 <= m - k:
                        e1 = chain_edges(chain1)
                    else:
                        e1 = pe_rest ^ chain_edges(t[k:] + t[:1])
                    r1 = count(kid1, e1 | ebit[c][b])
                r = r1
            if kid2 is not None:
                r2 = memo.get(kid2)
                if r2 is None:
                    if m - k <= k - 1:
                        e2 = chain_edges(t[k:] + t[:1])
                    else:
                        e2 = pe_rest ^ chain_edges(t[1 : k + 1])
                    r2 = count(kid2, e2 | ebit[a][c])
                r *= r2
            total += r
        if len(memo) >= max_states:
            raise StateBudgetExceeded(len(memo))
        memo[t] = total
        return total

    return count(root, chain_edges(root + root[:1]))
