"""Clustering of neuron directions by angle (scikit-learn), shared by groups and creases.

Complete linkage on the angular distance (every two members of a cluster are
less than the tolerance apart), or DBSCAN (connected components of
"angle <= tol") for many neurons. sklearn and scipy are imported inside the
functions that use them (optional heavy dependencies), so importing this
module stays cheap.
"""

from __future__ import annotations

import numpy as np

from ..errors import TooLargeError

__all__ = ["angles_between", "relabel", "cluster_angles", "cluster_scalars", "MAX_AGGLOMERATIVE"]

# Above this many directions the (n, n) distance matrix of the agglomerative
# clustering costs more than ~800 MB.
MAX_AGGLOMERATIVE = 10_000


def angles_between(U: np.ndarray, unsigned: bool) -> np.ndarray:
    """Pairwise angles (radians) between unit rows, accurate for tiny angles.

    The chord length |u - v| is computed directly (no 1 - u.v cancellation) and
    turned into the angle 2 arcsin(|u - v| / 2). ``unsigned`` treats u and -u as
    the same (lines, not oriented directions).
    """
    from scipy.spatial.distance import cdist

    chord = cdist(U, U)
    if unsigned:
        chord = np.minimum(chord, cdist(U, -U))
    ang = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    np.fill_diagonal(ang, 0.0)
    return ang


def relabel(labels: np.ndarray) -> np.ndarray:
    """Number clusters 0, 1, ... in order of first appearance (deterministic output)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.ravel()]


def cluster_angles(U: np.ndarray, tol: float, *, method: str = "agglomerative", unsigned: bool = False) -> np.ndarray:
    """Cluster unit vectors ``U (n, k)`` by angle; returns labels ``(n,)``.

    ``agglomerative``: complete linkage on the angular distance, so every two
    members of a cluster are less than ``tol`` apart. ``dbscan``: connected
    components of the graph "angle <= tol" (single linkage, chains possible),
    computed with a tree, for many neurons.
    """
    n = U.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1 or tol == 0.0:
        if tol == 0.0:
            # only exact duplicates share a cluster
            key = U
            if unsigned:
                # canonical sign: first nonzero coordinate positive
                first = U[np.arange(n), np.argmax(U != 0, axis=1)]
                key = U * np.where(first < 0, -1.0, 1.0)[:, None]
            _, inv = np.unique(key, axis=0, return_inverse=True)
            return relabel(inv.ravel())
        return np.zeros(1, dtype=np.int64)
    if method == "dbscan" and not unsigned:
        from sklearn.cluster import DBSCAN

        eps = 2.0 * np.sin(min(tol, np.pi) / 2.0)
        labels = DBSCAN(eps=eps, min_samples=1, metric="euclidean").fit(U).labels_
        return relabel(labels)
    if n > MAX_AGGLOMERATIVE:
        raise TooLargeError(
            f"clustering {n} neuron directions with complete linkage needs a {n} x {n} distance matrix "
            f"({n * n * 8 / 1e9:.1f} GB); raise 'min_amplitude_fraction' to drop small neurons, "
            f"or pass method='dbscan'"
        )
    from sklearn.cluster import AgglomerativeClustering

    D = angles_between(U, unsigned)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="complete", distance_threshold=tol
    ).fit(D).labels_
    return relabel(labels)


def cluster_scalars(theta: np.ndarray, tol: float) -> np.ndarray:
    """Complete-linkage clusters of scalars with diameter < tol (scikit-learn)."""
    if theta.size == 1:
        return np.zeros(1, dtype=np.int64)
    if theta.size > MAX_AGGLOMERATIVE:
        raise TooLargeError(
            f"merging {theta.size} kinks with complete linkage needs a {theta.size}^2 distance matrix; "
            f"raise 'min_amplitude_fraction' to drop small neurons"
        )
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="euclidean", linkage="complete", distance_threshold=tol
    ).fit(theta[:, None]).labels_
    return relabel(labels)
