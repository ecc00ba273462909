"""The one atomic-write helper (every site that puts a file in place) and output files (locks,
reports): atomic for regular files, written in place for anything else.

A rename over ``/dev/null`` would replace the device with a regular file; a FIFO stands in for
such a path here, so the test cannot harm the machine if it regresses.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from tagpip import fs
from tagpip.fs import atomic_write, write_bytes_atomically, write_text_atomically


def test_regular_file_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    path.chmod(0o600)
    write_text_atomically(path, "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_new_file(tmp_path: Path) -> None:
    write_text_atomically(tmp_path / "new.txt", "x\n")
    assert (tmp_path / "new.txt").read_text() == "x\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_text_atomically(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_missing_folder_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_text_atomically(tmp_path / "nope" / "out.txt", "x")


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_commits_on_success(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    path.write_bytes(b"old")
    seen: list[Path] = []
    with atomic_write(path, prefix=".tmp-", suffix=".part", before=seen.append) as out:
        out.write(b"new")
        temp = Path(out.name)
        assert temp.parent == tmp_path
        assert temp.name.startswith(".tmp-")
        assert temp.name.endswith(".part")
        assert path.read_bytes() == b"old"  # nothing moves before the block ends
    assert seen == [temp]
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert _names(tmp_path) == ["entry"]


def test_mode_none_keeps_the_private_mode(tmp_path: Path) -> None:
    write_bytes_atomically(tmp_path / "entry", b"x", mode=None)
    assert stat.S_IMODE((tmp_path / "entry").stat().st_mode) == 0o600


@pytest.mark.parametrize("error", [ValueError("bad bytes"), KeyboardInterrupt()])
def test_an_exception_leaves_the_old_file_and_no_temp(tmp_path: Path, error: BaseException) -> None:
    path = tmp_path / "entry"
    path.write_bytes(b"old")

    def half_then_fail() -> None:
        with atomic_write(path) as out:
            out.write(b"half of the n")
            raise error

    with pytest.raises(type(error)):
        half_then_fail()
    assert path.read_bytes() == b"old"
    assert _names(tmp_path) == ["entry"]


def test_a_fixed_temp_name_is_removed_on_error(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    names: list[str] = []

    def fail() -> None:
        with atomic_write(path, temp_name="journal.tmp") as out:
            names.append(out.name)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail()
    assert names == [os.fspath(tmp_path / "journal.tmp")]
    assert _names(tmp_path) == []


class _FullDisk:
    """A file object on a full file system: every write fails with ENOSPC."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def test_a_full_disk_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "entry"
    path.write_bytes(b"old")

    real_fdopen = os.fdopen

    def full_fdopen(*args: Any, **kwargs: Any) -> _FullDisk:
        return _FullDisk(real_fdopen(*args, **kwargs))

    monkeypatch.setattr(os, "fdopen", full_fdopen)
    with pytest.raises(OSError, match="No space") as caught:
        write_bytes_atomically(path, b"new", fsync=True)
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"old"
    assert _names(tmp_path) == ["entry"]


def test_a_failing_fsync_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "entry"
    path.write_bytes(b"old")

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space"):
        write_bytes_atomically(path, b"new", fsync=True)
    assert path.read_bytes() == b"old"
    assert _names(tmp_path) == ["entry"]


def test_temp_file_commit_and_discard(tmp_path: Path) -> None:
    temp = fs.temp_file(tmp_path, prefix=".tagpip-", suffix=".part")
    assert stat.S_IMODE(temp.stat().st_mode) == 0o600
    temp.write_bytes(b"x")
    fs.commit(temp, tmp_path / "done", fsync_folder=True)
    assert _names(tmp_path) == ["done"]
    other = fs.temp_file(tmp_path)
    fs.discard(other)
    fs.discard(other)  # already gone: no error
    assert _names(tmp_path) == ["done"]


@pytest.mark.parametrize("kernel", ["copies", "refuses", "stops early", "absent"])
def test_copy_contents_copies_every_byte_whatever_the_kernel_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    """copy_contents copies in the kernel (copy_file_range) and finishes in Python when the
    kernel refuses the copy (another file system), stops before the end, or has no such call."""
    body = os.urandom(300_000)
    source = tmp_path / "source"
    source.write_bytes(body)
    real = getattr(os, "copy_file_range", None)
    if kernel == "copies" and real is None:
        pytest.skip("no copy_file_range on this system")

    def refuses(*args: Any) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    calls: list[int] = []

    def stops_early(src: int, dst: int, count: int) -> int:
        calls.append(count)
        if len(calls) > 1:
            return 0
        data = os.read(src, 1000)
        return os.write(dst, data)

    if kernel == "refuses":
        monkeypatch.setattr(os, "copy_file_range", refuses, raising=False)
    elif kernel == "stops early":
        monkeypatch.setattr(os, "copy_file_range", stops_early, raising=False)
    elif kernel == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    with source.open("rb") as src, (tmp_path / "target").open("xb") as dst:
        fs.copy_contents(src, dst)
    assert (tmp_path / "target").read_bytes() == body
    if kernel == "stops early":
        assert len(calls) == 2
