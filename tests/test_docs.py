"""Every example in docs/ runs here, and the site builds with ``mkdocs build --strict``.

Each fenced code block in a page is preceded by an HTML comment saying how it is tested (a block
without one fails ``test_every_block_is_tested``). The convention, also described for writers
in docs/contributing-docs.md:

``<!-- test: hermetic -->`` (``sh`` or ``console``)
    Run with bash in the page's own scratch folder, against the test index
    (tests/support/server.py) serving the wheels of tests/support/docs_catalog.py, which is
    given to tagpip as ``PIP_INDEX_URL``. ``http://127.0.0.1:8000`` in a command stands for the
    test index (``PIP_INDEX_URL`` is then left unset) and is written back in output.
    ``hermetic fault=NAME`` first injects one of the ``FAULTS`` below into the index (and
    empties the cache, so that tagpip does visit it). ``sh`` blocks must exit 0 (``set -e``);
    each ``$ command`` of a ``console`` block must print exactly the lines that follow it
    (stdout and stderr).
``<!-- test: pypi -->`` (``sh`` or ``console``)
    The same against the live PyPI, only under ``pytest -m pypi``.
``<!-- test: file NAME -->`` (any block)
    Written to NAME in the scratch folder for the blocks after it. A requirement file (``.txt``,
    ``.in``) must pass ``tagpip check``; with ``file NAME invalid`` it must fail it.
``<!-- test: check -->`` / ``<!-- test: check-invalid -->`` (requirement lines)
    ``tagpip check`` must accept the lines; or must reject every one of them, each on its own.
``<!-- test: python -->``
    Run with the Python running the tests, in the scratch folder.
``<!-- test: parse -->`` (``yaml``, ``json``, ``ini``, ``toml``)
    Must parse as that format.
``<!-- test: covered-by tests/FILE.py::NAME -->``
    Asserted by that test, which must exist. A page whose older indented code blocks are all
    read and checked by one test says so once: ``<!-- test: indented-blocks covered-by ... -->``.

Pages share nothing: each gets a fresh scratch folder, index and HTTP cache, and its blocks run
in page order.
"""

from __future__ import annotations

import configparser
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.docs_catalog import populate
from support.faults import failing, file_path, hanging, page_path
from support.server import IndexServer, Reply
from tagpip.cli.reference import command_reference

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

# Neither ships type information (mkdocs brings both): used through Any.
markdown: Any = importlib.import_module("markdown")
yaml: Any = importlib.import_module("yaml")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOCUMENTED_INDEX = "http://127.0.0.1:8000"
DOCUMENTED_FOLDER = "/home/me/app"  # the scratch folder, as output shows it
# Pages whose owners have not marked their examples yet: listed here so the suite stays green
# while their work lands; remove a page as soon as its blocks carry markers.
UNMARKED_PAGES: set[str] = set()
# TAGPIP_DOCS_UPDATE=1 writes what console blocks print into the pages instead of comparing (for
# writers: run it, then read the diff).
UPDATE = os.environ.get("TAGPIP_DOCS_UPDATE") == "1"

_MARKER = re.compile(r"^\s*<!--\s*test:\s*(?P<spec>.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)\s*$")
_INDENTED = re.compile(r"^<!--\s*test:\s*indented-blocks\s+covered-by\s+(?P<test>\S+)\s*-->", re.M)
_KINDS = {"hermetic", "pypi", "file", "check", "check-invalid", "python", "parse", "covered-by"}


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page, with the test marker before it ("" when none)."""

    page: str
    line: int
    lang: str
    body: str
    marker: str

    @property
    def kind(self) -> str:
        return self.marker.split()[0] if self.marker else ""

    @property
    def words(self) -> list[str]:
        return self.marker.split()[1:]

    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def pages() -> list[str]:
    return sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))


def blocks_of(page: str) -> list[Block]:
    """The fenced blocks of a page, in order, each with the marker on the line before it."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        body = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        previous = lines[i - 1] if i > 0 else ""
        marker = _MARKER.match(previous)
        found.append(
            Block(
                page=page,
                line=i + 1,
                lang=opening["lang"],
                body="\n".join(body) + "\n",
                marker=marker["spec"] if marker else "",
            )
        )
        i = j + 1
    return found


# -- structure -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", pages())
def test_every_block_is_tested(page: str) -> None:
    """Every code block carries a marker a runner below understands, and there is no code block
    the parser above missed (an indented block, a fence it cannot read)."""
    if page in UNMARKED_PAGES:
        pytest.skip(f"docs/{page}: its owner has yet to mark its examples")
    text = (DOCS / page).read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["toc", "tables", "fenced_code"])
    blocks = blocks_of(page)
    indented = _INDENTED.search(text)
    if indented:
        # The page's indented blocks are read and checked by one named test (see the docstring).
        _assert_test_exists(indented["test"], f"docs/{page}")
        assert html.count("<pre>") > len(blocks), f"docs/{page}: no indented blocks"
    else:
        assert html.count("<pre>") == len(blocks), (
            f"docs/{page}: {html.count('<pre>')} code blocks rendered, {len(blocks)} fenced; "
            "write code as fenced blocks (```) with a <!-- test: ... --> marker"
        )
    for block in blocks:
        assert block.kind in _KINDS, f"{block.where()}: no <!-- test: ... --> marker before it"
        if block.kind in ("hermetic", "pypi"):
            assert block.lang in ("sh", "console"), f"{block.where()}: run blocks are sh/console"


def test_command_reference_is_generated_from_the_cli() -> None:
    committed = (DOCS / "commands.md").read_text(encoding="utf-8")
    assert committed == command_reference(), (
        "docs/commands.md differs from the CLI: run "
        "python -m tagpip.cli.reference > docs/commands.md"
    )


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def walk(node: object) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from walk(value)

    assert sorted(walk(config["nav"])) == pages()


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


# -- running the examples ------------------------------------------------------------------------


def _fault_hash_mismatch(server: IndexServer) -> None:
    """The index serves other bytes for six's wheel than its page's sha256 announces."""
    name = "six-1.16.0-py2.py3-none-any.whl"

    def swap(request: object, reply: Reply) -> Reply:
        body = bytearray(reply.body)
        body[len(body) // 2] ^= 0xFF
        return Reply(reply.status, bytes(body), dict(reply.headers))

    server.mangle[file_path(name)] = swap


def _fault_unavailable(server: IndexServer) -> None:
    """The index answers 503 Service Unavailable for the requests page."""
    server.overrides[page_path("requests")] = failing(503)


def _fault_hanging(server: IndexServer) -> None:
    """The index accepts the connection and never answers."""
    server.overrides[page_path("requests")] = hanging(30)


FAULTS: dict[str, Callable[[IndexServer], None]] = {
    "hash-mismatch": _fault_hash_mismatch,
    "unavailable": _fault_unavailable,
    "hanging": _fault_hanging,
}


class Sandbox:
    """A page's scratch folder, its environment and (for hermetic pages) its index."""

    def __init__(self, folder: Path, server: IndexServer | None) -> None:
        self.folder = folder
        self.server = server
        folder.mkdir(parents=True, exist_ok=True)
        shims = folder.parent / "bin"
        shims.mkdir(exist_ok=True)
        tagpip = shims / "tagpip"
        tagpip.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tagpip "$@"\n')
        tagpip.chmod(0o755)
        home = folder.parent / "home"
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        env.update(
            PATH=f"{shims}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
            HOME=str(home),
            XDG_CACHE_HOME=str(folder.parent / "cache"),
            XDG_CONFIG_HOME=str(home / ".config"),
            PIP_CONFIG_FILE=os.devnull,
            PYTHONDONTWRITEBYTECODE="1",
            COLUMNS="100",
            LC_ALL="C.UTF-8",
        )
        if server is not None:
            env["PIP_INDEX_URL"] = server.url
        self.env = env

    def local(self, text: str) -> str:
        """The documented index address replaced by the test index's."""
        if self.server is None:
            return text
        return text.replace(DOCUMENTED_INDEX, self.server.base_url)

    def documented(self, text: str) -> str:
        """The test index's address and the scratch folder written back as documented."""
        text = text.replace(str(self.folder.resolve()), DOCUMENTED_FOLDER)
        text = text.replace(str(self.folder), DOCUMENTED_FOLDER)
        if self.server is None:
            return text
        return text.replace(self.server.base_url, DOCUMENTED_INDEX)

    def run(self, script: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        env = self.env
        if DOCUMENTED_INDEX in script:
            # The example names its index itself, as a reader's would: no configured one.
            env = {k: v for k, v in env.items() if k != "PIP_INDEX_URL"}
        return subprocess.run(
            ["bash", "-o", "pipefail", "-c", self.local(script)],
            cwd=self.folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=timeout,
        )

    def tagpip_check(self, path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tagpip", "check", str(path)],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )


def console_steps(body: str) -> list[tuple[str, str]]:
    """``$ command`` lines (``\\`` continues them) and the output expected after each."""
    steps: list[tuple[str, list[str]]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command + "\n" + lines[i]
            steps.append((command, []))
        else:
            assert steps, f"output before the first command: {line!r}"
            steps[-1][1].append(line)
        i += 1
    return [(command, "\n".join(out).rstrip("\n")) for command, out in steps]


def _normalised(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.rstrip("\n").splitlines())


def run_block(block: Block, box: Sandbox, mode: str) -> str | None:
    """Run or check one block; a console block returns what it printed (as a block body)."""
    kind = block.kind
    if kind in ("hermetic", "pypi"):
        if kind != mode:
            return None
        if box.server is not None:
            box.server.overrides.clear()
            box.server.mangle.clear()
            for word in block.words:
                if word.startswith("fault="):
                    FAULTS[word.removeprefix("fault=")](box.server)
                    # A fault shows a server failing on a visit: earlier blocks' fresh cached
                    # pages would spare tagpip that visit.
                    shutil.rmtree(box.folder.parent / "cache", ignore_errors=True)
        if block.lang == "sh":
            result = box.run("set -e\n" + block.body)
            assert result.returncode == 0, f"{block.where()}: exit {result.returncode}\n" + (
                result.stdout
            )
        else:
            printed = []
            for command, expected in console_steps(block.body):
                result = box.run(command)
                got = _normalised(box.documented(result.stdout))
                printed.append(f"$ {command}\n{got}".rstrip("\n"))
                if UPDATE:
                    continue
                assert got == _normalised(expected), (
                    f"{block.where()}: $ {command}\n--- documented\n{expected}\n--- printed "
                    f"(exit {result.returncode})\n{got}"
                )
            return "\n".join(printed) + "\n"
    elif kind == "file":
        name = block.words[0]
        path = box.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(box.local(block.body), encoding="utf-8")
        if path.suffix in (".txt", ".in"):
            result = box.tagpip_check(path)
            wanted = 1 if "invalid" in block.words else 0
            assert result.returncode == wanted, f"{block.where()}: tagpip check\n{result.stdout}"
    elif kind == "check":
        path = box.folder / "_block.txt"
        path.write_text(block.body, encoding="utf-8")
        result = box.tagpip_check(path)
        assert result.returncode == 0, f"{block.where()}: tagpip check\n{result.stdout}"
    elif kind == "check-invalid":
        for line in block.body.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            path = box.folder / "_line.txt"
            path.write_text(line + "\n", encoding="utf-8")
            result = box.tagpip_check(path)
            assert result.returncode == 1, f"{block.where()}: {line!r} is accepted"
    elif kind == "python":
        path = box.folder / "_block.py"
        path.write_text(block.body, encoding="utf-8")
        result = box.run(f'"{sys.executable}" _block.py')
        assert result.returncode == 0, f"{block.where()}:\n{result.stdout}"
    elif kind == "parse":
        _parse(block)
    elif kind == "covered-by":
        _assert_test_exists(block.words[0], block.where())
    else:
        pytest.fail(f"{block.where()}: unknown marker {block.marker!r}")
    return None


def _assert_test_exists(test: str, where: str) -> None:
    file, _, name = test.partition("::")
    source = (ROOT / file).read_text(encoding="utf-8")
    assert re.search(rf"^def {re.escape(name)}\(", source, re.M), f"{where}: {test} does not exist"


def _parse(block: Block) -> None:
    if block.lang == "yaml":
        yaml.safe_load(block.body)
    elif block.lang == "json":
        json.loads(block.body)
    elif block.lang == "toml":
        tomllib.loads(block.body)
    elif block.lang == "ini":
        configparser.ConfigParser().read_string(block.body)
    else:
        pytest.fail(f"{block.where()}: cannot parse a {block.lang!r} block")


def _runnable_pages(kind: str) -> list[str]:
    return [
        page
        for page in pages()
        if page not in UNMARKED_PAGES and any(b.kind == kind for b in blocks_of(page))
    ]


def _other_pages() -> list[str]:
    return [
        page
        for page in pages()
        if page not in UNMARKED_PAGES
        and blocks_of(page)
        and not any(b.kind in ("hermetic", "pypi") for b in blocks_of(page))
    ]


@pytest.mark.slow
@pytest.mark.parametrize("page", _runnable_pages("hermetic") + _other_pages())
def test_examples_hermetic(page: str, tmp_path: Path) -> None:
    with IndexServer(tmp_path / "index") as server:
        populate(server)
        box = Sandbox(tmp_path / "work", server)
        _run_page(page, box, "hermetic")


def _run_page(page: str, box: Sandbox, mode: str) -> None:
    updates = {}
    for block in blocks_of(page):
        if mode == "pypi" and block.kind == "hermetic":
            continue
        printed = run_block(block, box, mode)
        if printed is not None:
            updates[block.line] = printed
    if UPDATE and updates:
        _rewrite(page, updates)


def _rewrite(page: str, updates: dict[int, str]) -> None:
    """Replace the bodies of the blocks opening on the given lines."""
    path = DOCS / page
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if i + 1 in updates:
            fence = lines[i].strip().rstrip("abcdefghijklmnopqrstuvwxyz")
            out += updates[i + 1].splitlines()
            i += 1
            while not lines[i].strip().startswith(fence):
                i += 1
            out.append(lines[i])
        i += 1
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.mark.pypi
@pytest.mark.parametrize("page", _runnable_pages("pypi"))
def test_examples_pypi(page: str, tmp_path: Path) -> None:
    _run_page(page, Sandbox(tmp_path / "work", None), "pypi")


def _recipe_pages() -> list[str]:
    return [page for page in _runnable_pages("hermetic") if page.startswith("recipes/")]


@pytest.mark.pypi
@pytest.mark.slow
@pytest.mark.parametrize("page", _recipe_pages())
def test_recipes_run_as_written_against_pypi(page: str, tmp_path: Path) -> None:
    """Every recipe runs as written against PyPI (issue 32.5), not only against the test index
    shaped like it: each hermetic block, with no test index. Output shown in the page may name
    newer versions of unpinned projects on PyPI, so a console step must only succeed or fail
    as documented (one whose output names an error fails); an ``sh`` block must succeed.
    Blocks that inject a fault into the test index, or name its address, are for the test
    index only."""
    box = Sandbox(tmp_path / "work", None)
    for block in blocks_of(page):
        if block.kind != "hermetic":
            run_block(block, box, "pypi")
            continue
        if any(w.startswith("fault=") for w in block.words) or DOCUMENTED_INDEX in block.body:
            continue
        if block.lang == "sh":
            result = box.run("set -e\n" + block.body, timeout=600)
            assert result.returncode == 0, f"{block.where()}: exit {result.returncode}\n" + (
                result.stdout
            )
            continue
        for command, expected in console_steps(block.body):
            result = box.run(command, timeout=600)
            failed = re.search(r"\berrors?\b", expected) is not None
            assert (result.returncode != 0) == failed, (
                f"{block.where()}: $ {command}\n--- documented\n{expected}\n--- printed "
                f"(exit {result.returncode})\n{result.stdout}"
            )


def test_console_steps() -> None:
    body = textwrap.dedent(
        """\
        $ tagpip a \\
            --b
        out 1
        out 2
        $ tagpip c
        """
    )
    assert console_steps(body) == [("tagpip a \\\n    --b", "out 1\nout 2"), ("tagpip c", "")]


def test_sandbox_has_no_stray_tools() -> None:
    assert shutil.which("bash"), "the docs examples run with bash"


def test_getting_started_repeats_the_readme() -> None:
    """docs/getting-started.md shows the README's two commands, which .ci/run runs as written."""
    readme = [
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("python3 -m venv")
    ][:2]
    (block,) = [b for b in blocks_of("getting-started.md") if b.kind == "covered-by"]
    assert block.body.splitlines() == readme
    assert "grep -m2 '^python3 -m venv' README.md" in (ROOT / ".ci" / "run").read_text()


def test_the_reliability_command_names_real_test_files() -> None:
    """docs/reliability.md's pytest command names test files that exist."""
    (block,) = [
        b for b in blocks_of("reliability.md") if b.kind == "covered-by" and "pytest" in b.body
    ]
    named = re.findall(r"tests/\S+\.py", block.body)
    assert named
    assert [n for n in named if not (ROOT / n).is_file()] == []


def test_the_resolve_signature_is_the_real_one() -> None:
    """docs/resolve.md shows resolve()'s parameters, in order, with their defaults."""
    import inspect

    from tagpip.resolution.resolver import resolve

    (block,) = [b for b in blocks_of("resolve.md") if b.kind == "covered-by"]
    documented = re.findall(r"^\s+(\w+)(?:=(\S+?))?,", block.body, re.M)
    real = [
        (p.name, "" if p.default is inspect.Parameter.empty else repr(p.default))
        for p in inspect.signature(resolve).parameters.values()
    ]
    assert documented == real


def test_the_pip_command_in_the_migration_recipe_is_valid() -> None:
    """docs/recipes/from-pip-download.md's pip command is one tagpip download accepts as is."""
    import shlex

    from tagpip.cli import build_parser

    (block,) = [b for b in blocks_of("recipes/from-pip-download.md") if b.kind == "covered-by"]
    words = shlex.split(block.body)
    assert words[:2] == ["pip", "download"]
    args = build_parser().parse_args(words[1:])
    assert args.platform == ["manylinux2014_x86_64"]
    assert args.python_version == "3.6"
