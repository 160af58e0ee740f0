"""Which targets does a study spec name: its [[targets]] tables parsed, built, checked, labelled."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..errors import GeoquantError, SpecError
from .._params import Param, show
from ._spec_check import SPEC_DOC, _check, _check_keys, _err

if TYPE_CHECKING:
    from ..targets import Target

__all__ = ["build_target", "check_user_target", "target_label", "target_settings", "is_user_target_name"]

_TARGET_SCHEMA = {
    "name": Param("str", None),
    "dim": Param("int", None, min=0, min_exclusive=True),
    "sizes": Param("int_list", None, min=0, min_exclusive=True, optional=True),
    "params": Param("dict", {}),
    "label": Param("str", None, optional=True),
    "sweep": Param("dict", {}),
    "hessian_bound": Param("float", None, min=0, min_exclusive=True, optional=True),
    "domain": Param("dict", None, optional=True),  # checked by _parse_domain
}

#: Relative excess of the sampled (finite-difference) Hessian norm over a user's bound that is reported.
HESSIAN_CHECK_RTOL = 1e-3


def _target_sizes(sizes: list[int] | None, default_sizes: list[int] | None, dim: int, path: str) -> list[int]:
    """The entry's sample sizes (else ``study.sizes``): given, distinct, each at least ``dim + 1``."""
    if sizes is None:
        sizes = default_sizes
    if sizes is None:
        raise SpecError(f"{path}.sizes: expected a non-empty list of positive integers (or study.sizes), found nothing")
    if len(set(sizes)) != len(sizes):
        raise _err(f"{path}.sizes", "distinct sample sizes", sizes)
    small = [n for n in sizes if n < dim + 1]
    if small:
        raise _err(f"{path}.sizes", f"sample sizes >= {dim + 1} (dim + 1) in {dim}D", sizes)
    return sizes


def _check_user_target(name: str, bound: float | None, domain: list[list[float]] | None, path: str) -> None:
    """A ``module:function`` target needs a valid name, its Hessian bound and its domain."""
    if not is_user_target_name(name):
        raise _err(f"{path}.name", "\"module:function\" (dotted Python names, e.g. \"mytargets:bowl\") for a "
                   f"target of your own ({SPEC_DOC})", name)
    if bound is None:
        raise SpecError(f"{path}.hessian_bound: expected a positive number for the user target {show(name)} "
                        f"(M >= sup ||D^2 f|| on the domain; {SPEC_DOC}), found nothing")
    if domain is None:
        raise SpecError(f"{path}.domain: expected one [low, high] per dimension for the user target "
                        f"{show(name)} ({SPEC_DOC}), found nothing")


def _check_shipped_target(
    name: str, bound: float | None, domain: list[list[float]] | None, params: dict[str, Any], path: str
) -> dict[str, Any]:
    """A shipped target: a known name, no Hessian bound of the user's; returns its params with the
    entry's ``domain`` folded in."""
    from .. import targets as gt

    valid = list(gt.list_targets())
    if name not in valid:
        raise SpecError(f"{path}.name: expected one of {', '.join(map(show, valid))}, or \"module:function\" "
                        f"for a target of your own ({SPEC_DOC}), found {show(name)}")
    if bound is not None:
        raise SpecError(f"{path}.hessian_bound: expected it only with a user target (name = \"module:function\"); "
                        f"{show(name)} has a certified bound of its own, found {show(bound)}")
    if domain is not None:
        if "domain" in params:
            raise SpecError(f"{path}.domain: expected either domain or params.domain, found both")
        params = {**params, "domain": domain}
    return params


def _check_sweep(sweep: dict[str, Any], params: dict[str, Any], path: str) -> None:
    """Each swept parameter: a non-empty list of distinct values, not also set in ``params``."""
    for k, v in sweep.items():
        if not isinstance(v, list) or not v:
            raise _err(f"{path}.sweep.{k}", "a non-empty list of values", v)
        if k in params:
            raise SpecError(f"{path}.sweep.{k}: expected a parameter that params does not also set, found both")
        if len({show(x) for x in v}) != len(v):
            raise _err(f"{path}.sweep.{k}", "distinct values", v)


def _parse_target(t: dict[str, Any], i: int, default_sizes: list[int] | None) -> list[dict[str, Any]]:
    """One ``[[targets]]`` table -> one target dict per point of its ``sweep`` (one without a sweep)."""
    import itertools

    path = f"targets[{i}]"
    t = dict(t)
    domain_raw = t.pop("domain", None)
    _check_keys({**t, **({"domain": 0} if domain_raw is not None else {})}, _TARGET_SCHEMA, path)
    name = _check(t, "name", _TARGET_SCHEMA["name"], path)
    dim = _check(t, "dim", _TARGET_SCHEMA["dim"], path)
    sizes = _check(t, "sizes", _TARGET_SCHEMA["sizes"], path)
    params = _check(t, "params", _TARGET_SCHEMA["params"], path)
    label = _check(t, "label", _TARGET_SCHEMA["label"], path)
    sweep = _check(t, "sweep", _TARGET_SCHEMA["sweep"], path)
    bound = _check(t, "hessian_bound", _TARGET_SCHEMA["hessian_bound"], path)
    sizes = _target_sizes(sizes, default_sizes, dim, path)
    user = ":" in name
    domain = _parse_domain(domain_raw, dim, f"{path}.domain") if domain_raw is not None else None
    if user:
        _check_user_target(name, bound, domain, path)
    else:
        params = _check_shipped_target(name, bound, domain, params, path)
    _check_sweep(sweep, params, path)
    keys = sorted(sweep)
    out = []
    for combo in itertools.product(*(sweep[k] for k in keys)) if keys else [()]:
        p = {**params, **dict(zip(keys, combo))}
        lab = label
        if label is not None and keys:
            lab = f"{label}(" + ", ".join(f"{k}={show(v)}" for k, v in zip(keys, combo)) + ")"
        entry = {"name": name, "dim": dim, "sizes": list(sizes), "params": p, "label": lab,
                 "hessian_bound": bound, "domain": domain, "_path": path}
        if user:
            # reading a spec never imports user code (status, report and load_results read the spec of a
            # study directory someone else may have written); the code runs in the study's workers
            entry["_domain"] = domain
            out.append(entry)
            continue
        try:
            target = build_target(entry)
        except GeoquantError as exc:
            raise SpecError(f"{path}: get_target({show(name)}, n_dims={dim}, ...) refused the settings "
                            f"(params {show(p)}): {exc}") from None
        except TypeError as exc:
            raise SpecError(f"{path}.params: not accepted by target {show(name)}: {exc}") from None
        entry["_domain"] = _domain_of(target, dim)
        out.append(entry)
    return out


def _parse_domain(raw: object, dim: int, path: str) -> list[list[float]]:
    import numpy as np

    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != (dim, 2) or not np.all(np.isfinite(arr)) or not np.all(arr[:, 0] < arr[:, 1]):
        raise _err(path, f"{dim} pair(s) [low, high] with low < high (one per dimension)", raw)
    return arr.tolist()


def target_settings(t: dict[str, Any]) -> dict[str, Any]:
    """The target part of a task's settings. Keys beyond name/dim/params appear only when set, so the
    task ids of specs that do not use labels or user targets stay as they were."""
    out = {"name": t["name"], "dim": t["dim"], "params": t["params"]}
    if t.get("label"):
        out["label"] = t["label"]
    if t.get("hessian_bound") is not None and ":" in t["name"]:
        out["hessian_bound"] = t["hessian_bound"]
        out["domain"] = t["domain"]
    return out


def build_target(t: dict[str, Any], search: Sequence[str] | None = None) -> Target:
    """The :class:`~geoquant.targets.Target` of a target entry or of a task's target settings.

    A user target (``"module:function"``) is imported here -- which runs the module's code -- from
    the directories ``search`` (default: those of the unit being run, see
    :mod:`geoquant.study._usercode`; outside a unit, the current directory) and the installed packages.
    """
    from .. import targets as gt

    if ":" in t["name"]:
        path = search if search is not None else SEARCH_PATH.get()
        func = gt.import_callable(t["name"], search=path or (), include_cwd=path is None)
        return gt.CallableTarget(func, t["dim"], t["domain"], t["hessian_bound"], t["name"], t.get("params") or {})
    return gt.get_target(t["name"], n_dims=t["dim"], **t["params"])


#: Directories a user target is imported from while a unit runs (set by ``_usercode.user_code``, per thread);
#: None outside a unit: the current directory.
SEARCH_PATH: ContextVar[list[str] | None] = ContextVar("geoquant_user_target_path", default=None)


def is_user_target_name(name: object) -> bool:
    """Whether ``name`` is a well-formed ``"module:function"`` (dotted Python identifiers on both sides)."""
    if not isinstance(name, str) or name.count(":") != 1:
        return False
    mod, attr = name.split(":")
    return all(part.isidentifier() for part in mod.split(".")) and all(part.isidentifier() for part in attr.split("."))


def check_user_target(t: dict[str, Any], n_samples: int = 2000) -> str | None:
    """For a user target: a warning when its Hessian, sampled by finite differences, exceeds the
    given ``hessian_bound`` (by more than :data:`HESSIAN_CHECK_RTOL`); None otherwise."""
    if ":" not in t["name"]:
        return None
    from ..targets import sampled_hessian_norm

    target = build_target(t)
    value, at = sampled_hessian_norm(target, n_samples=n_samples, seed=0)
    if value > target.hessian_bound * (1 + HESSIAN_CHECK_RTOL):
        return (f"target {t.get('label') or t['name']}: sampled Hessian norm {value:.6g} at "
                f"{[round(float(v), 6) for v in at]} exceeds the given hessian_bound {target.hessian_bound:.6g}; "
                "Waldron-bound ratios of this target are not guaranteed")
    return None


def target_label(target_settings: dict[str, Any]) -> str:
    """The label of a task's target: its ``label`` if the spec gave one, else the name,
    followed by the parameters when there are any (``gaussian(width=0.2)``), so that
    two targets with the same name and different parameters never share a label."""
    if target_settings.get("label"):
        return str(target_settings["label"])
    params = target_settings.get("params") or {}
    if not params:
        return str(target_settings["name"])
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(params.items()))
    return f"{target_settings['name']}({inner})"


def _check_distinct_targets(targets: Iterable[dict[str, Any]]) -> None:
    """Two entries with equal settings would give the same tasks twice; two different targets must
    not share a label in one dimension (their results would be merged)."""
    seen: dict[str, str] = {}
    labels: dict[tuple[str, int], str] = {}
    for t in targets:
        st = target_settings(t)
        key = json.dumps({k: v for k, v in st.items() if k != "label"}, sort_keys=True, default=str)
        if key in seen:
            raise SpecError(f"{t['_path']}: expected a target different from {seen[key]}, found the same target "
                            f"{show(t['name'])} with the same parameters again")
        seen[key] = t["_path"]
        lab = (target_label(st), t["dim"])
        if lab in labels:
            raise SpecError(f"{t['_path']}.label: expected a label unique among the targets of dimension {t['dim']}, "
                            f"found {show(lab[0])} (also {labels[lab]}); give each a different label")
        labels[lab] = t["_path"]


def _domain_of(target: Target, dim: int) -> list[list[float]]:
    import numpy as np

    return np.asarray(target.domain, dtype=float).reshape(dim, 2).tolist()
