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
    named = {n for n in re.findall(r"`([A-Za-z_/]+\.py)`", table) if not n.startswith("tests/")}
    modules = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    outside_cli = {m for m in modules if not m.startswith("cli/")}
    assert sorted(outside_cli - named) == [], "modules the page does not name"
    assert sorted(named - modules) == [], "names on the page that are not modules"
    assert "`cli/`" in table


def _is_module(name: str) -> bool:
    parts = name.split(".")[1:]
    return (
        PACKAGE.joinpath(*parts).with_suffix(".py").is_file()
        or PACKAGE.joinpath(*parts, "__init__.py").is_file()
    )


def _top_level_imports(path: Path) -> set[str]:
    """The tagpip modules ``path`` imports when it is imported: module-level imports only, not
    those under ``if TYPE_CHECKING:`` or inside functions (those run later, or never)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from tagpip.index import pages`` imports the module tagpip.index.pages;
                # ``from tagpip.index import DistFile`` imports the package's face.
                submodules = [f"{node.module}.{alias.name}" for alias in node.names]
                found.update(m for m in submodules if _is_module(m))
                if not all(_is_module(m) for m in submodules):
                    found.add(node.module)
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


def _speaks(path: Path) -> list[str]:
    """Where a module reads ``argparse`` or writes to the terminal itself: an ``argparse``
    import, a ``print()`` call, or ``sys.stdout``/``sys.stderr`` (code in string literals,
    such as the scripts a module runs in another interpreter, does not count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if "argparse" in names:
                found.append(f"{path.name}:{node.lineno}: imports argparse")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "print":
            found.append(f"{path.name}:{node.lineno}: print()")
        elif isinstance(node, ast.Attribute) and ast.unparse(node) in {"sys.stdout", "sys.stderr"}:
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_nothing_below_the_cli_reads_options_or_prints() -> None:
    """The library layer (docs/library.md) takes values and returns results: only ``cli/``
    parses options and writes to the terminal."""
    found = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if "cli" not in path.relative_to(PACKAGE).parts
        for line in _speaks(path)
    ]
    assert found == []
