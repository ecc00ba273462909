"""Output files (locks, reports): atomic for regular files, written in place for anything else.

A rename over ``/dev/null`` would replace the device with a regular file; a FIFO stands in for
such a path here, so the test cannot harm the machine if it regresses.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from tagpip._atomic import write_text_atomically


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
