"""Small helpers shared by the CLI subcommands."""

from __future__ import annotations

import sys

from .._json import dumps


def print_json(obj, file=None) -> None:
    (file or sys.stdout).write(dumps(obj, indent=2))
    (file or sys.stdout).write("\n")


def save_figure(ax_or_fig, path, default_name: str = "plot.png") -> str:
    """Write a matplotlib figure to ``path`` (parents created), close it and return the file written.

    ``path`` naming a directory (existing, or ending in a path separator)
    gets ``default_name`` inside it; a name without an extension gets
    ``.png``. The file is written atomically; errors (disk full, permission
    denied) become a :class:`~geoquant.errors.StorageError`.
    """
    import io
    import os

    import matplotlib.pyplot as plt

    from .._fileio import atomic_write_bytes, storage_error

    path = os.fspath(path)
    if os.path.isdir(path) or path.endswith((os.sep, "/")):
        path = os.path.join(path, default_name)
    root, ext = os.path.splitext(path)
    if not ext:
        path += ".png"
    fmt = os.path.splitext(path)[1][1:].lower()
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        from ..errors import InvalidInputError

        plt.close(fig)
        raise InvalidInputError(
            f"'--plot' must name a directory or a file ending in an image format ({', '.join(sorted(supported))}), "
            f"found {path!r}"
        )
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, path) from None
    atomic_write_bytes(path, buf.getvalue())
    return str(path)
