"""The package index: simple-repository pages (PEP 691, PEP 503, find-links), PEP 658
metadata, the caches of pages and metadata, which index serves a project, and the
network under them. Other stages see an index only through :class:`Index`.
"""

from __future__ import annotations

from tagpip.index.api import FilesReady, Index, MetadataReady
from tagpip.index.client import (
    ACCEPT,
    HttpIndex,
    MetadataError,
    PageError,
    check_wheel_metadata,
    parse_metadata,
)
from tagpip.index.metacache import is_current as is_current_metadata
from tagpip.index.pagecache import is_current as is_current_page
from tagpip.index.pages import ACTIVE, DistFile, ProjectFiles, ProjectStatus, files_of_version
from tagpip.index.transport import MAX_METADATA, MAX_PAGE, FetchError, IndexError_, over_cap

__all__ = [
    "ACCEPT",
    "ACTIVE",
    "MAX_METADATA",
    "MAX_PAGE",
    "DistFile",
    "FetchError",
    "FilesReady",
    "HttpIndex",
    "Index",
    "IndexError_",
    "MetadataError",
    "MetadataReady",
    "PageError",
    "ProjectFiles",
    "ProjectStatus",
    "check_wheel_metadata",
    "files_of_version",
    "is_current_metadata",
    "is_current_page",
    "over_cap",
    "parse_metadata",
]
