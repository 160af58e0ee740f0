"""The modules a worker pool imports up front exist: a renamed module would only make every worker slower
(the fork server ignores a preload that fails), so nothing else would notice."""

import importlib.util

import pytest

from geoquant.compare import list_methods, method_class
from geoquant.study._executors import LocalPoolExecutor


def test_the_pool_preloads_the_runner_that_runs_its_units():
    pool = LocalPoolExecutor(2)
    assert pool.preload[0] == "geoquant.study._runner"
    from geoquant.study import _study

    assert _study.run_unit.__module__ == pool.preload[0]  # the function the pool runs lives there


@pytest.mark.parametrize("name", list_methods())
def test_every_method_preloads_modules_that_exist(name):
    for module in method_class(name).preload:
        assert importlib.util.find_spec(module) is not None, f"{name}: preload {module!r} does not exist"
