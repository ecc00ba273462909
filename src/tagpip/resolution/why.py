"""Words for what a target gets and why: short summaries of the tags a release ships, the
known binary twins of source-only projects, the downgrades a target forces, the explanation of
one project (``tagpip why``) and the project x target table (``tagpip matrix``).

Errors carry the data (every tag, every version); this module turns it into the one or two lines
a user reads, so that a "no wheel" error says what would work instead of printing kilobytes of
tags (the full lists stay on the error, shown under ``-v``).

Explanations are computed after the resolution, from the index's data and the rules the
resolution ran under (the :class:`~tagpip.resolution.policy.Policy` it records), never by hooking
into the resolver: the resolver stays free to change how it searches, and the explanation
describes the result, which is what the user asks about. The one rule shared with the resolver
(why a file is unusable whatever its tags) is
the candidate finder's own (:meth:`tagpip.resolution.candidates.CandidateFinder.rejection`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    NormalizedName,
    canonicalize_name,
)
from packaging.version import Version

from tagpip.errors import TagpipError
from tagpip.index import ACTIVE, DistFile, Index, ProjectStatus
from tagpip.requirements import TaggedRequirement
from tagpip.resolution.candidates import CandidateFinder, Requirement
from tagpip.resolution.errors import Demand, place, summarise_tags
from tagpip.resolution.results import Pin, Resolution
from tagpip.target import Target, TargetError

__all__ = [
    "Considered",
    "Downgrade",
    "Explanation",
    "NotResolved",
    "downgrades",
    "explain",
]


@dataclass(frozen=True)
class Downgrade:
    """A project pinned below the newest release its requirements allow, because of the target:
    ``newest`` ships no wheel for it or needs a newer Python (``reason``)."""

    name: str
    chosen: Version
    newest: Version
    reason: str

    def describe(self) -> str:
        return f"{self.name} {self.chosen}, not {self.newest}: {self.newest} {self.reason}"


def downgrades(resolution: Resolution, index: Index) -> list[Downgrade]:
    """The pins the target forced below the newest final release the user's own lines on the
    project allow (a dependency's pins and other projects' demands are not the target's doing:
    only a newer release that has no wheel for the target, or needs a newer Python, counts).
    A release whose files the resolution's policy leaves out (the upload cut-offs) was never
    on offer, so it does not count either."""
    from packaging.specifiers import InvalidSpecifier

    found: list[Downgrade] = []
    for pin in resolution.pins:
        if any(line.requirement.url for line in pin.lines):
            continue
        releases = index.releases(pin.name)
        # Only the versions above the pin are built into records, newest first, and only until
        # the newest allowed one with a file that is not yanked (a page may list thousands).
        newest: Version | None = None
        files: tuple[DistFile, ...] = ()
        for version in releases.versions():
            if version <= pin.version:
                break
            if version.is_prerelease or not all(
                line.requirement.specifier.contains(version) for line in pin.lines
            ):
                continue
            files = tuple(
                f
                for f in releases.of_version(version)
                if f.yanked is None and resolution.policy.upload_rejection(f.upload_time) is None
            )
            if files:
                newest = version
                break
        if newest is None:
            continue
        wheels = [f for f in files if f.is_wheel and pin.target.wheel_rank(f.tags) is not None]
        if not wheels:
            reason = _no_wheel_reason(pin, newest, files, resolution)
        else:
            needs = []
            for f in wheels:
                try:
                    spec = SpecifierSet(f.requires_python or "")
                except InvalidSpecifier:
                    spec = SpecifierSet()
                if pin.target.allows_requires_python(spec):
                    break
                needs.append(str(spec))
            else:
                reason = f"requires Python {needs[0]}"
                found.append(Downgrade(pin.name, pin.version, newest, reason))
            continue
        found.append(Downgrade(pin.name, pin.version, newest, reason))
    return found


def _no_wheel_reason(
    pin: Pin, newest: Version, files: Sequence[DistFile], resolution: Resolution
) -> str:
    """Why a newer release with no wheel for the target was not taken."""
    return _source_reason(pin, newest, files, resolution) or (
        f"ships no wheel for {pin.target.describe()}"
    )


def _source_reason(
    pin: Pin, version: Version, files: Sequence[DistFile], resolution: Resolution
) -> str | None:
    """For a release with no wheel for the target but an sdist: its sdist was ruled out (needs
    compiling, its build failed or came out impure), or wheels come first and it could be
    built on request; None when it has no sdist the run could build."""
    target = pin.target.describe()
    ruled_out = resolution.passed_over.get(pin.name, {}).get(version)
    if ruled_out is not None:
        return f"ships only an sdist for {target}, and {ruled_out.splitlines()[0]}"
    sdists = [f for f in files if not f.is_wheel]
    if sdists and pin.name in resolution.buildable:
        return (
            f"ships only an sdist for {target}, and wheels come first (require "
            f"{pin.name}=={version} or pass --prefer-source {pin.name} to build it instead)"
        )
    return None


@dataclass(frozen=True)
class Considered:
    """Consecutive versions (newest first) passed over for the same ``reason``, which reads
    after the version: ``2.0 requires Python >=3.8``."""

    versions: tuple[Version, ...]
    reason: str

    def label(self) -> str:
        if len(self.versions) == 1:
            return str(self.versions[0])
        if len(self.versions) == 2:
            return f"{self.versions[0]}, {self.versions[1]}"
        return f"{self.versions[-1]} to {self.versions[0]} ({len(self.versions)} versions)"


@dataclass(frozen=True)
class Explanation:
    """Why a target gets the version and file of one project it gets.

    ``chains`` are the ways the project came in, each from a user's line (``FILE:LINE: text``)
    down through the dependencies (``app 1.0 requires helper>=1``); ``newer`` are the newer
    versions on the index and why each was passed over; ``older`` counts the older ones;
    ``rank`` and ``of`` place the chosen file's best tag (1-based) among the target's ``tag``s;
    ``status`` is what the index says of the project (PEP 792), shown unless it is active.
    """

    name: str
    version: Version
    target: str
    filename: str
    rank: int | None
    of: int
    tag: str | None
    chains: tuple[tuple[str, ...], ...]
    newer: tuple[Considered, ...]
    older: int
    status: ProjectStatus = ACTIVE

    def lines(self) -> list[str]:
        """The explanation as the user reads it."""
        out = [f"{self.name} {self.version} for {self.target}"]
        if not self.status.active:
            where = f" on {self.status.index}" if self.status.index else ""
            why = f" ({self.status.reason})" if self.status.reason else ""
            out.append(f"status (PEP 792): {self.status.state}{where}{why}")
        out.append("pulled in by:")
        for chain in self.chains:
            out.append(f"  {chain[0]}")
            out.extend(f"    {step}" for step in chain[1:])
        out.append("versions considered, newest first:")
        labels = [c.label() for c in self.newer] + [str(self.version)]
        width = max(len(label) for label in labels)
        for considered in self.newer:
            out.append(f"  {considered.label():<{width}}  {considered.reason}")
        out.append(f"  {self.version!s:<{width}}  chosen: {self.filename}")
        pad = " " * (width + 4)
        if self.rank is None:
            out.append(f"{pad}an sdist: built into a wheel for the target")
        else:
            out.append(f"{pad}rank {self.rank} of {self.of} tags: {self.tag}")
        if self.older:
            versions = "version" if self.older == 1 else "versions"
            out.append(f"  and {self.older} older {versions}, not needed")
        return out


class NotResolved(TagpipError):
    """The project asked about is not in the resolution for the target; ``skipped`` says which
    requirements name it under a marker that is false there."""

    def __init__(self, name: str, target: str, skipped: Sequence[str], pinned: Sequence[str]):
        self.name = name
        self.skipped = tuple(skipped)
        lines = [f"{name} is not in the resolution for {target}"]
        lines += [f"  {why}" for why in self.skipped]
        if self.skipped:
            hint = "nothing else pulls it in for this target"
        else:
            close = _close(name, pinned)
            hint = f"did you mean {close}? " if close else ""
            hint += "no requirement pulls it in; the resolution has " + (
                ", ".join(pinned) or "no projects"
            )
        super().__init__("\n".join(lines), hint=hint)


def _close(name: str, names: Sequence[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return found[0] if found else None


def explain(name: str, resolution: Resolution, index: Index) -> Explanation:
    """Why ``resolution`` holds the version and file of ``name`` that it holds.

    Raises :class:`NotResolved` when the project is not in it (saying which requirement names it
    under a marker that is false for the target, if one does)."""

    wanted = canonicalize_name(name)
    try:
        pin = resolution[wanted]
    except KeyError:
        raise NotResolved(
            wanted,
            resolution.target.describe(),
            _skipped(wanted, resolution, index),
            [p.name for p in resolution.pins],
        ) from None
    finder = CandidateFinder(index, resolution.target, policy=resolution.policy)
    demands = _demands_on(pin, resolution, index)
    rank = pin.target.wheel_rank(pin.file.tags) if pin.file.is_wheel else None
    newer: list[Considered] = []
    older = 0
    if not any(line.requirement.url for line in pin.lines):
        versions = sorted({f.version for f in finder.files(pin.name)}, reverse=True)
        older = sum(1 for v in versions if v < pin.version)
        for version in versions:
            if version <= pin.version:
                break
            reason = _passed_over(version, pin, resolution, index, finder, demands)
            if newer and newer[-1].reason == reason:
                newer[-1] = Considered((*newer[-1].versions, version), reason)
            else:
                newer.append(Considered((version,), reason))
    return Explanation(
        name=pin.name,
        version=pin.version,
        target=pin.target.describe(),
        filename=pin.file.filename,
        rank=None if rank is None else rank + 1,
        of=len(pin.target.tags),
        tag=None if rank is None else str(pin.target.tags[rank]),
        chains=_chains(pin, resolution, index),
        newer=tuple(newer),
        older=older,
        status=pin.status,
    )


def _cited(line: TaggedRequirement) -> str:
    """``FILE:LINE: text``, the text as the user wrote it."""
    return f"{place(line.span)}: {_text(line)}"


def _text(line: TaggedRequirement) -> str:
    span = line.span
    return span.text[span.start : span.end].strip()


def _requirement_text(requirement: PackagingRequirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def _applies(requirement: PackagingRequirement, target: Target, extras: Iterable[str]) -> bool:
    """Whether a Requires-Dist entry holds for the target; a marker the target cannot decide
    counts as false here (the resolution, which succeeded, did not need it)."""

    if requirement.marker is None:
        return True
    try:
        return target.evaluate(requirement.marker, tuple(extras))
    except TargetError:
        return False


def _requires(parent: Pin, name: str, index: Index) -> list[PackagingRequirement]:
    """The entries of ``parent``'s metadata that require ``name`` for its target and extras
    (none when the metadata cannot be read: an sdist the run built)."""

    if not parent.file.is_wheel:
        return []
    try:
        metadata = index.metadata(parent.file)
    except TagpipError:
        return []
    return [
        dependency
        for dependency in metadata.requires_dist or ()
        if canonicalize_name(dependency.name) == name
        and _applies(dependency, parent.target, parent.extras)
    ]


def _demands_on(
    pin: Pin, resolution: Resolution, index: Index, *, constraints: bool = True
) -> list[Demand]:
    """Every requirement on ``pin``'s project in the final state: the user's lines, the pinned
    parents' Requires-Dist entries, the constraints unless not ``constraints`` (in that
    order)."""
    demands = [
        Demand(_text(line), span=line.span, specifier=line.requirement.specifier)
        for line in pin.lines
    ]
    for parent_name in pin.required_by:
        parent = resolution[parent_name]
        for dependency in _requires(parent, pin.name, index):
            who = f"{parent.name} {parent.version}"
            wants = _requirement_text(dependency)
            demands.append(Demand(wants, parent=who, specifier=dependency.specifier))
    for line in resolution.constraints if constraints else ():
        if line.name == pin.name and (
            line.requirement.marker is None or _marker_holds(line, resolution.target)
        ):
            demands.append(
                Demand(
                    _text(line),
                    span=line.span,
                    constraint=True,
                    specifier=line.requirement.specifier,
                )
            )
    return demands


def _marker_holds(line: TaggedRequirement, target: Target) -> bool:

    assert line.requirement.marker is not None
    try:
        return target.evaluate(line.requirement.marker, ())
    except TargetError:
        return False


def _passed_over(
    version: Version,
    pin: Pin,
    resolution: Resolution,
    index: Index,
    finder: CandidateFinder,
    demands: Sequence[Demand],
) -> str:
    """Why a version newer than the pin was not chosen, as words that read after it."""
    if version.is_prerelease and not pin.version.is_prerelease:
        allowed = finder.allows_pre(pin.name)
        if allowed is False:
            return f"is a pre-release (--only-final excludes them for {pin.name})"
        if allowed is None:
            return "is a pre-release (--pre allows it)"
    for demand in demands:
        if not demand.specifier.contains(version, prereleases=True):
            return demand.excludes()
    files = [f for f in finder.files(pin.name) if f.version == version]
    wheels = [f for f in files if f.is_wheel]
    fitting = sorted(
        (rank, f.filename, f)
        for f in wheels
        for rank in [pin.target.wheel_rank(f.tags)]
        if rank is not None
    )
    if not fitting:
        from_source = _source_reason(pin, version, files, resolution)
        if from_source is not None:
            return from_source
        if not wheels:
            return "ships no wheel, only sources"
        shipped = summarise_tags(str(t) for f in wheels for t in f.tags)
        return f"ships no wheel for this target ({shipped})"
    exact = any(
        s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
        for demand in demands
        for s in demand.specifier
    )
    reasons = [finder.rejection(f, exact_pin=exact) for _, _, f in fitting]
    if all(reason is not None for reason in reasons):
        return str(reasons[0])
    best = next(f for (_, _, f), reason in zip(fitting, reasons) if reason is None)
    return _conflict(version, best, pin, resolution, index, finder)


def _conflict(
    version: Version,
    file: DistFile,
    pin: Pin,
    resolution: Resolution,
    index: Index,
    finder: CandidateFinder,
) -> str:
    """A usable newer version the resolver passed over: what in its metadata clashes with the
    rest of the resolution, named."""

    fallback = (
        f"was passed over by the resolver (require {pin.name}=={version} to see why it "
        "does not fit)"
    )
    try:
        metadata = index.metadata(file)
    except TagpipError:
        return fallback
    requires_python = metadata.requires_python
    if (
        requires_python is not None
        and not finder.ignore_requires_python
        and not pin.target.allows_requires_python(requires_python)
    ):
        return f"requires Python {requires_python} (in its metadata)"
    pinned = {p.name: p for p in resolution.pins}
    for dependency in metadata.requires_dist or ():
        if not _applies(dependency, pin.target, pin.extras):
            continue
        wants = _requirement_text(dependency)
        other = pinned.get(canonicalize_name(dependency.name))
        if other is None:
            if not _usable(finder, dependency):
                return f"requires {wants}, which has no usable version for this target"
            continue
        if dependency.specifier.contains(other.version, prereleases=True):
            continue
        available = {f.version for f in finder.files(other.name)}
        for demand in _demands_on(other, resolution, index, constraints=False):
            if not any(
                dependency.specifier.contains(v, prereleases=True)
                and demand.specifier.contains(v, prereleases=True)
                for v in available
            ):
                return demand.clashes(wants)
        return f"requires {wants}, but {other.name} {other.version} was chosen"
    return fallback


def _usable(finder: CandidateFinder, dependency: PackagingRequirement) -> bool:
    """Whether some version of a dependency has a usable wheel for the target (the finder's
    own answer, as the resolver would get it)."""

    name = canonicalize_name(dependency.name)
    wanted = Requirement(name, dependency.specifier)
    return next(iter(finder.iter_candidates(name, frozenset(), [wanted])), None) is not None


def _chains(pin: Pin, resolution: Resolution, index: Index) -> tuple[tuple[str, ...], ...]:
    """The ways ``pin`` came in: its own user lines, then for each pinned parent the shortest
    path from a user's line down to it."""
    chains: list[tuple[str, ...]] = [(_cited(line),) for line in pin.lines]
    path = _shortest_paths(resolution)
    for parent_name in pin.required_by:
        names = path.get(parent_name)
        if names is None:
            continue
        root = resolution[names[0]]
        if not root.lines:
            continue
        steps = [_cited(root.lines[0])]
        for upper, lower in zip(names, (*names[1:], pin.name)):
            parent = resolution[upper]
            wants = _requires(parent, lower, index)
            text = _requirement_text(wants[0]) if wants else lower
            steps.append(f"{parent.name} {parent.version} requires {text}")
        if tuple(steps) not in chains:
            chains.append(tuple(steps))
    return tuple(chains)


def _shortest_paths(resolution: Resolution) -> dict[str, tuple[str, ...]]:
    """For each pinned name, the shortest path of names from a root (a project the user's lines
    name) to it, breadth first in name order so the answer never depends on dict order."""
    found: dict[str, tuple[str, ...]] = {}
    queue: list[NormalizedName] = []
    for root in resolution.roots:
        if root in resolution.graph and root not in found:
            found[root] = (root,)
            queue.append(root)
    while queue:
        current = queue.pop(0)
        for child in resolution.graph.get(current, ()):
            if child not in found:
                found[child] = (*found[current], child)
                queue.append(child)
    return found


def _skipped(name: str, resolution: Resolution, index: Index) -> list[str]:
    """The requirements on ``name`` that a false marker switched off for the target: the
    user's lines, then the pinned projects' metadata."""

    found = [
        f"{place(line.span)}: {_requirement_text(line.requirement)} applies only when "
        f"{line.requirement.marker}, which is false for this target"
        for line in resolution.requirements
        if line.name == name
        and line.requirement.marker is not None
        and not _marker_holds(line, resolution.target)
    ]
    for pin in resolution.pins:
        if not pin.file.is_wheel:
            continue
        try:
            metadata = index.metadata(pin.file)
        except TagpipError:
            continue
        for dependency in metadata.requires_dist or ():
            if canonicalize_name(dependency.name) != name or dependency.marker is None:
                continue
            if not _applies(dependency, pin.target, pin.extras):
                found.append(
                    f"{pin.name} {pin.version} requires it only when {dependency.marker}, "
                    "which is false for this target"
                )
    return found
