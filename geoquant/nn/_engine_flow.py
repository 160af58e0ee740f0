"""The gradient-flow stepper of the training engine: d(theta)/dt = -grad L(theta), adaptive steps.

Small-initialization training is slow for a long time (neurons grow like
e^{|D| t} from a tiny scale) and then fast, so a fixed step wastes most of its
evaluations. Here each model is integrated with the embedded Runge--Kutta pair
of Bogacki and Shampine (order 3 with an order-2 error estimate, first same as
last: three gradient evaluations per step) and its own step size ``h``.

Error control is *per neuron and relative*: the local error estimate of neuron
``j`` (its row of ``W``, its ``a_j`` and its rows of deeper layers) is compared
with ``atol + rtol * ||theta_j||``, and a step is accepted when the worst
neuron passes. Relative control keeps tiny, still-aligning neurons as accurate
as grown ones -- which neuron escapes next depends on them -- while the
step grows freely during the slow exponential phase (where the relative
change per unit time is about |D|).

The loss is any of the loss table (:mod:`geoquant.nn._losses`; the squared
loss ``L = 1/2 * mean_i (f(x_i) - y_i)^2`` by default), as for :func:`train_gd`; a GD run with learning rate ``lr`` for ``n`` steps
approximates this flow up to time ``t = lr * n``.

Acceptance, step sizes, failures and convergence are per-model device
tensors; the host reads only the ``(n_models,)`` times once per iteration. Steps
land exactly on checkpoint times (so checkpoints are integrator states), while
the loss at the (many more) record times comes from the integrator's cubic
Hermite dense output, so records never shorten a step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._engine import (
    Engine,
)
from ._events import FAIL_STEP_UNDERFLOW
from ._model import loss_from_outputs
from ._state import stationarity

__all__ = ["FlowEngine"]

# Bogacki--Shampine 3(2) tableau
_A21 = 0.5
_A32 = 0.75
_B = (2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0)
# error = y3 - y2 expressed on the stages k1..k4 (k4 = f(y3), FSAL)
_E = (-5.0 / 72.0, 1.0 / 12.0, 1.0 / 9.0, -1.0 / 8.0)

def _dot(A, B):
    """``sum(A * B, dim=-1)`` for a short last axis (as a matrix-vector product: torch's reduction
    over a last axis of length 2-3 measured 6x slower)."""
    return (A * B) @ torch.ones(A.shape[-1], dtype=A.dtype, device=A.device)


# relative distance at which a pinned neuron is held off its surface (see FlowEngine._snap)
_PIN_OFFSET = {torch.float64: 1e-10, torch.float32: 1e-5}


class FlowEngine(Engine):
    """Engine plus per-model time, step size and the FSAL gradient."""

    def __init__(self, prob, *, tol, max_loss, frozen, rtol, atol, h_max, grad_tol=None, sliding=True, pins=None,
                 kernel="auto"):
        super().__init__(prob, lr=np.ones(prob.n_models), tol=tol, max_loss=max_loss, frozen=frozen, kernel=kernel)
        # sliding modes (depth 1): pin[b, j] = the data point whose surface neuron j slides on, or -1
        self.pin: torch.Tensor | None = None
        self.n_pin_events = 0
        self.n_release_events = 0
        if sliding and self.depth == 1:
            self.pin = torch.full((prob.n_models, prob.width), -1, dtype=torch.int64, device=prob.device)
            if pins is not None and len(pins):
                idx = torch.as_tensor(np.asarray(pins, dtype=np.int64).reshape(-1, 3), device=prob.device)
                self.pin[idx[:, 0], idx[:, 1]] = idx[:, 2]
            Xb = self.XtT.transpose(1, 2)  # (m, n, p) view
            self._Xb = Xb
            self._xx = _dot(Xb, Xb)  # (m, n) |x~_i|^2
        self._any_pin = self.pin is not None and bool((self.pin >= 0).any())
        self._raw: Any = None  # (G, r) of the last depth-1 evaluation, before projection (None unless sliding)
        self.grad_tol = None if grad_tol is None else float(grad_tol)
        dev = prob.device
        m = prob.n_models
        self.rtol = float(rtol)
        self.atol = float(atol)
        self.h_max = float(h_max)
        self.t = torch.zeros(m, dtype=torch.float64, device=dev)
        self.h = torch.zeros(m, dtype=torch.float64, device=dev)
        self.fail_time = torch.full((m,), -1.0, dtype=torch.float64, device=dev)
        self.conv_time = torch.full((m,), -1.0, dtype=torch.float64, device=dev)
        self.stat_time = torch.full((m,), -1.0, dtype=torch.float64, device=dev)
        self.n_evals_t = torch.zeros(m, dtype=torch.int64, device=dev)
        self.underflow = torch.zeros(m, dtype=torch.bool, device=dev)
        self.last: Any = None  # (t_old, h, accepted, params, gradient) of the last step, for dense output
        self.rejected = torch.zeros(m, dtype=torch.bool, device=dev)
        self.cut_ok = torch.ones(m, dtype=torch.bool, device=dev)
        self.L1, self.g1 = self.gradients()
        self.raw1: Any = self._raw
        self.n_evals_t += 1

    # -- sliding modes ---------------------------------------------------------
    # A neuron whose kink (breakline) reaches a data point x_i where the flow on
    # both sides points back to the surface z_ij = w_j . x~_i = 0 slides along
    # it (Filippov): an explicit integrator makes it chatter across the surface,
    # and every crossing costs an O(h) local error, so the step collapses to
    # ~rtol / |rho_i| for as long as it slides. Such a neuron is pinned: its
    # weight is projected onto the surface and its velocity onto the surface's
    # tangent (the projection is the same from both sides, which differ by a
    # multiple of x~_i), which is the Filippov sliding velocity while the
    # sliding condition holds. It is released when the condition fails (checked
    # at every accepted point): there the sliding velocity equals the velocity
    # of the side it leaves to, so the release is a smooth event.
    # A pinned neuron is held a hair off the surface, on its inactive side
    # (z_ij = -_PIN_OFFSET |w_j| |x~_i|, far above rounding): every evaluation
    # (fused kernel or torch) then agrees that point i is inactive for it, so the
    # one-sided velocities of the sliding test are computed consistently.
    @property
    def _pins(self) -> torch.Tensor:
        """``pin`` (the sliding-mode methods below run only when sliding is on, so it is set)."""
        assert self.pin is not None
        return self.pin

    def _snap(self, W, which):
        """Move the neurons ``which`` (m, k) of ``W`` onto their pinned surface (offset as above), in place."""
        if self.fused is not None:
            self.fused.pinned("snap", W.numpy(), self.XT_np, self._pins.numpy(), which=which.numpy(),
                              offset=_PIN_OFFSET[W.dtype])
            return
        x, _ = self._pin_x()
        xx = _dot(x, x)
        safe = torch.where(which, xx, 1.0)
        target = -_PIN_OFFSET[W.dtype] * torch.sqrt(safe * _dot(W, W))
        coef = torch.where(which, (_dot(W, x) - target) / safe, 0.0)
        W.sub_(coef.unsqueeze(2) * x)
    def _pin_x(self):
        """``(m, k, p)`` augmented point each neuron is pinned on (zeros where none) and its mask."""
        pinned = self._pins >= 0
        idx = self._pins.clamp(min=0).unsqueeze(2).expand(-1, -1, self._Xb.shape[2])
        x = torch.gather(self._Xb, 1, idx)
        return torch.where(pinned.unsqueeze(2), x, 0.0), pinned

    def _project(self, G):
        """Velocity of pinned neurons projected onto their surface's tangent (``G`` unchanged elsewhere)."""
        if self.fused is not None:
            G = G.clone()
            self.fused.pinned("project", G.numpy(), self.XT_np, self._pins.numpy(), G=G.numpy())
            return G
        x, pinned = self._pin_x()
        xx = _dot(x, x)
        coef = torch.where(pinned, _dot(G, x) / torch.where(pinned, xx, 1.0), 0.0)
        return G - coef.unsqueeze(2) * x

    def _sliding_now(self, W, a, G, r):
        """``(m, k)`` bool: pinned neurons whose sliding condition holds at ``W`` (``G``, ``r`` unprojected)."""
        v_act, v_in, pinned = self._normal_velocities(W, a, G, r)
        return pinned & (v_act < 0) & (v_in > 0)

    def _normal_velocities(self, W, a, G, r):
        """Normal velocities ``d z_ij / dt`` of pinned neurons on the active and the inactive side of their point."""
        if self.fused is not None:
            v_act = torch.empty(self._pins.shape, dtype=W.dtype)
            v_in = torch.empty(self._pins.shape, dtype=W.dtype)
            self.fused.pinned("velocities", W.numpy(), self.XT_np, self._pins.numpy(), a=a.numpy(), G=G.numpy(),
                              r=r.contiguous().numpy(), v_act=v_act.numpy(), v_in=v_in.numpy())
            return v_act, v_in, self._pins >= 0
        x, pinned = self._pin_x()
        xx = _dot(x, x)
        z = _dot(W, x)
        ri = torch.gather(r, 1, self._pins.clamp(min=0))
        vn = -a * _dot(G, x)
        jump = a * ri * xx
        act = z > 0
        v_act = torch.where(act, vn, vn - jump)
        v_in = torch.where(act, vn + jump, vn)
        return v_act, v_in, pinned

    def _release_inside(self, p0, pn, raw4, act):
        """Per model: the fraction of the step at which the first pinned neuron's sliding ends (1 if none).

        The condition ``v_act < 0 < v_in`` holds at the step's start; where it
        fails at its end the release time is found by linear interpolation of the
        violated velocity. The projected flow cannot see it, so without this a
        neuron could stay pinned for a whole (long) step past its release.
        """
        G0, r0 = self.raw1
        a0, i0, pinned = self._normal_velocities(p0[0], p0[1], G0, r0)
        a1, i1, _ = self._normal_velocities(pn[0], pn[1], raw4[0], raw4[1])
        ok0 = pinned & (a0 < 0) & (i0 > 0)
        s_act = torch.where(ok0 & (a1 >= 0), a0 / (a0 - a1), 1.0)
        s_in = torch.where(ok0 & (i1 <= 0), i0 / (i0 - i1), 1.0)
        frac = torch.minimum(s_act, s_in).amin(dim=1).to(torch.float64)
        return torch.where(act, frac.clamp(min=0.0, max=1.0), 1.0)

    def _crossings(self, W0, W1, a, G, r, accepted):
        """New pins: unpinned neurons of accepted models that crossed a sliding surface in the step."""
        newpin = self._pins.clone()
        if self.fused is not None:
            self.fused.sliding_crossings(W0.numpy(), W1.numpy(), a.numpy(), G.numpy(), r.contiguous().numpy(),
                                         self.XT_np, accepted.numpy(), newpin.numpy())
            return newpin
        z0 = torch.bmm(W0, self.XtT)
        z1 = torch.bmm(W1, self.XtT)
        flip = (z0 > 0) != (z1 > 0)
        vn = -a.unsqueeze(2) * torch.bmm(G, self.XtT)
        jump = a.unsqueeze(2) * r.unsqueeze(1) * self._xx.unsqueeze(1)
        act = z1 > 0
        v_act = torch.where(act, vn, vn - jump)
        v_in = torch.where(act, vn + jump, vn)
        cand = flip & (v_act < 0) & (v_in > 0) & (self._pins < 0).unsqueeze(2) & accepted.view(-1, 1, 1)
        d = torch.where(cand, z1.abs() / torch.sqrt(self._xx).unsqueeze(1), torch.inf)
        best = d.argmin(dim=2)
        return torch.where(cand.any(dim=2), best, newpin)

    def _refresh(self, models):
        """Re-evaluate the FSAL gradient of ``models`` after their right-hand side changed (pins)."""
        L, g = self.gradients(active=models)
        for old, new in zip(self.g1, g):
            old.copy_(torch.where(models.view((-1,) + (1,) * (old.dim() - 1)), new, old))
        self.L1.copy_(torch.where(models, L, self.L1))
        G, r = self._raw
        G1, r1 = self.raw1
        self.raw1 = (torch.where(models.view(-1, 1, 1), G, G1), torch.where(models.view(-1, 1), r, r1))
        self.n_evals_t += models.to(torch.int64)

    def _release(self):
        """Unpin neurons whose sliding condition failed at the current (accepted) point."""
        if not self._any_pin:
            return
        self._snap(self.params[0], self._pins >= 0)  # undo rounding drift along the normal
        G, r = self.raw1
        keep = self._sliding_now(self.params[0], self.params[1], G, r)
        rel = (self._pins >= 0) & ~keep
        if bool(rel.any()):
            self.n_release_events += int(rel.sum())
            self._pins.copy_(torch.where(rel, -1, self._pins))
            self._any_pin = bool((self._pins >= 0).any())
            self.cut_ok.copy_(self.cut_ok | rel.any(dim=1))
            self._refresh(rel.any(dim=1) & self.active)

    def _pin_new(self, W0, accepted):
        """After an accepted step: pin neurons that crossed onto a sliding surface, snap them onto it."""
        G, r = self.raw1
        W, a = self.params[0], self.params[1]
        newpin = self._crossings(W0, W, a, G, r, accepted)
        new = (newpin >= 0) & (self._pins < 0)
        if not bool(new.any()):
            return
        self.n_pin_events += int(new.sum())
        self._pins.copy_(torch.where(new, newpin, self._pins))
        self._any_pin = True
        self.cut_ok.copy_(self.cut_ok | new.any(dim=1))
        self._snap(W, new)
        self._refresh(new.any(dim=1))

    def gradients(self, params=None, active=None):
        if self.pin is None:
            return super().gradients(params, active)
        p = self.params if params is None else params
        W, a = p[0], p[1]
        c = p[2] if self.has_c else None
        f, H = self.outputs(W, a, c, active)
        L, r = loss_from_outputs(f, self.y, self.loss_name)
        G, ga, gc = self.sums(W, a, r, H, active)
        self._raw = (G, r)
        if self._any_pin:
            G = self._project(G)
        return L, [G * a.unsqueeze(2), ga] + ([gc] if c is not None else [])

    def _cast(self, x, p):
        return x.to(p.dtype).view((-1,) + (1,) * (p.dim() - 1))

    def _neuron_sq(self, tensors):
        """Per-neuron squared norms ``(n_models, width)`` and per-model extras ``(n_models,)``."""
        per = None
        extra = None
        for x in tensors:
            if x.dim() == 3:
                v = _dot(x, x)
            elif x.dim() == 2:
                v = x * x
            else:
                extra = x * x if extra is None else extra + x * x
                continue
            per = v if per is None else per + v
        return per, extra

    def initial_step(self, t_first: float):
        """Per-model first step: 1% of the fastest neuron's relative time scale."""
        pn, pe = self._neuron_sq(self.params)
        gn, ge = self._neuron_sq(self.g1)
        rate = torch.sqrt(gn) / (torch.sqrt(pn) + 1e-300)
        rate = rate.amax(dim=1).to(torch.float64)
        if pe is not None:
            rate = torch.maximum(rate, (torch.sqrt(ge) / (torch.sqrt(pe) + 1e-300)).to(torch.float64))
        h0 = torch.where(rate > 0, 0.01 / rate, torch.full_like(rate, t_first))
        self.h.copy_(torch.clamp(h0, max=min(t_first, self.h_max)))

    @torch.no_grad()
    def iterate(self, t_target: torch.Tensor):
        """One attempted Bogacki--Shampine step of every model still short of its ``t_target`` (n_models,).

        Keeps the step's end points and slopes in ``self.last`` for dense output
        (:meth:`interpolate`).
        """
        if self.pin is not None:
            self._release()
        act = self.active & (self.t < t_target)
        if self.tol is not None:
            conv = act & (self.L1 <= self.tol)
            self.conv_time.copy_(torch.where(conv, self.t, self.conv_time))
            self.active.copy_(self.active & ~conv)
            act = act & ~conv
        if self.grad_tol is not None:
            # stationary (nothing moves, see geoquant.nn._state): stop, unless the loss already met tol
            stat = act & (stationarity(self.params, self.g1) < self.grad_tol)
            self.stat_time.copy_(torch.where(stat, self.t, self.stat_time))
            self.active.copy_(self.active & ~stat)
            act = act & ~stat
        remaining = t_target - self.t
        clamped = act & (self.h >= remaining)
        hs = torch.where(act, torch.minimum(self.h, remaining), 0.0)
        p0, g1 = self.params, self.g1
        t_old = self.t.clone()
        p0_old = [p.clone() for p in p0]
        g1_old = [g.clone() for g in g1]
        p2 = [p - self._cast(_A21 * hs, p) * g for p, g in zip(p0, g1)]
        # (gradients are fresh tensors; only the forward workspace is reused)
        _, g2 = self.gradients(p2, active=act)
        p3 = [p - self._cast(_A32 * hs, p) * g for p, g in zip(p0, g2)]
        _, g3 = self.gradients(p3, active=act)
        pn = [
            p - self._cast(hs, p) * (_B[0] * a + _B[1] * b + _B[2] * c)
            for p, a, b, c in zip(p0, g1, g2, g3)
        ]
        L4, g4 = self.gradients(pn, active=act)
        raw4 = self._raw
        # local error estimate (the stages are -gradients)
        err = [-self._cast(hs, p) * (_E[0] * a + _E[1] * b + _E[2] * c + _E[3] * d) for p, a, b, c, d in zip(p0, g1, g2, g3, g4)]
        en, ee = self._neuron_sq(err)
        pn_n, pn_e = self._neuron_sq(pn)
        p0_n, p0_e = self._neuron_sq(p0)
        scale = self.atol + self.rtol * torch.sqrt(torch.maximum(pn_n, p0_n))
        # worst neuron decides: tiny dormant neurons are held to the same relative accuracy
        ratio = (torch.sqrt(en) / scale).amax(dim=1).to(torch.float64)
        if ee is not None:
            sc = self.atol + self.rtol * torch.sqrt(torch.maximum(pn_e, p0_e))
            ratio = torch.maximum(ratio, (torch.sqrt(ee) / sc).to(torch.float64))
        ratio = torch.where(act, ratio, 0.0)
        finite = ratio == ratio  # not NaN
        accept = act & finite & (ratio <= 1.0)
        # failures: non-finite or diverging loss at the accepted point
        good = L4 <= self.max_loss
        gsum = sum(g.sum(dim=tuple(range(1, g.dim()))) if g.dim() > 1 else g for g in g4)
        good = good & ((gsum - gsum) == 0)
        failed_now = accept & ~good
        accept = accept & good
        release_at = None
        if self._any_pin:
            # a release well inside the step: redo the step up to just past it
            # (once per model between pin/release events: where the velocity jumps, a
            # breakline meeting a second point, interpolation cannot find the time)
            frac = self._release_inside(p0, pn, raw4, act)
            cut = accept & (frac < 0.9) & self.cut_ok
            if bool(cut.any()):
                accept = accept & ~cut
                release_at = torch.where(cut, frac, -1.0)
        for p, q in zip(p0, pn):
            p.copy_(torch.where(accept.view((-1,) + (1,) * (p.dim() - 1)), q, p))
        for g, q in zip(g1, g4):
            g.copy_(torch.where(accept.view((-1,) + (1,) * (g.dim() - 1)), q, g))
        self.L1.copy_(torch.where(accept, L4, self.L1))
        if self.pin is not None:
            G4, r4 = raw4
            G1, r1 = self.raw1
            self.raw1 = (torch.where(accept.view(-1, 1, 1), G4, G1), torch.where(accept.view(-1, 1), r4, r1))
        self.t.copy_(torch.where(accept & clamped, t_target, torch.where(accept, self.t + hs, self.t)))
        self.last = (t_old, hs, accept, p0_old, g1_old)
        # step-size controller (order 3: exponent 1/3), bounded growth/shrink
        # Growth is capped at 2x, and at 1x right after a rejection: the flow
        # is only piecewise smooth (a neuron's gradient jumps when its
        # hyperplane crosses a data point), and bolder growth was measured to
        # waste about half the attempts on rejected steps.
        # A second rejection in a row: the error did not fall like h^4 (a kink crossed
        # a data point in the step, local error O(h)): cut by the first-order factor.
        expo = torch.where(self.rejected, -1.0, -1.0 / 3.0).to(ratio.dtype)
        fac = torch.where(
            finite & (ratio > 0), 0.9 * torch.pow(torch.clamp(ratio, min=1e-30), expo), torch.full_like(ratio, 2.0)
        )
        fmax = torch.where(self.rejected, 1.0, 2.0)
        fac = torch.where(finite, torch.minimum(torch.clamp(fac, min=0.2), fmax), torch.full_like(fac, 0.2))
        self.rejected.copy_(act & ~accept)
        h_new = hs * fac
        # a step cut short by a record time keeps its natural size
        h_new = torch.where(accept & clamped, torch.maximum(self.h, h_new), h_new)
        if release_at is not None:
            h_new = torch.where(release_at >= 0, hs * (release_at * 1.02 + 1e-3), h_new)
            self.cut_ok.copy_(self.cut_ok & ~(release_at >= 0))
        h_new = torch.clamp(h_new, max=self.h_max)
        self.h.copy_(torch.where(act, h_new, self.h))
        # a step size that underflows relative to the time means the flow is stiff beyond use
        under = act & ~accept & (self.h <= 1e-14 * torch.clamp(self.t, min=1e-300))
        failed_now = failed_now | under
        self.underflow.copy_(self.underflow | under)
        self.fail_loss.copy_(torch.where(failed_now, torch.where(under, self.L1, L4), self.fail_loss))
        self.fail_time.copy_(torch.where(failed_now, self.t, self.fail_time))
        self.fail_step.copy_(torch.where(failed_now, 0, self.fail_step))
        self.active.copy_(self.active & ~failed_now)
        self.n_evals_t.add_(3 * act.to(torch.int64))
        if self.pin is not None and bool(accept.any()):
            self._pin_new(p0_old[0], accept & self.active)

    @torch.no_grad()
    def interpolate(self, tau: float):
        """Parameters at time ``tau`` inside the last step (cubic Hermite dense output).

        Uses the step's end values and slopes (``-grad L``), third-order
        accurate like the integrator; models whose last step does not contain
        ``tau`` get their current parameters.
        """
        t_old, hs, accept, p0, g0 = self.last
        inside = accept & (hs > 0) & (t_old < tau) & (tau <= self.t)
        s = torch.where(inside, (tau - t_old) / torch.where(hs > 0, hs, 1.0), 1.0)
        h00 = 2 * s**3 - 3 * s**2 + 1
        h10 = s**3 - 2 * s**2 + s
        h01 = -2 * s**3 + 3 * s**2
        h11 = s**3 - s**2
        out = []
        for a, ga, b, gb in zip(p0, g0, self.params, self.g1):
            c = lambda x: self._cast(x, a)  # noqa: E731
            out.append(c(h00) * a - c(h10 * hs) * ga + c(h01) * b - c(h11 * hs) * gb)
        return out

    def failure_codes(self):
        code = super().failure_codes()
        under = self.underflow.cpu().numpy()
        return np.where(under & (code > 0), FAIL_STEP_UNDERFLOW, code)
