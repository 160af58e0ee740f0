"""Shallow ReLU networks as pure functions over stacked parameters.

A batch of ``n_models`` networks of one shape is held as plain tensors with the
model axis first:

* ``W : (n_models, width, n_dims + 1)`` -- row ``j`` is ``(w_j, b_j)``, the input
  weights and bias of neuron ``j``;
* ``a : (n_models, width)`` -- output weights;
* ``c : (n_models,)`` or ``None`` -- optional output bias;
* ``hidden`` -- for ``depth > 1`` a tuple of ``depth - 1`` tensors
  ``(n_models, width, width + 1)``, each ``[V | v]`` mapping one hidden layer to
  the next (with bias).

so that, for depth 1,

    f(x) = sum_j a_j relu(w_j . x + b_j)  (+ c).

Inputs are augmented with a constant 1, ``x~ = (x, 1)``, so ``w_j . x + b_j =
W_j . x~``. Data are either shared by all models (``Xt : (n_points, n_dims + 1)``)
or given per model (``(n_models, n_points, n_dims + 1)``).

Loss conventions (docs/theory.md section 1 with the 1/n factor; the theory checks
depend on them):

* squared: ``L = 1/2 * mean_i (f(x_i) - y_i)^2``, so the residual weights are
  ``rho_i = (y_i - f(x_i)) / n``;
* logistic: ``L = mean_i log(1 + exp(-y_i f(x_i)))`` with labels ``y_i = +-1``.

The gradients of a depth-1 network are written by hand (no autograd), with
``relu'(0) = 0``: with ``r_i = dL/df(x_i)`` (``(f_i - y_i)/n`` for the squared
loss),

    dL/da_j = sum_i r_i relu(z_ij),
    dL/dW_j = a_j sum_i r_i 1[z_ij > 0] x~_i,
    dL/dc   = sum_i r_i,

where ``z_ij = W_j . x~_i``. Deeper networks use autograd through
:func:`forward`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments, warn_deprecated
from ._losses import Loss, get_loss
from ._neurons import network_forward

__all__ = [
    "augment",
    "batched_T",
    "forward",
    "loss_from_outputs",
    "loss_and_grads",
    "forward_hidden",
    "grads_from_residual",
    "loss_and_grads_autograd",
    "evaluate_network",
]


def augment(X: torch.Tensor) -> torch.Tensor:
    """Append a column of ones: ``(..., n_points, d) -> (..., n_points, d + 1)``."""
    ones = torch.ones(X.shape[:-1] + (1,), dtype=X.dtype, device=X.device)
    return torch.cat([X, ones], dim=-1)


def batched_T(Xt: torch.Tensor, n_models: int) -> torch.Tensor:
    """``(n_models, d + 1, n_points)`` view of the augmented inputs (no copy when shared)."""
    # Contiguous (d + 1, n_points) rows: BLAS is several times faster on them
    # than on the transposed view (measured on CPU).
    if Xt.dim() == 2:
        return Xt.T.contiguous().unsqueeze(0).expand(n_models, -1, -1)
    return Xt.transpose(1, 2).contiguous()


def _batched(Xt: torch.Tensor, n_models: int) -> torch.Tensor:
    """``(n_models, n_points, d + 1)`` view of the augmented inputs."""
    if Xt.dim() == 2:
        return Xt.unsqueeze(0).expand(n_models, -1, -1)
    return Xt


def forward(W: torch.Tensor, a: torch.Tensor, Xt: torch.Tensor, c: torch.Tensor | None = None, hidden: Sequence[torch.Tensor] = ()) -> torch.Tensor:
    """Network outputs ``(n_models, n_points)``.

    Parameters
    ----------
    W : (n_models, width, n_dims + 1) tensor
    a : (n_models, width) tensor
    Xt : (n_points, n_dims + 1) or (n_models, n_points, n_dims + 1) tensor
        Augmented inputs (last column ones), see :func:`augment`.
    c : (n_models,) tensor, optional
        Output bias.
    hidden : sequence of (n_models, width, width + 1) tensors
        Extra hidden layers (``depth - 1`` of them).
    """
    m = W.shape[0]
    H = torch.relu(torch.bmm(W, batched_T(Xt, m)))  # (m, k, n)
    for V in hidden:
        k = V.shape[1]
        H = torch.relu(torch.baddbmm(V[:, :, k:], V[:, :, :k], H))
    f = torch.bmm(a.unsqueeze(1), H).squeeze(1)
    if c is not None:
        f = f + c.unsqueeze(1)
    return f


def loss_from_outputs(f: torch.Tensor, y: torch.Tensor, loss: str | Loss) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-model loss ``(n_models,)`` and ``r = dL/df`` ``(n_models, n_points)``.

    ``f`` and ``y`` are ``(n_models, n_points)``; ``loss`` is a name in the loss table
    (:data:`geoquant.nn._losses.LOSSES`) or a :class:`~geoquant.nn.Loss`.
    """
    return get_loss(loss).value_and_residual(f, y)


@renamed_arguments(y="values")
def loss_and_grads(
    W: torch.Tensor, a: torch.Tensor, c: torch.Tensor | None, Xt: torch.Tensor, values: torch.Tensor, loss: str = "squared", *,
    workspace: dict[str, torch.Tensor] | None = None, XtT: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Loss and hand-written gradients of a batch of depth-1 networks.

    Parameters
    ----------
    W : (n_models, width, n_dims + 1) tensor
    a : (n_models, width) tensor
    c : (n_models,) tensor or None
    Xt : (n_points, n_dims + 1) or (n_models, n_points, n_dims + 1) tensor
    values : (n_models, n_points) tensor
        The targets (formerly ``y``; the old keyword warns until 0.3.0).
    loss : str
        A name in the loss table (``"squared"``, ``"logistic"`` or a registered one).
    workspace : dict, optional
        Preallocated ``"Z"`` and ``"M"`` buffers of shape ``(n_models, width,
        n_points)`` reused across calls (avoids allocating the two largest
        temporaries every step; the trainer passes one).
    XtT : (n_models, n_dims + 1, n_points) tensor, optional
        Precomputed contiguous-rows transpose of ``Xt`` (see ``batched_T``).

    Returns
    -------
    L : (n_models,) tensor
    gW : (n_models, width, n_dims + 1) tensor
    ga : (n_models, width) tensor
    gc : (n_models,) tensor or None
    """
    m = W.shape[0]
    if XtT is None:
        XtT = batched_T(Xt, m)
    H, f = forward_hidden(W, a, c, XtT, workspace=workspace)
    L, r = loss_from_outputs(f, values, loss)
    gW, ga, gc = grads_from_residual(H, r, a, XtT, workspace=workspace, with_c=c is not None)
    return L, gW, ga, gc


def forward_hidden(
    W: torch.Tensor, a: torch.Tensor, c: torch.Tensor | None, XtT: torch.Tensor, *, workspace: dict[str, torch.Tensor] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """First half of :func:`loss_and_grads`: hidden activations and outputs.

    Returns ``H = relu(W x~)`` ``(n_models, width, n_points)`` (in
    ``workspace["Z"]`` when given) and ``f`` ``(n_models, n_points)``.
    ``XtT`` is the ``(n_models, n_dims + 1, n_points)`` input (:func:`batched_T`).
    """
    H = torch.bmm(W, XtT) if workspace is None else torch.bmm(W, XtT, out=workspace["Z"])
    H.relu_()
    f = torch.bmm(a.unsqueeze(1), H).squeeze(1)
    if c is not None:
        f = f + c.unsqueeze(1)
    return H, f


def grads_from_residual(
    H: torch.Tensor, r: torch.Tensor, a: torch.Tensor, XtT: torch.Tensor, *, workspace: dict[str, torch.Tensor] | None = None, with_c: bool = False,
    scale_by_a: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Second half of :func:`loss_and_grads`: gradients from ``r = dL/df``.

    Returns ``(gW, ga, gc)``; with ``scale_by_a=False`` ``gW`` is returned
    without the factor ``a_j`` (``sum_i r_i 1[z_ij > 0] x~_i``, a strided
    view), so a caller can fold ``a`` into its update.

    (Deriving ``ga`` from ``gW`` through ``dL/da_j = W_j . G_j``, or storing
    only the mask, saves passes on paper but measured slower on the CPU: the
    small strided products cost more than the batched matrix-vector product.)
    """
    # relu(z) > 0 exactly when z > 0, so sign(relu(z)) is the indicator 1[z > 0]
    # (relu'(0) = 0), and NaNs propagate into the gradient.
    M = torch.sign(H) if workspace is None else torch.sign(H, out=workspace["M"])
    # The (m, k, n) contractions are arranged so BLAS sees wide matrices:
    # gA^T = r^T H^T  and  gW^T = (r * Xt)^T M^T  (shapes (m,1,k) and (m,p,k)).
    ga = torch.bmm(r.unsqueeze(1), H.transpose(1, 2)).squeeze(1)
    RXT = r.unsqueeze(1) * XtT  # (m, p, n): r_i x~_i, contiguous
    gW = torch.bmm(RXT, M.transpose(1, 2)).transpose(1, 2)
    if scale_by_a:
        gW = gW * a.unsqueeze(2)
    gc = r.sum(dim=1) if with_c else None
    return gW, ga, gc


def loss_and_grads_autograd(
    W: torch.Tensor, a: torch.Tensor, c: torch.Tensor | None, Xt: torch.Tensor, y: torch.Tensor, loss: str = "squared", hidden: Sequence[torch.Tensor] = ()
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None, tuple[torch.Tensor, ...]]:
    """Loss and gradients through autograd (any depth).

    Returns ``(L, gW, ga, gc, ghidden)`` with ``ghidden`` a tuple matching
    ``hidden``; ``gc`` is None when ``c`` is None. Used by the trainer for
    ``depth > 1`` and by the tests as the reference for :func:`loss_and_grads`.
    """
    params = [W, a] + ([c] if c is not None else []) + list(hidden)
    with torch.enable_grad():
        leaves = [p.detach().requires_grad_(True) for p in params]
        Wl, al = leaves[0], leaves[1]
        cl = leaves[2] if c is not None else None
        hl = leaves[3 if c is not None else 2 :]
        f = forward(Wl, al, Xt, cl, hl)
        L, _ = loss_from_outputs(f, y, loss)
        grads = torch.autograd.grad(L.sum(), leaves)
    gW, ga = grads[0], grads[1]
    gc = grads[2] if c is not None else None
    gh = tuple(grads[3 if c is not None else 2 :])
    return L.detach(), gW, ga, gc, gh


def evaluate_network(
    W: ArrayLike, a: ArrayLike, X: ArrayLike, *, c: ArrayLike | None = None, hidden: Sequence[ArrayLike] = (),
    chunk_elements: int = 2**24,
) -> NDArray[np.float64]:
    """Deprecated: :func:`geoquant.nn.network_forward` with ``check_input=False`` (removed in geoquant 0.3.0)."""
    warn_deprecated("geoquant.nn.evaluate_network", "geoquant.nn.network_forward")
    return network_forward(W, a, X, c, hidden=hidden, chunk_elements=chunk_elements, check_input=False)
