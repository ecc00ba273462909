"""docs/architecture.md stays true: its table of stages names every module of the package and
only real ones, and every import in the package, wherever it is written, follows the stages the
table draws (a newcomer finds where a rule lives in one search, and a value followed from the
command line to the disk goes down the stages without climbing back)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "src" / "tagpip"


def _section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"\n{title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@dataclass(frozen=True)
class Stage:
    name: str  # the first column
    folder: str  # "tags" for `tags/`; "" for the shared modules at the root
    modules: tuple[str, ...]  # the paths the row names, relative to the package


def _stages() -> list[Stage]:
    """The rows of the table of stages, lowest first."""
    stages = []
    for line in _section("## The stages").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("stage", "---"):
            continue
        named = re.findall(r"`([A-Za-z_/]+(?:\.py|/))`", cells[1])
        folders = [n for n in named if n.endswith("/")]
        stages.append(
            Stage(
                cells[0],
                folders[0].rstrip("/") if folders else "",
                tuple(n for n in named if n.endswith(".py")),
            )
        )
    return stages


def _module_name(path: Path) -> str:
    parts = ("tagpip", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts).removesuffix(".__init__")


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _stage_of(module: str, stages: list[Stage]) -> Stage:
    parts = module.split(".")
    if parts[1:2] == ["__main__"]:
        parts = ["tagpip", "cli"]  # `python -m tagpip` is the command line
    for stage in stages:
        if stage.folder and parts[1:2] == [stage.folder]:
            return stage
    return stages[0]  # the package's own __init__ and the shared modules at the root


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a module (a package's face is the package's name)
    line: int
    kind: str  # "module level", "in a function" or "for type checkers"
    names: tuple[str, ...]  # what a `from` import takes from ``imported``

    def __str__(self) -> str:
        where = MODULES[self.importer].relative_to(ROOT)
        return f"{where}:{self.line}: {self.imported} ({self.kind})"


def _imports(module: str) -> Iterator[Import]:
    """Every tagpip import of ``module``, wherever it is written: ``from tagpip.index import
    pages`` imports the module tagpip.index.pages, ``from tagpip.index import DistFile`` the
    face of tagpip.index."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))

    def visit(node: ast.AST, kind: str) -> Iterator[Import]:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "tagpip":
                plain = []
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    if sub in MODULES:
                        yield Import(module, sub, node.lineno, kind, ())
                    else:
                        plain.append(alias.name)
                if plain:
                    yield Import(module, node.module, node.lineno, kind, tuple(plain))
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tagpip":
                    yield Import(module, alias.name, node.lineno, kind, ())
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            kind = "in a function"
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                yield from visit(statement, "for type checkers")
            for statement in node.orelse:
                yield from visit(statement, kind)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, kind)

    yield from visit(tree, "module level")


ALL_IMPORTS = [found for module in sorted(MODULES) for found in _imports(module)]


def _upward_allowed() -> set[tuple[str, str]]:
    """The upward imports the page allows, each said as "`tagpip.a` imports `tagpip.b`"."""
    rules = _section("### What the stages may import")
    bullet = next(line for line in rules.split("\n- ") if line.startswith("Upward imports"))
    return set(re.findall(r"`(tagpip[\w.]*)` imports `(tagpip[\w.]*)`", bullet))


def test_the_page_names_every_module_and_only_real_ones() -> None:
    named = {m for stage in _stages() for m in stage.modules}
    modules = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    assert sorted(modules - named) == [], "modules the page does not name"
    assert sorted(named - modules) == [], "names on the page that are not modules"
    for stage in _stages()[1:]:
        assert all(m.startswith(f"{stage.folder}/") for m in stage.modules), stage.name
    assert [s.folder for s in _stages()[1:]] == sorted(
        {p.parent.relative_to(PACKAGE).parts[0] for p in PACKAGE.glob("*/__init__.py")},
        key=[s.folder for s in _stages()].index,
    ), "a stage folder the page does not draw"


def test_every_import_follows_the_stages_the_page_draws() -> None:
    """A stage imports only stages before it in the table, and only through their faces; a
    shared module imports only shared modules before it."""
    stages = _stages()
    order = {stage.name: number for number, stage in enumerate(stages)}
    shared = [f"tagpip.{m.removesuffix('.py')}" for m in stages[0].modules]
    allowed = _upward_allowed()
    wrong = []
    for found in ALL_IMPORTS:
        mine, theirs = _stage_of(found.importer, stages), _stage_of(found.imported, stages)
        if mine == theirs:
            if mine is stages[0] and found.importer in shared and found.imported != "tagpip":
                if shared.index(found.imported) >= shared.index(found.importer):
                    wrong.append(f"{found}: a shared module imports one listed after it")
            elif (
                mine.folder
                and found.imported == f"tagpip.{mine.folder}"
                and found.importer != "tagpip.__main__"  # the program, run by python -m tagpip
            ):
                wrong.append(f"{found}: a module imports its own stage's face")
            continue
        if (found.importer, found.imported) in allowed:
            continue
        if order[mine.name] < order[theirs.name]:
            wrong.append(f"{found}: {mine.name} imports {theirs.name}, a stage after it")
        if theirs.folder and found.imported != f"tagpip.{theirs.folder}":
            wrong.append(f"{found}: another stage's module, not its face tagpip.{theirs.folder}")
    assert wrong == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 while on the path, 2 when done
    path: list[str] = []

    def walk(name: str) -> None:
        state[name] = 1
        path.append(name)
        for child in sorted(graph.get(name, ())):
            if state.get(child) == 1:
                cycles.append([*path[path.index(child) :], child])
            elif child not in state:
                walk(child)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)
    return cycles


def test_no_import_cycle_between_modules() -> None:
    """Not at module level, not inside a function, not for type checkers: a cycle hidden in a
    function still makes two modules one unit that neither can be read nor tested without the
    other (target once imported its makers, which imported target)."""
    graph: dict[str, set[str]] = {}
    for found in ALL_IMPORTS:
        if found.imported != found.importer:
            graph.setdefault(found.importer, set()).add(found.imported)
    assert _cycles(graph) == []


def test_no_import_cycle_between_stages() -> None:
    stages = _stages()
    graph: dict[str, set[str]] = {}
    for found in ALL_IMPORTS:
        mine, theirs = _stage_of(found.importer, stages), _stage_of(found.imported, stages)
        if mine != theirs:
            graph.setdefault(mine.name, set()).add(theirs.name)
    assert _cycles(graph) == []


def test_a_private_name_stays_in_its_module() -> None:
    """An underscore means private to its module: no other module imports such a name."""
    found = [
        f"{imported}: {name}"
        for imported in ALL_IMPORTS
        for name in imported.names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert found == []


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
    parses options and writes to the terminal, in every stage's folder as at the root."""
    found = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in ("cli", "__main__.py")
        for line in _speaks(path)
    ]
    assert found == []


def test_the_checks_see_what_they_look_for() -> None:
    """The import reader finds imports in functions and under TYPE_CHECKING, and the checks
    catch what they are for, so a passing run means something."""
    kinds = {found.kind for found in ALL_IMPORTS}
    assert kinds == {"module level", "in a function", "for type checkers"}
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    stages = _stages()
    assert [s.name for s in stages][:2] == ["shared", "tags"]
    assert stages[-1].folder == "cli"
    assert _stage_of("tagpip.index.pages", stages).folder == "index"
    assert _stage_of("tagpip.hashes", stages) is stages[0]
