"""The resolver fetches ahead: a page brings the metadata of the wheel the resolver will most
likely pin, and that metadata brings the pages of its dependencies, so a chain of dependencies is
fetched in parallel with the resolution instead of one level after the other. Real HTTP, a real
index server; nothing here depends on timing except a generous deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer
from tagpip.candidates import CandidateFinder
from tagpip.index import HttpIndex
from tagpip.pipconfig import IndexOptions
from tagpip.resolve import _Provider, resolve
from tagpip.syntax import parse_line
from tagpip.target import Target

TARGET = Target.from_flags(
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


@pytest.fixture
def index(chain: IndexServer, cache_dir: Path) -> Iterator[HttpIndex]:
    with HttpIndex(IndexOptions(index_url=chain.url, cache_dir=cache_dir, retries=0)) as made:
        yield made


def _pages(server: IndexServer) -> set[str]:
    return {r.path.strip("/").split("/")[-1] for r in server.requests if "/simple/" in r.path}


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)


def test_one_page_brings_the_whole_chain(chain: IndexServer, index: HttpIndex) -> None:
    provider = _Provider(CandidateFinder(index, TARGET), no_deps=False)
    provider.prefetch_projects(["a"])
    wanted = {f"{p}-1.0-py3-none-any.whl.metadata" for p in "abcd"}

    def metadata_paths() -> set[str]:
        return {r.path.rsplit("/", 1)[-1] for r in chain.requests if r.path.endswith(".metadata")}

    _wait_for(lambda: metadata_paths() >= wanted)
    assert _pages(chain) >= {"a", "b", "c", "d"}
    metadata = metadata_paths()
    # The newest final release of each, never the pre-release or the older a.
    assert metadata >= {f"{p}-1.0-py3-none-any.whl.metadata" for p in "abcd"}
    assert not any(m.startswith(("c-2.0rc1", "a-0.9")) for m in metadata)
    provider.finished = True
    assert "never" not in _pages(chain)  # its marker is false for the target


def test_without_dependencies_only_the_metadata_is_fetched_ahead(
    chain: IndexServer, index: HttpIndex
) -> None:
    provider = _Provider(CandidateFinder(index, TARGET), no_deps=True)
    provider.prefetch_projects(["a"])
    _wait_for(lambda: any(r.path.endswith(".metadata") for r in chain.requests))
    time.sleep(0.2)
    assert _pages(chain) == {"a"}


def test_a_finished_resolution_starts_nothing_new(chain: IndexServer, index: HttpIndex) -> None:
    provider = _Provider(CandidateFinder(index, TARGET), no_deps=False)
    provider.finished = True
    provider.prefetch_projects(["a"])
    index.files(canonicalize_name("a"))
    time.sleep(0.2)
    assert _pages(chain) == {"a"}
    assert not any(r.path.endswith(".metadata") for r in chain.requests)


def test_resolving_with_the_chain_gives_the_same_pins(chain: IndexServer, index: HttpIndex) -> None:
    pins = resolve([parse_line("a")], TARGET, index).pins
    assert [(p.name, str(p.version)) for p in pins] == [
        ("a", "1.0"),
        ("b", "1.0"),
        ("c", "1.0"),
        ("d", "1.0"),
    ]
