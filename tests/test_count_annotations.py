"""tools/count_annotations.py counts the annotated parameters of the public API exactly."""

import ast
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("count_annotations", ROOT / "tools" / "count_annotations.py")
ca = importlib.util.module_from_spec(spec)
sys.modules["count_annotations"] = ca  # dataclasses look their module up there
spec.loader.exec_module(ca)

SOURCE = '''
def f(a, b: int, *args: str, c=1, d: float = 2.0, **kw) -> None: ...
class K:
    def __init__(self, x: int, y): ...
    def method(self, z): ...
    @staticmethod
    def s(u: int, v: int) -> int: ...
    @property
    def p(self) -> int: ...
    def _private(self, w): ...
'''


def test_counts_on_a_known_module():
    tree = ast.parse(SOURCE)
    (f,) = ca.count_definition(tree, "f", "m.f")
    # a, b, *args, c, d, **kw: b, args, d annotated; the return too
    assert (f.params, f.annotated, f.returns_annotated) == (6, 3, 1)
    k = {c.name: c for c in ca.count_definition(tree, "K", "m.K")}
    assert sorted(k) == ["m.K.__init__", "m.K.method", "m.K.p", "m.K.s"]  # _private is not public
    assert (k["m.K.__init__"].params, k["m.K.__init__"].annotated) == (2, 1)  # self not counted
    assert (k["m.K.s"].params, k["m.K.s"].annotated) == (2, 2)  # a staticmethod has no self
    assert (k["m.K.p"].params, k["m.K.p"].returns_annotated) == (0, 1)
    assert ca.count_definition(tree, "missing", "m.missing") == []


def test_whole_package_counts_every_stub_name_once():
    counts = ca.public_counts(ROOT)
    names = [c.name for c in counts]
    assert len(names) == len(set(names)) > 100
    assert "geoquant.triangulation.delaunay" in names and "geoquant.nn.train_gd" in names
    assert all(0 <= c.annotated <= c.params for c in counts)
