"""Alignment field D and potential G: D = grad G inside cells, G = w . D(w), the residual convention."""

import numpy as np
import pytest

from geoquant.errors import InvalidInputError
from geoquant.theory import alignment_field, alignment_potential, residual_weights
from geoquant.theory._alignment import augment


def test_residual_convention():
    X = np.array([[-1.0], [0.0], [2.0]])
    y = np.array([1.0, 2.0, -3.0])
    f = np.array([0.5, 0.0, 1.0])
    r = residual_weights(X, y, f)
    assert np.allclose(r, (y - f) / 3)
    # r = -dL/df for L = 1/2 mean (f - y)^2 (finite differences)
    L = lambda ff: 0.5 * np.mean((ff - y) ** 2)  # noqa: E731
    eps = 1e-6
    g = np.array([(L(f + eps * e) - L(f - eps * e)) / (2 * eps) for e in np.eye(3)])
    assert np.allclose(r, -g, atol=1e-9)
    assert np.allclose(residual_weights(X, y), y / 3)
    assert np.allclose(residual_weights(X, y, lambda x: 2 * x[:, 0]), (y - 2 * X[:, 0]) / 3)


def test_field_is_gradient_and_potential_identity(rng):
    X = rng.uniform(-1, 1, (7, 2))
    r = rng.normal(size=7)
    W = rng.normal(size=(50, 3))
    D = alignment_field(X, r, W)
    G = alignment_potential(X, r, W)
    assert D.shape == (50, 3) and G.shape == (50,)
    assert np.allclose(G, np.sum(W * D, axis=1))  # G(w) = w . D(w)
    assert np.allclose(alignment_potential(X, r, 3.0 * W), 3.0 * G)  # 1-homogeneous
    eps = 1e-7
    num = np.stack([(alignment_potential(X, r, W + eps * e) - alignment_potential(X, r, W - eps * e)) / (2 * eps)
                    for e in np.eye(3)], axis=1)
    # away from cell boundaries the gradient of G is D
    margin = np.min(np.abs(W @ augment(X).T), axis=1) > 1e-4
    assert margin.sum() > 40
    assert np.allclose(num[margin], D[margin], atol=1e-6)


def test_leading_shape_and_inactive_at_zero():
    X = np.array([[0.0], [1.0]])
    r = np.array([1.0, 2.0])
    w = np.zeros((2, 3, 2))
    w[0, 0] = [1.0, 0.0]  # w . (0, 1) = 0 -> point 0 inactive (relu'(0) = 0)
    D = alignment_field(X, r, w)
    assert D.shape == (2, 3, 2)
    assert np.allclose(D[0, 0], 2.0 * np.array([1.0, 1.0]))


def test_errors():
    X = np.array([[0.0], [1.0]])
    with pytest.raises(InvalidInputError, match="'r'"):
        alignment_field(X, [1.0], np.ones(2))
    with pytest.raises(InvalidInputError, match="'w'"):
        alignment_potential(X, [1.0, 2.0], np.ones(3))
    with pytest.raises(InvalidInputError, match="'values'"):
        residual_weights(X, [1.0, 2.0, 3.0])
    with pytest.raises(InvalidInputError, match="'f'"):
        residual_weights(X, [1.0, 2.0], [1.0])
    with pytest.raises(InvalidInputError, match="'f'"):
        residual_weights(X, [1.0, 2.0], lambda x: np.ones(5))
