"""The library layer of the commands: what the requirement inputs say, resolving them for
a target and delivering the wheels, and the cache folder as a whole. Each command is a
few calls of this package; :mod:`tagpip.cli` only settles options and renders.
"""

from __future__ import annotations

from tagpip.workflow.cachedir import CacheError, Removed, Usage, prune, purge, stale, usage
from tagpip.workflow.fetch import (
    Delivery,
    Resolved,
    RunSettings,
    build_pins,
    check_required_hashes,
    declared_licences,
    deliverable,
    delivery_sbom,
    fetch_and_install,
    graph_from_metadata,
    make_builder,
    resolve_for,
    union_by_file,
    without_built,
)
from tagpip.workflow.inputs import (
    Inputs,
    build_rules,
    config_settings,
    index_overrides,
    read_inputs,
    release_control,
    target_from,
    wants_hashes,
)
from tagpip.workflow.lock import (
    LockedRun,
    LockedSet,
    Locking,
    lock_inputs,
    parse_upgrade_packages,
    resolve_for_lock,
)

__all__ = [
    "CacheError",
    "Delivery",
    "Inputs",
    "LockedRun",
    "LockedSet",
    "Locking",
    "Removed",
    "Resolved",
    "RunSettings",
    "Usage",
    "build_pins",
    "build_rules",
    "check_required_hashes",
    "config_settings",
    "declared_licences",
    "deliverable",
    "delivery_sbom",
    "fetch_and_install",
    "graph_from_metadata",
    "index_overrides",
    "lock_inputs",
    "make_builder",
    "parse_upgrade_packages",
    "prune",
    "purge",
    "read_inputs",
    "release_control",
    "resolve_for",
    "resolve_for_lock",
    "stale",
    "target_from",
    "union_by_file",
    "usage",
    "wants_hashes",
    "without_built",
]
