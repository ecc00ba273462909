"""The one protocol every index implements, so callers never probe an index with ``getattr`` or
``isinstance``.

An index is where packages live: the simple API over HTTP, ``--find-links`` folders and pages,
local files, or several of them combined (:class:`tagpip.index.client.HttpIndex` is all of these at
once). The resolver, the candidate finder, the downloader and the reports see only
:class:`Index`. A capability only some indexes have (fetching ahead, remembering served metadata,
a wheel cache) is still a method here, with a harmless default: an index without it inherits the
default by subclassing :class:`Index`, and a caller just calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from packaging.metadata import Metadata
from packaging.utils import NormalizedName

from tagpip.index.pages import DistFile, ProjectFiles

__all__ = ["FilesReady", "Index", "MetadataReady"]

# What a prefetch calls once a project's files, or a file's metadata, are there.
FilesReady = Callable[[NormalizedName, Sequence[DistFile]], None]
MetadataReady = Callable[[DistFile, Metadata], None]


class Index(Protocol):
    """What the resolver, the candidate finder and the downloader need from where packages live.

    The first four methods have no default: every index answers them. The rest have one that is
    right for an index that cannot do better (it fetches nothing ahead, keeps no metadata, has no
    wheel cache)."""

    def files(self, project: NormalizedName) -> Sequence[DistFile]:
        """Every file every configured source lists for ``project``, in a deterministic order.

        An unknown project gives an empty sequence, not an error.
        """
        ...

    def metadata(self, file: DistFile) -> Metadata:
        """The core metadata of a wheel (PEP 658 file, else read out of the wheel), checked to
        agree with the file name's project and version."""
        ...

    def prefetch(self, files: Sequence[DistFile], then: MetadataReady | None = None) -> None:
        """Start fetching the metadata of ``files`` in the background; never raises. ``then`` is
        called with each file's metadata once it is there (in whichever thread fetched it) unless
        the fetch failed; an index that fetches nothing ahead may never call it."""
        ...

    def open(self, file: DistFile) -> AbstractContextManager[Iterator[bytes]]:
        """Stream the file's bytes (unverified: the caller checks hashes)."""
        ...

    def releases(self, project: NormalizedName) -> ProjectFiles:
        """:meth:`files` grouped by version. An index whose pages are already
        :class:`ProjectFiles` returns them; the default groups the plain sequence."""
        return ProjectFiles.from_files(project, self.files(project))

    def prefetch_projects(self, projects: Iterable[str], then: FilesReady | None = None) -> None:
        """Start fetching the files of ``projects`` in the background, so a resolver that has
        just seen several new dependencies waits for the slowest page, not the sum of them;
        never raises. A page the caller then demands with :meth:`files` must not wait behind
        pages still queued. The default fetches nothing ahead (and never calls ``then``)."""
        del projects, then

    def known_metadata(self, file: DistFile) -> Metadata | None:
        """The metadata this run already has for ``file`` from the index's own metadata file
        (PEP 658), fetching nothing; None when there is none. The downloader compares a
        downloaded wheel with it. The default keeps none."""
        del file
        return None

    @property
    def wheel_cache(self) -> Path | None:
        """The folder of the content-addressed wheel cache (see :mod:`tagpip.download.downloader`);
        the default, like ``--no-cache-dir``, has none."""
        return None
