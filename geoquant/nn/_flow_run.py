"""The gradient-flow driver: :func:`run_flow` integrates a prepared problem with the
:class:`~geoquant.nn._engine_flow.FlowEngine` up to ``t_max``, recording losses from the
integrator's dense output and checkpoints at the times the steps land on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import InvalidInputError
from ._checkpoint import Checkpoints, log_times
from ._engine import finish_result, frozen_models, progress_bar, resolve_max_loss
from ._engine_flow import FlowEngine
from ._result import TrainResult

__all__ = ["run_flow"]


def _stack_checkpoints(ck_times, ck_lists, ck_loss, eng, prob):
    n_par = len(eng.params)
    if len(ck_times) == 0:
        return Checkpoints.empty(
            prob.n_models, prob.width, prob.n_dims + 1, integer=False, bias=prob.output_bias, n_hidden=prob.depth - 1
        )
    stacked = [np.stack([np.stack([ck_lists[i][mdl][k] for mdl in range(prob.n_models)]) for i in range(len(ck_times))])
               for k in range(n_par)]
    W, a, c, hidden = eng.split(stacked)
    return Checkpoints(np.asarray(ck_times, dtype=np.float64), W, a, ck_loss, c, hidden)



def run_flow(prob, *, t_max, rtol, atol, h_max, tol, grad_tol, max_evals, n_ck, records, t_first, max_loss,
             progress, sliding=True) -> TrainResult:
    """Integrate the gradient flow of the prepared problem ``prob`` up to ``t_max``; the loop behind
    :func:`train_flow`.

    Arguments arrive validated. Steps land on checkpoint times; record losses
    come from dense output; models stop on ``tol``, ``grad_tol``, failure or
    the ``max_evals`` budget.
    """
    prev = prob.previous
    m = prob.n_models
    start = float(prev.config.get("t_done", 0.0)) if prev is not None else 0.0
    frozen = frozen_models(prev, m)
    prob.config.update({"t_max": t_max, "rtol": rtol, "atol": atol, "h_max": None if not np.isfinite(h_max) else h_max,
                        "tol": None if tol is None else [float(v) for v in tol], "grad_tol": grad_tol, "records": records, "max_evals": max_evals, "integrator": "bogacki-shampine-3(2)",
                        "sliding": bool(sliding)})

    pins = prev.config.get("flow_pins") if prev is not None else None
    eng = FlowEngine(prob, tol=tol, max_loss=np.full(m, np.inf), frozen=frozen, rtol=rtol, atol=atol, h_max=h_max,
                     grad_tol=grad_tol, sliding=sliding, pins=pins)
    L0, max_loss_arr = _start_engine(eng, prob, start, t_first, max_loss)

    rec_times = log_times(start, t_max, records, t_first)
    ck_times = _checkpoint_times(n_ck, start, t_max, t_first, first_run=prev is None)
    rec = _FlowRecords(eng, m, rec_times, ck_times)
    if start in rec.ck_index:
        rec.snapshot(rec.ck_index[start], np.arange(m), L0)
    prev_evals = prev.n_evals if prev is not None else np.zeros(m, dtype=np.int64)
    budget = np.asarray(max_evals - prev_evals)
    # steps land exactly on checkpoint times and t_max; the loss at record
    # times comes from dense output, so records do not shorten steps
    clamp_times = np.union1d(ck_times[ck_times > start], [t_max])
    t_host, over_budget = _integrate(eng, prob, rec, clamp_times, budget, progress, start, t_max)

    rec.finish()
    t_reached = float(np.max(t_host)) if m else start
    times_out = ([0.0] if prev is None else []) + list(rec_times)
    loss_rows = ([L0] if prev is None else []) + list(rec.loss_hist)
    ck = _stack_checkpoints(ck_times, rec.ck_lists, rec.ck_loss, eng, prob)

    fail_t = eng.fail_time.cpu().numpy()
    conv_t = eng.conv_time.cpu().numpy()
    steps = np.asarray(times_out, dtype=np.float64)
    result = finish_result(
        prob, eng, steps=steps, loss_rows=loss_rows, times=np.repeat(steps[:, None], m, axis=1), ck=ck,
        frozen_prev=frozen, unit="time", extra_config=_flow_config(eng, t_reached, max_loss_arr), integer_steps=False,
        n_evals_prev=prev_evals if prev is not None else 0, fail_at=[float(t) for t in fail_t],
        conv_at=[float(t) if t >= 0 else -1 for t in conv_t], n_evals=eng.n_evals_t.cpu().numpy(),
    )
    for i in np.flatnonzero(over_budget):
        if not any(j == i for j, _ in result.failed):
            result.failed.append((int(i), f"evaluation budget max_evals={max_evals} spent before time {t_max:g}"))
    result.failed.sort()
    return result


def _start_engine(eng: FlowEngine, prob: Any, start: float, t_first: float, max_loss: Any
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The starting loss ``L0``, the per-model divergence limits, the start time and the first step sizes
    (a resumed run continues with its saved ones)."""
    prev = prob.previous
    L0 = eng.L1.detach().cpu().numpy().astype(np.float64)
    max_loss_arr = resolve_max_loss(max_loss, L0, prev, prob.n_models)
    eng.max_loss.copy_(torch.as_tensor(max_loss_arr))
    eng.t.fill_(start)
    if prev is not None and prev.config.get("flow_h") is not None:
        eng.h.copy_(torch.as_tensor(np.asarray(prev.config["flow_h"], dtype=np.float64)))
    else:
        eng.initial_step(t_first)
    return L0, max_loss_arr


def _checkpoint_times(n_ck: Any, start: float, t_max: float, t_first: float, *, first_run: bool) -> NDArray[np.float64]:
    """The checkpoint times: given ones (checked to lie in the run), ``n_ck`` log-spaced ones, or none."""
    if isinstance(n_ck, np.ndarray):
        bad = n_ck[(n_ck < start) | (n_ck > t_max)]
        if len(bad):
            raise InvalidInputError(f"'checkpoints' times must lie in [{start:g}, {t_max:g}], found {bad.tolist()}")
        return n_ck.astype(np.float64)
    if n_ck > 0:
        return np.union1d(log_times(start, t_max, n_ck, t_first), [start] if first_run else [])
    return np.zeros(0)


class _FlowRecords:
    """The loss records (from dense output) and checkpoints (integrator states) of a flow run."""

    def __init__(self, eng: FlowEngine, m: int, rec_times: NDArray[np.float64], ck_times: NDArray[np.float64]) -> None:
        self.eng, self.m, self.rec_times = eng, m, rec_times
        self.n_rec = len(rec_times)
        self.loss_hist = np.full((self.n_rec, m), np.nan)
        self.rec_ptr = np.zeros(m, dtype=np.int64)
        self.ck_times = ck_times
        self.n_ckpt = len(ck_times)
        self.ck_lists: list[list[Any]] = [[None] * m for _ in range(self.n_ckpt)]
        self.ck_loss = np.full((self.n_ckpt, m), np.nan)
        self.ck_index = {float(t): i for i, t in enumerate(ck_times)}

    def snapshot(self, i_ck: int, models: NDArray[np.int64], L: NDArray[np.float64]) -> None:
        arrays = [p.detach()[models].cpu().numpy().astype(np.float32) for p in self.eng.params]
        for j, mdl in enumerate(models):
            self.ck_lists[i_ck][mdl] = [x[j] for x in arrays]
            self.ck_loss[i_ck, mdl] = L[mdl]

    def step_taken(self, moved: NDArray[np.bool_], t_host: NDArray[np.float64]) -> None:
        """After a step: the records it crossed, and a checkpoint of each model that landed on a checkpoint time."""
        eng, rec_times, rec_ptr, n_rec = self.eng, self.rec_times, self.rec_ptr, self.n_rec
        # records crossed by this step: loss at dense-output parameters
        while True:
            due = moved & (rec_ptr < n_rec)
            due[due] = rec_times[rec_ptr[due]] <= t_host[due]
            if not due.any():
                break
            tau = float(np.min(rec_times[rec_ptr[due]]))
            hit = due & (rec_times[np.minimum(rec_ptr, n_rec - 1)] == tau)
            L = eng.loss(eng.interpolate(tau)).cpu().numpy().astype(np.float64)
            idx = np.flatnonzero(hit)
            self.loss_hist[rec_ptr[idx], idx] = L[idx]
            rec_ptr[idx] += 1
        # checkpoints: models that landed on a checkpoint time this step
        landed = moved & np.isin(t_host, self.ck_times)
        if landed.any():
            L = eng.loss().cpu().numpy().astype(np.float64)
            for tc in np.unique(t_host[landed]):
                self.snapshot(self.ck_index[float(tc)], np.flatnonzero(landed & (t_host == tc)), L)

    def finish(self) -> None:
        """Models that stopped early keep their final loss for the remaining records and checkpoints."""
        L_end = self.eng.loss().cpu().numpy().astype(np.float64)
        final = [p.detach().cpu().numpy().astype(np.float32) for p in self.eng.params]
        for mdl in range(self.m):
            self.loss_hist[self.rec_ptr[mdl] :, mdl] = L_end[mdl]
            for i_ck in range(self.n_ckpt):
                if self.ck_lists[i_ck][mdl] is None:
                    self.ck_lists[i_ck][mdl] = [x[mdl] for x in final]
                    self.ck_loss[i_ck, mdl] = L_end[mdl]


def _integrate(eng: FlowEngine, prob: Any, rec: _FlowRecords, clamp_times: NDArray[np.float64],
               budget: NDArray[np.int64], progress: Any, start: float, t_max: float
               ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The integration loop: step every active model to its next landing time until all reach ``t_max``
    or stop. Returns the models' times and which of them spent their evaluation budget."""
    m = prob.n_models
    over_budget = np.zeros(m, dtype=bool)
    bar = progress_bar(progress, t_max - start, desc=f"train_flow {m}x{prob.width}", unit="time")
    t_host = np.full(m, start)
    shown = start
    try:
        while True:
            act_host = eng.active.cpu().numpy()
            if not np.any(act_host & (t_host < t_max)):
                break
            # next landing time of each model
            nxt = clamp_times[np.minimum(np.searchsorted(clamp_times, t_host, side="right"), len(clamp_times) - 1)]
            t_old = t_host
            eng.iterate(torch.as_tensor(nxt, dtype=torch.float64, device=prob.device))
            t_host = eng.t.cpu().numpy().copy()  # one small read per iteration (copy: CPU tensors share memory)
            moved = t_host > t_old
            if moved.any():
                rec.step_taken(moved, t_host)
            evals = eng.n_evals_t.cpu().numpy()
            over = act_host & (evals >= budget)
            if over.any():
                over_budget |= over
                eng.active.copy_(eng.active & torch.as_tensor(~over, device=prob.device))
            lead = float(np.min(np.where(eng.active.cpu().numpy(), t_host, t_max)))
            if lead > shown:
                bar.update(lead - shown)
                shown = lead
                bar.set_postfix(evals=int(evals.max()))
    finally:
        bar.close()
    return t_host, over_budget


def _flow_config(eng: FlowEngine, t_reached: float, max_loss_arr: NDArray[np.float64]) -> dict[str, Any]:
    """What a flow run adds to its config: where it got to, its limits, step sizes, stops and pins."""
    extra: dict[str, Any] = {
        "t_done": t_reached,
        "steps_done": t_reached,
        "max_loss": [float(v) for v in max_loss_arr],
        "flow_h": [float(v) for v in eng.h.cpu().numpy()],
        "stationary_at": [float(v) if v >= 0 else None for v in eng.stat_time.cpu().numpy()],
        "kernel": eng.kernel,
    }
    if eng.pin is not None:
        pinned = np.argwhere(eng.pin.cpu().numpy() >= 0)
        extra["flow_pins"] = [[int(b), int(j), int(eng.pin[b, j])] for b, j in pinned]
        extra["sliding_events"] = {"pinned": eng.n_pin_events, "released": eng.n_release_events}
    return extra
