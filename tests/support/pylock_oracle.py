"""packaging's PEP 751 reader as an oracle for the pylock.toml files tagpip writes.

``packaging.pylock.Pylock.from_dict`` validates a document against the specification (field
types, required keys, one source per package, hashes present); :func:`check_pylock` runs it on
a lock's text so that every pylock a test makes is also one a spec-following reader accepts.
"""

from __future__ import annotations

import sys
from typing import Any

from packaging.pylock import Pylock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


def check_pylock(text: str) -> Pylock:
    """The document ``text`` holds, as packaging reads it; raises
    ``packaging.pylock.PylockValidationError`` where it breaks PEP 751."""
    data: dict[str, Any] = tomllib.loads(text)
    return Pylock.from_dict(data)
