"""Finding and ranking candidates: which versions of a project can serve the target, and with
which wheel.

The resolver's provider (:mod:`tagpip.resolution.resolver`) asks one question of this module: given
every requirement on a project seen so far, which versions can be pinned, best first? The answer is
one :class:`Candidate` per version, each carrying its best wheel: the wheel the target ranks highest
(its most preferred compatible tag), then the highest build tag. A wheel is usable when it fits the
target, every requirement's own tag block, the target's Python (``Requires-Python`` as the index
gives it), the upload cut-off, and is not yanked (unless a requirement pins its version with
``==``/``===``). Pre-releases follow pip and packaging: allowed with ``--pre``, when a specifier
names one, or when nothing else matches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from tagpip.config import ReleaseControl
from tagpip.index import DistFile, Index, ProjectFiles, ProjectStatus
from tagpip.requirements import TaggedRequirement
from tagpip.resolution.policy import DEFAULT_POLICY, Policy
from tagpip.target import Target

__all__ = [
    "PYTHON",
    "Candidate",
    "CandidateFinder",
    "Constraint",
    "Requirement",
    "identifier",
]

# The identifier of the target's Python, which a wheel whose metadata has a Requires-Python the
# target fails depends on (pip's RequiresPythonRequirement pattern): it has one candidate or none.
PYTHON = "<python>"


def identifier(name: str, extras: Iterable[str]) -> str:
    """The resolver's key: the project name, or ``name[extra1,extra2]`` for an extras node."""
    ordered = sorted(extras)
    return f"{name}[{','.join(ordered)}]" if ordered else name


@dataclass(frozen=True)
class Candidate:
    """One version of a project, with the wheel chosen for it and the extras it stands for.

    ``file`` is None only for the target's Python (name :data:`PYTHON`). Candidates are made by
    :class:`CandidateFinder`, which caches them, so equal candidates are the same object.
    """

    name: str
    version: Version
    file: DistFile | None
    extras: frozenset[str] = frozenset()
    rank: int = 0

    @property
    def key(self) -> str:
        return identifier(self.name, self.extras)

    def __str__(self) -> str:
        return f"{self.key}=={self.version}"


@dataclass(frozen=True)
class Requirement:
    """A requirement as the resolver sees it.

    ``line`` is the user's line it came from (None for a dependency: the resolver knows the
    parent). ``block`` is the narrower target of the line's tag block. ``url_file`` is the wheel a
    ``name @ url`` requirement names. ``pinned`` is the exact candidate an extras node depends
    on. A requirement named :data:`PYTHON` is a Requires-Python: ``specifier`` holds it.
    """

    name: str
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    extras: frozenset[str] = frozenset()
    block: Target | None = None
    url_file: DistFile | None = None
    pinned: Candidate | None = None
    line: TaggedRequirement | None = None

    @property
    def key(self) -> str:
        return identifier(self.name, self.extras)

    # resolvelib asks about every pin on every round (is_satisfied_by, get_preference), so a
    # resolution of n projects asks n^2 times: the answers are kept on the requirement (values
    # are immutable, so they never change; the cache is not a field, so equality ignores it).

    @functools.cached_property
    def is_exact(self) -> bool:
        """Whether it pins one version (``==`` without a wildcard, ``===``, or an extras node's
        exact base candidate), which lets a yanked file be used."""
        return self.pinned is not None or any(
            s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
            for s in self.specifier
        )

    @functools.cached_property
    def _accepted(self) -> dict[Version, bool]:
        return {}

    def __str__(self) -> str:
        if self.name == PYTHON:
            return f"Python {self.specifier}"
        text = self.name
        if self.extras:
            text += f"[{','.join(sorted(self.extras))}]"
        if self.url_file is not None:
            return f"{text} @ {self.url_file.url}"
        return text + str(self.specifier)

    def accepts_version(self, version: Version) -> bool:
        accepted = self._accepted.get(version)
        if accepted is None:
            accepted = self._accepted[version] = self.specifier.contains(version, prereleases=True)
        return accepted

    def accepts_file(self, file: DistFile) -> bool:
        if self.pinned is not None and file != self.pinned.file:
            return False
        if self.url_file is not None and file != self.url_file:
            return False
        # An sdist's wheel is checked against the target once built (tagpip.build.builder).
        return (
            self.block is None or not file.is_wheel or self.block.wheel_rank(file.tags) is not None
        )


@dataclass(frozen=True)
class Constraint:
    """A ``-c`` line: restricts the versions (and, with a tag block, the wheels) of a project;
    never adds it. A ``name @ URL`` constraint (``url_file``) restricts the project to that
    wheel, as pip restricts it to the link."""

    name: NormalizedName
    specifier: SpecifierSet
    block: Target | None
    line: TaggedRequirement
    url_file: DistFile | None = None

    def accepts_version(self, version: Version) -> bool:
        return self.specifier.contains(version, prereleases=True)

    def accepts_file(self, file: DistFile) -> bool:
        if self.url_file is not None and file != self.url_file:
            return False
        return self.block is None or self.block.wheel_rank(file.tags) is not None


@dataclass(frozen=True)
class Rejection:
    """Why a version that matches the specifiers cannot be used (for error messages)."""

    version: Version
    reason: str


class CandidateFinder:
    """Turns the index's files into ranked, cached candidates for one target."""

    def __init__(
        self,
        index: Index,
        target: Target,
        *,
        constraints: Sequence[Constraint] = (),
        policy: Policy = DEFAULT_POLICY,
        builds: Callable[[str], bool] | None = None,
        prefer_source: Collection[str] = (),
        user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
    ) -> None:
        self.index = index
        # PEP 792: a project its index marks quarantined has no candidates unless named here
        # (the policy's ``allow_quarantined``); the ones met are kept, with their status, for the
        # words.
        self.allow_quarantined = policy.allow_quarantined
        self.quarantined: dict[str, ProjectStatus] = {}
        # Whether a project may be built from its sdist (None: never; see tagpip.build.builder).
        self.builds = builds
        # Projects (or ":all:") whose newest version wins even when it ships only an sdist.
        self.prefer_source = frozenset(prefer_source)
        # The user's --hash values by project (``algo:hex``), and, per project, the files whose
        # digest on the index is one of them (see _hashed_files).
        self.user_hashes = {str(k): tuple(v) for k, v in (user_hashes or {}).items() if v}
        self._hashed: dict[str, frozenset[str] | None] = {}
        self.target = target
        self.policy = policy
        self.releases_control = ReleaseControl.of(policy.pre)
        self.ignore_requires_python = policy.ignore_requires_python
        self.constraints: dict[str, list[Constraint]] = {}
        for constraint in constraints:
            self.constraints.setdefault(constraint.name, []).append(constraint)
        self._releases: dict[str, ProjectFiles] = {}
        # (name, version, exact pin) -> the version's usable wheels with their target rank.
        self._usable: dict[tuple[str, Version, bool], tuple[tuple[int, DistFile], ...]] = {}
        self._cache: dict[tuple[str, frozenset[str], str], Candidate] = {}
        self._python: Candidate | None = None
        # Requires-Python strings repeat over thousands of files: judge each string once.
        self._requires_python: dict[str, str | None] = {}
        # The sdist candidates ruled out by what their sources showed (needs compiling, a build
        # that failed or came out impure), by project and version, with why: never offered
        # again, and named when the project ends with no candidate.
        self.passed_over: dict[str, dict[Version, str]] = {}

    def files(self, name: str) -> Sequence[DistFile]:
        """The index's files for ``name`` (fetched once)."""
        return self.releases(name)

    def fetched(self, name: str) -> bool:
        """Whether the index's files for ``name`` are already here (asking would not fetch)."""
        return name in self._releases

    def releases(self, name: str) -> ProjectFiles:
        """The files of ``name`` grouped by version, built one version at a time."""
        if name not in self._releases:
            self._releases[name] = self.index.releases(NormalizedName(name))
        return self._releases[name]

    def status(self, name: str) -> ProjectStatus:
        """The project's PEP 792 status on the index that serves it (fetching its page)."""
        return self.releases(name).status

    def refuses(self, name: str) -> bool:
        """Whether ``name`` is quarantined on its index and not allowed by name: it then has no
        candidate (the resolver moves on without it, or says why it cannot)."""
        status = self.status(name)
        if not status.quarantined or name in self.allow_quarantined:
            return False
        self.quarantined.setdefault(name, status)
        return True

    def prefetch_projects(
        self,
        names: Iterable[str],
        then: Callable[[NormalizedName, Sequence[DistFile]], None] | None = None,
    ) -> None:
        """Ask the index to start fetching these projects' files in the background (an index
        that cannot fetches nothing), and to call ``then`` with each project's files when they
        are there."""
        wanted = [n for n in names if n != PYTHON and n not in self._releases]
        if wanted:
            self.index.prefetch_projects(wanted, then=then)

    def pass_over(self, candidate: Candidate, reason: str) -> None:
        """Rule out an sdist candidate for the rest of the run, saying why (``reason`` reads
        after the version: "its sdist needs compiling (...)")."""
        self.passed_over.setdefault(candidate.name, {}).setdefault(candidate.version, reason)

    def _hashed_files(self, name: str, releases: ProjectFiles) -> frozenset[str] | None:
        """In hash-checking mode, the files of ``name`` whose digest on the index is one the
        user's ``--hash`` values allow: then only they are candidates (pip's rule), so a line
        hashing the sdist gets the sdist built, not a wheel nobody hashed. None when the user
        gave no hash for the project, or none of its files' digests on the index matches (the
        download then reports the mismatch by name)."""
        if name not in self._hashed:
            allowed = set()
            for text in self.user_hashes.get(name, ()):
                algo, _, digest = text.partition(":")
                allowed.add((algo.strip().lower(), digest.strip().lower()))
            if not allowed:
                # No --hash for the project (nearly always): its files are not even built,
                # so that a lazy page stays lazy (docs/performance.md, round 7).
                self._hashed[name] = None
                return None
            matching = frozenset(
                file.filename
                for file in releases
                if any((a.lower(), d.lower()) in allowed for a, d in file.hashes)
            )
            self._hashed[name] = matching if allowed and matching else None
        return self._hashed[name]

    def prefers_source(self, name: str) -> bool:
        """Whether ``name`` takes its newest version even when that means building its sdist
        (``--prefer-source``), instead of a wheel of an older version first."""
        return ":all:" in self.prefer_source or name in self.prefer_source

    def allows_pre(self, name: str) -> bool | None:
        """Whether ``name`` may take pre-releases: see :meth:`ReleaseControl.allows`."""
        return self.releases_control.allows(name)

    def newest_wheel(self, name: str) -> DistFile | None:
        """The wheel a bare requirement on ``name`` would most likely be pinned to (constraints
        aside): what is worth fetching the metadata of before the resolver asks. It creates no
        candidates, so a fetching thread may call it while the resolver runs."""
        releases = self.releases(name)
        takes_pre = self.allows_pre(name) is True
        for version in releases.versions():
            if version.is_prerelease and not takes_pre:
                continue
            wheels = self._usable_wheels(name, releases, version, exact_pin=False, cache=True)
            if wheels:
                return _best_wheel(wheels)[1]
        return None

    def python(self) -> Candidate:
        """The single candidate standing for the target's Python."""
        if self._python is None:
            version = Version(".".join(str(p) for p in self.target.python_version))
            self._python = Candidate(PYTHON, version, None)
        return self._python

    def find(
        self, name: str, extras: frozenset[str], requirements: Sequence[Requirement]
    ) -> list[Candidate]:
        """Every usable candidate meeting all ``requirements`` (and the constraints), best first:
        the versions with a wheel for the target, newest first, each with its best wheel; then
        the versions that ship only an sdist for it, newest first (unless the project prefers
        source: then one order by version)."""
        return list(self.iter_candidates(name, extras, requirements))

    def iter_candidates(
        self, name: str, extras: frozenset[str], requirements: Sequence[Requirement]
    ) -> Iterator[Candidate]:
        """:meth:`find`, lazily: a version's files are built and ranked only when the iteration
        reaches it, and a resolver usually takes the first candidate."""
        if name == PYTHON:
            ok = all(self.target.allows_requires_python(r.specifier) for r in requirements)
            if ok or self.ignore_requires_python:
                yield self.python()
            return
        constraints = self.constraints.get(name, [])
        # As pip: a URL constraint's wheel is the candidate of a requirement by name; a URL
        # requirement comes first and must then be the same wheel (accepts_file below).
        url_files = [r.url_file for r in requirements if r.url_file is not None]
        url_files += [c.url_file for c in constraints if c.url_file is not None]
        exact_pin = any(r.is_exact for r in requirements) or bool(url_files)
        if url_files:
            releases = ProjectFiles.from_files(NormalizedName(name), url_files[:1])
        else:
            releases = self.releases(name)
            if self.refuses(name):
                return
        # Tag blocks, URLs and pinned extras nodes narrow the files; plain requirements do not.
        narrows = any(
            r.block is not None or r.url_file is not None or r.pinned is not None
            for r in requirements
        ) or any(c.block is not None or c.url_file is not None for c in constraints)

        def matches(version: Version) -> bool:
            return all(r.accepts_version(version) for r in requirements) and all(
                c.accepts_version(version) for c in constraints
            )

        def wheel(version: Version) -> Candidate | None:
            wheels = self._usable_wheels(
                name, releases, version, exact_pin=exact_pin, cache=not url_files
            )
            if narrows:
                wheels = tuple(
                    (rank, file)
                    for rank, file in wheels
                    if all(r.accepts_file(file) for r in requirements)
                    and all(c.accepts_file(file) for c in constraints)
                )
            return self._candidate(name, extras, version, wheels) if wheels else None

        def sdist(version: Version) -> Candidate | None:
            if url_files:
                return None
            found = self._sdist_candidate(name, extras, releases, version, exact_pin)
            # Held to what narrows the wheels: a pinned extras node's file is a wheel, so no
            # sdist is it (a tag block is checked on the sdist's wheel once built).
            if found is None or found.file is None or not narrows:
                return found
            return found if all(r.accepts_file(found.file) for r in requirements) else None

        newest_wins = bool(url_files) or self.prefers_source(name)

        def ordered(chosen: Iterable[Version]) -> Iterator[Candidate]:
            # Wheels first: a version whose only file for the target is an sdist comes after
            # every version with a fitting wheel (pip's --prefer-binary order, tagpip's default,
            # since the target has no compiler); --prefer-source NAME gives back the newest-
            # version-wins order for a project.
            later: list[Version] = []
            for version in chosen:
                if not matches(version):
                    continue
                found = wheel(version)
                if found is None and newest_wins:
                    found = sdist(version)
                elif found is None:
                    later.append(version)
                    continue
                if found is not None:
                    yield found
            for version in later:
                found = sdist(version)
                if found is not None:
                    yield found

        versions = releases.versions()
        allowed = None if url_files else self.allows_pre(name)
        # A specifier that names a pre-release (``>=2.0b1``) allows them, as in pip, where the
        # requirements' and constraints' specifiers are merged before asking; --only-final
        # for the project (allowed is False) forbids them all the same.
        explicit = any(r.specifier.prereleases for r in requirements) or any(
            c.specifier.prereleases for c in constraints
        )
        takes_pre = allowed is True or (allowed is None and explicit)
        any_final = False
        for candidate in ordered(v for v in versions if takes_pre or not v.is_prerelease):
            any_final = True
            yield candidate
        if any_final or takes_pre or allowed is False:
            return
        # As packaging's SpecifierSet.filter: pre-releases only when nothing else matches.
        yield from ordered(v for v in versions if v.is_prerelease)

    def rejections(self, name: str, requirements: Sequence[Requirement]) -> list[Rejection]:
        """For versions that match every specifier and have a wheel for the target and blocks,
        why they were not usable (Requires-Python, yanked, upload time), newest first."""
        constraints = self.constraints.get(name, [])
        found: dict[Version, str] = {}
        for file in self.files(name):
            if not (
                file.is_wheel
                and all(r.accepts_version(file.version) for r in requirements)
                and all(c.accepts_version(file.version) for c in constraints)
                and self.target.wheel_rank(file.tags) is not None
                and all(r.accepts_file(file) for r in requirements)
            ):
                continue
            reason = self._rejection(file, exact_pin=any(r.is_exact for r in requirements))
            if reason is None:
                continue
            found.setdefault(file.version, reason)
        return [Rejection(v, found[v]) for v in sorted(found, reverse=True)]

    def plain(self, candidate: Candidate) -> Candidate:
        """The candidate without extras for the same version and wheel (an extras node's base)."""
        assert candidate.file is not None
        no_extras: frozenset[str] = frozenset()
        key = (candidate.name, no_extras, candidate.file.filename)
        if key not in self._cache:
            self._cache[key] = Candidate(
                candidate.name, candidate.version, candidate.file, frozenset(), candidate.rank
            )
        return self._cache[key]

    def rejection(self, file: DistFile, *, exact_pin: bool = False) -> str | None:
        """Why ``file`` cannot be used whatever its tags (yanked, a cut-off, Requires-Python),
        or None: this finder's own rule, for explaining a resolution after the fact
        (:mod:`tagpip.resolution.why`) without a second definition of it."""
        return self._rejection(file, exact_pin=exact_pin)

    def _usable_rank(self, file: DistFile, *, exact_pin: bool) -> int | None:
        if self._rejection(file, exact_pin=exact_pin) is not None:
            return None
        return self.target.wheel_rank(file.tags)

    def _rejection(self, file: DistFile, *, exact_pin: bool) -> str | None:
        """Why a wheel cannot be used whatever its tags, or None when it can."""
        if not file.is_wheel:
            return "not a wheel"
        if file.yanked is not None and not exact_pin:
            because = f": {file.yanked}" if file.yanked else ""
            return f"is yanked{because} (pin it with == to use it)"
        cut_off = self.policy.upload_rejection(file.upload_time)
        if cut_off is not None:
            return cut_off
        if not self.ignore_requires_python and file.requires_python:
            text = file.requires_python
            if text not in self._requires_python:
                self._requires_python[text] = self._python_rejection(text)
            return self._requires_python[text]
        return None

    def _python_rejection(self, requires_python: str) -> str | None:
        try:
            spec = SpecifierSet(requires_python)
        except InvalidSpecifier:
            # pip ignores an invalid Requires-Python on the index; so do we.
            return None
        if not self.target.allows_requires_python(spec):
            return f"requires Python {spec}"
        return None

    def _usable_wheels(
        self,
        name: str,
        releases: ProjectFiles,
        version: Version,
        *,
        exact_pin: bool,
        cache: bool,
    ) -> tuple[tuple[int, DistFile], ...]:
        """The wheels of ``version`` the target can use, with their rank (cached for the index's
        files: the resolver asks again every time a requirement on the project changes)."""
        key = (name, version, exact_pin)
        found = self._usable.get(key) if cache else None
        if found is None:
            hashed = self._hashed_files(name, releases) if cache else None
            found = tuple(
                (rank, file)
                for file in releases.of_version(version)
                if hashed is None or file.filename in hashed
                for rank in [self._usable_rank(file, exact_pin=exact_pin)]
                if rank is not None
            )
            if cache:
                self._usable[key] = found
        return found

    def _candidate(
        self,
        name: str,
        extras: frozenset[str],
        version: Version,
        wheels: Sequence[tuple[int, DistFile]],
    ) -> Candidate:
        best_rank, file = _best_wheel(wheels)
        key = (name, extras, file.filename)
        found = self._cache.get(key)
        if found is None:
            found = self._cache.setdefault(key, Candidate(name, version, file, extras, best_rank))
        return found

    def _sdist_candidate(
        self,
        name: str,
        extras: frozenset[str],
        releases: ProjectFiles,
        version: Version,
        exact_pin: bool,
    ) -> Candidate | None:
        """A "build from source" candidate for a version with no usable wheel, when the format
        rules allow building the project: its sdist, ranked below every wheel and offered only
        after every version with a wheel (:meth:`iter_candidates`); whether it can be built
        pure, and the build, are :mod:`tagpip.build.builder`'s."""
        if self.builds is None or not self.builds(name):
            return None
        if version in self.passed_over.get(name, ()):
            return None
        hashed = self._hashed_files(name, releases)
        for file in sorted(releases.of_version(version), key=lambda f: f.filename):
            if hashed is not None and file.filename not in hashed:
                continue
            if file.is_wheel or not file.filename.lower().endswith((".tar.gz", ".zip")):
                continue
            if _rejection_of_sdist(self, file, exact_pin=exact_pin) is not None:
                continue
            key = (name, extras, file.filename)
            found = self._cache.get(key)
            if found is None:
                found = self._cache.setdefault(
                    key, Candidate(name, version, file, extras, SDIST_RANK)
                )
            return found
        return None


# Below every wheel's rank: a built wheel is the last resort for its version.
SDIST_RANK = 1 << 30


def _rejection_of_sdist(finder: CandidateFinder, file: DistFile, *, exact_pin: bool) -> str | None:
    """The wheel rules that apply to an sdist too: yanked, upload time, Requires-Python."""
    as_wheel = DistFile.untagged(
        file.project,
        file.filename,
        file.url,
        file.version,
        is_wheel=True,
        requires_python=file.requires_python,
        yanked=file.yanked,
        upload_time=file.upload_time,
    )
    return finder._rejection(as_wheel, exact_pin=exact_pin)


def _best_wheel(wheels: Sequence[tuple[int, DistFile]]) -> tuple[int, DistFile]:
    """The best-ranked wheel; a higher build tag wins, and the file name settles the rest so the
    choice never depends on the index's order."""
    best_rank = min(rank for rank, _ in wheels)
    ranked = sorted((file for rank, file in wheels if rank == best_rank), key=lambda f: f.filename)
    ranked.sort(key=lambda f: f.build, reverse=True)
    return best_rank, ranked[0]
