"""The report as one document: a list of blocks, written out by two emitters (HTML and Markdown).

The report's content is assembled once, as :class:`Block` values (a title, the summary,
headings, notes, lists of sentences, tables, figures, definitions, and groups of blocks);
:func:`to_html` and :func:`to_markdown` only choose how each kind of block looks. A block
marked ``only="html"`` (the figures and the headings that introduce them) or
``only="markdown"`` (the link to the page) appears in that output alone.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _tables as T

__all__ = ["Block", "to_html", "to_markdown", "LONG_TABLE"]

#: tables with more rows than this are collapsed (<details>) on the page
LONG_TABLE = 12


@dataclass
class Block:
    """One piece of the report.

    Attributes
    ----------
    kind : str
        ``"title"`` (text), ``"summary"`` (items: sentences; ``partial`` highlights the first),
        ``"h2"``, ``"p"``, ``"note"`` (text), ``"link"`` (a sentence with one link, :meth:`link`),
        ``"list"`` (items ``(text, table ref)``), ``"table"``
        (text = title, table, items = notes), ``"figures"`` (text = the figure section),
        ``"defs"`` (items ``(term, definition)``) or ``"group"`` (text = title, children; a
        ``<details>`` on the page, open when ``collapse`` is False, a heading in Markdown).
    only : str
        ``""`` (both outputs), ``"html"`` or ``"markdown"``.
    """

    kind: str
    text: str = ""
    table: Any = None
    items: list = field(default_factory=list)
    children: list = field(default_factory=list)
    collapse: bool | None = None
    anchor: str = ""
    partial: bool = False
    only: str = ""

    @staticmethod
    def link(before: str, label: str, href: str, after: str, only: str = "") -> Block:
        """A sentence with one link: ``before`` + link(``label`` -> ``href``) + ``after``."""
        return Block("link", before, items=[(label, href, after)], only=only)


def table_block(title: str, table: Any, anchor: str = "", note: str = "") -> Block:
    """A table with its title (a heading; none when empty) and an optional note above it."""
    return Block("table", title, table=table, anchor=anchor, items=[note] if note else [])


# --- HTML ------------------------------------------------------------------------------------

_esc = html.escape


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


class _Html:
    """Blocks -> HTML fragments (one string per block; a figure section gives one per figure)."""

    def __init__(self, figures: Sequence[Any]) -> None:
        self.figures = figures

    def blocks(self, blocks: Sequence[Block]) -> list[str]:
        out: list[str] = []
        for b in blocks:
            if b.only in ("", "html"):
                out += getattr(self, "_" + b.kind)(b)
        return out

    @staticmethod
    def _aid(b: Block) -> str:
        return f" id='{_esc(b.anchor)}'" if b.anchor else ""

    def _title(self, b: Block) -> list[str]:
        return [f"<h1>{_esc(b.text)}</h1>"]

    def _summary(self, b: Block) -> list[str]:
        first, rest = (b.items[0], b.items[1:]) if b.items else ("", [])
        lead = f"<span class='partial'>{_esc(first)}</span>" if b.partial else _esc(first)
        return [f"<p class='summary{' partial' if b.partial else ''}' id='summary'>{lead} "
                + " ".join(_esc(x) for x in rest) + "</p>"]

    def _h2(self, b: Block) -> list[str]:
        return [f"<h2{self._aid(b)}>{_esc(b.text)}</h2>"]

    def _p(self, b: Block) -> list[str]:
        return [f"<p{self._aid(b)}>{_esc(b.text)}</p>"]

    def _note(self, b: Block) -> list[str]:
        return [f"<p class='note'{self._aid(b)}>{_esc(b.text)}</p>"]

    def _link(self, b: Block) -> list[str]:
        label, href, after = b.items[0]
        return [f"<p{self._aid(b)}>{_esc(b.text)}<a href='{_esc(href)}'>{_esc(label)}</a>{_esc(after)}</p>"]

    def _list(self, b: Block) -> list[str]:
        return ["<ul>" + "".join(f"<li>{_esc(t)}" + (f" <a href='#{_esc(ref)}'>[{_esc(ref)}]</a>" if ref else "")
                                 + "</li>" for t, ref in b.items) + "</ul>"]

    def _table(self, b: Block) -> list[str]:
        aid = self._aid(b)
        head = f"<h3{aid}>{_esc(b.text)}</h3>" if b.text else (f"<a{aid}></a>" if aid else "")
        note = "".join(f"<p class='note'>{_esc(n)}</p>" for n in b.items)
        return [head + note + T.to_html(b.table)]

    def _figures(self, b: Block) -> list[str]:
        return [f"<figure><img alt='{_esc(f.caption[:80])}' src='data:image/png;base64,{_b64(f.png)}'>"
                f"<figcaption>{_esc(f.caption)}</figcaption></figure>" for f in self.figures if f.section == b.text]

    def _defs(self, b: Block) -> list[str]:
        return ["<dl class='defs'>" + "".join(f"<dt>{_esc(t)}</dt><dd>{_esc(d)}</dd>" for t, d in b.items) + "</dl>"]

    def _group(self, b: Block) -> list[str]:
        inner = "\n".join(self.blocks(b.children))
        rows = sum(len(c.table) for c in b.children if c.kind == "table" and c.table is not None)
        collapse = b.collapse if b.collapse is not None else rows > LONG_TABLE
        return [f"<details{self._aid(b)}{'' if collapse else ' open'}><summary>{_esc(b.text)}</summary>\n{inner}\n"
                "</details>"]


def to_html(blocks: Sequence[Block], figures: Sequence[Any], *, title: str, css: str) -> str:
    """The self-contained page: ``title`` in the head, ``css`` inlined, every block (figures as base64 PNG;
    ``figures`` are the rendered figures, each with ``section``, ``caption`` and ``png``)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_esc(title)}</title><style>{css}</style></head><body>",
        *_Html(figures).blocks(blocks),
        "</body></html>",
    ]
    return "\n".join(parts)


# --- Markdown --------------------------------------------------------------------------------


class _Markdown:
    """Blocks -> Markdown lines; a group's title is a heading one level above its tables'."""

    def blocks(self, blocks: Sequence[Block], level: int = 2) -> list[str]:
        out: list[str] = []
        for b in blocks:
            if self.shows(b):
                emit: Callable[[Block, int], list[str]] = getattr(self, "_" + b.kind)
                out += emit(b, level)
        return out

    @staticmethod
    def shows(b: Block) -> bool:
        return b.only in ("", "markdown")

    def _title(self, b: Block, level: int) -> list[str]:
        return [f"# {T.md_escape(b.text)}", ""]

    def _summary(self, b: Block, level: int) -> list[str]:
        first = T.md_escape(b.items[0])
        return [("**" + first + "**" if b.partial else first)
                + (" " + " ".join(T.md_escape(x) for x in b.items[1:]) if len(b.items) > 1 else ""), ""]

    def _h2(self, b: Block, level: int) -> list[str]:
        return [f"{'#' * level} {T.md_escape(b.text)}", ""]

    def _p(self, b: Block, level: int) -> list[str]:
        return [T.md_escape(b.text), ""]

    _note = _p

    def _link(self, b: Block, level: int) -> list[str]:
        label, href, after = b.items[0]
        return [f"{T.md_escape(b.text)}[{T.md_escape(label)}]({href}){T.md_escape(after)}", ""]

    def _list(self, b: Block, level: int) -> list[str]:
        return [f"- {T.md_escape(t)}" + (f" [{ref}]" if ref else "") for t, ref in b.items] + [""]

    def _table(self, b: Block, level: int) -> list[str]:
        out = [f"{'#' * (level + 1)} {T.md_escape(b.text)}", ""] if b.text else []
        out += [T.md_escape(n) for n in b.items] + ([""] if b.items else [])
        return out + [T.to_markdown(b.table)]

    def _defs(self, b: Block, level: int) -> list[str]:
        return [f"- **{T.md_escape(t)}**: {T.md_escape(d)}" for t, d in b.items] + [""]

    def _group(self, b: Block, level: int) -> list[str]:
        children = [c for c in b.children if self.shows(c)]
        if not children:
            return []
        return [f"{'#' * level} {T.md_escape(b.text)}", ""] + self.blocks(children, level + 1)


def to_markdown(blocks: Sequence[Block]) -> str:
    """The Markdown summary: every block that is not for the page only (no figures)."""
    return "\n".join(_Markdown().blocks(blocks)) + "\n"
