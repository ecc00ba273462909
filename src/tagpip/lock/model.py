"""The pins of a lock, shared by both lock formats: the :class:`Lock` model (sections of
:class:`LockedPackage` with their :class:`LockedFile`), and a lock built from resolutions.

A :class:`Lock` is a list of :class:`LockSection`, one per target, each holding the packages pinned
for that target with the files locked for it. The tagged format (:mod:`tagpip.lock.tagged`) and PEP
751 (:mod:`tagpip.lock.pylock`) write and read this one model, so keeping pins
(:mod:`tagpip.lock.keep`) and choosing a target's files (:mod:`tagpip.lock.select`) work the same
whichever file a lock came from. The small helpers here (a tag block narrowed for a target, UTC
times, file-name checks) are the ones those modules share.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from packaging.markers import InvalidMarker, Marker
from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    parse_wheel_filename,
)
from packaging.version import Version

from tagpip.errors import Span, TagpipError
from tagpip.hashes import STRONG, HashMismatch, link_algorithms, link_mismatch, new_hasher
from tagpip.index import ACTIVE, DistFile, Index, ProjectStatus
from tagpip.resolution import Resolution, as_utc
from tagpip.tags import TokenError, parse_tag_block
from tagpip.target import Target, TargetError, target_for_block

__all__ = [
    "Format",
    "Lock",
    "LockError",
    "LockSection",
    "LockedFile",
    "LockedPackage",
    "holds",
    "is_sdist_of",
    "is_wheel_of",
    "lock_from_resolutions",
    "lock_span",
    "narrowed",
    "scrub",
    "target_marker",
]

Format = Literal["tagged", "pylock"]

# Marker variables that tell targets apart, in the order a pylock marker names them.
_TARGET_MARKERS = ("implementation_name", "python_version", "sys_platform", "platform_machine")


class LockError(TagpipError):
    """A lock file cannot be read or used, or a lock cannot be written; says which and why."""


# --------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class LockedFile:
    """One locked wheel, or with ``is_sdist`` the sdist a pin is built from. ``hashes`` are
    sorted ``(algorithm, hex)`` pairs (at least one); ``filename`` and ``url`` are None where the
    format does not record them (the tagged format finds a wheel on the index by its hash);
    ``upload_time`` is in UTC. ``direct`` marks the wheel a user's line named itself (``name @
    URL`` or a local wheel path): no index has it, so the tagged format records its URL in a
    ``# wheel: FILENAME URL`` comment under the line, and installing takes that file, checked
    against the line's hash."""

    hashes: tuple[tuple[str, str], ...]
    filename: str | None = None
    url: str | None = None
    size: int | None = None
    upload_time: datetime.datetime | None = None
    is_sdist: bool = False
    direct: bool = False


@dataclass(frozen=True)
class LockedPackage:
    """One pinned project of a section with the files locked for it.

    ``block`` is the tag block (tagged format, lower-case text with brackets) describing the
    target the pin is for; ``marker`` is when a pylock installs it; ``via`` says why it is there
    (``FILE:LINE`` of the user's lines, then the pinned projects depending on it); ``line`` is
    where it was read from (0 when made in memory); ``status`` is the project's PEP 792 status
    on its index when it was locked (marker and reason; the index is ``index``).
    """

    name: NormalizedName
    version: Version
    files: tuple[LockedFile, ...]
    block: str | None = None
    marker: str | None = None
    requires_python: str | None = None
    index: str | None = None
    via: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)
    status: ProjectStatus = ACTIVE


@dataclass(frozen=True)
class LockSection:
    """The pins of one target. ``target`` is its description (``Target.describe()``, "" when the
    format does not say); ``marker`` is the target as an environment marker (None when the
    target does not define the values that would tell it apart)."""

    target: str
    packages: tuple[LockedPackage, ...]
    marker: str | None = None


@dataclass(frozen=True)
class Lock:
    """A whole lock: its sections in order (one per target; a pylock read back is one section
    whose packages carry markers), the minimum Python, and pylock's ``environments``."""

    sections: tuple[LockSection, ...]
    format: Format = "tagged"
    path: str = field(default="", compare=False)
    requires_python: str | None = None
    environments: tuple[str, ...] = ()

    @property
    def packages(self) -> tuple[LockedPackage, ...]:
        """Every package of every section, in order."""
        return tuple(p for s in self.sections for p in s.packages)


# --------------------------------------------------------------------------------------------
def holds(marker: str, target: Target) -> bool:
    """Whether ``marker`` holds for ``target``; False when it is invalid or needs a value the
    target does not define (such a package is not the target's)."""
    try:
        return target.evaluate(Marker(marker))
    except (TargetError, InvalidMarker):
        return False


# Building a lock from resolutions


def lock_from_resolutions(
    resolutions: Sequence[Resolution],
    index: Index,
    *,
    index_urls: Sequence[str] = (),
    built: Mapping[str, DistFile] | None = None,
) -> Lock:
    """The lock of one resolution per target, in the order given.

    Every file gets a sha256: the index's, else computed by reading the file through ``index``.
    ``index_urls`` are the configured indexes; a file served from one of their hosts records it
    as its ``index`` (credentials removed). A pin whose file is an sdist is locked as that sdist;
    ``built`` maps its URL to the wheel it built (checked pure by the caller), whose tags choose
    the line's tag block and whose metadata gives Requires-Python when the index does not.
    """
    built = built or {}
    sections = []
    digests: dict[str, str] = {}
    for resolution in resolutions:
        packages = []
        for pin in resolution.pins:
            file = pin.file
            if file.url not in digests:
                digests[file.url] = _sha256(file, index)
            hashes = {a.lower(): d.lower() for a, d in file.hashes if a.lower() in STRONG}
            hashes["sha256"] = digests[file.url]
            wheel = file if file.is_wheel else built.get(file.url)
            metadata_python = None
            if file.requires_python is None and wheel is not None:
                found = index.metadata(wheel).requires_python
                metadata_python = str(found) if found is not None else None
            packages.append(
                LockedPackage(
                    name=pin.name,
                    version=pin.version,
                    files=(
                        LockedFile(
                            hashes=tuple(sorted(hashes.items())),
                            filename=file.filename,
                            url=_without_credentials(file.url),
                            size=file.size,
                            upload_time=as_utc(file.upload_time),
                            is_sdist=not file.is_wheel,
                            direct=file.is_wheel
                            and any(line.requirement.url for line in pin.lines),
                        ),
                    ),
                    block=_block_for_tags(
                        pin.target, resolution.target, wheel.tags if wheel else frozenset()
                    ),
                    requires_python=file.requires_python or metadata_python,
                    index=_index_of(file.url, index_urls, served_by=pin.status.index),
                    via=pin.via,
                    status=ProjectStatus(pin.status.state, pin.status.reason),
                )
            )
        target = resolution.target
        sections.append(
            LockSection(target.describe(), tuple(packages), marker=target_marker(target))
        )
    oldest = min((r.target.python_version[:2] for r in resolutions), default=None)
    requires_python = f">={oldest[0]}.{oldest[1]}" if oldest else None
    return Lock(tuple(sections), requires_python=requires_python)


def target_marker(target: Target) -> str | None:
    """The target as a PEP 508 marker (implementation, Python X.Y, OS, machine: the values it
    defines), e.g. ``implementation_name == "cpython" and python_version == "3.12" and
    sys_platform == "linux" and platform_machine == "x86_64"``; None if it defines none."""
    values = target.marker_environment
    parts = [f'{name} == "{values[name]}"' for name in _TARGET_MARKERS if name in values]
    return " and ".join(parts) or None


@functools.lru_cache(maxsize=256)  # a lock's pins share a handful of (target, tags) pairs
def _block_for_tags(own: Target, target: Target, file_tags: frozenset[Tag]) -> str | None:
    """A tag block naming a pin's target (``own``): its python tag and one full platform tag,
    plus its ABIs where leaving them out would describe a different target.

    The first candidate whose target has exactly the pin's tags wins; else the first whose target
    still runs the locked wheel, ``file_tags`` (the hash is what selects the file; the block
    documents the target and keeps the lock a valid requirement file for it).
    """
    version = f"{own.python_version[0]}{own.python_version[1]}"
    generic = all(t.interpreter.startswith("py") for t in own.tags)
    python = f"py{version}" if generic else f"{own.implementation}{version}"
    abis = [a for a in dict.fromkeys(t.abi for t in own.tags) if a != "none"]
    fallback: str | None = None
    for platform in dict.fromkeys(own.platforms):
        if platform == "any":
            continue
        for tokens in ([platform, python], [platform, python, *abis]):
            text = "[" + ",".join(t.lower() for t in tokens) + "]"
            for_block = narrowed(target, text)
            if for_block is None:
                continue
            if for_block.tags == own.tags:
                return text
            if fallback is None and for_block.wheel_rank(file_tags) is not None:
                fallback = text
    return fallback


@functools.lru_cache(maxsize=256)
def narrowed(target: Target, block: str) -> Target | None:
    """``target`` narrowed to a lock line's tag block, or None when the block does not fit it.

    A lock asks the same few blocks of the same target for every pin: each is narrowed once."""
    try:
        return target_for_block(target, parse_tag_block(block, lock_span(block)))
    except (TargetError, TokenError):
        return None


def lock_span(text: str) -> Span:
    """A span over a tag block read from a lock, for the tag parser's errors."""
    return Span("<lock>", 1, 0, len(text), text)


def _sha256(file: DistFile, index: Index) -> str:
    """The file's sha256: the index's, else of its bytes read through ``index``, which must
    then match every other digest its link gives (an md5-only index's ``#md5=``): a lock must
    not record the sha256 of a file its own link disowns."""
    for algo, digest in file.hashes:
        if algo.lower() == "sha256":
            return digest.lower()
    hashers = {algo: new_hasher(algo) for algo in link_algorithms(file.hashes) | {"sha256"}}
    with index.open(file) as chunks:
        for chunk in chunks:
            for hasher in hashers.values():
                hasher.update(chunk)
    digests = {algo: hasher.hexdigest() for algo, hasher in hashers.items()}
    wrong = link_mismatch(file.hashes, digests)
    if wrong is not None:
        algo, expected, got = wrong
        raise HashMismatch.of_bytes(
            file.project, file.filename, "its link", [f"{algo}:{expected}"], f"{algo}:{got}"
        )
    return digests["sha256"]


def scrub(text: str) -> str:
    """``text`` with credentials replaced by ``****``: a lock is shared."""
    from tagpip.urls import scrub as scrub_urls

    return scrub_urls(text)


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def _index_of(url: str, index_urls: Sequence[str], *, served_by: str | None = None) -> str | None:
    """The configured index a file was served from: one on the file's own host, and of those
    the one whose page served the project (``served_by``, the pin's status's index, redacted),
    so that two indexes on one host (a devpi's ``/root/pypi/`` and ``/team/prod/``) are told
    apart; else the first on the host. None when no configured index is on the file's host
    (a find-links file, a direct URL; PyPI's files are on another host than its pages)."""
    host = urlsplit(url).netloc.rsplit("@", 1)[-1].lower()
    if not host:
        return None
    on_host = [
        bare if bare.endswith("/") else bare + "/"
        for bare in (_without_credentials(index_url) for index_url in index_urls)
        if urlsplit(bare).netloc.lower() == host
    ]
    if served_by is not None:
        served = _without_credentials(served_by)
        served = served if served.endswith("/") else served + "/"
        if served in on_host:
            return served
    return on_host[0] if on_host else None


# --------------------------------------------------------------------------------------------


def is_wheel_of(filename: str, name: NormalizedName, version: Version) -> bool:
    """Whether ``filename`` is a wheel of ``name`` ``version``."""

    try:
        wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return wheel_name == name and wheel_version == version


def is_sdist_of(filename: str, name: NormalizedName, version: Version) -> bool:
    """Whether ``filename`` is an sdist (``.tar.gz`` or ``.zip``) of ``name`` ``version``."""
    from packaging.utils import InvalidSdistFilename, parse_sdist_filename

    try:
        sdist_name, sdist_version = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return False
    return sdist_name == name and sdist_version == version
