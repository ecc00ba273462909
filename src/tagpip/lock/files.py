"""Lock files as files: which format a path holds, reading one into a :class:`Lock`, and
writing one atomically.

The formats themselves live in their own modules, on one model (:mod:`tagpip.lock.model`):
tagpip's tagged requirement-file format in :mod:`tagpip.lock.tagged` and PEP 751
``pylock.toml`` in :mod:`tagpip.lock.pylock`. Keeping pins when locking again is
:mod:`tagpip.lock.keep`; choosing the files a target installs from a lock is
:mod:`tagpip.lock.select`. This module re-exports the model and the two parsers so that callers
holding a lock file need one import.

Files are read and written only by :func:`read_lock` and :func:`write_lock`; nothing here prints.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tagpip.fs import write_text_atomically
from tagpip.lock.model import (
    Format,
    Lock,
    LockedFile,
    LockedPackage,
    LockError,
    LockSection,
)
from tagpip.lock.pylock import format_pylock, parse_pylock
from tagpip.lock.tagged import LOCK_MARKER, format_tagged, is_tagged_head, parse_tagged

__all__ = [
    "LOCK_MARKER",
    "Format",
    "Lock",
    "LockError",
    "LockSection",
    "LockedFile",
    "LockedPackage",
    "format_lock",
    "is_pylock_name",
    "parse_pylock",
    "parse_tagged",
    "read_lock",
    "write_lock",
]

_PYLOCK_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$")


def format_lock(lock: Lock, format: Format, *, command: str) -> str:
    """The lock as text in ``format``; ``command`` is the command line that made it."""
    if format == "pylock":
        return format_pylock(lock, command=command)
    return format_tagged(lock, command=command)


def write_lock(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :mod:`tagpip.fs`), so a failed run never
    leaves half a lock behind, and ``-o /dev/null`` stays a device."""
    try:
        write_text_atomically(path, text)
    except OSError as error:
        raise LockError(f"cannot write {path}: {error.strerror or error}") from None


# --------------------------------------------------------------------------------------------
# Reading


def is_pylock_name(path: str | Path) -> bool:
    """Whether a file name is a PEP 751 lock file name (``pylock.toml``, ``pylock.NAME.toml``)."""
    return _PYLOCK_NAME.match(Path(path).name) is not None


def read_lock(path: str | Path) -> Lock | None:
    """The lock in ``path``, or None when the file is not a lock (then it is an ordinary
    requirement file). A ``pylock.toml``/``pylock.NAME.toml`` is always read as PEP 751; another
    file is a tagged lock when its leading comments hold the ``# tagpip-lock:`` line.

    Raises LockError for a lock that cannot be read or is invalid.
    """
    source = os.fspath(path)
    if is_pylock_name(source):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise LockError(f"cannot read {source}: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise LockError(f"{source} is not valid TOML: not UTF-8 text ({error})") from None
        return parse_pylock(text, source=source)
    try:
        with open(source, encoding="utf-8") as handle:
            head = [handle.readline() for _ in range(40)]
    except (OSError, UnicodeDecodeError):
        return None
    if not is_tagged_head(head):
        return None
    return parse_tagged(Path(source).read_text(encoding="utf-8"), source=source)
