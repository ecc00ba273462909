"""Why a resolution fails, as data and in words: the resolver's errors (each carries the
demands, versions and tags it is about) and the short texts they are told in (what a
release ships, in a few words; what would work instead; the known binary twins of
source-only projects).

Errors carry every tag and version; the words here are the one or two lines a user
reads, so that a "no wheel" error says what would work instead of printing kilobytes of
tags (the full lists stay on the error, shown under ``-v``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tagpip.errors import Span, TagpipError
from tagpip.index import ProjectStatus

__all__ = [
    "BINARY_TWINS",
    "Conflict",
    "Demand",
    "NoWheelForTarget",
    "QuarantinedProject",
    "ResolutionImpossible",
    "ResolutionTimedOut",
    "ResolutionTooDeep",
    "ResolveError",
    "UnknownProject",
    "UnsupportedRequirement",
    "WheelDoesNotFit",
    "natural_key",
    "no_wheel_text",
    "place",
    "summarise_tags",
]


def place(span: Span) -> str:
    return f"{span.source}:{span.line}"


def natural_key(text: str) -> list[int | str]:
    """Sort key that reads digit runs as numbers, so ``cp39`` comes before ``cp310``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


class ResolveError(TagpipError):
    """The requirements cannot be resolved for the target."""


@dataclass(frozen=True)
class Demand:
    """One requirement taking part in a failure, and who made it.

    ``requirement`` is as written (``urllib3<1.27,>=1.21.1``); ``parent`` is ``name==version``
    of the project that depends on it, or None for a user's line, whose place is ``span``;
    ``parent_from`` says where the parent came from (``requirements.txt:3`` or ``via x``).
    ``constraint`` marks a ``-c`` line. ``specifier`` is the requirement's, for the
    explanations that ask which versions it lets through (``tagpip why``).
    """

    requirement: str
    parent: str | None = None
    parent_from: str | None = None
    span: Span | None = None
    constraint: bool = False
    specifier: SpecifierSet = field(default_factory=SpecifierSet)

    def describe(self) -> str:
        if self.parent is not None:
            where = f" ({self.parent_from})" if self.parent_from else ""
            return f"{self.parent}{where} requires {self.requirement}"
        where = place(self.span) if self.span is not None else "the command line"
        if self.constraint:
            return f"{self.requirement} is a constraint from {where}"
        return f"{self.requirement} is required by {where}"

    def source(self) -> str:
        """Who asked: ``FILE:LINE`` or ``parent==version``."""
        if self.parent is not None:
            return self.parent
        return place(self.span) if self.span is not None else "the command line"

    def excludes(self) -> str:
        """Why a version this demand leaves out was passed over (words that read after the
        version: ``2.0 is excluded by requirements.txt:3: lib<2``)."""
        if self.parent is not None:
            return f"is excluded by {self.parent}, which requires {self.requirement}"
        if self.constraint:
            return f"is excluded by the constraint {self.source()}: {self.requirement}"
        return f"is excluded by {self.source()}: {self.requirement}"

    def clashes(self, wants: str) -> str:
        """Why a version that ``wants`` something this demand cannot meet was passed over."""
        if self.parent is not None:
            return (
                f"requires {wants}, which conflicts with {self.parent} requiring {self.requirement}"
            )
        if self.constraint:
            return (
                f"requires {wants}, which conflicts with the constraint {self.source()}: "
                f"{self.requirement}"
            )
        return f"requires {wants}, which conflicts with {self.source()}: {self.requirement}"


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


# Projects that publish sources only (or sources first) and a twin that publishes wheels of the
# same code. Sources: psycopg2's docs, "psycopg2 vs psycopg2-binary"
# (https://www.psycopg.org/docs/install.html#psycopg-vs-psycopg-binary); psycopg 3's docs
# (https://www.psycopg.org/psycopg3/docs/basic/install.html#binary-installation); mysqlclient has
# no twin, PyMySQL is pure Python but a different API, so it is not listed.
BINARY_TWINS: dict[str, str] = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",
}


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
    ordered = sorted(pythons, key=natural_key)
    python_text = ordered[0] if len(ordered) == 1 else f"{ordered[0]}-{ordered[-1]}"
    if len(ordered) == 2:
        python_text = f"{ordered[0]}, {ordered[1]}"
    order = sorted(families, key=lambda f: (_LAST.get(f, 0), natural_key(f)))
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
