"""Resolving: requirements + target + index -> one consistent set of pinned wheels, the
errors that say why there is none, and the words that explain a resolution after the
fact (``tagpip why``, ``tagpip matrix``, the downgrade notes).
"""

from __future__ import annotations

from tagpip.resolution.building import Builder, BuiltWheel
from tagpip.resolution.errors import (
    BINARY_TWINS,
    Conflict,
    Demand,
    NoWheelForTarget,
    QuarantinedProject,
    ResolutionImpossible,
    ResolutionTimedOut,
    ResolutionTooDeep,
    ResolveError,
    UnknownProject,
    UnsupportedRequirement,
    WheelDoesNotFit,
    natural_key,
    no_wheel_text,
    place,
    summarise_tags,
)
from tagpip.resolution.policy import DEFAULT_POLICY, Policy, as_utc, parse_cutoff, with_zone
from tagpip.resolution.resolver import MAX_ROUNDS, resolve
from tagpip.resolution.results import Pin, Resolution
from tagpip.resolution.statuses import (
    FAILING,
    Pinned,
    StatusRefused,
    check_statuses,
    parse_fail_on,
    status_warnings,
)
from tagpip.resolution.table import Cell, Matrix, matrix
from tagpip.resolution.why import (
    Considered,
    Downgrade,
    Explanation,
    NotResolved,
    downgrades,
    explain,
)

__all__ = [
    "BINARY_TWINS",
    "DEFAULT_POLICY",
    "FAILING",
    "MAX_ROUNDS",
    "Builder",
    "BuiltWheel",
    "Cell",
    "Conflict",
    "Considered",
    "Demand",
    "Downgrade",
    "Explanation",
    "Matrix",
    "NoWheelForTarget",
    "NotResolved",
    "Pin",
    "Pinned",
    "Policy",
    "QuarantinedProject",
    "Resolution",
    "ResolutionImpossible",
    "ResolutionTimedOut",
    "ResolutionTooDeep",
    "ResolveError",
    "StatusRefused",
    "UnknownProject",
    "UnsupportedRequirement",
    "WheelDoesNotFit",
    "as_utc",
    "check_statuses",
    "downgrades",
    "explain",
    "matrix",
    "natural_key",
    "no_wheel_text",
    "parse_cutoff",
    "parse_fail_on",
    "place",
    "resolve",
    "status_warnings",
    "summarise_tags",
    "with_zone",
]
