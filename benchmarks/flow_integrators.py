"""Benchmark: the gradient-flow integrator against scipy's solve_ivp (RK45, LSODA) on one small ensemble.

The same networks (balanced init 1e-4, width 40, 1D, 16 points of the centred
Runge function; a second set in 2D with ``--dim 2``), the same flow
``theta' = -grad L(theta)`` (float64, the trainer's hand-written gradient) up to
the same time, integrated

* by geoquant's integrator (Bogacki--Shampine 3(2), per-neuron relative error
  control), with and without the sliding-mode treatment, at several ``rtol``;
* by ``scipy.integrate.solve_ivp`` with ``RK45`` (Dormand--Prince 5(4)) and
  ``LSODA`` (Adams / BDF with stiffness detection, finite-difference Jacobians),
  one network at a time, at the same ``rtol`` and the same absolute floor
  (``atol = 1e-6 * rtol * init_scale``, the trainer's default).

Every right-hand side evaluation is counted (scipy's included: LSODA's Jacobian
columns are evaluations too). Accuracy is measured against a reference run of
geoquant's integrator with sliding at ``rtol = 1e-7`` (``--ref-rtol``; both
integrators converge to the same Filippov flow, and the unpinned rows at small
``rtol`` show how close they come to it): the largest relative difference of the
final losses and the largest difference of the final functions on a grid, over
the networks, relative to ``std(y)``.

Usage: ``python benchmarks/flow_integrators.py [--dim 1|2] [--quick]``; prints a
markdown table with CPU seconds and the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geoquant.nn import train_flow  # noqa: E402
from geoquant.nn._model import augment, loss_and_grads  # noqa: E402


def problem(dim, n, m):
    Xs, ys = [], []
    for s in range(m):
        rng = np.random.default_rng(s)
        X = rng.uniform(-1, 1, (n, dim))
        X[: 2**dim] = np.array(np.meshgrid(*[[-1, 1]] * dim)).reshape(dim, -1).T
        y = 1 / (1 + 25 * (X**2).sum(1)) if dim == 1 else np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1])
        Xs.append(X)
        ys.append(y - y.mean())
    return np.stack(Xs), np.stack(ys)


def grid(dim):
    if dim == 1:
        return np.linspace(-1, 1, 801)[:, None]
    g = np.linspace(-1, 1, 61)
    return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)


def forward(W, a, X):
    Xt = np.concatenate([X, np.ones((len(X), 1))], axis=1)
    return np.maximum(Xt @ W.T, 0.0) @ a


class OutOfTime(Exception):
    pass


def scipy_run(method, X, y, W0, a0, t_max, rtol, atol, limit_s=np.inf):
    """Integrate one network with solve_ivp; returns (W, a, evaluations, time reached).

    Gives up after ``limit_s`` CPU seconds (W, a are then None)."""
    k, p = W0.shape
    Xt = augment(torch.as_tensor(X)).unsqueeze(0)
    yt = torch.as_tensor(y).unsqueeze(0)
    calls = [0]

    reached = [0.0]
    c0 = time.process_time()

    def rhs(t, theta):
        calls[0] += 1
        reached[0] = max(reached[0], t)
        if time.process_time() - c0 > limit_s:
            raise OutOfTime
        th = torch.as_tensor(theta)
        W = th[: k * p].view(1, k, p)
        a = th[k * p :].view(1, k)
        _, gW, ga, _ = loss_and_grads(W, a, None, Xt, yt, "squared")
        return -torch.cat([gW.reshape(-1), ga.reshape(-1)]).numpy()

    theta0 = np.concatenate([W0.ravel(), a0.ravel()])
    try:
        sol = solve_ivp(rhs, (0.0, t_max), theta0, method=method, rtol=rtol, atol=atol, t_eval=[t_max])
    except OutOfTime:
        return None, None, calls[0], reached[0]
    if not sol.success:
        raise RuntimeError(f"{method}: {sol.message}")
    th = sol.y[:, -1]
    return th[: k * p].reshape(k, p), th[k * p :], calls[0], t_max


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dim", type=int, default=1)
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--width", type=int, default=40)
    ap.add_argument("--models", type=int, default=3)
    ap.add_argument("--t-max", type=float, default=200.0)
    ap.add_argument("--ref-rtol", type=float, default=1e-7)
    ap.add_argument("--quick", action="store_true", help="fewer tolerances, no LSODA below rtol 1e-4")
    ap.add_argument("--scipy-limit", type=float, default=120.0, help="CPU seconds per network for a scipy run")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    X, Y = problem(args.dim, args.points, args.models)
    G = grid(args.dim)
    m, init, T = args.models, 1e-4, args.t_max
    kw = dict(width=args.width, n_models=m, init_scale=init, t_max=T, seed=list(range(m)), checkpoints=0,
              progress=False)
    print(f"\n### Gradient-flow integrators, {args.dim}D, {m} networks of width {args.width} on {args.points} points, "
          f"init 1e-4, t_max {T:g}\n")
    print(f"load average before: {os.getloadavg()[0]:.2f}; CPU seconds of this process, one thread\n")
    c0 = time.process_time()
    ref = train_flow(X, Y, rtol=args.ref_rtol, sliding=True, **kw)
    ref_cpu = time.process_time() - c0
    f_ref = ref.predict(G)
    std = Y.std(axis=1)
    print(f"reference: geoquant, sliding, rtol {args.ref_rtol:g}: {np.mean(ref.n_evals):,.0f} evaluations per "
          f"network, {ref_cpu:.1f} CPU s, final losses {np.round(ref.final_loss, 8).tolist()}\n")
    print("| integrator | rtol | evaluations per network (mean) | CPU s (all networks) | max rel. loss error | "
          "max sup function error / std(y) |")
    print("|---|---:|---:|---:|---:|---:|")
    rtols = [1e-3, 1e-4] if args.quick else [1e-3, 1e-4, 1e-5]
    for rtol in rtols:
        atol = 1e-6 * rtol * init
        for label, sliding in (("geoquant BS3(2), no sliding", False), ("geoquant BS3(2), sliding", True)):
            c0 = time.process_time()
            r = train_flow(X, Y, rtol=rtol, sliding=sliding, **kw)
            cpu = time.process_time() - c0
            lerr = np.max(np.abs(r.final_loss / ref.final_loss - 1))
            ferr = np.max(np.abs(r.predict(G) - f_ref).max(axis=1) / std)
            print(f"| {label} | {rtol:g} | {np.mean(r.n_evals):,.0f} | {cpu:.1f} | {lerr:.2e} | {ferr:.2e} |",
                  flush=True)
        for method in ("RK45", "LSODA"):
            if args.quick and method == "LSODA" and rtol < 1e-4:
                continue
            evals, losses, ferrs = [], [], []
            c0 = time.process_time()
            for i in range(m):
                W, a, ev, reached = scipy_run(method, X[i], Y[i], ref.init_W[i].astype(np.float64),
                                              ref.init_a[i].astype(np.float64), T, rtol, atol, args.scipy_limit)
                if W is None:
                    break
                f = forward(W, a, G)
                fx = forward(W, a, X[i])
                losses.append(0.5 * np.mean((fx - Y[i]) ** 2))
                ferrs.append(np.abs(f - f_ref[i]).max() / std[i])
                evals.append(ev)
            cpu = time.process_time() - c0
            if len(losses) < m:
                print(f"| scipy solve_ivp {method} | {rtol:g} | > {ev:,} (gave up after {args.scipy_limit:g} CPU s "
                      f"at t = {reached:.3g} of {T:g}, network {len(losses)}) | {cpu:.1f} | | |", flush=True)
                continue
            lerr = np.max(np.abs(np.array(losses) / ref.final_loss[: len(losses)] - 1))
            print(f"| scipy solve_ivp {method} | {rtol:g} | {np.mean(evals):,.0f} | {cpu:.1f} | {lerr:.2e} | "
                  f"{max(ferrs):.2e} |", flush=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
