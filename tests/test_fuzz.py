"""Fuzzing the public functions and the CLI with bad, extreme and near-degenerate input.

Every public function is called with a small valid baseline; then one argument at a time is
replaced by a bad or extreme value (a fixed list per kind of argument, plus seeded random
garbage). The outcome must be one of:

* a :class:`~geoquant.errors.GeoquantError` whose message names the argument (for the
  "invalid" values: NaN, complex, text, wrong shapes, unknown options, ...);
* for the "extreme but valid" values (huge or tiny coordinates, near-duplicates, huge sizes):
  either a GeoquantError naming the argument (e.g. a ``TooLargeError``) or a result whose
  floats are all finite.

Anything else (a raw ``ValueError``/``TypeError``/``LinAlgError``..., a silently accepted
invalid value, an inf or NaN in a result) is a failure. The tests run under a 1 GiB memory
budget (``GEOQUANT_MEMORY_BUDGET_GB``), so every size refusal happens up front, and the
process's peak memory is checked against it.

``python3 -m tests.test_fuzz`` prints the tallies (inputs, outcomes, raw exceptions).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
import resource
from pathlib import Path

import numpy as np
import pytest

import geoquant as gq
import geoquant.nn as gqnn
from geoquant.errors import GeoquantError

BUDGET_GB = 1.0
SEED = 20261201


# ------------------------------------------------------------------------------------ fixtures
def _base():
    X2 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.4, 0.6], [0.7, 0.3]])
    X1 = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y2 = np.array([0.5, 1.0, 0.7, 1.2, 0.4, 0.9])
    y1 = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 3))
    a = rng.normal(size=5)
    W1 = rng.normal(size=(4, 2))
    a1 = rng.normal(size=4)
    return dict(X2=X2, X1=X1, y2=y2, y1=y1, W=W, a=a, W1=W1, a1=a1)


B = _base()
TRI2 = gq.delaunay(B["X2"])
TRI1 = gq.delaunay(B["X1"])
FRANKE = gq.get_target("franke")
QUAD1 = gq.get_target("quadratic", n_dims=1)


class Bad:
    """A replacement value; ``valid=True`` marks extreme-but-valid input (a result is fine)."""

    def __init__(self, value, label, valid=False):
        self.value, self.label, self.valid = value, label, valid

    def __repr__(self):
        return self.label


def _points_bad(X, kind):
    d = X.shape[1] if X.ndim == 2 else 1
    Xc = X if X.ndim == 2 else X[:, None]
    nan = Xc.copy()
    nan[1, 0] = np.nan
    inf = Xc.copy()
    inf[0, -1] = np.inf
    dup = np.vstack([Xc, Xc[:1]])
    out = [
        Bad(None, "None"),
        Bad("points", "text"),
        Bad(b"\x00\x01", "bytes"),
        Bad(3.0, "scalar"),
        Bad([], "empty"),
        Bad(np.zeros((2, 2, 2)), "3-D"),
        Bad(Xc + 1j, "complex"),
        Bad(Xc.astype(str), "string array"),
        Bad(nan, "NaN"),
        Bad(inf, "inf"),
        Bad(dup, "duplicate"),
        Bad(Xc[:1], "one point"),
        Bad([[0.0, 1.0], [2.0]], "ragged"),
        Bad(np.array([object(), object()]), "objects"),
        Bad(Xc * 1e150, "1e150", valid=True),
        Bad(Xc * 1e300, "1e300", valid=True),
        Bad(Xc * 1e-160, "1e-160", valid=True),
        Bad(Xc * 1e-310, "1e-310", valid=True),
        Bad(Xc + 1e6, "offset 1e6", valid=True),
        Bad(np.vstack([Xc, Xc[:1] + 1e-7]), "near-duplicate 1e-7", valid=True),
    ]
    if d == 2:
        out.append(Bad(np.column_stack([np.arange(5.0), 2 * np.arange(5.0)]), "collinear"))
        sliver = np.array([[0, 0], [1, 0], [0.5, 1e-9], [0.5, 1]], float)
        out.append(Bad(sliver, "sliver", valid=True))
        ms = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5], [0.5 + 1e-6, 0.5], [0.5, 0.5 + 1e-6]])
        out.append(Bad(ms, "multi-scale", valid=True))
    return out


def _values_bad(n):
    v = np.linspace(0.1, 1.0, n)
    nan = v.copy()
    nan[0] = np.nan
    return [
        Bad(None, "None"),
        Bad("values", "text"),
        Bad(nan, "NaN"),
        Bad(np.r_[v, 1.0], "too long"),
        Bad(v[:-1], "too short"),
        Bad(v[:, None] * np.ones(2), "2-D"),
        Bad(v + 1j, "complex"),
        Bad(v * 1e300, "1e300", valid=True),
        Bad(v * 1e-300, "1e-300", valid=True),
    ]


INT_BAD = [Bad(-1, "-1"), Bad(1.5, "1.5"), Bad("3", "'3'"), Bad(True, "True"), Bad(float("nan"), "nan"), Bad(1 + 2j, "complex")]
HUGE_INT = [Bad(10**12, "1e12", valid=True)]
FLOAT_BAD = [Bad(float("nan"), "nan"), Bad(float("inf"), "inf"), Bad(-1.0, "-1"), Bad("x", "'x'"), Bad(1 + 1j, "complex")]
OPTION_BAD = [Bad("nope", "'nope'"), Bad(3, "3"), Bad("", "''")]
TRI_BAD = [Bad(None, "None"), Bad(B["X2"], "array"), Bad("tri", "text")]
CALLABLE_BAD = [
    Bad(None, "None"),
    Bad(3, "3"),
    Bad(lambda x: np.full(np.shape(x)[:-1], "a"), "returns strings"),
    Bad(lambda x: np.full(np.shape(x)[:-1], np.nan), "returns NaN"),
    Bad(lambda x: np.zeros(3), "wrong shape"),
]


@dataclasses.dataclass
class Case:
    name: str
    fn: object
    kwargs: dict
    args: dict  # argument name -> list of Bad
    aliases: dict = dataclasses.field(default_factory=dict)  # argument -> other names its messages may use


def _cases(tmp: Path):
    X2, y2, X1, y1, W, a = B["X2"], B["y2"], B["X1"], B["y1"], B["W"], B["a"]
    csv = tmp / "ok.csv"
    gq.write_points(csv, X2, y2)
    binary = tmp / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    empty = tmp / "empty.csv"
    empty.write_text("")
    newline = tmp / "nl.csv"
    newline.write_text('x,y,"val\nue"\n0,0,1\n1,0,2\n0,1,3\n')
    wide = tmp / "wide.csv"
    wide.write_text(",".join(["x", "y"] + [f"c{i}" for i in range(1500)]) + "\n")
    pickled = tmp / "obj.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    path_bad = [
        Bad(None, "None"),
        Bad(3, "3"),
        Bad(b"\x00bin", "bytes"),
        Bad(str(tmp / "missing.csv"), "missing"),
        Bad(str(tmp), "directory"),
        Bad(binary, "binary file"),
        Bad(empty, "empty file"),
        Bad(newline, "newline in a column name"),
        Bad(wide, "1502 columns"),
        Bad(pickled, "pickled .npy"),
    ]
    P2, P1 = _points_bad(X2, 2), _points_bad(X1, 1)
    return [
        Case("delaunay", gq.delaunay, dict(points=X2), dict(points=P2)),
        Case("delaunay1d", gq.delaunay, dict(points=X1), dict(points=P1)),
        Case("Triangulation", gq.Triangulation, dict(points=X2, simplices=TRI2.simplices),
             dict(points=P2[:14], simplices=[Bad(None, "None"), Bad(TRI2.simplices + 0.5, "fractional"),
                                            Bad(TRI2.simplices[:1], "not covering"), Bad(-TRI2.simplices, "negative"),
                                            Bad("s", "text"), Bad(TRI2.simplices[:, :2], "wrong width")])),
        Case("sample_points", gq.sample_points, dict(n=10, n_dims=2),
             dict(n=INT_BAD + [Bad(0, "0"), Bad(10**12, "1e12", valid=True)], n_dims=INT_BAD + [Bad(0, "0")],
                  kind=OPTION_BAD, seed=[Bad(-1, "-1"), Bad("s", "'s'"), Bad(1.5, "1.5")],
                  cluster_std=FLOAT_BAD, domain=[Bad([[0, 1]], "1 row for 2D"), Bad([1, 0], "reversed"),
                                                 Bad([[0, np.nan]], "nan"), Bad("box", "text")])),
        Case("sample_points clustered", gq.sample_points, dict(n=50, n_dims=2, kind="clustered"),
             dict(cluster_std=[Bad(1e-5, "1e-5", valid=True), Bad(1e-12, "1e-12", valid=True), Bad(0.0, "0")],
                  n_clusters=INT_BAD + [Bad(0, "0")])),
        Case("load_points", gq.load_points, dict(path=csv),
             dict(path=path_bad, duplicate_rtol=[Bad(float("nan"), "nan"), Bad(-1.0, "-1"), Bad("x", "'x'")],
                  coordinate_columns=[Bad(["nope"], "unknown"), Bad(3, "3"), Bad(["x", "x"], "repeated")])),
        Case("write_points", gq.write_points, dict(path=tmp / "w.csv", points=X2, values=y2),
             dict(points=P2[:14], values=_values_bad(6)[1:7],
                  value_name=[Bad("a\nb", "newline"), Bad("a,b", "comma"), Bad("", "empty"), Bad(3, "3")],
                  path=[Bad(tmp / "no" / "w.csv", "missing dir"), Bad(None, "None")])),
        Case("get_target", gq.get_target, dict(name="sines", n_dims=2),
             dict(name=OPTION_BAD + [Bad(None, "None")], n_dims=INT_BAD + [Bad(0, "0")])),
        Case("get_target fourier", gq.get_target, dict(name="fourier", n_dims=2),
             dict(n_terms=INT_BAD + [Bad(10**9, "1e9")], bandwidth=FLOAT_BAD)),
        Case("interpolation_error", gq.interpolation_error, dict(tri=TRI2, f=FRANKE, norm="linf"),
             dict(tri=TRI_BAD, f=CALLABLE_BAD, norm=OPTION_BAD, bogus=[Bad(1, "unknown keyword")],
                  linf_order=INT_BAD + [Bad(0, "0")], quad_index=INT_BAD, hessian_bound=FLOAT_BAD[:3])),
        Case("simplex_errors", gq.simplex_errors, dict(points=X2, simplices=TRI2.simplices, f=FRANKE),
             dict(f=CALLABLE_BAD, norm=OPTION_BAD, values=_values_bad(6)[1:7],
                  simplices=[Bad(np.array([[0, 1, 99]]), "out of range"), Bad("s", "text")])),
        Case("error_bounds", gq.error_bounds, dict(tri=TRI2, M=2.0), dict(tri=TRI_BAD, M=FLOAT_BAD)),
        Case("circumspheres", gq.circumspheres, dict(points=X2, simplices=TRI2.simplices),
             dict(points=P2[:10], simplices=[Bad(np.array([[0, 1, 99]]), "out of range"), Bad([[0.5, 1, 2]], "fractional"),
                                             Bad(None, "None")])),
        Case("min_enclosing_radius", gq.min_enclosing_radius, dict(points=X2, simplices=TRI2.simplices),
             dict(points=P2[:10], simplices=[Bad(np.array([[0, 1, 99]]), "out of range"), Bad("s", "text")])),
        Case("PiecewiseLinearInterpolant", gq.PiecewiseLinearInterpolant, dict(tri=TRI2, values=y2),
             dict(tri=TRI_BAD, values=_values_bad(6)[:7])),
        Case("count_triangulations", gq.count_triangulations, dict(points=X2),
             dict(points=P2, fine=[Bad("yes", "'yes'"), Bad(None, "None")], max_states=INT_BAD + [Bad(0, "0")])),
        Case("enumerate_triangulations", lambda **k: list(gq.enumerate_triangulations(**k)), dict(points=X2),
             dict(points=P2[:14], limit=INT_BAD[:3])),
        Case("sample_triangulations", gq.sample_triangulations, dict(points=X2, k=3),
             dict(points=P2[:14], k=INT_BAD + [Bad(10**9, "1e9")], seed=[Bad("s", "'s'")])),
        Case("cost_statistics", gq.cost_statistics, dict(points=X2, cost=lambda s: np.ones(len(s))),
             dict(points=P2[:14], cost=[Bad(None, "None"), Bad(lambda s: np.array(["a"] * len(s)), "returns strings"),
                                       Bad(lambda s: np.full(len(s), np.nan), "returns NaN"),
                                       Bad(lambda s: np.ones(2), "wrong shape")],
                  reduce=OPTION_BAD)),
        Case("flip_graph", gq.flip_graph, dict(points=X2), dict(points=P2[:14], limit=INT_BAD[:3] + [Bad(0, "0")])),
        Case("lawson_flip", gq.lawson_flip, dict(tri=TRI2), dict(tri=TRI_BAD, criterion=OPTION_BAD,
                                                                  max_flips=INT_BAD[:3])),
        Case("data_dependent_triangulation", gq.data_dependent_triangulation, dict(points=X2, values=y2),
             dict(points=P2[:14], values=_values_bad(6), criterion=OPTION_BAD, start=OPTION_BAD)),
        Case("regular_triangulation", gq.regular_triangulation, dict(points=X2, heights=y2),
             dict(points=P2[:14], heights=_values_bad(6)[:7])),
        Case("random_regular_triangulation", gq.random_regular_triangulation, dict(points=X2),
             dict(points=P2, seed=[Bad("s", "'s'"), Bad(-1, "-1")])),
        Case("orient2d", gq.orient2d, dict(a=[0.0, 0.0], b=[1.0, 0.0], c=[0.0, 1.0]),
             dict(a=[Bad([0.0], "1 coordinate"), Bad("a", "text"), Bad([np.nan, 0], "nan"), Bad([1e300, 1e300], "1e300", valid=True)])),
        Case("sectors", gq.sectors, dict(points=X2), dict(points=P2, method=OPTION_BAD, atol=FLOAT_BAD)),
        Case("sectors big", gq.sectors, dict(points=X2), dict(points=[Bad(gq.sample_points(1500, 2, seed=0), "1500 points")])),
        Case("extremal_directions", gq.extremal_directions, dict(points=X2, values=y2),
             dict(points=P2, values=_values_bad(6), rtol=FLOAT_BAD)),
        Case("extremal_directions 1d", gq.extremal_directions, dict(points=X1, values=y1),
             dict(points=P1, values=_values_bad(5))),
        Case("predict_function", gq.predict_function, dict(points=X1, values=y1, refit="fixed"),
             dict(points=P1[:14], values=_values_bad(5)[:7], refit=OPTION_BAD, max_stages=INT_BAD[:3])),
        Case("reachable_functions", gq.reachable_functions, dict(points=X1, values=y1, refit="fixed", max_branches=20),
             dict(values=_values_bad(5)[:7], population=OPTION_BAD, max_branches=INT_BAD[:3] + [Bad(0, "0")],
                  progress=[Bad("yes", "'yes'")])),
        Case("alignment_potential", gq.alignment_potential, dict(points=X1, r=y1, w=np.array([1.0, 0.0])),
             dict(points=P1[:14], r=_values_bad(5)[:7], w=[Bad("w", "text"), Bad([np.nan, 1.0], "nan"), Bad([1.0, 2.0, 3.0], "wrong length")])),
        Case("network_function", gq.network_function, dict(W=W, a=a, x=X2),
             dict(W=[Bad(None, "None"), Bad(np.ones((5, 4)), "3D network for 2D x"), Bad(np.full((5, 3), np.nan), "nan"), Bad(W + 1j, "complex")],
                  a=[Bad(a[:3], "short"), Bad("a", "text")], x=[Bad(X2[:, :1], "wrong dim"), Bad("x", "text")]),
             aliases={"W": ["'x'"]}),
        Case("neuron_directions", gq.neuron_directions, dict(W=W), dict(W=[Bad(None, "None"), Bad("W", "text"), Bad(W + 1j, "complex")],
                                                                       atol=FLOAT_BAD)),
        Case("kinks_1d", gq.kinks_1d, dict(W=B["W1"], a=B["a1"]),
             dict(W=[Bad(W, "2D network"), Bad(None, "None")], angle_tol=FLOAT_BAD, min_amplitude_fraction=FLOAT_BAD)),
        Case("linear_regions", gq.linear_regions, dict(W=W, a=a, domain=[[-1, 1], [-1, 1]]),
             dict(domain=[Bad(None, "None"), Bad([[1, -1], [0, 1]], "reversed"), Bad("box", "text")],
                  max_lines=INT_BAD[:3] + [Bad(0, "0")], rtol=FLOAT_BAD[:3])),
        Case("breaklines", gq.breaklines, dict(W=W, a=a, domain=[[-1, 1], [-1, 1]]),
             dict(domain=[Bad(None, "None"), Bad("box", "text")], angle_tol=FLOAT_BAD)),
        # the neuron-geometry functions on a stack of models (one entry per model)
        Case("linear_regions stack", gqnn.linear_regions, dict(W=np.stack([W, -W]), a=np.stack([a, a]), domain=[[-1, 1], [-1, 1]]),
             dict(domain=[Bad(None, "None"), Bad("box", "text")], max_lines=INT_BAD[:3] + [Bad(0, "0")],
                  c=[Bad([1.0, 2.0, 3.0], "wrong length"), Bad(float("nan"), "nan")])),
        Case("network_forward", gqnn.network_forward, dict(W=np.stack([W, -W]), a=np.stack([a, a]), points=X2),
             dict(W=[Bad(None, "None"), Bad(np.full((2, 5, 3), np.nan), "nan"), Bad(W + 1j, "complex")],
                  a=[Bad(a, "one model's a"), Bad("a", "text")], points=[Bad(X2[:, :1], "wrong dim"), Bad("x", "text")],
                  c=[Bad([1.0, 2.0, 3.0], "wrong length"), Bad(float("nan"), "nan")])),
        Case("cluster_directions stack", gqnn.cluster_directions, dict(W=np.stack([W, -W]), a=np.stack([a, a])),
             dict(angle_tol=FLOAT_BAD, method=OPTION_BAD, a=[Bad(a, "one model's a"), Bad("a", "text")])),
        Case("count_linear_pieces stack", gqnn.count_linear_pieces,
             dict(W=np.stack([B["W1"], -B["W1"]]), a=np.stack([B["a1"], B["a1"]]), points=X1),
             dict(angle_tol=FLOAT_BAD, jump_rtol=FLOAT_BAD[:2], points=[Bad(X2, "2D points"), Bad("x", "text")])),
        Case("find_plateaus stack", gqnn.find_plateaus,
             dict(steps=np.arange(1, 11), loss=np.column_stack([np.linspace(1, 0.1, 10), np.ones(10)])),
             dict(loss=[Bad(np.ones((3, 2)), "short"), Bad(np.full((10, 2), np.nan), "NaN"), Bad("l", "text")],
                  window=[Bad(0.5, "0.5")])),
        Case("dead_neurons", gq.dead_neurons, dict(W=W, points=X2), dict(points=P2[:10], W=[Bad("W", "text")])),
        Case("find_plateaus", gq.find_plateaus, dict(steps=np.arange(1, 11), loss=np.linspace(1, 0.1, 10)),
             dict(steps=[Bad(np.arange(10, 0, -1), "decreasing"), Bad("s", "text")],
                  loss=[Bad(np.r_[np.nan, np.ones(9)], "NaN"), Bad(np.ones(3), "short"), Bad("l", "text")],
                  window=FLOAT_BAD + [Bad(0.5, "0.5")], rtol=FLOAT_BAD)),
        Case("train_gd", gq.train_gd, dict(points=X1, values=y1, width=4, n_steps=5, records=3, checkpoints=2, progress=False),
             dict(points=P1[:14], values=_values_bad(5)[:7], width=INT_BAD + [Bad(0, "0"), Bad(10**9, "1e9")],
                  n_steps=INT_BAD[:3], lr=FLOAT_BAD, init=OPTION_BAD, dtype=OPTION_BAD, loss=OPTION_BAD,
                  checkpoints=[Bad(10**9, "1e9"), Bad(-1, "-1")], n_models=INT_BAD[:3] + [Bad(10**9, "1e9")],
                  device=[Bad("tpu9", "'tpu9'")], seed=[Bad("s", "'s'")])),
        Case("train_flow", gq.train_flow, dict(points=X1, values=y1, width=4, t_max=0.5, records=3, checkpoints=2, progress=False),
             dict(t_max=FLOAT_BAD, t_first=[Bad(5.0, "> t_max"), Bad(-1.0, "-1")], rtol=FLOAT_BAD, width=[Bad(10**9, "1e9")])),
        Case("list_methods", gq.list_methods, dict(), dict(family=[Bad(3, "3")])),  # any string is a family label
        Case("get_method", gq.get_method, dict(name="delaunay"), dict(name=OPTION_BAD + [Bad(None, "None")],
                                                                    bogus=[Bad(1, "unknown parameter")]),
             aliases={"name": ["'method'"]}),
        Case("register_method", gq.register_method, dict(cls=None), dict(cls=[Bad(3, "3"), Bad(int, "int"), Bad("m", "text")])),
        Case("evaluate", _evaluate, dict(points=X2, values=FRANKE(X2)),
             dict(points=P2[:14], values=_values_bad(6)[:7], target=[Bad(None, "None"), Bad(3, "3")], config=[Bad("c", "text")])),
        Case("fit_rates", _fit_rates, dict(metric="l2_hull"), dict(metric=[Bad("nope", "'nope'")], df=[Bad("df", "text")])),
        Case("load_spec", gq.load_spec, dict(spec="[study]\nname = 'x'\n"),
             dict(spec=[Bad(None, "None"), Bad(b"\x00\x01", "bytes"), Bad(3, "3"), Bad(binary, "binary file"),
                        Bad(str(tmp / "missing.toml"), "missing"), Bad("[[[\n", "bad TOML")])),
        Case("plot_error_map", _plot(gq.plot_error_map), dict(tri=TRI2, f=FRANKE),
             dict(resolution=INT_BAD[:3] + [Bad(10**6, "1e6")], tri=TRI_BAD, f=CALLABLE_BAD[:2])),
        Case("plot_interpolant_1d", _plot(gq.plot_interpolant_1d), dict(tri=TRI1, target=QUAD1),
             dict(resolution=INT_BAD[:3] + [Bad(10**10, "1e10")], values=_values_bad(5)[1:7])),
        Case("describe_target", gq.describe_target, dict(name="franke"), dict(name=OPTION_BAD)),
    ]


def _evaluate(points, values, target=FRANKE, config=None):
    m = gq.get_method("delaunay")
    m.fit(B["X2"], FRANKE(B["X2"]))
    return gq.evaluate(m, target, points, values, config)


def _fit_rates(metric="l2_hull", df=None):
    import pandas as pd

    if df is None:
        df = pd.DataFrame({"target": ["t"] * 4, "dim": [2] * 4, "sampler": ["u"] * 4, "method": ["m"] * 4,
                           "seed": [0, 0, 1, 1], "n": [10, 20, 10, 20], "status": ["done"] * 4,
                           "l2_hull": [1.0, 0.5, 1.1, 0.6]})
    return gq.fit_rates(df, metric)


def _plot(fn):
    def call(**kw):
        import matplotlib.pyplot as plt

        try:
            return fn(**kw)
        finally:
            plt.close("all")

    return call


# ------------------------------------------------------------------------------------ random garbage
def _random_arrays(rng, k):
    """Seeded random point-like garbage: random shapes, dtypes and poisoned entries."""
    out = []
    for i in range(k):
        n, d = int(rng.integers(0, 8)), int(rng.integers(0, 4))
        arr = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-300, 300)
        choice = rng.integers(0, 6)
        if choice == 0 and arr.size:
            arr.flat[rng.integers(arr.size)] = rng.choice([np.nan, np.inf, -np.inf])
        elif choice == 1:
            arr = arr.astype(complex)
        elif choice == 2 and arr.size:
            arr = np.repeat(arr[:1], n, axis=0)  # all coinciding
        elif choice == 3:
            arr = arr.reshape(-1)
        out.append(Bad(arr, f"random[{i}] shape {arr.shape} {arr.dtype}", valid=True))
    return out


# ------------------------------------------------------------------------------------ the driver
@dataclasses.dataclass
class Tally:
    inputs: int = 0
    refused: int = 0
    accepted: int = 0
    raw: list = dataclasses.field(default_factory=list)
    silent: list = dataclasses.field(default_factory=list)
    unnamed: list = dataclasses.field(default_factory=list)
    nonfinite: list = dataclasses.field(default_factory=list)

    @property
    def failures(self):
        return self.raw + self.silent + self.unnamed + self.nonfinite


def _finite(obj, depth=0) -> bool:
    """Every float reachable in a result (arrays, dataclasses, sequences, dicts) is finite."""
    if depth > 4:
        return True
    if isinstance(obj, (float, np.floating)):
        return math.isfinite(obj)
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind != "f" or bool(np.all(np.isfinite(obj)))
    if isinstance(obj, dict):
        return all(_finite(v, depth + 1) for v in obj.values() if v is not None)
    if isinstance(obj, (list, tuple)):
        return all(_finite(v, depth + 1) for v in list(obj)[:50])
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return all(_finite(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj))
    return True


def _names(arg: str, case: Case) -> list[str]:
    return [arg] + case.aliases.get(arg, [])


def run_case(case: Case, tally: Tally, extra: dict | None = None):
    args = dict(case.args)
    for arg, bads in (extra or {}).items():
        args[arg] = args.get(arg, []) + bads
    for arg, bads in args.items():
        for bad in bads:
            kw = dict(case.kwargs)
            kw[arg] = bad.value
            tally.inputs += 1
            where = f"{case.name}({arg}={bad!r})"
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    result = case.fn(**kw)
            except GeoquantError as exc:
                tally.refused += 1
                msg = str(exc)
                if arg != "bogus" and not any(name in msg for name in _names(arg, case)):
                    tally.unnamed.append(f"{where}: {type(exc).__name__}: {msg[:160]}")
            except Exception as exc:  # noqa: BLE001 - the point of the test
                tally.raw.append(f"{where}: {type(exc).__name__}: {str(exc)[:160]}")
            else:
                tally.accepted += 1
                if not bad.valid:
                    tally.silent.append(f"{where}: accepted, returned {type(result).__name__}")
                elif not _finite(result):
                    tally.nonfinite.append(f"{where}: result holds NaN/inf")


@pytest.fixture(autouse=True)
def _budget(monkeypatch):
    monkeypatch.setenv("GEOQUANT_MEMORY_BUDGET_GB", str(BUDGET_GB))


def _run_all(tmp: Path) -> Tally:
    tally = Tally()
    rng = np.random.default_rng(SEED)
    for case in _cases(tmp):
        extra = {}
        if "points" in case.args and case.name in ("delaunay", "count_triangulations", "sectors", "random_regular_triangulation"):
            extra["points"] = _random_arrays(rng, 12)
        run_case(case, tally, extra)
    return tally


def _report(t: Tally) -> str:
    lines = [f"fuzzed inputs: {t.inputs}; refused with a GeoquantError: {t.refused}; accepted: {t.accepted}",
             f"raw exceptions: {len(t.raw)}; silently accepted invalid input: {len(t.silent)}; "
             f"errors not naming the argument: {len(t.unnamed)}; non-finite results: {len(t.nonfinite)}"]
    for label, items in (("RAW", t.raw), ("SILENT", t.silent), ("UNNAMED", t.unnamed), ("NONFINITE", t.nonfinite)):
        lines += [f"  {label} {s}" for s in items]
    return "\n".join(lines)


def test_fuzz_public_functions(tmp_path):
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    t = _run_all(tmp_path)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024
    assert t.inputs > 500
    assert not t.failures, _report(t)
    # nothing was allocated beyond the budget the refusals enforce
    assert grown < BUDGET_GB * 2**30, f"peak memory grew by {grown / 2**30:.2f} GiB"


# ------------------------------------------------------------------------------------ the CLI
def _cli(argv):
    """Run the CLI in-process: (exit code, stdout, stderr); a raw exception propagates."""
    from geoquant.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _cli_inputs(tmp: Path):
    ok = tmp / "ok.csv"
    gq.write_points(ok, B["X2"], B["y2"])
    ok1 = tmp / "ok1.csv"
    gq.write_points(ok1, B["X1"], B["y1"])
    files = {
        "missing": tmp / "missing.csv",
        "binary": tmp / "bin.csv",
        "empty": tmp / "empty.csv",
        "header only": tmp / "header.csv",
        "nan cell": tmp / "nan.csv",
        "newline name": tmp / "nl.csv",
        "huge": tmp / "huge.csv",
        "tiny": tmp / "tiny.csv",
        "sliver": tmp / "sliver.csv",
        "collinear": tmp / "col.csv",
        "duplicate": tmp / "dup.csv",
        "ragged": tmp / "ragged.csv",
        "close 1d": tmp / "close1d.csv",
        "text cell": tmp / "text.csv",
    }
    files["binary"].write_bytes(bytes(range(256)) * 8)
    files["empty"].write_text("")
    files["header only"].write_text("x,y,value\n")
    files["nan cell"].write_text("x,y,value\n0,0,1\n1,0,nan\n0,1,2\n")
    files["newline name"].write_text('x,y,"val\nue"\n0,0,1\n1,0,2\n0,1,3\n')
    gq.write_points(files["huge"], B["X2"] * 1e200, B["y2"])
    gq.write_points(files["tiny"], B["X2"] * 1e-160, B["y2"])
    gq.write_points(files["sliver"], np.array([[0, 0], [1, 0], [0.5, 1e-9], [0.5, 1]]), np.ones(4))
    files["collinear"].write_text("x,y,value\n0,0,1\n1,1,2\n2,2,3\n")
    files["duplicate"].write_text("x,y,value\n0,0,1\n1,0,2\n0,1,3\n0,0,4\n")
    files["ragged"].write_text("x,y,value\n0,0,1\n1,0\n0,1,3\n")
    gq.write_points(files["close 1d"], np.array([0.3, 0.3 + 1e-9, 0.3 + 2e-9, 0.5, 0.9]), np.ones(5))
    files["text cell"].write_text("x,y,value\n0,0,1\n1,zero,2\n0,1,3\n")
    runs = []
    for label, f in files.items():
        runs += [["delaunay", str(f)], ["delaunay", str(f), "--json"], ["error", str(f), "--target", "quadratic"],
                 ["triangulations", "count", str(f)], ["quantize", str(f)]]
    runs += [
        ["error", str(ok), "--target", "nope"],
        ["error", str(ok)],
        ["delaunay"],
        ["delaunay", str(ok), "--bogus"],
        ["train", str(ok1), "--width", "-1", "--out", str(tmp / "t")],
        ["train", str(ok1), "--width", "1000000000", "--out", str(tmp / "t2")],
        ["train", str(ok1), "--width", "abc", "--out", str(tmp / "t3")],
        ["train", str(ok1), "--lr", "nan", "--out", str(tmp / "t4")],
        ["triangulations", "sample", str(ok), "--k", "1000000000"],
        ["triangulations", "sample", str(ok), "--k", "-3"],
        ["triangulations", "enumerate", str(ok), "--limit", "x"],
        ["study", str(tmp / "missing.toml"), "--out", str(tmp / "s")],
        ["study", str(files["binary"]), "--out", str(tmp / "s2")],
        ["study", "status", str(tmp / "nothing")],
        ["report", str(tmp / "nothing"), "--out", str(tmp / "r")],
        ["quantize", str(ok1), "--reachable", "--max-branches", "0"],
        ["nope"],
        [],
    ]
    return runs


def test_fuzz_cli(tmp_path):
    runs = _cli_inputs(tmp_path)
    raw, doubled, bad_codes = [], [], []
    for argv in runs:
        try:
            code, out, err = _cli(argv)
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raw.append(f"{argv}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        if "error: error:" in err:
            doubled.append(f"{argv}: {err.strip()[:160]}")
        if code not in (0, 1, 2):
            bad_codes.append(f"{argv}: exit {code}")
        if code == 1:
            assert err.startswith("geoquant"), (argv, err)
    assert len(runs) > 80
    assert not raw and not doubled and not bad_codes, "\n".join(raw + doubled + bad_codes)


def test_cli_json_into_a_closed_pipe_exits_quietly(tmp_path):
    """``geoquant delaunay big.csv --json | head -c 100``: no BrokenPipeError traceback."""
    import subprocess
    import sys

    f = tmp_path / "p.csv"
    gq.write_points(f, gq.sample_points(2000, 2, seed=0))
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen([sys.executable, "-m", "geoquant", "delaunay", str(f), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=root)
    proc.stdout.read(100)
    proc.stdout.close()  # the reader goes away, like head
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert proc.returncode in (0, 141)


if __name__ == "__main__":  # pragma: no cover - a tally for the closing note
    import tempfile

    os.environ["GEOQUANT_MEMORY_BUDGET_GB"] = str(BUDGET_GB)
    with tempfile.TemporaryDirectory() as d:
        print(_report(_run_all(Path(d))))
        runs = _cli_inputs(Path(d))
        n_raw = 0
        for argv in runs:
            try:
                _cli(argv)
            except Exception:  # noqa: BLE001
                n_raw += 1
        print(f"CLI runs: {len(runs)}; raw exceptions: {n_raw}")
