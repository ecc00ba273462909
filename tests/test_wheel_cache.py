"""The content-addressed wheel cache of the downloader: filled after a verified download, used
only after the bytes put in the destination pass the same checks, bad entries deleted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tagpip.download.downloader import download
from tagpip.hashes import HashMismatch
from test_download import MemoryIndex, make_file, names


def entry_of(cache: Path, body: bytes, filename: str) -> Path:
    digest = hashlib.sha256(body).hexdigest()
    return cache / digest[:2] / digest / filename


def test_a_verified_download_fills_the_cache_and_the_next_run_uses_it(tmp_path: Path) -> None:
    body = b"wheel bytes" * 100
    file = make_file("alpha", body)
    cache = tmp_path / "wheels"
    first = MemoryIndex({file.filename: body})
    download([file], tmp_path / "one", first, cache=cache)
    assert entry_of(cache, body, file.filename).read_bytes() == body
    second = MemoryIndex({file.filename: body})
    [result] = download([file], tmp_path / "two", second, cache=cache)
    assert second.opened == []
    assert result.reused
    assert (tmp_path / "two" / file.filename).read_bytes() == body
    assert names(tmp_path / "two") == [file.filename]


def test_a_corrupted_entry_is_never_used_and_is_deleted(tmp_path: Path) -> None:
    body = b"the real wheel" * 50
    file = make_file("beta", body)
    cache = tmp_path / "wheels"
    entry = entry_of(cache, body, file.filename)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"X" + body[1:])  # same size, other bytes
    index = MemoryIndex({file.filename: body})
    [result] = download([file], tmp_path / "out", index, cache=cache)
    assert index.opened == [file.filename]
    assert not result.reused
    assert (tmp_path / "out" / file.filename).read_bytes() == body
    assert entry.read_bytes() == body  # replaced by the verified download
    assert names(tmp_path / "out") == [file.filename]


def test_a_bad_download_does_not_reach_the_cache_and_no_cache_means_none(tmp_path: Path) -> None:
    body = b"payload" * 10
    file = make_file("gamma", body, sha256="0" * 64)
    cache = tmp_path / "wheels"
    index = MemoryIndex({file.filename: body})
    with pytest.raises(HashMismatch):
        download([file], tmp_path / "out", index, cache=cache)
    assert not cache.exists()
    good = make_file("gamma", body)
    download([good], tmp_path / "out2", MemoryIndex({good.filename: body}), cache=False)
    assert not cache.exists()


def test_download_folders_and_the_cache_share_no_file(tmp_path: Path) -> None:
    body = b"shared wheel" * 100
    file = make_file("delta", body)
    cache = tmp_path / "wheels"
    download([file], tmp_path / "one", MemoryIndex({file.filename: body}), cache=cache)
    download([file], tmp_path / "two", MemoryIndex({file.filename: body}), cache=cache)
    entry = entry_of(cache, body, file.filename)
    one, two = tmp_path / "one" / file.filename, tmp_path / "two" / file.filename
    for path in (entry, one, two):
        assert path.stat().st_nlink == 1, path
    with one.open("r+b") as f:  # an edit in place in one folder
        f.write(b"EDITED")
    assert entry.read_bytes() == body
    assert two.read_bytes() == body
    download([file], tmp_path / "three", MemoryIndex({file.filename: body}), cache=cache)
    assert (tmp_path / "three" / file.filename).read_bytes() == body


def test_a_scratch_download_is_linked_into_the_cache_and_a_later_folder_gets_a_copy(
    tmp_path: Path,
) -> None:
    """install's private temporary folder (``scratch``) shares its verified download with the
    wheel cache (one write instead of two); a later ``-d`` still gets an independent file."""
    body = b"scratch wheel" * 100
    file = make_file("epsilon", body)
    cache = tmp_path / "wheels"
    scratch = tmp_path / "scratch"
    download([file], scratch, MemoryIndex({file.filename: body}), cache=cache, scratch=True)
    entry = entry_of(cache, body, file.filename)
    assert entry.samefile(scratch / file.filename)
    assert entry.stat().st_mode & 0o777 == 0o644
    later = download([file], tmp_path / "d", MemoryIndex({}), cache=cache)
    assert later[0].from_cache
    assert later[0].path.stat().st_nlink == 1
    assert later[0].path.read_bytes() == body
