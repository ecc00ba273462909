"""An in-memory Index made from data, for resolver tests.

The data is ``{project: {version: Release}}``; a :class:`Release` lists its wheels as tag strings
(``"cp36-cp36m-manylinux1_x86_64"``, compressed sets such as ``"py2.py3-none-any"``, and an
optional build tag in front: ``"1-py3-none-any"``), its ``Requires-Dist`` lines, its
``Requires-Python`` and whether it is yanked or has an sdist. Metadata is built with packaging's
``Metadata.from_raw``, so it is validated as the real index's would be.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from packaging.metadata import Metadata, RawMetadata
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from tagpip.index.api import Index, MetadataReady
from tagpip.index.client import DistFile

__all__ = ["FakeIndex", "Release", "rel"]


@dataclass(frozen=True)
class Release:
    """One version of a project: its wheels (tag strings) and its core metadata.

    ``requires_python`` goes into the metadata; ``index_requires_python`` is what the index
    lists for each file (PEP 503 ``data-requires-python``), which defaults to the same value.
    """

    wheels: tuple[str, ...] = ("py3-none-any",)
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    index_requires_python: str | None = "same"
    yanked: str | None = None
    sdist: bool = False
    provides_extra: tuple[str, ...] = ()
    upload_time: datetime.datetime | None = None


def rel(
    *wheels: str,
    deps: Sequence[str] = (),
    requires_python: str | None = None,
    index_requires_python: str | None = "same",
    yanked: str | None = None,
    sdist: bool = False,
    extras: Sequence[str] = (),
    uploaded: datetime.datetime | None = None,
) -> Release:
    """Shorthand for tables: ``rel("py3-none-any", deps=["b>=1"], yanked="bad")``; no wheels
    given means one ``py3-none-any`` wheel, unless ``sdist`` is set."""
    if not wheels and not sdist:
        wheels = ("py3-none-any",)
    return Release(
        wheels=wheels,
        requires_dist=tuple(deps),
        requires_python=requires_python,
        index_requires_python=index_requires_python,
        yanked=yanked,
        sdist=sdist,
        provides_extra=tuple(extras),
        upload_time=uploaded,
    )


class FakeIndex(Index):
    """Implements :class:`tagpip.index.client.Index` over data; records what was asked of it."""

    def __init__(self, projects: Mapping[str, Mapping[str, Release]]) -> None:
        self.projects = {canonicalize_name(n): dict(v) for n, v in projects.items()}
        self.files_calls: list[str] = []
        self.metadata_calls: list[str] = []
        self.prefetched: list[str] = []

    def files(self, project: NormalizedName) -> Sequence[DistFile]:
        self.files_calls.append(project)
        found: list[DistFile] = []
        for version, release in self.projects.get(project, {}).items():
            found.extend(self._files(project, version, release))
        return found

    def metadata(self, file: DistFile) -> Metadata:
        self.metadata_calls.append(file.filename)
        release = self.projects[file.project][str(file.version)]
        raw: RawMetadata = {
            "metadata_version": "2.1",
            "name": file.project,
            "version": str(file.version),
        }
        if release.requires_dist:
            raw["requires_dist"] = list(release.requires_dist)
        if release.requires_python is not None:
            raw["requires_python"] = release.requires_python
        if release.provides_extra:
            raw["provides_extra"] = list(release.provides_extra)
        return Metadata.from_raw(raw)

    def prefetch(self, files: Sequence[DistFile], then: MetadataReady | None = None) -> None:
        self.prefetched.extend(f.filename for f in files)

    @contextmanager
    def open(self, file: DistFile) -> Iterator[Iterator[bytes]]:
        yield iter([b""])

    def _files(self, project: str, version: str, release: Release) -> list[DistFile]:
        escaped = project.replace("-", "_")
        requires_python = (
            release.requires_python
            if release.index_requires_python == "same"
            else release.index_requires_python
        )
        files: list[DistFile] = []
        for wheel in release.wheels:
            filename = f"{escaped}-{version}-{wheel}.whl"
            name, parsed, build, tags = parse_wheel_filename(filename)
            files.append(
                DistFile(
                    project=name,
                    filename=filename,
                    url=f"https://example.invalid/{filename}",
                    version=parsed,
                    build=build,
                    tags=tags,
                    is_wheel=True,
                    hashes=(("sha256", "0" * 64),),
                    requires_python=requires_python,
                    yanked=release.yanked,
                    upload_time=release.upload_time,
                )
            )
        if release.sdist:
            filename = f"{escaped}-{version}.tar.gz"
            files.append(
                DistFile(
                    project=NormalizedName(project),
                    filename=filename,
                    url=f"https://example.invalid/{filename}",
                    version=Version(version),
                    build=(),
                    tags=frozenset(),
                    is_wheel=False,
                    requires_python=requires_python,
                    yanked=release.yanked,
                    upload_time=release.upload_time,
                )
            )
        return files
