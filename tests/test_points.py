"""Point sets: sampling kinds, file round trips, validation failures, shipped data."""

from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy.stats import qmc
from shapely.geometry import Polygon

from geoquant.errors import DegenerateInputError, DuplicatePointsError, InvalidInputError
from geoquant.points import SAMPLE_KINDS, PointSet, load_points, sample_points, write_points
from geoquant.targets import get_target

DATA = Path(__file__).resolve().parents[1] / "geoquant" / "data" / "points"
L_SHAPE = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])  # non-convex, area 3


def _kwargs(kind):
    return {"polygon": L_SHAPE} if kind == "polygon" else {}


def _sizes(kind, dim):
    return {"grid": 4**dim}.get(kind, 37)


# ------------------------------------------------------------------------------------------ sampling


@pytest.mark.parametrize(
    "kind,dim", [(k, d) for k in SAMPLE_KINDS for d in (1, 2, 3) if k != "polygon" or d == 2]
)
def test_every_kind_is_seeded_distinct_and_inside(kind, dim):
    n = _sizes(kind, dim)
    a = sample_points(n, dim, kind, seed=11, **_kwargs(kind))
    b = sample_points(n, dim, kind, seed=11, **_kwargs(kind))
    assert a.shape == (n, dim) and a.dtype == np.float64 and a.flags.c_contiguous
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a, axis=0)) == n
    if kind == "polygon":
        assert shapely.contains_xy(L_SHAPE, a[:, 0], a[:, 1]).all()
    else:
        assert (a >= 0).all() and (a <= 1).all()
    if kind != "grid":  # the lattice does not depend on the seed
        c = sample_points(n, dim, kind, seed=12, **_kwargs(kind))
        assert not np.allclose(a, c)


@pytest.mark.parametrize("kind", ["uniform", "sobol", "halton", "clustered", "grid"])
def test_custom_domain_is_respected(kind):
    box = np.array([[-3.0, -2.0], [10.0, 14.0], [0.5, 0.75]])
    pts = sample_points(64, 3, kind, seed=4, domain=box)
    assert (pts >= box[:, 0]).all() and (pts <= box[:, 1]).all()
    # a (2,) pair applies to every axis
    same = sample_points(64, 3, kind, seed=4, domain=(-1, 1))
    assert (np.abs(same) <= 1).all()


def test_uniform_fills_the_box_evenly():
    pts = sample_points(40000, 2, seed=0, domain=[[0, 2], [-1, 0]])
    counts = np.histogram2d(pts[:, 0], pts[:, 1], bins=4, range=[[0, 2], [-1, 0]])[0]
    # each of 16 cells expects 2500 +- 48 (binomial sd); allow 5 sd
    assert np.abs(counts - 2500).max() < 250


def test_polygon_sampling_is_uniform_in_a_nonconvex_polygon():
    pts = sample_points(6000, 2, "polygon", polygon=L_SHAPE, seed=1)
    # mass fractions of the three unit squares of the L are 1/3 each (sd ~ 0.006)
    sq = [(0, 0), (1, 0), (0, 1)]
    frac = [np.mean((pts[:, 0] >= x) & (pts[:, 0] < x + 1) & (pts[:, 1] >= y) & (pts[:, 1] < y + 1)) for x, y in sq]
    np.testing.assert_allclose(frac, 1 / 3, atol=0.035)
    c = L_SHAPE.centroid
    np.testing.assert_allclose(pts.mean(axis=0), [c.x, c.y], atol=0.03)
    # vertices may be given instead of a shapely polygon
    np.testing.assert_array_equal(
        sample_points(50, 2, "polygon", polygon=np.array(L_SHAPE.exterior.coords)[:-1], seed=3),
        sample_points(50, 2, "polygon", polygon=L_SHAPE, seed=3),
    )


def test_grid_is_the_lattice_with_endpoints():
    g = sample_points(9, 2, "grid")
    expected = np.array([[x, y] for x in (0, 0.5, 1) for y in (0, 0.5, 1)])
    np.testing.assert_array_equal(g, expected)
    g3 = sample_points(27, 3, "grid", domain=(0, 2))
    assert set(np.unique(g3)) == {0.0, 1.0, 2.0} and len(np.unique(g3, axis=0)) == 27
    r = sample_points(10, 2, "grid", shape=(2, 5), domain=[[0, 1], [0, 4]])
    np.testing.assert_array_equal(np.unique(r[:, 0]), [0, 1])
    np.testing.assert_array_equal(np.unique(r[:, 1]), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(sample_points(7, 1, "grid", domain=(0, 6)).ravel(), np.arange(7.0))


def test_low_discrepancy_kinds_beat_uniform():
    u = sample_points(256, 2, "uniform", seed=0)
    for kind in ("sobol", "halton"):
        q = sample_points(256, 2, kind, seed=0)
        assert qmc.discrepancy(q) < 0.3 * qmc.discrepancy(u)


def test_clustered_points_gather_around_centres():
    one = sample_points(2000, 2, "clustered", n_clusters=1, cluster_std=0.01, seed=5)
    sd = one.std(axis=0)
    np.testing.assert_allclose(sd, 0.01, rtol=0.1)  # truncation is negligible unless the centre hugs the edge
    assert np.linalg.norm(one - one.mean(axis=0), axis=1).max() < 0.07
    many = sample_points(3000, 2, "clustered", n_clusters=3, cluster_std=0.02, seed=6)
    # three clusters: the points occupy a small part of the square
    occupied = np.histogram2d(many[:, 0], many[:, 1], bins=20, range=[[0, 1], [0, 1]])[0] > 0
    assert occupied.sum() <= 3 * 16
    edge = sample_points(500, 2, "clustered", n_clusters=2, cluster_std=0.5, seed=7, domain=(0, 1))
    assert (edge >= 0).all() and (edge <= 1).all()


@pytest.mark.parametrize(
    "kwargs,arg",
    [
        (dict(n=0, n_dims=2), "'n'"),
        (dict(n=5.5, n_dims=2), "'n'"),
        (dict(n=5, n_dims=0), "'n_dims'"),
        (dict(n=5, n_dims=2, kind="gauss"), "'kind'"),
        (dict(n=5, n_dims=2, seed=-3), "'seed'"),
        (dict(n=5, n_dims=2, seed="x"), "'seed'"),
        (dict(n=5, n_dims=2, domain=[[0, 1], [2, 1]]), "'domain'"),
        (dict(n=5, n_dims=2, domain=[[0, 1]]), "'domain'"),
        (dict(n=5, n_dims=2, domain=[[0, np.nan], [0, 1]]), "'domain'"),
        (dict(n=5, n_dims=3, kind="polygon", polygon=L_SHAPE), "'n_dims'"),
        (dict(n=5, n_dims=2, kind="polygon"), "'polygon'"),
        (dict(n=5, n_dims=2, kind="polygon", polygon=Polygon([(0, 0), (1, 1), (2, 2)])), "'polygon'"),
        (dict(n=5, n_dims=2, kind="polygon", polygon=[(0, 0), (1, 0)]), "'polygon'"),
        (dict(n=5, n_dims=2, kind="polygon", polygon=L_SHAPE, domain=(0, 1)), "'domain'"),
        (dict(n=5, n_dims=2, polygon=L_SHAPE), "'polygon'"),
        (dict(n=10, n_dims=2, kind="grid"), "'n'"),
        (dict(n=10, n_dims=2, kind="grid", shape=(3, 3)), "'shape'"),
        (dict(n=10, n_dims=2, kind="grid", shape=(10,)), "'shape'"),
        (dict(n=10, n_dims=2, shape=(2, 5)), "'shape'"),
        (dict(n=10, n_dims=2, kind="clustered", n_clusters=0), "'n_clusters'"),
        (dict(n=10, n_dims=2, kind="clustered", cluster_std=-1.0), "'cluster_std'"),
        (dict(n=10, n_dims=2, kind="clustered", n_clusters=2, cluster_std=1e-14), "'cluster_std'"),
    ],
)
def test_bad_sampling_arguments(kwargs, arg):
    with pytest.raises(InvalidInputError) as info:
        sample_points(**kwargs)
    assert arg in str(info.value)


def test_grid_error_suggests_valid_sizes():
    with pytest.raises(InvalidInputError, match=r"k\*\*n_dims.*\b9\b.*\b16\b"):
        sample_points(10, 2, "grid")


def test_many_uniform_points_in_1d_stay_distinct():
    # 2e5 uniform draws in 1D almost surely contain pairs closer than 1e-10; they are redrawn
    pts = sample_points(200000, 1, seed=0)
    gaps = np.diff(np.sort(pts[:, 0]))
    assert gaps.min() > 1e-10


# ------------------------------------------------------------------------------------------ files


def test_csv_round_trip_with_extra_columns(tmp_path, rng):
    pts = rng.uniform(-1, 1, size=(12, 2))
    vals = {"value": rng.standard_normal(12), "weight": rng.uniform(size=12)}
    path = write_points(tmp_path / "p.csv", pts, vals)
    ps = load_points(path)
    assert isinstance(ps, PointSet) and ps.path == path and len(ps) == 12 and ps.n_dims == 2
    np.testing.assert_array_equal(ps.points, pts)  # repr round-trips floats exactly
    assert list(ps.columns) == ["value", "weight"] and ps.coordinate_names == ("x", "y")
    np.testing.assert_array_equal(ps.values("weight"), vals["weight"])
    np.testing.assert_array_equal(ps.values(), vals["value"])
    with pytest.raises(InvalidInputError) as info:
        ps.values("height")
    assert "'column'" in str(info.value) and "'value'" in str(info.value) and "'weight'" in str(info.value)


def test_single_value_column_and_high_dimension(tmp_path, rng):
    pts = rng.uniform(size=(9, 5))
    v = rng.standard_normal(9)
    ps = load_points(write_points(tmp_path / "p5.csv", pts, v, value_name="y_obs"))
    assert ps.coordinate_names == ("x0", "x1", "x2", "x3", "x4")
    np.testing.assert_array_equal(ps.points, pts)
    np.testing.assert_array_equal(ps.values(), v)  # the only extra column
    one = load_points(write_points(tmp_path / "p1.csv", [0.5, -1.0, 3.0]))
    assert one.points.shape == (3, 1) and one.columns == {}
    with pytest.raises(InvalidInputError, match="'column'"):
        one.values()


@pytest.mark.parametrize(
    "header,order",
    [
        ("x,y,value", [0, 1]),
        ("value, Y ,X", [2, 1]),  # any column order, case and blanks ignored
        ("x1,x0,v", [1, 0]),
        ("x1,x2,x3,v", [0, 1, 2]),
        ("x,y,z,v", [0, 1, 2]),
        ("x,v,w", [0]),
    ],
)
def test_coordinate_column_rule(tmp_path, header, order):
    table = np.array([[0.0, 0.0, 0.0, 9.0], [1.0, 0.0, 0.5, 8.0], [0.2, 1.0, 0.25, 7.0], [0.3, 0.6, 1.0, 6.0]])
    ncol = len(header.split(","))
    path = tmp_path / "h.csv"
    path.write_text(header + "\n" + "\n".join(",".join(repr(float(v)) for v in r[:ncol]) for r in table) + "\n")
    ps = load_points(path, duplicate_rtol=0)
    np.testing.assert_array_equal(ps.points, table[:, order])
    assert len(ps.columns) == ncol - len(order)


def test_explicit_coordinate_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("# comment line\nlon,lat,t\n0,0,1\n\n1,0,2\n0,1,3\n")
    ps = load_points(path, coordinate_columns=["lon", "lat"])
    np.testing.assert_array_equal(ps.points, [[0, 0], [1, 0], [0, 1]])
    np.testing.assert_array_equal(ps.values("t"), [1, 2, 3])
    with pytest.raises(InvalidInputError, match="'coordinate_columns'"):
        load_points(path, coordinate_columns=["lon", "height"])


def test_npy_files(tmp_path, rng):
    pts = rng.uniform(size=(7, 3))
    np.save(tmp_path / "a.npy", pts)
    np.testing.assert_array_equal(load_points(tmp_path / "a.npy").points, pts)
    np.save(tmp_path / "b.npy", np.array([0.0, 2.0, 1.0]))
    assert load_points(str(tmp_path / "b.npy")).points.shape == (3, 1)


def _csv(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text,err,fragments",
    [
        ("x,y\n0,0\n1,abc\n0,1\n", InvalidInputError, ["'path'", "line 3", "'y'", "'abc'"]),
        ("x,y\n0,0\n1,\n0,1\n", InvalidInputError, ["line 3", "'y'"]),
        ("x,y\n0,0\n1,nan\n0,1\n", InvalidInputError, ["line 3", "'y'", "finite"]),
        ("x,y\n0,0\ninf,1\n0,1\n", InvalidInputError, ["line 3", "'x'", "finite"]),
        ("x,y\n0,0\n1,0,5\n0,1\n", InvalidInputError, ["line 3", "expected 2 fields"]),
        ("a,b\n0,0\n1,0\n0,1\n", InvalidInputError, ["'path'", "no coordinate columns"]),
        ("x0,x2\n0,0\n1,0\n0,1\n", InvalidInputError, ["'path'", "without gaps"]),
        ("x,x0\n0,0\n1,0\n0,1\n", InvalidInputError, ["'path'", "mixing"]),
        ("x,z\n0,0\n1,0\n0,1\n", InvalidInputError, ["'path'", "x,y,z"]),
        ("x,y,x\n0,0,0\n1,0,0\n0,1,0\n", InvalidInputError, ["'path'", "repeats"]),
        ("", InvalidInputError, ["'path'", "empty"]),
        ("x,y\n", DegenerateInputError, ["'points'", "no data rows"]),
        ("x,y\n0,0\n1,0\n", DegenerateInputError, ["'points'", "at least 3 points"]),
        ("x,y\n0,0\n1,1\n2,2\n3,3\n", DegenerateInputError, ["'points'", "collinear"]),
        ("x\n0.5\n0.5\n0.5\n", DegenerateInputError, ["'points'"]),
    ],
)
def test_load_failures_name_file_line_and_column(tmp_path, text, err, fragments):
    p = _csv(tmp_path, text)
    with pytest.raises(err) as info:
        load_points(p)
    msg = str(info.value)
    for frag in fragments:
        assert frag in msg, (frag, msg)
    if err is DegenerateInputError:
        assert str(p) in msg


def test_exact_and_near_duplicates_report_indices_and_lines(tmp_path):
    p = _csv(tmp_path, "x,y,value\n0,0,1\n1,0,2\n# note\n0,1,3\n1,0,4\n0.5,0.5,5\n")
    with pytest.raises(DuplicatePointsError) as info:
        load_points(p)
    assert info.value.indices == [(1, 3)]
    assert "(1, 3)" in str(info.value) and "lines (3, 6)" in str(info.value) and str(p) in str(info.value)
    q = _csv(tmp_path, "x,y\n0,0\n1,0\n0,1\n0.5,0.5\n0.5000000000001,0.5\n", "near.csv")
    with pytest.raises(DuplicatePointsError) as info:
        load_points(q)
    assert info.value.indices == [(3, 4)]
    # exact-only checking accepts the near pair
    assert load_points(q, duplicate_rtol=0).n_points == 5


def test_npy_failures(tmp_path):
    np.save(tmp_path / "three.npy", np.zeros((2, 2, 2)))
    with pytest.raises(InvalidInputError, match="'path'.*shape"):
        load_points(tmp_path / "three.npy")
    np.save(tmp_path / "nan.npy", np.array([[0.0, 0.0], [1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(InvalidInputError, match=r"'path'.*finite.*\(1, 1\)"):
        load_points(tmp_path / "nan.npy")
    np.save(tmp_path / "dup.npy", np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(DuplicatePointsError) as info:
        load_points(tmp_path / "dup.npy")
    assert info.value.indices == [(1, 3)] and "dup.npy" in str(info.value)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(InvalidInputError, match="'path'"):
        load_points(tmp_path / "junk.npy")


def test_path_failures(tmp_path):
    with pytest.raises(InvalidInputError, match="'path'.*no such file"):
        load_points(tmp_path / "missing.csv")
    with pytest.raises(InvalidInputError, match="'path'"):
        load_points(tmp_path)
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(InvalidInputError, match="'path'.*\\.csv"):
        load_points(tmp_path / "p.json")
    with pytest.raises(InvalidInputError, match="'path'"):
        load_points(None)


@pytest.mark.parametrize(
    "call,arg",
    [
        (lambda d: write_points(d / "no" / "p.csv", [[0, 0], [1, 0], [0, 1]]), "'path'"),
        (lambda d: write_points(d / "p.csv", [[0, 0], [1, np.inf]]), "'points'"),
        (lambda d: write_points(d / "p.csv", np.zeros((2, 2, 2))), "'points'"),
        (lambda d: write_points(d / "p.csv", [[0, 0], [1, 0]], [1.0]), "'values'"),
        (lambda d: write_points(d / "p.csv", [[0, 0], [1, 0]], {"y": [1.0, 2.0]}), "'values'"),
        (lambda d: write_points(d / "p.csv", [[0, 0], [1, 0]], [1.0, 2.0], value_name="x3"), "'values'"),
        (lambda d: write_points(d / "p.csv", [[0, 0], [1, 0]], [1.0, 2.0], value_name=""), "'value_name'"),
    ],
)
def test_write_failures(tmp_path, call, arg):
    with pytest.raises(InvalidInputError) as info:
        call(tmp_path)
    assert arg in str(info.value)


# ------------------------------------------------------------------------------------------ shipped data


def _rebuilt():
    g = sample_points(9, 2, "grid", domain=(0, 2))
    s = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]], dtype=float)
    r = sample_points(20, 2, seed=20)
    return {
        "five_1d": ([-0.8, -0.3, 0.1, 0.6, 0.9], [0.5, 1, 0.7, 1.2, 0.4]),
        "boursier_1d": ([-0.75, -0.5, 0.125], [1.1, 0.1, 0.8]),
        "mixed_1d": ([-0.9, -0.55, -0.2, 0.15, 0.5, 0.9], [0.6, -0.4, 0.3, -0.5, 0.4, -0.2]),
        "grid3x3": (g, (g**2).sum(1)),
        "square_2d": (s, (s**2).sum(1)),
        "random20_2d": (r, get_target("franke")(r)),
    }


@pytest.mark.parametrize("name", sorted(_rebuilt()))
def test_shipped_point_sets_match_their_recipe(name):
    pts, vals = _rebuilt()[name]
    ps = load_points(DATA / f"{name}.csv")
    # the recipe runs numpy's vectorised exp/sin, whose last bit differs between CPUs (AVX-512 or
    # not); the shipped file holds one rounding, so compare to a few ulps, not bit for bit
    np.testing.assert_allclose(ps.points, np.asarray(pts, dtype=float).reshape(len(vals), -1), rtol=1e-14, atol=0)
    np.testing.assert_allclose(ps.values("value"), vals, rtol=1e-14, atol=1e-15)


def test_shipped_1d_sets_have_the_documented_label_signs():
    assert (load_points(DATA / "five_1d.csv").values() > 0).all()
    assert (load_points(DATA / "boursier_1d.csv").values() > 0).all()
    mixed = load_points(DATA / "mixed_1d.csv").values()
    assert (mixed > 0).any() and (mixed < 0).any() and len(mixed) == 6
    # docs/theory.md check 4: the LS-affine loss (1/2 mean) of the five-point set is 0.0449366
    five = load_points(DATA / "five_1d.csv")
    X = np.column_stack([five.points[:, 0], np.ones(5)])
    res = five.values() - X @ np.linalg.lstsq(X, five.values(), rcond=None)[0]
    assert 0.5 * np.mean(res**2) == pytest.approx(0.0449366, abs=1e-7)
