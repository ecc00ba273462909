"""The resolve stage: requirements + target + index -> one consistent set of pinned wheels.

Who does what:

* :class:`tagpip.resolution.candidates.CandidateFinder` knows the index's files: it decides which
  versions of a project can serve the target and with which wheel (tag rank, build tag, block,
  yanked, Requires-Python, pre-releases, constraints) and caches the candidates it makes.
* :class:`Provider` is the thin resolvelib adapter: it names things (``identify``), orders work
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
from collections.abc import Callable, Collection, Mapping, Sequence

import resolvelib
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)

from tagpip.errors import TagpipError
from tagpip.hashes import fragment_hashes
from tagpip.index import ACTIVE, DistFile, Index, ProjectStatus
from tagpip.requirements import TaggedRequirement
from tagpip.resolution.building import Builder
from tagpip.resolution.candidates import (
    Candidate,
    CandidateFinder,
    Constraint,
    Requirement,
)
from tagpip.resolution.errors import (
    ResolutionTimedOut,
    ResolutionTooDeep,
    UnsupportedRequirement,
    WheelDoesNotFit,
    place,
)
from tagpip.resolution.failures import explain_failure
from tagpip.resolution.policy import DEFAULT_POLICY, Policy
from tagpip.resolution.provider import Clock, OutOfTime, Provider, Reporter, patch_note
from tagpip.resolution.results import Pin, Resolution
from tagpip.target import Target, TargetError, target_for_block
from tagpip.urls import redact_url

__all__ = [
    "MAX_ROUNDS",
    "resolve",
]


# resolvelib's rounds; pip uses 200000. Each round pins one candidate or backtracks one step.
MAX_ROUNDS = 200_000


def resolve(
    requirements: Sequence[TaggedRequirement],
    target: Target,
    index: Index,
    *,
    constraints: Sequence[TaggedRequirement] = (),
    policy: Policy | None = None,
    no_deps: bool = False,
    on_progress: Callable[[str], None] | None = None,
    builder: Builder | None = None,
    timeout: float | None = None,
    prefer_source: Collection[str] = (),
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
) -> Resolution:
    """Pin one wheel per project so that every requirement holds on ``target``.

    Markers (the user's and the dependencies') are evaluated for the target; a user's line whose
    marker is false is skipped. A line with a tag block only takes wheels that also fit the block.
    ``constraints`` restrict versions (and wheels, with a block) without adding projects.
    ``policy`` says which releases and files may be chosen (pre-releases, Requires-Python, the
    upload cut-offs, quarantined projects: :class:`~tagpip.resolution.policy.Policy`; None: its
    defaults); the
    resolution records it with the lines, for the explanations made of it afterwards.
    ``on_progress`` receives short status texts. ``timeout`` (seconds; None or 0 for none)
    bounds the resolution: past it, :class:`ResolutionTimedOut` names where the resolver kept
    backtracking. With a ``builder``, a version with no fitting wheel but an sdist the builder
    may build is a candidate, offered only after every version with a fitting wheel (wheels
    first; ``prefer_source`` names projects, or ``:all:``, whose newest version wins instead);
    the builder rules it out when its sources need compiling or its build fails or is impure,
    and the resolver moves on. ``user_hashes`` (project -> ``algo:hex`` values, the ``--hash``
    options) narrow a project's candidates to the files whose digest on the index they allow,
    as pip narrows them in hash-checking mode. A built pin's ``file`` is the sdist; the
    ``builder`` turns it into a wheel. A project its index marks quarantined (PEP 792) has no
    candidate unless the policy's ``allow_quarantined`` names it; each pin carries its
    project's status, and a quarantined project the resolution did without is said in a note.

    Raises :class:`ResolveError` subclasses, :class:`tagpip.target.TargetError` for a block
    the target cannot run or a marker it cannot evaluate, and the index's own errors.
    """
    policy = policy if policy is not None else DEFAULT_POLICY
    roots: list[Requirement] = []
    notes: list[str] = []
    for line in requirements:
        requirement = _from_line(line, target, builder)
        if requirement is not None:
            roots.append(requirement)
            marker = line.requirement.marker
            where = requirement.block or target
            if marker is not None and where.assumes_patch_level(marker):
                notes.append(patch_note(f"{place(line.span)}:", line.requirement, where))
    finder = CandidateFinder(
        index,
        target,
        constraints=_constraints(constraints, target),
        policy=policy,
        builds=builder.allows if builder is not None else None,
        prefer_source=prefer_source,
        user_hashes=user_hashes,
    )
    clock = Clock(timeout)
    provider = Provider(finder, no_deps=no_deps, builder=builder, clock=clock)
    provider.tag_like = {
        r.key: r.line for r in roots if r.line is not None and r.line.tag_like_extras is not None
    }
    for root in roots:
        provider._roots.setdefault(root.name, []).append(root)
    provider._user_keys = frozenset(root.key for root in roots)
    provider.prefetch_projects(list(dict.fromkeys(r.name for r in roots if r.url_file is None)))
    reporter = Reporter(on_progress, clock)
    resolver = resolvelib.Resolver(provider, reporter)
    try:
        result = resolver.resolve(roots, max_rounds=MAX_ROUNDS)
    except OutOfTime:
        raise ResolutionTimedOut(clock.seconds, reporter.most_rejected()) from None
    except resolvelib.ResolutionImpossible as exc:
        raise explain_failure(finder, list(exc.causes), roots) from None
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
    resolution = _resolution(result, roots, target, tuple(dict.fromkeys(notes)), statuses)
    buildable = frozenset(
        pin.name
        for pin in resolution.pins
        if builder is not None and builder.allows(pin.name) and not finder.prefers_source(pin.name)
    )
    return dataclasses.replace(
        resolution,
        passed_over=finder.passed_over,
        buildable=buildable,
        requirements=tuple(requirements),
        constraints=tuple(constraints),
        policy=policy,
    )


def _quarantine_note(name: str, status: ProjectStatus) -> str:
    """The line saying that a quarantined project some version required was passed over."""
    where = f" on {status.index}" if status.index else ""
    why = f" ({status.reason})" if status.reason else ""
    return (
        f"{name} is quarantined{where}{why}: the versions that require it were passed over "
        f"(--allow-quarantined {name} takes it)"
    )


def _from_line(
    line: TaggedRequirement, target: Target, builder: Builder | None = None
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
    builder: Builder | None = None,
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
            place(line.span),
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
