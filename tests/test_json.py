"""The one JSON converter: one rule for numpy values and NaN/inf, strict JSON out."""

import json
import math

import numpy as np
import pytest

from geoquant._json import dumps, to_jsonable
from geoquant.errors import InvalidInputError


def test_numpy_values_become_python_values_recursively():
    obj = {
        1: np.float32(0.5), "i": np.int64(7), "b": np.bool_(True), "t": (np.uint8(3), [np.float64(2.0)]),
        "a": np.arange(6).reshape(2, 3), "s": "x", "n": None, "py": [True, 3, 1.25],
    }
    out = to_jsonable(obj)
    assert out == {"1": 0.5, "i": 7, "b": True, "t": [3, [2.0]], "a": [[0, 1, 2], [3, 4, 5]], "s": "x", "n": None,
                   "py": [True, 3, 1.25]}
    kinds = {k: type(v) for k, v in out.items()}
    assert kinds["1"] is float and kinds["i"] is int and kinds["b"] is bool
    assert json.loads(dumps(obj, sort_keys=True)) == out  # round trip through strict JSON


@pytest.mark.parametrize("bad", [float("nan"), np.inf, -np.inf, np.float32("nan"), np.float64("-inf")])
def test_nonfinite_is_null_or_a_string_that_float_reads_back(bad):
    assert to_jsonable({"x": [bad]}) == {"x": [None]}
    s = to_jsonable(bad, nonfinite="string")
    assert s in ("nan", "inf", "-inf")
    back = float(s)
    assert (math.isnan(back) and math.isnan(float(bad))) or back == float(bad)
    assert np.asarray([s], dtype=float)[0] == back or math.isnan(back)
    assert json.loads(dumps(np.array([1.0, bad]))) == [1.0, None]


def test_output_is_strict_json_and_the_option_is_checked():
    # no NaN/Infinity tokens can reach the text; an object JSON has no form for is refused
    assert "NaN" not in dumps({"a": np.nan}) and "Infinity" not in dumps([np.inf])
    with pytest.raises(TypeError):
        dumps({"a": object()})
    assert dumps({"a": object()}, default=lambda o: "obj") == '{"a": "obj"}'
    with pytest.raises(InvalidInputError, match="'nonfinite'"):
        to_jsonable(1.0, nonfinite="zero")
