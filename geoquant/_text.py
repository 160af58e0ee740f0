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


def duration(seconds: float) -> str:
    """A duration for people: ``"1h05m"``, ``"4m22s"`` or ``"17s"`` (rounded to whole seconds).

    >>> duration(3900), duration(262), duration(16.6)
    ('1h05m', '4m22s', '17s')
    """
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"
