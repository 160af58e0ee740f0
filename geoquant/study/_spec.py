"""Study specifications (TOML) and their expansion into tasks.

The format is documented, table by table and key by key, in ``docs/study-spec.md``
(every "unknown key" error points there). In short, a spec crosses targets x
samplers x sample sizes x seeds x methods::

    [study]
    name = "quickstart"
    seeds = [0, 1, 2]            # or n_seeds = 3
    sizes = [8, 16, 32]          # default sample sizes (a target may override)
    gallery_seeds = [0]          # seeds whose fits are stored for the report's gallery

    [evaluation]                 # optional; see geoquant.compare.EvalConfig
    inner_margin = 0.1

    [[targets]]
    name = "gaussian"
    dim = 2
    sizes = [10, 20, 40]         # optional override
    params = { }                 # optional keyword arguments of get_target
    label = "bump"               # optional; default: name + parameters
    sweep = { widths = [0.1, 0.2] }  # optional: one target per value (per combination)

    [[targets]]                  # a target of your own
    name = "mymodule:f"          # f(x (..., dim), **params) -> (...)
    dim = 2
    domain = [[0, 1], [0, 1]]
    hessian_bound = 4.0          # checked by sampling; a warning in the results if exceeded

    [[samplers]]
    kind = "uniform"             # a sample_points kind
    params = { }                 # optional keyword arguments of sample_points
    dims = [1, 2]                # optional: only these dimensions

    [[methods]]
    name = "network_small"       # a registered method (geoquant.compare.list_methods())
    label = "net_small"          # optional unique label (default: the name)
    width = 200                  # the method's parameters
    init_scale = [1e-1, 1e-4, 1e-10]   # a network's regime axes (init_scale, width, lr) may be
                                 # lists: the entry expands to their grid, labelled
                                 # "net_small[init_scale=0.1]", ...
    dims = [2]                   # optional: only these dimensions
    max_n = 80                   # optional: only sample sizes up to this
    min_n = 8                    # optional: only sample sizes from this on

Every problem is reported as a :class:`~geoquant.errors.SpecError` naming the
key path and what was expected: ``methods[2].width: expected a positive
integer, found "ten"``. Method/target/sampler names are checked against the
registries, and the error lists the valid names.

Seed policy: seed ``s`` draws the sample (``sample_points(..., seed=s)``);
the method's own randomness (random or sampled triangulations, network
initialisation) uses ``1000 * s + r`` for restart ``r`` (``r = 0`` except for
networks with ``restarts > 1``; see :func:`method_seed`). Networks get one
seed per model in their ensemble call, so each model is reproducible alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if TYPE_CHECKING:
    from ..compare import MethodTags

from .._json import json_sha256
from .._resources import is_bare_name, shipped_study_file
from ..errors import GeoquantError, InvalidInputError, SpecError
from ..compare import REGIONS, EvalConfig
from .._params import Param, show
from ._spec_check import SPEC_DOC, _array_of_tables, _check, _check_keys, _err, _table
from ._spec_targets import _check_distinct_targets, _parse_target, target_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["StudySpec", "Task", "load_spec", "parse_spec", "task_id", "method_seed", "spec_fingerprint"]

_TOP_KEYS = ("study", "evaluation", "targets", "samplers", "methods")

_STUDY_SCHEMA = {
    "name": Param("str", "study"),
    "description": Param("str", None, optional=True),
    "seeds": Param("int_list", None, min=0, optional=True),
    "n_seeds": Param("int", None, min=0, min_exclusive=True, optional=True),
    "sizes": Param("int_list", None, min=0, min_exclusive=True, optional=True),
    "gallery_seeds": Param("int_list", None, min=0, optional=True),
    "user_target_time_limit": Param("float", 600.0, min=0, min_exclusive=True, max=1e7),
    "time_budget": Param("float", None, min=0, min_exclusive=True, optional=True),
}

_EVAL_SCHEMA = {
    "regions": Param("int_list", None),  # replaced below by a custom check
    "inner_margin": Param("float", 0.1, min=0, max=0.45),
    "quadrature_degree": Param("int", 7, min=1, max=15),
    "refine": Param("int", 2, min=0, max=5),
    "linf_order": Param("int", 8, min=1, max=64),
    "grid": Param("int", 80, min=8, max=400),
    "nearest_time_limit": Param("float", 600.0, min=0, min_exclusive=True, max=1e6),
}


_SAMPLER_SCHEMA = {
    "kind": Param("str", None),
    "params": Param("dict", {}),
    "dims": Param("int_list", None, min=0, min_exclusive=True, optional=True),
}

_METHOD_RESERVED = {
    "name": Param("str", None),
    "label": Param("str", None, optional=True),
    "dims": Param("int_list", None, min=0, min_exclusive=True, optional=True),
    "max_n": Param("int", None, min=0, min_exclusive=True, optional=True),
    "min_n": Param("int", None, min=0, min_exclusive=True, optional=True),
}


@dataclass(frozen=True)
class Task:
    """One unit of work: one method on one sample of one target.

    Attributes
    ----------
    settings : dict
        Everything that determines the result (JSON-serialisable).
    id : str
        Hash of ``settings``; names the result file.
    gallery : bool
        Whether the fit is stored for the report's gallery.
    """

    settings: dict
    id: str
    gallery: bool = False

    @property
    def method_label(self) -> str:
        return self.settings["method"]["label"]

    @property
    def family(self) -> str:
        """The method's family: a display label (behaviour follows :attr:`tags`)."""
        from ..compare import method_class

        return method_class(self.settings["method"]["name"]).family

    @property
    def tags(self) -> MethodTags:
        """The method's capability tags (:func:`geoquant.compare.method_tags`)."""
        from ..compare import method_tags

        return method_tags(self.settings["method"]["name"])

    def data_key(self) -> str:
        s = self.settings
        return _hash({k: s[k] for k in ("target", "sampler", "n", "seed")})

    def unit_key(self) -> str:
        """Tasks with equal unit keys run together.

        Non-network tasks: one unit per sample (target, sampler, n, seed) -- the
        sample, its Delaunay triangulation and the quadrature are built once.
        Network tasks: one unit per (target, sampler, n) and per setting of the
        parameters one ensemble must share (width, init, steps, ...): all seeds,
        restarts, init scales and step sizes train as one batched ``train_gd`` call.
        """
        from ..compare import method_class

        s = self.settings
        if self.tags.trains:
            m = s["method"]
            shared = {k: m["params"][k] for k in method_class(m["name"]).ensemble_params(m["params"])}
            key = {k: s[k] for k in ("target", "sampler", "n", "evaluation")}
            return "net-" + _hash({**key, "method": m["name"], "shared": shared})
        return "data-" + _hash({"data": self.data_key(), "evaluation": s["evaluation"]})


def _hash(obj: object) -> str:
    return json_sha256(obj, default=str)[:20]


def task_id(settings: dict) -> str:
    """The result-file name of a task: a hash of its canonical JSON settings."""
    return _hash(settings)


def spec_fingerprint(spec: StudySpec) -> str:
    """SHA-256 of a parsed spec's canonical JSON: two specs with equal fingerprints define the same study."""
    return json_sha256(spec.to_dict(), compact=False, default=str)


def method_seed(seed: int, restart: int = 0) -> int:
    """Seed of a method's own randomness: ``1000 * seed + restart``.

    ``seed`` is the task's data seed; ``restart`` numbers the independent
    initialisations of a network on one sample (0 for every other method).
    """
    return int(seed) * 1000 + int(restart)


@dataclass
class StudySpec:
    """A parsed, validated study (see the module docstring for the format)."""

    name: str
    seeds: list
    targets: list
    samplers: list
    methods: list
    evaluation: EvalConfig
    gallery_seeds: list
    description: str | None = None
    source: str = ""
    skipped: list = field(default_factory=list)
    #: Seconds each task whose target is user code may run (``study.user_target_time_limit``); not part of
    #: the fingerprint (changing it does not change the study).
    user_target_time_limit: float = 600.0
    #: The spec file this spec was read from (None for TOML text or a dict); its directory is searched
    #: for user targets' modules (see :mod:`geoquant.study._usercode`).
    origin: str | None = None
    #: seconds the study may take (``[study] time_budget``): ``--dry-run`` says when its estimate exceeds it.
    #: Not part of the study's identity (:func:`spec_fingerprint`): changing it does not rerun anything.
    time_budget: float | None = None

    def tasks(self) -> list[Task]:
        """Expand the spec into tasks (deterministic order)."""
        out = []
        ev = self.evaluation.to_dict()
        for t in self.targets:
            for s in self.samplers:
                if s["dims"] is not None and t["dim"] not in s["dims"]:
                    continue
                for n in t["sizes"]:
                    for seed in self.seeds:
                        for m in self.methods:
                            if t["dim"] not in m["dims"] or not _n_in_range(n, m):
                                continue
                            restarts = _restarts(m)
                            for r in range(restarts):
                                settings = {
                                    "target": target_settings(t),
                                    "sampler": {"kind": s["kind"], "params": s["params"]},
                                    "n": int(n),
                                    "seed": int(seed),
                                    "method": {"name": m["name"], "label": m["label"], "params": m["params"]},
                                    "restart": r,
                                    "evaluation": ev,
                                }
                                out.append(Task(settings, task_id(settings), gallery=seed in self.gallery_seeds and r == 0))
        return out

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "seeds": self.seeds,
            "gallery_seeds": self.gallery_seeds,
            "targets": self.targets,
            "samplers": self.samplers,
            "methods": self.methods,
            "evaluation": self.evaluation.to_dict(),
        }


def load_spec(spec: str | os.PathLike[str] | dict[str, Any] | StudySpec, *, check_samples: bool = True) -> StudySpec:
    """Read and validate a study spec.

    Reading a spec runs no user code: a user target (``"module:function"``)
    is checked for its form, domain and bound here and imported only when a
    study runs it (in the study's workers).

    Parameters
    ----------
    spec : str, pathlib.Path, dict or StudySpec
        A path to a TOML file, the name of a shipped study (``"first"``,
        ``"quickstart"``, ...: :func:`geoquant._resources.shipped_studies`; a path
        that exists wins), TOML text (a string containing a newline), or an
        already parsed dict.
    check_samples : bool
        Draw every (target, sampler, size) once to check the sampler settings
        (readers of an existing study skip it: that spec was checked when it ran).

    Raises
    ------
    SpecError
        Unreadable TOML or any invalid entry; the message names the key path. A
        name that is neither a file nor a shipped study: the message lists the
        shipped names.
    """
    if isinstance(spec, StudySpec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec, check_samples=check_samples)
    text = None
    if isinstance(spec, str) and "\n" in spec:
        text = spec
    else:
        if not isinstance(spec, (str, os.PathLike)):
            raise SpecError(
                f"spec: 'spec' must be a path to a TOML file, TOML text, a dict or a StudySpec, found {type(spec).__name__}"
            )
        p = Path(spec)
        shipped = None
        try:
            if not p.exists() and is_bare_name(str(spec)):
                try:
                    shipped = shipped_study_file(str(spec))
                except InvalidInputError as exc:
                    raise SpecError(str(exc)) from None
                text = shipped.read_text(encoding="utf-8")
            else:
                text = _read_spec_text(p)
        except SpecError:
            raise
        except OSError as exc:
            raise SpecError(f"spec: cannot read {str(p)!r}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise SpecError(f"spec: {str(p)!r} is not UTF-8 text (a binary file?): {exc}") from None
        except ValueError as exc:  # e.g. a NUL byte in the path
            raise SpecError(f"spec: 'spec' is not a usable path: {exc}") from None
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"spec: expected TOML text of at most {MAX_SPEC_BYTES // 2**20} MiB, found {len(text)} characters")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"spec: not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError("spec: not valid TOML: nested too deeply") from None
    out = parse_spec(doc, check_samples=check_samples)
    out.source = text
    if not (isinstance(spec, str) and "\n" in spec):
        out.origin = str(shipped) if shipped is not None else str(Path(spec).absolute())
    return out


#: Largest spec file read (a study's spec is a few KB; readers of a study directory must not load a huge file).
MAX_SPEC_BYTES = 4 * 2**20


def _read_spec_text(p: Path) -> str:
    """The text of the spec file ``p``, refused past :data:`MAX_SPEC_BYTES` before it is read."""
    with open(p, "rb") as fh:
        data = fh.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"spec: {str(p)!r} is larger than {MAX_SPEC_BYTES // 2**20} MiB; expected a TOML spec "
                        "(a few KB), found something else")
    return data.decode("utf-8")


def _parse_seeds(study: dict) -> tuple[list[int], list[int]]:
    """``study.seeds`` (or ``range(study.n_seeds)``, default ``[0]``) and ``study.gallery_seeds`` (default:
    the first seed), checked: distinct seeds, at most :data:`MAX_TASKS`, gallery seeds among them."""
    seeds = _check(study, "seeds", _STUDY_SCHEMA["seeds"], "study")
    n_seeds = _check(study, "n_seeds", _STUDY_SCHEMA["n_seeds"], "study")
    if seeds is not None and n_seeds is not None:
        raise SpecError("study.n_seeds: expected either study.seeds or study.n_seeds, found both")
    if seeds is None:
        if n_seeds is not None and n_seeds > MAX_TASKS:
            raise _err("study.n_seeds", f"at most {MAX_TASKS} (the most tasks one study may have)", n_seeds)
        seeds = list(range(n_seeds if n_seeds is not None else 1))
    if not seeds:
        raise _err("study.seeds", "a non-empty list of non-negative integers", [])
    if len(set(seeds)) != len(seeds):
        raise _err("study.seeds", "distinct seeds", seeds)
    gallery = _check(study, "gallery_seeds", _STUDY_SCHEMA["gallery_seeds"], "study")
    if gallery is None:
        gallery = seeds[:1]
    for g in gallery:
        if g not in seeds:
            raise _err("study.gallery_seeds", f"seeds among study.seeds {seeds}", gallery)
    return seeds, gallery


def _check_unique_labels(methods: list[dict]) -> None:
    """Two method entries with one label would merge their results: refused, naming both entries."""
    labels: dict[str, int] = {}
    for i, m in enumerate(methods):
        if m["label"] in labels:
            raise SpecError(
                f"methods[{i}].label: expected a label unique among the methods, found {show(m['label'])} "
                f"(also methods[{labels[m['label']]}]); add label = \"...\" to tell them apart"
            )
        labels[m["label"]] = i


def _skipped_dimensions(methods: list[dict], dims: list[int]) -> list[dict]:
    """The (method, dimension) pairs a spec leaves out and why; a method that runs on none of the
    targets' dimensions is an error."""
    from ..compare import method_class

    skipped = []
    for i, m in enumerate(methods):
        usable = [d for d in dims if d in m["dims"]]
        if not usable:
            raise SpecError(
                f"methods[{i}]: method {show(m['name'])} supports dimension(s) "
                f"{', '.join(map(str, m['dims']))} but the targets have dimension(s) {', '.join(map(str, dims))}"
            )
        for d in dims:
            if d not in m["dims"]:
                own = method_class(m["name"]).dims
                why = (f"{m['name']} does not support {d}D" if own is not None and d not in own
                       else f"its dims = [{', '.join(map(str, m['dims']))}]")
                skipped.append({"method": m["label"], "dim": d, "reason": why})
    return skipped


def parse_spec(doc: dict, *, check_samples: bool = True) -> StudySpec:
    """Validate a spec given as a dict (the parsed TOML); ``check_samples`` as in :func:`load_spec`."""
    if not isinstance(doc, dict):
        raise _err("spec", "a table", doc)
    _check_keys(doc, _TOP_KEYS, "")
    study = _table(doc, "study", "study")
    _check_keys(study, _STUDY_SCHEMA, "study")
    name = _check(study, "name", _STUDY_SCHEMA["name"], "study")
    description = _check(study, "description", _STUDY_SCHEMA["description"], "study")
    seeds, gallery = _parse_seeds(study)
    sizes = _check(study, "sizes", _STUDY_SCHEMA["sizes"], "study")
    time_budget = _check(study, "time_budget", _STUDY_SCHEMA["time_budget"], "study")

    evaluation = _parse_evaluation(_table(doc, "evaluation", "evaluation"))
    targets = [x for i, t in enumerate(_array_of_tables(doc, "targets")) for x in _parse_target(t, i, sizes)]
    _check_distinct_targets(targets)
    samplers = [_parse_sampler(s, i) for i, s in enumerate(_array_of_tables(doc, "samplers"))]
    methods = [e for i, m in enumerate(_array_of_tables(doc, "methods")) for e in _expand_method(m, i)]

    _check_unique_labels(methods)
    dims = sorted({t["dim"] for t in targets})
    if "inner" in evaluation.regions and any(d > 2 for d in dims):
        raise SpecError(
            f"evaluation.regions: the inner region is implemented in 1D and 2D, found a target with dim "
            f"{max(dims)}; set regions = [\"hull\"]"
        )
    skipped = _skipped_dimensions(methods, dims)
    _check_size(targets, samplers, seeds, methods)
    if check_samples:
        _check_samples(targets, samplers)
    return StudySpec(
        name=name,
        description=description,
        seeds=seeds,
        targets=targets,
        samplers=samplers,
        methods=methods,
        evaluation=evaluation,
        gallery_seeds=gallery,
        skipped=skipped,
        user_target_time_limit=_check(study, "user_target_time_limit", _STUDY_SCHEMA["user_target_time_limit"],
                                      "study"),
        time_budget=None if time_budget is None else float(time_budget),
    )


def _parse_evaluation(ev: dict) -> EvalConfig:
    _check_keys(ev, _EVAL_SCHEMA, "evaluation")
    regions = ev.get("regions", list(REGIONS))
    if (
        not isinstance(regions, list)
        or not regions
        or not all(r in REGIONS for r in regions)
        or len(set(regions)) != len(regions)
    ):
        raise _err("evaluation.regions", "a non-empty list of distinct entries from " + ", ".join(map(show, REGIONS)), regions)
    kw = {k: _check(ev, k, p, "evaluation") for k, p in _EVAL_SCHEMA.items() if k != "regions"}
    if kw["quadrature_degree"] % 2 == 0:
        raise _err("evaluation.quadrature_degree", "an odd integer between 1 and 15", kw["quadrature_degree"])
    return EvalConfig(regions=tuple(r for r in REGIONS if r in regions), **kw)


def _parse_sampler(s: dict[str, Any], i: int) -> dict[str, Any]:
    path = f"samplers[{i}]"
    _check_keys(s, _SAMPLER_SCHEMA, path)
    kind = _check(s, "kind", _SAMPLER_SCHEMA["kind"], path)
    params = _check(s, "params", _SAMPLER_SCHEMA["params"], path)
    dims = _check(s, "dims", _SAMPLER_SCHEMA["dims"], path)
    from ..points import SAMPLE_KINDS

    if kind not in SAMPLE_KINDS:
        raise SpecError(f"{path}.kind: expected one of {', '.join(map(show, SAMPLE_KINDS))}, found {show(kind)}")
    for bad in ("n", "n_dims", "dim", "seed", "kind"):
        if bad in params:
            raise SpecError(f"{path}.params.{bad}: set by the study, expected it to be absent, found {show(params[bad])}")
    return {"kind": kind, "params": params, "dims": dims}


def _expand_method(m: dict, i: int) -> list:
    """One parsed method per point of its regime grid.

    A network entry may give its regime axes (``init_scale``, ``width``, ``lr``)
    as lists; the entry expands to their Cartesian product, each labelled
    ``label[axis=value,...]`` (only the listed axes appear in the label).
    """
    import itertools

    from ..compare import list_methods, method_class

    if not isinstance(m, dict):
        raise _err(f"methods[{i}]", "a table", m)
    name = m.get("name")
    regime_axes = method_class(name).regime_axes if name in list_methods() else ()
    axes = [k for k in regime_axes if isinstance(m.get(k), list)]
    for k in axes:
        if not m[k] or len(set(map(repr, m[k]))) != len(m[k]):
            raise _err(f"methods[{i}].{k}", "a non-empty list of distinct values (a sweep axis)", m[k])
    if not axes:
        return [_parse_method(m, i)]
    out = []
    base = m.get("label") or name
    for values in itertools.product(*(m[k] for k in axes)):
        point = dict(m)
        point.update(zip(axes, values))
        point["label"] = f"{base}[" + ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                               for k, v in zip(axes, values)) + "]"
        out.append(_parse_method(point, i))
    return out


def _parse_method(m: dict[str, Any], i: int) -> dict[str, Any]:
    from ..compare import list_methods, method_class

    path = f"methods[{i}]"
    name = _check(m, "name", _METHOD_RESERVED["name"], path)
    valid = list_methods()
    if name not in valid:
        raise SpecError(f"{path}.name: expected one of {', '.join(map(show, valid))}, found {show(name)}")
    cls = method_class(name)
    label = _check(m, "label", _METHOD_RESERVED["label"], path) or name
    dims = _check(m, "dims", _METHOD_RESERVED["dims"], path)
    max_n = _check(m, "max_n", _METHOD_RESERVED["max_n"], path)
    min_n = _check(m, "min_n", _METHOD_RESERVED["min_n"], path)
    if min_n is not None and max_n is not None and min_n > max_n:
        raise SpecError(f"{path}.min_n: expected at most max_n = {max_n}, found {min_n} (no sample size would run)")
    schema = cls.params_schema
    unknown = sorted(set(m) - set(schema) - set(_METHOD_RESERVED))
    if unknown:
        valid_p = sorted(set(schema) | set(_METHOD_RESERVED))
        raise SpecError(
            f"{path}.{unknown[0]}: unknown parameter of method {show(name)}; expected one of {', '.join(valid_p)} "
            f"(see 'geoquant methods' and {SPEC_DOC})"
        )
    params = {k: _check(m, k, p, path) for k, p in schema.items()}
    why = cls.combined_problem(params)
    if why is not None:
        raise SpecError(f"{path}: method {show(name)}: {why}")
    supported = list(cls.dims) if cls.dims is not None else [1, 2, 3, 4, 5, 6]
    if dims is not None:
        supported = [d for d in supported if d in dims]
    out = {"name": name, "label": label, "params": params, "dims": supported, "family": cls.family, "max_n": max_n}
    if min_n is not None:  # only when given, so that specs written before min_n keep their fingerprint
        out["min_n"] = min_n
    return out


def _restarts(method: dict) -> int:
    """Tasks per sample of a parsed method entry: its ``restarts`` if it trains, else 1."""
    from ..compare import method_tags

    return int(method["params"].get("restarts", 1)) if method_tags(method["name"]).trains else 1


def _n_in_range(n: int, method: dict) -> bool:
    """Whether a method entry runs at sample size ``n`` (its optional ``min_n`` / ``max_n``)."""
    lo, hi = method.get("min_n"), method.get("max_n")
    return (lo is None or n >= lo) and (hi is None or n <= hi)


#: The most tasks one spec may expand to (a spec is read by every reader of its study: bounded work).
MAX_TASKS = 1_000_000


def _check_size(
    targets: list[dict[str, Any]], samplers: list[dict[str, Any]], seeds: list[int], methods: list[dict[str, Any]]
) -> None:
    """Refuse a spec whose tasks would not fit in memory before any is built (an upper bound: every
    method on every sample size of every target and sampler)."""
    samples = sum(len(t["sizes"]) for t in targets) * len(samplers) * len(seeds)
    per_sample = sum(_restarts(m) for m in methods)
    if samples * per_sample > MAX_TASKS:
        raise SpecError(f"spec: expected at most {MAX_TASKS} tasks in one study, found a spec of up to "
                        f"{samples * per_sample} (targets x sizes x samplers x seeds x methods); split it into "
                        "several studies")


def _check_samples(targets: list[dict[str, Any]], samplers: list[dict[str, Any]]) -> None:
    """Draw every (target, sampler, size) once with a throwaway seed so bad sampler
    settings (a grid size that is not k**dim, a missing polygon) fail at parse time."""
    from ..points import sample_points

    for ti, t in enumerate(targets):
        for si, s in enumerate(samplers):
            if s["dims"] is not None and t["dim"] not in s["dims"]:
                continue
            for n in t["sizes"]:
                try:
                    sample_points(n, t["dim"], s["kind"], seed=0, **_sampler_kwargs(t, s))
                except GeoquantError as exc:
                    raise SpecError(
                        f"samplers[{si}]: cannot draw n={n} points for targets[{ti}] "
                        f"({show(t['name'])}, dim={t['dim']}): {exc}"
                    ) from None
                except TypeError as exc:
                    raise SpecError(f"samplers[{si}].params: not accepted by sample_points: {exc}") from None


def _sampler_kwargs(target: dict, sampler: dict) -> dict:
    kw = dict(sampler["params"])
    if sampler["kind"] != "polygon" and "domain" not in kw:
        kw["domain"] = target["_domain"]
    return kw
