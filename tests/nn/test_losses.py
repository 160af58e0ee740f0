"""The loss table: the shipped losses, and a loss added through the public API (docs/extending.md)."""

import math
import pathlib
import re

import numpy as np
import pytest
import torch

import geoquant.nn as gqnn
from geoquant.errors import InvalidInputError
from geoquant.nn._losses import LOSSES
from geoquant.nn._model import augment, loss_and_grads, loss_and_grads_autograd

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "extending.md"
F64 = torch.float64


def _section_code(title):
    text = DOC.read_text()
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture
def example():
    """Run the "Add a loss" example of docs/extending.md; its namespace (the losses it adds are removed after)."""
    before = set(LOSSES)
    ns = {"__name__": "extending_example"}
    (code,) = _section_code("Add a loss")
    exec(compile(code, str(DOC), "exec"), ns)
    yield ns
    for name in set(LOSSES) - before:
        del LOSSES[name]


def test_the_documented_example_trains_with_its_loss(example):
    res = example["res"]
    assert res.config["loss"] == "huber"
    L = res.loss
    assert np.all(np.isfinite(L)) and np.all(L[-1] < L[0])
    # the recorded loss is the Huber loss of the final network (outlier in the linear part, delta = 0.1)
    X, y = example["X"], example["y"]
    r = res.predict(X) - y
    huber = np.where(np.abs(r) <= 0.1, 0.5 * r * r, 0.1 * (np.abs(r) - 0.05)).mean(axis=1)
    np.testing.assert_allclose(L[-1], huber, rtol=1e-12)
    states = gqnn.training_state(res, X, y)
    # the outlier is far from fitted after 200 steps: the loss's fit test (fit_error <= fit_tol) says so
    assert len(states) == 2 and all(s["train_status"] in gqnn.TRAIN_STATUSES for s in states)
    assert all(s["train_rmse_rel"] > gqnn.INTERPOLATION_RTOL and s["train_status"] != "interpolating" for s in states)


def test_residual_is_the_derivative_of_the_loss(example):
    """r = dL/df against central differences of L, for residuals inside and beyond the threshold."""
    loss = gqnn.get_loss("huber")
    rng = np.random.default_rng(0)
    y = torch.as_tensor(rng.normal(size=(2, 7)), dtype=F64)
    f = y + torch.as_tensor(rng.choice([-1, 1], size=(2, 7)) * rng.uniform(0.01, 0.5, size=(2, 7)), dtype=F64)
    assert bool(((f - y).abs() < 0.1).any()) and bool(((f - y).abs() > 0.1).any())
    _, r = loss.value_and_residual(f, y)
    h = 1e-6
    for m in range(2):
        for i in range(7):
            e = torch.zeros_like(f)
            e[m, i] = h
            Lp, _ = loss.value_and_residual(f + e, y)
            Lm, _ = loss.value_and_residual(f - e, y)
            assert float((Lp[m] - Lm[m]) / (2 * h)) == pytest.approx(float(r[m, i]), abs=1e-9)


@pytest.mark.parametrize("loss", ["squared", "logistic", "huber"])
def test_hand_written_gradients_match_autograd_for_every_loss(example, loss):
    rng = np.random.default_rng(1)
    W = torch.as_tensor(rng.normal(size=(2, 5, 3)), dtype=F64)
    a = torch.as_tensor(rng.normal(size=(2, 5)), dtype=F64)
    c = torch.as_tensor(rng.normal(size=2), dtype=F64)
    Xt = augment(torch.as_tensor(rng.uniform(-1, 1, (9, 2)), dtype=F64))
    y = torch.as_tensor(np.sign(rng.normal(size=(2, 9))), dtype=F64)
    L, gW, ga, gc = loss_and_grads(W, a, c, Xt, y, loss)
    L2, gW2, ga2, gc2, _ = loss_and_grads_autograd(W, a, c, Xt, y, loss)
    for u, v in ((L, L2), (gW, gW2), (ga, ga2), (gc, gc2)):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-12, atol=1e-14)


def test_huber_with_a_huge_threshold_trains_as_the_squared_loss(example):
    gqnn.register_loss(example["huber_loss"](1e300, "huber_huge"))
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (12, 2))
    y = np.sin(3 * X[:, 0]) * X[:, 1]
    kw = dict(width=10, n_models=2, init_scale=1e-2, dtype="float64", device="cpu", seed=3, progress=False)
    for run in (dict(lr=0.1, n_steps=300), dict(method="flow", lr=0.1, n_steps=300)):
        sq = gqnn.train_gd(X, y, loss="squared", **kw, **run)
        hu = gqnn.train_gd(X, y, loss="huber_huge", **kw, **run)
        for name in ("W", "a", "loss", "steps"):
            assert np.array_equal(getattr(sq, name), getattr(hu, name)), name


def test_logistic_fit_means_every_point_classified():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (10, 2))
    y = np.where(X[:, 0] - 0.3 * X[:, 1] > 0, 1.0, -1.0)
    res = gqnn.train_gd(X, y, width=20, n_models=2, init_scale=0.3, lr=0.5, n_steps=3000, loss="logistic",
                        dtype="float64", device="cpu", seed=0, progress=False)
    states = gqnn.training_state(res, X, y)
    margins = y * res.predict(X)
    for s, m in zip(states, margins):
        assert s["train_rmse_rel"] == pytest.approx(len(y) * s["train_loss"] / math.log(2.0), rel=1e-12)
        if s["train_status"] == "interpolating":
            assert np.all(m > 0)
    assert any(s["train_status"] == "interpolating" for s in states)


def test_loss_table_refuses_bad_names_and_duplicates():
    with pytest.raises(InvalidInputError, match="'loss'"):
        gqnn.train_gd(np.zeros((3, 1)), np.zeros(3), width=2, loss="hinge", progress=False)
    with pytest.raises(InvalidInputError, match="labels"):
        gqnn.train_gd(np.zeros((3, 1)), np.array([1.0, 0.5, -1.0]), width=2, loss="logistic", progress=False)
    with pytest.raises(InvalidInputError, match="registered already"):
        gqnn.register_loss(gqnn.get_loss("squared"))
    with pytest.raises(InvalidInputError, match="fit_tol"):
        gqnn.register_loss(gqnn.Loss("bad", lambda f, y: (f, y), lambda L, y: L, fit_tol=-1.0))
