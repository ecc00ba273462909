"""Every stage's view of the strong hash algorithms is :mod:`tagpip.hashes`'s."""

from __future__ import annotations

import hashlib

import pytest

from tagpip import hashes
from tagpip.index import metacache
from tagpip.requirements import syntax


def test_the_lengths_are_the_digests_lengths() -> None:
    assert set(hashes.HEX_LENGTHS) == set(hashes.STRONG)
    for algo in hashes.STRONG:
        assert len(hashlib.new(algo, b"").hexdigest()) == hashes.HEX_LENGTHS[algo]


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b"])
def test_syntax_accepts_exactly_the_strong_ones(algo: str) -> None:
    digest = hashlib.new(algo, b"x").hexdigest()
    problem = syntax._check_hash(f"{algo}:{digest}")
    assert (problem is None) == (algo in hashes.STRONG)
    assert hashes.is_strong(algo.upper()) == (algo in hashes.STRONG)


def test_syntax_says_the_length_it_wants() -> None:
    problem = syntax._check_hash("sha384:" + "a" * 64)
    assert problem is not None
    assert "96" in problem


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256", "sha384", "sha512"])
def test_the_metadata_cache_keys_only_strong_hashes(algo: str) -> None:
    digest = hashlib.new(algo, b"x").hexdigest()
    found = metacache._strong([(algo, digest)])
    assert (found is not None) == (algo in hashes.STRONG)


def test_every_stage_uses_the_one_list() -> None:
    from tagpip.build import builder as build
    from tagpip.cli import pipbackend
    from tagpip.download import downloader as download
    from tagpip.pip import command as pipcmd
    from tagpip.resolution import resolver as resolve

    for module in (build, download, pipcmd):
        assert vars(module)["STRONG"] is hashes.STRONG, module.__name__
    # A direct URL's digests are read by the one reader of a link's fragment.
    assert vars(resolve)["fragment_hashes"] is hashes.fragment_hashes
    for module in (metacache, syntax):
        assert vars(module)["HEX_LENGTHS"] is hashes.HEX_LENGTHS, module.__name__
    assert "STRONG" not in vars(pipbackend)  # imported where it is used, from tagpip.hashes
