"""The project x target table of ``tagpip matrix``: each project's chosen version per
target, or the short reason none fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

from tagpip.errors import TagpipError
from tagpip.resolution.candidates import (
    PYTHON,
)
from tagpip.resolution.errors import NoWheelForTarget, ResolutionImpossible, UnknownProject
from tagpip.resolution.results import Resolution
from tagpip.target import Target

__all__ = [
    "Cell",
    "Matrix",
    "matrix",
]


@dataclass(frozen=True)
class Cell:
    """One project for one target: the chosen ``version`` and ``filename``, or the short
    ``reason`` it has none (``no wheel``, ``not needed``, ``unresolved``...)."""

    version: Version | None = None
    filename: str | None = None
    reason: str | None = None

    def text(self) -> str:
        return str(self.version) if self.version is not None else str(self.reason)

    def to_json(self) -> dict[str, str | None]:
        if self.version is not None:
            return {"version": str(self.version), "file": self.filename}
        return {"version": None, "reason": self.reason}


@dataclass(frozen=True)
class Matrix:
    """Projects x targets. ``targets`` are the targets' descriptions; ``errors`` the message of
    each target's failed resolution (None when it resolved); ``rows`` one project each, sorted,
    with one cell per target in the targets' order."""

    targets: tuple[str, ...]
    errors: tuple[str | None, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...] = field(default=())

    def lines(self) -> list[str]:
        """The table, aligned, then what each failing target's resolution said."""
        table = [("project", *self.targets)]
        table += [(name, *(cell.text() for cell in cells)) for name, cells in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        out = ["  ".join(f"{v:<{w}}" for v, w in zip(row, widths)).rstrip() for row in table]
        for target, error in zip(self.targets, self.errors):
            if error is not None:
                out.append(f"{target} does not resolve:")
                out.extend(f"  {line}" for line in error.splitlines())
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"targets": [{"target", "error"}], "projects": [{"name", "cells"}]}``, the cells
        in the targets' order (docs/why.md)."""
        return {
            "targets": [
                {"target": target, "error": error}
                for target, error in zip(self.targets, self.errors)
            ],
            "projects": [
                {"name": name, "cells": [cell.to_json() for cell in cells]}
                for name, cells in self.rows
            ],
        }


def matrix(outcomes: Sequence[tuple[Target, Resolution | TagpipError]]) -> Matrix:
    """The table of what each target gets: for a target that resolved, each project's version
    (``not needed`` where its markers leave a project out); for one that did not, the short
    reason against the projects the failure names and ``unresolved`` against the rest."""
    cells: dict[str, dict[int, Cell]] = {}
    errors: list[str | None] = []
    for column, (_, outcome) in enumerate(outcomes):
        if isinstance(outcome, Resolution):
            errors.append(None)
            for pin in outcome.pins:
                cell = Cell(pin.version, pin.file.filename)
                cells.setdefault(pin.name, {})[column] = cell
        else:
            errors.append(_message(outcome))
            for name, reason in _short_reasons(outcome).items():
                cells.setdefault(name, {})[column] = Cell(reason=reason)
    rows = []
    for name in sorted(cells):
        row = []
        for column in range(len(outcomes)):
            default = "unresolved" if errors[column] is not None else "not needed"
            row.append(cells[name].get(column, Cell(reason=default)))
        rows.append((name, tuple(row)))
    targets = tuple(target.describe() for target, _ in outcomes)
    return Matrix(targets, tuple(errors), tuple(rows))


def _message(error: TagpipError) -> str:
    return error.message + (f"\nhint: {error.hint}" if error.hint else "")


_UNUSABLE = "every matching version is unusable: "


def _short_reasons(error: TagpipError) -> Mapping[str, str]:
    """A few words per project a failed resolution names."""
    if isinstance(error, NoWheelForTarget):
        elsewhere = error.fits_elsewhere
        return {error.project: f"no wheel ({elsewhere} has one)" if elsewhere else "no wheel"}
    if isinstance(error, UnknownProject):
        return {error.project: "not on the index"}
    if not isinstance(error, ResolutionImpossible):
        return {}
    found: dict[str, str] = {}
    for conflict in error.conflicts:
        if conflict.project == PYTHON:
            for demand in conflict.demands:
                if demand.parent is not None:
                    parent = demand.parent.split("==")[0].split("[")[0]
                    found.setdefault(parent, f"needs {demand.requirement}")
            continue
        reason = conflict.reason or ""
        if reason.startswith(_UNUSABLE):
            first = reason[len(_UNUSABLE) :].split("; ")[0]
            words = first.split(" ", 1)[1] if " " in first else first
            short = "needs Python " + words.split("Python ", 1)[1] if "Python" in words else ""
            found.setdefault(conflict.project, short or "no usable version")
        elif reason.startswith("no version matches"):
            found.setdefault(conflict.project, "no matching version")
        else:
            found.setdefault(conflict.project, "conflict")
    return found
