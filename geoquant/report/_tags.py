"""What the report reads about a method: its capability tags, and its family as a display label.

Behaviour follows a method's capability tags (:func:`geoquant.compare.method_tags`): the rows of
methods that train (networks) get the training-state tables, the regime figures and the
distances to triangulations. The family only labels and orders: panels, legends and tables list
the families of :data:`geoquant.compare.METHOD_FAMILIES` in that order, then any other family in
the order the results first name it, so a new family needs no edit here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["method_tag", "method_trains", "case_tag", "tag_mask", "trains_mask", "family_order", "family_rank"]


def method_tag(name: str, tag: str) -> bool:
    """The capability tag ``tag`` (e.g. ``"trains"``, ``"oracle"``) of the registered method ``name``;
    False for a name the registry does not know (e.g. a method removed since the study ran)."""
    from ..compare import method_tags
    from ..errors import GeoquantError

    try:
        return bool(getattr(method_tags(str(name)), tag))
    except GeoquantError:
        return False


def method_trains(name: str) -> bool:
    """Whether the registered method ``name`` trains (its ``trains`` tag; False when unknown)."""
    return method_tag(name, "trains")


def case_tag(method: dict, tag: str) -> bool:
    """A capability tag (``"trains"``, ``"oracle"``) of one method of a gallery sample (``{"family", "name",
    "arrays", ...}``): its entry in ``method`` (from the results' columns), else the tag of its registered name."""
    return bool(method[tag]) if tag in method else method_tag(method["name"], tag)


def tag_mask(df: pd.DataFrame, tag: str) -> pd.Series:
    """Rows whose method has the capability tag ``tag``: the results' column of that name when present, else
    the tag of each row's ``method_name`` (:func:`method_tag`; ``method`` when there is no ``method_name``)."""
    import pandas as pd

    if tag in df.columns:
        return df[tag].map(lambda v: bool(v) if v is not None and v == v else False).astype(bool)
    if df.empty:
        return pd.Series(False, index=df.index, dtype=bool)
    names = df["method_name"] if "method_name" in df.columns else df["method"]
    known: dict[Any, bool] = {}  # one registry look-up per name

    def tag_of(name: Any) -> bool:
        if name not in known:
            known[name] = method_tag(name, tag)
        return known[name]

    return names.map(tag_of).astype(bool)


def trains_mask(df: pd.DataFrame) -> pd.Series:
    """Rows of methods that train (networks): the ``trains`` column of the results when present, else the
    ``trains`` tag of each row's ``method_name`` (:func:`tag_mask`)."""
    return tag_mask(df, "trains")


def family_order(families: Iterable[Any]) -> list:
    """The distinct values of ``families`` in display order: the shipped families
    (:data:`geoquant.compare.METHOD_FAMILIES`) first, in that order, then any other in first-seen order."""
    from ..compare import METHOD_FAMILIES

    seen: dict[Any, None] = dict.fromkeys(families)
    return [f for f in METHOD_FAMILIES if f in seen] + [f for f in seen if f not in METHOD_FAMILIES]


def family_rank(families: Iterable[Hashable]) -> dict:
    """Family -> its position in :func:`family_order` (a sort key)."""
    return {f: i for i, f in enumerate(family_order(families))}
