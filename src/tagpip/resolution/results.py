"""What a resolution is: the pins (one wheel per project, with why it is there and the
target it was chosen for) and the dependency graph between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.utils import (
    NormalizedName,
    canonicalize_name,
)
from packaging.version import Version

from tagpip.index import ACTIVE, DistFile, ProjectStatus
from tagpip.requirements import TaggedRequirement
from tagpip.resolution.errors import place
from tagpip.resolution.policy import Policy
from tagpip.target import Target

__all__ = [
    "Pin",
    "Resolution",
]


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
        return tuple(place(line.span) for line in self.lines) + tuple(self.required_by)


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
    # What it was resolved from and under which rules: the explanations (tagpip why,
    # --explain, the downgrade notes) read them here, so they cannot apply other ones.
    requirements: tuple[TaggedRequirement, ...] = field(default=(), compare=False)
    constraints: tuple[TaggedRequirement, ...] = field(default=(), compare=False)
    policy: Policy = field(default_factory=Policy, compare=False)

    def __getitem__(self, name: str) -> Pin:
        wanted = canonicalize_name(name)
        for pin in self.pins:
            if pin.name == wanted:
                return pin
        raise KeyError(name)
