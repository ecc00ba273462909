"""Every option pip accepts in a requirements file, through ``tagpip check`` and ``download``
(issue 16.3).

The option list is the installed pip's own (``req_file.SUPPORTED_OPTIONS`` and
``SUPPORTED_OPTIONS_REQ``, read in a subprocess: tagpip never imports pip), so this test fails
the day pip adds one that :data:`BEHAVIOUR` (and the table in docs/syntax.md) does not cover.
Each option has one documented behaviour: applied (the download shows its effect), refused by
name (exit status 1, the message names the option and ``FILE:LINE``), or accepted and ignored
with a warning that says so. Real pip parses every example file, so the examples are pip's own
syntax, not tagpip's reading of it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import build_wheel
from tagpip.cli import main

_PIP_OPTIONS = r"""
import json
from pip._internal.req.req_file import SUPPORTED_OPTIONS, SUPPORTED_OPTIONS_REQ
names = []
for factory in [*SUPPORTED_OPTIONS, *SUPPORTED_OPTIONS_REQ]:
    option = factory()
    names.extend([*option._short_opts, *option._long_opts])
print(json.dumps(names))
"""

_PIP_PARSES = r"""
import json, sys
from pip._internal.req.req_file import parse_requirements
from pip._internal.network.session import PipSession
out = {}
for path in sys.argv[1:]:
    try:
        list(parse_requirements(path, session=PipSession()))
        out[path] = None
    except Exception as error:
        out[path] = f"{type(error).__name__}: {error}"
print(json.dumps(out))
"""


def pip_file_options() -> list[str]:
    """Every option string the installed pip accepts on a requirements-file line."""
    done = subprocess.run(
        [sys.executable, "-c", _PIP_OPTIONS], capture_output=True, text=True, check=True
    )
    names: list[str] = json.loads(done.stdout)
    return names


@dataclass(frozen=True)
class Case:
    """One option's documented behaviour: ``kind`` is applied, refused or ignored; ``lines``
    the requirement file (``{url}``, ``{empty}``, ``{good}``, ``{bad}`` filled in); ``args``
    more command-line arguments; ``check`` and ``download`` the exit statuses; ``got`` the
    wheels download must save; ``says`` what stderr must hold (refusals and warnings name the
    option and the file's line)."""

    kind: str
    lines: str
    check: int = 0
    download: int = 0
    got: tuple[str, ...] = ("six-3.0-py3-none-any.whl",)
    args: tuple[str, ...] = ()
    says: str = ""


_SIX = "six-3.0-py3-none-any.whl"
BEHAVIOUR: dict[str, Case] = {
    # the index: a file's -i replaces the command line's (an empty index), as in pip
    "-i": Case("applied", "-i {url}\nsix\n"),
    "--index-url": Case("applied", "--index-url {url}\nsix\n"),
    "--pypi-url": Case("applied", "--pypi-url {url}\nsix\n"),
    "--extra-index-url": Case("applied", "--extra-index-url {url}\nsix\n"),
    "--no-index": Case(
        "applied",
        "-i {url}\n--no-index\nsix\n",
        download=1,
        got=(),
        says="no project named 'six' on the index",
    ),
    "-f": Case("applied", "-f links\nlinked\n", got=("linked-1.0-py3-none-any.whl",)),
    "--find-links": Case(
        "applied", "--find-links links\nlinked\n", got=("linked-1.0-py3-none-any.whl",)
    ),
    "--trusted-host": Case("applied", "-i {url}\n--trusted-host 127.0.0.1\nsix\n"),
    # includes
    "-r": Case("applied", "-i {url}\n-r inner.txt\n"),
    "--requirement": Case("applied", "-i {url}\n--requirement inner.txt\n"),
    "-c": Case("applied", "-i {url}\n-c c.txt\nsix\n", got=("six-1.0-py3-none-any.whl",)),
    "--constraint": Case(
        "applied", "-i {url}\n--constraint c.txt\nsix\n", got=("six-1.0-py3-none-any.whl",)
    ),
    # release control (pip 26): --pre is --all-releases :all:
    "--pre": Case("applied", "-i {url}\n--pre\nsix\n", got=("six-4.0b1-py3-none-any.whl",)),
    "--all-releases": Case(
        "applied", "-i {url}\n--all-releases :all:\nsix\n", got=("six-4.0b1-py3-none-any.whl",)
    ),
    "--only-final": Case("applied", "-i {url}\n--only-final :all:\nsix\n", args=("--pre",)),
    # formats: wheels are always preferred; --only-binary forbids building
    "--prefer-binary": Case("applied", "-i {url}\n--prefer-binary\nsix\n"),
    "--only-binary": Case(
        "applied",
        "-i {url}\n--only-binary :all:\nsrconly\n",
        download=1,
        got=(),
        says="srconly publishes only sdists, and this run does not build them",
    ),
    "--no-binary": Case(
        "refused",
        "-i {url}\n--no-binary :all:\nsix\n",
        download=1,
        got=(),
        says="r.txt:2:13: --no-binary is not supported",
    ),
    # hashes
    "--hash": Case(
        "applied",
        "-i {url}\nsix==3.0 --hash=sha256:{bad}\n",
        download=1,
        got=(),
        says="does not match --hash",
    ),
    "--require-hashes": Case(
        "applied",
        "-i {url}\n--require-hashes\nsix==3.0\n",
        download=1,
        got=(),
        says="hashes are required (--require-hashes",
    ),
    "--no-require-hashes": Case(
        "applied",
        "-i {url}\n--no-require-hashes\nsix==3.0 --hash=sha256:{good}\nlinked\n-f links\n",
        got=(_SIX, "linked-1.0-py3-none-any.whl"),
    ),
    # refused by name
    "-e": Case(
        "refused",
        "-e ./pkg\n",
        check=1,
        download=1,
        got=(),
        says="r.txt:1:1: -e/--editable is not supported",
    ),
    "--editable": Case(
        "refused",
        "--editable ./pkg\n",
        check=1,
        download=1,
        got=(),
        says="r.txt:1:1: -e/--editable is not supported",
    ),
    # build settings: for the backend when the project is built; said to be unused otherwise
    "-C": Case(
        "applied",
        "-i {url}\nsix -C key=value\n",
        says="six: the -C/--config-settings of r.txt:2 are not used: a wheel was picked",
    ),
    "--config-settings": Case(
        "applied",
        "-i {url}\nsix --config-settings key=value\n",
        says="six: the -C/--config-settings of r.txt:2 are not used: a wheel was picked",
    ),
    # accepted, said to be ignored
    "--use-feature": Case(
        "ignored",
        "-i {url}\n--use-feature fast-deps\nsix\n",
        says="r.txt:2:15: warning: --use-feature fast-deps is one of pip's own feature flags: "
        "tagpip ignores it",
    ),
}


@pytest.fixture
def world(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[IndexServer, IndexServer]]:
    """An index with six 1.0, 3.0 and 4.0b1 and an sdist-only project, an empty index, a
    links folder, the files the cases include, and the working directory."""
    for version in ("1.0", "3.0", "4.0b1"):
        index_server.add_wheel("six", version)
    index_server.add_sdist("srconly", "1.0")
    (tmp_path / "links").mkdir()
    build_wheel(tmp_path / "links", "linked", "1.0")
    (tmp_path / "inner.txt").write_text("six\n")
    (tmp_path / "c.txt").write_text("six<2\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    with IndexServer(tmp_path / "empty-root") as empty:
        yield index_server, empty


def _write(case: Case, index: IndexServer, empty: IndexServer, path: Path) -> None:
    good = hashlib.sha256((index.root / _SIX).read_bytes()).hexdigest()
    text = case.lines.format(url=index.url, empty=empty.url, good=good, bad="0" * 64)
    path.write_text(text)


def test_every_option_pip_takes_in_a_file_has_a_documented_behaviour() -> None:
    options = pip_file_options()
    assert {"--hash", "--no-binary"} <= set(options)  # the list is real
    missing = [name for name in options if name not in BEHAVIOUR]
    assert missing == [], f"pip accepts {missing} in a requirements file: document and test them"
    docs = Path(__file__).parent.parent.joinpath("docs", "syntax.md").read_text()
    table = docs.split("Option lines:", 1)[1].split("## Errors", 1)[0]
    assert [name for name in options if f"`{name}" not in table] == []


@pytest.mark.parametrize("option", sorted(BEHAVIOUR))
def test_option_through_check_and_download(
    option: str,
    world: tuple[IndexServer, IndexServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    index, empty = world
    case = BEHAVIOUR[option]
    path = Path("r.txt")
    _write(case, index, empty, path)
    assert main(["check", str(path)]) == case.check, capsys.readouterr()
    check_out = capsys.readouterr()
    status = main(
        ["download", "-r", str(path), "-d", "out", "--no-cache-dir", "-i", empty.url, *case.args]
    )
    err = capsys.readouterr().err
    assert status == case.download, err
    saved = sorted(p.name for p in Path("out").iterdir()) if Path("out").exists() else []
    assert saved == sorted(case.got), err
    assert case.says in err
    if case.kind == "refused" and case.check:
        assert case.says in check_out.out + check_out.err
    assert "Traceback" not in err
    assert "did you mean" not in err
    if option == "--no-index":
        assert index.paths() == []


def test_no_require_hashes_still_checks_a_given_hash(
    world: tuple[IndexServer, IndexServer], capsys: pytest.CaptureFixture[str]
) -> None:
    # pip 26: --no-require-hashes stops a --hash from requiring hashes of every other line; a
    # hash that is given is still checked (safety is never loosened).
    index, _ = world
    Path("r.txt").write_text(
        f"-i {index.url}\n--no-require-hashes\nsix==3.0 --hash=sha256:{'0' * 64}\n"
    )
    assert main(["download", "-r", "r.txt", "-d", "out", "--no-cache-dir"]) == 1
    assert "does not match --hash" in capsys.readouterr().err


def test_pip_parses_every_example(world: tuple[IndexServer, IndexServer]) -> None:
    index, empty = world
    paths: list[tuple[str, Path]] = []
    for option, case in sorted(BEHAVIOUR.items()):
        path = Path(f"example{len(paths)}.txt")
        _write(case, index, empty, path)
        paths.append((option, path))
    done = subprocess.run(
        [sys.executable, "-c", _PIP_PARSES, *(str(p) for _, p in paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    failures = {o: e for (o, p), e in zip(paths, json.loads(done.stdout).values()) if e}
    # The running pip parses every example of an option it knows: -e ./pkg too (it builds it
    # later). An older pip (26.0, the newest on Python 3.9) lacks the newer options such as
    # --no-require-hashes, which tagpip takes all the same.
    known = pip_file_options()
    assert {o: e for o, e in failures.items() if o in known} == {}
    assert all("no such option" in e for e in failures.values()), failures
