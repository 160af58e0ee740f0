"""Benchmark: batched GD trainer vs the per-network loop a user would write.

Network-steps per second for many small ReLU networks (default 256 networks of
width 256 on 32 points in 2D, squared loss, full-batch GD), measured in the same
process for

* geoquant's batched trainer (all networks in one tensor program, hand-written
  gradients, CUDA graphs on GPU), steady state and end to end through
  ``train_gd``;
* the baseline: one ``nn.Sequential(Linear(2, 256), ReLU, Linear(256, 1,
  bias=False))`` with ``torch.optim.SGD`` and ``MSELoss`` per network, trained
  one after another.

It also reports the fraction of the machine's dense matmul rate reached (peak
measured with a large ``torch.matmul`` in the same process and dtype). FLOPs
of one network-step: forward ``2 n w (d+1) + 2 n w``, backward about twice
that, so ``3 (2 n w (d+1) + 2 n w)``.

Usage: ``python benchmarks/train.py [--device cpu|cuda] [--quick]``; prints a
markdown table (ratios are against the baseline on the same device).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geoquant.nn import train_gd  # noqa: E402
from geoquant.nn._setup import prepare  # noqa: E402
from geoquant.nn._engine import Engine  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_flops(n, width, d):
    forward = 2 * n * width * (d + 1) + 2 * n * width
    return 3 * forward


def peak_matmul(device, dtype, size, repeat=5):
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    torch.matmul(a, b)
    sync(device)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best


def batched_engine(X, y, width, n_models, device, graphs):
    prob = prepare(
        X, y, width=width, n_models=n_models, init_scale=1e-2, init="balanced", seed=0, device=device,
        dtype="float32", loss="squared", output_bias=False, depth=1, resume_from=None, method="gd",
    )
    eng = Engine(prob, lr=np.full(n_models, 0.05), tol=None, max_loss=np.full(n_models, np.inf),
                 frozen=np.zeros(n_models, dtype=bool))
    if graphs:
        eng.capture()
    return eng


def time_batched(eng, steps, device, repeat):
    eng.run(8)
    sync(device)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        eng.run(steps)
        sync(device)
        best = min(best, time.perf_counter() - t0)
    return best / steps  # seconds per step of all models


def time_baseline(X, y, width, device, n_nets, steps, repeat):
    Xt = torch.as_tensor(X, dtype=torch.float32, device=device)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device)[:, None]
    best = np.inf
    for _ in range(repeat):
        torch.manual_seed(0)
        nets = [
            torch.nn.Sequential(
                torch.nn.Linear(X.shape[1], width), torch.nn.ReLU(), torch.nn.Linear(width, 1, bias=False)
            ).to(device)
            for _ in range(n_nets)
        ]
        lossf = torch.nn.MSELoss()
        sync(device)
        t0 = time.perf_counter()
        for net in nets:  # one network after another, as a plain script would
            opt = torch.optim.SGD(net.parameters(), lr=0.05)
            for _ in range(steps):
                opt.zero_grad()
                loss = lossf(net(Xt), yt)
                loss.backward()
                opt.step()
        sync(device)
        best = min(best, (time.perf_counter() - t0) / (n_nets * steps))
    return best  # seconds per network-step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    ap.add_argument("--models", type=int, default=256)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--points", type=int, default=32)
    ap.add_argument("--dim", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--extra-models", type=int, default=None, help="also time a larger batch (GPU default 4096)")
    args = ap.parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    cuda = device.type == "cuda"
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (args.points, args.dim))
    y = np.sin(3 * X[:, 0]) * X[:, 1 % args.dim]
    m, w, n, d = args.models, args.width, args.points, args.dim
    repeat = 2 if args.quick else 4
    flops = step_flops(n, w, d)

    name = torch.cuda.get_device_name(device) if cuda else f"CPU ({torch.get_num_threads()} threads)"
    peak = peak_matmul(device, torch.float32, 8192 if cuda else 1536)

    rows = []
    # baseline: per-network loop
    base_nets, base_steps = (4, 100) if cuda else (4, 60)
    if args.quick:
        base_steps //= 2
    t_base = time_baseline(X, y, w, device, base_nets, base_steps, repeat)
    base_rate = 1.0 / t_base
    rows.append(("per-network loop (nn.Module + SGD)", 1, base_rate, base_rate * flops))

    variants = [("batched, CUDA graphs", True), ("batched, eager", False)] if cuda else [("batched", False)]
    sizes = [m]
    if cuda:
        sizes.append(args.extra_models or 4096)
    elif args.extra_models:
        sizes.append(args.extra_models)
    for size in sizes:
        for label, graphs in variants:
            eng = batched_engine(X, y, w, size, device, graphs)
            if graphs and eng.graphs is None:
                print(f"note: CUDA graph capture failed ({eng.graph_error}); skipped", file=sys.stderr)
                continue
            steps = (400 if size <= 512 else 100) if cuda else max(4, 40 // max(1, size // 256))
            if args.quick:
                steps = max(4, steps // 2)
            t = time_batched(eng, steps, device, repeat)
            rate = size / t
            rows.append((f"{label}, {size} nets", size, rate, rate * flops))
            del eng

    # end to end through the public API (setup, init, capture, records included)
    steps_e2e = 2000 if cuda else 100
    t0 = time.perf_counter()
    train_gd(X, y, width=w, n_models=m, n_steps=steps_e2e, lr=0.05, init_scale=1e-2, device=device,
             checkpoints=5, records=20, progress=False)
    sync(device)
    e2e = m * steps_e2e / (time.perf_counter() - t0)
    rows.append((f"train_gd end to end, {m} nets, {steps_e2e} steps", m, e2e, e2e * flops))

    print(f"\n### Batched GD trainer vs per-network loop -- {name}, torch {torch.__version__}\n")
    print(f"{m} networks of width {w}, {n} points in {d}D, float32, squared loss, full-batch GD. "
          f"FLOPs per network-step {flops:,}; dense float32 matmul peak measured {peak / 1e9:,.0f} GFLOP/s.\n")
    print("| method | networks | network-steps/s | ratio vs loop | GFLOP/s | % of matmul peak |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, size, rate, fl in rows:
        print(f"| {label} | {size} | {rate:,.0f} | {rate / base_rate:,.1f}x | {fl / 1e9:,.2f} | {100 * fl / peak:.2f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
