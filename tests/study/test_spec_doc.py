"""docs/study-spec.md documents every key of the spec, and its examples are a valid spec."""

import re
from pathlib import Path

from geoquant.study import _spec, _spec_targets

DOC = Path(__file__).resolve().parents[2] / "docs" / "study-spec.md"


def test_every_key_is_documented():
    text = DOC.read_text()
    for schema in (_spec._STUDY_SCHEMA, _spec._EVAL_SCHEMA, _spec_targets._TARGET_SCHEMA, _spec._SAMPLER_SCHEMA,
                   _spec._METHOD_RESERVED):
        for key in schema:
            assert f"| `{key}` |" in text, key
    for table in _spec._TOP_KEYS:
        assert f"`[{table}]`" in text or f"`[[{table}]]`" in text, table


def test_the_examples_together_are_a_valid_spec(tmp_path):
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), flags=re.S)
    (tmp_path / "mytargets.py").write_text(
        "import numpy as np\n\ndef bowl(x, a=1.0):\n    return a * np.sum(np.asarray(x) ** 2, axis=-1)\n")
    path = tmp_path / "spec.toml"
    path.write_text("\n".join(blocks))
    spec = _spec.load_spec(path)
    labels = [t["label"] or t["name"] for t in spec.targets]
    assert labels == ["runge", "bump(widths=0.1)", "bump(widths=0.2)", "bump(widths=0.4)", "bowl(a=1.0)",
                      "bowl(a=3.0)"]
    assert [m["label"] for m in spec.methods] == ["delaunay", "net_small_wide", "triangulation_best"]
    assert spec.seeds == [0, 1, 2] and spec.evaluation.inner_margin == 0.1
