"""The fused CPU kernels of the depth-1 step: gradients against autograd and a float64 numpy
reference, the relu'(0) = 0 convention, skipped models, NaN weights, the one-call GD step
(torch's loss arithmetic reproduced bit for bit), and the trainer on all paths."""

import numpy as np
import pytest
import torch

from geoquant.nn import _engine, train_flow, train_gd
from geoquant.nn import _fused as fz
from geoquant.nn import _fused_gd
from geoquant.nn._losses import SQUARED
from geoquant.nn._model import augment, batched_T, loss_and_grads_autograd, loss_from_outputs


def _run(W, a, Xt, y, active=None, loss="squared"):
    """Loss and (gW, ga) through the fused kernels (the engine's arithmetic, without the engine)."""
    m, k, p = W.shape
    n = Xt.shape[-2]
    XT = batched_T(Xt, m).contiguous().numpy()
    act = np.ones(m, dtype=bool) if active is None else active
    f = np.empty((m, n), dtype=W.numpy().dtype)
    fz.forward_outputs(W.numpy(), a.numpy(), XT, act, f)
    L, r = loss_from_outputs(torch.from_numpy(f), y, loss)
    G = np.empty((m, k, p), dtype=f.dtype)
    ga = np.empty((m, k), dtype=f.dtype)
    fz.backward_sums(W.numpy(), XT, r.contiguous().numpy(), act, G, ga)
    return torch.from_numpy(f), L, torch.from_numpy(G) * a.unsqueeze(2), torch.from_numpy(ga)


def _problem(d, dtype, m=3, k=9, n=13, seed=0, shared=False):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(m, k, d + 1, generator=g, dtype=torch.float64)
    a = torch.randn(m, k, generator=g, dtype=torch.float64)
    X = torch.rand((n, d) if shared else (m, n, d), generator=g, dtype=torch.float64) * 2 - 1
    y = torch.randn(m, n, generator=g, dtype=torch.float64)
    return W.to(dtype), a.to(dtype), augment(X).to(dtype), y.to(dtype)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("shared", [True, False])
def test_fused_gradients_equal_autograd_float64(d, loss, shared):
    W, a, Xt, y = _problem(d, torch.float64, shared=shared)
    if loss == "logistic":
        y = torch.where(y > 0, 1.0, -1.0).to(torch.float64)
    _, L, gW, ga = _run(W, a, Xt, y, loss=loss)
    L2, gW2, ga2, _, _ = loss_and_grads_autograd(W, a, None, Xt, y, loss)
    torch.testing.assert_close(L, L2, rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(gW, gW2, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(ga, ga2, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("d,k", [(1, 50), (1, 150), (2, 50)])
def test_fused_float32_agrees_with_numpy_float64_reference(d, k):
    # d = 1, float32: neurons in vector lanes (one partial block of fz.NEURON_BLOCK; two whole and a partial)
    W, a, Xt, y = _problem(d, torch.float64, m=2, k=k, n=40, seed=4)
    # independent reference: numpy float64, written out with explicit masks
    Wn, an, Xn, yn = W.numpy(), a.numpy(), Xt.numpy(), y.numpy()
    Z = np.einsum("mkp,mnp->mkn", Wn, Xn)
    f = np.einsum("mk,mkn->mn", an, np.maximum(Z, 0.0))
    r = (f - yn) / yn.shape[1]
    ga_ref = np.einsum("mn,mkn->mk", r, np.maximum(Z, 0.0))
    gW_ref = an[:, :, None] * np.einsum("mn,mkn,mnp->mkp", r, (Z > 0).astype(float), Xn)
    f32 = [t.to(torch.float32) for t in (W, a, Xt, y)]
    f_out, L, gW, ga = _run(*f32)
    assert f_out.dtype == torch.float32 and gW.dtype == torch.float32
    np.testing.assert_allclose(f_out.numpy(), f, rtol=1e-5, atol=1e-5 * np.abs(f).max())
    np.testing.assert_allclose(gW.numpy(), gW_ref, rtol=1e-4, atol=1e-5 * np.abs(gW_ref).max())
    np.testing.assert_allclose(ga.numpy(), ga_ref, rtol=1e-4, atol=1e-5 * np.abs(ga_ref).max())


def test_relu_derivative_at_zero_is_zero():
    # neuron z = x - 0.5 has its kink exactly on the data point x = 0.5 (z = 0 exactly)
    W = torch.tensor([[[1.0, -0.5]]], dtype=torch.float64)
    a = torch.tensor([[2.0]], dtype=torch.float64)
    Xt = augment(torch.tensor([[[0.5], [1.0]]], dtype=torch.float64))
    y = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    f, L, gW, ga = _run(W, a, Xt, y)
    # f = (0, 1); r = (f - y)/2 = (-0.5, 0.5); only x = 1 is active
    np.testing.assert_array_equal(f.numpy(), [[0.0, 1.0]])
    np.testing.assert_allclose(gW.numpy(), [[[2.0 * 0.5 * 1.0, 2.0 * 0.5]]])
    np.testing.assert_allclose(ga.numpy(), [[0.5 * 0.5]])


def test_inactive_models_are_skipped_and_nan_weights_give_nan_outputs():
    W, a, Xt, y = _problem(2, torch.float64, m=3)
    W[1, 4, 0] = float("nan")
    f, L, gW, ga = _run(W, a, Xt, y, active=np.array([True, True, False]))
    assert np.all(np.isnan(f[1].numpy())) and bool(torch.isnan(L[1]))
    np.testing.assert_array_equal(f[2].numpy(), 0.0)
    np.testing.assert_array_equal(gW[2].numpy(), 0.0)
    np.testing.assert_array_equal(ga[2].numpy(), 0.0)
    f_all, L_all, gW_all, _ = _run(W[[0]], a[[0]], Xt[[0]], y[[0]])
    np.testing.assert_array_equal(gW[0].numpy(), gW_all[0].numpy())


@pytest.mark.parametrize("where", ["W", "a"])
def test_an_infinite_weight_gives_nan_outputs(where):
    W, a, Xt, y = _problem(1, torch.float32, m=3, k=70)
    (W[1, 66, 0] if where == "W" else a[1, 5]).fill_(float("-inf"))
    f, L, _, _ = _run(W, a, Xt, y)
    assert np.all(np.isnan(f[1].numpy())) and bool(torch.isnan(L[1]))
    assert np.all(np.isfinite(f[[0, 2]].numpy()))


def test_thread_count_does_not_change_results():
    W, a, Xt, y = _problem(2, torch.float64, m=6, k=40, n=30, seed=2)
    one = _run(W, a, Xt, y)
    fz.set_threads(2)
    old = fz.PARALLEL_MIN_WORK
    fz.PARALLEL_MIN_WORK = 1
    try:
        two = _run(W, a, Xt, y)
    finally:
        fz.set_threads(1)
        fz.PARALLEL_MIN_WORK = old
    for u, v in zip(one, two):
        np.testing.assert_array_equal(u.numpy(), v.numpy())


X1 = np.linspace(-1, 1, 9)
Y1 = np.sin(3 * X1)


def _gd(**kw):
    return train_gd(X1, Y1, width=20, n_models=3, init_scale=0.3, lr=0.05, n_steps=400, dtype="float64",
                    seed=5, checkpoints=0, progress=False, **kw)


def test_gd_fused_agrees_with_the_matmul_path(monkeypatch):
    fused = _gd()
    assert fused.config["kernel"] == "fused-cpu"
    monkeypatch.setattr(_engine, "_fused_kernels", lambda: None)
    ref = _gd()
    assert ref.config["kernel"] == "torch"
    np.testing.assert_allclose(fused.W, ref.W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fused.loss, ref.loss, rtol=1e-9, atol=1e-14)
    # and the same seed gives the same result on the same device
    again = _gd()
    np.testing.assert_array_equal(_gd().W, again.W)


def test_gd_tol_and_failures_behave_alike_on_both_paths(monkeypatch):
    kw = dict(tol=[1e-3, 1e-30, 1e-30], lr=[0.05, 0.05, 50.0], records=50)
    kw_run = dict(width=20, n_models=3, init_scale=0.3, n_steps=400, dtype="float64", seed=5, checkpoints=0,
                  progress=False)
    fused = train_gd(X1, Y1, **kw, **kw_run)
    monkeypatch.setattr(_engine, "_fused_kernels", lambda: None)
    ref = train_gd(X1, Y1, **kw, **kw_run)
    assert [i for i, _ in fused.converged] == [i for i, _ in ref.converged]
    assert [i for i, _ in fused.failed] == [i for i, _ in ref.failed] == [2]
    np.testing.assert_array_equal(fused.n_evals, ref.n_evals)


def test_flow_fused_agrees_with_the_matmul_path(monkeypatch):
    kw = dict(width=20, n_models=2, init_scale=0.1, t_max=20.0, seed=1, checkpoints=0, progress=False,
              sliding=False)
    fused = train_flow(X1, Y1, **kw)
    monkeypatch.setattr(_engine, "_fused_kernels", lambda: None)
    ref = train_flow(X1, Y1, **kw)
    grid = np.linspace(-1, 1, 101)
    np.testing.assert_allclose(fused.predict(grid), ref.predict(grid), atol=1e-7)


def test_flow_sliding_bookkeeping_agrees_on_both_paths(monkeypatch):
    # the pins' numba bookkeeping (CPU) against its torch version (what CUDA runs)
    xs = np.linspace(-1, 1, 12) + 0.03 * np.sin(7 * np.arange(12))
    xs[0], xs[-1] = -1.0, 1.0
    ys = 1 / (1 + 25 * xs**2)
    kw = dict(width=20, n_models=2, init_scale=1e-3, seed=[0, 1], checkpoints=0, progress=False, t_max=80.0)
    fused = train_flow(xs, ys - ys.mean(), **kw)
    monkeypatch.setattr(_engine, "_fused_kernels", lambda: None)
    ref = train_flow(xs, ys - ys.mean(), **kw)
    assert fused.config["sliding_events"]["pinned"] > 0
    assert fused.config["sliding_events"] == ref.config["sliding_events"]
    grid = np.linspace(-1, 1, 401)
    np.testing.assert_allclose(fused.predict(grid), ref.predict(grid), atol=1e-9)


def test_point_blocks_do_not_change_the_sums():
    # the 1D forward sums whole blocks of points in registers and the rest point by point; a point
    # gets the same bits either way (the same sum over neurons in the same order)
    nb_ = fz.POINT_BLOCK
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, nb_ + 7)
    x[nb_:] = x[:7]  # the tail repeats the first points of the block
    for dt in (np.float32, np.float64):
        W = rng.standard_normal((2, 37, 2)).astype(dt)
        a = rng.standard_normal((2, 37)).astype(dt)
        XT = np.stack([np.stack([x, np.ones_like(x)])] * 2).astype(dt)
        f = np.empty((2, x.size), dtype=dt)
        fz.forward_outputs(W, a, XT, np.ones(2, dtype=bool), f)
        np.testing.assert_array_equal(f[:, nb_:], f[:, :7])
        ref = np.einsum("mk,mkn->mn", a.astype(float), np.maximum(np.einsum("mkp,mpn->mkn", W.astype(float),
                                                                                XT.astype(float)), 0))
        np.testing.assert_allclose(f, ref, rtol=1e-4 if dt == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_kernel_loss_is_torchs_bit_for_bit(dtype):
    # the one-call step computes loss, residual and dL/dc in numba, summed in torch's order; for
    # every length (short rows, vector tails, the cascade of long rows) the bits must be torch's
    g = torch.Generator().manual_seed(0)
    lanes = _fused_gd.torch_sum_lanes(dtype, 3, 32, True)
    if not lanes:
        pytest.skip("this torch sums rows in an order the kernel does not reproduce (the engine falls back)")
    for n in list(range(1, 40)) + [63, 64, 65, 257, 1100, 4099]:
        f, y = torch.randn((2, 3, n), generator=g, dtype=torch.float64).to(dtype)
        c = torch.randn(3, generator=g, dtype=torch.float64).to(dtype)
        for cc in (None, c):
            L, r = SQUARED.value_and_residual(f if cc is None else f + cc.unsqueeze(1), y)
            L2, r2, gc2 = _fused_gd.squared_loss_rows(f.numpy(), y.numpy(), None if cc is None else cc.numpy(), lanes)
            np.testing.assert_array_equal(L2, L.numpy(), err_msg=f"n={n}")
            np.testing.assert_array_equal(r2, r.numpy())
            np.testing.assert_array_equal(gc2, r.sum(dim=1).numpy(), err_msg=f"n={n}")
    # a plain left-to-right sum differs from torch's for most rows of this length
    x = torch.randn(200, 100, generator=g, dtype=torch.float64).to(dtype)
    seq = x.numpy().astype(x.numpy().dtype).cumsum(axis=1)[:, -1]
    assert not np.array_equal(seq, x.sum(dim=1).numpy())


def _no_one_call_step(monkeypatch):
    """The step as it was before the one-call kernel: fused forward, torch loss and masks, fused backward."""
    monkeypatch.setattr(_engine.Engine, "_fused_step_setup", lambda self: {})


_RUNS = [
    # (points, values, keyword arguments): tol, a diverging model, output bias, 1D and 2D, shared and per-model data
    (X1, Y1, dict(width=20, n_models=3, init_scale=0.3, lr=[0.05, 0.05, 50.0], n_steps=300, tol=[0.1, 1e-30, 1e-30],
                  seed=5, records=40)),
    (X1, Y1, dict(width=70, n_models=2, init_scale=0.3, lr=0.1, n_steps=200, output_bias=True, seed=[1, 2])),
    (np.random.default_rng(0).uniform(-1, 1, (2, 15, 2)), np.random.default_rng(1).normal(size=(2, 15)),
     dict(width=9, n_models=2, init_scale=0.5, lr=[0.2, 1e4], n_steps=150, tol=1e-4, seed=3, output_bias=True)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(_RUNS)))
def test_one_call_step_is_bit_identical_to_the_torch_ops_step(monkeypatch, dtype, case):
    X, Y, kw = _RUNS[case]
    lanes = _fused_gd.torch_sum_lanes(getattr(torch, dtype), kw["n_models"], len(Y) if np.ndim(Y) == 1 else
                                    np.shape(Y)[-1], bool(kw.get("output_bias")))
    if not lanes:
        pytest.skip("this torch sums rows in an order the kernel does not reproduce (the engine falls back)")
    new = train_gd(X, Y, dtype=dtype, checkpoints=4, progress=False, **kw)
    _no_one_call_step(monkeypatch)
    old = train_gd(X, Y, dtype=dtype, checkpoints=4, progress=False, **kw)
    for name in ("W", "a", "loss", "n_evals", "steps"):
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name), err_msg=name)
    np.testing.assert_array_equal(new.checkpoints.W, old.checkpoints.W)
    if kw.get("output_bias"):
        np.testing.assert_array_equal(new.c, old.c)
    assert new.failed == old.failed and new.converged == old.converged
    if case == 0:
        assert [i for i, _ in new.failed] == [2] and [i for i, _ in new.converged] == [0]


def test_one_call_step_freezes_nan_and_diverged_models():
    # model 0 has a NaN weight (loss NaN at step 0), model 1 diverges, model 2 trains: the first two
    # stop with the loss recorded and their weights frozen where they stopped
    from geoquant.nn._setup import prepare

    prob = prepare(X1, Y1, width=80, n_models=3, init_scale=0.3, init="gaussian", seed=2, device="cpu",
                   dtype="float32", loss="squared", output_bias=False, depth=1, resume_from=None, method="gd")
    eng = _engine.Engine(prob, lr=np.array([0.05, 200.0, 0.05]), tol=None, max_loss=np.full(3, 1e3),
                         frozen=np.zeros(3, dtype=bool))
    eng.W[0, 3, 1] = float("nan")
    W_before = eng.W.clone()
    eng.run(1)
    assert eng._gd, "the one-call step ran"
    assert eng.active.tolist() == [False, True, True]
    assert eng.fail_step.tolist()[0] == 0 and torch.isnan(eng.fail_loss[0])
    torch.testing.assert_close(eng.W[0], W_before[0], equal_nan=True)
    eng.run(60)
    assert eng.active.tolist() == [False, False, True]
    assert eng.fail_step[1] > 0 and eng.fail_loss[1] > 1e3
    stopped = eng.W[1].clone()
    eng.run(5)
    torch.testing.assert_close(eng.W[1], stopped)
    assert eng.failure_codes().tolist()[:2] == [1, 2] and int(eng.step_t) == 66


@pytest.mark.slow  # compiling the parallel kernel takes ~25 s on a loaded machine (then cached)
def test_one_call_step_on_two_threads_is_bit_identical(monkeypatch):
    # the parallel kernel (one model per task) gives the bits of the serial one
    kw = dict(width=30, n_models=4, init_scale=0.3, lr=[0.05, 0.1, 0.2, 90.0], n_steps=120, dtype="float32", seed=4,
              tol=[1e-30, 0.05, 1e-30, 1e-30], checkpoints=0, progress=False)
    one = train_gd(X1, Y1, **kw)
    threads = torch.get_num_threads()
    monkeypatch.setattr(fz, "PARALLEL_MIN_WORK", 1)
    torch.set_num_threads(2)
    try:
        two = train_gd(X1, Y1, **kw)
    finally:
        torch.set_num_threads(threads)
        fz.set_threads(1)
    np.testing.assert_array_equal(two.W, one.W)
    np.testing.assert_array_equal(two.loss, one.loss)
    assert two.failed == one.failed and two.converged == one.converged and len(one.failed) == 1
