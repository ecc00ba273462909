"""What an install is about and how it can fail: the projects, what a folder holds, the result, and
the errors, shared by the modules of the install stage (:mod:`tagpip.install.installer` re-exports
the public ones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from tagpip.errors import TagpipError

SCHEMES = ("purelib", "platlib", "headers", "scripts", "data")

READ_CHUNK = 1024 * 1024


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


def some_paths(paths: Sequence[str]) -> str:
    """A few paths for one line: ``a, b and 3 more files``."""
    shown = ", ".join(paths[:2])
    rest = len(paths) - 2
    return shown + (f" and {rest} more file{'s' if rest != 1 else ''}" if rest > 0 else "")
