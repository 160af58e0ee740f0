"""Where a trained network stopped, with the evidence: end states and their certificates.

The trainer's coarse status (:func:`geoquant.nn.training_state`: interpolating, stationary,
unstable, budget) lumps together stops of different kinds. Small-initialisation gradient
descent stops short of a fit in three ways (issue 20; Boursier & Flammarion, JMLR 2025):

``spurious_stationary``
    The gradient vanishes (the trainer's scale-free ``stationarity`` is below
    ``grad_tol``) while the residual ``r_i = (y_i - f(x_i)) / n`` leaves an
    escape: a direction ``u`` where a new neuron of sign ``s`` would lower the
    loss (adding ``s eps relu(u . x~)`` changes ``L`` by ``-s eps G(u)`` with
    ``G(u) = sum_i r_i relu(u . x~_i)``), but no live neuron of that sign is
    there. Certificate: ``grad_norm``, the escape value ``max_u s G(u)``
    (exact, :func:`geoquant.theory.alignment_maximum`), its direction and sign,
    and ``escape_angle``, the angle in degrees from that direction to the
    nearest live neuron of sign ``s`` (a balanced neuron keeps the sign of its
    output weight, so only those could grow there). The label is given only
    when the escape value is measurably positive (above ``ESCAPE_RTOL`` times
    the scale ``sum_i |r_i| |x~_i|`` and ten times the gradient norm).
``pinned``
    The loss has stopped falling (``plateau_drop < stall_rtol``) although the
    gradient is not small, and at least ``PIN_SHARE`` of the squared gradient
    sits on neurons whose kink (1D) or breakline (2D) passes within ``pin_tol``
    times the data's diameter of a data point: ReLU's kink is stuck on a data
    point, where the loss is not differentiable and gradient steps oscillate.
``stalled``
    The relative loss decrease over the last half of the run (in gradient-flow
    time) is below ``stall_rtol`` and neither of the above holds (a slow
    plateau).

``interpolating`` (train RMSE at most ``INTERPOLATION_RTOL`` times std(y)),
``unstable`` (the trainer's flag: a blow-up, a loss increase, a GD step above
``2 / sharpness``) and ``budget`` (still decreasing by at least ``stall_rtol``
over the last half when the budget ran out) complete the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_fraction, check_points, check_positive, check_values
from ..errors import InvalidInputError, UnsupportedError
from ..nn import network_forward
from ..nn import DEFAULT_GRAD_TOL, INTERPOLATION_RTOL
from ._alignment import augment
from ._maximum import _extrema

__all__ = ["END_STATES", "EndState", "end_state", "STALL_RTOL", "PIN_TOL", "PIN_SHARE", "ESCAPE_RTOL",
           "pinned_share"]

#: every end state, in the order reports list them
END_STATES = ("interpolating", "spurious_stationary", "pinned", "stalled", "unstable", "budget")
#: a run whose loss fell by less than this fraction over the last half of its gradient-flow time has stopped
STALL_RTOL = 1e-2
#: a kink / breakline within this fraction of the data's diameter of a data point is pinned on it
PIN_TOL = 1e-3
#: the share of the squared gradient on pinned neurons that makes a stop ``pinned``
PIN_SHARE = 0.9
#: an escape value below this fraction of ``sum_i |r_i| |x~_i|`` is numerically zero
ESCAPE_RTOL = 1e-8


@dataclass(frozen=True)
class EndState:
    """Where one network stopped, and the evidence (see the module docstring).

    Attributes
    ----------
    status : str
        One of :data:`END_STATES`.
    train_rmse_rel : float
        Train RMSE / std(y).
    grad_norm : float
        Euclidean norm of the loss gradient over all parameters.
    escape_value : float
        ``max_u s G(u)`` over unit directions and both signs (0 for an interpolant's zero residual).
    escape_sign : int
        The sign ``s`` attaining it.
    escape_direction : (n_dims + 1,) ndarray
        The unit direction ``[w | b]`` attaining it.
    escape_angle : float
        Degrees from that direction to the nearest live neuron (active on a data point) of sign
        ``s``; NaN when the network has none.
    pinned_share : float
        Share of the squared gradient on neurons whose crease passes within ``pin_tol`` of a data
        point (NaN for a zero gradient).
    plateau_drop : float
        Relative loss decrease over the last half of the run (NaN when unknown).
    """

    status: str
    train_rmse_rel: float
    grad_norm: float
    escape_value: float
    escape_sign: int
    escape_direction: np.ndarray
    escape_angle: float
    pinned_share: float
    plateau_drop: float

    def columns(self) -> dict[str, Any]:
        """The result columns of a study record (``train_status`` and the certificate), JSON-ready."""
        d = asdict(self)
        d["train_status"] = d.pop("status")
        d.pop("escape_direction")
        d.pop("train_rmse_rel")  # the trainer's own column
        d.pop("plateau_drop")
        return {k: (int(v) if k == "escape_sign" else float(v)) if k != "train_status" else v for k, v in d.items()}


def _per_neuron_sq_grad(Xt: np.ndarray, r: np.ndarray, W: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``|dL/dw_j|^2 + (dL/da_j)^2`` for ``L = 1/2 mean (f - y)^2`` with residual weights ``r = (y - f) / n``."""
    Z = Xt @ W.T  # (n, width)
    ga = -(np.maximum(Z, 0.0).T @ r)  # dL/da_j
    gw = -a[:, None] * (((Z > 0) * r[:, None]).T @ Xt)  # dL/dw_j (relu'(0) = 0, as the trainer)
    return ga**2 + np.sum(gw**2, axis=1)


def pinned_share(
    points: ArrayLike, values: ArrayLike, W: ArrayLike, a: ArrayLike, *, c: float = 0.0, pin_tol: float = PIN_TOL
) -> float:
    """Share of the squared loss gradient carried by neurons whose crease passes near a data point.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    values : (n_points,) array_like
        Targets ``y``.
    W : (width, n_dims + 1) array_like
        Neurons ``[w_j | b_j]``.
    a : (width,) array_like
        Output weights.
    c : float
        Constant output offset.
    pin_tol : float
        A neuron is pinned when ``|w_j . x_i + b_j| / |w_j| <= pin_tol * diameter`` for some data point.

    Returns
    -------
    float
        In ``[0, 1]``; NaN when the gradient is zero.
    """
    X = check_points(points, "points", min_points=1, full_rank=False, duplicate_rtol=None)
    y = check_values(values, X.shape[0], "values")
    W, a = _network(W, a, X.shape[1])
    pin_tol = check_positive(pin_tol, "pin_tol")
    Xt = augment(X)
    r = (y - network_forward(W, a, X, float(c), check_input=False)) / X.shape[0]
    return _pinned_share(X, Xt, W, _per_neuron_sq_grad(Xt, r, W, a), pin_tol)


def _pinned_share(X: np.ndarray, Xt: np.ndarray, W: np.ndarray, g2: np.ndarray, pin_tol: float) -> float:
    total = float(g2.sum())
    if not total > 0:
        return float("nan")
    wn = np.linalg.norm(W[:, :-1], axis=1)
    diam = float(np.linalg.norm(X.max(axis=0) - X.min(axis=0))) or 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.abs(Xt @ W.T) / wn[None, :]  # (n, width): distance of each point to each crease
    pinned = (wn > 0) & np.any(dist <= pin_tol * diam, axis=0)
    return float(g2[pinned].sum() / total)


def _network(W: ArrayLike, a: ArrayLike, d: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    Wa = np.asarray(W, dtype=np.float64)
    aa = np.asarray(a, dtype=np.float64)
    if Wa.ndim != 2 or Wa.shape[1] != d + 1:
        raise InvalidInputError(f"'W' must have shape (width, {d + 1}) for {d}D points, found {Wa.shape}")
    if aa.shape != (Wa.shape[0],):
        raise InvalidInputError(f"'a' must have shape ({Wa.shape[0]},) to match 'W', found {aa.shape}")
    if not (np.all(np.isfinite(Wa)) and np.all(np.isfinite(aa))):
        raise InvalidInputError("'W' and 'a' must be finite, found NaN or inf")
    return Wa, aa


def end_state(
    points: ArrayLike,
    values: ArrayLike,
    W: ArrayLike,
    a: ArrayLike,
    *,
    c: float = 0.0,
    training: Mapping[str, Any] | None = None,
    grad_tol: float = DEFAULT_GRAD_TOL,
    stall_rtol: float = STALL_RTOL,
    pin_tol: float = PIN_TOL,
    pin_share: float = PIN_SHARE,
) -> EndState:
    """Classify where a trained one-hidden-layer ReLU network stopped, with its certificate.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Training inputs, n_dims 1 or 2.
    values : (n_points,) array_like
        Training targets ``y``.
    W : (width, n_dims + 1) array_like
        Final neurons ``[w_j | b_j]``.
    a : (width,) array_like
        Final output weights.
    c : float
        Constant output offset (``f = sum_j a_j relu(w_j . x~) + c``).
    training : mapping, optional
        The trainer's state of this model (one entry of :func:`geoquant.nn.training_state`):
        ``stationarity``, ``plateau_drop``, ``train_status`` (its ``"unstable"`` flag),
        ``flow_time`` and, optionally, ``min_plateau_time`` (a plateau before it is the initial
        saddle, not a stop). Without it the network is classified from its parameters alone
        (stationarity from the gradient, no plateau information).
    grad_tol : float
        Stationarity tolerance (the trainer's scale-free measure).
    stall_rtol : float
        Relative loss decrease over the last half of the run below which the run has stopped.
    pin_tol : float
        Pinning distance, as a fraction of the data's diameter.
    pin_share : float
        Share of the squared gradient on pinned neurons that makes a stop ``pinned``.

    Returns
    -------
    EndState

    Examples
    --------
    The affine least-squares fit of all-positive data by one neuron is a spurious stationary point:
    a second neuron could bend the fit, none is there.

    >>> import numpy as np
    >>> X = np.array([[-0.8], [-0.3], [0.1], [0.6], [0.9]]); y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    >>> w = np.linalg.lstsq(np.column_stack([X[:, 0], np.ones(5)]), y, rcond=None)[0]  # affine fit, > 0 on X
    >>> s = end_state(X, y, w[None, :], np.ones(1), training={"stationarity": 0.0, "plateau_drop": 0.0})
    >>> s.status, s.grad_norm < 1e-12, round(s.escape_value, 6)
    ('spurious_stationary', True, 0.021664)
    """
    X = check_points(points, "points", min_points=1, full_rank=False, duplicate_rtol=None)
    y = check_values(values, X.shape[0], "values")
    d = X.shape[1]
    W, a = _network(W, a, d)
    grad_tol = check_positive(grad_tol, "grad_tol")
    stall_rtol = check_positive(stall_rtol, "stall_rtol")
    pin_share = check_fraction(pin_share, "pin_share")
    if training is not None and not isinstance(training, Mapping):
        raise InvalidInputError(f"'training' must be a mapping (one entry of training_state) or None, "
                                f"found {type(training).__name__}")
    tr = dict(training or {})
    n = X.shape[0]
    Xt = augment(X)
    f = network_forward(W, a, X, float(c), check_input=False)
    r = (y - f) / n
    std = float(np.std(y))
    rmse_rel = float(np.sqrt(np.mean((f - y) ** 2)) / (std if std > 0 else 1.0))
    g2 = _per_neuron_sq_grad(Xt, r, W, a)
    gnorm = float(np.sqrt(g2.sum()))
    # the escape certificate: the best direction for a new neuron of either sign
    if d > 2:
        raise UnsupportedError(f"end_state supports 'points' with n_dims 1 or 2, found n_dims={d}")
    (vp, up), (vm, um) = _extrema(X, r)  # exact, as geoquant.theory.alignment_maximum
    esc_sign, esc_val, esc_dir = (1, vp, up) if vp >= vm else (-1, vm, um)
    Z = Xt @ W.T
    live = np.any(Z > 0, axis=0) & (np.sign(a) == esc_sign)
    if live.any():
        U = W[live] / np.linalg.norm(W[live], axis=1, keepdims=True)
        angle = float(np.degrees(np.arccos(np.clip(U @ esc_dir, -1.0, 1.0)).min()))
    else:
        angle = float("nan")
    share = _pinned_share(X, Xt, W, g2, check_positive(pin_tol, "pin_tol"))
    drop = float(tr["plateau_drop"]) if tr.get("plateau_drop") is not None else float("nan")
    stat = tr.get("stationarity")
    if stat is None:  # from the parameters alone: |grad| / |theta|, the trainer's first measure
        pn = float(np.sqrt(np.sum(W * W) + np.sum(a * a)))
        stat = gnorm / pn if pn > 0 else gnorm
    scale = float(np.sum(np.abs(r) * np.linalg.norm(Xt, axis=1)))
    certified = esc_val > max(ESCAPE_RTOL * scale, 10.0 * gnorm) and esc_val > 0
    plateau = np.isfinite(drop) and drop < stall_rtol and float(tr.get("flow_time", np.inf)) >= float(
        tr.get("min_plateau_time", 0.0) or 0.0)
    if rmse_rel <= INTERPOLATION_RTOL and tr.get("train_status") != "unstable":
        status = "interpolating"
    elif tr.get("train_status") == "unstable":
        status = "unstable"
    elif float(stat) < grad_tol and certified:
        status = "spurious_stationary"
    elif plateau and np.isfinite(share) and share >= pin_share:
        status = "pinned"
    elif plateau:
        status = "stalled"
    else:
        status = "budget"
    return EndState(status=status, train_rmse_rel=rmse_rel, grad_norm=gnorm, escape_value=float(esc_val),
                    escape_sign=int(esc_sign), escape_direction=np.asarray(esc_dir, dtype=np.float64),
                    escape_angle=angle, pinned_share=share, plateau_drop=drop)
