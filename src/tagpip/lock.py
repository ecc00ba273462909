"""The lock stage: pinned wheels -> a lock file (tagpip's tagged format or PEP 751
``pylock.toml``), and a lock file -> the exact files to fetch, without resolving again.

One model serves both formats: a :class:`Lock` is a list of :class:`LockSection`, one per target,
each holding the :class:`LockedPackage` pinned for that target with the files locked for it.

* The tagged format is a requirement file tagpip itself reads (and ``tagpip check`` validates):
  a header comment with the marker line ``# tagpip-lock: 1``, then per target a ``# target:``
  comment and one line per pin, ``name==version[tag block] --hash=sha256:...`` with ``# via``
  comments. The tag block describes the pin's target; the hash names the file. A pin built from
  its sdist carries the sdist's hash and, on the next line, ``# sdist: FILENAME URL``.
* ``pylock.toml`` follows PEP 751 (lock-version 1.0): one ``[[packages]]`` entry per name and
  version with every wheel locked for it; with several targets, ``environments`` lists one marker
  per target and each package's ``marker`` says for which targets it is installed. A pin built
  from its sdist is recorded in the package's ``sdist`` table, with no wheels.

Reading goes the other way (:func:`read_lock`, :func:`pins_from_lock`): a tagged lock's files are
found on the index by their hash, a pylock's come from the URLs it records; either way the hashes
in the lock are checked when the files are downloaded (:func:`lock_hashes`). A locked sdist comes
back as a non-wheel :class:`~tagpip.index.DistFile`: the caller builds it (``tagpip.build``),
after the builder has checked its bytes against the locked hash.

Files are read and written only by :func:`read_lock` and :func:`write_lock`; nothing here prints.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from tagpip._atomic import write_text_atomically
from tagpip.errors import Span, TagpipError
from tagpip.index import DistFile, Index
from tagpip.pages import files_of_version
from tagpip.resolve import (
    NoWheelForTarget,
    Resolution,
    ResolutionImpossible,
    resolve,
)
from tagpip.syntax import TaggedRequirement, parse_line, parse_requirements_text
from tagpip.target import Target, TargetError
from tagpip.tokens import TokenError, format_tag_block, parse_tag_block

__all__ = [
    "LOCK_MARKER",
    "Format",
    "Lock",
    "LockError",
    "LockSection",
    "LockedFile",
    "LockedPackage",
    "format_lock",
    "format_pylock",
    "format_tagged",
    "is_pylock_name",
    "kept_note",
    "kept_pins",
    "lock_from_resolutions",
    "lock_hashes",
    "locked_sdist_target",
    "parse_pylock",
    "parse_tagged",
    "pins_from_lock",
    "read_lock",
    "resolve_keeping",
    "target_marker",
    "target_of",
    "usable_kept",
    "write_lock",
]

Format = Literal["tagged", "pylock"]

# The line that makes a requirement file a tagged lock; the number is the format's version.
LOCK_MARKER = "# tagpip-lock: 1"
_MARKER_RE = re.compile(r"^# tagpip-lock: (\S+)\s*$")
_TARGET_RE = re.compile(r"^# target: (.*?)\s*$")
# The comments under a lock line pinned from an sdist, or from a wheel the user's line named
# (a direct reference): its file name and URL.
_SDIST_RE = re.compile(r"^\s+# sdist: (\S+) (\S+)\s*$")
_WHEEL_RE = re.compile(r"^\s+# wheel: (\S+) (\S+)\s*$")
_PYLOCK_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$")
# Marker variables that tell targets apart, in the order a pylock marker names them.
_TARGET_MARKERS = ("implementation_name", "python_version", "sys_platform", "platform_machine")
_STRONG = ("sha256", "sha384", "sha512")
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128, "md5": 32, "sha1": 40}
_HEX = re.compile(r"[0-9a-f]+")
# PEP 508's project names.
_PROJECT_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_CHUNK = 256 * 1024


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
    where it was read from (0 when made in memory).
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
# Resolving with the pins of an existing lock kept


def resolve_keeping(
    requirements: Sequence[TaggedRequirement],
    target: Target,
    index: Index,
    kept: Mapping[NormalizedName, tuple[Version, str]],
    *,
    constraints: Sequence[TaggedRequirement] = (),
    **options: Any,
) -> Resolution:
    """:func:`tagpip.resolve.resolve`, preferring the versions of ``kept`` (name -> (version,
    ``FILE:LINE`` it was locked at)) as pip-tools does with an existing output file.

    resolve() has no preference hook, so each kept pin becomes a ``name==version`` constraint;
    when the kept pins conflict with the requirements, the pins named in the conflict are dropped
    and the resolution retried, and if the conflict names none of them, all are dropped. Other
    ``options`` go to resolve() unchanged.
    """
    dropped: set[NormalizedName] = set()
    while True:
        lines = [
            _kept_line(name, version, where)
            for name, (version, where) in sorted(kept.items())
            if name not in dropped
        ]
        try:
            return resolve(
                requirements, target, index, constraints=[*constraints, *lines], **options
            )
        except ResolutionImpossible as error:
            if not lines:
                raise
            named = {canonicalize_name(c.project) for c in error.conflicts} & set(kept)
            named -= dropped
            dropped |= named if named else set(kept)
        except NoWheelForTarget as error:
            name = canonicalize_name(error.project)
            if not lines or name not in kept or name in dropped:
                raise
            dropped.add(name)


def _kept_line(name: str, version: Version, where: str) -> TaggedRequirement:
    source, _, number = where.rpartition(":")
    line = int(number) if number.isdigit() and source else 1
    return parse_line(f"{name}=={version}", source=source or where, line=line)


def kept_pins(
    lock: Lock, target: Target, *, several: bool
) -> dict[NormalizedName, tuple[Version, str]]:
    """The pins of ``lock`` that apply to ``target``, to keep when locking again.

    A tagged section applies when it describes the same target: a lock made for another target
    is locked again from scratch for this one (its pins were chosen for another Python or
    platform, and forcing them onto this target sends the resolver backtracking around them);
    :func:`kept_note` says so. A pylock package applies when it has no marker or its marker
    holds for the target. ``several`` is whether several targets are being locked at once.
    """
    del several  # each target finds its own section, however many are locked
    found: dict[NormalizedName, tuple[Version, str]] = {}
    if lock.format == "pylock":
        for package in lock.packages:
            if package.marker is not None and not _holds(package.marker, target):
                continue
            found.setdefault(package.name, (package.version, f"{lock.path}:{package.line}"))
        return found
    description = target.describe()
    sections = [s for s in lock.sections if s.target == description]
    for section in sections[:1]:
        for package in section.packages:
            found.setdefault(package.name, (package.version, f"{lock.path}:{package.line}"))
    return found


def kept_note(lock: Lock, target: Target) -> str | None:
    """The line to say when ``lock`` has pins but none of them is kept for ``target`` because
    the lock was made for other targets; None when some apply."""
    if lock.format == "pylock" or not lock.packages:
        return None
    description = target.describe()
    if any(section.target == description for section in lock.sections):
        return None
    old = "; ".join(section.target for section in lock.sections)
    return f"{lock.path} was locked for {old}; locking afresh for {description}"


def usable_kept(
    kept: Mapping[NormalizedName, tuple[Version, str]],
    target: Target,
    index: Index,
    *,
    ignore_requires_python: bool = False,
) -> tuple[dict[NormalizedName, tuple[Version, str]], list[str]]:
    """The kept pins the target can use, and one line for each dropped one (which and why).

    A pin is dropped at once when its version has no file the target can use: no wheel whose
    tags fit (and no sdist), or only wheels whose Requires-Python excludes the target. Kept,
    such a pin is a constraint no candidate meets, which the resolver backtracks around for a
    long time before giving up on it. The projects' pages are fetched together first (they are
    what the resolution needs anyway).
    """
    prefetch = getattr(index, "prefetch_projects", None)
    if prefetch is not None and kept:
        prefetch(sorted(kept))
    usable: dict[NormalizedName, tuple[Version, str]] = {}
    notes: list[str] = []
    for name, (version, where) in sorted(kept.items()):
        try:
            files = files_of_version(index.files(name), version)
        except TagpipError:
            usable[name] = (version, where)  # the resolution will say what is wrong
            continue
        why = _unusable(files, target, ignore_requires_python=ignore_requires_python)
        if why is None:
            usable[name] = (version, where)
        else:
            notes.append(f"{where}: {name}=={version} {why}; not kept, locking {name} afresh")
    return usable, notes


def _unusable(
    files: Sequence[DistFile], target: Target, *, ignore_requires_python: bool
) -> str | None:
    """Why none of one version's files can serve the target, or None when one can."""
    if not files:
        return "is no longer on the index"
    excluded: list[str] = []
    for file in files:
        if not file.is_wheel:
            return None  # a source: whether it may be built is the resolution's to decide
        if target.wheel_rank(file.tags) is None:
            continue
        spec = _requires_python(file.requires_python)
        if ignore_requires_python or spec is None or target.allows_requires_python(spec):
            return None
        excluded.append(str(spec))
    if excluded:
        return f"requires Python {excluded[0]}, which {target.describe()} is not"
    return f"has no wheel for {target.describe()}"


def _requires_python(text: str | None) -> SpecifierSet | None:
    try:
        return SpecifierSet(text) if text else None
    except InvalidSpecifier:
        return None  # ignored, as pip ignores an invalid Requires-Python on the index


def _holds(marker: str, target: Target) -> bool:
    try:
        return target.evaluate(Marker(marker))
    except (TargetError, InvalidMarker):
        return False


# --------------------------------------------------------------------------------------------
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
            hashes = {a.lower(): d.lower() for a, d in file.hashes if a.lower() in _STRONG}
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
                            upload_time=_utc(file.upload_time),
                            is_sdist=not file.is_wheel,
                            direct=file.is_wheel
                            and any(line.requirement.url for line in pin.lines),
                        ),
                    ),
                    block=_block_for_tags(
                        pin.target, resolution.target, wheel.tags if wheel else frozenset()
                    ),
                    requires_python=file.requires_python or metadata_python,
                    index=_index_of(file.url, index_urls),
                    via=pin.via,
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
            narrowed = _narrowed(target, text)
            if narrowed is None:
                continue
            if narrowed.tags == own.tags:
                return text
            if fallback is None and narrowed.wheel_rank(file_tags) is not None:
                fallback = text
    return fallback


@functools.lru_cache(maxsize=256)
def _narrowed(target: Target, block: str) -> Target | None:
    # A lock asks the same few blocks of the same target for every pin: narrow each once.
    try:
        return target.for_block(parse_tag_block(block, _span(block)))
    except (TargetError, TokenError):
        return None


def _span(text: str) -> Span:
    return Span("<lock>", 1, 0, len(text), text)


def _sha256(file: DistFile, index: Index) -> str:
    for algo, digest in file.hashes:
        if algo.lower() == "sha256":
            return digest.lower()
    hasher = hashlib.sha256()
    with index.open(file) as chunks:
        for chunk in chunks:
            hasher.update(chunk)
    return hasher.hexdigest()


def _utc(when: datetime.datetime | None) -> datetime.datetime | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


def _scrub(text: str) -> str:
    from tagpip._urls import scrub

    return scrub(text)


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def _index_of(url: str, index_urls: Sequence[str]) -> str | None:
    """The configured index a file was served from: the first on the file's own host."""
    host = urlsplit(url).netloc.rsplit("@", 1)[-1].lower()
    for index_url in index_urls:
        bare = _without_credentials(index_url)
        if urlsplit(bare).netloc.lower() == host and host:
            return bare if bare.endswith("/") else bare + "/"
    return None


# --------------------------------------------------------------------------------------------
# Writing


def format_lock(lock: Lock, format: Format, *, command: str) -> str:
    """The lock as text in ``format``; ``command`` is the command line that made it."""
    if format == "pylock":
        return format_pylock(lock, command=command)
    return format_tagged(lock, command=command)


def format_tagged(lock: Lock, *, command: str) -> str:
    """The tagged lock: a header, then per section a ``# target:`` line and one line per pin,
    sorted by name, with ``# via`` comments. No timestamps: the same lock gives the same bytes.
    Credentials in the command (a direct URL's ``user:token@``) are replaced by ``****``."""
    command = _scrub(command)
    out = [
        "# This file is generated by tagpip; do not edit it by hand. To change it, edit the",
        "# inputs and run again:",
        "#",
        f"#    {command}",
        "#",
        LOCK_MARKER,
    ]
    for section in lock.sections:
        out.append("")
        out.append(f"# target: {section.target}")
        for package in sorted(section.packages, key=lambda p: p.name):
            line = f"{package.name}=={package.version}{package.block or ''}"
            digests = sorted({d for f in package.files for a, d in f.hashes if a == "sha256"})
            if not digests:
                raise LockError(f"{package.name}=={package.version} has no sha256 to lock")
            line += "".join(f" --hash=sha256:{d}" for d in digests)
            out.append(line)
            for file in package.files:
                if file.is_sdist and file.filename and file.url:
                    out.append(f"    # sdist: {file.filename} {_url_word(file.url)}")
                elif file.direct and file.filename and file.url:
                    out.append(f"    # wheel: {file.filename} {_url_word(file.url)}")
            out.extend(_via_lines(package.via))
    return "\n".join(out) + "\n"


def _url_word(url: str) -> str:
    """A URL as one word of a comment (a space in a local path is percent-encoded)."""
    return url.replace(" ", "%20")


def _via_lines(via: Sequence[str]) -> list[str]:
    if not via:
        return []
    if len(via) == 1:
        return [f"    # via {via[0]}"]
    return ["    # via", *(f"    #   {v}" for v in via)]


def format_pylock(lock: Lock, *, command: str) -> str:
    """The lock as PEP 751 ``pylock.toml`` text.

    Packages are merged across sections by name and version, with every wheel locked for them
    (sorted by file name). With one section nothing carries a marker; with several,
    ``environments`` lists each target's marker and a package installed for only some targets
    (or in different versions per target) gets the ``or`` of their markers. Two targets whose
    markers are the same must then lock the same versions, or no installer could choose.
    """
    import tomli_w

    command = _scrub(command)  # a lock is shared: no credentials from the command line
    several = len(lock.sections) > 1
    markers = [s.marker for s in lock.sections]
    if several:
        _check_markers_distinguish(lock)
    merged: dict[tuple[str, Version], list[tuple[int, LockedPackage]]] = {}
    for number, section in enumerate(lock.sections):
        for package in section.packages:
            merged.setdefault((package.name, package.version), []).append((number, package))
    versions: dict[str, set[Version]] = {}
    for name, version in merged:
        versions.setdefault(name, set()).add(version)
    packages: list[dict[str, Any]] = []
    for name, version in sorted(merged):
        entries = merged[(name, version)]
        first = entries[0][1]
        entry: dict[str, Any] = {"name": name, "version": str(version)}
        in_sections = sorted({number for number, _ in entries})
        if several and (len(in_sections) < len(lock.sections) or len(versions[name]) > 1):
            chosen = list(dict.fromkeys(m for i, m in enumerate(markers) if i in in_sections))
            assert all(m is not None for m in chosen)
            entry["marker"] = " or ".join(f"({m})" if len(chosen) > 1 else str(m) for m in chosen)
        if first.requires_python:
            entry["requires-python"] = first.requires_python
        if first.index:
            entry["index"] = first.index
        wheels: dict[str, dict[str, Any]] = {}
        for _, package in entries:
            for file in package.files:
                table = _wheel_table(file)
                if file.is_sdist:
                    entry.setdefault("sdist", table)
                else:
                    wheels.setdefault(str(table.get("name", table.get("url"))), table)
        if wheels or "sdist" not in entry:
            entry["wheels"] = [wheels[key] for key in sorted(wheels)]
        packages.append(entry)
    document: dict[str, Any] = {"lock-version": "1.0"}
    environments = [m for m in dict.fromkeys(markers) if m is not None]
    if environments:
        document["environments"] = environments
    if lock.requires_python:
        document["requires-python"] = lock.requires_python
    document["created-by"] = "tagpip"
    document["packages"] = packages
    document["tool"] = {
        "tagpip": {"command": command, "targets": [s.target for s in lock.sections]}
    }
    header = (
        "# This file is generated by tagpip; do not edit it by hand. To change it, edit the\n"
        f"# inputs and run again:\n#\n#    {command}\n#\n"
    )
    return header + tomli_w.dumps(document)


def _check_markers_distinguish(lock: Lock) -> None:
    by_marker: dict[str | None, LockSection] = {}
    for section in lock.sections:
        if section.marker is None:
            raise LockError(
                f"the target {section.target} defines no marker values, so a pylock.toml cannot "
                "tell it from the other targets",
                hint="lock each target into its own file, or use the tagged format",
            )
        other = by_marker.setdefault(section.marker, section)
        if other is not section:
            pins = {(p.name, p.version) for p in section.packages}
            if pins != {(p.name, p.version) for p in other.packages}:
                raise LockError(
                    f"the targets {other.target} and {section.target} have the same markers "
                    f"({section.marker}) but need different versions, so no pylock.toml "
                    "installer could choose between them",
                    hint="lock them into separate files, or use the tagged format",
                )


def _wheel_table(file: LockedFile) -> dict[str, Any]:
    """A ``[[packages.wheels]]`` table, or the ``[packages.sdist]`` one: the same keys."""
    table: dict[str, Any] = {}
    if file.filename:
        table["name"] = file.filename
    if file.url:
        if file.url.startswith("file:"):
            from urllib.request import url2pathname  # imports http.client: only for files

            table["path"] = url2pathname(unquote(urlsplit(file.url).path))
        else:
            table["url"] = file.url
    if file.upload_time is not None:
        table["upload-time"] = file.upload_time
    if file.size is not None:
        table["size"] = file.size
    table["hashes"] = dict(file.hashes)
    return table


def write_lock(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :mod:`tagpip._atomic`), so a failed run never
    leaves half a lock behind, and ``-o /dev/null`` stays a device."""
    try:
        write_text_atomically(path, text)
    except OSError as error:
        raise LockError(f"cannot write {path}: {error.strerror or error}") from None


# --------------------------------------------------------------------------------------------
# Reading


def is_pylock_name(path: str | Path) -> bool:
    """Whether a file name is a PEP 751 lock file name (``pylock.toml``, ``pylock.NAME.toml``)."""
    return _PYLOCK_NAME.match(Path(path).name) is not None


def read_lock(path: str | Path) -> Lock | None:
    """The lock in ``path``, or None when the file is not a lock (then it is an ordinary
    requirement file). A ``pylock.toml``/``pylock.NAME.toml`` is always read as PEP 751; another
    file is a tagged lock when its leading comments hold the ``# tagpip-lock:`` line.

    Raises LockError for a lock that cannot be read or is invalid.
    """
    source = os.fspath(path)
    if is_pylock_name(source):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise LockError(f"cannot read {source}: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise LockError(f"{source} is not valid TOML: not UTF-8 text ({error})") from None
        return parse_pylock(text, source=source)
    try:
        with open(source, encoding="utf-8") as handle:
            head = [handle.readline() for _ in range(40)]
    except (OSError, UnicodeDecodeError):
        return None
    if not any(_MARKER_RE.match(line.rstrip("\r\n")) for line in head):
        return None
    return parse_tagged(Path(source).read_text(encoding="utf-8"), source=source)


def parse_tagged(text: str, *, source: str = "<lock>") -> Lock:
    """A tagged lock's text: every line must pin ``name==version`` with at least one hash."""
    version = None
    starts: list[tuple[int, str]] = []
    sdists: list[tuple[int, str, str]] = []
    wheels: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        found = _MARKER_RE.match(line)
        if found and version is None:
            version = found.group(1)
        target = _TARGET_RE.match(line)
        if target:
            starts.append((number, target.group(1)))
        sdist = _SDIST_RE.match(line)
        if sdist:
            sdists.append((number, sdist.group(1), sdist.group(2)))
        wheel = _WHEEL_RE.match(line)
        if wheel:
            wheels.append((number, wheel.group(1), wheel.group(2)))
    if version != "1":
        raise LockError(
            f"{source} is a tagpip lock of version {version}, this tagpip reads version 1",
            hint="lock again with this tagpip",
        )
    parsed = parse_requirements_text(text, source=source)
    lines = sorted(r.span.line for r in parsed.requirements)
    # Each "# sdist:" comment belongs to the lock line above it.
    sdist_of: dict[int, tuple[str, str]] = {}
    for number, filename, url in sdists:
        above = [n for n in lines if n < number]
        if above:
            sdist_of.setdefault(above[-1], (filename, url))
    # So does each "# wheel:" comment (a direct reference's file).
    wheel_of: dict[int, tuple[str, str]] = {}
    for number, filename, url in wheels:
        above = [n for n in lines if n < number]
        if above:
            wheel_of.setdefault(above[-1], (filename, url))
    sections: dict[int, list[LockedPackage]] = {}
    for requirement in parsed.requirements:
        number = requirement.span.line
        package = _package_of(requirement, source, sdist_of.get(number), wheel_of.get(number))
        index = max((i for i, (start, _) in enumerate(starts) if start < number), default=-1)
        sections.setdefault(index, []).append(package)
    result = []
    for index in sorted(sections):
        description = starts[index][1] if index >= 0 else ""
        result.append(LockSection(description, tuple(sections[index])))
    return Lock(tuple(result), format="tagged", path=source)


def _package_of(
    requirement: TaggedRequirement,
    source: str,
    sdist: tuple[str, str] | None = None,
    wheel: tuple[str, str] | None = None,
) -> LockedPackage:
    where = f"{source}:{requirement.span.line}"
    specs = list(requirement.requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        raise LockError(f"{where}: a lock line must pin one version with ==", span=requirement.span)
    if not requirement.hashes:
        raise LockError(f"{where}: a lock line must carry --hash", span=requirement.span)
    hashes = []
    for text in requirement.hashes:
        algo, _, digest = text.partition(":")
        hashes.append((algo.lower(), digest.lower()))
    block = format_tag_block(requirement.tags) if requirement.tags is not None else None
    version = Version(specs[0].version)
    locked = LockedFile(hashes=tuple(sorted(hashes)))
    if sdist is not None:
        filename, url = sdist
        if not _is_sdist_of(filename, requirement.name, version):
            raise LockError(
                f"{where}: the sdist {filename} is not {requirement.name} {version}",
                span=requirement.span,
            )
        locked = replace(locked, filename=filename, url=url, is_sdist=True)
    elif wheel is not None:
        filename, url = wheel
        if not _is_wheel_of(filename, requirement.name, version):
            raise LockError(
                f"{where}: the wheel {filename} is not {requirement.name} {version}",
                span=requirement.span,
            )
        locked = replace(locked, filename=filename, url=url, direct=True)
    return LockedPackage(
        name=requirement.name,
        version=version,
        files=(locked,),
        block=block,
        line=requirement.span.line,
    )


def _is_wheel_of(filename: str, name: NormalizedName, version: Version) -> bool:
    """Whether ``filename`` is a wheel of ``name`` ``version``."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return wheel_name == name and wheel_version == version


def _is_sdist_of(filename: str, name: NormalizedName, version: Version) -> bool:
    """Whether ``filename`` is an sdist (``.tar.gz`` or ``.zip``) of ``name`` ``version``."""
    from packaging.utils import InvalidSdistFilename, parse_sdist_filename

    try:
        sdist_name, sdist_version = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return False
    return sdist_name == name and sdist_version == version


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    import tomli  # type: ignore[import-not-found, unused-ignore]

    result: dict[str, Any] = tomli.loads(text)
    return result


def parse_pylock(text: str, *, source: str = "pylock.toml") -> Lock:
    """A PEP 751 lock's text, as one section whose packages carry their markers.

    Wheels and sdists are taken (an sdist is built by the caller when no wheel fits the target):
    a package with only a VCS, directory or archive source is an error naming it. Relative paths
    are relative to the lock file.
    """
    try:
        data = _toml_loads(text)
    except ValueError as error:
        raise LockError(f"{source} is not valid TOML: {error}") from None
    version = data.get("lock-version")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        raise LockError(
            f"{source}: lock-version {version!r} is not supported (this tagpip reads 1.x)"
        )
    base = Path(source).resolve().parent
    raw_packages = data.get("packages")
    if not isinstance(raw_packages, list):
        raise LockError(f"{source}: [[packages]] is missing")
    packages = []
    for number, raw in enumerate(raw_packages, start=1):
        packages.append(_pylock_package(raw, number, source, base))
    environments = data.get("environments", [])
    requires_python = data.get("requires-python")
    if not isinstance(environments, list) or not all(isinstance(e, str) for e in environments):
        raise LockError(f"{source}: environments must be a list of markers")
    if requires_python is not None and not isinstance(requires_python, str):
        raise LockError(f"{source}: requires-python must be a string")
    try:
        for environment in environments:
            Marker(environment)
        if requires_python is not None:
            SpecifierSet(requires_python)
    except (InvalidMarker, InvalidSpecifier) as error:
        raise LockError(f"{source}: {error}") from None
    return Lock(
        (LockSection("", tuple(packages)),),
        format="pylock",
        path=source,
        requires_python=requires_python,
        environments=tuple(environments),
    )


def _pylock_package(raw: Any, number: int, source: str, base: Path) -> LockedPackage:
    where = f"{source}: package {number}"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise LockError(f"{where} has no name")
    if not _PROJECT_NAME.fullmatch(raw["name"]):
        raise LockError(f"{where}: {raw['name']!r} is not a valid project name")
    name = canonicalize_name(raw["name"])
    where = f"{source}: package {name}"
    try:
        version = Version(str(raw["version"]))
    except (KeyError, InvalidVersion):
        raise LockError(f"{where} has no valid version") from None
    wheels = raw.get("wheels") or []
    sdist = raw.get("sdist")
    if not wheels and sdist is None:
        kinds = [k for k in ("vcs", "directory", "archive") if k in raw]
        raise LockError(
            f"{where} has no wheels and no sdist (only {', '.join(kinds) or 'no source'})",
            hint="tagpip installs wheels and builds pure-Python sdists from a lock: lock a "
            "version that ships a wheel or an sdist",
        )
    files = []
    for wheel in wheels:
        files.append(_pylock_wheel(wheel, name, version, where, base))
    if sdist is not None:
        files.append(_pylock_file(sdist, name, version, where, base, kind="sdist"))
    marker = raw.get("marker")
    requires_python = raw.get("requires-python")
    try:
        if marker is not None:
            Marker(marker)
        if requires_python is not None:
            SpecifierSet(requires_python)
    except (InvalidMarker, InvalidSpecifier, TypeError) as error:
        raise LockError(f"{where}: {error}") from None
    if raw.get("index") is not None and not isinstance(raw.get("index"), str):
        raise LockError(f"{where}: index must be a URL (a string)")
    return LockedPackage(
        name=name,
        version=version,
        files=tuple(files),
        marker=marker,
        requires_python=requires_python,
        index=raw.get("index"),
        line=number,
    )


def _pylock_wheel(
    wheel: Any, name: NormalizedName, version: Version, where: str, base: Path
) -> LockedFile:
    return _pylock_file(wheel, name, version, where, base, kind="wheel")


def _pylock_file(
    wheel: Any,
    name: NormalizedName,
    version: Version,
    where: str,
    base: Path,
    *,
    kind: Literal["wheel", "sdist"],
) -> LockedFile:
    """A ``[[packages.wheels]]`` or ``[packages.sdist]`` table (the same keys), checked."""
    article = "an" if kind == "sdist" else "a"
    if not isinstance(wheel, dict):
        raise LockError(f"{where}: {article} {kind} entry is not a table")
    url = wheel.get("url")
    path = wheel.get("path")
    if isinstance(path, str):
        url = (base / path).resolve().as_uri()
    if not isinstance(url, str):
        raise LockError(f"{where}: {article} {kind} has neither url nor path")
    filename = wheel.get("name") or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not isinstance(filename, str):
        raise LockError(f"{where}: {article} {kind}'s name must be a string")
    if kind == "sdist":
        if not _is_sdist_of(filename, name, version):
            raise LockError(f"{where}: the sdist {filename} is not {name} {version}")
    else:
        try:
            wheel_name, wheel_version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename as error:
            raise LockError(f"{where}: {error}") from None
        if wheel_name != name or wheel_version != version:
            raise LockError(f"{where}: the wheel {filename} is not {name} {version}")
    hashes = wheel.get("hashes")
    if not isinstance(hashes, dict) or not hashes:
        raise LockError(f"{where}: the {kind} {filename} has no hashes")
    if not all(isinstance(d, str) for d in hashes.values()):
        raise LockError(f"{where}: the hashes of {filename} must be strings (hex digests)")
    pairs = tuple(sorted((str(a).lower(), str(d).lower()) for a, d in hashes.items()))
    for algo, digest in pairs:
        length = _DIGEST_LENGTHS.get(algo)
        if length is not None and (len(digest) != length or not _HEX.fullmatch(digest)):
            raise LockError(
                f"{where}: the {algo} hash of {filename} is not {length} hex digits: {digest!r}"
            )
    if not any(a in _STRONG for a, _ in pairs):
        raise LockError(f"{where}: the {kind} {filename} has no sha256, sha384 or sha512 hash")
    upload = wheel.get("upload-time")
    size = wheel.get("size")
    return LockedFile(
        hashes=pairs,
        filename=filename,
        url=url,
        size=size if isinstance(size, int) else None,
        upload_time=_utc(upload) if isinstance(upload, datetime.datetime) else None,
        is_sdist=kind == "sdist",
    )


# --------------------------------------------------------------------------------------------
# From a lock to the files to fetch


def lock_hashes(lock: Lock) -> dict[NormalizedName, list[str]]:
    """Per project, the ``algo:hex`` hashes the lock allows (for download's ``user_hashes``)."""
    found: dict[NormalizedName, list[str]] = {}
    for package in lock.packages:
        for file in package.files:
            for algo, digest in file.hashes:
                if algo in _STRONG:
                    values = found.setdefault(package.name, [])
                    if f"{algo}:{digest}" not in values:
                        values.append(f"{algo}:{digest}")
    return found


def pins_from_lock(lock: Lock, index: Index, target: Target | None = None) -> list[DistFile]:
    """The files a lock names, ready for :func:`tagpip.download.download` (check them with
    :func:`lock_hashes`), without resolving.

    Without ``target``, every file of every section. With one, only what that target installs:
    for a tagged lock, the first section whose files all run on it (preferring the section that
    describes exactly that target); for a pylock, PEP 751's rules (requires-python and
    ``environments`` must hold, packages whose marker is false are skipped, and of each package's
    wheels the one the target ranks best).
    """
    chosen = _select(lock, target)
    files: list[DistFile] = []
    seen: set[str] = set()
    for package, locked in chosen:
        file = _dist_file(package, locked, index, target)
        if file.url not in seen:
            seen.add(file.url)
            files.append(file)
    return files


def target_of(lock: Lock) -> Target:
    """The target a tagged lock of one section was made for, rebuilt from its lines' tag blocks
    (each names its pin's interpreter and platform; where they name different manylinux levels,
    the highest, as for any requirement file). Nothing is taken from the host.

    Raises LockError when the lock cannot say: a pylock.toml (its markers do not name platform
    tags), several sections, or lines without tag blocks; the message says which target options
    to give instead.
    """
    where = lock.path or "the lock"
    hint = (
        "give the target with --preset, --target-file, --from-python, or --platform and "
        "--python-version"
    )
    if lock.format == "pylock":
        raise LockError(
            f"{where} does not record its target's platform tags (a pylock.toml has markers only)",
            hint=hint,
        )
    if len(lock.sections) != 1:
        shown = "; ".join(s.target or "(no description)" for s in lock.sections)
        raise LockError(f"{where} locks several targets ({shown}): say which one", hint=hint)
    blocks = []
    for package in lock.sections[0].packages:
        if package.block is not None:
            span = Span(where, package.line, 0, len(package.block), package.block)
            try:
                blocks.append(parse_tag_block(package.block, span))
            except TokenError as error:
                raise LockError(f"{where}:{package.line}: {error.message}", span=span) from None

    def no_host() -> Target:
        raise LockError(f"the tag blocks of {where} do not describe a whole target", hint=hint)

    if not blocks:
        no_host()
    target = Target.from_sources(blocks=blocks, host=no_host)
    return replace(target, source=where)


def _select(lock: Lock, target: Target | None) -> list[tuple[LockedPackage, LockedFile]]:
    if target is None:
        return [(p, f) for p in lock.packages for f in p.files]
    if lock.format == "pylock":
        return _select_pylock(lock, target)
    exact = [s for s in lock.sections if s.target == target.describe()]
    fitting = [s for s in lock.sections if _section_fits(s, target)]
    section = (exact + fitting)[:1]
    if not section:
        shown = "; ".join(s.target or "(no description)" for s in lock.sections)
        raise LockError(
            f"{lock.path} has no section for {target.describe()} (it locks: {shown})",
            hint="give the target the lock was made for, or lock for this target",
        )
    return [(p, f) for p in section[0].packages for f in p.files]


def _section_fits(section: LockSection, target: Target) -> bool:
    for package in section.packages:
        if package.block is None:
            continue
        if _narrowed(target, package.block) is None:
            return False
    return True


def _select_pylock(lock: Lock, target: Target) -> list[tuple[LockedPackage, LockedFile]]:
    where = lock.path or "the lock"
    if lock.requires_python and not target.allows_requires_python(
        SpecifierSet(lock.requires_python)
    ):
        raise LockError(
            f"{where} requires Python {lock.requires_python}, the target is {target.describe()}"
        )
    if lock.environments and not any(_holds(m, target) for m in lock.environments):
        raise LockError(
            f"{where} supports none of {target.describe()}'s environment: "
            + "; ".join(lock.environments)
        )
    chosen: list[tuple[LockedPackage, LockedFile]] = []
    names: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if package.marker is not None and not _marker_for(package, target, where):
            continue
        if package.requires_python and not target.allows_requires_python(
            SpecifierSet(package.requires_python)
        ):
            raise LockError(
                f"{where}: {package.name} {package.version} requires Python "
                f"{package.requires_python}, the target is {target.describe()}"
            )
        other = names.setdefault(package.name, package)
        if other is not package:
            raise LockError(
                f"{where}: {package.name} {other.version} and {package.version} both apply to "
                f"{target.describe()}"
            )
        ranked = []
        sdists = [file for file in package.files if file.is_sdist]
        for file in package.files:
            assert file.filename is not None
            if file.is_sdist:
                continue
            rank = target.wheel_rank(parse_wheel_filename(file.filename)[3])
            if rank is not None:
                ranked.append((rank, file.filename, file))
        if ranked:
            chosen.append((package, min(ranked, key=lambda r: (r[0], r[1]))[2]))
        elif sdists:
            chosen.append((package, sdists[0]))  # built for the target by the caller
        else:
            raise LockError(
                f"{where}: no wheel of {package.name} {package.version} runs on {target.describe()}"
            )
    return chosen


def _marker_for(package: LockedPackage, target: Target, where: str) -> bool:
    assert package.marker is not None
    try:
        return target.evaluate(Marker(package.marker))
    except TargetError as error:
        raise LockError(
            f"{where}: the marker of {package.name} ({package.marker}) needs a value the target "
            f"does not define: {error.message}",
            hint=error.hint,
        ) from None


def _dist_file(
    package: LockedPackage, locked: LockedFile, index: Index, target: Target | None
) -> DistFile:
    if locked.is_sdist:
        return _sdist_file(package, locked, index)
    if locked.url is not None:
        assert locked.filename is not None
        _, version, build, tags = parse_wheel_filename(locked.filename)
        return DistFile(
            project=package.name,
            filename=locked.filename,
            url=locked.url,
            version=version,
            build=build,
            tags=tags,
            is_wheel=True,
            size=locked.size,
            upload_time=locked.upload_time,
        )
    return _find_on_index(package, locked, index, target)


def _sdist_file(package: LockedPackage, locked: LockedFile, index: Index) -> DistFile:
    """A locked sdist: a pylock's from its URL; a tagged lock's from the index by its hash (or
    name), as its wheels are, else from the URL recorded under its line. The builder checks
    the bytes against the locked hash before building."""
    assert locked.filename is not None
    assert locked.url is not None
    if package.block is not None:  # a tagged lock: the index's options (mirrors) apply
        wanted = set(locked.hashes)
        try:
            found = files_of_version(index.files(package.name), package.version)
        except TagpipError:
            found = []
        sdists = [f for f in found if not f.is_wheel]
        for file in sdists:
            if wanted & {(a.lower(), d.lower()) for a, d in file.hashes}:
                return file
        for file in sdists:
            if file.filename == locked.filename:
                return file
    return DistFile(
        project=package.name,
        filename=locked.filename,
        url=locked.url,
        version=package.version,
        build=(),
        tags=frozenset(),
        is_wheel=False,
        hashes=locked.hashes,
        requires_python=package.requires_python,
        size=locked.size,
        upload_time=locked.upload_time,
    )


def locked_sdist_target(lock: Lock, file: DistFile) -> Target | None:
    """The target a locked sdist is to be built for when no target was given: the one its
    tagged line's tag block names; None for a pylock (its markers name no platform tags)."""
    for package in lock.packages:
        same = package.name == file.project and package.version == file.version
        if same and package.block is not None and any(f.is_sdist for f in package.files):
            return _block_target(package, None)
    return None


def _find_on_index(
    package: LockedPackage, locked: LockedFile, index: Index, target: Target | None
) -> DistFile:
    """The index's file of a tagged lock line: the one with the locked hash; if the index gives
    no hashes, the wheel of that version the line's target ranks best (the download then checks
    the locked hash)."""
    wanted = set(locked.hashes)
    same_version = [
        f for f in files_of_version(index.files(package.name), package.version) if f.is_wheel
    ]
    for file in same_version:
        if wanted & {(a.lower(), d.lower()) for a, d in file.hashes}:
            return file
    if locked.filename is not None:
        for file in same_version:
            if file.filename == locked.filename:
                return file
    unhashed = [f for f in same_version if not any(a.lower() in _STRONG for a, _ in f.hashes)]
    block_target = _block_target(package, target)
    ranked = sorted(
        (rank, f.filename, f)
        for f in unhashed
        for rank in [block_target.wheel_rank(f.tags) if block_target is not None else 0]
        if rank is not None
    )
    if ranked:
        return ranked[0][2]
    shown = ", ".join(f"{a}:{d}" for a, d in locked.hashes)
    raise LockError(
        f"{package.name}=={package.version}: no file on the index matches the locked hash "
        f"({shown})",
        hint="the index's files changed since the lock was made (or the lock was edited); "
        f"if that is expected, lock again with --upgrade-package {package.name}",
    )


def _block_target(package: LockedPackage, target: Target | None) -> Target | None:
    if package.block is None:
        return target
    if target is not None:
        return _narrowed(target, package.block) or target
    try:
        return Target.from_spec(parse_tag_block(package.block, _span(package.block)))
    except (TargetError, TokenError):
        return None
