"""Which targets exist: the registry behind get_target, list_targets and describe_target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple, overload

import inspect


from .._validation import check_int, check_option
from .._deprecation import renamed_arguments
from ..errors import InvalidInputError

from ._base import Target


# ================================================================================================
# registry

_REGISTRY: dict[str, tuple[type, str, tuple | None, int]] = {}


def _register(name: str, description: str, dims: tuple[int, ...] | None = None,
              default_dim: int = 2) -> Callable[[Any], Any]:
    def deco(cls: Any) -> Any:
        _REGISTRY[name] = (cls, description, dims, default_dim)
        cls.registry_name = name
        return cls

    return deco


@overload
def list_targets(details: Literal[False] = False) -> list[str]: ...
@overload
def list_targets(details: Literal[True]) -> dict[str, str]: ...
@overload
def list_targets(details: bool) -> list[str] | dict[str, str]: ...
def list_targets(details: bool = False) -> list[str] | dict[str, str]:
    """Names of the registered targets (sorted).

    Parameters
    ----------
    details : bool
        If true return a dict name -> one-line description instead.
    """
    names = sorted(_REGISTRY)
    if details:
        return {n: describe_target(n) for n in names}
    return names


def _param_names(cls: Any) -> list[str]:
    sig = inspect.signature(cls.__init__)
    return [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]


class TargetInfo(NamedTuple):
    """What the registry knows of a shipped target (:func:`target_info`)."""

    name: str
    description: str
    dims: tuple[int, ...] | None  #: supported input dimensions (None: any)
    default_dim: int
    parameters: dict[str, Any]  #: keyword-only parameter -> default (None: required)


def target_info(name: str) -> TargetInfo:
    """The registry entry of target ``name``: description, dimensions, default dimension, parameters.

    >>> info = target_info("franke")
    >>> info.dims, info.default_dim
    ((2,), 2)
    """
    check_option(name, "name", list_targets())
    cls, desc, dims, default_dim = _REGISTRY[name]
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]  # a class from the registry, not an instance
    params = {p.name: (None if p.default is inspect.Parameter.empty else p.default)
              for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return TargetInfo(name, desc.strip(), dims, default_dim, params)


def describe_target(name: str) -> str:
    """One-line description of target ``name``: formula, dimensions, default domain, parameters."""
    check_option(name, "name", list_targets())
    cls, desc, dims, default_dim = _REGISTRY[name]
    dims_txt = "any dim" if dims is None else "dim " + "/".join(str(d) for d in dims)
    return f"{desc} [{dims_txt}; parameters: {', '.join(_param_names(cls))}]"


@renamed_arguments(dim="n_dims")
def get_target(name: str, n_dims: int | None = None, **params: Any) -> Target:
    """Build a registered target.

    Parameters
    ----------
    name : str
        One of :func:`list_targets`.
    n_dims : int, optional
        Input dimension; default 2 for targets defined in any dimension, else the
        target's only dimension.
    **params
        Target parameters (see :func:`describe_target`); every target takes
        ``domain`` ((n_dims, 2) or (2,) box).

    Raises
    ------
    InvalidInputError
        Unknown name (the message lists the names), unknown parameter (named),
        unsupported ``n_dims`` or a bad parameter value.

    Examples
    --------
    >>> t = get_target("franke")
    >>> t.dim, t.bound_kind, bool(t.hessian_bound >= t.hessian_norm([[0.5, 0.5]]).max())
    (2, 'rigorous', True)
    """
    if not isinstance(name, str):
        raise InvalidInputError(f"'name' must be a string naming a target, found {type(name).__name__}")
    check_option(name, "name", list_targets())
    cls, _, dims, default_dim = _REGISTRY[name]
    dim = default_dim if n_dims is None else check_int(n_dims, "n_dims", min_value=1)
    if dims is not None and dim not in dims:
        allowed = " or ".join(str(d) for d in dims)
        raise InvalidInputError(f"'n_dims' must be {allowed} for target {name!r}, found {dim}")
    allowed_params = _param_names(cls)
    for key in params:
        if key not in allowed_params:
            raise InvalidInputError(
                f"'{key}' is not a parameter of target {name!r}; its parameters are {', '.join(allowed_params)}"
            )
    return cls(dim, **params)
