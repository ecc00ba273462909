"""A lone bracket group that reads as tags (``numpy[manylinux2014,cp39]``) (issue 16.9).

PEP 508 makes it extras, so pip would fetch the host's wheels. ``check`` warns (it has no
metadata); ``download``, ``install`` and ``lock`` refuse the line, naming file, line and the
tag-block spelling, unless the project declares every name as an extra (Provides-Extra). The
agreement test runs every example through both paths: check warns exactly where fetching a
project without those extras fails, and fetching a project that declares them never fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.requirements.syntax import check_requirements_text

LINES = [
    "demo[manylinux2014,cp39]",
    "demo[cp39]",
    "demo[x86_64]",
    "demo[py3,abi3]",
    "demo[manylinux2014,cp39]>=1.0",
    'demo[manylinux2014,cp39] ; python_version >= "3"',
    "demo[socks]",
    "demo[win]",
    "demo[any,linux]",
    "demo[]",
    "demo[][manylinux2014,cp39,x86_64]",
    "demo==1.0[manylinux2014,cp39,x86_64]",
]


def check_warns(line: str) -> bool:
    result = check_requirements_text(line + "\n", source="requirements.txt")
    assert result.errors == ()
    return any("looks like a tag block" in d.message for d in result.diagnostics)


def fetch(
    line: str, server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    req = tmp_path / "requirements.txt"
    req.write_text(line + "\n")
    dest = tmp_path / "wheels"
    shutil.rmtree(dest, ignore_errors=True)
    status = main(["download", "-r", str(req), "-d", str(dest), "-i", server.url, "--no-cache-dir"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("line", LINES)
def test_check_and_fetch_agree(
    line: str, index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("demo", "1.0", provides_extra=["socks"])
    status, err = fetch(line, index_server, tmp_path, capsys)
    # demo declares only 'socks': everything check warns about is refused, nothing else is.
    assert (status == 1) == check_warns(line), err
    assert "Traceback" not in err


@pytest.mark.parametrize("line", [line for line in LINES if check_warns(line)])
def test_declared_extras_are_extras(
    line: str, index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["manylinux2014", "cp39", "x86-64", "py3", "abi3"]
    index_server.add_wheel("demo", "1.0", provides_extra=names)
    status, err = fetch(line, index_server, tmp_path, capsys)
    assert status == 0, err


def test_the_error_names_the_line_and_the_spelling(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("demo", "1.0", provides_extra=["cp39"])
    index_server.add_wheel("six", "1.0")
    status, err = fetch("six\ndemo[manylinux2014,cp39]", index_server, tmp_path, capsys)
    assert status == 1
    req = tmp_path / "requirements.txt"
    assert err.splitlines() == [
        f"{req}:2:5: warning: [manylinux2014,cp39] is read as extras (PEP 508), but it looks "
        "like a tag block",
        "    demo[manylinux2014,cp39]",
        "        ^^^^^^^^^^^^^^^^^^^^",
        "hint: for tags write 'demo[][manylinux2014,cp39]'",
        f"{req}:2:5: [manylinux2014,cp39] is read as extras (PEP 508), but it looks like "
        "a tag block and demo 1.0 declares no extra manylinux2014: tagpip refuses the line "
        "rather than fetch wheels for another target",
        "    demo[manylinux2014,cp39]",
        "        ^^^^^^^^^^^^^^^^^^^^",
        "hint: for tags write 'demo[][manylinux2014,cp39]' (docs/syntax.md, Tag blocks and extras)",
    ]
    assert not (tmp_path / "wheels").exists()


@pytest.mark.parametrize("command", ["install", "lock"])
def test_install_and_lock_refuse_it_too(
    command: str, index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("demo", "1.0")
    out = ["--target", str(tmp_path / "t")] if command == "install" else ["-o", "x.lock"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        status = main([command, "demo[cp39]", "-i", index_server.url, "--no-cache-dir", *out])
    err = capsys.readouterr().err
    assert status == 1
    assert "demo 1.0 declares no extra cp39" in err
    assert "Traceback" not in err
