"""What resolving asks of whatever builds sources: the one seam between the resolution stage
and the build stage above it.

A version whose only file for the target is an sdist becomes a candidate only when the run may
build it, and the resolver asks the builder to vet it before pinning it (needs compiling? does
its build come out pure?) and to read its metadata; a requirement naming a local or VCS source
is built into a wheel the resolver can pin. :class:`tagpip.build.SourceBuilder` is the one
implementation; the resolver sees only this protocol, so the build stage (which resolves a
build's own requirements with :func:`~tagpip.resolution.resolve`) sits above this one.
"""

from __future__ import annotations

from typing import Protocol

from packaging.metadata import Metadata

from tagpip.index import DistFile

__all__ = ["Builder", "BuiltWheel"]


class BuiltWheel(Protocol):
    """A wheel a builder made: the file the resolver pins."""

    @property
    def file(self) -> DistFile: ...


class Builder(Protocol):
    """Vets and builds the sources a resolution reaches."""

    def allows(self, project: str) -> bool:
        """Whether the format rules let ``project`` be built from source."""
        ...

    def vet(self, file: DistFile) -> str | None:
        """None when the sdist ``file`` gives the target a pure wheel, else why not (words that
        read after its version)."""
        ...

    def metadata(self, file: DistFile) -> Metadata:
        """The sdist's core metadata."""
        ...

    def local(self, project: str, url: str) -> BuiltWheel:
        """The wheel built from a source requirement (a ``file:`` or ``git+`` URL)."""
        ...
