"""Locking again: resolving with the pins of an existing lock kept where they still fit, and the
notes that say which pins were not kept and why (pip-tools' behaviour with an existing output
file). Works on the :class:`~tagpip.lock.model.Lock` model, so a tagged lock and a pylock are
kept alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    NormalizedName,
    canonicalize_name,
)
from packaging.version import Version

from tagpip.errors import TagpipError
from tagpip.index import DistFile, Index, files_of_version
from tagpip.lock.model import (
    Lock,
    holds,
)
from tagpip.requirements import TaggedRequirement, parse_line
from tagpip.resolution import (
    DEFAULT_POLICY,
    NoWheelForTarget,
    Policy,
    Resolution,
    ResolutionImpossible,
    resolve,
)
from tagpip.target import Target

__all__ = ["kept_note", "kept_pins", "resolve_keeping", "usable_kept"]


def resolve_keeping(
    requirements: Sequence[TaggedRequirement],
    target: Target,
    index: Index,
    kept: Mapping[NormalizedName, tuple[Version, str]],
    *,
    constraints: Sequence[TaggedRequirement] = (),
    **options: Any,
) -> Resolution:
    """:func:`tagpip.resolution.resolver.resolve`, preferring the versions of ``kept`` (name ->
    (version, ``FILE:LINE`` it was locked at)) as pip-tools does with an existing output file.

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
            resolution = resolve(
                requirements, target, index, constraints=[*constraints, *lines], **options
            )
            # The kept pins were preferences, not the user's constraints: the explanations
            # made of the resolution name only the constraints the run was given.
            return dataclasses.replace(resolution, constraints=tuple(constraints))
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
            if package.marker is not None and not holds(package.marker, target):
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
    policy: Policy = DEFAULT_POLICY,
) -> tuple[dict[NormalizedName, tuple[Version, str]], list[str]]:
    """The kept pins the target can use under the run's ``policy``, and one line for each
    dropped one (which and why).

    A pin is dropped at once when its version has no file the target can use: no wheel whose
    tags fit (and no sdist), or only wheels whose Requires-Python excludes the target. Kept,
    such a pin is a constraint no candidate meets, which the resolver backtracks around for a
    long time before giving up on it. The projects' pages are fetched together first (they are
    what the resolution needs anyway).
    """
    if kept:
        index.prefetch_projects(sorted(kept))
    usable: dict[NormalizedName, tuple[Version, str]] = {}
    notes: list[str] = []
    for name, (version, where) in sorted(kept.items()):
        try:
            files = files_of_version(index.files(name), version)
        except TagpipError:
            usable[name] = (version, where)  # the resolution will say what is wrong
            continue
        why = _unusable(files, target, ignore_requires_python=policy.ignore_requires_python)
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
