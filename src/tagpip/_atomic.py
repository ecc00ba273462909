"""Writing a small output file (a lock, a report) so that a failed run never leaves half of it.

A regular file (or a new one) is written under a temporary name in the same folder and renamed
over the old one. Anything else the user names, a character device such as ``/dev/null``, a
FIFO or ``/dev/stdout``, is written in place: renaming over it would replace the device itself
with a regular file (and, as root, break the machine's ``/dev/null``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_text_atomically"]


def write_text_atomically(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path``; raises OSError as ``open`` does."""
    target = Path(path)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temp, stat.S_IMODE(mode) if mode is not None else 0o644)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
