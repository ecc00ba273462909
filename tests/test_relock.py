"""Locking again into a lock made for another target (issue 22, item 1).

A tagged lock made for one target is locked afresh for another, with one line saying so; a kept
pin (a pylock's, whose packages have no markers) that the new target cannot use is dropped at
once, with one line naming it and why. Either way the result is what a fresh lock gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.lock.files import read_lock

MACOS311 = ["--platform", "macosx_11_0_arm64", "--python-version", "3.11"]
LINUX38 = ["--platform", "manylinux2014_x86_64", "--python-version", "3.8"]


def seed(server: IndexServer) -> None:
    """The newest lib and tool need Python 3.9; native ships a wheel for each platform; many
    releases of tool, all but the oldest for Python 3.9 and later, as a resolver forced onto
    the old pins would walk them."""
    server.add_wheel("app", "1.0", requires_dist=["lib", "native", "tool"])
    server.add_wheel("lib", "1.0")
    server.add_wheel("lib", "2.0", requires_python=">=3.9")
    server.add_wheel("native", "1.0", tags="cp311-cp311-macosx_11_0_arm64")
    server.add_wheel("native", "1.0", tags="cp38-cp38-manylinux2014_x86_64")
    server.add_wheel("tool", "1.0", requires_dist=["lib"])
    for minor in range(1, 30):
        server.add_wheel("tool", f"1.{minor}", requires_dist=["lib>=2"], requires_python=">=3.9")


def lock(server: IndexServer, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    status = main(["lock", "app", "-i", server.url, "--no-cache-dir", *args])
    err = capsys.readouterr().err
    assert status == 0, err
    return err


def pins(path: Path) -> list[str]:
    found = read_lock(path)
    assert found is not None
    return [f"{p.name}=={p.version}" for p in found.packages]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_tagged_lock_for_another_target_is_locked_afresh(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "-o", "x.lock", *MACOS311)
    assert pins(work / "x.lock") == ["app==1.0", "lib==2.0", "native==1.0", "tool==1.29"]
    lock(index_server, capsys, "-o", "fresh.lock", *LINUX38)

    err = lock(index_server, capsys, "-o", "x.lock", *LINUX38)
    lines = err.splitlines()
    # Then the target's own downgrade notes (lib 1.0, not 2.0: ...), as a fresh lock gives.
    assert lines[0].startswith("note: x.lock was locked for ")
    assert "CPython 3.11 on macosx_11_0 arm64" in lines[0]
    assert "; locking afresh for " in lines[0]
    assert pins(work / "x.lock") == pins(work / "fresh.lock")
    assert pins(work / "x.lock") == ["app==1.0", "lib==1.0", "native==1.0", "tool==1.0"]
    # Locked for it now: the next run keeps its pins and says nothing of the old target.
    assert "locking afresh" not in lock(index_server, capsys, "-o", "x.lock", *LINUX38)


def test_kept_pins_the_new_target_cannot_use_are_dropped_with_a_line_each(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "-o", "pylock.toml", *MACOS311)
    lock(index_server, capsys, "-o", "pylock.fresh.toml", *LINUX38)

    err = lock(index_server, capsys, "-o", "pylock.toml", *LINUX38)
    notes = [line for line in err.splitlines() if line.endswith("afresh")]
    assert [note.split(": ", 2)[2] for note in notes] == [
        f"{name} requires Python >=3.9, which CPython 3.8 on manylinux2014 x86_64 is not; "
        f"not kept, locking {name.split('==')[0]} afresh"
        for name in ("lib==2.0", "tool==1.29")
    ]
    assert all(note.startswith("note: pylock.toml:") for note in notes)
    assert pins(work / "pylock.toml") == pins(work / "pylock.fresh.toml")
    # native==1.0 has a wheel for both: it was kept, and is said nowhere.
    assert "native" not in err
