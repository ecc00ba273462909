"""The lock workflow: resolving for a lock (the pins of an existing lock kept where they still
fit, sources built so that a lock never holds what cannot be delivered) and fetching from one
(the files a target installs, locked sdists built again after their locked hash is checked).

``tagpip lock`` is :func:`resolve_for_lock` then :meth:`Locking.lock`; ``download -r LOCK`` and
``install -r LOCK`` are :func:`lock_inputs` then :meth:`LockedRun.select`. What the command line
keeps is settling options, the progress on the terminal, and printing: notes and warnings come
back through the callbacks, in the order they happen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.utils import NormalizedName

from tagpip.build import SourceBuilder, lockable_pins
from tagpip.config import IndexOptions
from tagpip.errors import UsageError
from tagpip.index import DistFile, Index
from tagpip.lock import (
    Lock,
    LockError,
    kept_note,
    kept_pins,
    lock_from_resolutions,
    lock_hashes,
    locked_sdist_target,
    pins_from_lock,
    read_lock,
    usable_kept,
)
from tagpip.requirements import TaggedRequirement, parse_line
from tagpip.resolution import Pin, Resolution
from tagpip.target import Target
from tagpip.workflow.fetch import Resolved, RunSettings, build_pins, resolve_for
from tagpip.workflow.inputs import Inputs

__all__ = [
    "LockedRun",
    "LockedSet",
    "Locking",
    "lock_inputs",
    "parse_upgrade_packages",
    "resolve_for_lock",
]


# --- locking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locking:
    """What a lock is made of: one resolution per target (a pin built from its sdist keeps the
    sdist, the file the index serves) and, by sdist URL, the wheel each locked sdist built."""

    resolutions: tuple[Resolution, ...]
    built: Mapping[str, DistFile] = field(default_factory=dict)

    def lock(self, index: Index, options: IndexOptions) -> Lock:
        """The lock: every pin with the hashes of its files (read through ``index`` where the
        index gives none) and the index each came from."""
        return lock_from_resolutions(
            self.resolutions, index, index_urls=options.index_urls, built=dict(self.built)
        )


def parse_upgrade_packages(texts: Sequence[str]) -> list[TaggedRequirement]:
    """``--upgrade-package`` values (``NAME`` or ``NAME==VERSION``) as requirement lines: each
    frees its project's pin from the existing lock, and one with a version also constrains it."""
    return [
        parse_line(text, source="--upgrade-package", line=number)
        for number, text in enumerate(texts, start=1)
    ]


def resolve_for_lock(
    inputs: Inputs,
    targets: Sequence[Target],
    index: Index,
    options: IndexOptions,
    settings: RunSettings,
    *,
    existing: Lock | None = None,
    upgrade: Sequence[TaggedRequirement] = (),
    on_note: Callable[[str], None] | None = None,
    on_resolved: Callable[[Resolved], None] | None = None,
    on_progress: Callable[[str], None] | None = None,
    on_build: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> Locking:
    """Resolve the inputs for each target as ``tagpip lock`` does.

    The pins of ``existing`` (the lock being made again) are kept where they still fit, as
    pip-tools keeps them (:func:`tagpip.lock.resolve_keeping`), but for the projects
    ``upgrade`` names (:func:`parse_upgrade_packages`); ``on_note`` hears one line per pin not
    kept and why. ``on_resolved`` sees each target's :class:`Resolved` as soon as it is there
    (its warnings are for the user). A pin from a local folder or a VCS URL is refused
    (:func:`tagpip.build.lockable_pins`); a pin that comes from an sdist is built now, so that a
    lock never holds what cannot be delivered."""
    freed = {line.name for line in upgrade}
    constraints = [line for line in upgrade if line.requirement.specifier]
    resolutions: list[Resolution] = []
    built: dict[str, DistFile] = {}
    for target in targets:
        kept = {}
        notes: list[str] = []
        if existing is not None:
            kept = kept_pins(existing, target, several=len(targets) > 1)
            notes += filter(None, [kept_note(existing, target)])
        kept = {name: pin for name, pin in kept.items() if name not in freed}
        kept, dropped = usable_kept(kept, target, index, settings.policy)
        for note in (*notes, *dropped):
            if on_note is not None:
                on_note(note)
        resolved = resolve_for(
            inputs,
            index,
            target,
            options,
            settings,
            on_progress=on_progress,
            on_build=on_build,
            on_warning=on_warning,
            kept=kept,
            constraints=constraints,
        )
        if on_resolved is not None:
            on_resolved(resolved)
        resolution, builder = resolved.resolution, resolved.builder
        resolution = dataclasses.replace(
            resolution, pins=tuple(lockable_pins(resolution.pins, builder))
        )
        for pin, wheel in zip(resolution.pins, build_pins(resolution.pins, builder)):
            if not pin.file.is_wheel:
                built[pin.file.url] = wheel.file
        resolutions.append(resolution)
    return Locking(tuple(resolutions), built)


# --- fetching from a lock --------------------------------------------------------------------


def lock_inputs(requirement_files: Sequence[str]) -> Lock | None:
    """The lock among ``-r`` files, or None when none of them is a lock."""
    locks = [(path, read_lock(path)) for path in requirement_files]
    found = [(path, lock) for path, lock in locks if lock is not None]
    if not found:
        return None
    if len(requirement_files) > 1:
        raise UsageError(
            f"{found[0][0]} is a lock file: give it as the only -r",
            hint="a lock already holds the whole set; lock the other files together with it",
        )
    return found[0][1]


# Makes the builder of a locked sdist's target, which checks the sdist against the given
# hashes (the lock's), or None when the run builds nothing.
MakeBuilder = Callable[
    [Index, Target, Mapping[NormalizedName, Sequence[str]]], "SourceBuilder | None"
]


@dataclass(frozen=True)
class LockedRun:
    """What a lock given as ``-r`` means for a run: the lock, the targets it is read for
    (none: every file of every section), the index options to fetch with, and how a locked
    sdist's builder is made."""

    lock: Lock
    targets: tuple[Target, ...]
    options: IndexOptions
    builder: MakeBuilder | None = None

    def select(self, index: Index) -> LockedSet:
        """The files to fetch, each once, with the target each is for and the lock's hashes.

        A locked sdist is replaced by the wheel it builds for its target (the given one, else
        the one its tagged line names), taken from the build cache when that holds it; its
        builder is made with the lock's hashes, so it checks the sdist against the locked hash
        first, and the built wheel's sha256 joins the hashes the download checks.
        """
        chosen: dict[str, tuple[DistFile, Target | None]] = {}
        for target in self.targets or (None,):
            for file in pins_from_lock(self.lock, index, target):
                chosen.setdefault(file.url, (file, target))
        hashes = lock_hashes(self.lock)
        builders: dict[Target, SourceBuilder | None] = {}
        files = []
        for file, target in chosen.values():
            if not file.is_wheel:
                where = f"{self.lock.path}: {file.project} {file.version}"
                build_for = target or locked_sdist_target(self.lock, file)
                if build_for is None:
                    raise LockError(
                        f"{where} is locked as its sdist {file.filename}, which is built for "
                        "the target: say which target",
                        hint="give the target with --preset, --target-file, --from-python, or "
                        "--platform and --python-version",
                    )
                if build_for not in builders:
                    # The sdist must have a locked hash (a copy: built wheels join below).
                    locked = {name: list(values) for name, values in hashes.items()}
                    made = self.builder(index, build_for, locked) if self.builder else None
                    builders[build_for] = made
                builder = builders[build_for]
                if builder is None or not builder.allows(file.project):
                    raise LockError(
                        f"{where} is locked as its sdist {file.filename}, and this run does "
                        "not build sources (--no-build, --no-build-package or --only-binary); "
                        "tagpip refused it",
                        hint="drop that option, or lock a version that ships a wheel",
                    )
                built = builder.wheel(file)
                digest = dict(built.file.hashes)["sha256"]
                hashes.setdefault(file.project, []).append(f"sha256:{digest}")
                file = built.file
            files.append((file, target))
        kept = tuple(b for b in builders.values() if b is not None)
        return LockedSet(tuple(files), hashes, kept)


@dataclass(frozen=True)
class LockedSet:
    """The locked files (each with the target it was selected for, None when no target was
    given) and, per project, the ``algo:hex`` hashes the lock allows."""

    files: tuple[tuple[DistFile, Target | None], ...]
    hashes: dict[NormalizedName, list[str]]
    # The builders whose wheels are among ``files`` (kept: without a cache, they live in the
    # builders' temporary folders).
    builders: tuple[SourceBuilder, ...] = field(default=(), compare=False)

    def pins(self) -> list[Pin]:
        """The files as pins, for the pip backend (each needs its target)."""
        pins = []
        for file, target in self.files:
            assert target is not None
            pins.append(Pin(file.project, file.version, file, frozenset(), (), (), target))
        return pins
