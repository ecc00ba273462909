"""The record of the target a folder was made for: ``tagpip-target.json`` at the top of what
``tagpip install --target`` and ``tagpip bundle`` write (in a layer, next to the packages in
``python/``).

``tagpip verify`` reads it to warn when the interpreter it runs differs from that target (another
Python, another machine, an older or newer glibc), which is the first thing to know when an import
fails there or succeeds only there. The file is the target as ``tagpip tags --json`` writes it
(without the tag list, which a reader computes again from the platforms), so it also reads back
as a ``--target-file``, plus a ``tagpip`` object saying which command of which tagpip wrote it
(not where the target came from: a preset and a lock of it must make the same bytes).

Its name holds a dash and ends in ``.json``, so nothing can import it and Python, AWS Lambda and
``PYTHONPATH`` folders ignore it; it is in plain sight (not a dot file) so that whoever opens the
zip sees it, and does not start with ``.tagpip-``, which marks tagpip's transient files (journal,
lock, staging) in a folder. It is never listed in a project's RECORD, so an upgrade or ``--slim``
leaves it alone. The bytes depend only on the target and tagpip's version (keys sorted, no time),
so a bundle stays reproducible. It is written after the install, outside the folder's lock: of two
runs installing into one folder at once for different targets, the last one's record stays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagpip import __version__, fs
from tagpip.errors import TagpipError
from tagpip.target.value import Target

__all__ = ["RECORD_NAME", "RecordError", "Recorded", "read_record", "record_bytes", "write_record"]

RECORD_NAME = "tagpip-target.json"
# The format of the ``tagpip`` object; the target part is the target file's own version.
_FORMAT = 1


class RecordError(TagpipError):
    """A record file that is there but cannot be read back as one."""


@dataclass(frozen=True)
class Recorded:
    """What a record says: the target, and which command of which tagpip wrote it."""

    target: Target
    made_by: str
    tagpip_version: str

    def describe(self) -> str:
        """``CPython 3.12 on manylinux_2_34 x86_64 (recorded by tagpip bundle 0.1.0)``."""
        return f"{self.target.describe()} (recorded by {self.made_by} {self.tagpip_version})"


def record_bytes(target: Target, made_by: str) -> bytes:
    """The record of ``target`` written by the command ``made_by`` (``tagpip install``)."""
    data: dict[str, Any] = target.to_json()
    data.pop("tags", None)
    data["tagpip"] = {
        "record": _FORMAT,
        "made_by": made_by,
        "tagpip_version": __version__,
    }
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_record(folder: Path, target: Target, made_by: str) -> Recorded | None:
    """Write the record of ``target`` into ``folder`` (atomically; left alone when it already
    says the same) and return what the folder's record said before when that was another
    target, so that the caller can say the folder now mixes projects of two targets."""
    path = folder / RECORD_NAME
    data = record_bytes(target, made_by)
    before: Recorded | None = None
    try:
        before = read_record(folder)
    except RecordError:
        before = None
    try:
        if path.read_bytes() == data:
            return None
    except OSError:
        pass
    fs.write_bytes_atomically(path, data)
    if before is not None and before.target != target:
        return before
    return None


def read_record(folder: Path) -> Recorded | None:
    """The record in ``folder``, or None when there is none; :class:`RecordError` when the file
    is there but is not a record (its reader reports that in one line and goes on)."""
    path = folder / RECORD_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise RecordError(f"cannot read {path}: {error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise RecordError(f"{path} is not JSON: {error}") from None
    own = data.get("tagpip") if isinstance(data, dict) else None
    if not isinstance(own, dict) or own.get("record") != _FORMAT:
        raise RecordError(f"{path} is not a target record this tagpip reads (format {_FORMAT})")
    try:
        target = Target.from_json(data, source=f"the target record {path}")
    except TagpipError as error:
        raise RecordError(f"{path} does not describe a target: {error.message}") from None
    return Recorded(target, str(own.get("made_by", "tagpip")), str(own.get("tagpip_version", "")))
