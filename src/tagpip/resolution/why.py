"""Words for what a target gets and why: short summaries of the tags a release ships, the
known binary twins of source-only projects, the downgrades a target forces, the explanation of
one project (``tagpip why``) and the project x target table (``tagpip matrix``).

Errors carry the data (every tag, every version); this module turns it into the one or two lines
a user reads, so that a "no wheel" error says what would work instead of printing kilobytes of
tags (the full lists stay on the error, shown under ``-v``).

Explanations are computed after the resolution, from the index's data and the rules the
resolution ran under (:class:`Policy`), never by hooking into the resolver: the resolver stays
free to change how it searches, and the explanation describes the result, which is what the user
asks about. The one rule shared with the resolver (why a file is unusable whatever its tags) is
the candidate finder's own (:meth:`tagpip.resolution.candidates.CandidateFinder.rejection`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

from tagpip.errors import TagpipError
from tagpip.index import ACTIVE, ProjectStatus

TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.requirements import Requirement as PackagingRequirement
    from packaging.utils import NormalizedName

    from tagpip.config import ReleaseControl
    from tagpip.index import DistFile, Index
    from tagpip.requirements import TaggedRequirement
    from tagpip.resolution.candidates import CandidateFinder
    from tagpip.resolution.resolver import NoWheelForTarget, Pin, Resolution
    from tagpip.target import Target

__all__ = [
    "BINARY_TWINS",
    "Cell",
    "Considered",
    "Downgrade",
    "Explanation",
    "Matrix",
    "NotResolved",
    "Policy",
    "downgrades",
    "explain",
    "matrix",
    "no_wheel_text",
    "summarise_tags",
]

# Projects that publish sources only (or sources first) and a twin that publishes wheels of the
# same code. Sources: psycopg2's docs, "psycopg2 vs psycopg2-binary"
# (https://www.psycopg.org/docs/install.html#psycopg-vs-psycopg-binary); psycopg 3's docs
# (https://www.psycopg.org/psycopg3/docs/basic/install.html#binary-installation); mysqlclient has
# no twin, PyMySQL is pure Python but a different API, so it is not listed.
BINARY_TWINS: dict[str, str] = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",
}


def _natural(text: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


# The legacy names of glibc levels, which a wheel usually carries next to the new name.
_LEGACY = {
    "manylinux_2_5": "manylinux1",
    "manylinux_2_12": "manylinux2010",
    "manylinux_2_17": "manylinux2014",
}
_LAST = {"macOS": 1, "Windows": 2, "any platform": 3}


def _family(platform: str) -> str:
    """A platform tag without its architecture, in words where the level does not matter."""
    if platform == "any":
        return "any platform"
    if platform.startswith("macosx_"):
        return "macOS"
    if platform.startswith("win"):
        return "Windows"
    for prefix in ("manylinux_", "musllinux_"):
        if platform.startswith(prefix):
            family = "_".join(platform.split("_")[:3])
            return _LEGACY.get(family, family)
    for legacy in ("manylinux1", "manylinux2010", "manylinux2014"):
        if platform.startswith(legacy):
            return legacy
    return platform.rsplit("_", 1)[0] if "_" in platform else platform


def summarise_tags(tags: Iterable[str]) -> str:
    """``cp39-cp313 for manylinux_2_28, macOS, Windows`` for a release's wheel tags
    (``python-abi-platform`` strings); ``no wheels`` when there are none."""
    pythons: set[str] = set()
    families: dict[str, None] = {}
    for tag in tags:
        python, _, rest = tag.partition("-")
        _, _, platform = rest.partition("-")
        pythons.add(python)
        families.setdefault(_family(platform), None)
    if not pythons:
        return "no wheels (sources only)"
    ordered = sorted(pythons, key=_natural)
    python_text = ordered[0] if len(ordered) == 1 else f"{ordered[0]}-{ordered[-1]}"
    if len(ordered) == 2:
        python_text = f"{ordered[0]}, {ordered[1]}"
    order = sorted(families, key=lambda f: (_LAST.get(f, 0), _natural(f)))
    return f"{python_text} for {', '.join(order)}"


def no_wheel_text(error: NoWheelForTarget) -> tuple[str, str, tuple[str, ...]]:
    """The message, the hint and the full tag lists (for ``-v``) of a "no wheel" error: one
    summary line per release, what would work instead, never a dangling reference."""
    project = error.project
    matching = f" matching {error.specifier}" if error.specifier else ""
    who = ", ".join(error.required_by)
    lines = [f"no wheel of {project}{matching} for {error.target} (required by {who})"]
    details = []
    if error.only_sdists and not error.passed_over:
        lines.append(f"  {project} publishes only sdists, and this run does not build them")
    elif not error.only_sdists:
        for version, tags in error.shipped:
            lines.append(f"  {project} {version} ships {summarise_tags(tags)}")
            details.append(f"{project} {version} ships: {', '.join(tags) or 'no wheels'}")
    for version, reason in error.passed_over:
        lines.append(f"  {project} {version}: {reason}")
    twin = BINARY_TWINS.get(project)
    specific = _implementation_specific(error)
    if specific is not None:
        # A target of no particular implementation (py312, --implementation py) takes only
        # generic wheels; the releases ship CPython's (or PyPy's) own.
        hint = (
            f"{project}'s wheels are built for one implementation ({specific}), and the target "
            f"names none (a py tag or --implementation py): name {specific} instead"
        )
    elif twin is not None:
        hint = f"{twin} publishes wheels of the same code: require it instead of {project}"
    elif error.fits_elsewhere is not None:
        newest = error.fits_elsewhere
        hint = (
            f"{project} {newest} is the newest version with a wheel for this target: "
            f"require {project}=={newest}, or choose a target the newer releases support"
        )
    elif error.passed_over:
        hint = (
            f"build {project}'s wheel on the target itself (or a machine like it) and pass its "
            "folder with -f, or choose another project"
        )
    elif error.only_sdists:
        hint = "build the wheel for the target yourself, or choose another project"
    else:
        hint = f"no version of {project} has a wheel for this target: choose a target it supports"
    if details:
        hint += " (-v lists every tag)"
    return "\n".join(lines), hint, tuple(details)


def _implementation_specific(error: NoWheelForTarget) -> str | None:
    """The interpreter tag (``cp312``) of the newest release's wheels when the target is of no
    particular implementation (described as plain "Python X.Y") and the wheels for its version
    are all of one implementation; None otherwise."""
    if not error.target.startswith("Python ") or not error.shipped:
        return None
    version = error.target.split()[1].replace(".", "")
    pythons = {tag.partition("-")[0] for tag in error.shipped[0][1]}
    wanted = {p for p in pythons if p.endswith(version) and not p.startswith("py")}
    return sorted(wanted)[0] if len(wanted) == 1 else None


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
    only a newer release that has no wheel for the target, or needs a newer Python, counts)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

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
            files = tuple(f for f in releases.of_version(version) if f.yanked is None)
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


# --------------------------------------------------------------------------------------------
# One project: tagpip why NAME


@dataclass(frozen=True)
class Policy:
    """The rules a resolution ran under, which explaining it applies again: the user's lines
    and constraint lines, pre-releases, Requires-Python, and the upload cut-offs."""

    requirements: tuple[TaggedRequirement, ...] = ()
    constraints: tuple[TaggedRequirement, ...] = ()
    pre: bool | ReleaseControl = False
    ignore_requires_python: bool = False
    exclude_newer: datetime.datetime | None = None
    uploaded_prior_to: datetime.datetime | None = None


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


@dataclass(frozen=True)
class _Demand:
    """One requirement on the project in the final resolution: ``who`` made it (``FILE:LINE``
    or ``app 1.0``), what it ``wants`` as written, and its ``kind``."""

    who: str
    wants: str
    specifier: Any  # packaging SpecifierSet
    kind: str  # "line", "parent" or "constraint"

    def excludes(self) -> str:
        if self.kind == "parent":
            return f"is excluded by {self.who}, which requires {self.wants}"
        if self.kind == "constraint":
            return f"is excluded by the constraint {self.who}: {self.wants}"
        return f"is excluded by {self.who}: {self.wants}"

    def clashes(self, wants: str) -> str:
        if self.kind == "parent":
            return f"requires {wants}, which conflicts with {self.who} requiring {self.wants}"
        if self.kind == "constraint":
            return f"requires {wants}, which conflicts with the constraint {self.who}: {self.wants}"
        return f"requires {wants}, which conflicts with {self.who}: {self.wants}"


def explain(name: str, resolution: Resolution, index: Index, policy: Policy) -> Explanation:
    """Why ``resolution`` holds the version and file of ``name`` that it holds.

    Raises :class:`NotResolved` when the project is not in it (saying which requirement names it
    under a marker that is false for the target, if one does)."""
    from packaging.utils import canonicalize_name

    from tagpip.resolution.candidates import CandidateFinder

    wanted = canonicalize_name(name)
    try:
        pin = resolution[wanted]
    except KeyError:
        raise NotResolved(
            wanted,
            resolution.target.describe(),
            _skipped(wanted, resolution, index, policy),
            [p.name for p in resolution.pins],
        ) from None
    finder = CandidateFinder(
        index,
        resolution.target,
        pre=policy.pre,
        ignore_requires_python=policy.ignore_requires_python,
        exclude_newer=policy.exclude_newer,
        uploaded_prior_to=policy.uploaded_prior_to,
    )
    demands = _demands_on(pin, resolution, index, policy)
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


def _where(line: TaggedRequirement) -> str:
    """``FILE:LINE: text``, the text as the user wrote it."""
    return f"{_place(line)}: {_text(line)}"


def _place(line: TaggedRequirement) -> str:
    return f"{line.span.source}:{line.span.line}"


def _text(line: TaggedRequirement) -> str:
    span = line.span
    return span.text[span.start : span.end].strip()


def _requirement_text(requirement: PackagingRequirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def _applies(requirement: PackagingRequirement, target: Target, extras: Iterable[str]) -> bool:
    """Whether a Requires-Dist entry holds for the target; a marker the target cannot decide
    counts as false here (the resolution, which succeeded, did not need it)."""
    from tagpip.target import TargetError

    if requirement.marker is None:
        return True
    try:
        return target.evaluate(requirement.marker, tuple(extras))
    except TargetError:
        return False


def _requires(parent: Pin, name: str, index: Index) -> list[PackagingRequirement]:
    """The entries of ``parent``'s metadata that require ``name`` for its target and extras
    (none when the metadata cannot be read: an sdist the run built)."""
    from packaging.utils import canonicalize_name

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


def _demands_on(pin: Pin, resolution: Resolution, index: Index, policy: Policy) -> list[_Demand]:
    """Every requirement on ``pin``'s project in the final state: the user's lines, the pinned
    parents' Requires-Dist entries, the constraints (in that order)."""
    demands = [
        _Demand(_place(line), _text(line), line.requirement.specifier, "line") for line in pin.lines
    ]
    for parent_name in pin.required_by:
        parent = resolution[parent_name]
        for dependency in _requires(parent, pin.name, index):
            who = f"{parent.name} {parent.version}"
            wants = _requirement_text(dependency)
            demands.append(_Demand(who, wants, dependency.specifier, "parent"))
    for line in policy.constraints:
        if line.name == pin.name and (
            line.requirement.marker is None or _marker_holds(line, resolution.target)
        ):
            demands.append(
                _Demand(_place(line), _text(line), line.requirement.specifier, "constraint")
            )
    return demands


def _marker_holds(line: TaggedRequirement, target: Target) -> bool:
    from tagpip.target import TargetError

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
    demands: Sequence[_Demand],
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
    from packaging.utils import canonicalize_name

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
        for demand in _demands_on(other, resolution, index, Policy()):
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
    from packaging.utils import canonicalize_name

    from tagpip.resolution.candidates import Requirement

    name = canonicalize_name(dependency.name)
    wanted = Requirement(name, dependency.specifier)
    return next(iter(finder.iter_candidates(name, frozenset(), [wanted])), None) is not None


def _chains(pin: Pin, resolution: Resolution, index: Index) -> tuple[tuple[str, ...], ...]:
    """The ways ``pin`` came in: its own user lines, then for each pinned parent the shortest
    path from a user's line down to it."""
    chains: list[tuple[str, ...]] = [(_where(line),) for line in pin.lines]
    path = _shortest_paths(resolution)
    for parent_name in pin.required_by:
        names = path.get(parent_name)
        if names is None:
            continue
        root = resolution[names[0]]
        if not root.lines:
            continue
        steps = [_where(root.lines[0])]
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


def _skipped(name: str, resolution: Resolution, index: Index, policy: Policy) -> list[str]:
    """The requirements on ``name`` that a false marker switched off for the target: the
    user's lines, then the pinned projects' metadata."""
    from packaging.utils import canonicalize_name

    found = [
        f"{_place(line)}: {_requirement_text(line.requirement)} applies only when "
        f"{line.requirement.marker}, which is false for this target"
        for line in policy.requirements
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


# --------------------------------------------------------------------------------------------
# Several targets: tagpip matrix


@dataclass(frozen=True)
class Cell:
    """One project for one target: the chosen ``version`` and ``filename``, or the short
    ``reason`` it has none (``no wheel``, ``not needed``, ``unresolved``...)."""

    version: Version | None = None
    filename: str | None = None
    reason: str | None = None

    def text(self) -> str:
        return str(self.version) if self.version is not None else str(self.reason)

    def to_json(self) -> dict[str, str | None]:
        if self.version is not None:
            return {"version": str(self.version), "file": self.filename}
        return {"version": None, "reason": self.reason}


@dataclass(frozen=True)
class Matrix:
    """Projects x targets. ``targets`` are the targets' descriptions; ``errors`` the message of
    each target's failed resolution (None when it resolved); ``rows`` one project each, sorted,
    with one cell per target in the targets' order."""

    targets: tuple[str, ...]
    errors: tuple[str | None, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...] = field(default=())

    def lines(self) -> list[str]:
        """The table, aligned, then what each failing target's resolution said."""
        table = [("project", *self.targets)]
        table += [(name, *(cell.text() for cell in cells)) for name, cells in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        out = ["  ".join(f"{v:<{w}}" for v, w in zip(row, widths)).rstrip() for row in table]
        for target, error in zip(self.targets, self.errors):
            if error is not None:
                out.append(f"{target} does not resolve:")
                out.extend(f"  {line}" for line in error.splitlines())
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"targets": [{"target", "error"}], "projects": [{"name", "cells"}]}``, the cells
        in the targets' order (docs/why.md)."""
        return {
            "targets": [
                {"target": target, "error": error}
                for target, error in zip(self.targets, self.errors)
            ],
            "projects": [
                {"name": name, "cells": [cell.to_json() for cell in cells]}
                for name, cells in self.rows
            ],
        }


def matrix(outcomes: Sequence[tuple[Target, Resolution | TagpipError]]) -> Matrix:
    """The table of what each target gets: for a target that resolved, each project's version
    (``not needed`` where its markers leave a project out); for one that did not, the short
    reason against the projects the failure names and ``unresolved`` against the rest."""
    from tagpip.resolution.resolver import Resolution

    cells: dict[str, dict[int, Cell]] = {}
    errors: list[str | None] = []
    for column, (_, outcome) in enumerate(outcomes):
        if isinstance(outcome, Resolution):
            errors.append(None)
            for pin in outcome.pins:
                cell = Cell(pin.version, pin.file.filename)
                cells.setdefault(pin.name, {})[column] = cell
        else:
            errors.append(_message(outcome))
            for name, reason in _short_reasons(outcome).items():
                cells.setdefault(name, {})[column] = Cell(reason=reason)
    rows = []
    for name in sorted(cells):
        row = []
        for column in range(len(outcomes)):
            default = "unresolved" if errors[column] is not None else "not needed"
            row.append(cells[name].get(column, Cell(reason=default)))
        rows.append((name, tuple(row)))
    targets = tuple(target.describe() for target, _ in outcomes)
    return Matrix(targets, tuple(errors), tuple(rows))


def _message(error: TagpipError) -> str:
    return error.message + (f"\nhint: {error.hint}" if error.hint else "")


_UNUSABLE = "every matching version is unusable: "


def _short_reasons(error: TagpipError) -> Mapping[str, str]:
    """A few words per project a failed resolution names."""
    from tagpip.resolution.candidates import PYTHON
    from tagpip.resolution.resolver import NoWheelForTarget, ResolutionImpossible, UnknownProject

    if isinstance(error, NoWheelForTarget):
        elsewhere = error.fits_elsewhere
        return {error.project: f"no wheel ({elsewhere} has one)" if elsewhere else "no wheel"}
    if isinstance(error, UnknownProject):
        return {error.project: "not on the index"}
    if not isinstance(error, ResolutionImpossible):
        return {}
    found: dict[str, str] = {}
    for conflict in error.conflicts:
        if conflict.project == PYTHON:
            for demand in conflict.demands:
                if demand.parent is not None:
                    parent = demand.parent.split("==")[0].split("[")[0]
                    found.setdefault(parent, f"needs {demand.requirement}")
            continue
        reason = conflict.reason or ""
        if reason.startswith(_UNUSABLE):
            first = reason[len(_UNUSABLE) :].split("; ")[0]
            words = first.split(" ", 1)[1] if " " in first else first
            short = "needs Python " + words.split("Python ", 1)[1] if "Python" in words else ""
            found.setdefault(conflict.project, short or "no usable version")
        elif reason.startswith("no version matches"):
            found.setdefault(conflict.project, "no matching version")
        else:
            found.setdefault(conflict.project, "conflict")
    return found
