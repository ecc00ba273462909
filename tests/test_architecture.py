"""docs/architecture.md stays true: every module of the package is named in its table of stages,
and every module it names exists (a newcomer finds where a rule lives in one search)."""

from __future__ import annotations

import ast
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


def _top_level_imports(path: Path) -> set[str]:
    """The tagpip modules ``path`` imports when it is imported: module-level imports only, not
    those under ``if TYPE_CHECKING:`` or inside functions (those run later, or never)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def test_the_package_imports_without_a_cycle() -> None:
    """A module-level import cycle makes the import order matter and hides which stage depends
    on which (presets once imported target, which imported presets back)."""
    modules = {
        ".".join(("tagpip", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        ): p
        for p in PACKAGE.rglob("*.py")
    }
    graph = {
        name: sorted(m for m in _top_level_imports(path) if m in modules and m != name)
        for name, path in modules.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 while on the path, 2 when done
    path: list[str] = []

    def walk(name: str) -> None:
        state[name] = 1
        path.append(name)
        for child in graph[name]:
            if state.get(child) == 1:
                cycles.append([*path[path.index(child) :], child])
            elif child not in state:
                walk(child)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)
    assert cycles == []
