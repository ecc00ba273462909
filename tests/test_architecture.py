"""docs/architecture.md stays true: every module of the package is named in its table of stages,
and every module it names exists (a newcomer finds where a rule lives in one search)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "src" / "tagpip"


def test_the_page_names_every_module_and_only_real_ones() -> None:
    text = PAGE.read_text(encoding="utf-8")
    table = text[text.index("## The stages") : text.index("## The seams")]
    named = set(re.findall(r"`([A-Za-z_]+\.py)`", table))
    modules = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert sorted(modules - named) == [], "modules the page does not name"
    assert sorted(named - modules) == [], "names on the page that are not modules"
    assert "`cli/`" in table
