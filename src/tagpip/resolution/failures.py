"""Turning resolvelib's causes of a failed resolution into the most specific error, in
plain words: which demands clash, a project no index has, versions that match but ship
no wheel for the target, a Requires-Python the target fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet

from tagpip.index import ACTIVE
from tagpip.resolution.candidates import (
    PYTHON,
    Candidate,
    CandidateFinder,
    Constraint,
    Requirement,
)
from tagpip.resolution.errors import (
    Conflict,
    Demand,
    NoWheelForTarget,
    QuarantinedProject,
    ResolutionImpossible,
    ResolveError,
    UnknownProject,
    natural_key,
    place,
)

if TYPE_CHECKING:
    from tagpip.resolution.provider import Information

__all__ = [
    "explain_failure",
]


def explain_failure(
    finder: CandidateFinder, causes: Sequence[Information], roots: Sequence[Requirement]
) -> ResolveError:
    """Turn resolvelib's causes into the most specific error, in plain words."""
    origins: dict[str, list[str]] = {}
    for root in roots:
        if root.line is not None:
            where = place(root.line.span)
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
                who = list(dict.fromkeys(d.source() for d in demands))
                return QuarantinedProject(name, status, who, allowed=allowed)
        if not finder.files(name) and not any(r.url_file for r in reqs):
            return UnknownProject(name, list(dict.fromkeys(d.source() for d in demands)))
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
                {str(t) for f in files if f.version == version for t in f.tags}, key=natural_key
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
            list(dict.fromkeys(d.source() for d in demands if not d.constraint)),
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
    where = f"the constraint at {place(linked.line.span)} allows only {wheel.filename}"
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
