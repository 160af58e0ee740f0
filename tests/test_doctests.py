"""The examples in the docstrings run: every module of the package is searched for doctests and
each one must give its printed output (values are rounded in the examples, so the output is the
same on every CPU)."""

import doctest
import importlib
import pkgutil

import pytest

import geoquant
import geoquant.study
import geoquant.nn
import geoquant.theory

MODULES = sorted(m.name for m in pkgutil.walk_packages(geoquant.__path__, "geoquant.")
                 if not m.name.endswith("__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# the main public functions, each with at least one executed example
WITH_EXAMPLES = {
    geoquant: ["sample_points", "load_points", "delaunay", "Triangulation", "count_triangulations",
               "optimal_triangulation", "PiecewiseLinearInterpolant", "interpolation_error", "error_bounds",
               "get_target"],
    geoquant.nn: ["train_gd"],
    geoquant.theory: ["sectors", "extremal_directions", "predict_function", "minnorm_interpolant", "minnorm_set_distance"],
    geoquant.study: ["load_results"],
}


def _tests(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, name) if t.examples and t.name.startswith(name)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _tests(name):
        result = runner.run(test, out=lambda s: None)
        if result.failed:
            report = []
            doctest.DocTestRunner(optionflags=FLAGS).run(test, out=report.append)
            pytest.fail("".join(report), pytrace=False)


@pytest.mark.parametrize("package, name", [(p, n) for p, names in WITH_EXAMPLES.items() for n in names])
def test_main_functions_have_examples(package, name):
    doc = getattr(package, name).__doc__ or ""
    assert "\nExamples\n" in doc.replace("    ", "") and ">>> " in doc, f"{package.__name__}.{name} has no example"
