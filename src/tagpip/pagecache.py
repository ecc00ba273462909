"""Project pages kept between runs, already split by version, and revalidated on every run.

Why not only the HTTP cache: a run revalidates every project page (as pip does), and an unchanged
page then came back out of CacheControl's cache whole and was decoded again: for the realistic
benchmark set that is 25 MB of JSON over 33 pages, about 40% of a warm ``tagpip lock``. Here a
page is stored as its groups of files (:func:`tagpip.pages.group_entries`), each group's entries
marshalled on their own, so a run that gets ``304 Not Modified`` reads only the small outer
record and decodes the few groups the resolver asks for.

An entry is used only after the server said the page is unchanged (``If-None-Match`` /
``If-Modified-Since`` with the validators it gave), so it is never staler than the HTTP cache
would be. A page without validators is not stored. Files are written to a temporary name and
renamed, so concurrent runs never see half of one, and carry the sha256 of their contents, so a
damaged one is a miss as a whole (its groups are decoded later, when it is too late to refetch).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tagpip.pages import Chunk, Entry, GroupKey, group_entries

__all__ = ["StoredPage", "load", "store"]

logger = logging.getLogger("tagpip.index")

# Bump when the layout changes; older files are then misses (and replaced when next stored).
FORMAT = 1


@dataclass(frozen=True)
class StoredPage:
    """A page as stored: where it was (its final URL, which relative file URLs are joined to),
    its validators, and its groups."""

    page_url: str
    etag: str | None
    last_modified: str | None
    groups: Mapping[GroupKey, Chunk]

    def validators(self) -> dict[str, str]:
        """The conditional request headers that ask the server whether this copy is current."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def _path(folder: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()
    return folder / digest[:2] / f"{digest}.page"


def load(folder: Path, url: str) -> StoredPage | None:
    """The stored copy of the page at ``url``, or None (none, or not readable as one)."""
    try:
        data = _path(folder, url).read_bytes()
    except OSError:
        return None
    digest, payload = data[:32], data[32:]
    if hashlib.sha256(payload).digest() != digest:
        if data:
            logger.debug("ignoring the stored page of %s: damaged", url)
        return None
    try:
        record = marshal.loads(payload)
        if not isinstance(record, dict) or record.get("format") != FORMAT or record["url"] != url:
            return None
        html = bool(record["html"])
        page_url = str(record["page_url"])
        groups = {
            (str(kind), str(text)): Chunk(bytes(chunk), page_url, html)
            for kind, text, chunk in record["groups"]
        }
        etag, modified = record["etag"], record["last_modified"]
        if not (etag or modified):
            return None
        return StoredPage(
            page_url,
            str(etag) if etag else None,
            str(modified) if modified else None,
            groups,
        )
    except (ValueError, TypeError, KeyError, EOFError) as error:
        logger.debug("ignoring the stored page of %s: %s", url, error)
        return None


def store(
    folder: Path,
    url: str,
    page_url: str,
    entries: Sequence[Entry],
    *,
    html: bool,
    etag: str | None,
    last_modified: str | None,
) -> StoredPage | None:
    """Keep the page's ``entries`` for the next run (nothing without a validator); never
    raises: a cache that cannot be written only costs the next run a full page."""
    if not (etag or last_modified):
        return None
    groups = {
        key: Chunk.of(group, page_url, html=html) for key, group in group_entries(entries).items()
    }
    record = {
        "format": FORMAT,
        "url": url,
        "page_url": page_url,
        "html": html,
        "etag": etag,
        "last_modified": last_modified,
        "groups": [[kind, text, chunk.data] for (kind, text), chunk in groups.items()],
    }
    path = _path(folder, url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                payload = marshal.dumps(record)
                stream.write(hashlib.sha256(payload).digest())
                stream.write(payload)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as error:
        logger.debug("could not store the page of %s: %s", url, error)
    return StoredPage(page_url, etag, last_modified, groups)
