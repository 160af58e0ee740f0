"""Comments cite sources that exist: every ``docs/theory.md`` citation names a section or a
check that the page in the repository has."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
SCANNED = ["geoquant", "tests", "benchmarks", "examples"]
SECTION = re.compile(r"docs/theory\.md\s*(?:§\s*|section\s+)(\d+)(?:\s*[–-]\s*(\d+))?")
CHECKS = re.compile(r"docs/theory\.md\s*(?:§\s*8\s*)?checks?\s+(\d+)(?:\s*(?:,|and)\s*(\d+))?(?:\s*(?:,|and)\s*(\d+))?")


def _sources():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in {".py", ".md", ".toml"} and path.is_file() and path != Path(__file__).resolve():
                yield path, path.read_text(encoding="utf-8")


def _theory():
    text = THEORY.read_text(encoding="utf-8")
    sections = {int(m) for m in re.findall(r"^## (\d+)\.", text, flags=re.M)}
    part8 = text.split("\n## 8.", 1)[1]
    checks = {int(m) for m in re.findall(r"^(\d+)\. \*\*", part8, flags=re.M)}
    return sections, checks


def test_theory_page_has_the_numbered_sections_and_checks():
    sections, checks = _theory()
    assert sections == set(range(1, 9))
    assert checks == set(range(1, 16))


def test_every_citation_points_at_an_existing_section_or_check():
    sections, checks = _theory()
    n_cited = 0
    for path, text in _sources():
        # a bare "theory.md" (the page is at docs/theory.md) would cite a file that does not exist
        bare = [m.start() for m in re.finditer(r"(?<![/\w])theory\.md", text)]
        assert not bare, f"{path.relative_to(ROOT)} cites theory.md without its path docs/theory.md"
        for m in SECTION.finditer(text):
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            assert {lo, hi} <= sections, f"{path.relative_to(ROOT)}: {m.group(0)!r} names a missing section"
            n_cited += 1
        for m in CHECKS.finditer(text):
            cited = {int(g) for g in m.groups() if g}
            assert cited <= checks, f"{path.relative_to(ROOT)}: {m.group(0)!r} names a missing check"
            n_cited += 1
    assert n_cited >= 20  # the ~20 citations of the package, its tests and benchmarks
