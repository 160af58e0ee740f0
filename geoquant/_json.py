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

Hashes of JSON data (task ids, spec fingerprints, record checksums, training fingerprints) are
taken of one canonical text, :func:`canonical_json` (sorted keys), by :func:`json_sha256`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from ._validation import check_option

__all__ = ["to_jsonable", "dumps", "canonical_json", "json_sha256"]

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


def canonical_json(obj: Any, *, compact: bool = True, default: Callable[[Any], Any] | None = None,
                   allow_nan: bool = True) -> str:
    """The canonical JSON text of ``obj``: keys sorted, compact separators (``compact=False``: ``", "``, ``": "``).

    ``default`` and ``allow_nan`` are :func:`json.dumps`'s. The text hashed by :func:`json_sha256`; the
    options are part of what a stored hash means, so each caller keeps the ones its hashes were made with.

    >>> canonical_json({"b": 1, "a": [1, 2]})
    '{"a":[1,2],"b":1}'
    """
    separators = (",", ":") if compact else None
    return json.dumps(obj, sort_keys=True, separators=separators, default=default, allow_nan=allow_nan)


def json_sha256(obj: Any, *, compact: bool = True, default: Callable[[Any], Any] | None = None,
                allow_nan: bool = True, prefix: bytes = b"") -> str:
    """SHA-256 (hex) of ``prefix`` followed by the UTF-8 :func:`canonical_json` of ``obj``.

    ``prefix``: raw bytes hashed first (e.g. the arrays a fingerprint covers besides its JSON part).

    >>> json_sha256({"a": 1})[:12]
    '015abd7f5cc5'
    """
    text = canonical_json(obj, compact=compact, default=default, allow_nan=allow_nan)
    return hashlib.sha256(prefix + text.encode()).hexdigest()
