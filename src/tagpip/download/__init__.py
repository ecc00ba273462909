"""Downloading pinned files into a folder: in parallel, hash-checked, written atomically,
through the wheel cache.
"""

from __future__ import annotations

from tagpip.download.downloader import (
    Downloaded,
    DownloadError,
    ProgressEvent,
    download,
    known_sha256,
)

__all__ = [
    "DownloadError",
    "Downloaded",
    "ProgressEvent",
    "download",
    "known_sha256",
]
