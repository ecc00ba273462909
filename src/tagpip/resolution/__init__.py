"""Resolving: requirements + target + index -> one consistent set of pinned wheels, the
errors that say why there is none, and the words that explain a resolution after the
fact (``tagpip why``, ``tagpip matrix``, the downgrade notes).
"""

from __future__ import annotations

from tagpip.resolution.resolver import (
    Conflict,
    Demand,
    NoWheelForTarget,
    Pin,
    QuarantinedProject,
    Resolution,
    ResolutionImpossible,
    ResolutionTimedOut,
    ResolutionTooDeep,
    ResolveError,
    UnknownProject,
    UnsupportedRequirement,
    WheelDoesNotFit,
    resolve,
)
from tagpip.resolution.statuses import (
    FAILING,
    Pinned,
    StatusRefused,
    check_statuses,
    parse_fail_on,
    status_warnings,
)
from tagpip.resolution.why import (
    BINARY_TWINS,
    Cell,
    Considered,
    Downgrade,
    Explanation,
    Matrix,
    NotResolved,
    Policy,
    downgrades,
    explain,
    matrix,
    no_wheel_text,
    summarise_tags,
)

__all__ = [
    "BINARY_TWINS",
    "FAILING",
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
    "check_statuses",
    "downgrades",
    "explain",
    "matrix",
    "no_wheel_text",
    "parse_fail_on",
    "resolve",
    "status_warnings",
    "summarise_tags",
]
