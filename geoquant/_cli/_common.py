"""Small helpers shared by the CLI subcommands."""

from __future__ import annotations

import json
import sys

import numpy as np


def to_jsonable(obj):
    """Convert numpy scalars/arrays (recursively) to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def print_json(obj, file=None) -> None:
    json.dump(to_jsonable(obj), file or sys.stdout, indent=2)
    (file or sys.stdout).write("\n")


def save_figure(ax_or_fig, path) -> str:
    """Write a matplotlib figure to ``path`` (parents created) and close it."""
    import os

    import matplotlib.pyplot as plt

    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return str(path)
