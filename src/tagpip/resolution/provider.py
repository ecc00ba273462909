"""The thin resolvelib adapter and what it needs while resolvelib runs: the provider, the
reporter (progress texts, rejections counted) and the clock of ``--resolve-timeout``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Union

import resolvelib
from packaging.metadata import Metadata
from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import (
    canonicalize_name,
)

from tagpip.index import DistFile
from tagpip.requirements import TaggedRequirement
from tagpip.resolution.building import Builder
from tagpip.resolution.candidates import (
    PYTHON,
    Candidate,
    CandidateFinder,
    Requirement,
)
from tagpip.resolution.errors import UnsupportedRequirement
from tagpip.target import Target, TargetError

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

    Information = RequirementInformation[Requirement, Candidate]
    Preference = tuple[Union[bool, int, str], ...]

__all__ = ["Clock", "OutOfTime", "Provider", "Reporter", "patch_note"]

# pip's _CONFLICT_PRIORITY_THRESHOLD: a project named this many times by conflicts while it was
# not pinned is decided before every other one from then on, so its constraints apply early.
CONFLICT_PROMOTION = 5


class Provider(resolvelib.AbstractProvider[Requirement, Candidate, str]):
    def __init__(
        self,
        finder: CandidateFinder,
        *,
        no_deps: bool,
        builder: Builder | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.finder = finder
        self.builder = builder
        self.target = finder.target
        self.no_deps = no_deps
        self.clock = clock or Clock(None)
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
        # _satisfiable's answers by id(requirement), with the requirement (so that its id is
        # not reused) and the candidate that made it true (see _satisfiable).
        self._satisfying: dict[int, tuple[Requirement, bool, Candidate | None]] = {}
        # Set when the resolution is over: background prefetches stop starting new work.
        self.finished = False
        # What a candidate's dependencies assumed (see patch_note), kept by candidate so that
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
        only narrow further).

        Asked for every dependency of every candidate resolvelib looks at, again on each
        round, and a dependency such as botocore<1.40.62 walks past hundreds of newer versions
        before its first candidate: so the answer is kept with the candidate that made it true,
        and holds as long as that one is not known to be dead. A false answer is final: the
        candidates and the user's lines do not change during a resolution, and the dead only
        grow (docs/performance.md, round 7)."""
        known = self._satisfying.get(id(requirement))
        if known is not None:
            _requirement, verdict, witness = known
            if not verdict or witness is None or not self._gone(witness):
                return verdict
        verdict, witness = self._find_satisfying(requirement)
        self._satisfying[id(requirement)] = (requirement, verdict, witness)
        return verdict

    def _gone(self, candidate: Candidate) -> bool:
        """Whether a candidate that once met a requirement no longer counts: known to be dead
        since, or an sdist ruled out by its sources since (the finder no longer offers it)."""
        if candidate in self._known_dead:
            return True
        return candidate.version in self.finder.passed_over.get(candidate.name, {})

    def _find_satisfying(self, requirement: Requirement) -> tuple[bool, Candidate | None]:
        """:meth:`_satisfiable` worked out: the answer, and the candidate that makes it true
        (None when nothing does, or only a matching pre-release does)."""
        lines = [
            Requirement(requirement.name, root.specifier, requirement.extras)
            for root in self._roots.get(requirement.name, ())
        ]
        for candidate in self.finder.iter_candidates(
            requirement.name, requirement.extras, [requirement, *lines]
        ):
            if candidate not in self._known_dead:
                return True, candidate
        if requirement.name == PYTHON or self.finder.allows_pre(requirement.name) is not None:
            return False, None
        # A pre-release is taken when nothing else matches, which further requirements may
        # bring about: a project with a matching pre-release is never counted out.
        prerelease = any(
            version.is_prerelease
            and requirement.accepts_version(version)
            and all(line.accepts_version(version) for line in lines)
            for version in self.finder.releases(requirement.name).versions()
        )
        return prerelease, None

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
        new = list(dict.fromkeys(r.name for r in dependencies if r.name not in self._seen))
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
                    note = patch_note(who, dependency, self.target)
                    self.assumed.setdefault(candidate, []).append(note)
        return found


def _pins_one(requirement: Requirement) -> bool:
    """Whether ``requirement`` pins one version or file (an exact version or a direct URL),
    which _preference decides first: one definition for the check and for the set of projects
    that may need it (``_may_pin``), so the two cannot disagree."""
    return requirement.is_exact or requirement.url_file is not None


def patch_note(who: str, requirement: PackagingRequirement, target: Target) -> str:
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


class OutOfTime(Exception):
    """Raised inside resolvelib's loop when the deadline passes; :func:`resolve` catches it."""


class Clock:
    """The ``--resolve-timeout`` deadline (None: none), checked at every round and before each
    candidate's dependencies are read, so one long round cannot overrun it by much."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds or 0.0
        self.deadline = time.monotonic() + seconds if seconds else None

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfTime


class Reporter(resolvelib.BaseReporter[Requirement, Candidate, str]):
    """Progress texts, the deadline, and a count of rejected versions per project: the names a
    timed-out resolution reports as where it kept backtracking."""

    def __init__(self, on_progress: Callable[[str], None] | None, clock: Clock) -> None:
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
