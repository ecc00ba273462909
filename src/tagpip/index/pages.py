"""What simple-repository pages say: PEP 691 JSON and PEP 503 HTML pages turned into
:class:`DistFile` records, one project at a time, lazily.

A page of a large project lists tens of thousands of files (pydantic-core: 15,000; the realistic
benchmark set: 58,000 over 33 pages), while a resolver looks at one or two versions of each. So a
page is only checked for its shape and grouped by the version each file name states
(:class:`ProjectFiles`); the full record of a file (hashes, Requires-Python, upload time, parsed
tags) is built when its version is first asked for. Asking for every file (iterating, ``len``)
builds them all, in the order :meth:`tagpip.index.client.Index.files` promises.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import logging
import marshal
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar, Union, overload
from urllib.parse import unquote, urljoin, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from tagpip.hashes import fragment_hashes

__all__ = [
    "ACTIVE",
    "Chunk",
    "DistFile",
    "Entry",
    "GroupKey",
    "Link",
    "Ordered",
    "Page",
    "ProjectFiles",
    "ProjectStatus",
    "Source",
    "StoreDamaged",
    "StoredChunks",
    "dist_file",
    "files_of_version",
    "group_entries",
    "link_of",
    "most_severe",
    "parse_html_page",
    "parse_json_page",
    "status_of",
]

logger = logging.getLogger("tagpip.index.client")
T = TypeVar("T")

HASH_FRAGMENT = re.compile(r"(sha1|sha224|sha384|sha256|sha512|md5)=([0-9a-fA-F]+)")
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".tar")


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

    @classmethod
    def untagged(
        cls,
        project: NormalizedName,
        filename: str,
        url: str,
        version: Version,
        *,
        is_wheel: bool = False,
        hashes: tuple[tuple[str, str], ...] = (),
        requires_python: str | None = None,
        yanked: str | None = None,
        upload_time: datetime.datetime | None = None,
        size: int | None = None,
    ) -> DistFile:
        """A file whose name gives no build or tags: an sdist named in a lock, or (with
        ``is_wheel``) an sdist put to the rules that do not depend on tags, as the wheel it would
        build. One constructor, so the callers cannot disagree on what "no tags" is."""
        return cls(
            project=project,
            filename=filename,
            url=url,
            version=version,
            build=(),
            tags=frozenset(),
            is_wheel=is_wheel,
            hashes=hashes,
            requires_python=requires_python,
            yanked=yanked,
            upload_time=upload_time,
            size=size,
        )


@dataclass(frozen=True)
class Link:
    """One file as a page or folder lists it, before it is matched to a project."""

    filename: str
    url: str  # absolute, no fragment
    hashes: tuple[tuple[str, str], ...] = ()
    requires_python: str | None = None
    yanked: str | None = None
    metadata_hashes: tuple[tuple[str, str], ...] | None = None
    upload_time: datetime.datetime | None = None
    size: int | None = None


# A file as a page lists it: a Link (HTML pages, folders), or a PEP 691 file entry with the URL of
# its page, read into a Link only when its version is asked for.
Entry = Union[Link, tuple[dict[str, Any], str]]


# -- project status (PEP 792) ---------------------------------------------------------------------

# The markers PEP 792 defines, and how much each asks of a user: the most severe of several
# indexes' wins (:func:`most_severe`). A marker a later standard adds is kept as the index spells
# it and ranks with ``archived``: said, never dropped.
_SEVERITY = {"active": 0, "archived": 1, "deprecated": 2, "quarantined": 3}
_STATE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_REASON_LIMIT = 300


@dataclass(frozen=True)
class ProjectStatus:
    """What an index says of a project as a whole (PEP 792 project status markers).

    ``state`` is the marker, lower-cased: ``active`` (also when the page says nothing, as the
    PEP has it), ``archived``, ``deprecated``, ``quarantined``, or one a later standard adds.
    ``reason`` is the index's free text, if any: one line, without control characters, at most
    300 characters, since it is printed on the user's terminal. ``index`` is the index whose
    page said it (credentials redacted), None where no index was asked (a find-links folder,
    a lock, a direct URL).
    """

    state: str = "active"
    reason: str | None = None
    index: str | None = None

    @classmethod
    def of(cls, state: object, reason: object = None) -> ProjectStatus:
        """A status from a page's raw values; what is not a marker reads as active (PEP 792:
        no status is ``active``), and a reason that is not text is dropped."""
        if not isinstance(state, str) or not _STATE.fullmatch(state.strip().lower()):
            return ACTIVE
        text = _one_line(reason) if isinstance(reason, str) else None
        return cls(state.strip().lower(), text or None)

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def quarantined(self) -> bool:
        return self.state == "quarantined"

    @property
    def severity(self) -> int:
        return _SEVERITY.get(self.state, 1)

    def describe(self) -> str:
        """``archived``, or ``deprecated: use newproject instead`` with the index's reason."""
        return f"{self.state}: {self.reason}" if self.reason else self.state


ACTIVE = ProjectStatus()


def _one_line(text: str) -> str:
    """``text`` as one printable line: control characters (terminal escapes among them) and
    runs of white space become one space, and it is cut at :data:`_REASON_LIMIT`."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(flat) > _REASON_LIMIT:
        flat = flat[: _REASON_LIMIT - 3].rstrip() + "..."
    return flat


def most_severe(statuses: Iterable[ProjectStatus]) -> ProjectStatus:
    """The status that asks most of the user (quarantined, deprecated, archived, active), the
    first of equals; active when there are none."""
    found: ProjectStatus | None = None
    for status in statuses:
        if found is None or status.severity > found.severity:
            found = status
    return found or ACTIVE


class Page(list[Entry]):
    """A project page's entries (a list, as before PEP 792) and its :class:`ProjectStatus`."""

    def __init__(self, entries: Iterable[Entry] = (), status: ProjectStatus = ACTIVE) -> None:
        super().__init__(entries)
        self.status = status


def _json_status(doc: Mapping[str, Any]) -> ProjectStatus:
    """PEP 792 in a JSON page: ``project-status`` with ``status`` and ``reason``. The PEP's prose
    names the key ``state`` where its example, the canonical specification and PyPI say
    ``status``; ``state`` is read too, when ``status`` is not there."""
    table = doc.get("project-status")
    if not isinstance(table, dict):
        return ACTIVE
    state = table.get("status", table.get("state"))
    return ProjectStatus.of(state, table.get("reason"))


def _split_fragment(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The URL without its fragment, and every digest the fragment gives (any algorithm pip
    checks: :func:`tagpip.hashes.fragment_hashes`)."""
    base, _, fragment = url.partition("#")
    if not fragment:
        return base, ()
    return base, fragment_hashes(url)


def _filename_of(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _requires_python(value: object) -> str | None:
    """A valid specifier, or None: an invalid one is ignored, as pip does."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _valid_requires_python(value)


@functools.lru_cache(maxsize=1024)
def _valid_requires_python(value: str) -> str | None:
    # A page repeats a handful of Requires-Python values over thousands of files.
    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        logger.debug("ignoring invalid Requires-Python %r", value)
        return None
    return value


def _hash_pairs(value: Mapping[Any, Any]) -> tuple[tuple[str, str], ...]:
    if len(value) == 1:  # the usual case (sha256 alone), without sorting
        ((key, digest),) = value.items()
        if isinstance(key, str) and isinstance(digest, str):
            return ((key.lower(), digest.lower()),)
        return ()
    return tuple(
        sorted(
            (k.lower(), v.lower())
            for k, v in value.items()
            if isinstance(k, str) and isinstance(v, str)
        )
    )


_UPLOAD_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6})\d*)?(Z|[+-]\d\d:?\d\d)?$"
)


def _upload_time(value: object) -> datetime.datetime | None:
    """PEP 700's ``upload-time`` (ISO 8601, UTC); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    if (
        value[-1:] == "Z"
        and value[10:11] == "T"
        and value[19:20] in ("Z", ".")
        and len(value) in (20, 27)
    ):
        # The shapes PyPI serves (2024-01-02T03:04:05Z, 2024-01-02T03:04:05.678901Z):
        # fromisoformat is much faster than the general pattern below (docs/performance.md)
        # and exact for these on every supported Python.
        try:
            return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            pass
    match = _UPLOAD_TIME.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "0").ljust(6, "0"))
    zone = match.group(8)
    tz = datetime.timezone.utc
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = datetime.timezone(
            sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        )
    try:
        stamp = datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None
    return stamp.astimezone(datetime.timezone.utc)


def parse_json_page(text: str, page_url: str) -> Page:
    """PEP 691 JSON, with its PEP 792 project status; raises ValueError (with a reason) when it
    is not that.

    Only the page's shape is checked here; each file entry stays as the page gave it until
    :func:`link_of` reads it, which most never need (see :class:`ProjectFiles`).
    """
    try:
        doc = json.loads(text)
    except RecursionError:
        # Deep nesting is no simple-repository page; json raises this, not a ValueError.
        raise ValueError("the JSON is nested too deeply") from None
    if not isinstance(doc, dict):
        raise ValueError("the JSON is not an object")
    meta = doc.get("meta")
    api = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(api, str) or api.split(".")[0] != "1":
        raise ValueError(f"unsupported or missing meta.api-version {api!r} (expected 1.x)")
    files = doc.get("files")
    if not isinstance(files, list):
        raise ValueError("'files' is not a list")
    entries = Page(status=_json_status(doc))
    for entry in files:
        if not isinstance(entry, dict):
            raise ValueError("an entry of 'files' is not an object")
        if not isinstance(entry.get("filename"), str) or not isinstance(entry.get("url"), str):
            raise ValueError("a file has no 'filename' or 'url' string")
        entries.append((entry, page_url))
    return entries


def _json_link(entry: dict[str, Any], page_url: str) -> Link:
    """A PEP 691 file entry (already known to have ``filename`` and ``url`` strings) as a Link;
    unreadable optional fields are dropped, never fatal."""
    url: str = entry["url"]
    # File URLs on PyPI are absolute: urljoin would only cost time (a third of the parse).
    absolute = url if url.startswith(("https://", "http://")) else urljoin(page_url, url)
    base, from_fragment = _split_fragment(absolute)
    hashes = entry.get("hashes")
    pairs = _hash_pairs(hashes) if isinstance(hashes, dict) else ()
    if from_fragment and pairs:
        # Both must hold of the file (pip merges them too); the page's own field wins where
        # both name one algorithm.
        named = {algo for algo, _ in pairs}
        pairs = tuple(sorted((*pairs, *(p for p in from_fragment if p[0] not in named))))
    meta_value = entry.get("core-metadata", entry.get("dist-info-metadata"))
    if isinstance(meta_value, dict):
        metadata_hashes: tuple[tuple[str, str], ...] | None = _hash_pairs(meta_value)
    else:
        metadata_hashes = () if meta_value is True else None
    yanked = entry.get("yanked")
    size = entry.get("size")
    return Link(
        filename=entry["filename"],
        url=base,
        hashes=pairs or from_fragment,
        requires_python=_requires_python(entry.get("requires-python")),
        yanked=yanked if isinstance(yanked, str) else ("" if yanked is True else None),
        metadata_hashes=metadata_hashes,
        upload_time=_upload_time(entry.get("upload-time")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


def link_of(entry: Entry) -> Link:
    """The :class:`Link` an entry stands for."""
    return entry if isinstance(entry, Link) else _json_link(*entry)


def _entry_filename(entry: Entry) -> str:
    return entry.filename if isinstance(entry, Link) else str(entry[0]["filename"])


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[dict[str, str | None]] = []
        # The first value of each <meta name=...> (PEP 792's pypi:project-status and reason).
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            href = dict(attrs).get("href")
            if href:
                self.base = href
        elif tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "meta":
            named = dict(attrs)
            name, content = named.get("name"), named.get("content")
            if name is not None and content is not None:
                self.meta.setdefault(name.strip().lower(), content)


def _metadata_attribute(value: str | None) -> tuple[tuple[str, str], ...] | None:
    if value is None or value.strip().lower() == "false":
        return None
    match = HASH_FRAGMENT.fullmatch(value.strip())
    return ((match.group(1), match.group(2).lower()),) if match else ()


def parse_html_page(text: str, page_url: str) -> Page:
    """PEP 503 HTML (with PEP 592 yanking, PEP 658/714 metadata attributes and PEP 792's
    ``pypi:project-status`` and ``pypi:project-status-reason`` meta tags)."""
    parser = _AnchorParser()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, NotImplementedError, RecursionError) as error:
        # html.parser before Python 3.10 reports some malformed markup this way.
        raise ValueError(f"malformed HTML: {error}") from None
    base_url = urljoin(page_url, parser.base) if parser.base else page_url
    links = Page(
        status=ProjectStatus.of(
            parser.meta.get("pypi:project-status"), parser.meta.get("pypi:project-status-reason")
        )
    )
    for attrs in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _split_fragment(urljoin(base_url, href))
        filename = _filename_of(url)
        if not filename:
            continue
        core = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        has_meta = "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs
        yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
        links.append(
            Link(
                filename=filename,
                url=url,
                hashes=hashes,
                requires_python=_requires_python(attrs.get("data-requires-python")),
                yanked=yanked,
                metadata_hashes=_metadata_attribute(core or "true") if has_meta else None,
            )
        )
    return links


def dist_file(project: NormalizedName, link: Link) -> DistFile | None:
    """The link as a file of ``project``, or None when its name does not parse or names another
    project (both are skipped, never fatal: indexes list odd files)."""
    name = link.filename
    build: BuildTag = ()
    tags: frozenset[Tag] = frozenset()
    is_wheel = name.endswith(".whl")
    try:
        if is_wheel:
            named, version, build, tags = _parse_wheel_filename(name)
        else:
            suffix = _sdist_suffix(name)
            if suffix is None:
                return None
            text = _sdist_version_text(project, name[: -len(suffix)])
            if text is None:
                logger.debug("skipping %s: the file name is not a source of %s", name, project)
                return None
            named, version = project, Version(text)
    except (InvalidWheelFilename, InvalidVersion):
        logger.debug("skipping %s: the file name does not parse", name)
        return None
    if named != project:
        return None
    return DistFile(
        project=project,
        filename=name,
        url=link.url,
        version=version,
        build=build,
        tags=tags,
        is_wheel=is_wheel,
        hashes=link.hashes,
        requires_python=link.requires_python,
        yanked=link.yanked,
        # Only wheels have core metadata to fetch (PEP 658 serves a wheel's METADATA).
        metadata_hashes=link.metadata_hashes if is_wheel else None,
        upload_time=link.upload_time,
        size=link.size,
    )


def _parse_wheel_filename(
    filename: str,
) -> tuple[NormalizedName, Version, BuildTag, frozenset[Tag]]:
    """packaging's ``parse_wheel_filename``, with its pieces memoised: a project page repeats the
    same name, version and tag strings over hundreds of files. Anything unusual (and every error)
    goes to packaging itself, so the result and the exceptions are packaging's."""
    parts = filename[:-4].split("-")
    if len(parts) == 5:
        try:
            return (
                _wheel_project(parts[0]),
                _version(parts[1]),
                (),
                _wheel_tags(f"{parts[2]}-{parts[3]}-{parts[4]}"),
            )
        except (InvalidWheelFilename, InvalidVersion):
            pass
    return parse_wheel_filename(filename)


@functools.lru_cache(maxsize=256)
def _wheel_project(name_part: str) -> NormalizedName:
    return parse_wheel_filename(f"{name_part}-0-py3-none-any.whl")[0]


@functools.lru_cache(maxsize=65536)  # every version string of a run's pages: ~15,000 realistic
def _version(text: str) -> Version:
    return Version(text)


@functools.lru_cache(maxsize=1024)
def _wheel_tags(tag_part: str) -> frozenset[Tag]:
    return parse_wheel_filename(f"x-0-{tag_part}.whl")[3]


# -- grouping by version ---------------------------------------------------------------------------


def _sdist_suffix(filename: str) -> str | None:
    """The source-archive suffix ``filename`` ends with (any case), or None."""
    lower = filename.lower()
    return next((s for s in _SDIST_SUFFIXES if lower.endswith(s)), None)


def _version_key(project: NormalizedName, filename: str) -> Version | None:
    """The version a file name states, read cheaply, or None when :func:`dist_file` would skip
    the file anyway (a name that does not parse, a wheel of another project). The version is
    read from the same part of the name as packaging reads it, so it is the built record's."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) not in (5, 6):
            return None
        try:
            if _wheel_project(parts[0]) != project:
                return None
            return _version(parts[1])
        except (InvalidWheelFilename, InvalidVersion):
            return None
    suffix = _sdist_suffix(filename)
    if suffix is None:
        return None
    text = _sdist_version_text(project, filename[: -len(suffix)])
    if text is None:
        return None
    try:
        return _version(text)
    except InvalidVersion:
        return None


def _sdist_version_text(project: NormalizedName, stem: str) -> str | None:
    """The version part of an sdist's name without its suffix, split where the part before a dash
    is the project's normalised name, as pip reads it (``_find_name_version_sep``): so
    ``cffi-1.0.2-2`` is cffi 1.0.2-2 (1.0.2.post2), not a project ``cffi-1.0.2`` at version 2
    (packaging's ``parse_sdist_filename`` splits at the last dash). None when no dash does."""
    position = stem.find("-")
    while position > 0:
        if canonicalize_name(stem[:position]) == project:
            return stem[position + 1 :] or None
        position = stem.find("-", position + 1)
    return None


# A group of a page's files: ("w", "name-version") for the wheels with those name and version
# parts, ("f", file name) for any other file. Grouping reads each file name once, and reading a
# group's version is left for later (a page has few groups for many files).
GroupKey = tuple[str, str]


def group_entries(entries: Iterable[Entry]) -> dict[GroupKey, list[Entry]]:
    """A page's entries by :data:`GroupKey`, in page order; wheel names that cannot parse (not
    4 or 5 dashes, packaging's rule) are left out, as :func:`dist_file` would skip them."""
    groups: dict[GroupKey, list[Entry]] = {}
    for entry in entries:
        filename = entry[0]["filename"] if isinstance(entry, tuple) else entry.filename
        if filename.endswith(".whl"):
            name, _, rest = filename.partition("-")
            version, _, tags = rest.partition("-")
            if tags.count("-") in (2, 3):
                groups.setdefault(("w", f"{name}-{version}"), []).append(entry)
        else:
            groups.setdefault(("f", filename), []).append(entry)
    return groups


class StoredChunks(Sequence[bytes]):
    """The chunks of a page as the page cache wrote them, left in its file and read again when
    a group's version is asked for (docs/performance.md, "the pages held in memory"): holding
    every chunk of every page a run looks at was the largest part of a large lock's memory,
    and a resolution decodes only a few groups of each page.

    ``path`` is the file, ``starts`` each chunk's offset in it, ``sizes`` their lengths and
    ``digests`` their sha256 digests one after the other (from the file's sealed header). A
    chunk that no longer reads back as it was (the file replaced by another run, removed,
    damaged) raises :class:`StoreDamaged`, so the page is read anew, as for any copy that
    does not decode."""

    def __init__(
        self, path: Path, starts: Sequence[int], sizes: Sequence[int], digests: bytes
    ) -> None:
        self.path = path
        self._starts = starts
        self._sizes = sizes
        self._digests = digests

    def __len__(self) -> int:
        return len(self._sizes)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return self.many(range(len(self))[index])
        return self.many([range(len(self))[index]])[0]

    def many(self, positions: Sequence[int]) -> list[bytes]:
        """The chunks at ``positions``, read with one opening of the file."""
        found: list[bytes] = []
        try:
            with self.path.open("rb") as stream:
                for position in positions:
                    size = self._sizes[position]
                    stream.seek(self._starts[position])
                    data = stream.read(size)
                    digest = self._digests[32 * position : 32 * position + 32]
                    if len(data) != size or hashlib.sha256(data).digest() != digest:
                        raise StoreDamaged(f"a stored group in {self.path} changed on disk")
                    found.append(data)
        except OSError as error:
            raise StoreDamaged(f"a stored group in {self.path}: {error}") from None
        return found


@dataclass(frozen=True)
class Chunk:
    """The entries of one group as the page cache keeps them (:mod:`tagpip.index.pagecache`), in
    ``marshal`` form (like Python's own bytecode cache: several times faster to write than JSON),
    decoded only when the group's version is asked for. The bytes are ``chunks[position]``,
    read only then (``chunks`` may be a :class:`StoredChunks`, still on disk)."""

    chunks: Sequence[bytes]
    position: int
    page_url: str
    html: bool

    @classmethod
    def of(cls, entries: Sequence[Entry], page_url: str, *, html: bool) -> Chunk:
        """``entries`` (all JSON entries of ``page_url``, or all Links) as a chunk."""
        if html:
            rows: list[Any] = [_link_fields(entry) for entry in entries]  # type: ignore[arg-type]
        else:
            rows = [entry[0] for entry in entries]  # type: ignore[index]
        return cls([marshal.dumps(rows)], 0, page_url, html)

    @property
    def data(self) -> bytes:
        return self.chunks[self.position]

    def entries(self) -> list[Entry]:
        """The entries back; raises :class:`StoreDamaged` when the chunk is not one this
        module wrote (intact on disk, but written by another tagpip, another Python's marshal,
        or damaged with its seal made again)."""
        try:
            rows = marshal.loads(self.data)
            if not isinstance(rows, list):
                raise ValueError("not a list of entries")
            if self.html:
                return [_link_from_fields(row) for row in rows]
        except Exception as error:  # marshal, unpacking, the fields' types: all one verdict
            raise StoreDamaged(f"a stored group of {self.page_url}: {error}") from None
        entries: list[Entry] = []
        for row in rows:
            if not (
                isinstance(row, dict)
                and isinstance(row.get("filename"), str)
                and isinstance(row.get("url"), str)
            ):
                raise StoreDamaged(
                    f"a stored group of {self.page_url}: an entry without 'filename' and 'url'"
                )
            entries.append((row, self.page_url))
        return entries


def _link_fields(link: Link) -> list[Any]:
    stamp = link.upload_time.isoformat() if link.upload_time is not None else None
    return [
        link.filename,
        link.url,
        [list(pair) for pair in link.hashes],
        link.requires_python,
        link.yanked,
        None if link.metadata_hashes is None else [list(p) for p in link.metadata_hashes],
        stamp,
        link.size,
    ]


def _link_from_fields(row: Any) -> Link:
    filename, url, hashes, requires_python, yanked, metadata_hashes, stamp, size = row
    return Link(
        filename=str(filename),
        url=str(url),
        hashes=tuple((str(a), str(d)) for a, d in hashes),
        requires_python=requires_python,
        yanked=yanked,
        metadata_hashes=None
        if metadata_hashes is None
        else tuple((str(a), str(d)) for a, d in metadata_hashes),
        upload_time=datetime.datetime.fromisoformat(stamp) if stamp is not None else None,
        size=size,
    )


@dataclass(frozen=True)
class Ordered:
    """A page as the page cache keeps it (:mod:`tagpip.index.pagecache`): each group's entries in
    :class:`Chunk` form (``chunks``, by position) and its versions newest first, each with the
    positions of its groups (``order``; a version as ``str(Version)``), worked out once, when the
    page was stored. A run then parses a version only when the iteration reaches it."""

    page_url: str
    html: bool
    chunks: Sequence[bytes]
    order: Sequence[tuple[str, Sequence[int]]]
    # The page's entries fetched anew, for when this copy turns out not to decode (see
    # ProjectFiles); None where nothing can fetch it again.
    refetch: Callable[[], Sequence[Entry]] | None = field(default=None, compare=False)
    # What the page said of the project as a whole (PEP 792).
    status: ProjectStatus = ACTIVE

    @classmethod
    def of(
        cls,
        project: NormalizedName,
        entries: Sequence[Entry],
        page_url: str,
        *,
        html: bool,
        status: ProjectStatus = ACTIVE,
    ) -> Ordered:
        """A page's ``entries`` ordered: what :func:`_grouped` and sorting would give."""
        keys = list(group_entries(entries).items())
        positions: dict[Version, list[int]] = {}
        for position, (key, _group) in enumerate(keys):
            version = _group_version(project, key)
            if version is not None:
                positions.setdefault(version, []).append(position)
        order = [(str(v), positions[v]) for v in sorted(positions, reverse=True)]
        chunks = [Chunk.of(group, page_url, html=html).data for _key, group in keys]
        return cls(page_url, html, chunks, order, status=status)

    def chunk(self, position: int) -> Chunk:
        """The group at ``position``, its bytes read only when it is decoded."""
        return Chunk(self.chunks, position, self.page_url, self.html)

    def chunks_at(self, positions: Sequence[int]) -> list[Chunk]:
        """The groups at ``positions``, their bytes read now, together (one opening of a
        :class:`StoredChunks` file); raises :class:`StoreDamaged` when they do not read back."""
        chunks = self.chunks
        if isinstance(chunks, StoredChunks):
            found = chunks.many(positions)
        else:
            found = [chunks[p] for p in positions]
        return [Chunk(found, n, self.page_url, self.html) for n in range(len(found))]


def _group_version(project: NormalizedName, key: GroupKey) -> Version | None:
    """The version a group's file names state (:func:`_version_key` of its first file: a wheel
    group's files share their name and version parts)."""
    kind, text = key
    return _version_key(project, f"{text}-py3-none-any.whl" if kind == "w" else text)


# A source as ProjectFiles takes it: a page's (or folder's) entries, or a stored page.
Source = Union[Sequence[Entry], Ordered]


def status_of(source: Source) -> ProjectStatus:
    """The PEP 792 status a source's page gave (a parsed :class:`Page` or a stored
    :class:`Ordered` page); active for anything else (a find-links folder)."""
    return source.status if isinstance(source, (Page, Ordered)) else ACTIVE


_Group = Union[Sequence[Entry], Chunk]


def _grouped(project: NormalizedName, source: Source) -> dict[Version, list[_Group]]:
    """A source's groups by the version their file names state, leaving out what
    :func:`dist_file` would skip anyway (another project's wheels, names without a version)."""
    by_version: dict[Version, list[_Group]] = {}
    if isinstance(source, Ordered):
        for text, positions in source.order:
            by_version[_stored_version(source, text)] = [source.chunk(p) for p in positions]
        return by_version
    for key, group in group_entries(source).items():
        version = _group_version(project, key)
        if version is not None:
            by_version.setdefault(version, []).append(group)
    return by_version


class StoreDamaged(ValueError):
    """A page from the page cache does not decode: intact on disk (its seal holds) but not
    what this tagpip writes. :class:`ProjectFiles` then reads the page anew (its
    :attr:`Ordered.refetch`), so the copy is a miss, replaced, never an error."""


def _stored_version(ordered: Ordered, text: str) -> Version:
    try:
        return _version(text)
    except Exception as error:  # not a str, or not a version: the copy is not ours
        raise StoreDamaged(f"a stored version of {ordered.page_url}: {error}") from None


def _expand(groups: Iterable[_Group]) -> Iterator[Entry]:
    for group in groups:
        if isinstance(group, Chunk):
            # The page cache checked the whole file's digest before handing out its chunks.
            yield from group.entries()
        else:
            yield from group


class _Versions(Sequence[Version]):
    """The versions of one :class:`Ordered` page, newest first, each parsed when first reached
    (a resolver usually stops at the first); safe to share between threads."""

    def __init__(self, ordered: Ordered, recover: Callable[[], Sequence[Version]]) -> None:
        self.ordered = ordered
        self._parsed: list[Version] = []
        self.groups: dict[Version, Sequence[int]] = {}
        self._lock = threading.Lock()
        self._recover = recover
        # The versions of the page read anew, once the stored copy turned out not to decode:
        # from then on this sequence is those (a resolver may be iterating it).
        self._fresh: Sequence[Version] | None = None

    def _upto(self, count: int) -> None:
        with self._lock:
            if self._fresh is not None:
                return
            order = self.ordered.order
            try:
                for text, positions in order[len(self._parsed) : count]:
                    version = _stored_version(self.ordered, text)
                    self._parsed.append(version)
                    self.groups[version] = positions
                return
            except StoreDamaged as damage:
                logger.debug("%s; reading the page anew", damage)
        fresh = self._recover()
        with self._lock:
            self._fresh = fresh
            self._parsed = list(fresh)

    def __len__(self) -> int:
        if self._fresh is not None:
            return len(self._fresh)
        return len(self.ordered.order)

    @overload
    def __getitem__(self, index: int) -> Version: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Version]: ...

    def __getitem__(self, index: int | slice) -> Version | Sequence[Version]:
        if isinstance(index, slice) or index < 0:
            self._upto(len(self))
        elif index >= len(self._parsed):
            self._upto(index + 1)
        return self._parsed[index]

    def __iter__(self) -> Iterator[Version]:
        position = 0
        while position < len(self):
            if position >= len(self._parsed):
                self._upto(position + 1)
                if position >= len(self._parsed):
                    return  # the page read anew (see _upto) has fewer versions
            yield self._parsed[position]
            position += 1

    def positions(self, version: Version) -> Sequence[int]:
        """The group positions of ``version`` (none when the page does not have it)."""
        if version not in self.groups and len(self._parsed) < len(self):
            self._upto(len(self))
        return self.groups.get(version, ())

    @property
    def recovered(self) -> bool:
        """Whether the stored copy did not decode and the page was read anew."""
        return self._fresh is not None


class ProjectFiles(Sequence[DistFile]):
    """Every file the sources list for one project, built into records version by version.

    ``sources`` are the entries of each source in order (the indexes that serve the project,
    then the find-links locations). A source's files come sorted by (file name, URL) and a URL
    seen in an earlier source is skipped, so the order never depends on a page's order.
    :meth:`versions` and :meth:`of_version` build only what is asked for; the sequence methods
    build everything. A single stored page (:class:`Ordered`) is not even grouped: its versions
    are parsed as the iteration reaches them.

    The first ``indexes`` sources are index pages that do not mix (uv's unsafe strategies,
    :mod:`tagpip.config.indexrules`): a version one of them lists is served by the first that lists
    it, never by a later one; find-links sources add to every version. With ``index_order``
    (uv's ``unsafe-first-match``) the versions come index by index, each index's newest first,
    the find-links' with the first index's, instead of newest first over all. ``status`` is
    the project's PEP 792 status as the index that serves it says (the caller decides which
    index that is: :meth:`tagpip.index.client.HttpIndex.releases`).
    """

    def __init__(
        self,
        project: NormalizedName,
        sources: Iterable[Source],
        *,
        indexes: int = 0,
        index_order: bool = False,
        status: ProjectStatus = ACTIVE,
    ) -> None:
        self.project = project
        # What the index serving the project says of it (PEP 792; see tagpip.index.client).
        self.status = status
        self._given = list(sources)
        self._lazy: _Versions | None = None
        self._sources: list[dict[Version, list[_Group]]] = []
        self._order: list[set[Version]] | None = None
        self._indexes = indexes
        self._index_order = index_order
        self._versions: Sequence[Version] | None = None
        self._by_version: dict[Version, tuple[DistFile, ...]] = {}
        self._all: tuple[DistFile, ...] | None = None
        self._recovery = threading.Lock()
        self._recovered = False
        if len(self._given) == 1 and isinstance(self._given[0], Ordered):
            self._lazy = _Versions(self._given[0], self._read_anew)
            self._versions = self._lazy
        else:
            try:
                self._group(self._given)
            except StoreDamaged as damage:
                logger.debug("%s; reading the page anew", damage)
                self._read_anew()

    def _group(self, sources: Sequence[Source]) -> None:
        """Group each source's entries by version; of the first ``indexes`` sources (index
        pages that do not mix), a version is kept only in the first that lists it, and with
        ``index_order`` the versions are ordered index by index."""
        self._sources = [_grouped(self.project, entries) for entries in sources]
        indexes = min(self._indexes, len(self._sources))
        served: set[Version] = set()
        for grouped in self._sources[:indexes]:
            for version in served.intersection(grouped):
                del grouped[version]
            served.update(grouped)
        self._order = None
        if self._index_order and indexes > 1:
            links = {v for grouped in self._sources[indexes:] for v in grouped}
            self._order = [set(self._sources[0]) | links]
            self._order += [set(grouped) for grouped in self._sources[1:indexes]]

    def _read_anew(self) -> Sequence[Version]:
        """A stored page among the sources did not decode: read every stored page again
        (:attr:`Ordered.refetch`, which also stores it anew) and start over from those
        entries; the versions, newest first. Once only: the entries read anew are not stored
        copies. Raises StoreDamaged when a stored page cannot be read again."""
        with self._recovery:
            if not self._recovered:
                fresh: list[Sequence[Entry]] = []
                for source in self._given:
                    if isinstance(source, Ordered):
                        if source.refetch is None:
                            raise StoreDamaged(f"{source.page_url} cannot be read again")
                        fresh.append(source.refetch())
                    else:
                        fresh.append(source)
                self._group(fresh)
                self._lazy = None
                self._versions = None
                self._by_version = {}
                self._all = None
                self._recovered = True
            return self.versions()

    def _decoded(self, build: Callable[[], T]) -> T:
        """``build()``, which decodes stored groups; once more after :meth:`_read_anew` when a
        stored group does not decode."""
        try:
            return build()
        except StoreDamaged as damage:
            logger.debug("%s; reading the page anew", damage)
            self._read_anew()
            return build()

    @classmethod
    def from_files(cls, project: NormalizedName, files: Iterable[DistFile]) -> ProjectFiles:
        """Records that are already built (another :class:`~tagpip.index.client.Index`, a direct
        URL), in the same shape; their order is kept as given."""
        grouped = cls(project, [])
        everything = tuple(files)
        by_version: dict[Version, list[DistFile]] = {}
        for file in everything:
            by_version.setdefault(file.version, []).append(file)
        grouped._by_version = {v: tuple(fs) for v, fs in by_version.items()}
        grouped._versions = tuple(sorted(by_version, reverse=True))
        grouped._all = everything
        return grouped

    def versions(self) -> Sequence[Version]:
        """Every version a file name states, newest first (index by index with
        ``index_order``). A version's files may still all be skipped when built (a file name
        packaging rejects), so :meth:`of_version` can be empty."""
        if self._versions is None and self._order is not None:
            ordered: list[Version] = []
            for group in self._order:
                ordered += sorted(group.difference(ordered), reverse=True)
            self._versions = tuple(ordered)
        if self._versions is None:
            # Pages list files in upload or name order, mostly oldest first: kept in that order,
            # the versions are nearly sorted already, which Python's sort finishes in few
            # compares.
            found = dict.fromkeys(v for grouped in self._sources for v in grouped)
            self._versions = tuple(sorted(found, reverse=True))
        return self._versions

    def of_version(self, version: Version) -> tuple[DistFile, ...]:
        """The files of ``version``, in the order of the whole sequence."""
        files = self._by_version.get(version)
        if files is None:
            files = self._decoded(lambda: self._of_version(version))
            self._by_version[version] = files
        return files

    def _of_version(self, version: Version) -> tuple[DistFile, ...]:
        lazy = self._lazy
        if lazy is not None:
            positions = lazy.positions(version)
            if not lazy.recovered:
                return self._build_stored(positions, lazy.ordered)
        return self._build(_expand(grouped.get(version, ())) for grouped in self._sources)

    def _build(self, sources: Iterable[Iterable[Entry]]) -> tuple[DistFile, ...]:
        found: list[DistFile] = []
        seen: set[str] = set()
        for entries in sources:
            batch = []
            for entry in entries:
                file = dist_file(self.project, link_of(entry))
                if file is not None and file.url not in seen:
                    seen.add(file.url)
                    batch.append(file)
            found += sorted(batch, key=lambda f: (f.filename, f.url))
        return tuple(found)

    def _build_stored(self, positions: Iterable[int], ordered: Ordered) -> tuple[DistFile, ...]:
        """:meth:`_build` of the stored page's groups at ``positions``."""
        return self._build([_expand(ordered.chunks_at(list(positions)))])

    def _everything(self) -> tuple[DistFile, ...]:
        if self._all is None:
            self._all = self._decoded(self._build_everything)
        return self._all

    def _build_everything(self) -> tuple[DistFile, ...]:
        lazy = self._lazy
        if lazy is not None:
            order = lazy.ordered.order
            return self._build_stored([p for _text, groups in order for p in groups], lazy.ordered)
        return self._build(
            _expand(group for groups in grouped.values() for group in groups)
            for grouped in self._sources
        )

    @overload
    def __getitem__(self, index: int) -> DistFile: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DistFile]: ...

    def __getitem__(self, index: int | slice) -> DistFile | Sequence[DistFile]:
        return self._everything()[index]

    def __len__(self) -> int:
        return len(self._everything())

    def __iter__(self) -> Iterator[DistFile]:
        return iter(self._everything())

    def __bool__(self) -> bool:
        return any(self.of_version(v) for v in self.versions())

    def __repr__(self) -> str:
        return f"<ProjectFiles {self.project}: {len(self.versions())} versions>"


def files_of_version(files: Sequence[DistFile], version: Version) -> Sequence[DistFile]:
    """The files of one version, without building the others when ``files`` is lazy."""
    if isinstance(files, ProjectFiles):
        return files.of_version(version)
    return [f for f in files if f.version == version]
