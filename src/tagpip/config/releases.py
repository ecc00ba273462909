"""Release control: which projects may resolve to pre-releases (pip 26's ``--all-releases``,
``--only-final`` and ``--pre``).

It is one value, built in reading order from the command line, pip's configuration and the
requirement files, and asked one question per project. It lives in a module of its own, standard
library only, because ``check``, the pip configuration and
the candidate finder all need the same rule and ``check`` must start fast.

pip keeps two sets, all-releases and only-final. A project name added to one leaves the other;
``:all:`` empties both and stands for every project in its own set; ``:none:`` empties its own set.
For a project, the answer is (first match wins): named in all-releases (pre-releases allowed),
named in only-final (final releases only, even where a specifier names a pre-release), ``:all:``
in all-releases, ``:all:`` in only-final, else the default rule of PEP 440 and packaging:
pre-releases when a specifier names one, or when nothing else matches.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Literal

ALL = ":all:"
NONE = ":none:"

Kind = Literal["all_releases", "only_final"]


def _canonical(name: str) -> str:
    """PEP 503 normalisation (as packaging's canonicalize_name), without importing packaging."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclasses.dataclass(frozen=True)
class ReleaseControl:
    """The two sets of pip's release control; the empty value is pip's default behaviour."""

    all_releases: frozenset[str] = frozenset()
    only_final: frozenset[str] = frozenset()

    @classmethod
    def of(cls, pre: bool | ReleaseControl) -> ReleaseControl:
        """``--pre`` (``True``: ``--all-releases :all:``) or a release control as it is."""
        if isinstance(pre, ReleaseControl):
            return pre
        return cls(frozenset({ALL})) if pre else cls()

    def apply(self, kind: Kind, value: str) -> ReleaseControl:
        """This control with one option applied: ``value`` is what follows ``--all-releases``
        or ``--only-final`` (comma-separated names, ``:all:`` or ``:none:``), as pip reads it."""
        own = set(self.all_releases if kind == "all_releases" else self.only_final)
        other = set(self.only_final if kind == "all_releases" else self.all_releases)
        for raw in value.split(","):
            item = raw.strip()
            if not item:
                continue
            if item == ALL:
                own, other = {ALL}, set()
            elif item == NONE:
                own = set()
            else:
                name = _canonical(item)
                other.discard(name)
                own.add(name)
        if kind == "all_releases":
            return ReleaseControl(frozenset(own), frozenset(other))
        return ReleaseControl(frozenset(other), frozenset(own))

    def apply_all(self, options: Iterable[tuple[Kind, str]]) -> ReleaseControl:
        """Each ``(kind, value)`` applied in order."""
        control = self
        for kind, value in options:
            control = control.apply(kind, value)
        return control

    def allows(self, name: str) -> bool | None:
        """``True``: every pre-release of ``name`` may be picked; ``False``: none, not even one
        a specifier names; ``None``: the default rule (see the module docstring)."""
        key = _canonical(name)
        if key in self.all_releases:
            return True
        if key in self.only_final:
            return False
        if ALL in self.all_releases:
            return True
        if ALL in self.only_final:
            return False
        return None

    @property
    def everywhere(self) -> bool:
        """Whether every project may take pre-releases (``--pre``)."""
        return self.all_releases == frozenset({ALL}) and not self.only_final
