"""Speed of the one numpy forward (geoquant.nn.network_forward, check_input=False as in the hot loops) against the two it replaced.

Baselines, in the same process: the einsum forward that ``evaluate_network`` /
``network_function`` used before (chunked ``einsum`` over all models at once) and
the plain matmul of ``compare.network_forward`` (one model). Prints best-of-5 times
and the ratio new / old (below 1: faster).

    python3 benchmarks/nn_forward.py
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geoquant.nn import network_forward  # noqa: E402


def old_einsum(W, a, X, chunk_elements=2**24):
    m, k, _ = W.shape
    n = X.shape[0]
    out = np.empty((m, n))
    step = max(1, chunk_elements // max(1, m * k))
    for s in range(0, n, step):
        Xc = X[s : s + step]
        Xt = np.concatenate([Xc, np.ones((len(Xc), 1))], axis=-1)
        H = np.maximum(np.einsum("mkp,np->mkn", W, Xt), 0.0)
        out[:, s : s + step] = np.einsum("mk,mkn->mn", a, H)
    return out


def old_matmul(W, a, X):
    Xt = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    return np.maximum(Xt @ W.T, 0.0) @ a


def best(f, reps=5):
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    rng = np.random.default_rng(0)
    print(f"{'case':44s} {'old s':>9s} {'new s':>9s} {'new/old':>8s}")
    for m, k, n, d in [(1, 100, 40_000, 2), (1, 1000, 40_000, 2), (20, 100, 10_000, 2), (200, 50, 2_000, 1)]:
        W, a, X = rng.normal(size=(m, k, d + 1)), rng.normal(size=(m, k)), rng.uniform(-1, 1, (n, d))
        t_new = best(lambda: network_forward(W, a, X, check_input=False))
        t_old = best(lambda: old_einsum(W, a, X))
        print(f"{f'stack m={m} width={k} n={n} d={d} vs einsum':44s} {t_old:9.4f} {t_new:9.4f} {t_new / t_old:8.2f}")
        if m == 1:
            t_new1 = best(lambda: network_forward(W[0], a[0], X, check_input=False))
            t_old1 = best(lambda: old_matmul(W[0], a[0], X))
            print(f"{f'one   width={k} n={n} d={d} vs matmul':44s} {t_old1:9.4f} {t_new1:9.4f} {t_new1 / t_old1:8.2f}")


if __name__ == "__main__":
    main()
