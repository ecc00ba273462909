"""Inspecting a wheel before anything is written, phase 1 of :mod:`tagpip.install.installer`: its
name, layout, metadata, RECORD and zip members; and what a cache entry of unpacked wheels remembers
of an inspection, so a wheel with an entry is not opened again."""

from __future__ import annotations

import base64
import configparser
import csv
import email.parser
import hashlib
import lzma
import re
import stat
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from installer.records import InvalidRecordEntry, RecordEntry, parse_record_file
from packaging.metadata import parse_email
from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from tagpip.hashes import is_hex_digest
from tagpip.index import MAX_METADATA, over_cap
from tagpip.install.installed import is_absolute, wheel_tags
from tagpip.install.model import READ_CHUNK, SCHEMES, Project, WheelProblem, some_paths
from tagpip.install.paths import OWN_RECORD, reserved_problem
from tagpip.install.unpacked import Entry, UnpackedCache, entry_key

if TYPE_CHECKING:
    from installer.scripts import LauncherKind


# Schemes that land at the top of the folder, where a .dist-info folder would be found.
_TOP_SCHEMES = frozenset({"purelib", "platlib", "data"})

_ZIP_ENCRYPTED = 0x1

# What reading a damaged zip member raises: a bad CRC or a truncated member (BadZipFile,
# EOFError), data that does not decompress (zlib.error, lzma.LZMAError and OSError from bz2),
# a compression module missing from this Python (RuntimeError), an unknown method
# (NotImplementedError).
# OSError only without an errno (bz2's "Invalid data stream"): one with an errno is the file
# system's (a full disk while staging) and is not the wheel's fault.
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    OSError,
)


def unreadable(error: BaseException) -> bool:
    """Whether ``error`` (one of ``ZIP_READ_ERRORS``) says the archive's data is bad."""
    return (
        not isinstance(error, OSError)
        or isinstance(error, zipfile.BadZipFile)
        or (error.errno is None)
    )


# The compression methods Python's zipfile reads (Zstandard from Python 3.14).
_ZIP_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
    | {getattr(zipfile, "ZIP_ZSTANDARD", zipfile.ZIP_STORED)}
)


@dataclass(frozen=True)
class InspectedWheel:
    """A wheel that passed inspection. ``key`` is its cache entry's key when it can be cached
    (a cache and its sha256, ``digest``, were given); ``entry`` is that entry when it was found
    complete and unchanged, and the inspection came from it."""

    path: Path
    project: Project
    tags: frozenset[Tag]
    build: str | None
    members: int = 0
    digest: str | None = None
    key: str | None = None
    entry: Entry | None = None
    notes: tuple[str, ...] = ()


def member_problem(member: str) -> str | None:
    """Why a zip member's path would land outside the folder, if it would."""
    if "\0" in member:
        return "has a NUL character in its name"
    if "\\" in member:
        return "has a backslash in its name, a path separator on Windows"
    if is_absolute(member):
        return "is an absolute path: it would land outside the target folder"
    if ".." in member.split("/"):
        return "climbs out with '..': it would land outside the target folder"
    return None


def inspect_wheel(path: Path) -> tuple[InspectedWheel | None, list[WheelProblem]]:
    """Everything wrong with one wheel (nothing is written)."""
    filename = path.name
    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as error:
        return None, [WheelProblem(filename, None, f"is not a valid wheel file name: {error}")]
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        return None, [WheelProblem(filename, None, f"cannot be read as a zip archive: {error}")]
    with archive:
        try:
            return _inspect_archive(archive, path, name, version, _build_tag(filename))
        except ZIP_READ_ERRORS as error:
            if not unreadable(error):
                raise
            return None, [WheelProblem(filename, None, f"cannot be read: {one_line(error)}")]


# A script's entry point as installer reads it (installer.utils._ENTRYPOINT_REGEX): a module,
# ``:``, the attribute to call, and optional extras. installer asserts this shape while staging,
# so every script entry is held to it here first, where a mismatch is a problem with words.
_SCRIPT_ENTRY = re.compile(r"[\w.]+\s*:\s*[\w.]+\s*(?:\[.*\])?\s*$")
_SCRIPT_SECTIONS = ("console_scripts", "gui_scripts")


def script_entry_points(text: str) -> tuple[list[str], list[str]]:
    """The script names an ``entry_points.txt`` declares, and what is wrong with its script
    entries (one reason each). Read exactly as installer reads it when it makes the scripts
    (``configparser`` with ``=`` as the only delimiter, names kept as written, interpolation and
    ``[DEFAULT]`` included), so a file that passes here stages without surprise. Raises
    ``configparser.Error`` (and ``ValueError``) for a file that is not an INI file at all.

    A script whose value names no callable (``tool = tool``, ``tool = tool:``) is refused, as
    pip refuses it ("A callable suffix is required"); other sections (plug-in entry points)
    are not tagpip's to judge."""
    parser = configparser.ConfigParser(delimiters="=")
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string(text)
    scripts: list[str] = []
    wrong: list[str] = []
    for section in parser.sections():
        if section not in _SCRIPT_SECTIONS:
            continue
        for name, value in parser.items(section):
            if _SCRIPT_ENTRY.match(value) is None:
                wrong.append(
                    f"has [{section}] {name} = {value!r}, which names no callable "
                    "('module:function' is needed to make the script)"
                )
            else:
                scripts.append(name)
    return scripts, wrong


def one_line(error: BaseException) -> str:
    """An error's message on one line (configparser's and zlib's span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def _build_tag(filename: str) -> str | None:
    """A valid wheel file name's build tag as written, which is how WHEEL's ``Build`` line
    gives it too (packaging parses ``7`` into ``(7, "")``, whose text part is empty)."""
    parts = filename[: -len(".whl")].split("-")
    return parts[2] if len(parts) == 6 else None


def _inspect_archive(
    archive: zipfile.ZipFile, path: Path, name: NormalizedName, version: Version, build: str | None
) -> tuple[InspectedWheel | None, list[WheelProblem]]:
    filename = path.name
    problems: list[WheelProblem] = []

    def problem(member: str | None, reason: str) -> None:
        problems.append(WheelProblem(filename, member, reason))

    seen: set[str] = set()
    members: list[str] = []
    for info in archive.infolist():
        member = info.filename
        why = member_problem(member)
        if why is not None:
            problem(member, why)
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problem(member, "is a symbolic link, which could point outside the target folder")
            continue
        if info.flag_bits & _ZIP_ENCRYPTED:
            problem(member, "is encrypted; a wheel's members cannot need a password")
        elif info.compress_type not in _ZIP_METHODS:
            problem(
                member,
                f"uses zip compression method {info.compress_type}, "
                "which Python's zipfile cannot read",
            )
        reserved = reserved_problem(member)
        if reserved is not None:
            problem(member, reserved)
        if member in seen:
            problem(member, "appears twice in the archive")
        seen.add(member)
        if not member.endswith("/"):
            members.append(member)
    if problems:
        return None, problems  # the layout checks below assume sane paths

    tops = sorted({m.split("/", 1)[0] for m in members if "/" in m})
    dist_infos = [t for t in tops if t.endswith(".dist-info")]
    if len(dist_infos) != 1:
        found = ", ".join(dist_infos) or "none"
        problem(None, f"must hold exactly one .dist-info folder (found {found})")
        return None, problems
    dist_info = dist_infos[0]
    # The text members read whole into memory below: a compressed bomb in one is refused by
    # its declared size (zipfile never inflates a member past it), naming the cap.
    for text in ("METADATA", "WHEEL", "entry_points.txt"):
        member = f"{dist_info}/{text}"
        if member in seen and archive.getinfo(member).file_size > MAX_METADATA:
            size = archive.getinfo(member).file_size
            problem(
                member,
                f"is {size} bytes uncompressed, larger than {over_cap('metadata', MAX_METADATA)}",
            )
    if problems:
        return None, problems
    info_name, _, info_version = dist_info[: -len(".dist-info")].rpartition("-")
    if canonicalize_name(info_name) != name or not _same_version(info_version, version):
        problem(dist_info, f"does not match the file name ({name} {version})")

    # installer takes `{distribution}-{version}.data` from the file name as written.
    raw_name, raw_version = filename.split("-")[:2]
    data_dir = f"{raw_name}-{raw_version}.data"
    for top in tops:
        if top.endswith(".data") and top != data_dir:
            problem(top + "/", f"is a .data folder that is not this wheel's ({data_dir}/)")
    for member in members:
        parts = member.split("/")
        if parts[0] == data_dir:
            if len(parts) < 3 or parts[1] not in SCHEMES:
                problem(member, f"is not inside one of the .data schemes ({', '.join(SCHEMES)})")
                continue
            lands = "/".join(parts[2:])
            if parts[1] in _TOP_SCHEMES and parts[2].lower().endswith(".dist-info"):
                whose = "its own" if parts[2] == dist_info else "another project's"
                problem(member, f"would write {whose} .dist-info folder {parts[2]}/ from .data")
            elif parts[1] in _TOP_SCHEMES and reserved_problem(lands) is not None:
                problem(member, f"would land at {lands}, which {reserved_problem(lands)}")
        elif parts[0] == dist_info and len(parts) == 2 and parts[1] == OWN_RECORD:
            problem(member, f"is {OWN_RECORD}, the name of tagpip's own record of an install")
        elif len(parts) == 1 and member.endswith(".data"):
            problem(member, "is a file named like a .data folder")

    metadata_name = f"{dist_info}/METADATA"
    display_name = str(name)
    if metadata_name not in seen:
        problem(metadata_name, "is missing")
    else:
        raw, _ = parse_email(archive.read(metadata_name))
        meta_name, meta_version = raw.get("name"), raw.get("version")
        if meta_name is None or canonicalize_name(meta_name) != name:
            problem(metadata_name, f"says Name: {meta_name}, the file name says {name}")
        else:
            display_name = meta_name
        if meta_version is None or not _same_version(meta_version, version):
            problem(metadata_name, f"says Version: {meta_version}, the file name says {version}")

    tags: frozenset[Tag] = frozenset()
    wheel_name = f"{dist_info}/WHEEL"
    if wheel_name not in seen:
        problem(wheel_name, "is missing")
    else:
        text = archive.read(wheel_name).decode("utf-8", errors="replace")
        wheel_version = email.parser.Parser().parsestr(text).get("Wheel-Version", "")
        if not wheel_version.strip().startswith("1."):
            problem(wheel_name, f"has Wheel-Version {wheel_version.strip() or 'missing'}, not 1.x")
        tags, _ = wheel_tags(text)

    entry_points = f"{dist_info}/entry_points.txt"
    if entry_points in seen:
        try:
            scripts, wrong = script_entry_points(archive.read(entry_points).decode("utf-8"))
        except (ValueError, KeyError, configparser.Error) as error:
            problem(entry_points, f"cannot be read: {one_line(error)}")
            scripts, wrong = [], []
        for reason in wrong:
            problem(entry_points, reason)
        for script in scripts:
            if not script or script in (".", "..") or member_problem(script) or "/" in script:
                problem(entry_points, f"names a script {script!r} that is not a plain file name")

    if problems:
        return None, problems
    # RECORD's names and entries are checked here; the contents' hashes and sizes are checked
    # while staging reads them anyway (one pass over the data, see _CheckedWheelFile). When the
    # cheap check finds anything, the contents are checked too, so every issue is reported.
    issues, lenient = _record_check(archive, dist_info)
    if issues:
        issues.extend(_content_issues(archive, dist_info))
        problems.extend(WheelProblem(filename, None, issue) for issue in issues)
        return None, problems
    project = Project(name, display_name, version)
    notes = (f"{filename}: {lenient}",) if lenient else ()
    return InspectedWheel(path, project, tags, build, len(members), notes=notes), []


_SIGNATURES = ("RECORD.jws", "RECORD.p7s")


def _record_rows(archive: zipfile.ZipFile, dist_info: str) -> dict[str, tuple[str, str, str]]:
    """RECORD's rows by path (ValueError, worded for the user, when it cannot be read)."""
    record = f"{dist_info}/RECORD"
    try:
        text = archive.read(record).decode("utf-8")
    except KeyError:
        raise ValueError(f"{record} is missing") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{record} is not UTF-8: {error}") from None
    try:
        return {row[0]: row for row in parse_record_file(text.splitlines())}
    except (ValueError, csv.Error) as error:
        raise ValueError(f"{record} cannot be read: {one_line(error)}") from None


def _record_check(archive: zipfile.ZipFile, dist_info: str) -> tuple[list[str], str | None]:
    """RECORD against the archive's members, without reading their data: the reasons to refuse
    the wheel, and the one line to warn with when RECORD is lenient.

    Refused, as unsafe: no RECORD, a row that cannot be read, and a row naming a file the wheel
    does not hold (pip copies such a row into the installed RECORD, so uninstalling would remove
    a file the wheel never wrote). Warned about and installed, as pip 26 and uv install them:
    files RECORD does not list, or lists without a hash (nothing to check them against). A
    hash that does not match is refused later, when the contents are read.
    """
    try:
        rows = _record_rows(archive, dist_info)
    except ValueError as error:
        return [f"RECORD: {error}"], None
    issues: list[str] = []
    unlisted: list[str] = []
    unhashed: list[str] = []
    for info in archive.infolist():
        member = info.filename
        if member.endswith("/"):
            continue
        row = rows.pop(member, None)
        if member.startswith(dist_info + "/") and member.rpartition("/")[2] in _SIGNATURES:
            continue
        if row is None:
            if member != f"{dist_info}/RECORD":
                unlisted.append(member)
            continue
        try:
            entry = RecordEntry.from_elements(*row)
        except InvalidRecordEntry as error:
            issues.extend(f"RECORD: entry for {member} is invalid: {i}" for i in error.issues)
            continue
        if member != f"{dist_info}/RECORD" and entry.hash_ is None:
            unhashed.append(member)
    for claimed in rows:
        if not claimed.endswith("/"):
            issues.append(
                f"RECORD: lists {claimed}, which the wheel does not hold; a RECORD may only "
                "claim the wheel's own files"
            )
    parts = []
    if unlisted:
        parts.append(f"does not list {some_paths(unlisted)}")
    if unhashed:
        parts.append(f"gives no hash for {some_paths(unhashed)}")
    lenient = f"RECORD {' and '.join(parts)}; installed without checking them" if parts else None
    return issues, lenient


def _content_issues(archive: zipfile.ZipFile, dist_info: str) -> list[str]:
    """The members whose data does not match the hash and size RECORD gives them."""
    try:
        rows = _record_rows(archive, dist_info)
    except ValueError:
        return []  # reported by _record_check
    issues = []
    for member, row in rows.items():
        try:
            entry = RecordEntry.from_elements(*row)
            if entry.hash_ is None or member not in archive.NameToInfo:
                continue
        except InvalidRecordEntry:
            continue
        assert entry.hash_ is not None
        try:
            hasher, size = hashlib.new(entry.hash_.name), 0
        except ValueError:
            issues.append(f"RECORD: {member} has a hash of unknown kind {entry.hash_.name!r}")
            continue
        with archive.open(member) as stream:
            while chunk := stream.read(READ_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
        digest = base64.urlsafe_b64encode(hasher.digest()).decode("ascii").rstrip("=")
        if digest != entry.hash_.value or (entry.size is not None and size != entry.size):
            issues.append(f"RECORD: hash / size of {member} didn't match RECORD")
    return issues


def contents_problems(path: Path) -> list[WheelProblem]:
    """Every RECORD issue of a wheel, contents included (the slow path, only on failure)."""
    try:
        with zipfile.ZipFile(path) as archive:
            dist_info = next(
                (
                    n.rpartition("/")[0]
                    for n in archive.namelist()
                    if n.endswith(".dist-info/RECORD") and n.count("/") == 1
                ),
                None,
            )
            issues = _content_issues(archive, dist_info) if dist_info else []
    except ZIP_READ_ERRORS as error:
        if not unreadable(error):
            raise
        issues = [f"cannot be read: {one_line(error)}"]
    return [WheelProblem(path.name, None, issue) for issue in issues]


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def recall(
    path: Path,
    cache: UnpackedCache | None,
    digests: Mapping[Path, str] | None,
    kind: LauncherKind,
    command: str,
) -> tuple[InspectedWheel | None, tuple[str, str] | None]:
    """What inspecting one wheel found when the cache's complete and unchanged entry for its
    sha256 was made (None when there is no such entry), and the wheel's ``(digest, key)`` in
    the cache (None without a cache or a sha256). The wheel's file is not opened: it need not
    exist yet.

    The entry's key pins the wheel's bytes (its sha256, which ``digests`` gives from the bytes
    the downloader verified, or will verify), and only a wheel that passed every check, RECORD
    and contents included, is ever kept: inspecting it again would find the same, at the cost
    of reading its zip directory, METADATA and RECORD. An entry that is missing, changed or
    whose stored inspection does not read back is not used at all: the wheel is inspected as
    if there were none (:func:`inspect_or_recall`).
    """
    digest = (digests.get(path) or "").lower() if digests else ""
    if cache is None or not is_hex_digest(digest):
        return None, None
    key = entry_key(digest, path.name, kind, command)
    entry = cache.lookup(key)
    recalled = _recalled(path, entry) if entry is not None else None
    if recalled is None:
        return None, (digest, key)
    return replace(recalled, digest=digest, key=key, entry=entry), (digest, key)


def inspect_or_recall(
    path: Path, keyed: tuple[str, str] | None
) -> tuple[InspectedWheel | None, list[WheelProblem]]:
    """:func:`inspect_wheel` of a wheel :func:`recall` found no entry for, with its place in the
    cache (``keyed``) for keeping it once staged."""
    wheel, problems = inspect_wheel(path)
    if wheel is None or keyed is None:
        return wheel, problems
    return replace(wheel, digest=keyed[0], key=keyed[1]), problems


def stored_inspection(wheel: InspectedWheel) -> dict[str, object]:
    """What a cache entry stores of a wheel's inspection: all :func:`_recalled` needs beyond
    the file name (which is part of the entry's key)."""
    return {
        "display_name": wheel.project.display_name,
        "tags": sorted(str(tag) for tag in wheel.tags),
        "members": wheel.members,
        "notes": list(wheel.notes),
    }


def _recalled(path: Path, entry: Entry) -> InspectedWheel | None:
    """The wheel as :func:`inspect_wheel` found it, from the inspection stored in its cache entry
    and its file name; None when that does not read back as a valid inspection."""
    stored = entry.inspection
    display_name, texts = stored.get("display_name"), stored.get("tags")
    members, notes = stored.get("members"), stored.get("notes")
    if not isinstance(display_name, str) or type(members) is not int or not isinstance(texts, list):
        return None
    if not isinstance(notes, list) or not all(isinstance(t, str) for t in (*texts, *notes)):
        return None
    try:
        name, version, _, _ = parse_wheel_filename(path.name)
        tags = frozenset(tag for text in texts for tag in parse_tag(text))
    except (InvalidWheelFilename, ValueError):
        return None
    if canonicalize_name(display_name) != name:
        return None
    project = Project(name, display_name, version)
    return InspectedWheel(path, project, tags, _build_tag(path.name), members, notes=tuple(notes))
