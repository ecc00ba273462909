"""Parsing tagged requirement lines and pip-format requirement files.

OWNER: issue A. CONTRACT (used by resolve, lock, cli): ``TaggedRequirement`` fields below. Add
fields if needed; do not rename or remove these.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from tagpip.errors import Span
from tagpip.tokens import TagSpec

__all__ = ["TaggedRequirement"]


@dataclass(frozen=True)
class TaggedRequirement:
    """One requirement: the PEP 508 part (packaging's value), its tag block, and where it came from.

    ``name`` is the PEP 503-normalised project name; ``tags`` is None when the line has no tag
    block; ``hashes`` are ``algo:hex`` strings from ``--hash`` options on the line; ``span``
    covers the requirement on the user's own line.
    """

    requirement: Requirement
    name: NormalizedName
    tags: TagSpec | None
    hashes: tuple[str, ...]
    span: Span
