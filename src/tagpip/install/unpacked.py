"""The cache of unpacked wheels that makes installing the same wheels again cheap.

Part of the install stage (:mod:`tagpip.install.installer` is its only user). Staging a wheel with
``installer`` decompresses, hashes and writes every member; a later run with the same wheel
would do all of it again to produce the very same files. So once a wheel has been staged and
its contents checked against its RECORD, the staged tree is kept here, and a later run stages
that wheel by hard-linking (or copying) the kept files instead of unpacking it.

Layout: ``<cache>/v2/<key[:2]>/<key>/`` holds ``files/`` (the wheel's tree as it lands in the
target folder: scripts in ``bin/``, RECORD and INSTALLER written) and ``entry.json`` (every file
in the order it was staged, with its size, mode and modification time, and what inspecting the
wheel found, so a later run need not open the wheel at all). The key (:func:`entry_key`) is a
digest of everything that decides those bytes: the wheel's sha256 and file name, the kind of
scripts and their interpreter line, installer's version and :data:`LAYOUT`, which changes
whenever tagpip stages differently.

Promises:

* **Complete or absent.** An entry is built under a temporary name (``.tmp-*``) next to where it
  goes and renamed into place as the last step, so an interrupted fill leaves nothing that is
  ever read. Runs racing to fill the same entry are harmless: one rename wins, the others throw
  their copy away.
* **Checked before use.** An entry is used only when ``entry.json`` is there and its tree is
  exactly the files it lists (regular files and folders only, with the same sizes, modes and
  modification times). That rejects a damaged entry and the usual way one goes stale: a file
  edited in a target folder it was hard-linked into (the same file on disk). Nothing of a
  rejected entry is used, its stored inspection neither; it is replaced by the next run that
  stages the wheel. It is not a defence against someone who can write to the cache folder, who
  could change a file and its times back; that user could as well change tagpip itself.
* **Never in the way.** Filling the cache is best effort: a cache that cannot be written is
  skipped, never an install error.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tagpip.fs import clone_or_copy, copy_contents
from tagpip.hashes import file_sha256

__all__ = [
    "LAYOUT",
    "Entry",
    "LinkMode",
    "UnpackedCache",
    "entry_key",
    "folders_of",
]

LinkMode = Literal["clone", "copy", "hardlink"]

# Bump whenever staging writes different files for the same wheel (another RECORD format, new
# generated files, other script templates) or entry.json changes (2: the stored inspection; 3:
# each file's sha256; 4: the inspection's notes, and tagpip-files.json in the dist-info): old
# entries are then never looked at.
LAYOUT = 4
_MANIFEST = "entry.json"
_FILES = "files"
_TEMP_PREFIX = ".tmp-"
_CHUNK = 1024 * 1024
# A link that fails with one of these will fail for every file: the cache is on another file
# system (EXDEV), the file system or its policy refuses hard links (EPERM, e.g. Linux's
# protected_hardlinks; ENOTSUP), or a file has as many links as it may have (EMLINK).
_NO_LINKS = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
)

logger = logging.getLogger(__name__)


def _installer_version() -> str:
    import installer

    return str(getattr(installer, "__version__", "unknown"))


def entry_key(sha256: str, filename: str, scripts: str, interpreter: str) -> str:
    """The cache key of a wheel staged for one kind of target: a hex sha256 of the wheel's
    sha256 and file name (installer finds the ``.data`` folder by the name), the launcher kind
    (``posix``, ``win-amd64``, ...), the scripts' interpreter line, installer's version (it
    writes the scripts) and :data:`LAYOUT`."""
    parts = {
        "layout": LAYOUT,
        "sha256": sha256,
        "wheel": filename,
        "scripts": scripts,
        "interpreter": interpreter,
        "installer": _installer_version(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """A complete, unchanged entry: the key, its files (paths as in the target folder, in the
    order they were staged, with their permission bits), the folders they need (each after its
    parent), and ``inspection``, what the install stage told :meth:`UnpackedCache.keep` about
    the wheel (a JSON object it reads back itself)."""

    key: str
    paths: tuple[str, ...]
    modes: tuple[int, ...]
    folders: tuple[str, ...]
    inspection: Mapping[str, object]
    digests: tuple[str, ...] = ()


class UnpackedCache:
    """The entries under ``folder`` (``CACHE/unpacked`` for the CLI), and how their files are
    put into a staging folder: hard links (``link_mode="hardlink"``, falling back to copies
    for the rest of the run at the first link the file system refuses) or copies.

    Safe to use from several threads at once.
    """

    def __init__(self, folder: Path, link_mode: LinkMode = "clone") -> None:
        self.root = folder / f"v{LAYOUT}"
        self.mode = link_mode
        self.copying = link_mode == "copy"

    def entry(self, key: str) -> Path:
        """The folder of the entry for ``key`` (which may not exist)."""
        return self.root / key[:2] / key

    # -- reading ---------------------------------------------------------------------------

    def lookup(self, key: str) -> Entry | None:
        """The complete, unchanged entry for ``key``; None when there is none (missing,
        incomplete, damaged or edited)."""
        folder = self.entry(key)
        try:
            with (folder / _MANIFEST).open(encoding="utf-8") as f:
                manifest = json.load(f)
        except (OSError, ValueError, RecursionError):  # RecursionError: nested too deeply
            return None
        listed = _manifest_files(manifest, key)
        if listed is None:
            logger.debug("ignoring a malformed unpacked cache entry: %s", folder)
            return None
        if not _same_tree(os.path.join(folder, _FILES), listed):
            logger.debug("ignoring a changed or incomplete unpacked cache entry: %s", folder)
            return None
        # Every listed path is one the walk found, so none of them can lead out of the tree.
        paths = tuple(listed)
        return Entry(
            key,
            paths,
            tuple(info[1] for info in listed.values()),
            folders_of(paths),
            manifest["wheel"],
            tuple(info[3] for info in listed.values()),
        )

    def place(self, entry: Entry, dest: Path, step: Callable[[], None]) -> None:
        """Put the entry's files under ``dest`` (an empty folder), each a new file: linked, or
        copied. ``step`` runs before each file (it raises to stop). Raises OSError when a file
        cannot be put (the entry may have been replaced meanwhile): the caller unpacks the
        wheel instead."""
        tree = os.path.join(self.entry(entry.key), _FILES)
        root = os.fspath(dest)
        for folder in entry.folders:
            os.mkdir(f"{root}/{folder}")
        for path, mode, digest in zip(entry.paths, entry.modes, entry.digests):
            step()
            if self._put(f"{tree}/{path}", f"{root}/{path}", mode) != digest:
                # Damaged in place (its size and times kept): never installed; removed so
                # the caller's fresh unpack replaces it.
                logger.debug("dropping a damaged unpacked cache entry: %s", tree)
                self.discard(entry.key)
                raise OSError(f"{tree}/{path} no longer has the contents it was stored with")

    def discard(self, key: str) -> None:
        """Remove the entry for ``key`` (moved aside in one rename, then deleted)."""
        entry = self.entry(key)
        with contextlib.suppress(OSError):
            trash = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=entry.parent))
            with contextlib.suppress(OSError):
                os.rename(entry, trash / "gone")
            shutil.rmtree(trash, ignore_errors=True)

    # -- filling ---------------------------------------------------------------------------

    def keep(
        self,
        key: str,
        staged: Path,
        paths: Sequence[str],
        inspection: Mapping[str, object],
        step: Callable[[], None],
        digests: Mapping[str, str] | None = None,
    ) -> bool:
        """Add the entry for ``key``: the files ``paths`` (in staging order) of the verified
        tree ``staged``, linked or copied as for :meth:`place`, and ``inspection`` (a JSON
        object, given back as :attr:`Entry.inspection`). Whether the entry now exists;
        failing to write it is no error. ``step`` runs before each file and may raise; the
        temporary folder is removed whatever happens.

        ``digests`` gives the sha256 of staged files, computed while they were written (and
        checked against RECORD): the entry stores those instead of reading its copies back.
        A copy that came out different is then found where it matters, when a file placed
        from the entry is hashed and compared with what the entry stores (:meth:`place`)."""
        known = digests or {}
        entry = self.entry(key)
        temp: Path | None = None
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            temp = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=entry.parent))
            tree = temp / _FILES
            tree.mkdir()
            for folder in folders_of(paths):
                (tree / folder).mkdir()
            rows: list[tuple[str, int, int, int, str]] = []
            for rel in paths:
                step()
                source = staged / rel
                mode = os.lstat(source).st_mode
                digest = self._put(os.fspath(source), os.fspath(tree / rel), mode, known.get(rel))
                info = os.lstat(tree / rel)
                rows.append(
                    (rel, info.st_size, stat.S_IMODE(info.st_mode), info.st_mtime_ns, digest)
                )
            # Written last, so a folder with this file in it has everything it lists.
            with (temp / _MANIFEST).open("x", encoding="utf-8") as out:
                manifest = {"layout": LAYOUT, "key": key, "wheel": inspection, "files": rows}
                json.dump(manifest, out)
            return self._publish(temp, entry, key, inspection)
        except OSError:
            logger.debug("could not add %s to the unpacked cache", entry, exc_info=True)
            return False
        finally:
            if temp is not None and os.path.lexists(temp):
                shutil.rmtree(temp, ignore_errors=True)

    def _publish(self, temp: Path, entry: Path, key: str, inspection: Mapping[str, object]) -> bool:
        """Rename the finished ``temp`` to ``entry``; a complete entry there with the same
        inspection (another run won the race) is kept, anything else there is replaced (one
        whose inspection the caller could not use, say, would otherwise stay for good)."""
        try:
            os.rename(temp, entry)
            return True
        except OSError:
            pass
        if self._complete(key, inspection):
            return True
        # A bad entry is in the way: move it aside (one rename, so readers see it or nothing),
        # put ours in its place, then delete it. Losing a race here only loses our copy.
        trash = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=entry.parent))
        with contextlib.suppress(OSError):
            os.rename(entry, trash)
        try:
            os.rename(temp, entry)
            placed = True
        except OSError:
            placed = self._complete(key, inspection)
        shutil.rmtree(trash, ignore_errors=True)
        return placed

    def _complete(self, key: str, inspection: Mapping[str, object]) -> bool:
        found = self.lookup(key)
        return found is not None and found.inspection == inspection

    # -- one file --------------------------------------------------------------------------

    def _put(self, source: str, target: str, mode: int, digest: str | None = None) -> str:
        """Make ``target`` (which must not exist) a clone of ``source``, a copy, or (with
        ``hardlink``) a link to it, with its permissions; the hex sha256 of the bytes now at
        ``target``: ``digest``, the source's, when the caller knows it (:meth:`keep`), else
        read back from there, so what is placed is what is checked. Never opens an existing
        file for writing, so a link into the cache is never written through."""
        if self.mode == "hardlink" and not self.copying:
            try:
                os.link(source, target)
                return digest or file_sha256(Path(target))
            except OSError as error:
                if error.errno not in _NO_LINKS:
                    raise
                logger.debug("hard links refused (%s); copying instead", error)
                self.copying = True
        if self.mode == "clone" and not self.copying:
            cloned = clone_or_copy(source, target)
            if not cloned:
                self.copying = True  # refused here: it will be refused for every file
            os.chmod(target, stat.S_IMODE(mode))
            return digest or file_sha256(Path(target))
        # A copy is hashed as it is written, unless the digest is known already (keep: the
        # file was hashed as it was staged); then the kernel copies it (copy_contents).
        hasher = hashlib.sha256()
        with open(source, "rb") as src, open(target, "xb") as dst:
            if digest is not None:
                copy_contents(src, dst)
            else:
                while chunk := src.read(_CHUNK):
                    hasher.update(chunk)
                    dst.write(chunk)
        os.chmod(target, stat.S_IMODE(mode))
        return digest if digest is not None else hasher.hexdigest()


def folders_of(paths: Iterable[str]) -> tuple[str, ...]:
    """Every folder on the way to ``paths`` (``a`` and ``a/b`` for ``a/b/c``), sorted: a
    folder's name is a prefix of its children's, so each comes after its parent and one
    ``mkdir`` each makes them all."""
    found: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in found:
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return tuple(sorted(found))


def _manifest_files(manifest: object, key: str) -> dict[str, tuple[int, int, int, str]] | None:
    """The manifest's files (path to size, permissions, modification time, in staging order)
    when it is well formed and for ``key``. Paths are not checked here: :func:`_same_tree`
    only accepts paths it finds in the tree."""
    if not isinstance(manifest, dict) or manifest.get("layout") != LAYOUT:
        return None
    rows = manifest.get("files")
    if manifest.get("key") != key or not isinstance(rows, list):
        return None
    if not isinstance(manifest.get("wheel"), dict):
        return None
    files: dict[str, tuple[int, int, int, str]] = {}
    for row in rows:
        if type(row) is not list or len(row) != 5:
            return None
        path, size, mode, mtime_ns, digest = row
        if type(path) is not str or type(size) is not int or type(mode) is not int:
            return None
        if type(mtime_ns) is not int or type(digest) is not str:
            return None
        files[path] = (size, mode, mtime_ns, digest)
    if len(files) != len(rows):
        return None  # a path listed twice
    return files


def _same_tree(tree: str, listed: Mapping[str, tuple[int, int, int, str]]) -> bool:
    """Whether the regular files under ``tree`` are exactly those ``listed``, with the same
    size, permissions and modification time, and nothing but folders is there besides.

    One directory read per folder and one ``lstat`` per file, on plain strings: this runs for
    every cached wheel of every install, so it is kept to what the check needs."""
    matched = 0
    pending = [("", tree)]
    try:
        while pending:
            prefix, folder = pending.pop()
            with os.scandir(folder) as found:
                for item in found:
                    rel = prefix + item.name
                    if item.is_dir(follow_symlinks=False):
                        pending.append((rel + "/", item.path))
                        continue
                    if not item.is_file(follow_symlinks=False):
                        return False  # a symbolic link, a device, ...
                    info = item.stat(follow_symlinks=False)
                    now = (info.st_size, stat.S_IMODE(info.st_mode), info.st_mtime_ns)
                    if listed.get(rel, ())[:3] != now:
                        return False
                    matched += 1
    except OSError:
        return False
    return matched == len(listed)
