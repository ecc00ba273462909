"""Writing files safely: a small output file (a lock, a report) so that a failed run never
leaves half of it, and an independent copy of a cached file (:func:`clone_or_copy`).

A regular file (or a new one) is written under a temporary name in the same folder and renamed
over the old one. Anything else the user names, a character device such as ``/dev/null``, a
FIFO or ``/dev/stdout``, is written in place: renaming over it would replace the device itself
with a regular file (and, as root, break the machine's ``/dev/null``).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["clone_or_copy", "write_text_atomically"]

# Linux's FICLONE ioctl (_IOW(0x94, 9, int)): a copy-on-write clone on btrfs, XFS, bcachefs.
_FICLONE = 0x40049409
# A clone refused with one of these is refused for every file here: copy instead.
_NO_CLONE = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOTTY, errno.ENOSYS}
)
_CHUNK = 1024 * 1024


def clone_or_copy(source: str | Path, target: str | Path, *, clone: bool = True) -> bool:
    """Make ``target`` (which must not exist) an independent file with ``source``'s bytes: a
    copy-on-write clone where the file system can (``clone``), else a plain copy; never a hard
    link, so writing one file can never change the other. Whether it was a clone; raises
    OSError as ``open`` does."""
    with open(source, "rb") as src, open(target, "xb") as dst:
        if clone and sys.platform == "linux":
            import fcntl

            try:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
                return True
            except OSError as error:
                if error.errno not in _NO_CLONE:
                    raise
        shutil.copyfileobj(src, dst, _CHUNK)
    return False


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
