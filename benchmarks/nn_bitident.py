"""Before/after check of the nn engine refactor: bit-identical training on fixed seeds.

Run once from the old tree and once from the new one:

    PYTHONPATH=OLD python3 benchmarks/nn_bitident.py save /tmp/before.npz
    PYTHONPATH=NEW python3 benchmarks/nn_bitident.py compare /tmp/before.npz

Trains GD and gradient flow (float32 and float64, CPU; tol, resume, depth 2, output bias) and
evaluates the numpy forwards and crease extractors; ``compare`` prints each array's status
(``==`` on every element, NaNs equal).
"""

import sys

import numpy as np

import geoquant.nn as nn


def runs():
    rng = np.random.default_rng(0)
    X1 = np.sort(rng.uniform(-1, 1, 12))[:, None]
    y1 = np.sin(3 * X1[:, 0])
    X2 = rng.uniform(-1, 1, (15, 2))
    y2 = X2[:, 0] * X2[:, 1]
    out = {}

    def put(name, r):
        out[f"{name}.W"] = r.W
        out[f"{name}.a"] = r.a
        out[f"{name}.loss"] = r.loss
        out[f"{name}.steps"] = r.steps
        out[f"{name}.times"] = r.times
        out[f"{name}.n_evals"] = r.n_evals
        out[f"{name}.ckW"] = r.checkpoints.W
        out[f"{name}.cksteps"] = r.checkpoints.steps
        if r.c is not None:
            out[f"{name}.c"] = r.c
        for i, h in enumerate(r.hidden):
            out[f"{name}.h{i}"] = h
        out[f"{name}.failed"] = np.array(repr(r.failed))
        out[f"{name}.conv"] = np.array(repr(r.converged))

    for dt in ("float32", "float64"):
        put(f"gd1_{dt}", nn.train_gd(X1, y1, width=20, n_models=3, init_scale=1e-3, lr=0.1, n_steps=3000, dtype=dt,
                                      device="cpu", seed=1, progress=False))
        put(f"gd2_{dt}", nn.train_gd(X2, y2, width=16, n_models=2, init_scale=0.1, lr=[0.05, 0.2], n_steps=1500,
                                      dtype=dt, device="cpu", seed=[4, 5], tol=1e-4, output_bias=True, progress=False))
        put(f"gdd_{dt}", nn.train_gd(X2, y2, width=8, n_models=2, init_scale=0.5, init="gaussian", lr=0.05, n_steps=300,
                                      depth=2, dtype=dt, device="cpu", seed=3, progress=False))
        put(f"flow1_{dt}", nn.train_flow(X1, y1, width=12, n_models=2, init_scale=1e-3, t_max=200.0, dtype=dt,
                                          device="cpu", seed=2, progress=False, checkpoints=5, records=50))
        put(f"flow2_{dt}", nn.train_gd(X2, y2, width=10, n_models=2, init_scale=1e-2, lr=0.1, n_steps=1000,
                                        method="flow", dtype=dt, device="cpu", seed=7, tol=1e-5, grad_tol=1e-7,
                                        progress=False))
    r0 = nn.train_gd(X1, y1, width=10, n_models=2, init_scale=1e-2, lr=0.1, n_steps=500, dtype="float64", device="cpu",
                     seed=9, progress=False)
    put("gd_resume", nn.train_gd(X1, y1, width=10, n_models=2, lr=0.1, n_steps=700, dtype="float64", device="cpu",
                                 seed=9, progress=False, resume_from=r0))
    f0 = nn.train_flow(X1, y1, width=10, n_models=2, init_scale=1e-2, t_max=20.0, device="cpu", seed=9, progress=False)
    put("flow_resume", nn.train_flow(X1, y1, width=10, n_models=2, t_max=60.0, device="cpu", seed=9, progress=False,
                                     resume_from=f0))
    put("flow_budget", nn.train_flow(X1, y1, width=10, n_models=2, init_scale=1e-3, t_max=1e3, device="cpu", seed=9,
                                     progress=False, max_evals=300))

    # numpy forwards and creases on the trained weights
    r = nn.train_gd(X2, y2, width=30, n_models=2, init_scale=1e-2, lr=0.2, n_steps=2000, dtype="float64",
                    device="cpu", seed=11, progress=False)
    q = np.random.default_rng(1).uniform(-1, 1, (200, 2))
    out["predict"] = r.predict(q)
    out["network_function"] = nn.network_function(r.W, r.a, q)
    bl = nn.breaklines(r.W[0], r.a[0], [[-1, 1], [-1, 1]])
    out["breaklines"] = np.array([[b.offset, b.jump, *b.normal, b.count] for b in bl])
    r1 = nn.train_gd(X1, y1, width=30, n_models=1, init_scale=1e-2, lr=0.2, n_steps=3000, dtype="float64",
                     device="cpu", seed=12, progress=False)
    k = nn.kinks_1d(r1.W[0], r1.a[0])
    out["kinks"] = np.concatenate([k.positions, k.jumps, k.counts])
    out["pieces"] = np.asarray(nn.count_linear_pieces_models(r1.W, r1.a, X1))
    from geoquant.compare import network_forward
    from geoquant.theory import network_lines, predict_function

    out["network_forward"] = network_forward(r.W[0], r.a[0], q, 0.25)
    out["theory_lines"] = network_lines(r.W[0], r.a[0])
    out["theory_kinks"] = network_lines(r1.W[0], r1.a[0])
    pf = predict_function(X1, y1)
    out["pf_call"] = pf(np.linspace(-1, 1, 50))
    out["pf_kinks"] = pf.kinks
    return out


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    res = runs()
    if mode == "save":
        np.savez(path, **res)
        print(f"saved {len(res)} arrays")
    else:
        old = np.load(path)
        bad = []
        for k in sorted(set(old.files) | set(res)):
            if k not in old.files or k not in res:
                bad.append(f"{k}: missing")
                continue
            a, b = old[k], np.asarray(res[k])
            same = a.shape == b.shape and a.dtype == b.dtype and bool(np.all((a == b) | ((a != a) & (b != b))))
            if not same:
                diff = np.max(np.abs(a.astype(float) - b.astype(float))) if a.shape == b.shape and a.dtype.kind in "fiu" else "shape/dtype"
                bad.append(f"{k}: differs ({diff})")
        print(f"{len(res)} arrays compared; {len(res) - len(bad)} bit-identical")
        for b in bad:
            print("  ", b)
