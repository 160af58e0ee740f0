"""Targets: derivatives against finite differences, Hessian bounds against dense sampling."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from geoquant.errors import InvalidInputError
from geoquant.points import sample_points
from geoquant.targets import BOUND_KINDS, Target, describe_target, get_target, list_targets


def _supported(name, dim):
    try:
        get_target(name, n_dims=dim)
    except InvalidInputError as exc:
        assert "'n_dims'" in str(exc)
        return False
    return True


DEFAULT_CASES = [(n, d, {}) for n in list_targets() for d in (1, 2, 3) if _supported(n, d)]

# non-default parameters and domains, including ones where the supremum is not attained in the box
CUSTOM_CASES = [
    ("quadratic", 3, {"A": [[1.0, 2.0, 0.0], [0.0, -3.0, 1.0], [0.5, 0.0, 2.0]], "b": [1.0, 0.0, -1.0], "c": 2.0}),
    ("quadratic", 2, {"A": 3.0}),
    ("franke", 2, {"domain": [[-0.5, 1.5], [-1.0, 2.0]]}),
    ("franke", 2, {"domain": [[0.6, 1.0], [0.0, 0.3]]}),
    ("gaussian", 2, {"centers": [[0.2, 0.3], [0.7, 0.6]], "widths": [0.1, 0.2], "amplitudes": [1.0, -2.0]}),
    ("gaussian", 3, {"centers": [1.4, 0.5, 0.5], "widths": 0.2}),  # centre outside the box
    ("gaussian", 1, {"centers": [0.5], "widths": 0.1, "domain": [[0.62, 0.9]]}),
    ("localized", 2, {"amplitude": -0.1, "q": 2.0}),
    ("localized", 2, {"domain": [[0.4, 1.0], [0.4, 1.0]]}),
    ("sines", 3, {"k": [1.0, 5.0, 9.0], "phase": [0.3, 0.0, 1.0]}),
    ("sines", 2, {"k": 1.0}),  # sin(x) never reaches 1 on [0, 1]: bound not attained
    ("fourier", 2, {"seed": 3, "bandwidth": 8.0, "n_terms": 5}),
    ("runge", 2, {"domain": [[0.3, 1.0], [0.2, 0.9]]}),
    ("runge", 1, {"a": 4.0, "center": 0.5}),
    ("ridge", 2, {"domain": [[0.8, 1.0], [0.8, 1.0]]}),  # ridge does not cross the box
    ("ridge", 3, {"w": [1.0, -2.0, 0.5], "b": 0.1, "beta": 7.0}),
    ("cubic", 1, {"domain": [[0.0, 0.5]]}),
]
ALL_CASES = DEFAULT_CASES + CUSTOM_CASES


def _ids(cases):
    return [f"{n}-{d}d-{i}" for i, (n, d, _) in enumerate(cases)]


def _inside(t, n, seed):
    return sample_points(n, t.dim, seed=seed, domain=t.domain)


def _special_points(t):
    """Points at or near where the Hessian norm is known to peak, clipped into the box."""
    lo, hi = t.domain[:, 0], t.domain[:, 1]
    p, pts = t.params, []
    d = t.dim
    if t.name == "gaussian":
        for c, s in zip(np.atleast_2d(p["centers"]), p["widths"]):
            pts += [c, c + math.sqrt(3) * s * np.eye(d)[0]]
    elif t.name == "localized":
        c, s = np.array(p["center"]), p["width"]
        pts += [c, c + math.sqrt(3) * s * np.eye(d)[0]]
    elif t.name == "runge":
        c = np.array(p["center"])
        pts += [c, c + np.eye(d)[0] / math.sqrt(p["a"])]
    elif t.name == "franke":
        pts += [(2 / 9, 2 / 9), (7 / 9, 1 / 3), (4 / 9, 7 / 9)]
    elif t.name == "sines":
        k, ph = np.array(p["k"]), np.array(p["phase"])
        m = np.ceil((lo * k + ph - math.pi / 2) / math.pi)
        pts.append((math.pi / 2 + m * math.pi - ph) / k)
    elif t.name == "ridge":
        w = np.array(p["w"])
        mid = (lo + hi) / 2
        pts.append(mid - (mid @ w - p["b"]) / (w @ w) * w)
    return np.clip(np.array(pts, dtype=float).reshape(-1, d), lo, hi) if pts else np.empty((0, d))


def _dense_max(t, seed=0):
    """Largest Hessian norm found by random + grid + special points, then local refinement."""
    d = t.dim
    per_axis = {1: 2001, 2: 101, 3: 21}[d]
    axes = [np.linspace(a, b, per_axis) for a, b in t.domain]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
    X = np.vstack([_inside(t, 20000, seed), grid, _special_points(t)])
    hn = t.hessian_norm(X)
    best = float(hn.max())
    lo, hi = t.domain[:, 0], t.domain[:, 1]
    for i in np.argsort(hn)[-2:]:
        res = minimize(
            lambda z: -float(t.hessian_norm(np.clip(z, lo, hi))), X[i], method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 150 * d},
        )
        best = max(best, -float(res.fun))
    return best


@pytest.mark.parametrize("name,dim,params", ALL_CASES, ids=_ids(ALL_CASES))
def test_hessian_bound_holds_and_exact_bounds_are_attained(name, dim, params):
    t = get_target(name, n_dims=dim, **params)
    assert t.bound_kind in BOUND_KINDS and t.bound_note
    found = _dense_max(t)
    assert found <= t.hessian_bound * (1 + 1e-9), (found, t.hessian_bound)
    if t.bound_kind == "exact":
        assert found >= t.hessian_bound * (1 - 1e-6), (found, t.hessian_bound)


def test_franke_bound_is_within_ten_percent_of_the_supremum():
    t = get_target("franke")
    assert _dense_max(t) >= 0.9 * t.hessian_bound


@pytest.mark.parametrize("name,dim,params", ALL_CASES, ids=_ids(ALL_CASES))
def test_gradient_and_hessian_match_finite_differences(name, dim, params):
    t = get_target(name, n_dims=dim, **params)
    X = _inside(t, 40, seed=7)
    width = t.domain[:, 1] - t.domain[:, 0]
    g, H = t.gradient(X), t.hessian(X)
    assert g.shape == (40, dim) and H.shape == (40, dim, dim)
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), rtol=0, atol=1e-12 * (1 + t.hessian_bound))
    fd_g = np.empty_like(g)
    fd_H = np.empty_like(H)
    for i in range(dim):
        h = 1e-5 * width[i]
        e = np.zeros(dim)
        e[i] = h
        fd_g[:, i] = (t(X + e) - t(X - e)) / (2 * h)
        fd_H[:, :, i] = (t.gradient(X + e) - t.gradient(X - e)) / (2 * h)
    scale = 1 + t.hessian_bound * float(width.max())
    np.testing.assert_allclose(fd_g, g, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(fd_H, H, rtol=0, atol=1e-5 * (1 + t.hessian_bound))


@pytest.mark.parametrize("name,dim,params", ALL_CASES, ids=_ids(ALL_CASES))
def test_params_rebuild_the_same_target(name, dim, params):
    t = get_target(name, n_dims=dim, **params)
    u = get_target(t.name, n_dims=t.dim, domain=t.domain, **t.params)
    X = _inside(t, 30, seed=3)
    np.testing.assert_array_equal(u(X), t(X))
    assert u.hessian_bound == t.hessian_bound and u.bound_kind == t.bound_kind
    assert repr(t).startswith(f"Target({name!r}, dim={dim}")


def test_quadratic_bound_is_exact_for_nonsymmetric_A(rng):
    A = rng.standard_normal((4, 4))
    b = rng.standard_normal(4)
    t = get_target("quadratic", n_dims=4, A=A, b=b, c=1.5)
    S = A + A.T
    assert t.bound_kind == "exact"
    assert t.hessian_bound == pytest.approx(np.abs(np.linalg.eigvalsh(S)).max(), rel=1e-14)
    X = rng.uniform(size=(10, 4))
    np.testing.assert_allclose(t.hessian_norm(X), t.hessian_bound, rtol=1e-12)
    np.testing.assert_allclose(t(X), np.einsum("ni,ij,nj->n", X, A, X) + X @ b + 1.5, rtol=1e-13)
    # default A = I: the Waldron constant |x|^2 has M = 2 (docs/theory.md §6)
    assert get_target("quadratic", n_dims=3).hessian_bound == 2.0


def test_franke_matches_the_textbook_formula(rng):
    X = rng.uniform(size=(50, 2))
    x, y = X[:, 0], X[:, 1]
    ref = (
        0.75 * np.exp(-((9 * x - 2) ** 2) / 4 - (9 * y - 2) ** 2 / 4)
        + 0.75 * np.exp(-((9 * x + 1) ** 2) / 49 - (9 * y + 1) / 10)
        + 0.5 * np.exp(-((9 * x - 7) ** 2) / 4 - (9 * y - 3) ** 2 / 4)
        - 0.2 * np.exp(-((9 * x - 4) ** 2) - (9 * y - 7) ** 2)
    )
    np.testing.assert_allclose(get_target("franke")(X), ref, rtol=1e-14)


def test_closed_forms_of_1d_targets():
    runge = get_target("runge", n_dims=1)
    assert runge(0.2) == pytest.approx(1 / (1 + 25 * 0.04))
    assert runge.hessian(0.0)[0, 0] == pytest.approx(-50.0)
    assert runge.hessian_bound == 50.0
    cubic = get_target("cubic")
    assert cubic.hessian_bound == 6.0 and cubic(-0.5) == -0.125
    assert get_target("cubic", domain=(0.0, 0.5)).hessian_bound == 3.0
    s = get_target("sines", n_dims=1, k=3.0)
    np.testing.assert_allclose(s(np.array([0.1, 0.4])), np.sin([0.3, 1.2]), rtol=1e-14)
    assert s.hessian_bound == 9.0 and s.bound_kind == "exact"


def test_sines_product_and_bound_without_attainment():
    t = get_target("sines", n_dims=3, k=[1.0, 2.0, 3.0])
    x = np.array([0.2, 0.5, 0.9])
    assert t(x) == pytest.approx(np.sin(0.2) * np.sin(1.0) * np.sin(2.7))
    assert t.hessian_bound == 9.0
    assert get_target("sines", n_dims=2, k=1.0).bound_kind == "rigorous"  # sin x < 1 on [0, 1]


def test_fourier_is_seeded():
    a = get_target("fourier", n_dims=2, seed=5)
    b = get_target("fourier", n_dims=2, seed=5)
    c = get_target("fourier", n_dims=2, seed=6)
    X = sample_points(100, 2, seed=1)
    np.testing.assert_array_equal(a(X), b(X))
    assert a.hessian_bound == b.hessian_bound
    assert np.max(np.abs(a(X) - c(X))) > 1e-3
    # the bound is the lambda_max refinement of the cruder sum_k |c_k| |w_k|^2
    crude = float(np.sum(np.abs(a.coef) * np.sum(a.omega**2, axis=1)))
    assert a.hessian_bound <= crude * (1 + 1e-12)


def test_localized_curvature_is_concentrated():
    t = get_target("localized", n_dims=2)
    c = np.array(t.params["center"])
    X = sample_points(5000, 2, seed=2)
    far = np.linalg.norm(X - c, axis=1) > 0.3
    assert t.hessian_norm(X[far]).max() < 1.01  # the gentle quadratic alone: 2q = 1
    assert t.hessian_norm(c) == pytest.approx(t.hessian_bound)


def test_input_shapes_and_1d_convention():
    t = get_target("runge", n_dims=1)
    x = np.linspace(-1, 1, 7)
    np.testing.assert_array_equal(t(x), t(x[:, None]))
    assert t(x).shape == (7,) and t.gradient(x).shape == (7, 1) and t.hessian(x).shape == (7, 1, 1)
    assert np.ndim(t(0.3)) == 0
    u = get_target("gaussian", n_dims=3)
    X = sample_points(24, 3, seed=0).reshape(2, 4, 3, 3)
    assert u(X).shape == (2, 4, 3) and u.gradient(X).shape == (2, 4, 3, 3) and u.hessian(X).shape == (2, 4, 3, 3, 3)
    np.testing.assert_allclose(u(X).ravel(), u(X.reshape(-1, 3)))
    assert np.ndim(u([0.5, 0.5, 0.5])) == 0


def test_registry_lists_at_least_eight_targets_with_descriptions():
    names = list_targets()
    assert len(names) >= 8 and names == sorted(names)
    details = list_targets(details=True)
    assert set(details) == set(names)
    for n in names:
        assert describe_target(n) == details[n] and "domain" in details[n]
    dims = {n: [d for d in (1, 2, 3) if _supported(n, d)] for n in names}
    assert any(v == [1] for v in dims.values()) and any(v == [2] for v in dims.values())
    assert sum(v == [1, 2, 3] for v in dims.values()) >= 5


@pytest.mark.parametrize(
    "call,arg",
    [
        (lambda: get_target("nope"), "'name'"),
        (lambda: get_target(3), "'name'"),
        (lambda: get_target("quadratic", n_dims=2, alpha=1), "'alpha'"),
        (lambda: get_target("franke", n_dims=3), "'n_dims'"),
        (lambda: get_target("cubic", n_dims=2), "'n_dims'"),
        (lambda: get_target("gaussian", n_dims=0), "'n_dims'"),
        (lambda: get_target("gaussian", n_dims=2.5), "'n_dims'"),
        (lambda: get_target("quadratic", n_dims=2, domain=[[0, 1], [1, 1]]), "'domain'"),
        (lambda: get_target("quadratic", n_dims=2, domain=[[0, 1]]), "'domain'"),
        (lambda: get_target("quadratic", n_dims=2, A=np.eye(3)), "'A'"),
        (lambda: get_target("quadratic", n_dims=2, b=[1.0, np.nan]), "'b'"),
        (lambda: get_target("gaussian", n_dims=2, widths=-0.1), "'widths'"),
        (lambda: get_target("gaussian", n_dims=2, centers=[0.1, 0.2, 0.3]), "'centers'"),
        (lambda: get_target("fourier", n_dims=2, n_terms=0), "'n_terms'"),
        (lambda: get_target("fourier", n_dims=2, seed=-1), "'seed'"),
        (lambda: get_target("sines", n_dims=2, k=[1.0, 0.0]), "'k'"),
        (lambda: get_target("runge", n_dims=2, a=0), "'a'"),
        (lambda: get_target("ridge", n_dims=2, w=[0, 0]), "'w'"),
        (lambda: get_target("localized", n_dims=2, width="wide"), "'width'"),
        (lambda: describe_target("nope"), "'name'"),
    ],
)
def test_bad_arguments_are_rejected_by_name(call, arg):
    with pytest.raises(InvalidInputError) as info:
        call()
    assert arg in str(info.value)


def test_unknown_name_lists_the_registered_names():
    with pytest.raises(InvalidInputError) as info:
        get_target("frank")
    assert all(repr(n) in str(info.value) for n in list_targets())


@pytest.mark.parametrize("method", ["__call__", "gradient", "hessian", "hessian_norm"])
@pytest.mark.parametrize("bad", [np.zeros((5, 3)), np.array([[0.1, np.nan]]), np.array([[np.inf, 0.0]]), "ab"])
def test_bad_points_are_rejected(method, bad):
    t = get_target("franke")
    assert isinstance(t, Target)
    with pytest.raises(InvalidInputError) as info:
        getattr(t, method)(bad)
    assert "'x'" in str(info.value)


def test_target_does_not_alias_caller_arrays():
    box = np.array([[0.0, 1.0], [0.0, 2.0]])
    A = np.eye(2)
    t = get_target("quadratic", n_dims=2, A=A, domain=box)
    box[0, 1] = 5.0
    A[0, 0] = 7.0
    assert t.domain[0, 1] == 1.0 and t.hessian_bound == 2.0 and box.flags.writeable
    assert not t.domain.flags.writeable


def test_old_argument_names_warn_and_give_the_same_result():
    # issue 23: dim -> n_dims, X -> points, y -> values; the old keywords work for one release
    from geoquant.compare import evaluate, get_method
    from geoquant.interpolate import grundmann_moeller
    from geoquant.points import check_domain
    from geoquant.targets import CallableTarget

    with pytest.warns(DeprecationWarning, match="'dim'.*sample_points.*'n_dims'"):
        old = sample_points(20, dim=2, seed=0)
    np.testing.assert_array_equal(old, sample_points(20, n_dims=2, seed=0))
    assert old.shape == (20, 2)
    with pytest.warns(DeprecationWarning, match="'dim'"):
        t_old = get_target("franke", dim=2)
    t_new = get_target("franke", n_dims=2)
    assert t_old.hessian_bound == t_new.hessian_bound and t_old.dim == 2
    np.testing.assert_array_equal(t_old(old), t_new(old))
    with pytest.warns(DeprecationWarning, match="'dim'"):
        np.testing.assert_array_equal(check_domain((0, 2), dim=3), check_domain((0, 2), n_dims=3))
    with pytest.warns(DeprecationWarning, match="'dim'"):
        bary_old, w_old = grundmann_moeller(dim=2, degree=5)
    bary, w = grundmann_moeller(n_dims=2, degree=5)
    np.testing.assert_array_equal(bary_old, bary)
    np.testing.assert_array_equal(w_old, w)
    with pytest.warns(DeprecationWarning, match="'dim'"):
        c = CallableTarget(lambda x: x[..., 0] ** 2, dim=1, domain=(0, 1), hessian_bound=2.0, name="sq")
    assert c.dim == 1 and float(c(np.array([[0.5]]))[0]) == 0.25

    m = get_method("delaunay")
    m.fit(old, t_new(old))
    with pytest.warns(DeprecationWarning, match="'X'.*'points'"):
        with pytest.warns(DeprecationWarning, match="'y'.*'values'"):
            metrics_old = evaluate(m, t_new, X=old, y=t_new(old))
    assert metrics_old == evaluate(m, t_new, points=old, values=t_new(old))
    with pytest.raises(InvalidInputError, match="'n_dims' only"):
        sample_points(20, dim=2, n_dims=2)
