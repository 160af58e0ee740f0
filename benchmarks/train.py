"""Benchmark: the batched trainer at the phase study's shapes against the plain torch loop and a roofline.

For each shape (default: 64 networks of width 1000 on 256 points in 2D, and 512
networks of width 100 on 32 points in 1D) and dtype (float32: the GD step;
float64: the gradient evaluation the flow integrator makes three times a step),
measured in one process on one device:

* the roofline of this machine, measured in the same run: the dense matmul rate
  ``P`` (a large ``torch.matmul`` in the dtype) and the memory bandwidth ``B``
  of an activation pass (the best of an in-place relu and a copy over a tensor of
  the activations' shape ``(n_models, width, n_points)``). One step needs at
  least ``F = 4 (d + 2) width n_points`` flops per network (``W x~``, the output
  sum, ``dL/da`` and ``dL/dW``: four products over the activations) and, if it
  stores its activations, one write and one read of them; the roofline time is
  ``max(F / P, bytes / B)`` and "roofline %" is that time over the measured one.
  (Kernels that recompute the activations instead of storing them can beat the
  memory term; the flop term stays a bound as far as ``P`` is the machine's peak.)
* the plain torch loop a user would write: one ``nn.Sequential(Linear(d, width),
  ReLU, Linear(width, 1, bias=False))`` with ``torch.optim.SGD`` and ``MSELoss``
  per network, one network after another;
* geoquant's batched step built from batched matrix products (``kernel="torch"``,
  the path CUDA runs, with CUDA graphs there);
* the fused CPU kernels (``geoquant/nn/_fused.py``), the default on the CPU.

Then the gradient flow end to end (``train_flow``, float64, balanced init 1e-4,
one sample per network from a smooth target) on a smaller ensemble of each
shape: flow time per second and gradient evaluations, in 1D with and without
the sliding-mode treatment (on by default there).

Times are CPU seconds of this process (``time.process_time``; with one thread
they do not count the time other jobs hold the core) next to wall seconds; the
load average is printed. Ratios are against the baseline measured in the same
process.

Usage: ``python benchmarks/train.py [--device cpu|cuda] [--threads N] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geoquant.nn import train_flow  # noqa: E402
from geoquant.nn._engine import Engine  # noqa: E402
from geoquant.nn._setup import prepare  # noqa: E402

SHAPES = [(64, 1000, 256, 2), (512, 100, 32, 1)]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


def best_of(fn, device, repeat, cuda):
    """Best (wall, cpu) of ``repeat`` calls; the CPU clock decides on the CPU, the wall clock on CUDA."""
    fn()
    sync(device)
    best = None
    for _ in range(repeat):
        with Clock() as c:
            fn()
            sync(device)
        key = c.wall if cuda else c.cpu
        if best is None or key < best[0]:
            best = (key, c.wall, c.cpu)
    return best[1], best[2]


def step_flops(n, width, d):
    """Flops of one network-step: ``W x~`` (2 (d+1)), output sum (2), ``dL/da`` (2), ``dL/dW`` (2 (d+1)) per pair."""
    return 4 * (d + 2) * width * n


def roofline(device, dtype, shape, repeat, cuda):
    size = 8192 if cuda else 1536
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    w, c = best_of(lambda: torch.matmul(a, b), device, repeat, cuda)
    peak = 2 * size**3 / (w if cuda else c)
    a = b = None  # free them (not del: the lambda above refers to the names)
    x = torch.randn(shape, device=device, dtype=dtype)
    y = torch.empty_like(x)
    nbytes = 2 * x.numel() * x.element_size()  # read + write
    bw = 0.0
    for fn in (lambda: x.relu_(), lambda: y.copy_(x)):
        w, c = best_of(fn, device, repeat, cuda)
        bw = max(bw, nbytes / (w if cuda else c))
    return peak, bw


def make_engine(X, y, width, n_models, device, dtype, kernel, graphs=False):
    prob = prepare(
        X, y, width=width, n_models=n_models, init_scale=1e-2, init="balanced", seed=0, device=device,
        dtype=dtype, loss="squared", output_bias=False, depth=1, resume_from=None, method="gd",
    )
    eng = Engine(prob, lr=np.full(n_models, 0.05), tol=None, max_loss=np.full(n_models, np.inf),
                 frozen=np.zeros(n_models, dtype=bool), kernel=kernel)
    if graphs:
        eng.capture()
    return eng


def time_loop(X, Y, width, device, dtype, n_nets, steps):
    """Seconds (wall, cpu) per network-step of the plain per-network torch loop."""
    tdt = torch.float32 if dtype == "float32" else torch.float64
    best = None
    for _ in range(2):
        torch.manual_seed(0)
        nets = [
            torch.nn.Sequential(
                torch.nn.Linear(X.shape[-1], width), torch.nn.ReLU(), torch.nn.Linear(width, 1, bias=False)
            ).to(device=device, dtype=tdt)
            for _ in range(n_nets)
        ]
        lossf = torch.nn.MSELoss()
        data = [(torch.as_tensor(X[i], dtype=tdt, device=device), torch.as_tensor(Y[i], dtype=tdt, device=device)[:, None])
                for i in range(n_nets)]
        sync(device)
        with Clock() as c:
            for net, (Xt, yt) in zip(nets, data):  # one network after another, as a plain script would
                opt = torch.optim.SGD(net.parameters(), lr=0.05)
                for _ in range(steps):
                    opt.zero_grad()
                    loss = lossf(net(Xt), yt)
                    loss.backward()
                    opt.step()
            sync(device)
        if best is None or c.cpu < best[1]:
            best = (c.wall, c.cpu)
    return best[0] / (n_nets * steps), best[1] / (n_nets * steps)


def data(m, n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (m, n, d))
    Y = np.sin(3 * X[..., 0]) * (np.cos(2 * X[..., 1]) if d > 1 else 1.0)
    return X, Y - Y.mean(axis=1, keepdims=True)


def bench_shape(m, w, n, d, device, repeat, quick, cuda):
    X, Y = data(m, n, d)
    rows = []
    for dtype in ("float32", "float64"):
        tdt = torch.float32 if dtype == "float32" else torch.float64
        peak, bw = roofline(device, tdt, (m, w, n), repeat, cuda)
        flops = step_flops(n, w, d)
        t_roof = max(m * flops / peak, 2 * m * w * n * tdt.itemsize / bw)
        what = "GD step" if dtype == "float32" else "gradient (flow stage)"
        lw, lc = time_loop(X, Y, w, device, dtype, 2 if quick else 4, 10 if quick else 30)
        base = 1.0 / (lw if cuda else lc)

        def row(label, nets, rate_wall, rate_cpu):
            rate = rate_wall if cuda else rate_cpu
            gflops = rate * flops / 1e9
            step_s = nets / rate
            share = 100 * (nets / m) * t_roof / step_s
            rows.append((f"{m}x{w}x{n} {d}D", dtype, what, label, rate, rate_wall, rate / base, gflops, share))

        row("plain torch loop (nn.Module + SGD, one net at a time)", 1, 1 / lw, 1 / lc)
        variants = [("batched matmuls, CUDA graphs", "torch", True), ("batched matmuls, eager", "torch", False)] \
            if cuda else [("batched matmuls (kernel='torch')", "torch", False), ("fused kernels (default)", "auto", False)]
        for label, kernel, graphs in variants:
            eng = make_engine(X, Y, w, m, device, dtype, kernel, graphs)
            if graphs and eng.graphs is None:
                print(f"note: CUDA graph capture failed ({eng.graph_error}); skipped", file=sys.stderr)
                continue
            if dtype == "float32":
                steps = 3 if quick else 10
                ww, cc = best_of(lambda: eng.run(steps), device, repeat, cuda)
                row(label, m, m * steps / ww, m * steps / cc)
            else:
                ww, cc = best_of(lambda: eng.gradients(), device, repeat, cuda)
                row(label, m, m / ww, m / cc)
            eng = None  # free it before the next variant
        rows.append(("", dtype, "", f"roofline: matmul {peak / 1e9:,.1f} GFLOP/s, pass {bw / 1e9:,.1f} GB/s, "
                     f"{1e3 * t_roof:.2f} ms per step of {m}", 0, 0, 0, 0, 0))
    return rows


def bench_flow(m, w, n, d, device, t_max, sliding):
    X, Y = data(m, n, d, seed=1)
    with Clock() as c:
        r = train_flow(X, Y, width=w, n_models=m, init_scale=1e-4, t_max=t_max, rtol=1e-4, seed=list(range(m)),
                       device=device, checkpoints=0, progress=False, sliding=sliding)
    return c, r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    ap.add_argument("--threads", type=int, default=1, help="torch/numba threads (default 1)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, shorter flows")
    ap.add_argument("--no-flow", action="store_true", help="skip the end-to-end flow runs")
    args = ap.parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    cuda = device.type == "cuda"
    torch.set_num_threads(args.threads)
    repeat = 2 if args.quick else 4
    cpu_name = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu_name = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    name = torch.cuda.get_device_name(device) if cuda else f"CPU {cpu_name}, {os.cpu_count()} cores, {args.threads} thread(s)"
    print(f"\n### Trainer at the phase study's shapes -- {name}, torch {torch.__version__}, {platform.machine()}\n")
    print(f"load average before: {os.getloadavg()[0]:.2f}; rates are per CPU second{'' if cuda else ' of this process'} "
          "(wall rates in the last column but one)\n")
    print("| shape (nets x width x points) | dtype | what | method | network-steps/s | (wall) | ratio vs loop | "
          "GFLOP/s | roofline % |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for m, w, n, d in SHAPES:
        for shape, dtype, what, label, rate, rate_wall, ratio, gf, share in bench_shape(m, w, n, d, device, repeat,
                                                                                       args.quick, cuda):
            if not what:
                print(f"| {shape} | {dtype} | | *{label}* | | | | | |")
                continue
            print(f"| {shape} | {dtype} | {what} | {label} | {rate:,.0f} | {rate_wall:,.0f} | {ratio:,.1f}x | "
                  f"{gf:,.2f} | {share:.1f}% |")
    print(f"\nload average after the step benchmarks: {os.getloadavg()[0]:.2f}")
    if args.no_flow:
        return 0
    print("\n| flow (float64, init 1e-4, rtol 1e-4) | t_max | sliding | CPU s | wall s | flow time per CPU s "
          "(all nets) | gradient evals per net (mean) | evals per unit time | final loss (mean) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    flows = [(8, 1000, 256, 2, 20.0 if args.quick else 60.0), (64, 100, 32, 1, 100.0 if args.quick else 300.0)]
    for m, w, n, d, t_max in flows:
        # sliding modes are treated by default in 1D only (in 2D the one-point pins cycle: measured
        # 6,978 evaluations per network against 567 without, 8x1000x256, t_max 20)
        for sliding in ((False, True) if d == 1 else (False,)):
            c, r = bench_flow(m, w, n, d, device, t_max, sliding)
            ev = float(np.mean(r.n_evals))
            print(f"| {m}x{w}x{n} {d}D | {t_max:g} | {sliding} | {c.cpu:.1f} | {c.wall:.1f} | "
                  f"{m * t_max / (c.wall if cuda else c.cpu):,.1f} | {ev:,.0f} | {ev / t_max:,.1f} | "
                  f"{np.mean(r.final_loss):.6g} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
