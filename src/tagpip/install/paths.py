"""Which paths a wheel may write in a target folder, and which it may not, for the target's OS.

Part of the install stage (:mod:`tagpip.install.installer` is its only user). A path that is
harmless on the machine tagpip runs on can be a problem where the folder is deployed: two members
that differ only in case become one file on Windows and (by default) macOS, and Windows will not
create a file named ``CON`` or ``aux.py``, with a ``:`` (an alternate data stream) or a trailing dot
or space. The rules follow Microsoft's "Naming Files, Paths, and Namespaces"; they are checked on
the paths as they land in the folder (after ``.data`` schemes are mapped), so a wheel placed from
the cache of unpacked wheels is checked the same way as one unpacked now.

Some names belong to tagpip itself: its journal, lock and staging folders start with
:data:`RESERVED_PREFIX` and each install's own record of the files it wrote is
:data:`OWN_RECORD` in the project's ``.dist-info``. No wheel may write those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Literal

__all__ = [
    "OWN_RECORD",
    "RESERVED_PREFIX",
    "FileSystem",
    "case_collisions",
    "reserved_problem",
    "windows_problem",
]

FileSystem = Literal["windows", "macos", "posix"]

RESERVED_PREFIX = ".tagpip-"
OWN_RECORD = "tagpip-files.json"

# Device names Windows reserves in every folder, with or without an extension (``nul.txt`` too).
# COM and LPT take the digits 0-9 and the superscripts 1, 2 and 3.
_DEVICES = re.compile(r"(?i)^(con|prn|aux|nul|conin\$|conout\$|(com|lpt)[0-9\u00b9\u00b2\u00b3])$")
_FORBIDDEN = frozenset('<>:"|?*')


def windows_problem(path: str) -> str | None:
    """Why Windows cannot create ``path`` (``/``-separated, relative), naming the part at fault;
    None when it can."""
    for part in path.split("/"):
        bad = sorted({ch for ch in part if ch in _FORBIDDEN or ord(ch) < 32})
        if bad:
            shown = " ".join(repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}" for ch in bad)
            return f"has {shown} in {part!r}, which Windows does not allow in a file name"
        if part.endswith((".", " ")):
            return f"has {part!r}, which ends in a dot or a space; Windows drops those"
        if _DEVICES.match(part.split(".", 1)[0].rstrip(" ")):
            return f"has {part!r}, a device name Windows reserves (CON, PRN, AUX, NUL, COM1, ...)"
    return None


def reserved_problem(path: str, dist_info: str | None = None) -> str | None:
    """Why ``path`` would take a name tagpip keeps for itself (``dist_info`` is the project's
    own ``.dist-info`` folder, where :data:`OWN_RECORD` is tagpip's)."""
    top = path.split("/", 1)[0]
    if top.startswith(RESERVED_PREFIX):
        return (
            f"starts with {RESERVED_PREFIX!r}, which tagpip keeps for its journal, lock and staging"
        )
    if dist_info is not None and path == f"{dist_info}/{OWN_RECORD}":
        return f"is {OWN_RECORD}, tagpip's own record of what an install wrote"
    return None


def _with_folders(paths: Iterable[str]) -> Iterator[str]:
    """Every path and every folder on the way to it, each once."""
    seen: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            prefix = "/".join(parts[:end])
            if prefix not in seen:
                seen.add(prefix)
                yield prefix


def case_collisions(paths: Iterable[str], taken: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Pairs ``(path, other)`` where ``path`` (or a folder on its way) and ``other`` differ only
    in case, so a case-insensitive file system would make them one; ``taken`` are paths already
    there (another wheel's), checked against but not among themselves."""
    folded: dict[str, str] = {}
    for known in _with_folders(taken):
        folded.setdefault(known.casefold(), known)
    found: list[tuple[str, str]] = []
    for path in _with_folders(paths):
        other = folded.setdefault(path.casefold(), path)
        if other != path:
            found.append((path, other))
    return found
