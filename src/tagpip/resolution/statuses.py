"""What a resolution's project statuses (PEP 792) mean for the run: one warning line per pinned
project its index marks archived, deprecated (or quarantined, when ``--allow-quarantined`` let
it in), and the ``--fail-on-status`` check a CI job runs.

The statuses themselves are read from the index pages (:class:`tagpip.index.pages.ProjectStatus`)
and carried by each pin (:attr:`tagpip.resolution.results.Pin.status`); a quarantined project is
refused by the resolver itself (:class:`tagpip.resolution.errors.QuarantinedProject`). Nothing
here prints: the texts go back to :mod:`tagpip.workflow.fetch`, which hands them to the CLI.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Protocol

from packaging.version import Version

from tagpip.errors import UsageError
from tagpip.index import ProjectStatus
from tagpip.resolution.errors import ResolveError


class Pinned(Protocol):
    """A pinned project with its status: a resolution's :class:`tagpip.resolution.results.Pin`, or
    a lock's :class:`tagpip.lock.model.LockedPackage` (the status recorded when it was locked)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> Version: ...

    @property
    def status(self) -> ProjectStatus: ...


__all__ = [
    "FAILING",
    "Pinned",
    "StatusRefused",
    "check_statuses",
    "parse_fail_on",
    "status_warnings",
]

# The statuses --fail-on-status takes (PEP 792's, but active).
FAILING = ("archived", "deprecated", "quarantined")

_KNOWN = "active, archived, deprecated and quarantined"
_MEANING = {
    "archived": "its maintainers expect no further releases",
    "deprecated": "it is considered obsolete, and may have been superseded by another project",
    "quarantined": "the index considers it unsafe for any use; taken because "
    "--allow-quarantined names it",
}


class StatusRefused(ResolveError):
    """``--fail-on-status`` names the status of some pinned projects; ``pins`` are those.
    ``recorded`` names the lock whose recorded statuses they are, when they come from one."""

    def __init__(
        self, pins: Sequence[Pinned], statuses: Iterable[str], *, recorded: str | None = None
    ):
        self.pins = tuple(pins)
        named = ",".join(sorted(set(statuses)))
        who = f"{recorded} records" if recorded else "the index marks"
        lines = [f"--fail-on-status {named}: {who} these projects so:"]
        lines += [f"  {_said(pin)}" for pin in self.pins]
        super().__init__(
            "\n".join(lines),
            hint="replace them with maintained projects, or leave their status out of "
            "--fail-on-status",
        )


def _where(status: ProjectStatus) -> str:
    where = f" on {status.index}" if status.index else ""
    return where + (f" ({status.reason})" if status.reason else "")


def _said(pin: Pinned) -> str:
    """``name version is STATE on INDEX (reason)``."""
    return f"{pin.name} {pin.version} is {pin.status.state}{_where(pin.status)}"


def status_warnings(pins: Iterable[Pinned], *, recorded: str | None = None) -> list[str]:
    """One line per pin whose project is not active on its index, in the pins' order (each
    name and version once), each with the index's reason when it gives one; ``recorded``
    names the lock the statuses were read from."""
    texts = []
    seen = set()
    for pin in pins:
        status = pin.status
        if status.active or (pin.name, pin.version) in seen:
            continue
        seen.add((pin.name, pin.version))
        meaning = _MEANING.get(
            status.state, f"a project status tagpip does not know (PEP 792 defines {_KNOWN})"
        )
        if recorded:
            meaning += f"; as {recorded} records it"
        texts.append(f"{_said(pin)}: {meaning} (PEP 792)")
    return texts


def check_statuses(
    pins: Iterable[Pinned], fail_on: Iterable[str], *, recorded: str | None = None
) -> None:
    """Raise :class:`StatusRefused` naming every pin whose status ``fail_on`` lists."""
    failing = frozenset(fail_on)
    if not failing:
        return
    found: dict[tuple[str, Version], Pinned] = {}
    for pin in pins:
        if pin.status.state in failing:
            found.setdefault((pin.name, pin.version), pin)
    if found:
        raise StatusRefused(list(found.values()), failing, recorded=recorded)


def parse_fail_on(values: Iterable[str]) -> frozenset[str]:
    """``--fail-on-status`` values (repeatable, comma-separated) as statuses; a word that is
    not one of :data:`FAILING` is a usage error with the nearest one."""
    found: set[str] = set()
    for value in values:
        for word in value.split(","):
            state = word.strip().lower()
            if not state:
                continue
            if state not in FAILING:
                close = difflib.get_close_matches(state, FAILING, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise UsageError(
                    f"--fail-on-status: {word.strip()!r} is not a project status it takes",
                    hint=f"{hint}give any of {', '.join(FAILING)}, comma-separated",
                )
            found.add(state)
    return frozenset(found)
