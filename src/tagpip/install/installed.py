"""What is already in a target folder: the projects its ``*.dist-info`` folders describe, the files
each owns (tagpip's own record of an install, else RECORD), and which of them an upgrade may remove
or a new wheel may overwrite. Part of the install stage (:mod:`tagpip.install.installer`)."""

from __future__ import annotations

import base64
import contextlib
import csv
import email.parser
import json
import os
import posixpath
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from installer.records import Hash
from packaging.metadata import parse_email
from packaging.tags import Tag, parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tagpip.hashes import file_digests
from tagpip.install.model import FileConflict, Installed, Project, some_paths
from tagpip.install.paths import OWN_RECORD, case_collisions, reserved_problem
from tagpip.install.unpacked import folders_of


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
        tags, build = wheel_tags(wheel.read_text(encoding="utf-8", errors="replace"))
    files: tuple[str, ...] | None = None
    hashes: dict[str, str] = {}
    record = folder / "RECORD"
    if record.is_file():
        for row in csv.reader(record.read_text(encoding="utf-8", errors="replace").splitlines()):
            path = record_path(row[0]) if row else None
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
    paths = [record_path(item) for item in listed]
    if own not in paths:
        return None
    return tuple(p for p in paths if p is not None)


def wheel_tags(text: str) -> tuple[frozenset[Tag], str | None]:
    message = email.parser.Parser().parsestr(text)
    tags: set[Tag] = set()
    for value in message.get_all("Tag") or []:
        with contextlib.suppress(ValueError):
            tags |= parse_tag(value.strip())
    build = message.get("Build")
    return frozenset(tags), build.strip() if build else None


def record_path(path: str) -> str | None:
    """A RECORD path relative to the folder, or None when it points outside it."""
    if not path or "\0" in path or is_absolute(path):
        return None
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal in (".", "..") or normal.startswith("../"):
        return None
    return normal


def is_absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) is not None


def files_to_replace(
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
                notes.append(f"replacing {old.project} left {some_paths(paths)} in place: {why}")
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
        digest = file_digests(path, [expected.name])[expected.name]
    except (ValueError, OSError):
        return False
    value = base64.urlsafe_b64encode(bytes.fromhex(digest)).decode("ascii").rstrip("=")
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


def check_conflicts(
    target_dir: Path,
    present: Mapping[NormalizedName, Sequence[Installed]],
    written: Mapping[str, str],
    leaving: set[str],
    fold_case: bool = False,
) -> None:
    """FileConflict for every file of ``written`` (path to wheel) that the folder already has
    and that is not ``leaving``, or whose way goes through a file or a symbolic link; the
    projects ``present`` in the folder name the owners in the report. With ``fold_case`` (a
    Windows or macOS target), a name that differs only in case from one already in the
    folder is a conflict too: there the two would be one file."""
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
    if fold_case:
        # A folder whose files all leave (an upgrade that renames it) leaves with them.
        kept = set(folders_of(rel for rel in owners if rel not in leaving))
        gone = leaving | (set(folders_of(leaving)) - kept)
        conflicts.extend(_case_conflicts(target_dir, written, gone, ways))
    if conflicts:
        raise FileConflict(target_dir, conflicts)


def _case_conflicts(
    target_dir: Path, written: Mapping[str, str], leaving: set[str], ways: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """Files of ``written`` whose name, or a folder's on their way, differs only in case from
    an entry the folder already has and keeps: :func:`case_collisions` against the entries of
    each folder on their way that is there (each listed once; a folder that is not there holds
    nothing to clash with)."""
    taken: list[str] = []
    for folder in sorted({"", *folders_of(written)}):
        if ways.get(folder) != "folder":
            continue
        try:
            names = sorted(os.listdir(target_dir / folder))
        except OSError:
            continue
        prefix = f"{folder}/" if folder else ""
        taken.extend(path for path in (prefix + name for name in names) if path not in leaving)
    conflicts: list[tuple[str, str, str]] = []
    for path, other in case_collisions(written, taken):
        rel = next(r for r in written if r == path or r.startswith(path + "/"))
        why = (
            f"{other!r} is already in the folder; on a case-insensitive file system (the "
            "target's) the two are one name"
        )
        conflicts.append((rel, written[rel], why))
    return conflicts
