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
   the host's), console scripts are made for the target's operating system, RECORD is written. With
   a cache of unpacked wheels (:mod:`tagpip.install.unpacked`), a wheel staged before for the same
   kind of target is hard-linked (or copied) from there instead, and a newly staged one is kept
   there; the staging folder and everything after it are the same either way.
3. **Commit.** Files of the projects being replaced (those their RECORD lists, plus the bytecode
   the target's interpreter may have written) move into a backup inside the staging folder, then
   the new files move into ``DIR``. Every move is journalled; any failure or interrupt (SIGINT and
   SIGTERM are held back during this phase and acted on between moves) undoes the journal in
   reverse, so ``DIR`` ends exactly as it was. Only after success are the staging folder and the
   folders the old versions left empty removed.

Each phase has its module: :mod:`tagpip.install.wheelcheck` (inspect), :mod:`tagpip.install.staging`
(stage), :mod:`tagpip.install.journal` (commit, the journal and the folder's lock);
:mod:`tagpip.install.installed` reads what the folder holds and decides what an upgrade may remove;
:mod:`tagpip.install.model` holds the results and errors this module re-exports. This module runs
the phases in order.

Layout in ``DIR`` (as pip's ``--target``): purelib, platlib and data at the top, scripts in
``bin/``, headers in ``include/python/NAME/``; RECORD paths are relative to ``DIR``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName

from tagpip.fs import why_unwritable, writable
from tagpip.install.installed import check_conflicts, files_to_replace, find_installed
from tagpip.install.journal import (
    STAGE_PREFIX,
    commit_moves,
    folder_lock,
    prune_empty,
    recover,
    stage_tag,
)
from tagpip.install.model import (
    FileConflict,
    Installed,
    InstallError,
    InstallFailed,
    InstallResult,
    InvalidWheel,
    NeedsUpgrade,
    Project,
    WheelProblem,
)
from tagpip.install.paths import FileSystem
from tagpip.install.staging import Unfetched, stage_wheels
from tagpip.install.unpacked import LinkMode, UnpackedCache
from tagpip.install.wheelcheck import InspectedWheel, contents_problems, inspect_or_recall, recall
from tagpip.target import Target

if TYPE_CHECKING:
    from installer.scripts import LauncherKind

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


LINK_MODES: tuple[LinkMode, ...] = ("clone", "copy", "hardlink")

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
        raise InstallError(
            f"cannot create {real_dir.parent}: {error.strerror or error}",
            hint=f"install into a folder you can write, or create {real_dir.parent} first",
        ) from None
    try:
        settings = replace(settings, work=_work_folder(real_dir))
        with folder_lock(real_dir, settings.report, beside=settings.work == real_dir.parent):
            notes = recover(real_dir)
            try:
                result = _install_once(paths, real_dir, settings, fetch)
            except Unfetched:
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
    # Where the lock file and the staging folder go: next to the folder, or in it (see
    # _work_folder); set once the folder's parents exist.
    work: Path | None = None


def _install_once(
    paths: Sequence[Path],
    target_dir: Path,
    settings: _Settings,
    fetch: Callable[[Sequence[Path]], None] | None,
) -> InstallResult:
    """One try at :func:`install`; raises :class:`Unfetched`, having written nothing, when a
    wheel whose file is absent (with ``fetch`` only) cannot be staged from its entry."""
    upgrade, report, unpacked = settings.upgrade, settings.report, settings.unpacked
    kind, command = settings.kind, settings.command
    recalls = []
    for number, path in enumerate(paths):
        if unpacked is not None:
            report(f"looking up unpacked wheels: {number}/{len(paths)}")
        recalls.append(recall(path, unpacked, settings.digests, kind, command))
    unfetched = _fetch_needed(paths, [wheel for wheel, _ in recalls], fetch)
    target_dir = Path(os.path.realpath(target_dir))
    if target_dir.exists() and not target_dir.is_dir():
        raise InstallError(f"{target_dir} exists and is not a folder")

    inspected: list[InspectedWheel] = []
    problems: list[WheelProblem] = []
    results: list[tuple[InspectedWheel | None, list[WheelProblem]]] = []
    for number, (path, (wheel, keyed)) in enumerate(zip(paths, recalls)):
        report(f"checking wheels: {number}/{len(paths)}")
        results.append((wheel, []) if wheel is not None else inspect_or_recall(path, keyed))
    failed = any(found for _, found in results)
    for wheel, found in results:
        if wheel is not None and wheel.entry is None and failed:
            # Contents are otherwise checked while staging; a refusal reports them all now.
            # (A wheel with a cache entry had its contents checked when it was kept.)
            found = contents_problems(wheel.path)
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
    todo: list[InspectedWheel] = []
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
                suffix="-" + stage_tag(target_dir),
                dir=settings.work or _work_folder(target_dir),
            )
        )
        new_root = stage / "new"
        new_root.mkdir()
        written, sources = stage_wheels(
            todo, new_root, target_dir, kind, command, report, unpacked, unfetched, settings.fs
        )
        projects = {wheel.path.name: wheel.project.name for wheel in todo}
        rewritten = {rel: projects[name] for rel, name in written.items()}
        old_files, left = files_to_replace(target_dir, replaced, present, rewritten)
        notes.extend(left)
        check_conflicts(
            target_dir, present, written, set(old_files), fold_case=settings.fs != "posix"
        )
        report("moving into place")
        commit_moves(
            target_dir,
            sources,
            stage,
            list(written),
            old_files,
            lambda done, total: report(f"moving into place: {done}/{total} moves"),
        )
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
    report("removing the staging folder")
    prune_empty(target_dir, old_files)
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
    recalled: Sequence[InspectedWheel | None],
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


def _same_install(old: Installed, wheel: InspectedWheel) -> bool:
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


def _work_folder(target_dir: Path) -> Path:
    """Where the lock file and the staging folder go: next to the folder, unless the folder is
    a mount point of its own (renames must not cross file systems) or its parent cannot be
    written while the folder can (a folder the user owns inside one they do not, such as
    ``/opt/app``): then inside it, where both are removed at the end. Raises
    :class:`InstallError` naming the folder when neither can be written (a read-only file
    system, no permission), before anything is done. pip stages in the system's temporary
    folder and copies across; tagpip's moves need the folder's own file system."""
    parent = target_dir.parent
    exists = target_dir.is_dir()
    if exists and target_dir.stat().st_dev != parent.stat().st_dev:
        inside = True
    else:
        inside = exists and not writable(parent) and writable(target_dir)
    folder = target_dir if inside else parent
    if not writable(folder) or (exists and not writable(target_dir)):
        unwritable = target_dir if exists and not writable(target_dir) else folder
        what = (
            f"{target_dir} cannot be written"
            if unwritable == target_dir
            else (f"{target_dir} cannot be created: {unwritable} cannot be written")
        )
        raise InstallError(
            f"{what} ({why_unwritable(unwritable)})",
            hint="install into a folder you can write (--target), or make it writable",
        )
    return folder
