"""Shallow ReLU networks trained by gradient descent / gradient flow, as study methods."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._deprecation import warn_deprecated
from ..._validation import check_points, check_values
from ...errors import InvalidInputError
from ...nn import network_forward as nn_forward
from ..._params import BadValue, Param, positive_float, positive_int
from ._base import Method, register_method

if TYPE_CHECKING:
    from ...nn import TrainResult
    from ...targets import Target

MAX_WIDTH = 1_000_000

_N = TypeVar("_N", bound="_Network")


def _check_width(width: int) -> None:
    if width > MAX_WIDTH:
        raise BadValue(f"a positive integer <= {MAX_WIDTH} (a network this wide cannot fit memory)")


_NETWORK_SCHEMA = {
    "width": positive_int(100, doc="hidden neurons (at most 10^6: wider ensembles cannot fit memory)",
                          extra_check=_check_width),
    "init_scale": positive_float(1e-4, doc="scale of the initial weights"),
    "init": Param("choice", "balanced", choices=("balanced", "gaussian", "pytorch"), doc="initialisation"),
    "lr": positive_float(0.05, doc="GD step size (flow: with n_steps, the time budget lr * n_steps)"),
    "n_steps": positive_int(10_000, doc="GD steps (when t_max is not given)"),
    "t_max": positive_float(
        None, optional=True, doc="budget in gradient-flow time (GD: n_steps = ceil(t_max / lr)); default lr * n_steps"
    ),
    "tol": Param("float", None, min=0, optional=True, doc="a model stops when its loss is below tol (absolute)"),
    "rmse_tol": Param(
        "float", 5e-4, min=0, doc="a model stops when its train RMSE <= rmse_tol * std(y) (when tol is not given)"
    ),
    "grad_tol": positive_float(
        1e-6, doc="stationarity tolerance (geoquant.nn._state.stationarity); the flow stops there"
    ),
    "rtol": positive_float(
        1e-4, doc="relative local error per step and neuron of the flow integrator (1e-3 let the loss rise near a fit)"
    ),
    "mode": Param("choice", "flow", choices=("gd", "flow"), doc="gradient flow (adaptive) or gradient descent"),
    "dtype": Param("choice", "float64", choices=("float32", "float64"), doc="training precision"),
    "center": Param("bool", False, doc="train on y - mean(y) and add the mean back (a fixed output bias)"),
    "restarts": Param("int", 1, min=1, max=999, doc="independent initialisations per sample (one result each)"),
}


#: parameters every member of one ensemble call must share (the rest -- init_scale,
#: lr, the seed and the data -- may differ per model)
NETWORK_SHARED_PARAMS = ("width", "init", "n_steps", "t_max", "tol", "rmse_tol", "grad_tol", "rtol", "mode", "dtype",
                         "center")


#: the regime axes of a network entry that may be given as lists in a spec (a grid)
REGIME_AXES = ("init_scale", "width", "lr")


def shared_params(params: dict) -> tuple:
    """Parameters every member of one ensemble must share (gradient flow also shares ``lr``;
    GD with a ``t_max`` too, since the step count follows from it)."""
    both = params.get("mode") == "flow" or params.get("t_max") is not None
    return NETWORK_SHARED_PARAMS + (("lr",) if both else ())


def network_forward(W: np.ndarray, a: np.ndarray, X: np.ndarray, c: float = 0.0) -> NDArray[np.float64]:
    """Deprecated: use :func:`geoquant.nn.network_forward` (removed in geoquant 0.3.0).

    ``f(x) = sum_j a_j relu(w_j . (x, 1)) + c`` for one model ``W (width, n_dims + 1)``,
    ``a (width,)`` on ``X (n_points, n_dims)``; ``c`` defaults to 0.0 (always added).
    """
    warn_deprecated("geoquant.compare.network_forward", "geoquant.nn.network_forward")
    return nn_forward(W, a, X, c, check_input=False)


#: most GD steps one network run may ask for (hours of CPU time already); more is an impossible budget
MAX_GD_STEPS = 10**8


class _Network(Method):
    family = "network"
    trains = True
    regime_axes = REGIME_AXES

    @classmethod
    def ensemble_params(cls, params: dict) -> tuple[str, ...]:
        """The parameters one ensemble shares (:func:`shared_params`)."""
        return shared_params(params)

    @classmethod
    def fit_ensemble(cls, Xs: Any, ys: Any, params: Any, seeds: Any, **options: Any) -> dict:
        """Train the ensemble (:func:`train_networks`)."""
        return train_networks(Xs, ys, params, seeds, **options)
    # the end state and its certificate (theory.end_state), computed for every trained network, are 1D/2D only:
    # a 3D fit trained and then failed there; now it is refused up front
    dims = (1, 2)
    preload = ("torch", "geoquant.nn")
    params_schema = _NETWORK_SCHEMA

    @classmethod
    def combined_problem(cls, params: dict) -> str | None:
        if params.get("mode") != "gd":
            return None
        _, n_steps = _budget(params)
        if n_steps > MAX_GD_STEPS:
            given = f"t_max = {params['t_max']:g} at lr = {params['lr']:g}" if params["t_max"] is not None \
                else f"n_steps = {params['n_steps']}"
            return (f"an impossible budget: {given} asks for {n_steps:.3g} GD steps, more than the "
                    f"{MAX_GD_STEPS:.0e} allowed; use mode = 'flow' (adaptive steps) or a smaller budget")
        return None

    @classmethod
    def cost_terms(cls, dim: int, n: int, params: dict) -> dict[str, float] | None:
        """A GD-trained network on a small sample (1D n <= 64, 2D n <= 24: the evaluation's exact nearest
        triangulation and minimum-norm set distance stay cheap there): its set-up, certificate and evaluation,
        and its GD steps and their arithmetic. Gradient flow (adaptive steps) and larger samples: unknown."""
        if params.get("mode") != "gd" or n > {1: 64, 2: 24}.get(dim, 0):
            return None
        _, steps = _budget(params)
        return {f"network_call_{dim}d": 1.0, f"network_{dim}d": 1.0, "gd_step": float(steps),
                "gd_work": float(steps) * float(params["width"]) * n * (dim + 2)}

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        res = train_networks([X], [y], [self.params], [int(seed)], device=getattr(self, "device", None))
        self.set_trained(res, 0)

    def adopt(self: _N, X: ArrayLike, y: ArrayLike, res: dict, index: int, *, target: Target | None = None,
              seed: int = 0) -> _N:
        """Become model ``index`` of a batched training result on ``(X, y)``
        (what a study does instead of :meth:`fit`, to train an ensemble in one call)."""
        self.X_ = check_points(X, "X")
        self.y_ = check_values(y, self.X_.shape[0], "y")
        self.target_, self.seed_ = target, seed
        self.set_trained(res, index)
        return self

    def set_trained(self, res: dict, index: int) -> None:
        """Take model ``index`` of a result of :func:`train_networks`."""
        failure = res["failed"].get(index)
        if failure is not None:  # kept (frozen at its last finite parameters) and marked: status "unstable"
            self._info["training_failure"] = str(failure)
        self.W = np.asarray(res["W"][index], dtype=np.float64)
        self.a = np.asarray(res["a"][index], dtype=np.float64)
        self.c = float(res["c"][index]) if "c" in res else 0.0
        self._info.update({k: (v[index] if isinstance(v, list) else v) for k, v in res["info"].items()})
        self.device_ = res["device"]
        self._fitted = True

    def _predict(self, xi: np.ndarray) -> NDArray[np.float64]:
        return nn_forward(self.W, self.a, xi, self.c, check_input=False)

    def state(self) -> dict:
        return {"W": self.W, "a": self.a, "c": np.float64(self.c)}


@register_method
class SmallInitNetwork(_Network):
    """One-hidden-layer ReLU network from small initialisation (default balanced,
    scale 1e-4), trained by the adaptive gradient-flow integrator (default) or GD
    until it interpolates (train RMSE <= ``rmse_tol`` std(y)), becomes stationary
    (``grad_tol``) or spends its budget ``t_max`` in gradient-flow time: the regime
    whose features quantise. Each result carries its training state
    (:func:`geoquant.nn.training_state`)."""

    name = "network_small"
    description = "ReLU network from small initialisation"


@register_method
class StandardInitNetwork(_Network):
    """One-hidden-layer ReLU network from PyTorch's standard initialisation (same training and stops)."""

    name = "network_standard"
    description = "ReLU network from standard (PyTorch) initialisation"
    params_schema = {
        **_NETWORK_SCHEMA,
        "init": Param("choice", "pytorch", choices=("balanced", "gaussian", "pytorch"), doc="initialisation"),
        "init_scale": positive_float(1.0, doc="multiplies nn.Linear's default initialisation"),
    }


def _budget(p0: dict) -> tuple[float, int]:
    """``(t_max, n_steps)`` of an ensemble: the gradient-flow time budget and the GD step count."""
    lr = float(p0["lr"])
    if p0["t_max"] is not None:
        t_max = float(p0["t_max"])
        return t_max, int(np.ceil(t_max / lr - 1e-9))
    return lr * p0["n_steps"], int(p0["n_steps"])


def earliest_escape_time(X: ArrayLike, y: ArrayLike, init_scale: float) -> float:
    """A lower bound on the gradient-flow time before any neuron of a small-init network is O(1).

    A neuron grows at relative rate at most ``|D| <= sum_i |y_i| |x~_i| / n`` while
    the network is tiny (theory notes section 2: ``d log|w|/dt = s G`` with
    ``|G| <= |D|``), so from scale ``init_scale`` it needs at least
    ``log(1 / init_scale) / (sum_i |y_i| |x~_i| / n)``. A budget below this
    cannot leave the initialisation. 0 when ``init_scale >= 1``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rate = float(np.mean(np.abs(y) * np.sqrt(1.0 + np.sum(X * X, axis=-1))))
    if init_scale >= 1 or rate <= 0:
        return 0.0
    return float(np.log(1.0 / init_scale) / rate)


#: an ensemble trains in this many equal parts of its budget (flow time or GD steps); after each part but the
#: last its state can be saved (``checkpoint_dir``), and an interrupted ensemble resumes from the last saved part
TRAIN_SEGMENTS = 8


def segment_ends(t_max: float, n_steps: int, flow: bool) -> list:
    """Where the training segments of an ensemble end: flow times ``t_max * k / K`` (flow) or cumulative
    GD step counts (``round(n_steps * k / K)``, distinct), ``K =`` :data:`TRAIN_SEGMENTS`.

    A function of the budget only, so a run straight through and a run interrupted and resumed stop at the
    same places (gradient flow lands exactly on each end) and give the same result."""
    if flow:
        return [t_max * k / TRAIN_SEGMENTS for k in range(1, TRAIN_SEGMENTS)] + [t_max]
    ends = sorted({int(round(n_steps * k / TRAIN_SEGMENTS)) for k in range(1, TRAIN_SEGMENTS + 1)} - {0})
    return ends or [n_steps]


def _unit_fingerprint(Xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], params: Sequence[dict],
                      seeds: Sequence[int], device: str | None) -> str:
    """What an ensemble's saved training state must match to be resumed: data, parameters, seeds, device."""
    from ..._json import json_sha256

    data = b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes() for X, y in zip(Xs, ys) for a in (X, y))
    return json_sha256({"params": list(params), "seeds": [int(s) for s in seeds], "device": device,
                        "segments": TRAIN_SEGMENTS}, compact=False, default=str, prefix=data)


def _load_segment(checkpoint_dir: str | None, fingerprint: str) -> TrainResult | None:
    """The saved training state of this ensemble, or None (none saved, another ensemble's, or damaged)."""
    from ...errors import GeoquantError
    from ...nn import load_result

    if checkpoint_dir is None:
        return None
    import os

    if not os.path.isfile(os.path.join(checkpoint_dir, "config.json")) and not os.path.isdir(
            os.path.join(checkpoint_dir, ".saving")):
        return None
    try:
        prev = load_result(checkpoint_dir)
    except GeoquantError:  # damaged or unreadable: train from the start
        return None
    meta = prev.config.get("study_segment") or {}
    if meta.get("fingerprint") != fingerprint:
        return None
    return prev


def _save_segment(res: TrainResult, checkpoint_dir: str) -> bool:
    """Save the ensemble's state after a segment (crash-safe); best effort: False when it cannot be written."""
    from ...errors import GeoquantError
    from ...nn import save_checkpoints

    try:
        save_checkpoints(res, checkpoint_dir)
        return True
    except (GeoquantError, OSError):
        return False


def train_networks(
    Xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], params: Sequence[dict], seeds: Sequence[int], *,
    device: str | None = None, checkpoint_dir: str | None = None, stop_after: int | None = None,
    max_evals: int | None = None,
) -> dict:
    """Train one network per ``(X, y, params, seed)`` in one ensemble call, to a stated end.

    Every model trains (gradient flow with adaptive steps by default, or GD)
    until it interpolates (loss below ``tol``, default train RMSE <=
    ``rmse_tol * std(y)``), becomes stationary (``grad_tol``; flow only -- GD is
    classified afterwards) or spends the budget ``t_max`` (gradient-flow time;
    default ``lr * n_steps``). Its training state
    (:func:`geoquant.nn.training_state`) goes into ``info``; a budget
    below :func:`earliest_escape_time` or a GD step above the stability limit
    ``2 / sharpness`` adds a ``warning``.

    The budget is trained in :data:`TRAIN_SEGMENTS` parts (:func:`segment_ends`),
    each resuming the previous one exactly (float64 parameters, the flow's step
    sizes); with ``checkpoint_dir`` the state after each part is saved there
    crash-safely (:func:`geoquant.nn.save_checkpoints`), and a call that finds a
    saved state of the same ensemble (same data, parameters, seeds and device)
    continues from it: an ensemble interrupted mid-training resumes from its last
    saved part and ends with the same result as a run straight through.

    Parameters
    ----------
    Xs : list of (n_points, n_dims) ndarray
        One sample per model (all of one size); shared if all are the same array.
    ys : list of (n_points,) ndarray
    params : list of dict
        Network parameters per model; :func:`shared_params` must agree,
        ``init_scale`` and ``lr`` may differ.
    seeds : list of int
        Initialisation seed per model (``train_gd(seed=[...])``), so each model
        is reproducible on its own.
    device : str, optional
    checkpoint_dir : str, optional
        Where to save (and find) the ensemble's training state between segments.
        Left in place; the caller removes it once the results are written.
    stop_after : int, optional
        Stop after this many segments (for tests of an interruption); returns None.
    max_evals : int, optional
        Gradient flow only: gradient evaluations allowed per model (a timed prefix of the
        budget, as ``geoquant study --dry-run`` takes it); ``info["t_done"]`` says how far it got.

    Returns
    -------
    dict
        ``W (n_models, width, d+1)``, ``a (n_models, width)`` (float64), ``c
        (n_models,)`` (output offsets: the means of ``y`` with ``center``),
        ``info`` (per-model lists: training state, steps, seconds, warnings;
        ``resumed_segments``: segments taken from a saved state),
        ``failed`` ({index: reason}), ``device`` (str). Plain data, cheap to pickle.
    """
    from ...nn import train_gd, training_state
    from ...theory import end_state

    m = len(Xs)
    p0 = params[0]
    _check_shared(params)
    c, ys_fit, tol = _centered_targets(ys, p0)
    shared = all(X is Xs[0] for X in Xs)
    X = Xs[0] if shared else np.stack(Xs)
    y = np.stack(ys_fit)
    t_max, n_steps = _budget(p0)
    flow = p0["mode"] == "flow"
    kw = _train_options(params, seeds, tol, device, t_max, max_evals)
    ends = segment_ends(t_max, n_steps, flow)
    fingerprint = _unit_fingerprint(Xs, ys_fit, params, seeds, device)
    res = _load_segment(checkpoint_dir, fingerprint)
    meta: dict[str, Any] = (dict(res.config["study_segment"]) if res is not None else
                            {"fingerprint": fingerprint, "done": 0, "seconds": 0.0, "stationary_at": None})
    resumed = int(meta["done"])
    elapsed = float(meta["seconds"])
    stat_first = meta["stationary_at"]
    for k in range(resumed, len(ends)):
        t0 = time.perf_counter()
        seg = dict(t_max=ends[k]) if flow else dict(n_steps=ends[k] - (ends[k - 1] if k else 0))
        res = train_gd(X, y, resume_from=res, **kw, **seg)
        elapsed += time.perf_counter() - t0
        # a model stationary in an earlier segment is found stationary again at the start of the next one:
        # keep the time it first stopped
        now = (res.config or {}).get("stationary_at") or [None] * m
        stat_first = now if stat_first is None else [a if a is not None else b for a, b in zip(stat_first, now)]
        meta = {"fingerprint": fingerprint, "done": k + 1, "seconds": elapsed, "stationary_at": stat_first}
        res.config["study_segment"] = meta
        if checkpoint_dir is not None and k + 1 < len(ends):
            _save_segment(res, checkpoint_dir)
        if stop_after is not None and k + 1 >= stop_after:
            return None  # type: ignore[return-value]
        done = res.config.get("t_done") if flow else res.config.get("steps_done")
        if done is not None and float(done) < float(ends[k]) * (1 - 1e-12):
            break  # every model stopped inside this segment (a fit, a stationary point, max_evals): nothing moves
    # res is set: nothing saved (res None) means done = 0, so the loop ran at least once
    W = np.asarray(res.W, dtype=np.float64)  # type: ignore[union-attr]
    a = np.asarray(res.a, dtype=np.float64)  # type: ignore[union-attr]
    lrs = None if flow else np.array([p["lr"] for p in params])
    t_esc = np.array([earliest_escape_time(Xs[i], ys_fit[i], p["init_scale"]) if p["init"] != "pytorch" else 0.0
                      for i, p in enumerate(params)])
    states = training_state(res, np.stack(Xs), y, grad_tol=p0["grad_tol"], lr=lrs, min_plateau_time=t_esc)
    for i, st in enumerate(states):  # the trainer's coarse status refined into an end state with its certificate
        es = end_state(Xs[i], ys_fit[i], W[i], a[i], grad_tol=p0["grad_tol"],
                       training={**st, "min_plateau_time": float(t_esc[i])})
        st["trainer_status"] = st["train_status"]
        st.update(es.columns())
    info = _ensemble_info(res, states, m, elapsed=elapsed, resumed=resumed, t_max=t_max, flow=flow,
                          stat_first=stat_first)
    info["warning"] = _warnings(params, states, t_max, t_esc)
    failed = {int(i): str(reason) for i, reason in (getattr(res, "failed", None) or [])}
    dev = (getattr(res, "config", None) or {}).get("device", device or "cpu")
    return {"W": W, "a": a, "c": c, "info": info, "failed": failed, "device": _device_name(str(dev))}


def _check_shared(params: Sequence[dict]) -> None:
    """Refuse an ensemble whose members differ in a parameter they must share (:func:`shared_params`)."""
    p0 = params[0]
    for p in params[1:]:
        for k in shared_params(p0):
            if p[k] != p0[k]:
                raise InvalidInputError(f"networks trained together must share {k!r}: {p0[k]!r} != {p[k]!r}")


def _centered_targets(ys: Sequence[np.ndarray], p0: dict) -> tuple[NDArray[np.float64], list, NDArray[np.float64] | None]:
    """``(c, ys_fit, tol)``: the output offsets (means of ``y`` with ``center``), the targets trained on
    (``y - c``) and each model's loss tolerance (``tol``, or the loss of a train RMSE ``rmse_tol * std(y)``)."""
    c = np.array([float(np.mean(v)) if p0["center"] else 0.0 for v in ys])
    ys_fit = [np.asarray(v, dtype=np.float64) - ci for v, ci in zip(ys, c)]
    if p0["tol"] is not None:
        tol = np.full(len(ys), float(p0["tol"]))
    elif p0["rmse_tol"] > 0:
        tol = 0.5 * (p0["rmse_tol"] * np.array([np.std(v) for v in ys_fit])) ** 2
    else:
        tol = None
    return c, ys_fit, tol


def _train_options(params: Sequence[dict], seeds: Sequence[int], tol: NDArray[np.float64] | None,
                   device: str | None, t_max: float, max_evals: int | None) -> dict[str, Any]:
    """The keyword arguments of ``train_gd`` every segment of the ensemble shares."""
    p0 = params[0]
    kw: dict[str, Any] = dict(
        width=p0["width"],
        n_models=len(params),
        init=p0["init"],
        init_scale=np.array([p["init_scale"] for p in params]),
        tol=tol,
        dtype=p0["dtype"],
        seed=[int(s) for s in seeds],
        device=device,
        method=p0["mode"],
        progress=False,
        checkpoints=0,
    )
    if p0["mode"] == "flow":
        kw.update(rtol=p0["rtol"], grad_tol=p0["grad_tol"], t_first=t_max * 1e-5)
        if max_evals is not None:
            kw["max_evals"] = int(max_evals)
    else:
        kw.update(lr=np.array([p["lr"] for p in params]))
    return kw


def _ensemble_info(res: Any, states: list[dict], m: int, *, elapsed: float, resumed: int, t_max: float, flow: bool,
                   stat_first: list | None) -> dict[str, list]:
    """Per-model lists of the training states and the run's bookkeeping (time, segments, losses, stops)."""
    info = {k: [st[k] for st in states] for k in states[0]}
    info["train_s"] = [elapsed / m] * m
    info["resumed_segments"] = [resumed] * m
    if flow:  # the gradient-flow time the ensemble reached (t_max unless max_evals stopped it first)
        info["t_done"] = [float(res.config.get("t_done", t_max))] * m
    info["ensemble_size"] = [m] * m
    info["t_max"] = [t_max] * m
    loss = np.asarray(res.loss, dtype=np.float64)
    info["final_loss"] = [float(v) for v in loss[-1]] if loss.ndim == 2 and len(loss) else [None] * m
    info["initial_loss"] = [float(v) for v in loss[0]] if loss.ndim == 2 and len(loss) else [None] * m
    conv = dict((int(i), s) for i, s in (getattr(res, "converged", None) or []))
    info["converged_at"] = [float(conv[i]) if i in conv else None for i in range(m)]
    stat_at = stat_first or [None] * m
    info["stationary_at"] = [None if v is None else float(v) for v in stat_at]
    return info


def _warnings(params: Sequence[dict], states: list[dict], t_max: float, t_esc: NDArray[np.float64]) -> list[str | None]:
    """Per model: why its run cannot be trusted as it stands (a budget below the escape time, an unstable step)."""
    warnings = []
    for i, p in enumerate(params):
        w = []
        if t_max < t_esc[i]:
            w.append(
                f"budget t_max={t_max:g} is below the earliest escape time {t_esc[i]:.4g} "
                f"(log(1/init_scale) / max growth rate): the network cannot leave its initialisation"
            )
        if states[i]["step_above_limit"]:
            w.append(
                f"step lr={p['lr']:g} is above the stability limit 2/sharpness="
                f"{states[i]['lr_stability_limit']:.4g} at the end of training: GD is unstable there"
            )
        warnings.append("; ".join(w) if w else None)
    return warnings


def _device_name(dev: str) -> str:
    if dev.startswith("cuda"):
        try:
            import torch

            idx = torch.device(dev).index
            return f"{dev} ({torch.cuda.get_device_name(idx if idx is not None else 0)})"
        except Exception:  # pragma: no cover - best effort
            return dev
    return dev

