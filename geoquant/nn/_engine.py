"""The training engine: device state, the masked GD step, schedules, records, stopping and results.

One engine serves both trainers (:func:`geoquant.nn.train_gd` and
:func:`geoquant.nn.train_flow` are thin front-ends that validate their
arguments and call :func:`run_gd` or :func:`geoquant.nn._engine_flow.run_flow`).

All ``n_models`` networks live in stacked tensors (see :mod:`._model`) and one
step of all of them is a handful of batched matrix products; the gradients are
written by hand (depth 1), the update is plain ``theta -= lr * grad`` with a
per-model learning rate -- no ``torch.optim`` in the loop.

On the CPU the depth-1 step runs in the fused kernels of :mod:`geoquant.nn._fused`
(no ``(n_models, width, n_points)`` temporaries, stopped models skipped); under the
squared loss the whole step is one kernel call (:func:`geoquant.nn._fused_gd.gd_step`,
bit-identical to the step written with torch operations, which runs for other losses);
on CUDA, or without numba, in batched products (:mod:`geoquant.nn._model`); ``config["kernel"]``.

The loop never waits for the device between records: per-model events
(reaching ``tol``, a NaN/inf or a diverging loss) are written into device mask
tensors inside the step, models that stop are frozen by masking their update,
and the host reads the masks only at the log-spaced record steps. On CUDA a
step (and a block of steps) is captured once in a CUDA graph and replayed;
when capture fails the loop runs eagerly.

Losses come from the loss table (:mod:`geoquant.nn._losses`): squared loss
``L = 1/2 * mean_i (f(x_i) - y_i)^2`` (residual weights ``rho_i = (y_i - f(x_i)) / n``),
logistic loss ``L = mean_i log(1 + exp(-y_i f(x_i)))``, or a registered one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import InvalidInputError
from ._checkpoint import MAX_SCHEDULE, Checkpoints, check_schedule_arg, log_schedule
from ._events import (
    FAIL_DIVERGED,
    FAIL_NONFINITE_LOSS,
    FAIL_NONFINITE_PARAMS,
    failure_reason,
    recorded_plateaus,
)
from ._model import (
    batched_T,
    forward,
    forward_hidden,
    grads_from_residual,
    loss_and_grads_autograd,
    loss_from_outputs,
)
from ._result import TrainResult
from ._setup import per_model

__all__ = [
    "Engine",
    "run_gd",
    "check_schedule_arg",
    "progress_bar",
    "finish_result",
    "resolve_max_loss",
    "frozen_models",
    "GRAPH_BLOCK",
    "MAX_SCHEDULE",
]

# steps per replay of the large CUDA graph; a record interval is covered by
# replays of it plus single-step replays
GRAPH_BLOCK = 32


def _fused_kernels():
    """The fused CPU kernels (:mod:`geoquant.nn._fused`), or None where numba cannot be imported."""
    try:
        from . import _fused
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return _fused


def progress_bar(progress, total, desc, unit="step"):
    """tqdm bar: ``progress=None`` shows it on a terminal only, False never, True always."""
    from tqdm.auto import tqdm

    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise InvalidInputError(f"'progress' must be None, True or False, found {progress!r}")
    disable = None if progress is None else not bool(progress)
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, leave=False)


class Engine:
    """Device state of a batch of networks and the masked, in-place GD step.

    Holds parameters, data, per-model learning rates and the event masks as
    tensors on the training device. ``kernel="torch"`` uses the batched matrix
    products on the CPU too (the reference for the fused kernels; benchmarks).
    :meth:`step` reads and writes only those
    tensors (no host synchronisation, no Python branch on device values), so it
    can be captured in a CUDA graph.
    """

    def __init__(self, prob, *, lr, tol, max_loss, frozen, kernel="auto"):
        self.prob = prob
        dev, dt = prob.device, prob.dtype
        self.params = prob.device_params()
        self.Xt, self.y = prob.device_data()
        self.XtT = batched_T(self.Xt, prob.n_models)
        self.loss_name = prob.loss
        self.has_c = prob.output_bias
        self.depth = prob.depth
        m = prob.n_models
        self.lr = torch.as_tensor(lr, dtype=dt, device=dev)
        # a scalar or one loss tolerance per model
        self.tol = None if tol is None else torch.as_tensor(np.asarray(tol, dtype=np.float64), dtype=dt, device=dev)
        self.max_loss = torch.as_tensor(max_loss, dtype=dt, device=dev)
        self.active = torch.as_tensor(~frozen, device=dev)
        self.fail_loss = torch.zeros(m, dtype=dt, device=dev)
        self.fail_step = torch.full((m,), -1, dtype=torch.int64, device=dev)
        self.conv_step = torch.full((m,), -1, dtype=torch.int64, device=dev)
        self.step_t = torch.zeros((), dtype=torch.int64, device=dev)
        self.fused: Any = None  # the module geoquant.nn._fused when its kernels run (depth 1 on the CPU)
        if self.depth == 1 and dev.type == "cpu" and kernel == "auto":
            self.fused = _fused_kernels()
        if self.fused is not None:
            # contiguous per-model inputs (d + 1, n_points): the kernels' inner loops run over points
            self.XT_np = self.XtT.contiguous().numpy()
            self.fused.set_threads(torch.get_num_threads())
            self.f_buf = torch.empty((m, prob.n_points), dtype=dt)
            self.G_buf = torch.empty((m, prob.width, prob.n_dims + 1), dtype=dt)
            self.ga_buf = torch.empty((m, prob.width), dtype=dt)
            self.lr_np = self.lr.numpy()
        elif self.depth == 1:
            shape = (m, prob.width, prob.n_points)
            self.ws = {"Z": torch.empty(shape, dtype=dt, device=dev), "M": torch.empty(shape, dtype=dt, device=dev)}
        self.kernel = "fused-cpu" if self.fused is not None else "torch"
        self._gd: dict[str, Any] | None = None  # the one-call fused GD step's arrays (set up by the first step)
        self.graphs = None
        self.graph_error = None

    # -- views ---------------------------------------------------------------
    @property
    def W(self):
        return self.params[0]

    @property
    def a(self):
        return self.params[1]

    @property
    def c(self):
        return self.params[2] if self.has_c else None

    @property
    def hidden(self):
        return tuple(self.params[3 if self.has_c else 2 :])

    def _state(self):
        return self.params + [self.active, self.fail_loss, self.fail_step, self.conv_step, self.step_t]

    # -- maths ---------------------------------------------------------------
    def outputs(self, W, a, c, active=None, out=None):
        """Depth 1: network outputs ``(n_models, n_points)`` and the state :meth:`sums` needs.

        ``active``: on the fused CPU path only these models are computed (others: 0).
        """
        if self.fused is not None:
            f = torch.empty((W.shape[0], self.prob.n_points), dtype=W.dtype) if out is None else out
            act = np.ones(W.shape[0], dtype=bool) if active is None else active.numpy()
            self.fused.forward_outputs(W.detach().numpy(), a.detach().numpy(), self.XT_np, act, f.numpy())
            if c is not None:
                f = f + c.unsqueeze(1)
            return f, None
        H, f = forward_hidden(W, a, c, self.XtT, workspace=self.ws)
        return f, H

    def sums(self, W, a, r, H, active=None):
        """Depth 1: ``(G, ga, gc)`` from ``r = dL/df``: ``dL/dW_j = a_j G_j``, ``dL/da``, ``dL/dc``.

        ``H`` is the state returned by :meth:`outputs`; models outside ``active`` get 0 (fused path).
        """
        gc = r.sum(dim=1) if self.has_c else None
        if self.fused is not None:
            m, k, p = W.shape
            G, ga = torch.empty((m, k, p), dtype=W.dtype), torch.empty((m, k), dtype=W.dtype)
            act = np.ones(m, dtype=bool) if active is None else active.numpy()
            self.fused.backward_sums(W.detach().numpy(), self.XT_np, r.contiguous().numpy(), act, G.numpy(),
                                     ga.numpy())
            return G, ga, gc
        G, ga, _ = grads_from_residual(H, r, a, self.XtT, workspace=self.ws, with_c=False, scale_by_a=False)
        return G, ga, gc

    def gradients(self, params=None, active=None):
        """``(L, grads)`` at ``params`` (default: the current ones), grads in params order.

        ``active`` (depth 1, fused CPU path): only these models are computed (others: 0).
        """
        p = self.params if params is None else params
        W, a = p[0], p[1]
        c = p[2] if self.has_c else None
        hidden = tuple(p[3 if self.has_c else 2 :])
        if self.depth == 1:
            f, H = self.outputs(W, a, c, active)
            L, r = loss_from_outputs(f, self.y, self.loss_name)
            G, ga, gc = self.sums(W, a, r, H, active)
            gW = G * a.unsqueeze(2)
            return L, [gW, ga] + ([gc] if c is not None else [])
        L, gW, ga, gc, gh = loss_and_grads_autograd(W, a, c, self.Xt, self.y, self.loss_name, hidden)
        return L, [gW, ga] + ([gc] if c is not None else []) + list(gh)

    @torch.no_grad()
    def loss(self, params=None) -> torch.Tensor:
        """``(n_models,)`` loss at ``params`` (forward only)."""
        p = self.params if params is None else params
        c = p[2] if self.has_c else None
        if self.depth == 1:
            f, _ = self.outputs(p[0], p[1], c)
        else:
            f = forward(p[0], p[1], self.Xt, c, tuple(p[3 if self.has_c else 2 :]))
        return loss_from_outputs(f, self.y, self.loss_name)[0]

    @torch.no_grad()
    def step(self):
        """One masked GD step of every active model, in place.

        A model is updated only while active; it stops (is frozen) when its loss
        reaches ``tol``, or fails when its loss is NaN/inf or above
        ``max_loss`` or its gradient is NaN/inf. Masks, codes and steps are
        written on the device.

        Depth 1 masks cheaply by zeroing the residual of stopped models (their
        gradient is then exactly 0). The one case this cannot hold back is a
        gradient that overflows while the loss is still finite (activations
        near the float maximum); such a model is marked failed at that step
        with the non-finite update applied.
        """
        if self.fused is not None and self.depth == 1:
            if self._gd is None:
                self._gd = self._fused_step_setup()
            if self._gd:
                from . import _fused_gd

                _fused_gd.step(self, self._gd)
                return
        act = self.active
        gsum = None
        if self.depth == 1:
            L, grads, ok, gsum = self._fused_gradients(act)
        else:
            L, grads = self.gradients()
            ok = self._decide(L, act)
        if gsum is None:
            gsum = grads[0].sum(dim=(1, 2))
            for g in grads[1:]:
                gsum = gsum + (g.sum(dim=tuple(range(1, g.dim()))) if g.dim() > 1 else g)
        elif self.has_c:
            gsum = gsum + grads[2]
        # x - x == 0 fails exactly for NaN/inf: a gradient that overflowed with a finite loss
        bad_grad = ok & ~((gsum - gsum) == 0)
        ok = ok & ~bad_grad
        if self.fused is not None:
            # the fused kernel applied the W and a updates (see _fused_gradients)
            if self.has_c:
                self.params[2].addcmul_(self.lr, grads[2], value=-1.0)
        elif self.depth == 1:
            # the residual of every stopped model was zeroed, so its gradient is
            # exactly 0 (finite activations times 0) and the plain update leaves it
            # in place; a_j is folded into the W update (gW holds sum r 1[z>0] x~)
            W, a = self.params[0], self.params[1]
            W.addcmul_(self.lr.view(-1, 1, 1) * a.unsqueeze(2), grads[0], value=-1.0)
            a.addcmul_(self.lr.view(-1, 1), grads[1], value=-1.0)
            if self.has_c:
                self.params[2].addcmul_(self.lr, grads[2], value=-1.0)
        else:
            for p, g in zip(self.params, grads):
                shape = (-1,) + (1,) * (p.dim() - 1)
                # masking the gradient (not the product) keeps NaNs of stopped models out
                p.addcmul_(self.lr.view(shape), torch.where(ok.view(shape), g, 0.0), value=-1.0)
        failed_now = act & ~ok & ~self._converged_now
        # the host reads the reason off the loss at failure (see failure_codes)
        self.fail_loss.copy_(torch.where(failed_now, L, self.fail_loss))
        self.fail_step.copy_(torch.where(failed_now, self.step_t, self.fail_step))
        self.active.copy_(ok)
        self.step_t.add_(1)

    def _fused_step_setup(self) -> dict[str, Any]:
        """Arrays of the one-call step (:mod:`geoquant.nn._fused_gd`), or ``{}`` where it does not apply."""
        from . import _fused_gd

        return _fused_gd.setup(self)

    def _decide(self, L, act):
        """Models that take this step: active, loss above ``tol``, finite and below ``max_loss``."""
        if self.tol is not None:
            conv = act & (L <= self.tol)
            self.conv_step.copy_(torch.where(conv, self.step_t, self.conv_step))
            act = act & ~conv
            self._converged_now = conv
        else:
            self._converged_now = torch.zeros_like(act)
        # one comparison rejects NaN, inf and a diverging loss (NaN compares False)
        return act & (L <= self.max_loss)

    def _fused_gradients(self, act):
        """Depth 1: forward, decide, then gradients with stopped models' residuals zeroed.

        The fused CPU kernels skip the models that do not step and apply the
        update of ``W`` and ``a`` themselves, neuron by neuron (its sums need only
        its old weights); they return the gradient sum per model (None otherwise).
        """
        fused = self.fused is not None
        f, H = self.outputs(self.W, self.a, self.c, act, out=self.f_buf if fused else None)
        L, r = loss_from_outputs(f, self.y, self.loss_name)
        ok = self._decide(L, act)
        r = torch.where(ok.unsqueeze(1), r, 0.0)
        if not fused:
            G, ga, gc = self.sums(self.W, self.a, r, H, ok)
            return L, [G, ga] + ([gc] if gc is not None else []), ok, None
        gsum = torch.empty(self.prob.n_models, dtype=self.W.dtype)
        self.fused.backward_sums(self.W.numpy(), self.XT_np, r.contiguous().numpy(), ok.numpy(), self.G_buf.numpy(),
                                 self.ga_buf.numpy(), a=self.a.numpy(), lr=self.lr_np, gsum=gsum.numpy())
        gc = r.sum(dim=1) if self.has_c else None
        return L, [self.G_buf, self.ga_buf] + ([gc] if gc is not None else []), ok, gsum

    def failure_codes(self) -> np.ndarray:
        """``(n_models,)`` failure codes (0: none) read from the device."""
        step = self.fail_step.cpu().numpy()
        L = self.fail_loss.cpu().numpy().astype(np.float64)
        mx = self.max_loss.cpu().numpy().astype(np.float64)
        code = np.where(~np.isfinite(L), FAIL_NONFINITE_LOSS, np.where(L > mx, FAIL_DIVERGED, FAIL_NONFINITE_PARAMS))
        return np.where(step >= 0, code, 0)

    # -- CUDA graphs ---------------------------------------------------------
    def capture(self):
        """Capture the step in CUDA graphs (no-op off CUDA); on failure stay eager.

        Only the hand-written depth-1 step is captured (checked on an H200:
        the captured step equals the eager one); deeper networks use autograd
        and run eagerly.
        """
        if self.prob.device.type != "cuda":
            return
        if self.depth != 1:
            self.graph_error = "CUDA graphs are used for depth 1 only; ran eagerly"
            return
        state = self._state()
        backup = [t.clone() for t in state]
        try:
            side = torch.cuda.Stream(device=self.prob.device)
            side.wait_stream(torch.cuda.current_stream(self.prob.device))
            with torch.cuda.stream(side):
                for _ in range(3):  # warm-up: kernels chosen, workspaces allocated
                    self.step()
            torch.cuda.current_stream(self.prob.device).wait_stream(side)
            graphs = {}
            for k in (1, GRAPH_BLOCK):
                g = torch.cuda.CUDAGraph()
                with torch.cuda.graph(g):
                    for _ in range(k):
                        self.step()
                graphs[k] = g
            self.graphs = graphs
        except Exception as exc:  # capture is an optimisation: fall back to eager
            self.graphs = None
            self.graph_error = f"{type(exc).__name__}: {exc}"
        finally:
            for t, b in zip(state, backup):
                t.copy_(b)

    def run(self, n: int):
        """Advance ``n`` steps without synchronising with the host."""
        if self.graphs is not None:
            q, r = divmod(n, GRAPH_BLOCK)
            for _ in range(q):
                self.graphs[GRAPH_BLOCK].replay()
            for _ in range(r):
                self.graphs[1].replay()
        else:
            for _ in range(n):
                self.step()

    # -- host reads (synchronising) -----------------------------------------
    def params_numpy(self, dtype=None):
        out = [p.detach().cpu().numpy() for p in self.params]
        if dtype is not None:
            out = [o.astype(dtype) for o in out]
        return out

    def split(self, arrays):
        """``(W, a, c, hidden)`` from a params-ordered list."""
        W, a = arrays[0], arrays[1]
        c = arrays[2] if self.has_c else None
        return W, a, c, tuple(arrays[3 if self.has_c else 2 :])


def resolve_max_loss(max_loss, L0: np.ndarray, prev, n_models: int) -> np.ndarray:
    """Per-model divergence threshold.

    Default: ``1e8 * max(initial loss, 1)`` -- a loss that far above both the
    initial loss and 1 only comes from an exploding step (NaN/inf are caught
    separately). A resumed run keeps its threshold.
    """
    if max_loss is not None:
        return per_model(max_loss, "max_loss", n_models, allow_inf=True)
    if prev is not None and prev.config.get("max_loss") is not None:
        return np.asarray(prev.config["max_loss"], dtype=np.float64)
    return 1e8 * np.maximum(np.nan_to_num(L0, nan=1.0, posinf=1.0), 1.0)


def finish_result(
    prob, eng, *, steps, loss_rows, times, ck, frozen_prev, unit, extra_config, integer_steps, n_evals_prev, fail_at, conv_at,
    n_evals,
):
    """Assemble a :class:`TrainResult` after a GD or flow run (shared by both)."""
    prev = prob.previous
    W, a, c, hidden = eng.split(eng.params_numpy())
    steps = np.asarray(steps, dtype=np.int64 if integer_steps else np.float64)
    loss = np.asarray(loss_rows, dtype=np.float64).reshape(len(steps), prob.n_models)
    times = np.asarray(times, dtype=np.float64).reshape(len(steps), prob.n_models)
    if prev is not None:
        steps = np.concatenate([prev.steps, steps])
        loss = np.concatenate([prev.loss, loss])
        times = np.concatenate([prev.times, times])
        ck = Checkpoints.concatenate(prev.checkpoints, ck)
    fail_code = eng.failure_codes()
    failed = list(prev.failed) if prev is not None else []
    max_loss = eng.max_loss.cpu().numpy()
    for i in np.flatnonzero(fail_code > 0):
        if frozen_prev[i]:
            continue
        failed.append((int(i), failure_reason(int(fail_code[i]), fail_at[i], float(max_loss[i]), unit=unit)))
    failed.sort()
    converged = list(prev.converged) if prev is not None else []
    conv_done = {i for i, _ in converged}
    for i in np.flatnonzero(np.asarray(conv_at) >= 0):
        if int(i) not in conv_done:
            converged.append((int(i), conv_at[i]))
    converged.sort()
    n_evals = np.asarray(n_evals, dtype=np.int64) + n_evals_prev
    config = dict(prob.config)
    config.update(extra_config)
    return TrainResult(
        W=W,
        a=a,
        loss=loss,
        steps=steps,
        checkpoints=ck,
        failed=failed,
        plateaus=recorded_plateaus(steps, steps, loss) if len(steps) > 1 else [[] for _ in range(prob.n_models)],
        init_W=prob.init["W"],
        init_a=prob.init["a"],
        config=config,
        c=c,
        init_c=prob.init["c"],
        hidden=hidden,
        init_hidden=prob.init["hidden"],
        times=times,
        n_evals=n_evals,
        converged=converged,
    )


class _Recorder:
    """Collects checkpoints (float32) on the host at synchronisation points."""

    def __init__(self, eng, prob, integer):
        self.eng, self.prob, self.integer = eng, prob, integer
        self.steps, self.W, self.a, self.loss, self.c, self.hidden = [], [], [], [], [], []

    def add(self, step, L):
        W, a, c, hidden = self.eng.split(self.eng.params_numpy(np.float32))
        self.steps.append(step)
        self.W.append(W)
        self.a.append(a)
        self.loss.append(np.asarray(L, dtype=np.float64))
        if c is not None:
            self.c.append(c)
        self.hidden.append(hidden)

    def result(self):
        p = self.prob
        if not self.steps:
            return Checkpoints.empty(
                p.n_models, p.width, p.n_dims + 1, integer=self.integer, bias=p.output_bias, n_hidden=p.depth - 1
            )
        return Checkpoints(
            np.asarray(self.steps, dtype=np.int64 if self.integer else np.float64),
            np.stack(self.W),
            np.stack(self.a),
            np.stack(self.loss),
            np.stack(self.c) if p.output_bias else None,
            tuple(np.stack([h[i] for h in self.hidden]) for i in range(p.depth - 1)),
        )


def frozen_models(prev, n_models: int) -> np.ndarray:
    """``(n_models,)`` bool: models a resumed run keeps frozen (they failed before)."""
    frozen = np.zeros(n_models, dtype=bool)
    if prev is not None:
        for i, _ in prev.failed:
            frozen[i] = True
    return frozen


def run_gd(prob, *, lr_arr, n_steps, tol, n_ck, records, max_loss, cuda_graphs, progress) -> TrainResult:
    """Run ``n_steps`` masked GD steps of the prepared problem ``prob``; the loop behind :func:`train_gd`.

    Arguments arrive validated (``lr_arr`` and ``tol`` per model, ``n_ck`` from
    :func:`check_schedule_arg`). Records the loss on log-spaced steps, stores
    checkpoints, stops when every model has stopped, and assembles the result.
    """
    prev = prob.previous
    m = prob.n_models
    start = int(prev.config.get("steps_done", 0)) if prev is not None else 0
    end = start + n_steps
    frozen = frozen_models(prev, m)
    prob.config.update(
        {"lr": [float(v) for v in lr_arr], "n_steps": n_steps, "tol": None if tol is None else [float(v) for v in tol], "records": records, "cuda_graphs_requested": bool(cuda_graphs)}
    )

    eng = Engine(prob, lr=lr_arr, tol=tol, max_loss=np.full(m, np.inf), frozen=frozen)
    # the initial loss sets the default divergence threshold
    L0 = eng.loss().cpu().numpy().astype(np.float64)
    max_loss_arr = resolve_max_loss(max_loss, L0, prev, m)
    eng.max_loss.copy_(torch.as_tensor(max_loss_arr))
    eng.step_t.fill_(start)
    if cuda_graphs:
        eng.capture()

    rec_steps = log_schedule(start, end, records)
    if isinstance(n_ck, np.ndarray):
        bad = n_ck[(n_ck < start) | (n_ck > end)]
        if len(bad):
            raise InvalidInputError(f"'checkpoints' steps must lie in [{start}, {end}], found {bad.tolist()}")
        ck_steps = n_ck
    elif n_ck > 0:
        ck_steps = np.union1d(log_schedule(start, end, n_ck), [start] if prev is None else [])
    else:
        ck_steps = np.zeros(0, dtype=np.int64)
    sync_steps = np.union1d(rec_steps, ck_steps[ck_steps > start]).astype(np.int64)
    ck_set = set(int(s) for s in ck_steps)

    recorder = _Recorder(eng, prob, integer=True)
    steps_out, loss_rows, time_rows = [], [], []
    time_prev = prev.times[-1] if prev is not None else np.zeros(m)
    if prev is None:
        steps_out.append(0)
        loss_rows.append(L0)
        time_rows.append(np.zeros(m))
    if start in ck_set:
        recorder.add(start, L0)

    cur = start
    bar = progress_bar(progress, n_steps, desc=f"train_gd {m}x{prob.width}")
    try:
        for target in sync_steps:
            target = int(target)
            eng.run(target - cur)
            bar.update(target - cur)
            cur = target
            L = eng.loss().cpu().numpy().astype(np.float64)  # synchronises
            steps_out.append(target)
            loss_rows.append(L)
            time_rows.append(time_prev + (target - start) * lr_arr)
            if target in ck_set:
                recorder.add(target, L)
            active = eng.active.cpu().numpy()
            bar.set_postfix(loss=f"{np.nanmin(L):.3g}", failed=int((eng.fail_step.cpu().numpy() >= 0).sum()))
            if not active.any() and target < end:
                # every model has stopped: nothing changes any more
                if len(ck_steps) and target not in ck_set:
                    recorder.add(target, L)
                break
    finally:
        bar.close()

    fail_at = eng.fail_step.cpu().numpy()
    conv_at = eng.conv_step.cpu().numpy()
    # gradient evaluations = steps taken while active
    stop = np.where(fail_at >= 0, fail_at, np.where(conv_at >= 0, conv_at, cur))
    n_evals = np.where(frozen, 0, stop - start)
    extra = {
        "steps_done": cur,
        "max_loss": [float(v) for v in max_loss_arr],
        "cuda_graphs": eng.graphs is not None,
        "kernel": eng.kernel,
    }
    if eng.graph_error:
        extra["cuda_graph_error"] = eng.graph_error
    return finish_result(
        prob, eng, steps=steps_out, loss_rows=loss_rows, times=time_rows, ck=recorder.result(),
        frozen_prev=frozen, unit="step", extra_config=extra, integer_steps=True,
        n_evals_prev=prev.n_evals if prev is not None else 0,
        fail_at=[int(s) for s in fail_at],
        conv_at=[int(s) for s in conv_at],
        n_evals=n_evals,
    )

