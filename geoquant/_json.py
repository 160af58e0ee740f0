"""The one JSON converter for numpy values: every JSON file and JSON print of geoquant goes through it.

One rule:

* numpy scalars become Python ``int`` / ``float`` / ``bool``; arrays become
  (nested) lists; tuples become lists; dict keys become strings;
* a non-finite float (NaN, inf, -inf) becomes ``null`` -- or, with
  ``nonfinite="string"``, the string ``"nan"``, ``"inf"`` or ``"-inf"``, which
  ``float()`` and ``numpy.asarray(..., dtype=float)`` read back. The string form
  is for files that must round-trip a value (a training run's ``config.json``:
  a per-model ``max_loss`` of ``inf`` means "no limit" on resume); everything
  else (result records, manifests, CLI output) writes ``null``;
* anything else is left as it is (strings, ``None``, Python ints and bools), so
  :func:`dumps` refuses objects JSON has no form for, unless ``default=`` says.

The output is strict JSON: :func:`dumps` passes ``allow_nan=False``, so a NaN
can never reach a file as the non-standard token ``NaN``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

import numpy as np

from ._validation import check_option

__all__ = ["to_jsonable", "dumps"]

_NONFINITE = ("null", "string")


def to_jsonable(obj: Any, *, nonfinite: Literal["null", "string"] = "null") -> Any:
    """``obj`` with numpy values made plain JSON values, recursively (module docstring).

    Parameters
    ----------
    obj : any
        Dicts, lists, tuples, numpy arrays and scalars, Python scalars.
    nonfinite : {"null", "string"}, default "null"
        How NaN and infinities are written.

    Returns
    -------
    any
        A structure of dicts, lists, str, int, float (finite), bool and None
        (plus whatever other objects ``obj`` held, unchanged).

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"a": np.float64(1.5), "b": np.array([1, 2]), "c": float("nan")})
    {'a': 1.5, 'b': [1, 2], 'c': None}
    >>> to_jsonable([np.inf, -np.inf], nonfinite="string")
    ['inf', '-inf']
    """
    check_option(nonfinite, "nonfinite", _NONFINITE)
    return _convert(obj, nonfinite == "string")


def _convert(obj: Any, as_string: bool) -> Any:
    if isinstance(obj, dict):
        return {str(k): _convert(v, as_string) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_convert(v, as_string) for v in obj]
    if isinstance(obj, np.ndarray):
        return _convert(obj.tolist(), as_string)
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        if math.isfinite(v):
            return v
        return str(v) if as_string else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def dumps(obj: Any, *, nonfinite: Literal["null", "string"] = "null", **kwargs: Any) -> str:
    """Strict JSON text of ``obj`` after :func:`to_jsonable` (``kwargs`` go to :func:`json.dumps`)."""
    return json.dumps(to_jsonable(obj, nonfinite=nonfinite), allow_nan=False, **kwargs)
