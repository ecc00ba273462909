"""Lock files: the model both formats share, tagpip's tagged format and PEP 751
``pylock.toml`` both ways, keeping pins when locking again, and the files a target
installs from a lock.
"""

from __future__ import annotations

from tagpip.lock.files import format_lock, is_pylock_name, read_lock, write_lock
from tagpip.lock.keep import kept_note, kept_pins, resolve_keeping, usable_kept
from tagpip.lock.model import (
    Format,
    Lock,
    LockedFile,
    LockedPackage,
    LockError,
    LockSection,
    holds,
    is_sdist_of,
    is_wheel_of,
    lock_from_resolutions,
    lock_span,
    narrowed,
    scrub,
    target_marker,
)
from tagpip.lock.select import lock_hashes, locked_sdist_target, pins_from_lock, target_of

__all__ = [
    "Format",
    "Lock",
    "LockError",
    "LockSection",
    "LockedFile",
    "LockedPackage",
    "format_lock",
    "holds",
    "is_pylock_name",
    "is_sdist_of",
    "is_wheel_of",
    "kept_note",
    "kept_pins",
    "lock_from_resolutions",
    "lock_hashes",
    "lock_span",
    "locked_sdist_target",
    "narrowed",
    "pins_from_lock",
    "read_lock",
    "resolve_keeping",
    "scrub",
    "target_marker",
    "target_of",
    "usable_kept",
    "write_lock",
]
