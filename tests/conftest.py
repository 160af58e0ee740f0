import os

import numpy as np
import pytest

# Keep the suite deterministic and light on the 2-core CI machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # pragma: no cover - torch is a core dependency
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def grid_points(m, n):
    """m x n lattice points (integer coordinates), row-major."""
    xs, ys = np.meshgrid(np.arange(m, dtype=float), np.arange(n, dtype=float), indexing="ij")
    return np.column_stack([xs.ravel(), ys.ravel()])
