"""Downloading pinned files into a folder: in parallel, hash-checked, written atomically,
through the wheel cache.
"""

from __future__ import annotations

from tagpip.download.downloader import (
    Downloaded,
    DownloadError,
    HashMismatch,
    ProgressEvent,
    download,
    known_sha256,
)

__all__ = [
    "DownloadError",
    "Downloaded",
    "HashMismatch",
    "ProgressEvent",
    "download",
    "known_sha256",
]
