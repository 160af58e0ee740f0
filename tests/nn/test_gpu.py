"""CUDA: same functions as on the CPU, CUDA-graph steps equal eager steps."""

import numpy as np
import pytest
import torch

from geoquant.nn import train_flow, train_gd

pytestmark = pytest.mark.gpu

RNG = np.random.default_rng(0)
X2 = RNG.uniform(-1, 1, (24, 2))
Y2 = np.sin(3 * X2[:, 0]) * X2[:, 1]
GRID = np.stack(np.meshgrid(np.linspace(-1, 1, 41), np.linspace(-1, 1, 41)), -1).reshape(-1, 2)
KW = dict(width=32, n_models=4, lr=[0.05, 0.1, 0.2, 0.3], init_scale=1e-2, seed=3, progress=False)


def test_default_device_is_cuda():
    r = train_gd(X2, Y2, n_steps=5, **KW)
    assert r.config["device"].startswith("cuda") and r.config["device_name"] == torch.cuda.get_device_name()


def test_same_init_and_same_function_on_cpu_and_gpu_float64():
    cpu = train_gd(X2, Y2, n_steps=777, dtype="float64", device="cpu", **KW)
    gpu = train_gd(X2, Y2, n_steps=777, dtype="float64", device="cuda", **KW)
    np.testing.assert_array_equal(cpu.init_W, gpu.init_W)
    assert gpu.config["cuda_graphs"] is True, gpu.config.get("cuda_graph_error")
    assert np.abs(cpu.predict(GRID)).max() > 0.05  # the networks moved
    np.testing.assert_allclose(gpu.predict(GRID), cpu.predict(GRID), rtol=0, atol=1e-9)
    np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-12), ("float32", 1e-5)])
def test_cuda_graph_step_equals_eager(dtype, atol):
    # 777 steps: replays of the 32-step graph plus single-step replays
    graph = train_gd(X2, Y2, n_steps=777, dtype=dtype, device="cuda", cuda_graphs=True, **KW)
    eager = train_gd(X2, Y2, n_steps=777, dtype=dtype, device="cuda", cuda_graphs=False, **KW)
    assert graph.config["cuda_graphs"] is True, graph.config.get("cuda_graph_error")
    assert eager.config["cuda_graphs"] is False
    np.testing.assert_allclose(graph.W, eager.W, rtol=0, atol=atol)
    np.testing.assert_allclose(graph.a, eager.a, rtol=0, atol=atol)
    np.testing.assert_array_equal(graph.steps, eager.steps)


def test_failures_and_tol_on_gpu_match_cpu():
    kw = dict(width=8, n_models=3, init="gaussian", init_scale=0.5, dtype="float64", seed=[1, 2, 3], progress=False)
    L0 = train_gd(X2, Y2, lr=0.1, n_steps=0, device="cpu", **kw).loss[0]
    args = dict(lr=[0.1, 500.0, 0.3], n_steps=3000, tol=2e-3, max_loss=[1e8, 10 * L0[1], 1e8], **kw)
    cpu = train_gd(X2, Y2, device="cpu", **args)
    gpu = train_gd(X2, Y2, device="cuda", **args)
    assert cpu.failed == gpu.failed and [i for i, _ in gpu.failed] == [1]
    assert cpu.converged == gpu.converged
    np.testing.assert_allclose(gpu.W, cpu.W, rtol=0, atol=1e-9)


def test_flow_on_gpu_matches_cpu():
    x = np.linspace(-1, 1, 6)
    y = np.abs(x) - 0.3
    kw = dict(width=50, init_scale=1e-4, t_max=40.0, seed=1, progress=False, checkpoints=0)
    cpu = train_flow(x, y, device="cpu", **kw)
    gpu = train_flow(x, y, device="cuda", **kw)
    grid = np.linspace(-1, 1, 201)
    # rounding may flip an accept/reject decision; the error control bounds the effect
    np.testing.assert_allclose(gpu.predict(grid), cpu.predict(grid), rtol=0, atol=1e-5)


def test_large_batch_runs_and_learns():
    r = train_gd(X2, Y2, width=256, n_models=512, lr=0.2, n_steps=500, init_scale=0.05, device="cuda", progress=False)
    assert r.config["cuda_graphs"] is True, r.config.get("cuda_graph_error")
    assert r.failed == []
    assert np.median(r.final_loss) < 0.5 * np.median(r.loss[0])
