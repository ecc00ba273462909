"""The resolver fetches ahead: a page brings the metadata of the wheel the resolver will most
likely pin, and that metadata brings the pages of its dependencies, so a chain of dependencies is
fetched in parallel with the resolution instead of one level after the other. Real HTTP, a real
index server; nothing here depends on timing: a test that says what was *not* fetched first waits
until every fetch started ahead of time has finished (``_TrackedIndex.wait_idle``)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer
from tagpip.config.pip import IndexOptions
from tagpip.index.api import FilesReady, MetadataReady
from tagpip.index.client import HttpIndex
from tagpip.index.pages import DistFile
from tagpip.requirements.syntax import parse_line
from tagpip.resolution.candidates import CandidateFinder
from tagpip.resolution.provider import Provider as _Provider
from tagpip.resolution.resolver import resolve
from tagpip.target import target_from_flags

TARGET = target_from_flags(
    platforms=["manylinux2014_x86_64"], python_version="3.11", implementation="cp", abis=["cp311"]
)


@pytest.fixture
def chain(index_server: IndexServer) -> IndexServer:
    """a -> b -> c -> d, plus a dependency of a that does not apply to the target."""
    index_server.add_wheel("a", "1.0", requires_dist=["b", 'never; python_version < "3"'])
    index_server.add_wheel("a", "0.9")
    index_server.add_wheel("b", "1.0", requires_dist=["c>=1"])
    index_server.add_wheel("c", "1.0", requires_dist=["d"])
    index_server.add_wheel("c", "2.0rc1", requires_dist=["never"])  # a pre-release: not taken
    index_server.add_wheel("d", "1.0")
    index_server.add_wheel("never", "1.0")
    return index_server


class _TrackedIndex(HttpIndex):
    """The real index, counting the fetches it was asked to start ahead of time until each one's
    ``then`` has returned. A ``then`` starts its follow-ups before it returns, so the count
    reaches zero only when the whole chain of fetches ahead is over: the event a test waits for
    before it says what was not fetched (no sleeping and hoping nothing else comes)."""

    def __init__(self, options: IndexOptions) -> None:
        super().__init__(options)
        self._pending = 0
        self._changed = threading.Condition()

    def prefetch(self, files: Sequence[DistFile], then: MetadataReady | None = None) -> None:
        wheels = [file for file in files if file.is_wheel]  # the index fetches ahead only these
        self._started(len(wheels))
        super().prefetch(wheels, then=self._counted(then))

    def prefetch_projects(self, projects: Iterable[str], then: FilesReady | None = None) -> None:
        names = list(projects)
        self._started(len(names))
        super().prefetch_projects(names, then=self._counted(then))

    def wait_idle(self, seconds: float = 30.0) -> bool:
        """Wait until no fetch started ahead is left (False if that takes ``seconds``: a
        fetch failed, so its ``then`` never ran)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, seconds)

    def _started(self, count: int) -> None:
        with self._changed:
            self._pending += count

    def _counted(self, then: Any) -> Any:
        def counted(key: Any, value: Any) -> None:
            try:
                if then is not None:
                    then(key, value)
            finally:
                with self._changed:
                    self._pending -= 1
                    self._changed.notify_all()

        return counted


@pytest.fixture
def index(chain: IndexServer, cache_dir: Path) -> Iterator[_TrackedIndex]:
    made = _TrackedIndex(IndexOptions(index_url=chain.url, cache_dir=cache_dir, retries=0))
    with made:
        yield made


def _pages(server: IndexServer) -> set[str]:
    return {r.path.strip("/").split("/")[-1] for r in server.requests if "/simple/" in r.path}


def _metadata(server: IndexServer) -> set[str]:
    return {r.path.rsplit("/", 1)[-1] for r in server.requests if r.path.endswith(".metadata")}


def test_one_page_brings_the_whole_chain(chain: IndexServer, index: _TrackedIndex) -> None:
    provider = _Provider(CandidateFinder(index, TARGET), no_deps=False)
    provider.prefetch_projects(["a"])
    assert index.wait_idle(), "the fetches ahead never finished"
    # The newest final release of each, never the pre-release or the older a; never the page of
    # `never` either, whose marker is false for the target.
    assert _metadata(chain) == {f"{p}-1.0-py3-none-any.whl.metadata" for p in "abcd"}
    assert _pages(chain) == {"a", "b", "c", "d"}


def test_without_dependencies_only_the_metadata_is_fetched_ahead(
    chain: IndexServer, index: _TrackedIndex
) -> None:
    provider = _Provider(CandidateFinder(index, TARGET), no_deps=True)
    provider.prefetch_projects(["a"])
    assert index.wait_idle(), "the fetches ahead never finished"
    assert _metadata(chain) == {"a-1.0-py3-none-any.whl.metadata"}
    assert _pages(chain) == {"a"}


def test_a_finished_resolution_starts_nothing_new(chain: IndexServer, index: _TrackedIndex) -> None:
    provider = _Provider(CandidateFinder(index, TARGET), no_deps=False)
    provider.finished = True
    provider.prefetch_projects(["a"])
    index.files(canonicalize_name("a"))
    assert index.wait_idle(), "the fetches ahead never finished"
    assert _pages(chain) == {"a"}
    assert _metadata(chain) == set()


def test_resolving_with_the_chain_gives_the_same_pins(
    chain: IndexServer, index: _TrackedIndex
) -> None:
    pins = resolve([parse_line("a")], TARGET, index).pins
    assert [(p.name, str(p.version)) for p in pins] == [
        ("a", "1.0"),
        ("b", "1.0"),
        ("c", "1.0"),
        ("d", "1.0"),
    ]
