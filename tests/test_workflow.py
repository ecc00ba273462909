"""The library layer (``tagpip.workflow.inputs`` and ``tagpip.workflow.fetch``) used without the
command line, as docs/library.md shows it: the program on that page installs what ``tagpip install``
installs, prints nothing, and fails with the same errors. The page's own code block is the program
run here, so the page cannot drift from what works."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.target.value import TargetOptions
from tagpip.workflow.fetch import RunSettings, deliverable, resolve_for
from tagpip.workflow.inputs import read_inputs, target_from

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "library.md"
LINUX = ["manylinux_2_28_x86_64"]


def _example() -> Callable[[list[str], Path, str], list[str]]:
    """The function the page defines, from its one covered code block."""
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(r"test_the_library_example_\w+ -->\n```python\n(.*?)```", text, re.S)
    assert match is not None, "docs/library.md lost its example"
    namespace: dict[str, object] = {"__name__": "library_example"}
    exec(compile(match.group(1), str(PAGE), "exec"), namespace)
    function = namespace["install_for_lambda"]
    assert callable(function)
    return function


def _tree(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.relative_to(folder).as_posix(): (stat.S_IMODE(p.stat().st_mode), p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _serve(server: IndexServer) -> None:
    server.add_wheel("app", "1.0", requires_dist=["lib>=2", "old; python_version < '3.8'"])
    server.add_wheel("lib", "2.0", tags="cp312-cp312-manylinux_2_28_x86_64")
    server.add_wheel("lib", "2.1", tags="cp312-cp312-manylinux_2_34_x86_64")
    server.add_wheel("old", "1.0")


def test_the_library_example_installs_what_the_command_installs(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(index_server)
    installed = _example()(["app"], tmp_path / "lib-way", index_server.url)
    # lib 2.1 needs glibc 2.34, the target has 2.28; old's marker is false for 3.12.
    assert installed == ["app-1.0", "lib-2.0"]
    assert capsys.readouterr() == ("", ""), "the library layer printed"

    flags = ["--python-version", "3.12", "--platform", LINUX[0], "--isolated", "-q"]
    args = ["install", "app", "-t", str(tmp_path / "cli-way"), "-i", index_server.url, *flags]
    assert main(args) == 0
    assert _tree(tmp_path / "lib-way") == _tree(tmp_path / "cli-way")


def test_the_library_raises_what_the_command_reports(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tagpip.resolution import ResolveError

    _serve(index_server)
    with pytest.raises(ResolveError) as caught:
        _example()(["lib>=2.1"], tmp_path / "folder", index_server.url)
    assert not (tmp_path / "folder").exists()
    assert capsys.readouterr() == ("", "")
    flags = ["--python-version", "3.12", "--platform", LINUX[0], "--isolated"]
    args = ["install", "lib>=2.1", "-t", str(tmp_path / "cli"), "-i", index_server.url, *flags]
    assert main(args) == 1
    assert caught.value.message in capsys.readouterr().err


def test_settings_are_values_the_resolution_follows(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """``RunSettings`` carries the options without argparse: ``no_deps`` and ``only_deps``
    reach the resolver and the delivery as the flags do."""
    from tagpip.config.pip import load_index_options
    from tagpip.index.client import HttpIndex

    _serve(index_server)
    inputs = read_inputs(["app"], [], [])
    flags = TargetOptions.from_strings(LINUX, python_version="3.12")
    target = target_from(inputs, command_line=flags)
    options = load_index_options("download", {"index_url": index_server.url, "isolated": True})
    with HttpIndex(options) as index:
        names = []
        for settings in (RunSettings(), RunSettings(no_deps=True), RunSettings(only_deps=True)):
            resolved = resolve_for(inputs, index, target, options, settings)
            delivery = deliverable(resolved, inputs, settings)
            names.append([str(pin.name) for pin in delivery.pins])
    assert names == [["app", "lib"], ["app"], ["lib"]]


def test_the_lock_workflow_locks_what_the_command_locks(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``tagpip lock`` is the library's lock workflow and words: the lock a program makes with
    :func:`tagpip.workflow.resolve_for_lock` is the command's, byte for byte, the kept pins of
    an existing lock included, and the library prints nothing (its notes are callbacks)."""
    from tagpip.config import load_index_options
    from tagpip.index import HttpIndex
    from tagpip.lock import format_lock, read_lock
    from tagpip.workflow import parse_upgrade_packages, resolve_for_lock

    _serve(index_server)
    flags = ["--python-version", "3.12", "--platform", LINUX[0], "--isolated", "-q"]
    out = tmp_path / "cli.lock"
    assert main(["lock", "app", "-o", str(out), "-i", index_server.url, *flags]) == 0
    index_server.add_wheel("lib", "2.0.1", tags="cp312-cp312-manylinux_2_28_x86_64")
    relocked = tmp_path / "relocked.lock"
    relocked.write_text(out.read_text())
    words = ["lock", "app", "-o", str(relocked), "-P", "app", "-i", index_server.url, *flags]
    assert main(words) == 0
    capsys.readouterr()

    inputs = read_inputs(["app"], [], [])
    target = target_from(inputs, command_line=TargetOptions.from_strings(LINUX, "3.12"))
    options = load_index_options("download", {"index_url": index_server.url, "isolated": True})
    notes: list[str] = []
    with HttpIndex(options) as index:
        locking = resolve_for_lock(
            inputs,
            [target],
            index,
            options,
            RunSettings(),
            existing=read_lock(out),
            upgrade=parse_upgrade_packages(["app"]),
            on_note=notes.append,
        )
        lock = locking.lock(index, options)
    assert capsys.readouterr() == ("", ""), "the library layer printed"
    # lib keeps its locked 2.0 although 2.0.1 is there now; app was freed and is the same.
    assert [str(p.version) for s in lock.sections for p in s.packages] == ["1.0", "2.0"]
    assert notes == []
    text = format_lock(lock, "tagged", command="tagpip lock")
    marker = "# tagpip-lock: 1"
    assert text.split(marker)[1] == relocked.read_text().split(marker)[1]
