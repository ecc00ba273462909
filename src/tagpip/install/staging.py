"""Staging, phase 2 of :mod:`tagpip.install.installer`: installer writes each wheel into its own
folder laid out like the target folder (or a cache entry is placed there), every member checked
against RECORD as it is read; then the wheels' files are matched up: no two write one path, and the
target's file system can hold every name."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import posixpath
import shutil
import threading
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from installer import install as installer_install
from installer.destinations import WheelDestination
from installer.records import Hash, InvalidRecordEntry, RecordEntry
from installer.scripts import Script
from installer.sources import WheelFile
from installer.utils import Scheme, copyfileobj_with_hashing, fix_shebang, make_file_executable

from tagpip.install.installed import record_path
from tagpip.install.model import READ_CHUNK, FileConflict, InvalidWheel, WheelProblem
from tagpip.install.paths import OWN_RECORD, FileSystem, case_collisions, windows_problem
from tagpip.install.unpacked import UnpackedCache, folders_of
from tagpip.install.wheelcheck import (
    ZIP_READ_ERRORS,
    InspectedWheel,
    contents_problems,
    inspect_wheel,
    member_problem,
    one_line,
    stored_inspection,
    unreadable,
)

if TYPE_CHECKING:
    from installer.scripts import LauncherKind, ScriptSection


class _Collision(Exception):
    def __init__(self, path: str, why: str):
        super().__init__(path)
        self.path = path
        self.why = why


class _Cancelled(Exception):
    """Staging of one wheel stopped because another failed or the run was interrupted."""


# The largest run of bytes a reader of a _HashingStream may skip that is hashed on the spot.
_SMALL_GAP = 64 * 1024


class _HashingStream:
    """A zip member's stream that hashes what its reader reads, whatever it seeks (installer's
    shebang fixing reads the start twice): each byte is hashed once, in order; :meth:`finish`
    reads what the reader left (installer skips some members) and gives digest and size.

    Also the wheel file itself, under ``zipfile``: a zip is read mostly in order (the central
    directory at the end first, then each member's header and data), so the wheel's sha256,
    which the cache of unpacked wheels checks before keeping an entry, comes out of the pass
    that unpacks it plus the few bytes it skipped, instead of a second read of the whole
    file."""

    def __init__(self, stream: BinaryIO, algorithm: str):
        self._stream = stream
        self.algorithm = algorithm
        self._hasher = hashlib.new(algorithm)
        self._hashed = 0  # the first bytes of the member that are hashed
        self._finished: tuple[str, int] | None = None
        self._hex = ""
        self.name = getattr(stream, "name", "")  # zipfile's (and installer's) file name

    def _saw(self, start: int, data: bytes) -> bytes:
        end = start + len(data)
        if start <= self._hashed < end:
            self._hasher.update(memoryview(data)[self._hashed - start :])
            self._hashed = end
        return data

    def read(self, size: int = -1) -> bytes:
        start = self._stream.tell()
        if self._hashed < start <= self._hashed + _SMALL_GAP:
            # A few bytes skipped (a folder's entry, which installer does not open): hashed
            # now, so that the pass in order goes on instead of stopping there.
            self._stream.seek(self._hashed)
            gap = self._stream.read(start - self._hashed)
            self._hasher.update(gap)
            self._hashed += len(gap)
            self._stream.seek(start)
        return self._saw(start, self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._saw(self._stream.tell(), self._stream.readline(size))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def seekable(self) -> bool:
        return True

    def hexdigest(self) -> str:
        """:meth:`finish`'s digest in hex."""
        self.finish()
        return self._hex

    def finish(self) -> tuple[str, int]:
        """Digest (urlsafe base64, as in RECORD) and size of the whole member; the same answer
        however often it is asked."""
        if self._finished is not None:
            return self._finished
        if self._stream.tell() != self._hashed:
            self._stream.seek(self._hashed)
        while chunk := self._stream.read(READ_CHUNK):
            self._hasher.update(chunk)
            self._hashed += len(chunk)
        digest = self._hasher.digest()
        self._hex = digest.hex()
        value = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
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
        shutil.copyfileobj(stream, out, READ_CHUNK)
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
        tick: Callable[[], None] | None = None,
    ) -> None:
        self.root = root
        self.cancel = cancel
        self.tick = tick  # after each file written: progress
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
        # relative path -> the hex sha256 of the bytes written there, computed while writing
        self.digests: dict[str, str] = {}

    def _relative(self, scheme: str, path: str) -> str:
        joined = posixpath.join(self.schemes[scheme], path) if self.schemes[scheme] else path
        normal = record_path(joined)
        if normal is None or normal == "." or member_problem(path) is not None:
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
        if self.tick is not None:
            self.tick()
        self.owners[rel] = self.wheel
        self.digests[rel] = base64.urlsafe_b64decode(digest + "=" * (-len(digest) % 4)).hex()
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
        # files by (see files_to_replace): RECORD in the folder may be rewritten by other tools.
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

# Reports per count: one each time the count crosses a hundredth of its total.
_REPORTS = 100


class _Tally:
    """Staging's progress, file by file: the files placed of all the wheels' members (unpacked,
    or placed from the cache), and, for the wheels to be kept in the cache of unpacked wheels,
    the files kept. A status goes to ``report`` each time the two counts together cross a
    hundredth of their total and when a wheel is done, never once per file: a wheel of
    thousands of files moves the line as it goes, at the cost of a hundred reports.

    A wheel counts at most its members (installer writes a few files more: RECORD, scripts),
    and all of them once it is done, kept or not, so the counts only grow and end at their
    totals. Safe to use from the staging threads."""

    def __init__(
        self, report: Callable[[str], None], wheels: Sequence[InspectedWheel], caching: bool
    ) -> None:
        self._report = report
        self._wheels = wheels
        self._members = [w.members for w in wheels]
        self._keeps = [caching and w.entry is None and w.key is not None for w in wheels]
        self._placed = [0] * len(wheels)
        self._kept = [0] * len(wheels)
        self._done = [0, 0]  # placed, kept: the sums of the two lists above
        self.total = sum(self._members)
        self.keeping = sum(m for m, keeps in zip(self._members, self._keeps) if keeps)
        self._step = max(1, (self.total + self.keeping) // _REPORTS)
        self._next = self._step
        self._lock = threading.Lock()

    def placed(self, number: int) -> None:
        """One file of wheel ``number`` was placed in its staging folder."""
        self._add(self._placed, 0, number)

    def kept(self, number: int) -> None:
        """One file of wheel ``number`` was kept in the cache."""
        if self._keeps[number]:
            self._add(self._kept, 1, number)

    def finished(self, number: int) -> None:
        """Wheel ``number`` is done: all its files count, placed and, if it was to be kept,
        kept (whether the cache took it or not)."""
        with self._lock:
            self._done[0] += self._members[number] - self._placed[number]
            self._placed[number] = self._members[number]
            if self._keeps[number]:
                self._done[1] += self._members[number] - self._kept[number]
                self._kept[number] = self._members[number]
            self._say(number)

    def say(self, number: int) -> None:
        """Report the counts, naming wheel ``number``."""
        with self._lock:
            self._say(number)

    def _say(self, number: int) -> None:
        # Called with the lock held, so that reports from several threads arrive in the order
        # of their counts: a later report never shows fewer files.
        placed, kept = self._done
        text = f"installing: {placed}/{self.total} files"
        if self.keeping:
            text += f", {kept}/{self.keeping} kept in the cache"
        self._report(f"{text} ({self._wheels[number].project.display_name})")

    def _add(self, counts: list[int], which: int, number: int) -> None:
        with self._lock:
            if counts[number] >= self._members[number]:
                return
            counts[number] += 1
            self._done[which] += 1
            if self._done[0] + self._done[1] >= self._next:
                self._next = self._done[0] + self._done[1] + self._step
                self._say(number)


def stage_wheels(
    wheels: Sequence[InspectedWheel],
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
    run (see :mod:`tagpip.install.unpacked`). A wheel in ``unfetched`` has no file to unpack: when
    its entry cannot be placed, :class:`Unfetched` stops the staging (see :func:`install`).
    """
    cancel = threading.Event()
    roots = [root / str(number) for number in range(len(wheels))]
    total = sum(w.members for w in wheels)
    tally = _Tally(report, wheels, cache is not None)

    def step() -> None:
        if cancel.is_set():
            raise _Cancelled

    def from_cache(number: int) -> _Staged | None:
        wheel = wheels[number]

        def placing() -> None:
            step()
            tally.placed(number)

        if cache is None or wheel.entry is None:
            return None
        try:
            cache.place(wheel.entry, roots[number], placing)
            return _Staged(wheel.entry.paths, None, [])
        except OSError:
            # The entry went away under us (another run replacing it) or a file could not be
            # put: unpack the wheel as if there were no entry, inspecting it first as it would
            # have been (its stored inspection stood for that).
            if wheel.path in unfetched:
                raise Unfetched(wheel.path) from None
            shutil.rmtree(roots[number])
            roots[number].mkdir()
        _, problems = inspect_wheel(wheel.path)
        return _Staged([], None, [], problems) if problems else None

    def keep(
        number: int, written: list[str], digests: Mapping[str, str], whole: _HashingStream
    ) -> None:
        """Keep a checked staged wheel in the cache, once the wheel file is hashed and found
        to be the digest given (so a wrong digest cannot file one wheel under another's): by
        ``whole``, the file as staging read it, hashed on the way."""
        wheel = wheels[number]
        if cache is None or wheel.key is None:
            return

        def keeping() -> None:
            step()
            tally.kept(number)

        try:
            actual = whole.hexdigest()
        except OSError:
            return
        if actual == wheel.digest:
            cache.keep(
                wheel.key, roots[number], written, stored_inspection(wheel), keeping, digests
            )

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
            lambda: tally.placed(number),
        )
        with wheel.path.open("rb") as raw:
            whole = _HashingStream(raw, "sha256")
            with zipfile.ZipFile(cast("BinaryIO", whole)) as archive:
                source = _CheckedWheelFile(archive)
                try:
                    installer_install(source, destination, {"INSTALLER": b"tagpip\n"})
                except _Collision as clash:
                    return _Staged(list(owners), clash, source.issues)
                except ZIP_READ_ERRORS as error:
                    if not unreadable(error):
                        raise
                    # A member that does not decompress (bad CRC, truncated data): nothing
                    # staged is kept, and the wheel is refused with the reason zipfile gave.
                    return _Staged(
                        list(owners), None, [*source.issues, f"cannot be read: {one_line(error)}"]
                    )
            if not source.issues:
                keep(number, list(owners), destination.digests, whole)
        return _Staged(list(owners), None, source.issues)

    staged: list[_Staged] = []
    with warnings.catch_warnings():
        # installer skips __pycache__ members of a wheel with a warning; that is fine.
        warnings.simplefilter("ignore", RuntimeWarning)

        def counted(number: int) -> _Staged:
            result = one(number)
            tally.finished(number)
            return result

        if len(wheels) < 2 or total < _PARALLEL_MEMBERS:
            for number in range(len(wheels)):
                tally.say(number)
                staged.append(counted(number))
        else:
            report(f"installing: 0/{total} files ({len(wheels)} wheels)")
            workers = min(_STAGE_WORKERS, len(wheels))
            with ThreadPoolExecutor(workers, thread_name_prefix="tagpip-stage") as pool:
                # The biggest first: one started last would keep the whole run waiting on it.
                order = sorted(range(len(wheels)), key=lambda n: (-wheels[n].members, n))
                futures = {number: pool.submit(counted, number) for number in order}
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
            problems.extend(contents_problems(wheel.path))
        else:
            problems.extend(WheelProblem(wheel.path.name, None, i) for i in result.issues)
    if not problems:
        problems = _name_problems(wheels, staged, fs)
    if problems:
        raise InvalidWheel(problems)
    return _owners(target_dir, [w.path.name for w in wheels], staged, roots)


def _name_problems(
    wheels: Sequence[InspectedWheel], staged: Sequence[_Staged], fs: FileSystem
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


class Unfetched(Exception):
    """The entry chosen for a wheel whose file was not fetched could not be placed."""
