"""The resolve stage: requirements + target + index -> one consistent set of pinned wheels.

Who does what:

* :class:`tagpip.resolution.candidates.CandidateFinder` knows the index's files: it decides which
  versions of a project can serve the target and with which wheel (tag rank, build tag, block,
  yanked, Requires-Python, pre-releases, constraints) and caches the candidates it makes.
* :class:`_Provider` is the thin resolvelib adapter: it names things (``identify``), orders work
  (``get_preference``), forwards ``find_matches`` to the finder and reads dependencies out of
  core metadata, evaluating each marker for the target. Its only other work is naming guesses
  worth fetching ahead (new dependencies' pages, the likely wheel's metadata).
* The :class:`tagpip.index.api.Index` fetches and caches pages and metadata, ahead of time when
  asked; a page the resolver demands never waits behind those guesses.
* :func:`resolve` turns the user's lines into resolver requirements, runs resolvelib, and turns the
  result into a :class:`Resolution`, or its failure into one of the errors below, in plain words.

Extras follow pip: ``name[extra]`` is its own node that depends on exactly the plain ``name``
candidate of the same version and wheel. A dependency whose metadata has a Requires-Python the
target fails depends on the ``<python>`` node, which then has no candidate.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

import resolvelib
from packaging.metadata import Metadata
from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from tagpip.config import ReleaseControl
from tagpip.errors import Span, TagpipError
from tagpip.hashes import fragment_hashes
from tagpip.index import ACTIVE, DistFile, Index, ProjectStatus
from tagpip.requirements import TaggedRequirement
from tagpip.resolution.candidates import (
    PYTHON,
    Candidate,
    CandidateFinder,
    Constraint,
    Requirement,
)
from tagpip.target import Target, TargetError, target_for_block
from tagpip.urls import redact_url

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

    from tagpip.build import SourceBuilder

    Information = RequirementInformation[Requirement, Candidate]
    Preference = tuple[Union[bool, int, str], ...]

__all__ = [
    "Conflict",
    "Demand",
    "NoWheelForTarget",
    "Pin",
    "QuarantinedProject",
    "Resolution",
    "ResolutionImpossible",
    "ResolutionTimedOut",
    "ResolutionTooDeep",
    "ResolveError",
    "UnknownProject",
    "UnsupportedRequirement",
    "WheelDoesNotFit",
    "resolve",
]

# resolvelib's rounds; pip uses 200000. Each round pins one candidate or backtracks one step.
MAX_ROUNDS = 200_000

# pip's _CONFLICT_PRIORITY_THRESHOLD: a project named this many times by conflicts while it was
# not pinned is decided before every other one from then on, so its constraints apply early.
CONFLICT_PROMOTION = 5


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Pin:
    """One project in the resolution.

    ``file`` is the chosen wheel (best tag rank for the target, then build tag); ``extras`` are
    every extra requested of it; ``lines`` are the user's lines naming it, in input order;
    ``required_by`` are the names of the pinned projects depending on it, sorted; ``target`` is
    what it was chosen for: the narrower target of the first user line with a tag block, else the
    resolution's target; ``status`` is what the index serving it says of the project (PEP 792:
    active, archived, deprecated, or quarantined when ``--allow-quarantined`` names it).
    """

    name: NormalizedName
    version: Version
    file: DistFile
    extras: frozenset[str]
    lines: tuple[TaggedRequirement, ...]
    required_by: tuple[NormalizedName, ...]
    target: Target
    status: ProjectStatus = ACTIVE

    @property
    def via(self) -> tuple[str, ...]:
        """Why it is here, for ``# via`` comments: ``FILE:LINE`` of user lines, then parents."""
        return tuple(_where(line.span) for line in self.lines) + tuple(self.required_by)


@dataclass(frozen=True)
class Resolution:
    """The pinned wheels, sorted by name, and the dependency graph between them.

    ``graph`` maps each pinned name to the names it depends on (sorted); ``roots`` are the names
    the user's lines asked for, sorted. Every name in either is a pin.
    """

    pins: tuple[Pin, ...]
    graph: Mapping[NormalizedName, tuple[NormalizedName, ...]] = field(hash=False)
    roots: tuple[NormalizedName, ...]
    target: Target
    # One line each for what the resolution assumed that a user might not expect (a
    # dependency included because its marker holds for some patch levels of an X.Y target, an
    # older version taken because the newer ones ship only sdists); the CLI prints them.
    notes: tuple[str, ...] = field(default=(), compare=False)
    # The sdist versions ruled out by their sources (needs compiling, a build that failed or
    # came out impure), with why, and the pinned projects the run was allowed to build and did
    # not prefer from source: what the downgrade notes say of a newer sdist-only release.
    passed_over: Mapping[str, Mapping[Version, str]] = field(
        default_factory=dict, compare=False, hash=False
    )
    buildable: frozenset[str] = field(default=frozenset(), compare=False)

    def __getitem__(self, name: str) -> Pin:
        wanted = canonicalize_name(name)
        for pin in self.pins:
            if pin.name == wanted:
                return pin
        raise KeyError(name)


def _natural(text: str) -> list[int | str]:
    """Sort key that reads digit runs as numbers, so ``cp39`` comes before ``cp310``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


# --------------------------------------------------------------------------------------------
# Errors


class ResolveError(TagpipError):
    """The requirements cannot be resolved for the target."""


@dataclass(frozen=True)
class Demand:
    """One requirement taking part in a failure, and who made it.

    ``requirement`` is as written (``urllib3<1.27,>=1.21.1``); ``parent`` is ``name==version``
    of the project that depends on it, or None for a user's line, whose place is ``span``;
    ``parent_from`` says where the parent came from (``requirements.txt:3`` or ``via x``).
    ``constraint`` marks a ``-c`` line.
    """

    requirement: str
    parent: str | None = None
    parent_from: str | None = None
    span: Span | None = None
    constraint: bool = False

    def describe(self) -> str:
        if self.parent is not None:
            where = f" ({self.parent_from})" if self.parent_from else ""
            return f"{self.parent}{where} requires {self.requirement}"
        where = _where(self.span) if self.span is not None else "the command line"
        if self.constraint:
            return f"{self.requirement} is a constraint from {where}"
        return f"{self.requirement} is required by {where}"

    def source(self) -> str:
        """Who asked: ``FILE:LINE`` or ``parent==version``."""
        if self.parent is not None:
            return self.parent
        return _where(self.span) if self.span is not None else "the command line"


@dataclass(frozen=True)
class Conflict:
    """The demands on one project that no available version meets, and why (``reason``)."""

    project: str
    demands: tuple[Demand, ...]
    reason: str | None = None

    def describe(self) -> str:
        clauses = [d.describe() for d in self.demands]
        text = clauses[0]
        if len(clauses) > 1:
            text += ", but " + clauses[1]
        for clause in clauses[2:]:
            text += ", and " + clause
        if self.reason:
            text += f" ({self.reason})" if len(clauses) > 1 else f": {self.reason}"
        return text


class ResolutionImpossible(ResolveError):
    """No set of versions meets every requirement; ``conflicts`` says which demands clash."""

    def __init__(self, conflicts: Sequence[Conflict]):
        self.conflicts = tuple(conflicts)
        super().__init__(
            "\n".join(c.describe() for c in self.conflicts),
            hint="loosen one of these requirements, or pin versions that agree",
        )


class ResolutionTooDeep(ResolveError):
    """The resolver gave up after too many rounds of backtracking."""

    def __init__(self, rounds: int):
        super().__init__(
            f"gave up after {rounds} rounds of backtracking",
            hint="pin some versions (or add constraints with -c) to narrow the search",
        )
        self.rounds = rounds


class ResolutionTimedOut(ResolveError):
    """The resolver was still working when ``--resolve-timeout`` ran out.

    ``backtracked`` is ``(project, rejections)`` for the projects whose candidates the resolver
    rejected (a version counts each time it is tried again), most first, then by name: where it
    kept backtracking.
    """

    def __init__(self, seconds: float, backtracked: Sequence[tuple[str, int]]):
        self.seconds = seconds
        self.backtracked = tuple(backtracked)
        limit = f"--resolve-timeout {seconds:g}"
        if not self.backtracked:
            super().__init__(
                f"the resolution did not finish within {limit} seconds",
                hint="raise --resolve-timeout (0 for no limit)",
            )
            return
        worst = self.backtracked[0][0]
        named = ", ".join(
            f"{name} (rejected {count} time{'s' if count != 1 else ''})"
            for name, count in self.backtracked[:5]
        )
        super().__init__(
            f"the resolution did not finish within {limit} seconds; "
            f"the resolver kept backtracking on {named}",
            hint=f"pin {worst} with a constraint (-c FILE with a line '{worst}==VERSION'), "
            "or raise --resolve-timeout (0 for no limit)",
        )


class UnknownProject(ResolveError):
    """The index has no files at all for a project someone requires."""

    def __init__(self, project: str, required_by: Sequence[str]):
        self.project = project
        self.required_by = tuple(required_by)
        who = ", ".join(self.required_by)
        super().__init__(
            f"no project named '{project}' on the index (required by {who})",
            hint="check the name, and the index options (-i, --extra-index-url, -f)",
        )


class QuarantinedProject(ResolveError):
    """The index marks a project quarantined (PEP 792: unsafe for any use, such as malware), and
    nothing resolves without it. ``allowed`` is whether ``--allow-quarantined`` named it (the
    index then still lists no files for it, as PEP 792 has an index do)."""

    def __init__(
        self, project: str, status: ProjectStatus, required_by: Sequence[str], *, allowed: bool
    ):
        self.project = project
        self.status = status
        self.required_by = tuple(required_by)
        self.allowed = allowed
        where = f" on {status.index}" if status.index else ""
        why = f" ({status.reason})" if status.reason else ""
        who = ", ".join(self.required_by)
        if allowed:
            super().__init__(
                f"{project} is quarantined{where}{why}, and the index lists no files for it; "
                f"--allow-quarantined {project} cannot bring them back (required by {who})",
                hint=f"drop the requirement on {project}, or fetch it from an index that serves it",
            )
            return
        super().__init__(
            f"{project} is quarantined{where}{why}: the index considers it unsafe for any use "
            f"(PEP 792), and tagpip refuses it (required by {who})",
            hint=f"drop the requirement on {project}; to take it all the same, name it with "
            f"--allow-quarantined {project}",
        )


class NoWheelForTarget(ResolveError):
    """Versions of a project match, but none ships a wheel the target can run.

    ``shipped`` lists, for the newest matching versions (up to 3), the wheel tags each does ship
    (empty when a version has only an sdist). ``only_sdists`` is True when the project has no
    wheel at all. ``passed_over`` names the matching versions whose sdist was ruled out (needs
    compiling, a build that failed or came out impure), newest first, with why.
    """

    def __init__(
        self,
        project: str,
        target: str,
        specifier: str,
        required_by: Sequence[str],
        shipped: Sequence[tuple[Version, tuple[str, ...]]],
        only_sdists: bool,
        fits_elsewhere: Version | None = None,
        passed_over: Sequence[tuple[Version, str]] = (),
    ):
        from tagpip.resolution.why import no_wheel_text

        self.passed_over = tuple(passed_over)
        self.project = project
        self.target = target
        self.specifier = specifier
        self.required_by = tuple(required_by)
        self.shipped = tuple(shipped)
        self.only_sdists = only_sdists
        self.fits_elsewhere = fits_elsewhere
        message, hint, self.details = no_wheel_text(self)
        super().__init__(message, hint=hint)


class WheelDoesNotFit(NoWheelForTarget):
    """A ``name @ URL`` line (or a local wheel path) names a wheel the target cannot run: the
    user chose the file, so the message names the line, the wheel's tags and the target, not
    the versions an index might ship. Still a NoWheelForTarget for the callers that drop a
    project which has no wheel (re-locking)."""

    def __init__(self, project: str, target: str, where: str, filename: str, tags: str, span: Span):
        super().__init__(project, target, "", [where], [], only_sdists=False)
        self.span = span
        self.message = f"the wheel {filename} is for {tags}, which {target} cannot run"
        self.args = (self.message,)
        self.hint = (
            "name a wheel built for this target, or describe a target the wheel runs on "
            "(--platform, --python-version, --abi)"
        )
        self.details = ()


class UnsupportedRequirement(ResolveError):
    """A requirement form tagpip cannot resolve yet (a direct URL that is not a wheel)."""


# --------------------------------------------------------------------------------------------
# The provider


class _Provider(resolvelib.AbstractProvider[Requirement, Candidate, str]):
    def __init__(
        self,
        finder: CandidateFinder,
        *,
        no_deps: bool,
        builder: SourceBuilder | None = None,
        clock: _Clock | None = None,
    ) -> None:
        self.finder = finder
        self.builder = builder
        self.target = finder.target
        self.no_deps = no_deps
        self.clock = clock or _Clock(None)
        self._metadata: dict[str, Metadata] = {}
        self._seen: set[str] = set()
        # Extras nodes of user lines whose extras read as tags (syntax.TagLikeExtras), by key.
        self.tag_like: dict[str, TaggedRequirement] = {}
        # A candidate's dependencies never change; resolvelib asks again when it backjumps.
        self._dependencies_of: dict[Candidate, list[Requirement]] = {}
        # How often each unpinned identifier was named by the conflict being worked on, and
        # those named often enough to be decided first (pip's conflict promotion).
        self._conflicts: Counter[str] = Counter()
        self._promoted: set[str] = set()
        # The user's lines by project name (set by resolve()), and the candidates known to be in
        # no resolution (see _dead).
        self._roots: dict[str, list[Requirement]] = {}
        self._known_dead: set[Candidate] = set()
        # For _preference: the identifiers of the user's lines (set by resolve()), and those
        # any requirement seen so far pins exactly or by URL (find_matches sees every one).
        self._user_keys: frozenset[str] = frozenset()
        self._may_pin: set[str] = set()
        # is_satisfied_by's answers by (id(requirement), id(candidate)), with the requirement.
        self._verdicts: dict[tuple[int, int], tuple[bool, Requirement]] = {}
        # Set when the resolution is over: background prefetches stop starting new work.
        self.finished = False
        # What a candidate's dependencies assumed (see _patch_note), kept by candidate so that
        # only the notes of pinned candidates are told.
        self.assumed: dict[Candidate, list[str]] = {}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.key

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Information]],
        backtrack_causes: Sequence[Information],
    ) -> Iterable[str]:
        # pip's backjumping-friendly order, in linear time: Requires-Python alone; else the
        # projects of the conflict just met (its requirements and their parents), since no
        # resolution exists while it stands; else the projects conflicts keep naming. Deciding
        # those first lets a cap such as sentry-sdk<2 rule out the versions that would need
        # sentry-sdk>=2 before the resolver walks down every release of something unrelated.
        causes: set[str] = set()
        for info in backtrack_causes:
            keys = [info.requirement.key]
            if info.parent is not None:
                keys.append(info.parent.key)
            for key in keys:
                causes.add(key)
                if key not in resolutions:
                    self._conflicts[key] += 1
                    if self._conflicts[key] >= CONFLICT_PROMOTION:
                        self._promoted.add(key)
        in_conflict: list[str] = []
        promoted: list[str] = []
        for identifier in identifiers:
            if identifier == PYTHON:
                return [identifier]
            if identifier in causes:
                in_conflict.append(identifier)
            elif identifier in self._promoted:
                promoted.append(identifier)
        # The one the resolver would pick among them (get_preference's minimum), chosen here
        # in one pass: given a single name, resolvelib skips its own get_preference round,
        # which builds a mapping view per call and was the most frequent provider call of a
        # large lock (every open project on every round).
        kept = in_conflict or promoted or identifiers
        return [min(kept, key=lambda name: self._preference(name, information))]

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Information]],
        backtrack_causes: Sequence[Information],
    ) -> Preference:
        # Called by resolvelib only when narrow_requirement_selection keeps several names,
        # which it never does; kept so that the order is defined in one place either way.
        return self._preference(identifier, information)

    def _preference(
        self, identifier: str, information: Mapping[str, Iterator[Information]]
    ) -> Preference:
        """Among what narrow_requirement_selection kept, like pip: projects conflicts keep
        naming, then direct URLs and exact pins, then the user's own lines; the identifier
        last, so the order never depends on set or dict iteration."""
        # Computed for every open project on every round, so without walking the information
        # where its answer is already known: the user's lines are there from the first round
        # to the last (resolvelib never drops information without a parent), and only a
        # project some requirement ever pinned can be pinned now.
        from_user = identifier in self._user_keys
        pinned = identifier in self._may_pin and any(
            _pins_one(info.requirement) for info in information[identifier]
        )
        return (identifier not in self._promoted, not pinned, not from_user, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        # A factory, which resolvelib calls once per criterion and iterates only as far as it
        # needs: usually the first (newest) candidate, so older versions are never built.
        # What it has produced it replays on the next call, so the view never changes under
        # resolvelib (which assumes a criterion it has checked to be non-empty stays so), while
        # candidates it reaches later are first checked against what is known to be dead.
        wanted = list(requirements[identifier])
        if any(_pins_one(r) for r in wanted):
            self._may_pin.add(identifier)
        bad = {id(c) for c in incompatibilities[identifier]}
        name, extras = wanted[0].name, wanted[0].extras
        produced: list[Candidate] = []
        source: list[Iterator[Candidate]] = []

        def matches() -> Iterator[Candidate]:
            if not source:
                source.append(self.finder.iter_candidates(name, extras, wanted))
            position = 0
            while True:
                if position < len(produced):
                    yield produced[position]
                    position += 1
                    continue
                candidate = next(source[0], None)
                if candidate is None:
                    return
                if id(candidate) in bad or self._dead(candidate) or self._ruled_out(candidate):
                    continue
                if not produced and candidate.file is not None:
                    self._prefetch([candidate.file])
                produced.append(candidate)

        return matches

    def _ruled_out(self, candidate: Candidate) -> bool:
        """Whether an sdist candidate is ruled out by its sources, decided when the resolver
        first reaches it (the builder looks inside the sdist, then builds it and checks the
        wheel pure): a version that needs compiling, or whose build fails or comes out
        impure, is passed over and the resolver moves on to the next one, as it would past a
        version whose dependencies conflict."""
        file = candidate.file
        if file is None or file.is_wheel or self.builder is None:
            return False
        reason = self.builder.vet(file)
        if reason is None:
            return False
        self.finder.pass_over(candidate, reason)
        return True

    def _dead(self, candidate: Candidate) -> bool:
        """Whether ``candidate`` can be in no resolution, from what is already known: one of its
        dependencies (read before) has no candidate left that is not dead itself and meets the
        user's own lines on that project, which hold in every resolution.

        This is what keeps a conflict with a user's cap from being found again and again: once
        every fastapi-cloud-cli needs sentry-sdk>=2 against the user's sentry-sdk<2, each of
        them is dead, so is every fastapi-cli[standard] that needs one, and every older
        fastapi[standard] that needs those is rejected at once, without the resolver pinning
        and backtracking through them. Nothing is fetched here: dependencies whose project
        page is not loaded yet count as satisfiable.
        """
        if candidate in self._known_dead:
            return True
        dependencies = self._dependencies_of.get(candidate)
        if not dependencies:
            return False
        for requirement in dependencies:
            if requirement.name != PYTHON and not self.finder.fetched(requirement.name):
                continue
            if not self._satisfiable(requirement):
                self._known_dead.add(candidate)
                return True
        return False

    def _satisfiable(self, requirement: Requirement) -> bool:
        """Whether some candidate not known to be dead meets ``requirement`` and the version
        specifiers of the user's lines on its project (their extras and blocks aside, which can
        only narrow further)."""
        lines = [
            Requirement(requirement.name, root.specifier, requirement.extras)
            for root in self._roots.get(requirement.name, ())
        ]
        for candidate in self.finder.iter_candidates(
            requirement.name, requirement.extras, [requirement, *lines]
        ):
            if candidate not in self._known_dead:
                return True
        if requirement.name == PYTHON or self.finder.allows_pre(requirement.name) is not None:
            return False
        # A pre-release is taken when nothing else matches, which further requirements may
        # bring about: a project with a matching pre-release is never counted out.
        return any(
            version.is_prerelease
            and requirement.accepts_version(version)
            and all(line.accepts_version(version) for line in lines)
            for version in self.finder.releases(requirement.name).versions()
        )

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        # resolvelib asks this for every requirement of every pinned project on every round,
        # twice (about n^2 calls for n projects, the most frequent provider call of a large
        # lock), and the answer for one pair never changes: it is kept by identity, a cheaper
        # key than the values' hashes. The requirement is kept with the answer, so its id
        # cannot be reused while the entry exists; candidates live in the finder's cache.
        key = (id(requirement), id(candidate))
        known = self._verdicts.get(key)
        if known is None:
            known = self._verdicts[key] = (self._satisfies(requirement, candidate), requirement)
        return known[0]

    def _satisfies(self, requirement: Requirement, candidate: Candidate) -> bool:
        if candidate.file is None:
            return self.finder.ignore_requires_python or self.target.allows_requires_python(
                requirement.specifier
            )
        return requirement.accepts_version(candidate.version) and requirement.accepts_file(
            candidate.file
        )

    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:
        self.clock.check()
        known = self._dependencies_of.get(candidate)
        if known is None:
            known = self._dependencies_of[candidate] = self._read_dependencies(candidate)
        return known

    def _read_dependencies(self, candidate: Candidate) -> list[Requirement]:
        if candidate.file is None:
            return []
        deps: list[Requirement] = []
        if candidate.extras:
            deps.append(Requirement(candidate.name, pinned=self.finder.plain(candidate)))
        metadata = self.metadata(candidate.file)
        if candidate.key in self.tag_like:
            _refuse_tag_like_extras(self.tag_like[candidate.key], candidate, metadata)
        requires_python = metadata.requires_python
        if (
            requires_python is not None
            and not self.finder.ignore_requires_python
            and not self.target.allows_requires_python(requires_python)
        ):
            deps.append(Requirement(PYTHON, requires_python))
        if self.no_deps:
            return deps
        dependencies = self._dependencies(metadata, candidate)
        new = _unique(r.name for r in dependencies if r.name not in self._seen)
        self._seen.update(new)
        # Every new project's page at once (and from each, the likely wheel's metadata): the
        # resolver asks for them next, one by one, and find_matches fetches the metadata of
        # the candidate it actually starts with.
        self.prefetch_projects(new)
        deps.extend(dependencies)
        return deps

    def prefetch_projects(self, names: Iterable[str]) -> None:
        """Start fetching these projects' pages; with an index that can say when a page is
        there, then the metadata of the wheel each would most likely be pinned to, and from
        that the next pages (:meth:`_prefetch`): a chain of dependencies is fetched while the
        resolver is busy elsewhere, not one level after the other."""
        self.finder.prefetch_projects(names, then=self._prefetch_newest)

    def _prefetch(self, files: Sequence[DistFile]) -> None:
        """Start fetching the metadata of ``files`` (then the pages of their dependencies)."""
        self.finder.index.prefetch(
            files, then=None if self.no_deps else self._prefetch_dependencies
        )

    # The two below run in fetching threads, so they only read the resolver's state, and stop
    # once the resolution is over. What they fetch is a guess (the newest usable wheel, the
    # dependencies without extras); the resolver's own requests correct it.

    def _prefetch_newest(self, name: str, files: Sequence[DistFile]) -> None:
        if self.finished:
            return
        newest = self.finder.newest_wheel(name)
        if newest is not None:
            self._prefetch([newest])

    def _prefetch_dependencies(self, file: DistFile, metadata: Metadata) -> None:
        if self.finished:
            return
        names = []
        for dependency in metadata.requires_dist or ():
            try:
                if self._applies(dependency, frozenset()):
                    names.append(canonicalize_name(dependency.name))
            except TargetError:
                continue  # reported when the resolver reads the metadata itself
        self.prefetch_projects(names)

    def metadata(self, file: DistFile) -> Metadata:
        if file.filename not in self._metadata:
            if not file.is_wheel and self.builder is not None:
                # An sdist candidate: static PKG-INFO, else its built wheel's METADATA.
                self._metadata[file.filename] = self.builder.metadata(file)
            else:
                self._metadata[file.filename] = self.finder.index.metadata(file)
        return self._metadata[file.filename]

    def _applies(self, dependency: PackagingRequirement, extras: frozenset[str]) -> bool:
        """Whether a Requires-Dist entry applies to a candidate with ``extras``, for the target.

        The plain candidate takes entries whose marker holds with no extra; an extras node takes
        those that hold only thanks to its extras (the rest come through its base)."""
        if dependency.marker is None:
            return not extras
        holds = self.target.evaluate(dependency.marker, extras)
        if not extras:
            return holds
        return holds and not self.target.evaluate(dependency.marker, ())

    def _dependencies(self, metadata: Metadata, candidate: Candidate) -> list[Requirement]:
        found = []
        for dependency in metadata.requires_dist or ():
            try:
                applies = self._applies(dependency, candidate.extras)
            except TargetError as exc:
                # Say whose metadata holds the marker; the user cannot see it otherwise.
                exc.message = f"{candidate} depends on '{dependency}': {exc.message}"
                exc.args = (exc.message,)
                raise
            if applies:
                found.append(_from_metadata(dependency, candidate))
                if dependency.marker is not None and self.target.assumes_patch_level(
                    dependency.marker, candidate.extras
                ):
                    who = f"{candidate.name} {candidate.version} requires"
                    note = _patch_note(who, dependency, self.target)
                    self.assumed.setdefault(candidate, []).append(note)
        return found


def _pins_one(requirement: Requirement) -> bool:
    """Whether ``requirement`` pins one version or file (an exact version or a direct URL),
    which _preference decides first: one definition for the check and for the set of projects
    that may need it (``_may_pin``), so the two cannot disagree."""
    return requirement.is_exact or requirement.url_file is not None


def _patch_note(who: str, requirement: PackagingRequirement, target: Target) -> str:
    """The one line saying that a requirement was included because its marker holds for some
    patch levels of the target's X.Y and not for others (see Target.evaluate)."""
    major, minor = target.python_version[:2]
    bare = PackagingRequirement(str(requirement))
    bare.marker = None
    return (
        f"{who} {bare} only on some Python {major}.{minor}.Z ({requirement.marker}); the "
        f"target gives no patch level, so tagpip included it (give --python-version "
        f"{major}.{minor}.Z to decide)"
    )


def _refuse_tag_like_extras(
    line: TaggedRequirement, candidate: Candidate, metadata: Metadata
) -> None:
    """Refuse a lone bracket group that reads as tags (``numpy[manylinux2014,cp39]``) unless the
    project declares every name in it as an extra: fetching the target's default wheels for a
    line that meant a tag block would be a silent wrong answer. ``check`` warns about the same
    lines (``syntax.TagLikeExtras``) without deciding, having no metadata."""
    tag_like = line.tag_like_extras
    assert tag_like is not None
    declared = {canonicalize_name(e) for e in metadata.provides_extra or ()}
    missing = sorted(tag_like.extras - declared)
    if not missing:
        return
    words = "extra" if len(missing) == 1 else "extras"
    raise UnsupportedRequirement(
        f"{tag_like.group} is read as extras (PEP 508), but it looks like a tag block and "
        f"{candidate.name} {candidate.version} declares no {words} {', '.join(missing)}: "
        "tagpip refuses the line rather than fetch wheels for another target",
        hint=f"for tags write {tag_like.suggestion!r} (docs/syntax.md, Tag blocks and extras)",
        span=tag_like.span,
    )


def _from_metadata(dependency: PackagingRequirement, parent: Candidate) -> Requirement:
    name = canonicalize_name(dependency.name)
    extras = frozenset(canonicalize_name(e) for e in dependency.extras)
    if dependency.url:
        raise UnsupportedRequirement(
            f"{parent} depends on '{dependency}', a direct URL; "
            "dependencies by URL are not supported",
        )
    return Requirement(name, dependency.specifier, extras)


class _OutOfTime(Exception):
    """Raised inside resolvelib's loop when the deadline passes; :func:`resolve` catches it."""


class _Clock:
    """The ``--resolve-timeout`` deadline (None: none), checked at every round and before each
    candidate's dependencies are read, so one long round cannot overrun it by much."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds or 0.0
        self.deadline = time.monotonic() + seconds if seconds else None

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _OutOfTime


class _Reporter(resolvelib.BaseReporter[Requirement, Candidate, str]):
    """Progress texts, the deadline, and a count of rejected versions per project: the names a
    timed-out resolution reports as where it kept backtracking."""

    def __init__(self, on_progress: Callable[[str], None] | None, clock: _Clock) -> None:
        self.on_progress = on_progress
        self.clock = clock
        self.rejected: Counter[str] = Counter()

    def starting_round(self, index: int) -> None:
        self.clock.check()

    def rejecting_candidate(self, criterion: object, candidate: Candidate) -> None:
        if candidate.file is not None:
            self.rejected[candidate.name] += 1

    def pinning(self, candidate: Candidate) -> None:
        if self.on_progress is not None and candidate.file is not None:
            self.on_progress(f"resolving: {candidate.name} {candidate.version}")

    def resolving_conflicts(self, causes: Iterable[Information]) -> None:
        if self.on_progress is not None:
            names = sorted({cause.requirement.name for cause in causes})
            self.on_progress(f"backtracking: {', '.join(names)}")

    def most_rejected(self) -> list[tuple[str, int]]:
        return sorted(self.rejected.items(), key=lambda item: (-item[1], item[0]))


# --------------------------------------------------------------------------------------------
# The stage


def resolve(
    requirements: Sequence[TaggedRequirement],
    target: Target,
    index: Index,
    *,
    constraints: Sequence[TaggedRequirement] = (),
    pre: bool | ReleaseControl = False,
    ignore_requires_python: bool = False,
    no_deps: bool = False,
    exclude_newer: datetime.datetime | None = None,
    uploaded_prior_to: datetime.datetime | None = None,
    on_progress: Callable[[str], None] | None = None,
    builder: SourceBuilder | None = None,
    timeout: float | None = None,
    prefer_source: Collection[str] = (),
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
    allow_quarantined: Collection[str] = (),
) -> Resolution:
    """Pin one wheel per project so that every requirement holds on ``target``.

    Markers (the user's and the dependencies') are evaluated for the target; a user's line whose
    marker is false is skipped. A line with a tag block only takes wheels that also fit the block.
    ``constraints`` restrict versions (and wheels, with a block) without adding projects. ``pre``
    allows pre-releases everywhere (a :class:`ReleaseControl`: as it says per project);
    ``exclude_newer`` ignores files uploaded after it (files without an upload time are kept);
    ``uploaded_prior_to`` keeps only files uploaded strictly before it and leaves out files without
    an upload time, as pip's option of that name does. ``on_progress`` receives short status texts.
    ``timeout`` (seconds; None or 0 for none) bounds the resolution: past it,
    :class:`ResolutionTimedOut` names where the resolver kept backtracking. With a ``builder``, a
    version with no fitting wheel but an sdist the builder may build is a candidate, offered only
    after every version with a fitting wheel (wheels first; ``prefer_source`` names projects, or
    ``:all:``, whose newest version wins instead); the builder rules it out when its sources need
    compiling or its build fails or is impure, and the resolver moves on. ``user_hashes`` (project
    -> ``algo:hex`` values, the ``--hash`` options) narrow a project's candidates to the files whose
    digest on the index they allow, as pip narrows them in hash-checking mode. A built pin's
    ``file`` is the sdist; :func:`tagpip.build.builder` turns it into a wheel. A project its index
    marks quarantined (PEP 792) has no candidate unless ``allow_quarantined`` names it; each pin
    carries its project's status, and a quarantined project the resolution did without is said in a
    note.

    Raises :class:`ResolveError` subclasses, :class:`tagpip.target.value.TargetError` for a block
    the target cannot run or a marker it cannot evaluate, and the index's own errors.
    """
    roots: list[Requirement] = []
    notes: list[str] = []
    for line in requirements:
        requirement = _from_line(line, target, builder)
        if requirement is not None:
            roots.append(requirement)
            marker = line.requirement.marker
            where = requirement.block or target
            if marker is not None and where.assumes_patch_level(marker):
                notes.append(_patch_note(f"{_where(line.span)}:", line.requirement, where))
    finder = CandidateFinder(
        index,
        target,
        constraints=_constraints(constraints, target),
        pre=pre,
        ignore_requires_python=ignore_requires_python,
        exclude_newer=exclude_newer,
        uploaded_prior_to=uploaded_prior_to,
        builds=builder.allows if builder is not None else None,
        prefer_source=prefer_source,
        user_hashes=user_hashes,
        allow_quarantined={canonicalize_name(name) for name in allow_quarantined},
    )
    clock = _Clock(timeout)
    provider = _Provider(finder, no_deps=no_deps, builder=builder, clock=clock)
    provider.tag_like = {
        r.key: r.line for r in roots if r.line is not None and r.line.tag_like_extras is not None
    }
    for root in roots:
        provider._roots.setdefault(root.name, []).append(root)
    provider._user_keys = frozenset(root.key for root in roots)
    provider.prefetch_projects(_unique(r.name for r in roots if r.url_file is None))
    reporter = _Reporter(on_progress, clock)
    resolver = resolvelib.Resolver(provider, reporter)
    try:
        result = resolver.resolve(roots, max_rounds=MAX_ROUNDS)
    except _OutOfTime:
        raise ResolutionTimedOut(clock.seconds, reporter.most_rejected()) from None
    except resolvelib.ResolutionImpossible as exc:
        raise _explain(finder, list(exc.causes), roots) from None
    except resolvelib.ResolutionTooDeep as exc:
        raise ResolutionTooDeep(exc.round_count) from None
    finally:
        provider.finished = True
    for key in sorted(result.mapping):
        notes.extend(provider.assumed.get(result.mapping[key], ()))
    statuses = {
        name: finder.status(name)
        for name in {c.name for c in result.mapping.values() if c.file is not None}
        if finder.fetched(name)
    }
    for name, status in sorted(finder.quarantined.items()):
        if name not in statuses:
            notes.append(_quarantine_note(name, status))
    resolution = _resolution(result, roots, target, tuple(_unique(notes)), statuses)
    buildable = frozenset(
        pin.name
        for pin in resolution.pins
        if builder is not None and builder.allows(pin.name) and not finder.prefers_source(pin.name)
    )
    return dataclasses.replace(resolution, passed_over=finder.passed_over, buildable=buildable)


def _quarantine_note(name: str, status: ProjectStatus) -> str:
    """The line saying that a quarantined project some version required was passed over."""
    where = f" on {status.index}" if status.index else ""
    why = f" ({status.reason})" if status.reason else ""
    return (
        f"{name} is quarantined{where}{why}: the versions that require it were passed over "
        f"(--allow-quarantined {name} takes it)"
    )


def _from_line(
    line: TaggedRequirement, target: Target, builder: SourceBuilder | None = None
) -> Requirement | None:
    """The resolver's requirement for a user's line, or None when its marker is false. A line
    naming a local or VCS source gets the wheel ``builder`` built from it (tagpip.build.builder)."""
    block = _block(line, target)
    req = line.requirement
    if req.marker is not None and not _evaluate(line, block or target):
        return None
    extras = frozenset(canonicalize_name(e) for e in req.extras)
    url_file = _url_wheel(line, block or target, sources=True, builder=builder) if req.url else None
    return Requirement(line.name, req.specifier, extras, block, url_file, line=line)


def _evaluate(line: TaggedRequirement, target: Target) -> bool:
    """A user's marker for the target; an undefined value is an error pointing at the line."""
    assert line.requirement.marker is not None
    try:
        return target.evaluate(line.requirement.marker, ())
    except TargetError as exc:
        if exc.span is None:
            exc.span = line.span
        raise


def _block(line: TaggedRequirement, target: Target) -> Target | None:
    if line.tags is None:
        return None
    try:
        return target_for_block(target, line.tags)
    except TargetError as exc:
        if exc.span is None:
            exc.span = line.tags.span or line.span
        raise


def _url_wheel(
    line: TaggedRequirement,
    target: Target,
    *,
    fit: bool = True,
    sources: bool = False,
    builder: SourceBuilder | None = None,
) -> DistFile:
    """The wheel a ``name @ url`` line names, checked to fit the target (unless not ``fit``).

    A ``file:`` URL of a folder or sdist, or a ``git+`` URL, is a source: ``builder`` builds it
    (checked pure for the target) when ``sources`` (a user's line, not a constraint); without
    a builder, building is forbidden."""
    url = line.requirement.url or ""
    path = url.partition("#")[0]
    shown = redact_url(url)
    filename = path.rstrip("/").rsplit("/", 1)[-1]
    # A remote sdist (``name @ https://.../x-1.0.tar.gz``) is a source too: pip and uv build it.
    is_source = url.lower().startswith(("git+", "file:", "https:", "http:"))
    if not filename.endswith(".whl") and is_source and sources:
        if builder is None:
            raise UnsupportedRequirement(
                f"{line.name} @ {shown} needs building from source, and --no-build or "
                "--only-binary forbids it; tagpip refused it",
                hint="allow building, or build a wheel and name it on the line instead",
                span=line.span,
            )
        try:
            return builder.local(line.name, url).file
        except TagpipError as exc:
            if exc.span is None:
                exc.span = line.span
            raise
    if not filename.endswith(".whl"):
        raise UnsupportedRequirement(
            f"{line.name} @ {shown}: only direct links to wheels are supported yet",
            hint="give a link to a .whl file, or a name and version from the index",
            span=line.span,
        )
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise UnsupportedRequirement(
            f"{line.name} @ {shown}: not a valid wheel file name ({exc})", span=line.span
        ) from None
    if name != line.name:
        raise UnsupportedRequirement(
            f"{line.name} @ {shown}: the wheel is for {name}, not {line.name}", span=line.span
        )
    if fit and target.wheel_rank(tags) is None:
        raise WheelDoesNotFit(
            line.name,
            target.describe(),
            _where(line.span),
            filename,
            filename[:-4].split("-", 2 + (build != ()))[-1],
            line.span,
        )
    hashes = fragment_hashes(url)
    return DistFile(
        project=line.name,
        filename=filename,
        url=path,
        version=version,
        build=build,
        tags=tags,
        is_wheel=True,
        hashes=hashes,
    )


def _constraints(lines: Sequence[TaggedRequirement], target: Target) -> list[Constraint]:
    """The ``-c`` lines whose marker holds. ``name @ URL`` restricts the project to that wheel,
    as in pip 26, which also checks the wheel against the target only once the project is
    needed: a constrained wheel the target cannot use leaves the project no candidate."""
    found = []
    for line in lines:
        req = line.requirement
        if req.extras:
            raise UnsupportedRequirement(
                f"constraint '{req}': a constraint cannot have extras",
                hint="pip refuses extras in constraint files too",
                span=line.span,
            )
        block = _block(line, target)
        if req.marker is not None and not _evaluate(line, block or target):
            continue
        url_file = _url_wheel(line, block or target, fit=False) if req.url else None
        found.append(Constraint(line.name, req.specifier, block, line, url_file))
    return found


def _resolution(
    result: resolvelib.resolvers.Result[Requirement, Candidate, str],
    roots: Sequence[Requirement],
    target: Target,
    notes: tuple[str, ...] = (),
    statuses: Mapping[str, ProjectStatus] | None = None,
) -> Resolution:
    mapping = result.mapping
    statuses = statuses or {}
    extras: dict[str, set[str]] = {}
    lines: dict[str, list[TaggedRequirement]] = {}
    parents: dict[str, set[NormalizedName]] = {}
    children: dict[str, set[NormalizedName]] = {}
    for key, candidate in mapping.items():
        if candidate.file is None:
            continue
        extras.setdefault(candidate.name, set()).update(candidate.extras)
        for info in result.criteria[key].information:
            parent = info.parent
            if parent is None or parent.file is None or parent.name == candidate.name:
                continue
            if mapping.get(parent.key) is not parent:
                continue
            parents.setdefault(candidate.name, set()).add(NormalizedName(parent.name))
            children.setdefault(parent.name, set()).add(NormalizedName(candidate.name))
    for root in roots:
        if root.line is not None and root.line not in lines.get(root.name, []):
            lines.setdefault(root.name, []).append(root.line)
    blocks = {r.name: r.block for r in reversed(roots) if r.block is not None}
    pins = []
    for key in sorted(mapping):
        candidate = mapping[key]
        if candidate.file is None or candidate.extras:
            continue
        name = NormalizedName(candidate.name)
        pins.append(
            Pin(
                name=name,
                # As the chosen file spells it (2.0.0, not an equal 2 that another file states).
                version=candidate.file.version,
                file=candidate.file,
                extras=frozenset(extras.get(name, ())),
                lines=tuple(lines.get(name, ())),
                required_by=tuple(sorted(parents.get(name, ()))),
                target=blocks.get(name, target),
                status=statuses.get(name, ACTIVE),
            )
        )
    pins.sort(key=lambda p: p.name)
    graph = {p.name: tuple(sorted(children.get(p.name, ()))) for p in pins}
    root_names = tuple(sorted({NormalizedName(r.name) for r in roots}))
    return Resolution(tuple(pins), graph, root_names, target, notes)


# --------------------------------------------------------------------------------------------
# Explaining failures


def _explain(
    finder: CandidateFinder, causes: Sequence[Information], roots: Sequence[Requirement]
) -> ResolveError:
    """Turn resolvelib's causes into the most specific error, in plain words."""
    origins: dict[str, list[str]] = {}
    for root in roots:
        if root.line is not None:
            where = _where(root.line.span)
            if where not in origins.setdefault(root.name, []):
                origins[root.name].append(where)
    by_key: dict[str, list[Information]] = {}
    for cause in causes:
        by_key.setdefault(cause.requirement.key, []).append(cause)
    conflicts: list[Conflict] = []
    for key in sorted(by_key, key=lambda k: (k == PYTHON, k)):
        infos = by_key[key]
        if key == PYTHON:
            conflicts.append(_python_conflict(finder, infos, origins))
            continue
        name = infos[0].requirement.name
        demands = _demands(finder, infos, origins)
        reqs = [info.requirement for info in infos]
        status = finder.status(name) if not any(r.url_file for r in reqs) else ACTIVE
        if status.quarantined:
            allowed = name in finder.allow_quarantined
            if not allowed or not finder.files(name):
                who = _unique(d.source() for d in demands)
                return QuarantinedProject(name, status, who, allowed=allowed)
        if not finder.files(name) and not any(r.url_file for r in reqs):
            return UnknownProject(name, _unique(d.source() for d in demands))
        if finder.find(name, frozenset(), [_plain(r) for r in reqs]):
            conflicts.append(Conflict(name, demands))
            continue
        specific = _no_candidates(finder, name, reqs, demands)
        if isinstance(specific, ResolveError):
            return specific
        conflicts.append(specific)
    return ResolutionImpossible(conflicts)


def _no_candidates(
    finder: CandidateFinder, name: str, reqs: Sequence[Requirement], demands: tuple[Demand, ...]
) -> ResolveError | Conflict:
    """Why these requirements on ``name`` have no candidate even on their own."""
    constraints = finder.constraints.get(name, [])
    linked = next((c for c in constraints if c.url_file is not None), None)
    if linked is not None:
        return _url_constraint_conflict(finder, name, reqs, demands, linked)
    files = finder.files(name)
    versions = sorted({f.version for f in files}, reverse=True)
    matching = [
        v
        for v in versions
        if all(r.accepts_version(v) for r in reqs)
        and all(c.accepts_version(v) for c in constraints)
    ]
    if not matching:
        newest = ", ".join(str(v) for v in versions[:5])
        # With several demands, "A, but B" already says they cannot meet.
        if len(demands) > 1:
            return Conflict(name, demands)
        return Conflict(name, demands, f"no version matches (the newest are {newest})")
    target = next((r.block for r in reqs if r.block is not None), finder.target)
    fitting = [
        f
        for f in files
        if f.is_wheel
        and f.version in matching
        and finder.target.wheel_rank(f.tags) is not None
        and all(r.accepts_file(f) for r in reqs)
        and all(c.accepts_file(f) for c in constraints)
    ]
    if not fitting:
        shipped = []
        for version in matching[:3]:
            tags = sorted(
                {str(t) for f in files if f.version == version for t in f.tags}, key=_natural
            )
            shipped.append((version, tuple(tags)))
        # The newest version outside the specifiers that has a wheel for the target, if any.
        fits_elsewhere = next(
            (
                f.version
                for f in sorted(files, key=lambda f: f.version, reverse=True)
                if f.is_wheel
                and f.version not in matching
                and target.wheel_rank(f.tags) is not None
            ),
            None,
        )
        spec = SpecifierSet()
        for r in reqs:
            spec &= r.specifier
        ruled_out = finder.passed_over.get(name, {})
        return NoWheelForTarget(
            name,
            target.describe(),
            str(spec),
            _unique(d.source() for d in demands if not d.constraint),
            shipped,
            only_sdists=not any(f.is_wheel for f in files),
            fits_elsewhere=fits_elsewhere,
            passed_over=[
                (v, ruled_out[v]) for v in sorted(ruled_out, reverse=True) if v in matching
            ],
        )
    rejections = finder.rejections(name, reqs)
    if rejections:
        reason = "; ".join(f"{r.version} {r.reason}" for r in rejections[:3])
        return Conflict(name, demands, f"every matching version is unusable: {reason}")
    return Conflict(name, demands, f"no version has a wheel for {target.describe()} that fits")


def _url_constraint_conflict(
    finder: CandidateFinder,
    name: str,
    reqs: Sequence[Requirement],
    demands: tuple[Demand, ...],
    linked: Constraint,
) -> Conflict:
    """Why a project restricted to one wheel by a ``name @ URL`` constraint cannot have it."""
    wheel = linked.url_file
    assert wheel is not None
    where = f"the constraint at {_where(linked.line.span)} allows only {wheel.filename}"
    if not demands or not any(d.constraint for d in demands):
        demands = (
            *demands,
            Demand(f"{name} @ {wheel.url}", span=linked.line.span, constraint=True),
        )
    target = next((r.block for r in reqs if r.block is not None), finder.target)
    other = next((r.url_file for r in reqs if r.url_file not in (None, wheel)), None)
    if other is not None:
        reason = f"{where}, not {other.filename}"
    elif target.wheel_rank(wheel.tags) is None:
        reason = f"{where}, which {target.describe()} cannot use"
    else:
        reason = f"{where}, which the other demands exclude"
    return Conflict(name, demands, reason)


def _python_conflict(
    finder: CandidateFinder, infos: Sequence[Information], origins: Mapping[str, list[str]]
) -> Conflict:
    demands = []
    for info in infos:
        parent = info.parent
        demands.append(
            Demand(
                f"Python {info.requirement.specifier}",
                parent=str(parent) if parent is not None else None,
                parent_from=_origin(parent, origins) if parent is not None else None,
            )
        )
    return Conflict(PYTHON, tuple(demands), f"the target is {finder.target.describe()}")


def _demands(
    finder: CandidateFinder, infos: Sequence[Information], origins: Mapping[str, list[str]]
) -> tuple[Demand, ...]:
    """Demands in a stable order: dependencies (by parent), then user lines, then constraints."""
    from_parents: list[Demand] = []
    from_lines: list[Demand] = []
    for info in infos:
        requirement, parent = info.requirement, info.parent
        if requirement.pinned is not None:
            continue
        if parent is not None:
            demand = Demand(str(requirement), str(parent), _origin(parent, origins))
            if demand not in from_parents:
                from_parents.append(demand)
        elif requirement.line is not None:
            demand = Demand(_line_text(requirement), span=requirement.line.span)
            if demand not in from_lines:
                from_lines.append(demand)
    from_parents.sort(key=lambda d: (d.parent or "", d.requirement))
    name = infos[0].requirement.name
    constraint_demands = [
        Demand(_line_text_c(c), span=c.line.span, constraint=True)
        for c in finder.constraints.get(name, [])
    ]
    return tuple(from_parents + from_lines + constraint_demands)


def _origin(parent: Candidate, origins: Mapping[str, list[str]]) -> str | None:
    """Where a parent came from, for ``parent (FILE:LINE)``: its user lines, if any."""
    lines = origins.get(parent.name)
    return ", ".join(lines) if lines else None


def _line_text(requirement: Requirement) -> str:
    line = requirement.line
    assert line is not None
    req = line.requirement
    text = req.name + (f"[{','.join(sorted(req.extras))}]" if req.extras else "")
    if req.url:
        return f"{text} @ {req.url}"
    return text + str(req.specifier)


def _line_text_c(constraint: Constraint) -> str:
    return constraint.line.requirement.name + str(constraint.specifier)


def _plain(requirement: Requirement) -> Requirement:
    """The requirement without its extras, to ask the finder about the project itself."""
    return Requirement(
        requirement.name,
        requirement.specifier,
        frozenset(),
        requirement.block,
        requirement.url_file,
        None,
        requirement.line,
    )


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _where(span: Span) -> str:
    return f"{span.source}:{span.line}"
