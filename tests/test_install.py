"""``tagpip install --target`` end to end, against a real index on 127.0.0.1 serving wheels built
here, plus :func:`tagpip.install.installer.install` on hand-made wheels for what an index would not
serve.

The promise under test everywhere: the target folder is either fully installed or exactly as it
was (same paths, same bytes, same inodes and times), and nothing is written outside it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from importlib.resources import files as resource_files
from pathlib import Path
from typing import Any, Optional

import pytest
from packaging.utils import canonicalize_name

import tagpip.install.journal
import tagpip.install.staging
from support.server import IndexServer
from support.wheels import build_wheel
from tagpip.cli import main
from tagpip.install.installer import (
    FileConflict,
    InvalidWheel,
    NeedsUpgrade,
    find_installed,
    install,
    script_interpreter,
    script_kind,
)
from tagpip.target import target_from_flags
from tagpip.target.value import Target

DOCS = Path(__file__).resolve().parent.parent / "docs" / "install.md"

Snapshot = dict[str, tuple[int, int, int, Optional[bytes]]]


def seed(server: IndexServer) -> None:
    """An app whose dependency only old Pythons need, a helper in two versions, a native
    project, and a tool with every kind of script and data file."""
    server.add_wheel(
        "app", "1.0", requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"']
    )
    server.add_wheel("helper", "1.0", extra_files={"helper/old.py": "OLD = True\n"})
    server.add_wheel("backport", "1.5")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    server.add_wheel("native", "3.2", tags="cp39-cp39-manylinux2014_x86_64")
    server.add_wheel(
        "tool",
        "2.0",
        extra_files={
            "tool-2.0.dist-info/entry_points.txt": (
                "[console_scripts]\ntool = tool:main\n[gui_scripts]\ntool-gui = tool:main\n"
            ),
            "tool/__main__.py": "",
            "tool-2.0.data/scripts/tool-raw": "#!python\nprint('raw')\n",
            "tool-2.0.data/data/share/tool/tool.txt": "data\n",
            "tool-2.0.data/headers/tool.h": "/* header */\n",
        },
    )


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def install_args(server: IndexServer, dest: Path, *rest: str) -> list[str]:
    return ["install", "--target", str(dest), "-i", server.url, "--no-cache-dir", *rest]


LINUX36 = ("--python-version", "3.6", "--platform", "manylinux1_x86_64")
LINUX311 = ("--python-version", "3.11", "--platform", "manylinux2014_x86_64")


def snapshot(folder: Path) -> Snapshot:
    """Every path under ``folder`` with its inode, mtime, mode and (for files) bytes."""
    found: Snapshot = {}
    if not folder.exists():
        return found
    info = folder.stat()
    found["."] = (info.st_ino, info.st_mtime_ns, info.st_mode, None)
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        found[path.relative_to(folder).as_posix()] = (
            info.st_ino,
            info.st_mtime_ns,
            info.st_mode,
            data,
        )
    return found


def leftovers(folder: Path) -> list[str]:
    """Staging folders left behind next to (or inside) the target folder."""
    return sorted(p.name for p in folder.rglob(".tagpip-stage-*"))


def record_rows(dist_info: Path) -> list[list[str]]:
    with (dist_info / "RECORD").open(newline="") as f:
        return [row for row in csv.reader(f) if row]


def digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --------------------------------------------------------------------------------------------
# The basics


def test_installs_the_target_set(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    status, out, err = run(
        install_args(index_server, dest, "app==1.0[manylinux1,cp36,x86_64]", "native"), capsys
    )
    assert (status, err) == (0, "")
    assert out.splitlines() == ["Successfully installed app-1.0 backport-1.5 helper-1.0 native-3.2"]
    assert sorted(p.name for p in dest.iterdir()) == [
        "app",
        "app-1.0.dist-info",
        "backport",
        "backport-1.5.dist-info",
        "helper",
        "helper-1.0.dist-info",
        "native",
        "native-3.2.dist-info",
        "tagpip-target.json",
    ]
    # The native wheel is the one for the target, not for this host.
    wheel = (dest / "native-3.2.dist-info" / "WHEEL").read_text()
    assert "Tag: cp36-cp36m-manylinux1_x86_64" in wheel
    assert (dest / "app-1.0.dist-info" / "INSTALLER").read_text() == "tagpip\n"
    assert leftovers(tmp_path) == []


def test_no_bytecode_and_record_lists_every_file_with_its_hash(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    status, _, _ = run(install_args(index_server, dest, "app", "tool", *LINUX36, "-q"), capsys)
    assert status == 0
    on_disk = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert not [p for p in on_disk if p.endswith((".pyc", ".pyo")) or "__pycache__" in p]
    listed: list[str] = []
    for dist_info in sorted(dest.glob("*.dist-info")):
        for path, hash_, size in record_rows(dist_info):
            listed.append(path)
            if path == f"{dist_info.name}/RECORD":
                assert (hash_, size) == ("", "")
                continue
            data = (dest / path).read_bytes()
            assert (hash_, size) == (digest(data), str(len(data))), path
    # Every file but the folder's target record (tagpip verify's) belongs to a project.
    assert sorted(listed) == [path for path in on_disk if path != "tagpip-target.json"]
    # The tool's RECORD is the whole layout, relative to the folder.
    tool = sorted(row[0] for row in record_rows(dest / "tool-2.0.dist-info"))
    assert tool == [
        "bin/tool",
        "bin/tool-gui",
        "bin/tool-raw",
        "include/python/tool/tool.h",
        "share/tool/tool.txt",
        "tool-2.0.dist-info/INSTALLER",
        "tool-2.0.dist-info/METADATA",
        "tool-2.0.dist-info/RECORD",
        "tool-2.0.dist-info/WHEEL",
        "tool-2.0.dist-info/entry_points.txt",
        "tool-2.0.dist-info/tagpip-files.json",
        "tool/__init__.py",
        "tool/__main__.py",
    ]
    # tagpip's own record of the install lists the same files.
    own = json.loads((dest / "tool-2.0.dist-info/tagpip-files.json").read_text())
    assert own == {"tagpip-files": 1, "wheel": "tool-2.0-py3-none-any.whl", "files": tool}


def test_posix_scripts_run_with_the_targets_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.add_wheel(
        "hello",
        "1.0",
        extra_files={
            "hello-1.0.dist-info/entry_points.txt": "[console_scripts]\nhello = hello.cli:main\n",
            "hello/cli.py": "def main():\n    print('hello from', __name__)\n    return 0\n",
        },
    )
    dest = tmp_path / "deps"
    status, _, _ = run(install_args(index_server, dest, "hello", "tool", *LINUX311, "-q"), capsys)
    assert status == 0
    for name in ("hello", "tool", "tool-gui", "tool-raw"):
        script = dest / "bin" / name
        assert script.read_bytes().startswith(b"#!/usr/bin/env python3\n"), name
        assert script.stat().st_mode & stat.S_IXUSR, name
    result = subprocess.run(
        [sys.executable, str(dest / "bin" / "hello")],
        env={**os.environ, "PYTHONPATH": str(dest)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "hello from hello.cli\n")


@pytest.mark.parametrize(
    ("platform", "launcher"),
    [("win_amd64", "t64.exe"), ("win_arm64", "t64-arm.exe"), ("win32", "t32.exe")],
)
def test_windows_targets_get_exe_launchers(
    platform: str,
    launcher: str,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    args = install_args(
        index_server, dest, "tool", "--python-version", "3.11", "--platform", platform, "-q"
    )
    status, _, err = run(args, capsys)
    assert (status, err) == (0, "")
    assert sorted(p.name for p in (dest / "bin").iterdir()) == [
        "tool-gui.exe",
        "tool-raw",
        "tool.exe",
    ]
    import installer._scripts

    expected = (resource_files(installer._scripts) / launcher).read_bytes()
    exe = (dest / "bin" / "tool.exe").read_bytes()
    assert exe.startswith(expected)
    assert exe[len(expected) :].startswith(b"#!python.exe\n")
    gui = (dest / "bin" / "tool-gui.exe").read_bytes()
    assert b"#!pythonw.exe\n" in gui
    # A plain script keeps its code; its `#!python` line names the target's command.
    assert (dest / "bin" / "tool-raw").read_text().startswith("#!python.exe\n")


def test_script_kind_and_interpreter_follow_the_target() -> None:
    def target(platform: str, version: str = "3.12", impl: str | None = None) -> Target:
        return target_from_flags([platform], version, impl, [])

    assert script_kind(target("manylinux_2_28_x86_64")) == "posix"
    assert script_kind(target("macosx_11_0_arm64")) == "posix"
    assert script_kind(target("win_amd64")) == "win-amd64"
    assert script_kind(target("win_arm64")) == "win-arm64"
    assert script_kind(target("win32")) == "win-ia32"
    assert script_interpreter(target("manylinux2014_x86_64")) == "/usr/bin/env python3"
    assert script_interpreter(target("manylinux2014_x86_64", "3.10", "pp")) == (
        "/usr/bin/env pypy3"
    )
    assert script_interpreter(target("win_amd64")) == "python.exe"


# --------------------------------------------------------------------------------------------
# Twice, and upgrades


def test_installing_the_same_set_twice_changes_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    args = install_args(index_server, dest, "app", "tool", *LINUX36)
    assert run(args, capsys)[0] == 0
    before = snapshot(dest)
    status, out, err = run(args, capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"Already installed in {dest}: app-1.0 backport-1.5 helper-1.0 tool-2.0"
    ]
    assert snapshot(dest) == before
    # --upgrade with nothing newer is the same no-op.
    status, out, _ = run([*args, "--upgrade"], capsys)
    assert status == 0
    assert "Successfully installed" not in out
    assert snapshot(dest) == before
    assert leftovers(tmp_path) == []


def test_another_version_needs_upgrade_and_upgrade_replaces_cleanly(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert run(install_args(index_server, dest, "helper==1.0", *LINUX311, "-q"), capsys)[0] == 0
    # Bytecode the target's interpreter wrote later belongs to the project too.
    (dest / "helper" / "__pycache__").mkdir()
    (dest / "helper" / "__pycache__" / "old.cpython-311.pyc").write_bytes(b"pyc")
    (dest / "mine.txt").write_text("the user's own file\n")
    index_server.add_wheel("helper", "2.0", extra_files={"helper/new.py": "NEW = True\n"})
    before = snapshot(dest)

    status, _, err = run(install_args(index_server, dest, "helper", *LINUX311), capsys)
    assert status == 1
    assert err == (
        f"error: {dest} already holds other versions of what is being installed:\n"
        "  helper-1.0 is installed; helper-2.0 was asked for\n"
        "hint: pass --upgrade to replace them\n"
    )
    assert snapshot(dest) == before

    status, out, err = run(install_args(index_server, dest, "helper", *LINUX311, "-U"), capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "Successfully uninstalled helper-1.0",
        "Successfully installed helper-2.0",
    ]
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == [
        "helper",
        "helper-2.0.dist-info",
        "helper-2.0.dist-info/INSTALLER",
        "helper-2.0.dist-info/METADATA",
        "helper-2.0.dist-info/RECORD",
        "helper-2.0.dist-info/WHEEL",
        "helper-2.0.dist-info/tagpip-files.json",
        "helper/__init__.py",
        "helper/new.py",
        "mine.txt",
        "tagpip-target.json",
    ]
    assert (dest / "helper" / "__init__.py").read_text() == '__version__ = "2.0"\n'
    assert leftovers(tmp_path) == []


def test_the_same_version_for_other_tags_needs_upgrade(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert run(install_args(index_server, dest, "native", *LINUX36, "-q"), capsys)[0] == 0
    py39 = ("--python-version", "3.9", "--platform", "manylinux2014_x86_64")
    status, _, err = run(install_args(index_server, dest, "native", *py39), capsys)
    assert status == 1
    assert (
        "native-3.2 is installed; native-3.2 is wanted for other tags "
        "(native-3.2-cp39-cp39-manylinux2014_x86_64.whl)" in err
    )
    status, out, _ = run(install_args(index_server, dest, "native", *py39, "-U"), capsys)
    assert status == 0
    assert out.splitlines()[-1] == "Successfully installed native-3.2"
    assert (
        "Tag: cp39-cp39-manylinux2014_x86_64" in (dest / "native-3.2.dist-info/WHEEL").read_text()
    )


def test_files_of_no_project_are_never_overwritten(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    (dest / "helper").mkdir(parents=True)
    (dest / "helper" / "__init__.py").write_text("# mine\n")
    before = snapshot(dest)
    status, _, err = run(install_args(index_server, dest, "helper==1.0", *LINUX311), capsys)
    assert status == 1
    assert err.startswith(
        f"error: refusing to overwrite files in {dest}:\n"
        "  helper/__init__.py (from helper-1.0-py3-none-any.whl): "
        "it belongs to no installed project\n"
    )
    assert snapshot(dest) == before
    assert leftovers(tmp_path) == []


def test_a_symlinked_folder_in_the_way_is_refused(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest, elsewhere = tmp_path / "deps", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    (dest / "helper").symlink_to(elsewhere, target_is_directory=True)
    status, _, err = run(install_args(index_server, dest, "helper==1.0", *LINUX311), capsys)
    assert status == 1
    assert "helper/__init__.py (from helper-1.0-py3-none-any.whl): a folder on its way" in err
    assert list(elsewhere.iterdir()) == []


# --------------------------------------------------------------------------------------------
# All or nothing


def corrupt_record(wheel: Path, member: str) -> None:
    """Change a member's bytes without updating RECORD."""
    with zipfile.ZipFile(wheel) as archive:
        items = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(wheel, "w") as archive:
        for info, data in items:
            archive.writestr(info, data + b"# tampered\n" if info.filename == member else data)


def test_a_bad_record_among_good_wheels_installs_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert run(install_args(index_server, dest, "backport", *LINUX311, "-q"), capsys)[0] == 0
    before = snapshot(dest)
    corrupt_record(index_server.root / "helper-1.0-py3-none-any.whl", "helper/old.py")
    status, _, err = run(install_args(index_server, dest, "app", "tool", *LINUX311), capsys)
    assert status == 1
    assert err == (
        "error: refusing to install 1 wheel:\n"
        "  helper-1.0-py3-none-any.whl: RECORD: hash / size of helper/old.py didn't match RECORD\n"
        "hint: nothing was written; the wheel is broken or crafted to write where it must not\n"
    )
    assert snapshot(dest) == before
    assert leftovers(tmp_path) == []


def failing_move(after: int, error: BaseException) -> Callable[[Any, Any], None]:
    """A stand-in for the commit's moves that fails on move number ``after + 1``."""
    calls = {"count": 0}
    real = os.replace

    def move(source: Any, dest: Any) -> None:
        calls["count"] += 1
        if calls["count"] == after + 1:
            raise error
        real(source, dest)

    return move


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (OSError(28, "No space left on device"), 1, "could not move files into"),
        (KeyboardInterrupt(), 130, "tagpip: interrupted; nothing partial was left behind"),
    ],
)
@pytest.mark.parametrize("after", [0, 3, 9])
def test_a_failure_while_moving_into_place_restores_the_folder(
    error: BaseException,
    status: int,
    message: str,
    after: int,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert (
        run(install_args(index_server, dest, "app", "helper==1.0", *LINUX311, "-q"), capsys)[0] == 0
    )
    index_server.add_wheel("helper", "2.0")
    index_server.add_wheel("app", "2.0", requires_dist=["helper>=2"])
    before = snapshot(dest)
    monkeypatch.setattr(tagpip.install.journal, "_move", failing_move(after, error))
    result, _, err = run(install_args(index_server, dest, "app", *LINUX311, "-U"), capsys)
    assert result == status
    assert message in err
    assert "Traceback" not in err
    assert snapshot(dest) == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_signal_while_moving_into_place_is_held_then_undoes(
    signum: int,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Started from a shell that ignores SIGINT (a background job), this process inherits the
    # ignoring and Python installs no KeyboardInterrupt handler: put Python's own back for the
    # test (SIGTERM's default would end the run; tagpip installs its handler itself).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _signal_while_moving(signum, index_server, tmp_path, capsys, monkeypatch)
    finally:
        signal.signal(signal.SIGINT, previous)


def _signal_while_moving(
    signum: int,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    args = install_args(index_server, dest, "app", "helper==1.0", *LINUX311, "-q")
    assert run(args, capsys)[0] == 0
    index_server.add_wheel("helper", "2.0")
    index_server.add_wheel("app", "2.0", requires_dist=["helper>=2"])
    before = snapshot(dest)
    moves: list[Path] = []

    def move(source: Path, target: Path) -> None:
        os.replace(source, target)
        moves.append(target)
        if len(moves) == 4:
            # Arrives in the middle of the commit; the move itself completes.
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(tagpip.install.journal, "_move", move)
    status, _, err = run(install_args(index_server, dest, "app", *LINUX311, "-U"), capsys)
    assert status == 130
    assert err == "tagpip: interrupted; nothing partial was left behind\n"
    assert len(moves) == 8  # four moves, then four undone
    assert snapshot(dest) == before
    assert leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_disk_error_while_staging_is_a_message_and_no_trace(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"

    def full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tagpip.install.staging, "copyfileobj_with_hashing", full)
    status, _, err = run(install_args(index_server, dest, "app", *LINUX36), capsys)
    assert status == 1
    assert err == (
        f"error: could not prepare the installation next to {dest}: "
        "[Errno 28] No space left on device\n"
        "hint: the target folder was left as it was\n"
    )
    assert not dest.exists()
    assert leftovers(tmp_path) == []


def test_when_undo_fails_too_the_backup_is_kept_and_named(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert run(install_args(index_server, dest, "helper==1.0", *LINUX311, "-q"), capsys)[0] == 0
    index_server.add_wheel("helper", "2.0")
    moves: list[Path] = []

    def move(source: Path, target: Path) -> None:
        moves.append(target)
        if len(moves) > 3:
            raise OSError(5, "Input/output error")
        os.replace(source, target)

    monkeypatch.setattr(tagpip.install.journal, "_move", move)
    status, _, err = run(install_args(index_server, dest, "helper", *LINUX311, "-U"), capsys)
    assert status == 1
    assert "and undoing it failed for" in err
    stages = leftovers(tmp_path)
    assert len(stages) == 1
    assert f"hint: undoing failed too; the replaced files are kept in {tmp_path / stages[0]}" in (
        err
    )
    backup = tmp_path / stages[0] / "old"
    assert sorted(p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file())


def test_an_interrupt_while_staging_leaves_no_trace(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    dest = tmp_path / "new" / "deps"
    from installer import install as real

    calls: list[str] = []

    def interrupted(source: Any, destination: Any, metadata: Any) -> None:
        calls.append(source.distribution)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(source, destination, metadata)

    monkeypatch.setattr(tagpip.install.staging, "installer_install", interrupted)
    status, _, err = run(install_args(index_server, dest, "app", *LINUX36), capsys)
    assert status == 130
    assert err == "tagpip: interrupted; nothing partial was left behind\n"
    assert len(calls) == 2
    # Not even the folder (nor its missing parent) was created.
    assert not (tmp_path / "new").exists()
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------
# Refused wheels


def hand_made_wheel(
    folder: Path, name: str, members: dict[str, bytes], modes: dict[str, int] | None = None
) -> Path:
    """A wheel written member by member, RECORD included, so any path can be put in it."""
    dist_info = f"{name}-1.0.dist-info"
    members = {
        **members,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},{digest(d)},{len(d)}\n" for p, d in members.items())
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    path = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member)
            info.external_attr = (modes or {}).get(member, 0o100644) << 16
            archive.writestr(info, data)
    return path


@pytest.mark.parametrize(
    ("member", "mode", "reason"),
    [
        ("../evil.py", 0o100644, "climbs out with '..': it would land outside the target folder"),
        ("evil/../../evil.py", 0o100644, "climbs out with '..'"),
        ("/tmp/evil.py", 0o100644, "is an absolute path: it would land outside the target folder"),
        ("C:/evil.py", 0o100644, "is an absolute path"),
        ("..\\evil.py", 0o100644, "has a backslash in its name, a path separator on Windows"),
        ("evil/link", 0o120777, "is a symbolic link, which could point outside the target folder"),
        ("evil-1.0.data/purelib/../../../evil.py", 0o100644, "climbs out with '..'"),
        ("evil-1.0.data/elsewhere/evil.py", 0o100644, "is not inside one of the .data schemes"),
        ("evil-1.0.data/evil.py", 0o100644, "is not inside one of the .data schemes"),
        ("other-1.0.data/scripts/evil", 0o100644, "is a .data folder that is not this wheel's"),
    ],
)
def test_paths_that_would_land_outside_are_refused(
    member: str, mode: int, reason: str, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    payload = b"../../outside" if stat.S_ISLNK(mode) else b"print('pwned')\n"
    wheel = hand_made_wheel(
        wheels, "evil", {"evil/__init__.py": b"", member: payload}, {member: mode}
    )
    dest = tmp_path / "deps"
    target = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])
    with pytest.raises(InvalidWheel) as caught:
        install([wheel], dest, target)
    problems = caught.value.problems
    shown = member.split("/")[0] + "/" if "is a .data folder" in reason else member
    assert [(p.wheel, p.path) for p in problems] == [(wheel.name, shown)]
    assert problems[0].reason.startswith(reason)
    assert f"  {wheel.name}: {shown!r} {reason}" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wheels"]


def test_a_bad_wheel_on_the_index_is_refused_by_the_cli(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_wheel(index_server.root, "evil", "1.0", extra_files={"../evil.py": "pwned = 1\n"})
    dest = tmp_path / "deps"
    status, _, err = run(install_args(index_server, dest, "evil", *LINUX311), capsys)
    assert status == 1
    assert err.startswith(
        "error: refusing to install 1 wheel:\n"
        "  evil-1.0-py3-none-any.whl: '../evil.py' climbs out with '..': "
        "it would land outside the target folder\n"
    )
    assert not dest.exists()
    assert not (tmp_path / "evil.py").exists()


def test_every_problem_of_every_wheel_is_reported_at_once(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    good = build_wheel(wheels, "good", "1.0")
    renamed = build_wheel(wheels, "named", "1.0", metadata_name="other", metadata_version="9")
    escaping = build_wheel(wheels, "escaping", "1.0", extra_files={"/abs.py": ""})
    tampered = build_wheel(wheels, "tampered", "1.0", extra_files={"tampered/x.py": "x = 1\n"})
    corrupt_record(tampered, "tampered/x.py")
    with pytest.raises(InvalidWheel) as caught:
        install(
            [good, renamed, escaping, tampered],
            tmp_path / "deps",
            target_from_flags(["manylinux2014_x86_64"], "3.11", None, []),
        )
    assert [p.describe() for p in caught.value.problems] == [
        "named-1.0-py3-none-any.whl: 'named-1.0.dist-info/METADATA' says Name: other, "
        "the file name says named",
        "named-1.0-py3-none-any.whl: 'named-1.0.dist-info/METADATA' says Version: 9, "
        "the file name says 1.0",
        "escaping-1.0-py3-none-any.whl: '/abs.py' is an absolute path: it would land outside "
        "the target folder",
        "tampered-1.0-py3-none-any.whl: RECORD: hash / size of tampered/x.py didn't match RECORD",
    ]
    assert str(caught.value).startswith("refusing to install 3 wheels:\n")
    assert not (tmp_path / "deps").exists()


def test_a_record_missing_a_file_installs_with_a_warning(tmp_path: Path) -> None:
    """As pip 26 and uv install it; tests/test_install_boundaries.py has the whole class."""
    wheel = build_wheel(tmp_path / "w", "sneaky", "1.0")
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("sneaky/unlisted.py", "x = 1\n")
    result = install([wheel], tmp_path / "deps", target_from_flags(["win_amd64"], "3.11", None, []))
    assert result.warnings == (
        "sneaky-1.0-py3-none-any.whl: RECORD does not list sneaky/unlisted.py; "
        "installed without checking them",
    )
    assert (tmp_path / "deps/sneaky/unlisted.py").read_text() == "x = 1\n"


def test_a_script_name_with_a_slash_is_refused(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path / "w",
        "scripty",
        "1.0",
        extra_files={
            "scripty-1.0.dist-info/entry_points.txt": "[console_scripts]\n../../x = scripty:x\n"
        },
    )
    with pytest.raises(InvalidWheel) as caught:
        install([wheel], tmp_path / "deps", target_from_flags(["win_amd64"], "3.11", None, []))
    assert [p.reason for p in caught.value.problems] == [
        "names a script '../../x' that is not a plain file name"
    ]


def test_two_wheels_writing_the_same_file_conflict(tmp_path: Path) -> None:
    one = build_wheel(tmp_path / "w", "one", "1.0", extra_files={"shared/x.py": "a = 1\n"})
    two = build_wheel(tmp_path / "w", "two", "1.0", extra_files={"shared/x.py": "b = 1\n"})
    target = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])
    with pytest.raises(FileConflict) as caught:
        install([one, two], tmp_path / "deps", target)
    assert caught.value.conflicts == (
        ("shared/x.py", "two-1.0-py3-none-any.whl", "one-1.0-py3-none-any.whl installs it too"),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]


def test_the_api_reports_what_it_did(tmp_path: Path) -> None:
    target = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])
    first = build_wheel(tmp_path / "w1", "Some.Project", "1.0")
    second = build_wheel(tmp_path / "w2", "Some.Project", "1.1")
    dest = tmp_path / "deps"
    result = install([first], dest, target)
    assert [str(p) for p in result.installed] == ["Some.Project-1.0"]
    assert [str(i.project) for i in find_installed(dest)[canonicalize_name("some-project")]] == [
        "Some.Project-1.0"
    ]
    with pytest.raises(NeedsUpgrade):
        install([second], dest, target)
    result = install([second], dest, target, upgrade=True)
    assert [str(p) for p in result.removed] == ["Some.Project-1.0"]
    assert [str(p) for p in result.installed] == ["Some.Project-1.1"]
    assert install([second], dest, target).unchanged == result.installed


# --------------------------------------------------------------------------------------------
# The documentation's examples


def doc_examples() -> list[tuple[list[str], list[str]]]:
    """Each ``$ tagpip install ...`` line of docs/install.md's console blocks with the output
    lines under it (up to the end of the block)."""
    examples: list[tuple[list[str], list[str]]] = []
    collecting = False
    for line in DOCS.read_text().splitlines():
        if line.startswith("$ tagpip install"):
            examples.append((shlex.split(line[len("$ tagpip ") :]), []))
            collecting = True
        elif collecting and line and not line.startswith("```"):
            examples[-1][1].append(line.strip())
        else:
            collecting = False
    return examples


def test_the_documented_commands_print_what_the_docs_say(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(
        "app==1.0[manylinux1,cp36,x86_64]\nnative==3.2[manylinux1,cp36,x86_64]\n"
    )
    examples = doc_examples()
    assert len(examples) == 3
    for command, expected in examples:
        status, out, err = run([*command, "-i", index_server.url, "--no-cache-dir"], capsys)
        assert (status, err) == (0, ""), command
        assert out.splitlines() == expected, command
    assert (tmp_path / "win-deps" / "bin" / "tool.exe").is_file()


def test_the_documented_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOCS.read_text()
    section = text[text.index("## From Python") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    build_wheel(tmp_path, "app", "1.0")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOCS), "exec"), {})
    assert (tmp_path / "deps" / "app-1.0.dist-info" / "RECORD").is_file()
    assert "Project(name='app'" in capsys.readouterr().out


def test_install_appears_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "install" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (["--user"], "use --target DIR"),
        (["--compile"], "this machine's Python"),
        (["-e", "."], "editable"),
        (["--no-build-isolation"], "isolated PEP 517 environments of its own"),
    ],
)
def test_refused_install_options_are_named(
    option: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["install", "x", "--target", "d", *option])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"{option[0]} is not supported" in err
    assert reason in err


def test_target_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["install", "x"])
    assert exc.value.code == 2
    assert "--target" in capsys.readouterr().err


def test_quiet_prints_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    assert run(install_args(index_server, tmp_path / "d", "app", *LINUX36, "-q"), capsys) == (
        0,
        "",
        "",
    )
