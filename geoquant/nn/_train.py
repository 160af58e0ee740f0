"""Full-batch gradient descent on many shallow ReLU networks at once.

All ``n_models`` networks live in stacked tensors (see :mod:`._model`) and one
step of all of them is a handful of batched matrix products; the gradients are
written by hand (depth 1), the update is plain ``theta -= lr * grad`` with a
per-model learning rate -- no ``torch.optim`` in the loop.

The loop never waits for the device between records: per-model events
(reaching ``tol``, a NaN/inf or a diverging loss) are written into device mask
tensors inside the step, models that stop are frozen by masking their update,
and the host reads the masks only at the log-spaced record steps. On CUDA a
step (and a block of steps) is captured once in a CUDA graph and replayed;
when capture fails the loop runs eagerly.

Loss convention: squared loss ``L = 1/2 * mean_i (f(x_i) - y_i)^2`` (residual
weights ``rho_i = (y_i - f(x_i)) / n``), logistic loss
``L = mean_i log(1 + exp(-y_i f(x_i)))``.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .._validation import check_int, check_option, check_positive
from ..errors import InvalidInputError, TooLargeError
from ._checkpoint import Checkpoints, log_schedule
from ._events import FAIL_DIVERGED, FAIL_NONFINITE_LOSS, FAIL_NONFINITE_PARAMS, failure_reason, recorded_plateaus
from ._model import batched_T, forward, forward_hidden, grads_from_residual, loss_and_grads, loss_and_grads_autograd, loss_from_outputs
from ._result import TrainResult
from ._setup import per_model, prepare

__all__ = ["train_gd", "check_schedule_arg", "progress_bar", "Engine", "finish_result", "resolve_max_loss"]

# steps per replay of the large CUDA graph; a record interval is covered by
# replays of it plus single-step replays
GRAPH_BLOCK = 32


# Most log-spaced checkpoints or records one run may ask for.
MAX_SCHEDULE = 10**6


def check_schedule_arg(value, name: str, *, integer: bool):
    """``int >= 0`` (number of log-spaced points) or a 1-D array of steps/times."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = check_int(value, name, min_value=0)
        if v > MAX_SCHEDULE:
            raise TooLargeError(
                f"'{name}' asks for {v} log-spaced records, more than the {MAX_SCHEDULE} allowed (a schedule "
                f"and its stored parameters would need about {v * 8 / 2**30:.3g} GiB per float); a few hundred "
                "log-spaced points resolve any training curve, or pass an explicit array of steps"
            )
        return v
    if value is None or value is False:
        return 0
    arr = np.asarray(value)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number):
        raise InvalidInputError(f"'{name}' must be an int or a 1-D array of {'steps' if integer else 'times'}, found {value!r}")
    if integer and not np.issubdtype(arr.dtype, np.integer):
        if np.any(arr != np.round(arr)):
            raise InvalidInputError(f"'{name}' must hold integer steps, found {arr[arr != np.round(arr)][0]!r}")
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"'{name}' must hold finite steps >= 0, found {arr.tolist()}")
    return np.unique(arr.astype(np.int64 if integer else np.float64))


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
    tensors on the training device. :meth:`step` reads and writes only those
    tensors (no host synchronisation, no Python branch on device values), so it
    can be captured in a CUDA graph.
    """

    def __init__(self, prob, *, lr, tol, max_loss, frozen):
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
        if self.depth == 1:
            shape = (m, prob.width, prob.n_points)
            self.ws = {"Z": torch.empty(shape, dtype=dt, device=dev), "M": torch.empty(shape, dtype=dt, device=dev)}
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
    def gradients(self, params=None):
        """``(L, grads)`` at ``params`` (default: the current ones), grads in params order."""
        p = self.params if params is None else params
        W, a = p[0], p[1]
        c = p[2] if self.has_c else None
        hidden = tuple(p[3 if self.has_c else 2 :])
        if self.depth == 1:
            L, gW, ga, gc = loss_and_grads(W, a, c, self.Xt, self.y, self.loss_name, workspace=self.ws, XtT=self.XtT)
            return L, [gW, ga] + ([gc] if c is not None else [])
        L, gW, ga, gc, gh = loss_and_grads_autograd(W, a, c, self.Xt, self.y, self.loss_name, hidden)
        return L, [gW, ga] + ([gc] if c is not None else []) + list(gh)

    @torch.no_grad()
    def loss(self, params=None) -> torch.Tensor:
        """``(n_models,)`` loss at ``params`` (forward only)."""
        p = self.params if params is None else params
        c = p[2] if self.has_c else None
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
        act = self.active
        if self.depth == 1:
            L, grads, ok = self._fused_gradients(act)
        else:
            L, grads = self.gradients()
            ok = self._decide(L, act)
        gsum = grads[0].sum(dim=(1, 2))
        for g in grads[1:]:
            gsum = gsum + (g.sum(dim=tuple(range(1, g.dim()))) if g.dim() > 1 else g)
        # x - x == 0 fails exactly for NaN/inf: a gradient that overflowed with a finite loss
        bad_grad = ok & ~((gsum - gsum) == 0)
        ok = ok & ~bad_grad
        if self.depth == 1:
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
        """Depth 1: forward, decide, then gradients with stopped models' residuals zeroed."""
        H, f = forward_hidden(self.W, self.a, self.c, self.XtT, workspace=self.ws)
        L, r = loss_from_outputs(f, self.y, self.loss_name)
        ok = self._decide(L, act)
        r = torch.where(ok.unsqueeze(1), r, 0.0)
        gW, ga, gc = grads_from_residual(H, r, self.a, self.XtT, workspace=self.ws, with_c=self.has_c, scale_by_a=False)
        return L, [gW, ga] + ([gc] if gc is not None else []), ok

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


def train_gd(
    X,
    y,
    *,
    width,
    n_models=1,
    init_scale=None,
    init="balanced",
    lr=0.05,
    n_steps=10_000,
    tol=None,
    seed=0,
    device=None,
    dtype="float32",
    loss="squared",
    checkpoints=20,
    records=200,
    progress=None,
    output_bias=False,
    depth=1,
    max_loss=None,
    cuda_graphs=True,
    resume_from=None,
    method="gd",
    **flow_options,
) -> TrainResult:
    """Train ``n_models`` one-hidden-layer ReLU networks by full-batch gradient descent.

    The networks are ``f(x) = sum_j a_j relu(w_j . x + b_j)`` (plus an output
    bias ``c`` with ``output_bias=True``; more hidden layers with ``depth``),
    all trained at once as one batched tensor program.

    Parameters
    ----------
    X : (n_points, n_dims) or (n_models, n_points, n_dims) array_like
        Inputs, shared by all models or one set per model. 1-D input is read
        as points in 1D.
    y : (n_points,) or (n_models, n_points) array_like
        Targets (labels -1/+1 for the logistic loss).
    width : int
        Hidden neurons per layer.
    n_models : int
        Number of networks trained side by side.
    init_scale : float, (n_models,) array_like, str or None
        Scale of the initialization: a number, one per model, or
        ``"width^p"`` (e.g. ``"width^-0.5"``). None: 1e-4 (1 for
        ``init="pytorch"``).
    init : {"balanced", "gaussian", "pytorch"}
        ``"balanced"``: ``(w_j, b_j)`` uniform on the sphere times the scale,
        ``a_j = +-scale`` (so ``a_j^2 - ||(w_j, b_j)||^2 = 0``, conserved by
        gradient flow); ``"gaussian"``: i.i.d. ``N(0, scale^2)`` entries;
        ``"pytorch"``: ``nn.Linear``'s default times the scale.
    lr : float or (n_models,) array_like
        Learning rate(s).
    n_steps : int
        Number of GD steps (more steps when resuming).
    tol : float or (n_models,) array_like, optional
        A model whose loss falls to ``tol`` (its own entry, if an array) stops
        (frozen; listed in ``converged``); training ends when every model has
        stopped (checked at record steps).
    seed : int or sequence of n_models ints
        Seeds the initialization; an int is expanded into per-model seeds
        (``config["model_seeds"]``), a sequence gives them directly.
    device : None, str or torch.device
        None: CUDA when available, else CPU.
    dtype : {"float32", "float64"}
    loss : {"squared", "logistic"}
        ``"squared"``: ``L = 1/2 * mean_i (f(x_i) - y_i)^2``; ``"logistic"``:
        ``L = mean_i log(1 + exp(-y_i f(x_i)))``.
    checkpoints : int or array_like of steps
        Number of log-spaced parameter checkpoints (plus the initial and final
        state), or the exact steps; 0 for none.
    records : int
        Number of log-spaced steps on which the loss is recorded (the initial
        and final steps always are). The host synchronises with the device only
        on these steps and the checkpoint steps.
    progress : None or bool
        tqdm progress bar: None shows it on a terminal, True always, False never.
    output_bias : bool
        Add a trainable output bias ``c`` (initialised at 0).
    depth : int
        Number of hidden layers; ``depth > 1`` uses autograd for the gradient.
    max_loss : float or (n_models,) array_like, optional
        A model whose loss exceeds this is marked failed ("diverged") and frozen.
        Default ``1e8 * max(initial loss, 1)``; ``inf`` disables the check.
        NaN/inf losses or gradients are always failures.
    cuda_graphs : bool
        On CUDA, capture the step (depth 1) in CUDA graphs and replay them
        (falls back to eager execution if capture fails; ``config["cuda_graphs"]``
        says which ran, ``config["cuda_graph_error"]`` why not).
    resume_from : TrainResult or path, optional
        Continue a run (its final parameters, step count, histories, failures)
        for ``n_steps`` more steps. Sizes must match; the data are given again.
        Resuming in float64 reproduces a run straight through.
    method : {"gd", "flow"}
        ``"flow"`` integrates the gradient flow instead (see :func:`train_flow`);
        it covers the time ``t_max = lr * n_steps`` unless ``t_max`` is given.
    **flow_options
        Passed to :func:`train_flow` when ``method="flow"`` (``t_max``,
        ``rtol``, ``atol``, ...).

    Returns
    -------
    TrainResult
        See :class:`TrainResult`; ``loss`` is recorded on ``steps``
        (log-spaced), its last row holds the final loss per model.

    Examples
    --------
    Three tiny networks from small initialization on five points stall at the least-squares affine
    loss 0.0449 (docs/theory.md §8, check 4):

    >>> import numpy as np
    >>> X = np.array([[-0.8], [-0.3], [0.1], [0.6], [0.9]])
    >>> y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    >>> res = train_gd(X, y, width=20, n_models=3, init_scale=1e-3, lr=0.1, n_steps=3000, seed=0)
    >>> res.W.shape, res.a.shape
    ((3, 20, 2), (3, 20))
    >>> res.final_loss.round(3).tolist()
    [0.045, 0.045, 0.045]
    """
    check_option(method, "method", ("gd", "flow"))
    if method == "flow":
        from ._flow import train_flow

        if "t_max" not in flow_options or flow_options["t_max"] is None:
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
                raise InvalidInputError(
                    "method='flow' needs 't_max', or a scalar 'lr' and 'n_steps' (t_max = lr * n_steps); "
                    f"found lr={lr!r}"
                )
            steps_ = check_int(n_steps, "n_steps", min_value=0)
            flow_options["t_max"] = check_positive(lr, "lr") * steps_
        return train_flow(
            X, y, width=width, n_models=n_models, init_scale=init_scale, init=init, tol=tol, seed=seed,
            device=device, dtype=dtype, loss=loss, checkpoints=checkpoints, records=records, progress=progress,
            output_bias=output_bias, depth=depth, max_loss=max_loss, resume_from=resume_from, **flow_options,
        )
    if flow_options:
        raise InvalidInputError(f"unexpected keyword argument(s) for method='gd': {', '.join(sorted(flow_options))}")

    prob = prepare(
        X, y, width=width, n_models=n_models, init_scale=init_scale, init=init, seed=seed, device=device,
        dtype=dtype, loss=loss, output_bias=output_bias, depth=depth, resume_from=resume_from, method="gd",
    )
    m = prob.n_models
    lr_arr = per_model(lr, "lr", m)
    n_steps = check_int(n_steps, "n_steps", min_value=0)
    if tol is not None:
        tol = per_model(tol, "tol", m, strict=False)
    n_ck = check_schedule_arg(checkpoints, "checkpoints", integer=True)
    records = check_int(records, "records", min_value=0)
    if not isinstance(cuda_graphs, (bool, np.bool_)):
        raise InvalidInputError(f"'cuda_graphs' must be True or False, found {cuda_graphs!r}")

    prev = prob.previous
    start = int(prev.config.get("steps_done", 0)) if prev is not None else 0
    end = start + n_steps
    frozen = np.zeros(m, dtype=bool)
    if prev is not None:
        for i, _ in prev.failed:
            frozen[i] = True
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
