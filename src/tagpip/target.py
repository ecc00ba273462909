"""Targets: one interpreter on one platform, its ordered compatible tags and marker environment.

OWNER: issue B. CONTRACT (used by resolve, download, lock, cli): the names and signatures below.
Add what is needed; do not rename or remove these.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag

from tagpip.errors import TagpipError
from tagpip.tokens import TagSpec

__all__ = ["Target", "TargetError", "UndefinedMarkerValue"]


class TargetError(TagpipError):
    """The target cannot be built from what was given, or a block cannot run on it."""


class UndefinedMarkerValue(TargetError):
    """A marker needs a value the target does not define (never guessed from the host)."""

    def __init__(self, variable: str, option: str, marker: str):
        super().__init__(
            f"the marker '{marker}' needs '{variable}', which the target does not define",
            hint=f"give it with {option}",
        )
        self.variable = variable
        self.option = option
        self.marker = marker


@dataclass(frozen=True)
class Target:
    """One interpreter on one platform. Pure data: building one never reads the host, except
    through the explicit ``from_host``/``from_python`` constructors."""

    implementation: str  # "cp", "pp", ...
    python_version: tuple[int, ...]  # (3, 6) or (3, 6, 15)
    abis: tuple[str, ...]
    platforms: tuple[str, ...]  # ordered, expanded
    tags: tuple[Tag, ...]  # ordered, most preferred first

    def wheel_rank(self, tags: Iterable[Tag]) -> int | None:
        """The rank (0 = most preferred) of the best of a wheel's tags, or None if none fits."""
        raise NotImplementedError

    def evaluate(self, marker: Marker, extras: Collection[str] = ()) -> bool:
        """Evaluate ``marker`` with the target's values (and each of ``extras`` as ``extra``).

        Raises UndefinedMarkerValue when the marker needs a value the target does not define.
        """
        raise NotImplementedError

    def allows_requires_python(self, requires_python: SpecifierSet) -> bool:
        """Whether the target's Python satisfies a distribution's Requires-Python."""
        raise NotImplementedError

    def for_block(self, spec: TagSpec) -> Target:
        """The narrower target a requirement's own tag block describes, filled from this target.

        Its tags are a subset of this target's. Raises TargetError when the block cannot run on
        this target (manylinux2014 on a manylinux1 target, cp37 on a cp36 target).
        """
        raise NotImplementedError

    def describe(self) -> str:
        """A short human description for messages, e.g. ``CPython 3.6 on manylinux1 x86_64``."""
        raise NotImplementedError
