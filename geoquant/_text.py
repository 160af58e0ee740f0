"""Small text helpers for messages, CLI output and figure labels."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 line"``, ``"2 lines"``: a count with the word in the right number.

    Parameters
    ----------
    n : int
    word : str
        Singular form.
    many : str, optional
        Plural form (default ``word + "s"``).
    """
    return f"{n} {word if n == 1 else (many or word + 's')}"
