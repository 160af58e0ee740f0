"""Check a built documentation site in headless Chromium.

Usage: python3 tools/check_docs.py BUILD_DIR [--chromium PATH] [--jobs N]

Every ``.html`` page under BUILD_DIR (but ``_static/`` and ``_sources/``) is loaded by ``chromium --headless --dump-dom`` (the DOM after
its scripts ran). In that DOM the check finds every local link target (``<a href>``, ``<link href>``,
``<script src>``) and every ``<img src>`` and checks that the file exists (external ``http(s)``,
``mailto:`` and ``data:`` targets are not fetched; a ``#fragment`` alone refers to the page itself),
and that the page has its main content (a ``<main>`` or ``role="main"`` element whose text is not
empty). It prints the counts (pages, links, images, broken) and exits 1 on any broken page, link or
image, 2 when Chromium is missing or BUILD_DIR holds no page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium executable: ``explicit``, ``$CHROMIUM``, or the first of the usual names on PATH."""
    for name in (explicit, os.environ.get("CHROMIUM"), *CHROMIUM_NAMES):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class _Page(HTMLParser):
    """Links, images and the main content's text of one DOM."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[str] = []
        self.main_depth = 0  # > 0 inside the main element
        self.main_found = False
        self.main_text: list[str] = []
        self._stack: list[bool] = []  # per open element: does it open the main content?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "script" and a.get("src"):
            self.links.append(a["src"] or "")
        elif tag == "img":
            self.images.append(a.get("src") or "")
        if tag in ("br", "img", "meta", "link", "input", "hr", "col", "source", "wbr", "area", "base", "embed"):
            return  # void elements never close
        opens_main = tag == "main" or a.get("role") == "main"
        if opens_main:
            self.main_found = True
        self._stack.append(opens_main)
        self.main_depth += opens_main

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self.main_depth -= self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self.main_depth > 0 and data.strip():
            self.main_text.append(data.strip())


def dump_dom(chromium: str, page: Path, profile: str, timeout: float = 60.0) -> str:
    """The DOM of ``page`` after its scripts ran, from headless Chromium."""
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--allow-file-access-from-files", f"--user-data-dir={profile}", "--virtual-time-budget=2000",
           "--dump-dom", page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout


def local_target(page: Path, ref: str, root: Path) -> Path | None:
    """The file ``ref`` (as written in ``page``) points to, or None when it is not a local file."""
    parts = urlsplit(ref)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme or parts.netloc or ref.startswith(("#", "javascript:")) or not parts.path:
        return None  # external (http, https, mailto, data, ...) or the page itself
    path = unquote(parts.path)
    target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    return target


def check_page(chromium: str, page: Path, root: Path) -> tuple[int, int, list[str]]:
    """(links checked, images checked, problems) of one page."""
    with tempfile.TemporaryDirectory(prefix="check-docs-") as profile:
        try:
            dom = dump_dom(chromium, page, profile)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return 0, 0, [f"{page.relative_to(root)}: does not load: {exc}"]
    parser = _Page()
    parser.feed(dom)
    problems = []
    name = page.relative_to(root)
    if not parser.main_found or not parser.main_text:
        problems.append(f"{name}: no main content in the DOM")
    n_links = n_images = 0
    for kind, refs in (("link", parser.links), ("image", parser.images)):
        for ref in refs:
            if kind == "image" and not ref:
                problems.append(f"{name}: <img> without src")
                continue
            target = local_target(page, ref, root)
            if target is None:
                continue
            if kind == "link":
                n_links += 1
            else:
                n_images += 1
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{name}: broken {kind} {ref!r}")
    return n_links, n_images, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--chromium", help="the Chromium executable (default: $CHROMIUM or found on PATH)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), help="pages loaded at once")
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("check_docs: no Chromium found (looked for " + ", ".join(CHROMIUM_NAMES) + ")", file=sys.stderr)
        return 2
    root = args.build_dir.resolve()
    # _static and _sources hold the theme's assets and the page sources, not pages of the site
    pages = sorted(p for p in root.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(root).parts))
    if not pages:
        print(f"check_docs: no .html page under {root}", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda p: check_page(chromium, p, root), pages))
    links = sum(r[0] for r in results)
    images = sum(r[1] for r in results)
    problems = [p for r in results for p in r[2]]
    for problem in problems:
        print(problem)
    print(f"pages {len(pages)}, links {links}, images {images}, broken {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
