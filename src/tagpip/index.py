"""The package index client: simple-repository pages (PEP 691 JSON / PEP 503 HTML), find-links,
PEP 658 metadata files, HTTP caching.

OWNER: issue C (index). CONTRACT (used by resolve, download, lock): ``DistFile``, ``Index``,
``IndexError_`` names below. Add what is needed; do not rename or remove these.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from packaging.metadata import Metadata
from packaging.tags import Tag
from packaging.utils import BuildTag, NormalizedName
from packaging.version import Version

from tagpip.errors import TagpipError

__all__ = ["DistFile", "Index", "IndexError_"]


class IndexError_(TagpipError):
    """The index could not be read, or what it served is invalid; names the project and cause."""


@dataclass(frozen=True)
class DistFile:
    """One file an index lists for a project.

    Wheels carry their parsed ``version``, ``build`` and ``tags``; other files (sdists) are kept
    with ``is_wheel`` False and empty tags so that "only sdists" can be reported. ``hashes`` maps
    algorithm to hex digest as the index gave them (sorted pairs). ``yanked`` is None when not
    yanked, else the reason ("" when none given). ``metadata_hashes`` is None when the index has
    no PEP 658/714 metadata file for it, else the hashes it gave (possibly empty).
    """

    project: NormalizedName
    filename: str
    url: str
    version: Version
    build: BuildTag
    tags: frozenset[Tag]
    is_wheel: bool
    hashes: tuple[tuple[str, str], ...] = ()
    requires_python: str | None = None
    yanked: str | None = None
    metadata_hashes: tuple[tuple[str, str], ...] | None = None
    upload_time: datetime.datetime | None = None
    size: int | None = None


class Index(Protocol):
    """What the resolver and downloader need from where packages live."""

    def files(self, project: NormalizedName) -> Sequence[DistFile]:
        """Every file every configured source lists for ``project``, in a deterministic order.

        An unknown project gives an empty sequence, not an error.
        """
        ...

    def metadata(self, file: DistFile) -> Metadata:
        """The core metadata of a wheel (PEP 658 file, else read out of the wheel), checked to
        agree with the file name's project and version."""
        ...

    def prefetch(self, files: Sequence[DistFile]) -> None:
        """Start fetching the metadata of ``files`` in the background; never raises."""
        ...

    def open(self, file: DistFile) -> AbstractContextManager[Iterator[bytes]]:
        """Stream the file's bytes (unverified: the caller checks hashes)."""
        ...
