"""Installing wheels into a ``--target`` folder for a target that is not this machine.

The work happens in three phases, and only the last touches the target folder ``DIR``:

1. **Inspect.** Every wheel is checked before anything is written: its file name, one
   ``.dist-info`` folder whose name and version match the file name, METADATA's Name and Version
   the same, no member that would land outside ``DIR`` (``..``, absolute paths, backslashes,
   symbolic links, a ``.data`` folder of another wheel or an unknown scheme, a console script
   name with a slash), and a RECORD that matches the contents (installer's ``validate_record``).
   All problems of all wheels are reported together. A wheel with a complete, unchanged entry in
   the cache of unpacked wheels passed all of this, contents included, when the entry was made,
   and the entry's key pins the wheel's bytes (the sha256 the caller verified): what that
   inspection found is read from the entry instead of opening the wheel again. Then the
   projects already in ``DIR`` (their ``*.dist-info``) are compared with the wheels: the same
   version with the same tags is left alone; anything else needs ``upgrade``.
2. **Stage.** The wheels are unpacked with the ``installer`` library into a fresh staging folder
   next to ``DIR`` (same file system, so moves are renames): no bytecode is compiled (it would be
   the host's), console scripts are made for the target's operating system, RECORD is written.
   With a cache of unpacked wheels (:mod:`tagpip._unpacked`), a wheel staged before for the same
   kind of target is hard-linked (or copied) from there instead, and a newly staged one is kept
   there; the staging folder and everything after it are the same either way.
3. **Commit.** Files of the projects being replaced (those their RECORD lists, plus the bytecode
   the target's interpreter may have written) move into a backup inside the staging folder, then
   the new files move into ``DIR``. Every move is journalled; any failure or interrupt (SIGINT and
   SIGTERM are held back during this phase and acted on between moves) undoes the journal in
   reverse, so ``DIR`` ends exactly as it was. Only after success are the staging folder and the
   folders the old versions left empty removed.

Layout in ``DIR`` (as pip's ``--target``): purelib, platlib and data at the top, scripts in
``bin/``, headers in ``include/python/NAME/``; RECORD paths are relative to ``DIR``.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import csv
import email.parser
import hashlib
import io
import json
import lzma
import os
import posixpath
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import TYPE_CHECKING, BinaryIO, cast

from installer import install as installer_install
from installer.destinations import WheelDestination
from installer.records import Hash, InvalidRecordEntry, RecordEntry, parse_record_file
from installer.scripts import Script
from installer.sources import WheelFile
from installer.utils import (
    Scheme,
    copyfileobj_with_hashing,
    fix_shebang,
    make_file_executable,
    parse_entrypoints,
)
from packaging.metadata import parse_email
from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from tagpip._unpacked import (
    Entry,
    LinkMode,
    UnpackedCache,
    entry_key,
    file_sha256,
    folders_of,
)
from tagpip._wheelpaths import (
    OWN_RECORD,
    FileSystem,
    case_collisions,
    reserved_problem,
    windows_problem,
)
from tagpip.errors import TagpipError
from tagpip.target import Target

if TYPE_CHECKING:
    from installer.scripts import LauncherKind, ScriptSection

__all__ = [
    "FileConflict",
    "InstallError",
    "InstallFailed",
    "InstallResult",
    "Installed",
    "InvalidWheel",
    "LinkMode",
    "NeedsUpgrade",
    "Project",
    "WheelProblem",
    "find_installed",
    "install",
    "script_interpreter",
    "script_kind",
]

SCHEMES = ("purelib", "platlib", "headers", "scripts", "data")
STAGE_PREFIX = ".tagpip-stage-"
JOURNAL = ".tagpip-journal"
LOCK_PREFIX = ".tagpip-lock-"
LINK_MODES: tuple[LinkMode, ...] = ("clone", "copy", "hardlink")
_READ_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Schemes that land at the top of the folder, where a .dist-info folder would be found.
_TOP_SCHEMES = frozenset({"purelib", "platlib", "data"})
_ZIP_ENCRYPTED = 0x1
# What reading a damaged zip member raises: a bad CRC or a truncated member (BadZipFile,
# EOFError), data that does not decompress (zlib.error, lzma.LZMAError and OSError from bz2),
# a compression module missing from this Python (RuntimeError), an unknown method
# (NotImplementedError).
# OSError only without an errno (bz2's "Invalid data stream"): one with an errno is the file
# system's (a full disk while staging) and is not the wheel's fault.
_ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    OSError,
)


def _unreadable(error: BaseException) -> bool:
    """Whether ``error`` (one of ``_ZIP_READ_ERRORS``) says the archive's data is bad."""
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

# Moves go through this name so tests can inject a failure into the commit phase.
_move = os.replace


# --------------------------------------------------------------------------------------------
# Results and errors


@dataclass(frozen=True)
class Project:
    """One distribution: its normalised ``name``, the Name its METADATA spells, its version."""

    name: NormalizedName
    display_name: str
    version: Version

    def __str__(self) -> str:
        return f"{self.display_name}-{self.version}"


@dataclass(frozen=True)
class Installed:
    """A project found in a target folder through its ``*.dist-info``.

    ``tags`` are the WHEEL file's ``Tag`` lines (None when it has no WHEEL file); ``files`` are
    the paths the project owns, relative to the folder, normalised, those outside the folder
    left out: those tagpip's own record (``tagpip-files.json``) lists when tagpip installed it
    (``own`` is then true), else RECORD's (None when there is no RECORD). ``hashes`` are
    RECORD's hashes by path (``sha256=...``), for the checks made on a RECORD tagpip did not
    write; ``unowned`` are RECORD's paths that tagpip's own record does not list.
    """

    project: Project
    dist_info: str
    tags: frozenset[Tag] | None
    build: str | None
    files: tuple[str, ...] | None
    own: bool = False
    hashes: tuple[tuple[str, str], ...] = ()
    unowned: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstallResult:
    """What :func:`install` did: ``installed`` were written (in the order given), ``unchanged``
    were already there with the same version and tags, ``removed`` are the older installations
    ``installed`` replaced."""

    installed: tuple[Project, ...]
    unchanged: tuple[Project, ...]
    removed: tuple[Project, ...]
    warnings: tuple[str, ...] = ()


class InstallError(TagpipError):
    """Installing into the target folder failed; the folder was left as it was."""


@dataclass(frozen=True)
class WheelProblem:
    """One reason to refuse a wheel: the wheel's file name, the member at fault (None when the
    problem is the wheel as a whole) and what is wrong."""

    wheel: str
    path: str | None
    reason: str

    def describe(self) -> str:
        where = f"{self.path!r} " if self.path is not None else ""
        return f"{self.wheel}: {where}{self.reason}"


class InvalidWheel(InstallError):
    """One or more wheels are unsafe or inconsistent; every problem found is in ``problems``."""

    def __init__(self, problems: Sequence[WheelProblem]):
        wheels = sorted({p.wheel for p in problems})
        count = len(wheels)
        lines = "\n".join(f"  {p.describe()}" for p in problems)
        super().__init__(
            f"refusing to install {count} wheel{'s' if count != 1 else ''}:\n{lines}",
            hint="nothing was written; the wheel is broken or crafted to write where it must not",
        )
        self.problems = tuple(problems)


class NeedsUpgrade(InstallError):
    """Projects are already in the folder at another version (or for other tags)."""

    def __init__(self, target_dir: Path, pairs: Sequence[tuple[Installed, Project, str]]):
        lines = "\n".join(f"  {old.project} is installed; {new} {why}" for old, new, why in pairs)
        super().__init__(
            f"{target_dir} already holds other versions of what is being installed:\n{lines}",
            hint="pass --upgrade to replace them",
        )
        self.target_dir = target_dir
        self.pairs = tuple((old, new) for old, new, _ in pairs)


class FileConflict(InstallError):
    """Files the wheels would write are already taken: by a file no replaced project owns, by
    another wheel of the same run, or by a symbolic link or file where a folder must be.
    ``conflicts`` holds ``(path relative to the folder, wheel, what is in the way)``."""

    def __init__(self, target_dir: Path, conflicts: Sequence[tuple[str, str, str]]):
        lines = "\n".join(f"  {path} (from {wheel}): {why}" for path, wheel, why in conflicts)
        super().__init__(
            f"refusing to overwrite files in {target_dir}:\n{lines}",
            hint="move those files away, or install into an empty folder; "
            "tagpip only replaces files that a project being upgraded owns",
        )
        self.target_dir = target_dir
        self.conflicts = tuple(conflicts)


class InstallFailed(InstallError):
    """The file system refused an operation; says whether the folder is as it was."""

    def __init__(self, message: str, *, restored: bool, backup: Path | None = None):
        if restored:
            hint = "the target folder was left as it was"
        else:
            hint = f"undoing failed too; the replaced files are kept in {backup}"
        super().__init__(message, hint=hint)
        self.restored = restored
        self.backup = backup


# --------------------------------------------------------------------------------------------
# Scripts for the target's operating system


_WINDOWS_KINDS: Mapping[str, LauncherKind] = {
    "AMD64": "win-amd64",
    "ARM64": "win-arm64",
    "x86": "win-ia32",
}


def script_kind(target: Target) -> LauncherKind:
    """installer's launcher kind for the target: a Windows ``.exe`` launcher for the target's
    machine, else a POSIX script (Linux, macOS, and targets that name no OS)."""
    markers = target.marker_environment
    if markers.get("sys_platform") != "win32":
        return "posix"
    return _WINDOWS_KINDS.get(markers.get("platform_machine", ""), "win-amd64")


def file_system(target: Target) -> FileSystem:
    """The kind of file system the target's folder will live on, for the names it can hold:
    Windows and macOS fold case (macOS by default), Windows reserves names; a target that
    names no operating system gets no such checks."""
    platform = target.marker_environment.get("sys_platform")
    return "windows" if platform == "win32" else "macos" if platform == "darwin" else "posix"


def script_interpreter(target: Target) -> str:
    """The command scripts start: ``/usr/bin/env python3`` (``pypy3`` for PyPy) on POSIX, so the
    folder works wherever the target's interpreter is on PATH; ``python.exe`` for the Windows
    launcher (``pythonw.exe`` for GUI scripts, which installer derives)."""
    if script_kind(target) != "posix":
        return "pypy.exe" if target.implementation == "pp" else "python.exe"
    if target.implementation == "pp":
        return "/usr/bin/env pypy3"
    return f"/usr/bin/env python{target.python_version[0]}"


# --------------------------------------------------------------------------------------------
# What is already in the folder


def find_installed(target_dir: Path) -> dict[NormalizedName, list[Installed]]:
    """The projects in ``target_dir`` by normalised name (several when the folder is in a bad
    state), read from each top-level ``*.dist-info``; sorted by folder name."""
    found: dict[NormalizedName, list[Installed]] = {}
    if not target_dir.is_dir():
        return found
    for entry in sorted(target_dir.iterdir()):
        if not entry.name.endswith(".dist-info") or entry.is_symlink() or not entry.is_dir():
            continue
        installed = _read_installed(target_dir, entry)
        if installed is not None:
            found.setdefault(installed.project.name, []).append(installed)
    return found


def _read_installed(target_dir: Path, folder: Path) -> Installed | None:
    stem = folder.name[: -len(".dist-info")]
    name_part, _, version_part = stem.rpartition("-")
    name, version = name_part, version_part
    metadata = folder / "METADATA"
    if metadata.is_file():
        raw, _ = parse_email(metadata.read_bytes())
        name = raw.get("name", name)
        version = raw.get("version", version)
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    if not name:
        return None
    tags: frozenset[Tag] | None = None
    build: str | None = None
    wheel = folder / "WHEEL"
    if wheel.is_file():
        tags, build = _wheel_tags(wheel.read_text(encoding="utf-8", errors="replace"))
    files: tuple[str, ...] | None = None
    hashes: dict[str, str] = {}
    record = folder / "RECORD"
    if record.is_file():
        for row in csv.reader(record.read_text(encoding="utf-8", errors="replace").splitlines()):
            path = _normalised(row[0]) if row else None
            if path is not None:
                hashes.setdefault(path, row[1] if len(row) > 1 else "")
        files = tuple(hashes)
    project = Project(canonicalize_name(name), name, parsed)
    own = _own_record(target_dir, folder)
    if own is None:
        return Installed(project, folder.name, tags, build, files, False, tuple(hashes.items()))
    listed = set(own)
    unowned = tuple(path for path in hashes if path not in listed)
    return Installed(project, folder.name, tags, build, own, True, tuple(hashes.items()), unowned)


def _own_record(target_dir: Path, folder: Path) -> tuple[str, ...] | None:
    """The files tagpip's own record in a dist-info folder lists, relative to ``target_dir``;
    None when there is none, or it does not read back as one written by tagpip."""
    path = folder / OWN_RECORD
    try:
        data = json.loads(path.read_bytes()) if path.is_file() else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tagpip-files") != 1:
        return None
    listed = data.get("files")
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        return None
    own = f"{folder.relative_to(target_dir).as_posix()}/{OWN_RECORD}"
    paths = [_normalised(item) for item in listed]
    if own not in paths:
        return None
    return tuple(p for p in paths if p is not None)


def _wheel_tags(text: str) -> tuple[frozenset[Tag], str | None]:
    message = email.parser.Parser().parsestr(text)
    tags: set[Tag] = set()
    for value in message.get_all("Tag") or []:
        with contextlib.suppress(ValueError):
            tags |= parse_tag(value.strip())
    build = message.get("Build")
    return frozenset(tags), build.strip() if build else None


def _normalised(path: str) -> str | None:
    """A RECORD path relative to the folder, or None when it points outside it."""
    if not path or "\0" in path or _is_absolute(path):
        return None
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal in (".", "..") or normal.startswith("../"):
        return None
    return normal


def _is_absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) is not None


# --------------------------------------------------------------------------------------------
# Inspecting a wheel


@dataclass(frozen=True)
class _Wheel:
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


def _member_problem(member: str) -> str | None:
    """Why a zip member's path would land outside the folder, if it would."""
    if "\0" in member:
        return "has a NUL character in its name"
    if "\\" in member:
        return "has a backslash in its name, a path separator on Windows"
    if _is_absolute(member):
        return "is an absolute path: it would land outside the target folder"
    if ".." in member.split("/"):
        return "climbs out with '..': it would land outside the target folder"
    return None


def _inspect(path: Path) -> tuple[_Wheel | None, list[WheelProblem]]:
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
        except _ZIP_READ_ERRORS as error:
            if not _unreadable(error):
                raise
            return None, [WheelProblem(filename, None, f"cannot be read: {_one_line(error)}")]


def _one_line(error: BaseException) -> str:
    """An error's message on one line (configparser's and zlib's span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def _build_tag(filename: str) -> str | None:
    """A valid wheel file name's build tag as written, which is how WHEEL's ``Build`` line
    gives it too (packaging parses ``7`` into ``(7, "")``, whose text part is empty)."""
    parts = filename[: -len(".whl")].split("-")
    return parts[2] if len(parts) == 6 else None


def _inspect_archive(
    archive: zipfile.ZipFile, path: Path, name: NormalizedName, version: Version, build: str | None
) -> tuple[_Wheel | None, list[WheelProblem]]:
    filename = path.name
    problems: list[WheelProblem] = []

    def problem(member: str | None, reason: str) -> None:
        problems.append(WheelProblem(filename, member, reason))

    seen: set[str] = set()
    members: list[str] = []
    for info in archive.infolist():
        member = info.filename
        why = _member_problem(member)
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
        tags, _ = _wheel_tags(text)

    entry_points = f"{dist_info}/entry_points.txt"
    if entry_points in seen:
        try:
            scripts = [
                script
                for script, _, _, _ in parse_entrypoints(archive.read(entry_points).decode("utf-8"))
            ]
        except (ValueError, KeyError, configparser.Error) as error:
            problem(entry_points, f"cannot be read: {_one_line(error)}")
            scripts = []
        for script in scripts:
            if not script or script in (".", "..") or _member_problem(script) or "/" in script:
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
    return _Wheel(path, project, tags, build, len(members), notes=notes), []


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
        raise ValueError(f"{record} cannot be read: {_one_line(error)}") from None


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
        parts.append(f"does not list {_some(unlisted)}")
    if unhashed:
        parts.append(f"gives no hash for {_some(unhashed)}")
    lenient = f"RECORD {' and '.join(parts)}; installed without checking them" if parts else None
    return issues, lenient


def _some(paths: Sequence[str]) -> str:
    """A few paths for one line: ``a, b and 3 more files``."""
    shown = ", ".join(paths[:2])
    rest = len(paths) - 2
    return shown + (f" and {rest} more file{'s' if rest != 1 else ''}" if rest > 0 else "")


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
            while chunk := stream.read(_READ_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
        digest = base64.urlsafe_b64encode(hasher.digest()).decode("ascii").rstrip("=")
        if digest != entry.hash_.value or (entry.size is not None and size != entry.size):
            issues.append(f"RECORD: hash / size of {member} didn't match RECORD")
    return issues


def _contents_problems(path: Path) -> list[WheelProblem]:
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
    except _ZIP_READ_ERRORS as error:
        if not _unreadable(error):
            raise
        issues = [f"cannot be read: {_one_line(error)}"]
    return [WheelProblem(path.name, None, issue) for issue in issues]


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


# --------------------------------------------------------------------------------------------
# Inspecting a wheel once: what a cache entry remembers of it


def _recall(
    path: Path,
    cache: UnpackedCache | None,
    digests: Mapping[Path, str] | None,
    kind: LauncherKind,
    command: str,
) -> tuple[_Wheel | None, tuple[str, str] | None]:
    """What inspecting one wheel found when the cache's complete and unchanged entry for its
    sha256 was made (None when there is no such entry), and the wheel's ``(digest, key)`` in
    the cache (None without a cache or a sha256). The wheel's file is not opened: it need not
    exist yet.

    The entry's key pins the wheel's bytes (its sha256, which ``digests`` gives from the bytes
    the downloader verified, or will verify), and only a wheel that passed every check, RECORD
    and contents included, is ever kept: inspecting it again would find the same, at the cost
    of reading its zip directory, METADATA and RECORD. An entry that is missing, changed or
    whose stored inspection does not read back is not used at all: the wheel is inspected as
    if there were none (:func:`_inspected`).
    """
    digest = (digests.get(path) or "").lower() if digests else ""
    if cache is None or not _SHA256.fullmatch(digest):
        return None, None
    key = entry_key(digest, path.name, kind, command)
    entry = cache.lookup(key)
    recalled = _recalled(path, entry) if entry is not None else None
    if recalled is None:
        return None, (digest, key)
    return replace(recalled, digest=digest, key=key, entry=entry), (digest, key)


def _inspected(
    path: Path, keyed: tuple[str, str] | None
) -> tuple[_Wheel | None, list[WheelProblem]]:
    """:func:`_inspect` of a wheel :func:`_recall` found no entry for, with its place in the
    cache (``keyed``) for keeping it once staged."""
    wheel, problems = _inspect(path)
    if wheel is None or keyed is None:
        return wheel, problems
    return replace(wheel, digest=keyed[0], key=keyed[1]), problems


def _inspection(wheel: _Wheel) -> dict[str, object]:
    """What a cache entry stores of a wheel's inspection: all :func:`_recalled` needs beyond
    the file name (which is part of the entry's key)."""
    return {
        "display_name": wheel.project.display_name,
        "tags": sorted(str(tag) for tag in wheel.tags),
        "members": wheel.members,
        "notes": list(wheel.notes),
    }


def _recalled(path: Path, entry: Entry) -> _Wheel | None:
    """The wheel as :func:`_inspect` found it, from the inspection stored in its cache entry
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
    return _Wheel(path, project, tags, _build_tag(path.name), members, notes=tuple(notes))


# --------------------------------------------------------------------------------------------
# Staging: installer writes into a folder laid out like the target folder


class _Collision(Exception):
    def __init__(self, path: str, why: str):
        super().__init__(path)
        self.path = path
        self.why = why


class _Cancelled(Exception):
    """Staging of one wheel stopped because another failed or the run was interrupted."""


class _HashingStream:
    """A zip member's stream that hashes what its reader reads, whatever it seeks (installer's
    shebang fixing reads the start twice): each byte is hashed once, in order; :meth:`finish`
    reads what the reader left (installer skips some members) and gives digest and size."""

    def __init__(self, stream: BinaryIO, algorithm: str):
        self._stream = stream
        self.algorithm = algorithm
        self._hasher = hashlib.new(algorithm)
        self._hashed = 0  # the first bytes of the member that are hashed
        self._finished: tuple[str, int] | None = None

    def _saw(self, start: int, data: bytes) -> bytes:
        end = start + len(data)
        if start <= self._hashed < end:
            self._hasher.update(memoryview(data)[self._hashed - start :])
            self._hashed = end
        return data

    def read(self, size: int = -1) -> bytes:
        return self._saw(self._stream.tell(), self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._saw(self._stream.tell(), self._stream.readline(size))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def finish(self) -> tuple[str, int]:
        """Digest (urlsafe base64, as in RECORD) and size of the whole member; the same answer
        however often it is asked."""
        if self._finished is not None:
            return self._finished
        if self._stream.tell() != self._hashed:
            self._stream.seek(self._hashed)
        while chunk := self._stream.read(_READ_CHUNK):
            self._hasher.update(chunk)
            self._hashed += len(chunk)
        value = base64.urlsafe_b64encode(self._hasher.digest()).decode("ascii").rstrip("=")
        self._finished = (value, self._hashed)
        return self._finished


def _copy_hashed(stream: BinaryIO, out: BinaryIO) -> tuple[str, int]:
    """Copy a member to ``out``; its sha256 (as RECORD writes it) and size.

    A member read whole, as it is, from a :class:`_HashingStream` that already hashes it with
    sha256 (to check it against the wheel's RECORD) is not hashed a second time: the bytes
    written are the bytes it hashed. Anything else (a script whose first line was changed, a
    RECORD with another algorithm) is hashed as it is written, as installer does.
    """
    if isinstance(stream, _HashingStream) and stream.algorithm == "sha256" and stream.tell() == 0:
        shutil.copyfileobj(stream, out, _READ_CHUNK)
        return stream.finish()
    return copyfileobj_with_hashing(stream, out, "sha256")


class _CheckedWheelFile(WheelFile):
    """installer's ``WheelFile`` that checks each member against RECORD as installer reads it
    (``validate_record``'s content check, without a second pass over the data); the members
    that fail are in ``issues``, worded as in :func:`_record_issues`."""

    def __init__(self, f: zipfile.ZipFile) -> None:
        super().__init__(f)
        self.issues: list[str] = []

    def get_contents(self) -> Iterator[tuple[tuple[str, str, str], BinaryIO, bool]]:
        for elements, stream, executable in super().get_contents():
            try:
                entry = RecordEntry.from_elements(*elements)
                checked = (
                    _HashingStream(stream, entry.hash_.name) if entry.hash_ is not None else None
                )
            except (InvalidRecordEntry, ValueError) as error:
                self.issues.append(f"RECORD: entry for {elements[0]} is invalid: {error}")
                checked = None
            if checked is None:
                # No hash to check: the RECORD itself (installer refused entries without one).
                yield elements, stream, executable
                continue
            yield elements, cast("BinaryIO", checked), executable
            digest, size = checked.finish()
            assert entry.hash_ is not None
            if digest != entry.hash_.value or (entry.size is not None and size != entry.size):
                self.issues.append(f"RECORD: hash / size of {elements[0]} didn't match RECORD")


class _StagingDestination(WheelDestination):
    """installer's ``WheelDestination`` over one staging root laid out like the target folder.

    Like installer's ``SchemeDictionaryDestination``, with three differences that matter here:
    paths are checked to stay under the root and never overwrite (a second wheel writing the same
    file is a conflict, not a silent replacement); POSIX scripts may start a command with
    arguments (``/usr/bin/env python3``), which installer would quote as one word; and RECORD
    paths are relative to the root whatever the scheme. No bytecode is compiled.
    """

    def __init__(
        self,
        root: Path,
        headers: str,
        interpreter: str,
        kind: LauncherKind,
        owners: dict[str, str],
        wheel: str,
        cancel: threading.Event | None = None,
    ) -> None:
        self.root = root
        self.cancel = cancel
        self.folders: set[Path] = set()  # made already: one mkdir per folder, not per file
        self.schemes = {
            "purelib": "",
            "platlib": "",
            "data": "",
            "scripts": "bin",
            "headers": headers,
        }
        self.interpreter = interpreter
        self.kind = kind
        self.owners = owners  # relative path -> wheel that wrote it, shared by the whole run
        self.wheel = wheel

    def _relative(self, scheme: str, path: str) -> str:
        joined = posixpath.join(self.schemes[scheme], path) if self.schemes[scheme] else path
        normal = _normalised(joined)
        if normal is None or normal == "." or _member_problem(path) is not None:
            raise _Collision(path, "would land outside the target folder")
        return normal

    def _write(self, rel: str, stream: BinaryIO, executable: bool) -> RecordEntry:
        if self.cancel is not None and self.cancel.is_set():
            raise _Cancelled
        owner = self.owners.get(rel)
        if owner is not None:
            raise _Collision(rel, f"{owner} installs it too")
        target = self.root / rel
        try:
            if target.parent not in self.folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self.folders.add(target.parent)
            with target.open("xb") as out:
                digest, size = _copy_hashed(stream, out)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            clash = next((o for p, o in self.owners.items() if _overlaps(p, rel)), "another wheel")
            raise _Collision(rel, f"{clash} installs a file or folder in the way") from None
        if executable:
            make_file_executable(target)
        self.owners[rel] = self.wheel
        return RecordEntry(rel, Hash("sha256", digest), size)

    # -- installer's WheelDestination interface --------------------------------------------

    def write_file(
        self,
        scheme: Scheme,
        path: str | os.PathLike[str],
        stream: BinaryIO,
        is_executable: bool,
    ) -> RecordEntry:
        rel = self._relative(scheme, os.fspath(path))
        if scheme == "scripts":
            # A script is there to be run, whatever mode the wheel's zip entry had.
            with fix_shebang(stream, self.interpreter) as fixed:
                return self._write(rel, fixed, True)
        return self._write(rel, stream, is_executable)

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        script = Script(name, module, attr, section)
        if self.kind == "posix":
            # Generated for a plain `python`, then given the real first line: installer would
            # wrap a command with a space in a /bin/sh trampoline that quotes it as one word.
            filename, data = script.generate("python", "posix")
            data = f"#!{self.interpreter}".encode() + data[len(b"#!python") :]
        else:
            command = self.interpreter
            if section == "gui" and not hasattr(Script, "_get_alternate_executable"):
                # installer 1.x starts GUI scripts with pythonw itself; 0.7 needs telling.
                folder, name_ = posixpath.split(command)
                command = posixpath.join(folder, name_.replace("python", "pythonw"))
            filename, data = script.generate(command, self.kind)
        rel = self._relative("scripts", filename)
        entry = self._write(rel, io.BytesIO(data), True)
        (self.root / rel).chmod(0o755)
        return entry

    def finalize_installation(
        self,
        scheme: Scheme,
        record_file_path: str,
        records: Iterable[tuple[Scheme, RecordEntry]],
    ) -> None:
        rel_record = self._relative(scheme, record_file_path)
        records = list(records)
        # tagpip's own record of what this install wrote, the only list an upgrade removes
        # files by (see _old_files): RECORD in the folder may be rewritten by other tools.
        rel_own = posixpath.join(posixpath.dirname(rel_record), OWN_RECORD)
        files = sorted({record.path for _, record in records} | {rel_record, rel_own})
        own = json.dumps({"tagpip-files": 1, "wheel": self.wheel, "files": files}, indent=0)
        own_entry = self._write(rel_own, io.BytesIO(own.encode("utf-8") + b"\n"), False)
        records.insert(-1, (scheme, own_entry))
        out = io.StringIO()
        writer = csv.writer(out, delimiter=",", quotechar='"', lineterminator="\n")
        for _, record in records:
            if record.hash_ is None and record.path == record_file_path:
                writer.writerow((rel_record, "", ""))
            else:
                size = "" if record.size is None else str(record.size)
                writer.writerow((record.path, str(record.hash_) if record.hash_ else "", size))
        self._write(rel_record, io.BytesIO(out.getvalue().encode("utf-8")), False)


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


# --------------------------------------------------------------------------------------------
# The whole install


def install(
    wheels: Sequence[Path],
    target_dir: Path,
    target: Target,
    *,
    upgrade: bool = False,
    interpreter: str | None = None,
    on_progress: Callable[[str], None] | None = None,
    cache: Path | None = None,
    digests: Mapping[Path, str] | None = None,
    link_mode: LinkMode = "clone",
    fetch: Callable[[Sequence[Path]], None] | None = None,
) -> InstallResult:
    """Install ``wheels`` into ``target_dir`` for ``target``, all or nothing.

    Promises: nothing is written anywhere before every wheel passed inspection and every decision
    about what is already installed was made; on any failure, ``KeyboardInterrupt`` included,
    ``target_dir`` is left as it was (not even created) and the staging folder is removed. A wheel
    whose project is in the folder at the same version and tags is left alone; at another version
    or other tags it is replaced when ``upgrade`` is true and is an error otherwise.
    ``interpreter`` overrides the command scripts start (default :func:`script_interpreter`).

    ``cache`` is the folder of unpacked wheels (``CACHE/unpacked`` for the CLI; None for none):
    a wheel whose hex sha256 ``digests`` gives (by the path given in ``wheels``) is staged from
    its entry there, along with what inspecting it found, or kept there once staged (the
    digests must be of the bytes the files hold, verified as the downloader does). Its files
    are copy-on-write clones of the cache's with ``link_mode="clone"`` (the default; copies
    where the file system cannot clone), copies with ``"copy"``, and hard links into the cache
    (the same files: an edit in the folder edits the cache) only with ``"hardlink"``. Every
    file placed from an entry is hashed where it lands and compared with what was stored; a
    damaged entry is dropped and the wheel unpacked instead. Wheels without a digest are
    unpacked and not kept.

    ``fetch`` spares the caller downloading a wheel whose entry is in the cache: with it, a
    wheel with a digest may be given before its file exists, and install calls ``fetch`` once,
    before inspecting anything, with the absent files it does need (maybe none); ``fetch``
    puts each there with the bytes of its digest (a download checked against it) or raises.
    An absent wheel is staged from the entry its lookup passed; should placing that entry fail
    (replaced meanwhile), nothing has been written yet, so install removes its staging folder,
    calls ``fetch`` with every file still absent and starts again from the files: one retry,
    in one place, instead of fetching from the staging threads.
    """
    if link_mode not in LINK_MODES:
        raise ValueError(f"link_mode must be one of {', '.join(LINK_MODES)}, not {link_mode!r}")
    paths = [Path(path) for path in wheels]
    settings = _Settings(
        upgrade,
        script_kind(target),
        interpreter or script_interpreter(target),
        on_progress or (lambda _text: None),
        UnpackedCache(cache, link_mode) if cache is not None else None,
        digests,
        file_system(target),
    )
    real_dir = Path(os.path.realpath(target_dir))
    if real_dir.exists() and not real_dir.is_dir():
        raise InstallError(f"{real_dir} exists and is not a folder")
    above = next(folder for folder in real_dir.parents if folder.exists())
    if not above.is_dir():
        raise InstallError(f"{above} is a file, so {real_dir} cannot be created")
    try:
        created = _make_parents(real_dir.parent)
    except OSError as error:
        raise InstallFailed(f"could not create {real_dir.parent}: {error}", restored=True) from None
    try:
        with _locked(real_dir, settings.report):
            notes = recover(real_dir)
            try:
                result = _install_once(paths, real_dir, settings, fetch)
            except _Unfetched:
                assert fetch is not None
                fetch([path for path in paths if not path.exists()])
                result = _install_once(paths, real_dir, settings, None)
    except BaseException:
        _remove_empty(created)
        raise
    if notes:
        result = replace(result, warnings=(*notes, *result.warnings))
    return result


@dataclass(frozen=True)
class _Settings:
    """What :func:`install` works out once from its arguments, for each try."""

    upgrade: bool
    kind: LauncherKind
    command: str
    report: Callable[[str], None]
    unpacked: UnpackedCache | None
    digests: Mapping[Path, str] | None
    fs: FileSystem = "posix"


class _Unfetched(Exception):
    """The entry chosen for a wheel whose file was not fetched could not be placed."""


def _install_once(
    paths: Sequence[Path],
    target_dir: Path,
    settings: _Settings,
    fetch: Callable[[Sequence[Path]], None] | None,
) -> InstallResult:
    """One try at :func:`install`; raises :class:`_Unfetched`, having written nothing, when a
    wheel whose file is absent (with ``fetch`` only) cannot be staged from its entry."""
    upgrade, report, unpacked = settings.upgrade, settings.report, settings.unpacked
    kind, command = settings.kind, settings.command
    recalls = [_recall(path, unpacked, settings.digests, kind, command) for path in paths]
    unfetched = _fetch_needed(paths, [wheel for wheel, _ in recalls], fetch)
    target_dir = Path(os.path.realpath(target_dir))
    if target_dir.exists() and not target_dir.is_dir():
        raise InstallError(f"{target_dir} exists and is not a folder")

    report("checking wheels")
    inspected: list[_Wheel] = []
    problems: list[WheelProblem] = []
    results = [
        (wheel, []) if wheel is not None else _inspected(path, keyed)
        for path, (wheel, keyed) in zip(paths, recalls)
    ]
    failed = any(found for _, found in results)
    for wheel, found in results:
        if wheel is not None and wheel.entry is None and failed:
            # Contents are otherwise checked while staging; a refusal reports them all now.
            # (A wheel with a cache entry had its contents checked when it was kept.)
            found = _contents_problems(wheel.path)
        problems.extend(found)
        if wheel is not None and not found:
            inspected.append(wheel)
    names: dict[NormalizedName, str] = {}
    for wheel in inspected:
        other = names.setdefault(wheel.project.name, wheel.path.name)
        if other != wheel.path.name:
            problems.append(WheelProblem(wheel.path.name, None, f"is the same project as {other}"))
    if problems:
        raise InvalidWheel(problems)

    present = find_installed(target_dir)
    notes: list[str] = []
    unchanged: list[Project] = []
    todo: list[_Wheel] = []
    replaced: list[Installed] = []
    blocked: list[tuple[Installed, Project, str]] = []
    for wheel in inspected:
        olds = present.get(wheel.project.name, [])
        if len(olds) == 1 and _same_install(olds[0], wheel):
            if _complete(target_dir, olds[0]):
                unchanged.append(olds[0].project)
                continue
            # The same version, but files are missing: never counts as installed; repaired.
            notes.append(f"{olds[0].project} in {target_dir} is incomplete; installing it again")
            todo.append(wheel)
            replaced.extend(olds)
            continue
        if olds and not upgrade:
            old = olds[0]
            why = (
                "was asked for"
                if old.project.version != wheel.project.version
                else f"is wanted for other tags ({wheel.path.name})"
            )
            blocked.append((old, wheel.project, why))
            continue
        todo.append(wheel)
        replaced.extend(olds)
    if blocked:
        raise NeedsUpgrade(target_dir, blocked)
    notes.extend(note for wheel in todo for note in wheel.notes)
    for old in replaced:
        if old.files is None:
            raise InstallError(
                f"{old.project} in {target_dir} has no RECORD, so its files are unknown",
                hint=f"remove {old.dist_info} and the files it installed by hand, then retry",
            )
    if not todo:
        return InstallResult((), tuple(unchanged), (), tuple(notes))

    created_parents: list[Path] = []
    stage: Path | None = None
    try:
        created_parents.extend(_make_parents(target_dir.parent))
        stage = Path(
            tempfile.mkdtemp(
                prefix=STAGE_PREFIX,
                suffix="-" + _stage_tag(target_dir),
                dir=_stage_parent(target_dir),
            )
        )
        new_root = stage / "new"
        new_root.mkdir()
        written, sources = _stage(
            todo, new_root, target_dir, kind, command, report, unpacked, unfetched, settings.fs
        )
        projects = {wheel.path.name: wheel.project.name for wheel in todo}
        rewritten = {rel: projects[name] for rel, name in written.items()}
        old_files, left = _old_files(target_dir, replaced, present, rewritten)
        notes.extend(left)
        _check_conflicts(target_dir, present, written, set(old_files))
        report("moving into place")
        _commit(target_dir, sources, stage, list(written), old_files)
    except BaseException as error:
        # Keep the staging folder only when it holds the backup of files undo could not restore.
        kept = isinstance(error, InstallFailed) and not error.restored
        if stage is not None and stage.exists() and not kept:
            shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(created_parents)
        if isinstance(error, OSError):
            raise InstallFailed(
                f"could not prepare the installation next to {target_dir}: {error}",
                restored=True,
            ) from error
        raise
    # Committed: what is left is tidying up, which cannot make the folder inconsistent.
    _prune_empty(target_dir, old_files)
    shutil.rmtree(stage, ignore_errors=True)
    return InstallResult(
        tuple(w.project for w in todo),
        tuple(unchanged),
        tuple(old.project for old in replaced if old.project not in unchanged),
        tuple(notes),
    )


def _complete(target_dir: Path, old: Installed) -> bool:
    """Whether an installed project is whole: its dist-info has METADATA, WHEEL and RECORD,
    and every file RECORD lists is there (an emptied or half-moved dist-info is not)."""
    info = target_dir / old.dist_info
    if not all((info / name).is_file() for name in ("METADATA", "WHEEL", "RECORD")):
        return False
    return old.files is not None and all(os.path.lexists(target_dir / f) for f in old.files)


def _fetch_needed(
    paths: Sequence[Path],
    recalled: Sequence[_Wheel | None],
    fetch: Callable[[Sequence[Path]], None] | None,
) -> set[Path]:
    """Have ``fetch`` put the absent wheels no cache entry stands for (all at once, so they
    download together); the absent wheels left, each of which an entry stands for."""
    if fetch is None:
        return set()
    absent = [path for path in paths if not path.exists()]
    stood_for = {path for path, wheel in zip(paths, recalled) if wheel is not None}
    fetch([path for path in absent if path not in stood_for])
    return {path for path in absent if path in stood_for}


def _same_install(old: Installed, wheel: _Wheel) -> bool:
    if old.project.version != wheel.project.version:
        return False
    if old.tags is not None and wheel.tags and old.tags != wheel.tags:
        return False
    return old.tags is None or old.build == wheel.build


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing ancestors; return those created, outermost first."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
    except BaseException:
        _remove_empty(created)
        raise
    return created


def _remove_empty(folders: Sequence[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _stage_parent(target_dir: Path) -> Path:
    """Next to the folder, unless the folder is a mount point of its own: renames must not cross
    file systems, so then the staging folder goes inside it (and is removed at the end)."""
    parent = target_dir.parent
    if target_dir.is_dir() and target_dir.stat().st_dev != parent.stat().st_dev:
        return target_dir
    return parent


@dataclass
class _Staged:
    """What staging one wheel gave: the paths written (in order, relative to its own root),
    the collision that stopped it, the RECORD issues of what it read, and the problems of a
    wheel that had to be inspected late (its cache entry went away while it was linked)."""

    written: Sequence[str]
    collision: _Collision | None
    issues: list[str]
    problems: list[WheelProblem] = field(default_factory=list)


# Unpacking many small files is bound by the file system's latency, which threads overlap; for a
# few files the pool costs more than it saves (and sequential staging keeps the order simple).
_PARALLEL_MEMBERS = 256
_STAGE_WORKERS = 4


def _stage(
    wheels: Sequence[_Wheel],
    root: Path,
    target_dir: Path,
    kind: LauncherKind,
    command: str,
    report: Callable[[str], None],
    cache: UnpackedCache | None = None,
    unfetched: Collection[Path] = frozenset(),
    fs: FileSystem = "posix",
) -> tuple[dict[str, str], dict[str, Path]]:
    """Unpack every wheel into its own folder under ``root`` (in parallel when there are many
    files); return each written path with the wheel it came from, and the folder it is in.

    Each member is checked against the wheel's RECORD as it is read; conflicts between wheels
    are found afterwards, in the order the wheels were given, so the report does not depend on
    which thread finished first.

    With a ``cache``, a wheel found there (its ``entry``) is linked or copied from it, nothing
    unpacked; any other wheel with a ``key`` is kept there once staged and checked, for the next
    run (see :mod:`tagpip._unpacked`). A wheel in ``unfetched`` has no file to unpack: when
    its entry cannot be placed, :class:`_Unfetched` stops the staging (see :func:`install`).
    """
    cancel = threading.Event()
    roots = [root / str(number) for number in range(len(wheels))]

    def step() -> None:
        if cancel.is_set():
            raise _Cancelled

    def from_cache(number: int) -> _Staged | None:
        wheel = wheels[number]
        if cache is None or wheel.entry is None:
            return None
        try:
            cache.place(wheel.entry, roots[number], step)
            return _Staged(wheel.entry.paths, None, [])
        except OSError:
            # The entry went away under us (another run replacing it) or a file could not be
            # put: unpack the wheel as if there were no entry, inspecting it first as it would
            # have been (its stored inspection stood for that).
            if wheel.path in unfetched:
                raise _Unfetched(wheel.path) from None
            shutil.rmtree(roots[number])
            roots[number].mkdir()
        _, problems = _inspect(wheel.path)
        return _Staged([], None, [], problems) if problems else None

    def keep(number: int, written: list[str]) -> None:
        """Keep a checked staged wheel in the cache, once the wheel file is hashed and found
        to be the digest given (so a wrong digest cannot file one wheel under another's)."""
        wheel = wheels[number]
        if cache is None or wheel.key is None:
            return
        try:
            actual = file_sha256(wheel.path)
        except OSError:
            return
        if actual == wheel.digest:
            cache.keep(wheel.key, roots[number], written, _inspection(wheel), step)

    def one(number: int) -> _Staged:
        wheel = wheels[number]
        roots[number].mkdir()
        cached = from_cache(number)
        if cached is not None:
            return cached
        owners: dict[str, str] = {}
        destination = _StagingDestination(
            roots[number],
            f"include/python/{wheel.project.display_name}",
            command,
            kind,
            owners,
            wheel.path.name,
            cancel,
        )
        with zipfile.ZipFile(wheel.path) as archive:
            source = _CheckedWheelFile(archive)
            try:
                installer_install(source, destination, {"INSTALLER": b"tagpip\n"})
            except _Collision as clash:
                return _Staged(list(owners), clash, source.issues)
            except _ZIP_READ_ERRORS as error:
                if not _unreadable(error):
                    raise
                # A member that does not decompress (bad CRC, truncated data): nothing staged
                # is kept, and the wheel is refused with the reason zipfile gave.
                return _Staged(
                    list(owners), None, [*source.issues, f"cannot be read: {_one_line(error)}"]
                )
        if not source.issues:
            keep(number, list(owners))
        return _Staged(list(owners), None, source.issues)

    staged: list[_Staged] = []
    with warnings.catch_warnings():
        # installer skips __pycache__ members of a wheel with a warning; that is fine.
        warnings.simplefilter("ignore", RuntimeWarning)
        if len(wheels) < 2 or sum(w.members for w in wheels) < _PARALLEL_MEMBERS:
            for number, wheel in enumerate(wheels):
                report(f"installing {wheel.project.display_name} ({number + 1}/{len(wheels)})")
                staged.append(one(number))
        else:
            report(f"installing {len(wheels)} wheels")
            workers = min(_STAGE_WORKERS, len(wheels))
            with ThreadPoolExecutor(workers, thread_name_prefix="tagpip-stage") as pool:
                # The biggest first: one started last would keep the whole run waiting on it.
                order = sorted(range(len(wheels)), key=lambda n: (-wheels[n].members, n))
                futures = {number: pool.submit(one, number) for number in order}
                try:
                    staged = [futures[number].result() for number in range(len(wheels))]
                except BaseException:
                    cancel.set()
                    for future in futures.values():
                        future.cancel()
                    wait(futures.values())
                    raise

    problems: list[WheelProblem] = []
    for wheel, result in zip(wheels, staged):
        if result.problems:
            problems.extend(result.problems)
        elif result.collision is not None:
            # Stopped early: what it did not read is checked now, so no issue goes unreported.
            problems.extend(_contents_problems(wheel.path))
        else:
            problems.extend(WheelProblem(wheel.path.name, None, i) for i in result.issues)
    if not problems:
        problems = _name_problems(wheels, staged, fs)
    if problems:
        raise InvalidWheel(problems)
    return _owners(target_dir, [w.path.name for w in wheels], staged, roots)


def _name_problems(
    wheels: Sequence[_Wheel], staged: Sequence[_Staged], fs: FileSystem
) -> list[WheelProblem]:
    """The paths, as they land in the folder, that the target's file system cannot hold apart
    or at all: names differing only in case (Windows, macOS), names Windows refuses. Checked on
    what was staged, so a wheel placed from the cache is checked as one just unpacked."""
    if fs == "posix":
        return []
    problems: list[WheelProblem] = []
    taken: list[str] = []
    system = "Windows" if fs == "windows" else "macOS"
    for wheel, result in zip(wheels, staged):
        if fs == "windows":
            for rel in result.written:
                why = windows_problem(rel)
                if why is not None:
                    problems.append(
                        WheelProblem(wheel.path.name, rel, f"{why} (the target is {system})")
                    )
        for path, other in case_collisions(result.written, taken):
            problems.append(
                WheelProblem(
                    wheel.path.name,
                    path,
                    f"differs only in case from {other!r}: one name on {system}'s "
                    "case-insensitive file system",
                )
            )
        taken.extend(result.written)
    return problems


def _owners(
    target_dir: Path, names: Sequence[str], staged: Sequence[_Staged], roots: Sequence[Path]
) -> tuple[dict[str, str], dict[str, Path]]:
    """Each staged path with the wheel (file name) it came from and the folder it is staged
    in, in the order the wheels were given; FileConflict when wheels write the same file, or
    a file where another puts a folder.

    A wheel whose files and folders meet nothing of the wheels before it (the usual case) is
    added with set operations; otherwise its files are gone through one by one, to name the
    first one in the way."""
    owners: dict[str, str] = {}
    folders: set[str] = set()
    sources: dict[str, Path] = {}
    conflicts: list[tuple[str, str, str]] = []
    for name, result, wheel_root in zip(names, staged, roots):
        files = set(result.written)
        own_folders = set(folders_of(result.written))
        if (
            result.collision is None
            and len(files) == len(result.written)
            and files.isdisjoint(own_folders)
            and files.isdisjoint(owners)
            and files.isdisjoint(folders)
            and own_folders.isdisjoint(owners)
        ):
            owners.update(dict.fromkeys(result.written, name))
            sources.update(dict.fromkeys(result.written, wheel_root))
            folders |= own_folders
            continue
        clash: _Collision | None = None
        for rel in result.written:
            parents = list(_folders_of(rel))
            if rel in owners:
                clash = _Collision(rel, f"{owners[rel]} installs it too")
            elif rel in folders or any(p in owners for p in parents):
                other = next((o for p, o in owners.items() if _overlaps(p, rel)), "another wheel")
                clash = _Collision(rel, f"{other} installs a file or folder in the way")
            if clash is not None:
                break
            owners[rel] = name
            sources[rel] = wheel_root
            folders.update(parents)
        clash = clash or result.collision
        if clash is not None:
            conflicts.append((clash.path, name, clash.why))
    if conflicts:
        raise FileConflict(target_dir, conflicts)
    return owners, sources


def _folders_of(rel: str) -> Iterator[str]:
    """The folders on the way to ``rel``: ``a``, ``a/b`` for ``a/b/c``."""
    index = rel.find("/")
    while index != -1:
        yield rel[:index]
        index = rel.find("/", index + 1)


def _old_files(
    target_dir: Path,
    replaced: Sequence[Installed],
    present: Mapping[NormalizedName, Sequence[Installed]],
    rewritten: Mapping[str, NormalizedName],
) -> tuple[list[str], list[str]]:
    """The files of the installations being replaced that exist in the folder and that this
    upgrade may remove, and one warning line for each kind of file it leaves in place.

    Removed: what the project owns (:attr:`Installed.files`), every file of its own dist-info
    folder, and the bytecode the target may have compiled for its ``.py`` files. Never removed,
    whatever a RECORD claims: a file another installed project owns, anything in another
    project's dist-info or under tagpip's reserved names, a path through a symbolic link. When
    tagpip did not write the project's record (another tool installed it), a file is removed
    only when its contents still match the hash RECORD gives it, or the new version of the same
    project writes that path; RECORD's paths that tagpip's own record does not list stay.
    """
    staying = [old for olds in present.values() for old in olds if old not in replaced]
    others = {rel for old in staying for rel in old.files or ()}
    found: dict[str, None] = {}
    notes: list[str] = []
    for old in replaced:
        info = target_dir / old.dist_info
        listed = [
            Path(dirpath, filename).relative_to(target_dir).as_posix()
            for dirpath, _dirs, filenames in os.walk(info)
            for filename in filenames
        ]
        hashes = dict(old.hashes)
        owned_elsewhere: list[str] = []
        unproven: list[str] = []
        for rel in old.files or ():
            top = rel.split("/", 1)[0]
            if not _exists_in(target_dir, rel):
                continue
            if top == old.dist_info:
                continue  # walked above
            if rel in others or top.endswith(".dist-info") or reserved_problem(rel) is not None:
                owned_elsewhere.append(rel)
            elif (
                old.own
                or rewritten.get(rel) == old.project.name
                or _matches(target_dir / rel, hashes.get(rel, ""))
                or _is_bytecode(rel)
            ):
                listed.append(rel)
            else:
                unproven.append(rel)
        for rel in listed:
            if _exists_in(target_dir, rel):
                found.setdefault(rel, None)
            if rel.endswith(".py"):
                folder, _, name = rel.rpartition("/")
                cache = posixpath.join(folder, "__pycache__") if folder else "__pycache__"
                cache_dir = target_dir / cache
                if _real_path_in(target_dir, cache) and cache_dir.is_dir():
                    stem = name[: -len(".py")]
                    for pyc in sorted(cache_dir.glob(f"{stem}.*.pyc")):
                        found.setdefault(f"{cache}/{pyc.name}", None)
        unowned: list[str] = []
        for rel in old.unowned:
            top = rel.split("/", 1)[0]
            if rel in found or top == old.dist_info or not _exists_in(target_dir, rel):
                continue
            if rel in others or top.endswith(".dist-info") or reserved_problem(rel) is not None:
                owned_elsewhere.append(rel)
            else:
                unowned.append(rel)
        for paths, why in (
            (owned_elsewhere, "another project or tagpip owns them"),
            (unowned, "its RECORD lists them, but tagpip's record of its install does not"),
            (unproven, "its RECORD, which tagpip did not write, gives them another hash or none"),
        ):
            if paths:
                notes.append(f"replacing {old.project} left {_some(paths)} in place: {why}")
    return list(found), notes


def _exists_in(target_dir: Path, rel: str) -> bool:
    """Whether ``rel`` is there, really in the folder (not through a symbolic link)."""
    return _real_path_in(target_dir, rel) and os.path.lexists(target_dir / rel)


def _is_bytecode(rel: str) -> bool:
    """A ``__pycache__/*.pyc`` path (RECORD lists bytecode without a hash, as pip writes it)."""
    folder, _, name = rel.rpartition("/")
    return name.endswith(".pyc") and folder.rpartition("/")[2] == "__pycache__"


def _matches(path: Path, hash_text: str) -> bool:
    """Whether the file at ``path`` has the hash a RECORD row gives (``sha256=...``)."""
    try:
        expected = Hash.parse(hash_text)
        hasher = hashlib.new(expected.name)
        with path.open("rb") as stream:
            while chunk := stream.read(_READ_CHUNK):
                hasher.update(chunk)
    except (ValueError, OSError):
        return False
    value = base64.urlsafe_b64encode(hasher.digest()).decode("ascii").rstrip("=")
    return value == expected.value


def _real_path_in(target_dir: Path, rel: str, leaving: Collection[str] = ()) -> bool:
    """Whether no folder on the way from ``target_dir`` to ``rel`` is a symbolic link or a file
    (one of the files in ``leaving`` does not count: it will have moved away)."""
    current = target_dir
    parts = rel.split("/")[:-1]
    for number, part in enumerate(parts, start=1):
        current = current / part
        if "/".join(parts[:number]) in leaving:
            continue
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            return False
    return True


def _check_conflicts(
    target_dir: Path,
    present: Mapping[NormalizedName, Sequence[Installed]],
    written: Mapping[str, str],
    leaving: set[str],
) -> None:
    """FileConflict for every file of ``written`` (path to wheel) that the folder already has
    and that is not ``leaving``, or whose way goes through a file or a symbolic link; the
    projects ``present`` in the folder name the owners in the report."""
    conflicts: list[tuple[str, str, str]] = []
    owners: dict[str, str] = {}
    for olds in present.values():
        for old in olds:
            for rel in old.files or ():
                owners.setdefault(rel, str(old.project))
    # The way to each folder: "bad" when a folder on it (a folder leaving does not count) is a
    # file or a symbolic link, else "absent" when one is not there, else "folder". Asked once
    # per folder, from its parent's answer, not once per file under it; under a folder that is
    # absent nothing is there, so it is not asked at all.
    ways: dict[str, str] = {"": "folder"}

    def way(folder: str) -> str:
        found = ways.get(folder)
        if found is None:
            found = way(folder.rpartition("/")[0])
            if found == "folder" and folder not in leaving:
                path = target_dir / folder
                if path.is_symlink():
                    found = "bad"
                elif not path.is_dir():
                    found = "bad" if path.exists() else "absent"
            ways[folder] = found
        return found

    for rel, wheel in written.items():
        on_way = way(rel.rpartition("/")[0])
        if on_way == "bad":
            conflicts.append((rel, wheel, "a folder on its way is a file or a symbolic link"))
        elif on_way == "absent":
            continue  # a folder on the way is not there: neither is the file
        elif rel not in leaving and os.path.lexists(target_dir / rel):
            if (target_dir / rel).is_dir() and not (target_dir / rel).is_symlink():
                conflicts.append((rel, wheel, "a folder of that name is in the way"))
            else:
                owner = owners.get(rel)
                why = f"it belongs to {owner}" if owner else "it belongs to no installed project"
                conflicts.append((rel, wheel, why))
    if conflicts:
        raise FileConflict(target_dir, conflicts)


@contextlib.contextmanager
def _held_signals() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM back (the list gets each one that arrived); the commit checks the
    list between moves, so an interrupt leads to a clean undo, never to half a move."""
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[signal.Signals, signal._HANDLER] = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, OSError):
                previous[number] = signal.signal(number, hold)
    try:
        yield received
    finally:
        for restored, handler in previous.items():
            # None: the handler was not set from Python, so it cannot be put back from here.
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(restored, handler)


def _plan(
    target_dir: Path,
    sources: Mapping[str, Path],
    backup: Path,
    new_files: Sequence[str],
    old_files: Sequence[str],
) -> list[tuple[str, str]]:
    """The commit's steps, in order, worked out before anything moves: ``(from, to)`` for a
    rename, ``(folder, "")`` for a folder to create in the target folder.

    Old files go to ``backup`` first, then the new ones (each from its wheel's staging folder
    in ``sources``) come in. A top-level folder of a wheel that the target folder does not have
    yet moves in with one rename (it holds only that wheel's files); everything else moves file
    by file. The plan is what the journal holds, so a later run can undo any prefix of it.
    """
    steps: list[tuple[str, str]] = []
    made: set[str] = set()
    leaving = set(old_files)  # gone by the time the new files come in
    for rel in old_files:
        steps.append((os.fspath(target_dir / rel), os.fspath(backup / rel)))
    whole: dict[str, Path] = {}  # top-level folder moved in whole -> the root it came from
    for rel in new_files:
        root = sources[rel]
        top, slash, _ = rel.partition("/")
        if slash and whole.get(top) == root:
            continue
        if slash and top not in made and (top in leaving or not os.path.lexists(target_dir / top)):
            steps.append((os.fspath(root / top), os.fspath(target_dir / top)))
            whole[top] = root
            made.add(top)
            continue
        for folder in reversed(list(PurePosixPath(rel).parents)[:-1]):
            name = folder.as_posix()
            came = whole.get(name.partition("/")[0])
            if came is not None and (came / name).is_dir():
                continue  # it moved in with its top-level folder
            if name not in made and (name in leaving or not (target_dir / name).exists()):
                steps.append((os.fspath(target_dir / name), ""))
                made.add(name)
        steps.append((os.fspath(root / rel), os.fspath(target_dir / rel)))
    return steps


def _fsync_folder(folder: Path) -> None:
    """Make a folder's entries (a new or removed name) durable; a no-op where folders cannot
    be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_journal(target_dir: Path, stage: Path, created: bool, steps: Sequence[object]) -> None:
    """Put the commit's plan on disk, in the target folder, before the first move: written to
    a temporary name, the file fsynced, renamed, then the folder fsynced, so a later run finds
    either the whole journal or none (and none means nothing has moved yet)."""
    data = json.dumps(
        {"version": 1, "stage": os.fspath(stage), "created": created, "steps": steps}
    ).encode("utf-8")
    temp = target_dir / (JOURNAL + ".tmp")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, target_dir / JOURNAL)
    _fsync_folder(target_dir)


def _forget_journal(target_dir: Path) -> None:
    """The commit point: once the journal is gone, the new version is what the folder holds."""
    (target_dir / JOURNAL).unlink()
    _fsync_folder(target_dir)


def _undo_steps(steps: Sequence[tuple[str, str]]) -> list[str]:
    """Undo ``steps`` in reverse, each only if it was done (its result is there and its origin
    is not): so it undoes exactly what an interrupted run did, and running it twice is safe."""
    failures: list[str] = []
    for source, moved_to in reversed(steps):
        try:
            if not moved_to:
                if os.path.isdir(source) and not os.path.islink(source):
                    with contextlib.suppress(OSError):
                        os.rmdir(source)  # not empty: something not ours is in it; keep it
            elif os.path.lexists(moved_to) and not os.path.lexists(source):
                os.makedirs(os.path.dirname(source), exist_ok=True)
                _move(moved_to, source)
        except OSError as error:
            failures.append(f"{source}: {error}")
    return failures


def _commit(
    target_dir: Path,
    sources: Mapping[str, Path],
    stage: Path,
    new_files: Sequence[str],
    old_files: Sequence[str],
) -> None:
    """Move the old files to the backup in ``stage`` and the new ones into the folder, all or
    nothing, also across a ``kill -9`` or a power cut: the plan is journalled in the target
    folder (fsynced) before the first move, and any later run undoes an unfinished journal
    before anything else (:func:`recover`). Undoing restores the folders' modification times
    too, so the folder is as it was to the last detail a backup tool or a build cache would
    look at.
    """
    backup = stage / "old"
    steps = _plan(target_dir, sources, backup, new_files, old_files)
    for rel in old_files:
        (backup / rel).parent.mkdir(parents=True, exist_ok=True)
    times: dict[Path, tuple[int, int]] = {}  # folders in the target folder, before any change
    if target_dir.is_dir():
        info = target_dir.stat()  # the journal comes and goes in it
        times[target_dir] = (info.st_atime_ns, info.st_mtime_ns)
    for source, moved_to in steps:
        for path in (Path(source).parent, Path(moved_to).parent if moved_to else None):
            if path is not None and path not in times and path.is_dir():
                info = path.stat()
                times[path] = (info.st_atime_ns, info.st_mtime_ns)
    created = not target_dir.exists()
    done = 0
    journalled = False
    with _held_signals() as received:
        try:
            if received:
                raise KeyboardInterrupt
            if created:
                target_dir.mkdir()
            _write_journal(target_dir, stage, created, steps)
            journalled = True
            for source, moved_to in steps:
                if received:
                    raise KeyboardInterrupt
                if moved_to:
                    _move(source, moved_to)
                else:
                    os.mkdir(source)
                done += 1
            if received:
                raise KeyboardInterrupt
            _forget_journal(target_dir)
        except BaseException as error:
            failures = _undo_steps(steps[:done])
            if journalled and not failures:
                with contextlib.suppress(OSError):
                    (target_dir / JOURNAL).unlink()
            for touched, (atime, mtime) in times.items():
                with contextlib.suppress(OSError):
                    os.utime(touched, ns=(atime, mtime))
            if failures:
                # The journal stays: the next run tries the undo again.
                raise InstallFailed(
                    f"installing into {target_dir} failed ({error!r}), and undoing it failed for "
                    + ", ".join(failures),
                    restored=False,
                    backup=backup,
                ) from error
            if created:
                with contextlib.suppress(OSError):
                    target_dir.rmdir()
            if isinstance(error, OSError):
                raise InstallFailed(
                    f"could not move files into {target_dir}: {error}", restored=True
                ) from error
            raise


def _stage_tag(target_dir: Path) -> str:
    """The end of the names of the staging folders of ``target_dir`` (a digest of its real
    path), so a later run can tell its own leftovers from another folder's."""
    return hashlib.sha256(os.fsencode(os.path.realpath(target_dir))).hexdigest()[:12]


def _inside(path: str, folders: Sequence[Path]) -> bool:
    real = os.path.normpath(path)
    return any(real == os.fspath(f) or real.startswith(os.fspath(f) + os.sep) for f in folders)


def recover(target_dir: Path) -> list[str]:
    """Finish what an interrupted install into ``target_dir`` left (call it with the folder's
    lock held): undo an unfinished journal, then remove this folder's staging folders that
    no run is using any more. What it did, as one line each (nothing when there was nothing).

    A journal is only followed within the target folder and its own staging folder, so a
    tampered journal cannot move anything else."""
    notes: list[str] = []
    target_dir = Path(os.path.realpath(target_dir))
    journal = target_dir / JOURNAL
    if journal.is_file() and not journal.is_symlink():
        try:
            plan = json.loads(journal.read_bytes())
            stage = Path(plan["stage"])
            created = bool(plan["created"])
            steps = [(str(a), str(b)) for a, b in plan["steps"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InstallError(
                f"{journal} is an unreadable record of an interrupted install ({error})",
                hint="tagpip cannot tell what it changed; remove it and check the folder",
            ) from error
        allowed = [target_dir, stage]
        if not stage.name.startswith(STAGE_PREFIX) or not all(
            _inside(a, allowed) and (not b or _inside(b, allowed)) for a, b in steps
        ):
            raise InstallError(
                f"{journal} names paths outside {target_dir} and its staging folder",
                hint="it was not written by tagpip; remove it and check the folder",
            )
        failures = _undo_steps(steps)
        if failures:
            raise InstallFailed(
                f"could not undo the interrupted install into {target_dir}: " + ", ".join(failures),
                restored=False,
                backup=stage / "old",
            )
        journal.unlink()
        _fsync_folder(target_dir)
        notes.append(f"an interrupted install into {target_dir} was rolled back")
        if created:
            with contextlib.suppress(OSError):
                target_dir.rmdir()
    with contextlib.suppress(OSError):
        (target_dir / (JOURNAL + ".tmp")).unlink()
    tag = _stage_tag(target_dir)
    for folder in {target_dir.parent, target_dir}:
        with contextlib.suppress(OSError), os.scandir(folder) as found:
            for item in found:
                if item.name.startswith(STAGE_PREFIX) and item.name.endswith("-" + tag):
                    shutil.rmtree(item.path, ignore_errors=True)
    return notes


@contextlib.contextmanager
def _locked(target_dir: Path, report: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock of ``target_dir`` (a file next to it, ``.tagpip-lock-NAME``), waiting for
    another run that holds it: two installs into one folder run one after the other, and the
    second sees what the first did. The lock file is removed on release; a run that locked a
    file removed meanwhile locks again."""
    path = target_dir.parent / f"{LOCK_PREFIX}{target_dir.name}"
    if sys.platform == "win32":  # pragma: no cover - Windows hosts
        import msvcrt

        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    report(f"waiting for another tagpip install into {target_dir}")
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)
        return
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                report(f"waiting for another tagpip install into {target_dir}")
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _prune_empty(target_dir: Path, removed: Collection[str]) -> None:
    """Remove the folders the replaced files leave empty (never the target folder itself)."""
    folders = {posixpath.dirname(rel) for rel in removed if posixpath.dirname(rel)}
    expanded: set[str] = set()
    for folder in folders:
        while folder:
            expanded.add(folder)
            folder = posixpath.dirname(folder)
    for folder in sorted(expanded, key=lambda f: (-f.count("/"), f)):
        path = target_dir / folder
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.rmdir()
