"""Places the user names that cannot be written: every command that writes where it is told
ends with one ``error:`` line naming the place and why (exit 1), never an internal error, and
changes nothing (issue 30: ``install --target`` into a read-only folder was an OSError on the lock
file).

A folder is made read-only for real: a read-only bind mount of itself as root (root ignores
permission bits, and CI runs as root), its permission bits otherwise. Tests skip where neither
works. The commands run in-process through ``tagpip.cli.main`` against a real index.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and mounts")

TARGET = ("--platform", "manylinux2014_x86_64", "--python-version", "3.12")
REASONS = ("Read-only file system", "Permission denied")


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot {' '.join(command[:2])} here: {result.stderr.strip()}")


@contextlib.contextmanager
def read_only(folder: Path, *, writable_inside: Path | None = None) -> Iterator[None]:
    """``folder`` (and all under it) read-only while the block runs; ``writable_inside`` (an
    existing folder under it) stays writable."""
    if os.geteuid() == 0:
        _run("mount", "--bind", str(folder), str(folder))
        try:
            _run("mount", "-o", "remount,ro,bind", str(folder))
            if writable_inside is not None:
                _run("mount", "--bind", str(writable_inside), str(writable_inside))
                _run("mount", "-o", "remount,rw,bind", str(writable_inside))
            try:
                yield
            finally:
                if writable_inside is not None:
                    subprocess.run(["umount", str(writable_inside)], check=False)
        finally:
            subprocess.run(["umount", str(folder)], check=False)
        return
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(mode)


def _snapshot(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _failed(capsys: pytest.CaptureFixture[str], status: int, *expected: str) -> str:
    err = capsys.readouterr().err
    assert status == 1, err
    assert "internal error" not in err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    assert any(reason in err for reason in REASONS), err
    return err


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel("app", "1.0", requires_dist=["helper"])
    index_server.add_wheel("app", "2.0", requires_dist=["helper"])
    index_server.add_wheel("helper", "1.0")
    return index_server


def test_install_into_a_read_only_folder(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deps = tmp_path / "ro" / "deps"
    deps.mkdir(parents=True)
    (deps / "mine.txt").write_text("the user's\n")
    before = _snapshot(tmp_path)
    with read_only(deps):
        status = main(["install", "app", "-i", index.url, "--target", str(deps), *TARGET])
    _failed(capsys, status, f"error: {deps} cannot be written (", "hint: install into a folder")
    assert _snapshot(tmp_path) == before  # no lock file, no staging folder, nothing in deps


def test_install_into_a_new_folder_under_a_read_only_one(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    deps = parent / "sub" / "deps"
    with read_only(parent):
        status = main(["install", "app", "-i", index.url, "--target", str(deps), *TARGET])
    _failed(capsys, status, f"error: cannot create {deps.parent}: ")
    assert list(parent.iterdir()) == []


def test_install_into_a_writable_folder_inside_a_read_only_one(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``/opt/app`` owned by the user inside a root-owned ``/opt``: pip installs there (it
    stages in the temporary folder); tagpip puts its lock and staging folder inside the
    folder itself, and leaves neither behind, also for an upgrade."""
    parent = tmp_path / "opt"
    deps = parent / "app"
    deps.mkdir(parents=True)
    with read_only(parent, writable_inside=deps):
        assert main(["install", "app==1.0", "-i", index.url, "--target", str(deps), *TARGET]) == 0
        status = main(
            ["install", "app==2.0", "-i", index.url, "--target", str(deps), "--upgrade", *TARGET]
        )
        assert status == 0, capsys.readouterr().err
        assert sorted(p.name for p in deps.iterdir() if p.name.startswith(".")) == []
        assert (deps / "app-2.0.dist-info").is_dir()
        assert not (deps / "app-1.0.dist-info").exists()
    assert sorted(p.name for p in parent.iterdir()) == ["app"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["download", "app", "-d", "{ro}"], ": cannot write {ro}: "),
        (["download", "app", "-d", "{ro}/new"], "error: cannot create the folder {ro}/new: "),
        (["lock", "app", "-o", "{ro}/lock.txt"], "error: cannot write {ro}/lock.txt: "),
        (["lock", "app", "-o", "{ro}/pylock.toml"], "error: cannot write {ro}/pylock.toml: "),
        (
            ["download", "app", "-d", "{out}", "--report", "{ro}/report.json"],
            "error: cannot write the report {ro}/report.json: ",
        ),
        (
            ["download", "app", "-d", "{out}", "--log", "{ro}/log.txt"],
            "error: cannot open the log file {ro}/log.txt: ",
        ),
        (["bundle", "app", "-o", "{ro}/app.zip"], "error: cannot write {ro}/app.zip: {ro} cannot"),
        (
            ["bundle", "app", "-o", "{ro}/app", "--dir"],
            "error: cannot write {ro}/app: {ro} cannot be written",
        ),
    ],
    ids=["download", "download-new", "lock", "pylock", "report", "log", "bundle", "bundle-dir"],
)
def test_every_output_in_a_read_only_folder_is_a_clean_error(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    expected: str,
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    places = {"ro": str(ro), "out": str(tmp_path / "out")}
    argv = [part.format(**places) for part in command]
    with read_only(ro):
        status = main([*argv, "-i", index.url, "--cache-dir", str(tmp_path / "cache"), *TARGET])
        _failed(capsys, status, expected.format(**places))
        assert list(ro.iterdir()) == []
